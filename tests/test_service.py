"""Wiring across processes: an ingest run elsewhere is picked up by a running reader without a restart."""

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chatbot import retrieval
from chatbot.retrieval import Index
from chatbot.store import Store
from tests.helpers import ROOT, DenseHashEmbedder

pytest_plugins = ["fixtures_index"]

PILOT = "---\ntitle: Test Pilot Guide\nrole: Test Pilot\n---\n\n## What is the salary of a Test Pilot?\n\n{}\n"
INGEST = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from chatbot.indexing import ingest
    from chatbot.store import Store
    from tests.helpers import DenseHashEmbedder
    report = ingest(Path(sys.argv[1]), Store(Path(sys.argv[2])), DenseHashEmbedder(), max_bytes=50_000_000)
    assert not report.errors, report.errors
    """
)


def ingest_elsewhere(knowledge: Path, index: Path) -> None:
    subprocess.run([sys.executable, "-c", INGEST, str(knowledge), str(index)], cwd=ROOT, check=True, timeout=300)


@pytest.fixture
def big_index(tmp_path: Path) -> tuple[Path, Path]:
    """Over 1,000 vectors: past Chroma's in-memory threshold, where another process's writes stay unseen."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    filler = "## What is the salary of grade {0}?\n\nA filler worker of grade {0} earns a salary each year.\n\n"
    sections = "".join(filler.format(i) for i in range(1200))
    (knowledge / "filler.md").write_text(f"---\ntitle: Filler Guide\nrole: Filler Worker\n---\n\n{sections}")
    (knowledge / "pilot.md").write_text(PILOT.format("A Test Pilot earns $99,999 a year."))
    ingest_elsewhere(knowledge, tmp_path / "index")
    return knowledge, tmp_path / "index"


def dense_texts(index: Index, query: str) -> list[str]:
    snapshot = index.snapshot()
    # A deep search (100 candidates of ~1,200): HNSW is approximate, and the claim here is visibility, not rank.
    found = index._dense(snapshot, index.embed_query(query), 50)
    return [snapshot.rows[snapshot.position[i]].text for i, _ in found]


def sees_chunk(index: Index, words: str) -> bool:
    """Whether the dense index returns the live chunk holding `words` when asked with that chunk's own vector.

    Asked with another text, HNSW (approximate) missed the pilot chunk among the near-identical fillers in about
    one run in ten; its own vector finds it whenever the vector is in the index at all.
    """
    snapshot = index.snapshot()
    row = next(r for r in snapshot.rows if words in r.text)
    found = index._dense(snapshot, index.embedder.embed([row.embed_text])[0], 5)
    return row.id in [i for i, _ in found]


@pytest.mark.slow
def test_reader_sees_an_ingest_from_another_process(big_index: tuple[Path, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    knowledge, index_dir = big_index
    monkeypatch.setattr(retrieval, "IN_MEMORY_CHUNKS", 0)  # searched in Chroma, whose client must be reopened
    index = Index(Store(index_dir), DenseHashEmbedder())
    assert sees_chunk(index, "$99,999")
    (knowledge / "pilot.md").write_text(PILOT.format("A Test Pilot earns $123,456 a year."))
    ingest_elsewhere(knowledge, index_dir)
    assert index.wait_fresh(60)  # the new version is built in the background; until then the old one answers
    assert sees_chunk(index, "$123,456")
    assert not any("$99,999" in t for t in dense_texts(index, "Test Pilot salary earns a year"))
    answer = index.search("What is the salary of a Test Pilot?", 4).hits[0].row.text
    assert "$123,456" in answer


@pytest.mark.slow
def test_without_reopening_chroma_the_new_vectors_stay_unseen(
    big_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why Store.reopen exists: guards the test above against passing for the wrong reason."""
    knowledge, index_dir = big_index
    monkeypatch.setattr(retrieval, "IN_MEMORY_CHUNKS", 0)
    index = Index(Store(index_dir), DenseHashEmbedder())
    assert sees_chunk(index, "$99,999")
    monkeypatch.setattr(Store, "reopen", lambda self, force=False, keep=False: None)
    (knowledge / "pilot.md").write_text(PILOT.format("A Test Pilot earns $123,456 a year."))
    ingest_elsewhere(knowledge, index_dir)
    assert index.wait_fresh(60)
    assert not sees_chunk(index, "$123,456")  # the record lists it, but this client's vectors are the old ones


START = textwrap.dedent(
    """
    import json, sys
    import app
    import chatbot.ui

    def launch(demo, settings):  # in place of serving: the start is done, ask once and report what it imported
        from chatbot.service import answer_function
        answer = answer_function(settings)("How long does it take to become a machine learning engineer?", [])
        print(json.dumps({"answered": "four years" in answer.text,
                          "imported": [m for m in ("torch", "sentence_transformers", "transformers")
                                       if m in sys.modules]}))

    chatbot.ui.launch = launch
    sys.exit(app.serve())
    """
)


@pytest.mark.slow
def test_a_start_with_nothing_to_ingest_imports_neither_torch_nor_sentence_transformers(
    seed_index: Path, tmp_path: Path
) -> None:
    """The app's start on an up-to-date index with the ONNX query encoder: ingest check, warm up, the page built."""
    from chatbot.encoders import OnnxEncoder

    xdg = tmp_path / "xdg"
    OnnxEncoder(cache=xdg / "careerbot" / "onnx").embed(["exported here, once: the export needs torch"])
    shutil.copytree(seed_index, tmp_path / "index")
    shutil.copytree(seed_index.parent / "knowledge", tmp_path / "knowledge")
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "XDG_CACHE_HOME": str(xdg), "HOME": str(xdg),
           "GRADIO_ANALYTICS_ENABLED": "False", "CAREERBOT_QUERY_ENCODER": "onnx",
           "CAREERBOT_INDEX_DIR": str(tmp_path / "index"), "CAREERBOT_KNOWLEDGE_DIR": str(tmp_path / "knowledge")}
    out = subprocess.run([sys.executable, "-c", START], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert "added 0, updated 0, removed 0" in out.stderr, out.stderr  # nothing was ingested
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"answered": True, "imported": []}, out.stderr
