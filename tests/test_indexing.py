"""Ingest into a real Chroma + SQLite index: incremental, atomic, one writer at a time."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import DATA, ROOT, SEED, copy_guides
from test_ingest_cli import cli_env, ingest_command

from chatbot.chunking import chunk_guide, split_sentences
from chatbot.config import Settings
from chatbot.documents import load_guide
from chatbot.embeddings import PACKAGED_MODEL, HashEmbedder
from chatbot.errors import IndexBusyError
from chatbot.indexing import PIPELINE, Report, ingest
from chatbot.store import RECORD_FILE, Store

MAX = Settings().max_guide_bytes
SEED_NAME = SEED.name
OLD_SALARY, NEW_SALARY = "$112,430", "$118,900"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    index = Store(tmp_path / "index")
    yield index
    index.reopen()
    index.record.close()


def run(knowledge: Path, store: Store, embedder: Any, **flags: Any) -> Report:
    return ingest(knowledge, store, embedder, max_bytes=MAX, **flags)


def chroma_rows(store: Store, include: tuple[str, ...] = ("documents", "metadatas")) -> dict[str, dict[str, Any]]:
    """Every row of the live collection, by id."""
    got = store.collection(store.record.state().collection).get(include=list(include))
    return {
        row_id: {key: got[key][n] for key in include}
        for n, row_id in enumerate(got["ids"])  # type: ignore[arg-type]
    }


def assert_consistent(store: Store) -> dict[str, dict[str, Any]]:
    """Chroma holds exactly the record's ids (content-derived) and no texts; returns the record's rows by id."""
    state = store.record.state()
    rows = chroma_rows(store)
    assert set(rows) == set(state.chunks)
    assert all(row["documents"] is None and not row["metadatas"] for row in rows.values())
    return {i: {"documents": c.text, "metadatas": c.metadata} for i, c in state.chunks.items()}


def texts(store: Store) -> list[str]:
    return [c.text for c in store.record.state().chunks.values()]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_round_trip_with_the_real_model(knowledge: Path, store: Store, real_embedder: Any) -> None:
    copy_guides(knowledge, "seed")
    expected = chunk_guide(load_guide(knowledge / SEED_NAME, knowledge, MAX), real_embedder.count_tokens)
    report = run(knowledge, store, real_embedder)
    assert (report.guides, report.added, report.updated, report.removed, report.unchanged) == (
        1,
        len(expected),
        0,
        0,
        0,
    )
    assert report.embedded == report.chunks == len(expected)
    assert report.errors == [] and report.version == 1 and not report.dry_run
    assert store.exists()

    state = store.record.state()
    assert state.embedding_model == real_embedder.name and state.embedding_model.startswith(PACKAGED_MODEL)
    assert state.collection.startswith("chunks-")
    assert set(state.chunks) == {c.id for c in expected}
    guide_row = state.guides[SEED_NAME]
    assert guide_row.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert (guide_row.chunker, guide_row.sections, guide_row.chunks) == (PIPELINE, 6, len(expected))
    assert guide_row.role == "Machine Learning Engineer"

    assert_consistent(store)
    collection = store.collection(state.collection)
    assert collection.configuration["hnsw"]["space"] == "cosine"
    got = collection.get(ids=[c.id for c in expected], include=["embeddings"])
    vectors = dict(zip(got["ids"], got["embeddings"], strict=True))
    fresh = real_embedder.embed([c.embed_text for c in expected])
    for chunk, vector in zip(expected, fresh, strict=True):
        assert len(vectors[chunk.id]) == 384
        np.testing.assert_allclose(vectors[chunk.id], vector, atol=1e-4)

    question = real_embedder.embed(["What is the average salary of a Machine Learning Engineer?"])
    top = state.chunks[collection.query(query_embeddings=question, n_results=1, include=[])["ids"][0][0]]
    assert top.metadata["section"] == "What is the job outlook for a Machine Learning Engineer?"
    assert OLD_SALARY in top.text

    sentences = store.record.sentences([c.content_hash for c in expected])
    for chunk in expected:
        stored = sentences[chunk.content_hash]
        assert [s for s, _ in stored] == split_sentences(chunk.text)
        assert all(v.shape == (384,) for _, v in stored)


def test_second_ingest_embeds_nothing(knowledge: Path, store: Store, hash_embedder: HashEmbedder) -> None:
    copy_guides(knowledge, "seed", "data-scientist.md")
    first = run(knowledge, store, hash_embedder)
    assert first.embedded > 0 and first.chunks > 0
    embedded, calls = hash_embedder.texts_embedded, hash_embedder.calls
    second = run(knowledge, store, hash_embedder)
    assert second.embedded == 0
    assert hash_embedder.texts_embedded == embedded and hash_embedder.calls == calls
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, first.chunks)
    assert second.version == first.version == 1
    assert_consistent(store)


def test_editing_one_section_re_embeds_only_its_chunk(
    knowledge: Path, store: Store, hash_embedder: HashEmbedder
) -> None:
    copy_guides(knowledge, "seed", "data-scientist.md")
    first = run(knowledge, store, hash_embedder)
    before = store.record.state().chunks
    embedded = hash_embedder.texts_embedded

    edit(knowledge / SEED_NAME, OLD_SALARY, NEW_SALARY)
    report = run(knowledge, store, hash_embedder)
    after = store.record.state().chunks
    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    assert report.unchanged == first.chunks - 1
    assert report.embedded == 1
    new_ids = set(after) - set(before)
    assert len(new_ids) == 1 and len(set(before) - set(after)) == 1
    changed = after[new_ids.pop()]
    assert changed.metadata["section"] == "What is the job outlook for a Machine Learning Engineer?"
    assert NEW_SALARY in changed.text
    # One chunk vector plus that chunk's sentence vectors: nothing else was embedded.
    assert hash_embedder.texts_embedded - embedded == 1 + len(split_sentences(changed.text))

    rows = assert_consistent(store)
    assert not any(OLD_SALARY in text for text in texts(store))
    assert not any(OLD_SALARY in row["documents"] for row in rows.values())
    assert sum(NEW_SALARY in row["documents"] for row in rows.values()) == 1
    vector = store.collection(store.record.state().collection).get(ids=[changed.id], include=["embeddings"])
    embed_text = f"{changed.metadata['heading']}\n{changed.text}"
    np.testing.assert_allclose(vector["embeddings"][0], HashEmbedder().embed([embed_text])[0], atol=1e-6)
    assert report.version == 2


def test_deleting_a_guide_removes_its_chunks(knowledge: Path, store: Store, hash_embedder: HashEmbedder) -> None:
    copy_guides(knowledge, "seed", "data-scientist.md")
    run(knowledge, store, hash_embedder)
    ds_ids = {i for i, c in store.record.state().chunks.items() if c.source == "data-scientist.md"}
    assert ds_ids
    (knowledge / "data-scientist.md").unlink()
    report = run(knowledge, store, hash_embedder)
    assert report.removed == len(ds_ids) and report.added == report.updated == 0
    assert report.embedded == 0 and report.guides == 1
    state = store.record.state()
    assert set(state.guides) == {SEED_NAME}
    assert not ds_ids & set(state.chunks)
    rows = assert_consistent(store)
    assert not any("Data Scientist" in row["documents"] for row in rows.values())


def test_renaming_a_guide_moves_its_chunks_without_embedding(
    knowledge: Path, store: Store, hash_embedder: HashEmbedder
) -> None:
    copy_guides(knowledge, "seed", "data-scientist.md")
    run(knowledge, store, hash_embedder)
    old = {c.hash: c for c in store.record.state().chunks.values() if c.source == "data-scientist.md"}
    old_vectors = store.collection(store.record.state().collection).get(
        ids=[c.id for c in old.values()], include=["embeddings"]
    )
    hash_of = {c.id: c.hash for c in old.values()}
    vector_by_hash = {
        hash_of[i]: np.asarray(v) for i, v in zip(old_vectors["ids"], old_vectors["embeddings"], strict=True)
    }
    embedded = hash_embedder.texts_embedded

    (knowledge / "science").mkdir()
    (knowledge / "data-scientist.md").rename(knowledge / "science" / "ds-guide.md")
    report = run(knowledge, store, hash_embedder)
    assert report.embedded == 0 and hash_embedder.texts_embedded == embedded
    assert report.added == report.removed == len(old)

    state = store.record.state()
    moved = {c.hash: c for c in state.chunks.values() if c.source == "science/ds-guide.md"}
    assert set(moved) == set(old)
    assert not any(c.source == "data-scientist.md" for c in state.chunks.values())
    rows = assert_consistent(store)
    assert all(rows[c.id]["metadatas"]["source"] == "science/ds-guide.md" for c in moved.values())
    got = store.collection(state.collection).get(ids=[c.id for c in moved.values()], include=["embeddings"])
    for row_id, vector in zip(got["ids"], got["embeddings"], strict=True):
        np.testing.assert_array_equal(np.asarray(vector), vector_by_hash[state.chunks[row_id].hash])


def test_a_moved_chunk_whose_vector_was_lost_is_embedded_again(
    knowledge: Path, store: Store, hash_embedder: HashEmbedder
) -> None:
    copy_guides(knowledge, "data-scientist.md")
    run(knowledge, store, hash_embedder)
    state = store.record.state()
    lost = next(iter(state.chunks.values()))
    store.collection(state.collection).delete(ids=[lost.id])  # say a disk error ate it

    (knowledge / "science").mkdir()
    (knowledge / "data-scientist.md").rename(knowledge / "science" / "ds-guide.md")
    report = run(knowledge, store, hash_embedder)
    assert report.errors == [] and report.embedded == 0  # nothing was expected to need the model...
    rows = assert_consistent(store)  # ...but the lost vector was computed again rather than crash the ingest
    again = next(c for c in store.record.state().chunks.values() if c.hash == lost.hash)
    assert again.id in rows


def test_a_broken_edit_keeps_the_indexed_chunks(knowledge: Path, store: Store, hash_embedder: HashEmbedder) -> None:
    copy_guides(knowledge, "seed", "data-scientist.md")
    first = run(knowledge, store, hash_embedder)
    before = store.record.state()
    (knowledge / "data-scientist.md").write_bytes(b"\x00\x01garbage\xff\xfe" * 400)
    (knowledge / "new-and-broken.md").write_bytes(b"")

    report = run(knowledge, store, hash_embedder)
    assert [e["source"] for e in report.errors] == ["data-scientist.md", "new-and-broken.md"]
    assert "binary" in report.errors[0]["reason"] and "empty" in report.errors[1]["reason"]
    assert report.guides == 3 and report.embedded == 0 and report.unchanged == first.chunks
    after = store.record.state()
    assert after.chunks == before.chunks and after.guides == before.guides
    rows = assert_consistent(store)
    assert any("$103,500" in row["documents"] for row in rows.values())

    # A rebuild cannot re-read the broken guide either: its indexed chunks come along to the new collection.
    rebuilt = run(knowledge, store, hash_embedder, rebuild=True)
    assert len(rebuilt.errors) == 2
    assert store.record.state().collection != before.collection
    assert set(store.record.state().chunks) == set(before.chunks)
    assert_consistent(store)

    copy_guides(knowledge, "data-scientist.md")  # fixed: same content as indexed, nothing to do
    (knowledge / "new-and-broken.md").unlink()
    fixed = run(knowledge, store, hash_embedder)
    assert fixed.errors == [] and fixed.embedded == 0
    assert set(store.record.state().chunks) == set(before.chunks)


def test_rebuild_re_embeds_everything_into_a_fresh_collection(
    knowledge: Path, store: Store, hash_embedder: HashEmbedder
) -> None:
    copy_guides(knowledge, "seed", "registered-nurse.txt")
    first = run(knowledge, store, hash_embedder)
    old_collection = store.record.state().collection
    embedded = hash_embedder.texts_embedded
    report = run(knowledge, store, hash_embedder, rebuild=True)
    state = store.record.state()
    assert report.embedded == first.chunks == len(state.chunks)
    assert report.added == first.chunks and report.version == 2
    sentence_count = sum(len(split_sentences(c.text)) for c in state.chunks.values())
    assert hash_embedder.texts_embedded - embedded == first.chunks + sentence_count
    assert state.collection != old_collection
    assert old_collection not in store.collection_names()
    assert store.collection_names() == [state.collection]
    assert_consistent(store)


def test_a_new_embedding_model_rebuilds(knowledge: Path, store: Store, hash_embedder: HashEmbedder) -> None:
    class OtherModel(HashEmbedder):
        name = "another-model"

    copy_guides(knowledge, "data-scientist.md")
    first = run(knowledge, store, hash_embedder)
    old_collection = store.record.state().collection
    other = OtherModel(dimension=128)
    report = run(knowledge, store, other)
    state = store.record.state()
    assert report.embedded == first.chunks
    assert state.embedding_model == "another-model" and state.collection != old_collection
    assert store.collection_names() == [state.collection]
    got = store.collection(state.collection).get(include=["embeddings"])
    assert {len(v) for v in got["embeddings"]} == {128}
    assert_consistent(store)


def test_a_missing_collection_is_rebuilt(knowledge: Path, store: Store, hash_embedder: HashEmbedder) -> None:
    copy_guides(knowledge, "data-scientist.md")
    first = run(knowledge, store, hash_embedder)
    store.drop_collection(store.record.state().collection)
    report = run(knowledge, store, hash_embedder)
    assert report.embedded == first.chunks
    assert_consistent(store)


def test_leftovers_of_a_crashed_ingest_are_swept(knowledge: Path, store: Store, hash_embedder: HashEmbedder) -> None:
    copy_guides(knowledge, "data-scientist.md")
    run(knowledge, store, hash_embedder)
    live = store.collection(store.record.state().collection)
    live.add(ids=["stray"], embeddings=[[1.0] + [0.0] * 255], documents=["half-written"], metadatas=[{"source": "x"}])
    store.collection("chunks-orphan000000", create=True)
    report = run(knowledge, store, hash_embedder)
    assert report.embedded == 0
    assert store.collection_names() == [store.record.state().collection]
    assert "stray" not in assert_consistent(store)


def test_dry_run_writes_nothing(knowledge: Path, store: Store, hash_embedder: HashEmbedder) -> None:
    copy_guides(knowledge, "seed", "data-scientist.md")
    fresh = run(knowledge, store, hash_embedder, dry_run=True)
    assert fresh.dry_run and fresh.embedded == fresh.added == fresh.chunks > 0
    assert fresh.version == 0 and not store.exists()
    assert hash_embedder.texts_embedded == 0
    assert not [n for n in store.collection_names() if n.startswith("chunks-")]

    first = run(knowledge, store, hash_embedder)
    state = store.record.state()
    rows = chroma_rows(store, ("embeddings",))
    embedded = hash_embedder.texts_embedded
    edit(knowledge / SEED_NAME, OLD_SALARY, NEW_SALARY)
    (knowledge / "data-scientist.md").unlink()
    copy_guides(knowledge, "registered-nurse.txt")

    report = run(knowledge, store, hash_embedder, dry_run=True)
    assert report.updated == 1 and report.added > 0 and report.removed > 0
    assert report.embedded == report.added + 1
    assert report.version == first.version
    assert hash_embedder.texts_embedded == embedded
    assert store.record.state() == state
    after = chroma_rows(store, ("embeddings",))
    assert after.keys() == rows.keys()
    assert all(np.array_equal(after[i]["embeddings"], rows[i]["embeddings"]) for i in rows)
    assert store.collection_names() == [state.collection]


def test_a_second_writer_is_refused_at_once(knowledge: Path, store: Store, hash_embedder: HashEmbedder) -> None:
    copy_guides(knowledge, "data-scientist.md")
    other = Store(store.index_dir)
    with other.writer_lock():
        started = time.monotonic()
        with pytest.raises(IndexBusyError) as info:
            run(knowledge, store, hash_embedder)
        assert time.monotonic() - started < 5
        message = str(info.value)
        assert str(store.index_dir) in message and f"process {os.getpid()}" in message
        assert "already writing" in message
        assert hash_embedder.texts_embedded == 0 and not store.exists()
        assert run(knowledge, store, hash_embedder, dry_run=True).embedded > 0  # reading is still fine
    assert run(knowledge, store, hash_embedder).version == 1  # the lock is free again
    with pytest.raises(IndexBusyError), store.writer_lock(), other.writer_lock():
        pass


def test_a_second_writer_process_is_refused_at_once(tmp_path: Path, knowledge: Path) -> None:
    copy_guides(knowledge, "data-scientist.md")
    index = tmp_path / "index"
    with Store(index).writer_lock():
        started = time.monotonic()
        result = subprocess.run(
            ingest_command(knowledge, index, "--json"),
            cwd=ROOT,
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert "another ingest is already writing the index" in result.stderr
    assert f"process {os.getpid()}" in result.stderr
    assert "already writing" in json.loads(result.stdout)["error"]
    assert elapsed < 20, f"refusal took {elapsed:.1f}s"
    assert not (index / RECORD_FILE).exists()


def test_fixture_guides_keep_their_facts_apart(knowledge: Path, store: Store, hash_embedder: HashEmbedder) -> None:
    copy_guides(knowledge, "seed", "data-scientist.md", "registered-nurse.txt", "web-developer.html")
    report = run(knowledge, store, hash_embedder)
    assert report.errors == [] and report.guides == 4
    by_source: dict[str, str] = {}
    for chunk in store.record.state().chunks.values():
        by_source[chunk.source] = by_source.get(chunk.source, "") + chunk.text
    facts = {
        SEED_NAME: OLD_SALARY,
        "data-scientist.md": "$103,500",
        "registered-nurse.txt": "$86,070",
        "web-developer.html": "$78,580",
    }
    for source, fact in facts.items():
        assert [s for s, text in by_source.items() if fact in text] == [source]
    for leaked in ("SCRIPT_SHOULD_NEVER_APPEAR", "style-marker", "font-family"):
        assert leaked not in json.dumps(by_source)
    assert (DATA / "web-developer.html").read_text().count("SCRIPT_SHOULD_NEVER_APPEAR") == 2


def test_a_dry_run_lists_sections_added_changed_and_removed_by_heading(
    knowledge: Path, store: Store, hash_embedder: HashEmbedder
) -> None:
    copy_guides(knowledge, "seed", "ux-designer-web.md", "data-scientist.md")
    first = run(knowledge, store, hash_embedder)
    by_source = {g.source: g for g in first.per_guide}
    assert by_source[SEED_NAME].added[0] == "What does a Machine Learning Engineer do?"
    assert by_source[SEED_NAME].dropped == () and by_source[SEED_NAME].new
    assert f"{SEED_NAME}: new guide, 6 section(s) added" in first.summary()
    web = by_source["ux-designer-web.md"]
    assert web.dropped_counts()["toc directive"] == 1 and web.dropped_counts()["prompt list"] == 1

    edit(knowledge / SEED_NAME, OLD_SALARY, NEW_SALARY)
    edit(knowledge / SEED_NAME, "## Machine Learning Engineer Job Description Sample", "## Sample job advert")
    (knowledge / "data-scientist.md").unlink()
    report = run(knowledge, store, hash_embedder, dry_run=True)
    seed = next(g for g in report.per_guide if g.source == SEED_NAME)
    assert not seed.new
    assert seed.added == ["Sample job advert"]
    assert seed.changed == ["What is the job outlook for a Machine Learning Engineer?"]
    assert seed.removed == ["Machine Learning Engineer Job Description Sample"]
    gone = next(g for g in report.per_guide if g.source == "data-scientist.md")
    assert gone.removed[0] == "What does a Data Scientist do?" and not gone.added
    web_again = next(g for g in report.per_guide if g.source == "ux-designer-web.md")
    assert (web_again.added, web_again.changed, web_again.removed) == ([], [], [])

    summary = report.summary()
    assert f"{SEED_NAME}: sections would be added: Sample job advert" in summary
    assert "data-scientist.md: sections would be removed: What does a Data Scientist do?" in summary
    assert "ux-designer-web.md: left out 9 block(s)" in summary
    assert "  - prompt list: ChatGPT Prompts: 1. Write" in summary
    data = json.loads(json.dumps(report.to_dict()))
    assert {"guides", "added", "updated", "removed", "embedded", "errors"} <= set(data)
    seed_json = next(g for g in data["per_guide"] if g["source"] == SEED_NAME)
    assert seed_json["sections"] == {
        "added": ["Sample job advert"],
        "changed": ["What is the job outlook for a Machine Learning Engineer?"],
        "removed": ["Machine Learning Engineer Job Description Sample"],
    }
    web_json = next(g for g in data["per_guide"] if g["source"] == "ux-designer-web.md")
    assert web_json["dropped"]["unknown tag"] == 2
    assert {"reason": "bare url", "words": "https://example.org/salaries?utm_campaign=spring&ref=guide"} in web_json[
        "dropped_blocks"
    ]


def test_web_guides_through_the_real_model_and_chroma_answer_from_content_not_noise(
    knowledge: Path, store: Store, real_embedder: Any
) -> None:
    from test_documents import TRADE_PDF_PAGES, make_pdf

    from chatbot.retrieval import Index

    copy_guides(knowledge, "seed", "ux-designer-web.md", "lifeguard.html")
    (knowledge / "trade-profile.pdf").write_bytes(make_pdf(TRADE_PDF_PAGES))
    report = run(knowledge, store, real_embedder)
    assert report.errors == []
    roles = {g.source: g.role for g in store.record.state().guides.values()}
    assert roles == {SEED_NAME: "Machine Learning Engineer", "ux-designer-web.md": "UX Designer",
                     "lifeguard.html": "Lifeguard", "trade-profile.pdf": "Electrician"}
    index = Index(store, real_embedder)
    pay = index.search("how much do ux designers earn in top tech hubs", k=3)
    assert "Location: Top tech hubs; Salary: Up to $200,000+" in pay.hits[0].row.text
    lifeguard = index.search("what are the entry requirements to be a lifeguard", k=3)
    assert "at least 16 years old" in lifeguard.hits[0].row.text
    wiring = index.search("what else may construction electricians do", k=3).hits[0].row
    assert wiring.metadata["page"] == 2  # one joined sentence, cited with its page
    assert "Construction electricians may also repair lighting systems" in wiring.text
    for question in ("table of contents", "write a detailed comparison of ux design careers", "share on social media",
                     "who is the author", "current vacancies leisure assistant", "accept cookies"):
        for hit in index.search(question, k=4).hits:
            for noise in ("{:toc}", "Write a detailed", "Twitter", "Jordan Vale", "Leisure Assistant", "cookies",
                          "Example Trade Board"):
                assert noise not in hit.row.text, (question, noise)


def test_sentences_and_vectors_are_written_batch_by_batch_before_the_switch(
    knowledge: Path, store: Store, hash_embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatbot import indexing

    copy_guides(knowledge, "seed", "data-scientist.md")
    monkeypatch.setattr(indexing, "BATCH", 2)
    calls: list[tuple[int, int, int]] = []  # (chunk hashes in the call, committed version, chunks in Chroma)
    add_sentences = store.record.add_sentences

    def counting(rows: Any, chunk_texts: Any) -> None:
        written = sum(store.collection(n).count() for n in store.collection_names())
        calls.append((len({h for h, *_ in rows}), store.record.version(), written))
        add_sentences(rows, chunk_texts)

    monkeypatch.setattr(store.record, "add_sentences", counting)
    report = run(knowledge, store, hash_embedder)
    hashes = {c.hash for c in store.record.state().chunks.values()}
    assert len(calls) == -(-len(hashes) // 2) > 2  # one call per batch of two chunks, not one for the corpus
    assert all(n <= 2 and version == 0 for n, version, _ in calls)  # all written before the one switch
    assert [written for *_, written in calls] == [2 * k for k in range(len(calls))]  # Chroma, batch by batch too
    assert report.sentences_embedded == sum(len(split_sentences(c.text)) for c in store.record.state().chunks.values())
    assert_consistent(store)


def test_a_failure_mid_ingest_leaves_the_old_version_answering(
    knowledge: Path, store: Store, hash_embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatbot import indexing

    copy_guides(knowledge, "seed", "data-scientist.md")
    run(knowledge, store, hash_embedder)
    before = store.record.state()
    old_sentences = store.record.sentences(sorted({c.hash for c in before.chunks.values()}))
    edit(knowledge / SEED_NAME, OLD_SALARY, NEW_SALARY)
    copy_guides(knowledge, "registered-nurse.txt")

    class Failing(HashEmbedder):
        def embed(self, texts: list[str]) -> Any:
            if self.calls >= 2:  # the first batch's chunks and sentences went through
                raise RuntimeError("the model died")
            return super().embed(texts)

    monkeypatch.setattr(indexing, "BATCH", 2)
    with pytest.raises(RuntimeError, match="model died"):
        run(knowledge, store, Failing())
    assert store.record.state() == before
    got = store.collection(before.collection).get(ids=list(before.chunks), include=[])
    assert set(got["ids"]) == set(before.chunks)
    after = store.record.sentences(sorted(old_sentences))
    assert {h: [t for t, _ in rows] for h, rows in after.items()} == {
        h: [t for t, _ in rows] for h, rows in old_sentences.items()}

    report = run(knowledge, store, hash_embedder)  # the next ingest finishes the job and sweeps the leftovers
    assert report.errors == [] and report.version == before.version + 1
    assert_consistent(store)
    assert any(NEW_SALARY in t for t in texts(store)) and not any(OLD_SALARY in t for t in texts(store))
