"""Query encoders: the ONNX MiniLM (float32, and int8), exported here from the packaged model, agrees with torch."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ROOT
from index_helpers import close

from chatbot import encoders
from chatbot.calibration import calibrate, save, stale, stored
from chatbot.config import Settings
from chatbot.embeddings import HashEmbedder, SentenceTransformerEmbedder
from chatbot.encoders import FILE, OnnxEncoder, cache_key, encoder_kind, make_query_encoder
from chatbot.errors import ConfigError
from chatbot.evaluation import load_cases
from chatbot.retrieval import Index
from chatbot.store import Store

pytest_plugins = ["fixtures_index"]

TEXTS = [
    "How do I become a machine learning engineer?",
    "hi",
    "What does a data analyst earn, and which skills matter most for a first job in the field?",
    "Software engineers design, build and test programs. " * 40,  # past the 256-token window: cut like torch
]


@pytest.fixture(scope="module")
def xdg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache home of this module's own: $XDG_CACHE_HOME for subprocesses, its careerbot/onnx for encoders."""
    return tmp_path_factory.mktemp("xdg")


@pytest.fixture(scope="module")
def onnx_encoder(xdg: Path) -> OnnxEncoder:
    """The default (float32) encoder, exported once for this module from the packaged model (a few seconds)."""
    encoder = OnnxEncoder(cache=xdg / "careerbot" / "onnx")
    encoder.embed(["warm up"])
    return encoder


def test_vectors_are_unit_length_and_close_to_the_torch_models(onnx_encoder: OnnxEncoder, real_embedder: Any) -> None:
    ours, theirs = onnx_encoder.embed(TEXTS), real_embedder.embed(TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.99999, cosines  # float32: torch's own vectors, so near-ties rank as torch ranks them
    assert onnx_encoder.name == real_embedder.name  # the index's vectors are this model's: no re-ingest


@pytest.mark.slow
def test_the_int8_export_is_close_to_the_torch_models_vectors(tmp_path: Path, real_embedder: Any) -> None:
    int8 = OnnxEncoder(cache=tmp_path / "onnx", kind="onnx-int8")  # a second export: a few seconds more
    cosines = (int8.embed(TEXTS) * real_embedder.embed(TEXTS)).sum(axis=1)
    assert cosines.min() >= 0.97 and cosines.max() < 0.99999, cosines  # quantized: close, not the same
    assert 10_000_000 < int8.file.stat().st_size < 60_000_000  # int8 weights, float32 feed-forward outputs


def test_a_batch_of_different_lengths_gives_each_texts_own_vector(onnx_encoder: OnnxEncoder) -> None:
    batch = onnx_encoder.embed(TEXTS)
    alone = np.vstack([onnx_encoder.embed([t]) for t in TEXTS])
    assert np.allclose(batch, alone, atol=1e-6)  # no padding leaks into a vector
    assert onnx_encoder.embed([]).shape == (0, 384)
    assert not np.allclose(batch[0], batch[2])


def test_the_export_is_cached_by_model_and_versions(onnx_encoder: OnnxEncoder) -> None:
    file = onnx_encoder.file
    assert file.is_file() and file.name == FILE and file.parent.name == cache_key(encoders.model_path(""))
    assert cache_key(encoders.model_path(""), "onnx-int8") != file.parent.name  # int8 is kept apart
    assert file.stat().st_size > 80_000_000  # float32 weights, not quantized
    assert [p.name for p in file.parent.iterdir() if p.name not in (FILE, ".lock")] == []  # no temp files left


def test_a_corrupt_cached_file_is_exported_again(onnx_encoder: OnnxEncoder, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    good = onnx_encoder.file
    calls: list[Path] = []

    def export(folder: str, target: Path, int8: bool) -> None:  # one real export per run is enough: copy it
        calls.append(target)
        shutil.copy(good, target)

    monkeypatch.setattr(encoders, "export", export)
    fresh = OnnxEncoder(cache=tmp_path / "onnx")
    fresh.file.parent.mkdir(parents=True)
    fresh.file.write_bytes(good.read_bytes()[: good.stat().st_size // 3])  # cut short, as by a crash
    with caplog.at_level(logging.WARNING, logger="chatbot.encoders"):
        vector = fresh.embed(["How do I become a machine learning engineer?"])
    assert calls == [fresh.file] and "does not load" in caplog.text
    assert np.allclose(vector, onnx_encoder.embed(["How do I become a machine learning engineer?"]), atol=1e-6)
    OnnxEncoder(cache=tmp_path / "onnx").embed(["again"])
    assert len(calls) == 1  # a good file is reused


def test_a_failed_export_is_one_config_error_naming_the_way_out(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def export(folder: str, target: Path, int8: bool) -> None:
        raise RuntimeError("exporter broke")

    monkeypatch.setattr(encoders, "export", export)
    with pytest.raises(ConfigError) as raised:
        OnnxEncoder(cache=tmp_path / "onnx").embed(["hello"])
    message = str(raised.value)
    assert "\n" not in message and "exporter broke" in message and "CAREERBOT_QUERY_ENCODER=torch" in message


def own_copy(seed_index: Path, tmp_path: Path) -> Path:
    """A copy of the session's seed index: closing an index stops the Chroma system every index of its folder
    shares in this process, and the session's own readers must keep theirs."""
    shutil.copytree(seed_index, tmp_path / "seed-index")
    return tmp_path / "seed-index"


def test_the_setting_chooses_the_encoder(seed_index: Path, tmp_path: Path) -> None:
    from chatbot.service import open_index

    seed_index = own_copy(seed_index, tmp_path)
    assert Settings().query_encoder == "onnx"
    default = open_index(Settings(index_dir=seed_index))
    torch = open_index(Settings(index_dir=seed_index, query_encoder="torch"))
    int8 = open_index(Settings(index_dir=seed_index, query_encoder="onnx-int8"))
    try:
        assert isinstance(default.query_encoder, OnnxEncoder) and encoder_kind(default.query_encoder) == "onnx"
        assert isinstance(int8.query_encoder, OnnxEncoder) and encoder_kind(int8.query_encoder) == "onnx-int8"
        assert isinstance(default.embedder, SentenceTransformerEmbedder)  # documents: still the torch model
        assert torch.query_encoder is torch.embedder and encoder_kind(torch.query_encoder) == "torch"
    finally:
        close(default)
        close(torch)
        close(int8)


def test_an_unknown_encoder_is_one_config_error() -> None:
    with pytest.raises(ConfigError) as raised:
        make_query_encoder("fast", SentenceTransformerEmbedder())
    assert str(raised.value) == "CAREERBOT_QUERY_ENCODER='fast' is not one of: onnx, onnx-int8, torch"
    with pytest.raises(ConfigError, match="embedded with"):
        make_query_encoder("onnx-int8", HashEmbedder())  # its vectors would not be comparable


def test_through_a_real_index_the_onnx_encoder_finds_what_torch_finds(
    seed_index: Path, real_embedder: Any, onnx_encoder: OnnxEncoder, tmp_path: Path
) -> None:
    seed_index = own_copy(seed_index, tmp_path)
    with_torch = Index(Store(seed_index), real_embedder)
    with_onnx = Index(Store(seed_index), real_embedder, onnx_encoder)
    try:
        questions = [c.question for c in load_cases(ROOT / "eval" / "dev.jsonl")]
        first = questions[0]
        assert with_onnx.search(first, 4).hits[0].row.id == with_torch.search(first, 4).hits[0].row.id
        # The same four chunks for every dev question; their order may differ where two tie in the fused rank
        # (seen once: "Is a master's degree needed?", two chunks at 0.0325, one dense rank apart).
        differ = [q for q in questions if {h.row.id for h in with_torch.search(q, 4).hits}
                  != {h.row.id for h in with_onnx.search(q, 4).hits}]
        assert differ == []
    finally:
        close(with_torch)
        close(with_onnx)


def test_switching_the_encoder_makes_the_calibration_stale(tmp_path: Path, real_embedder: Any,
                                                           onnx_encoder: OnnxEncoder) -> None:
    from index_helpers import build_index

    from chatbot.service import recalibrate_if_stale

    (tmp_path / "knowledge").mkdir()
    with_torch = build_index(tmp_path / "knowledge", tmp_path / "index", real_embedder, "seed")
    with_onnx = Index(with_torch.store, real_embedder, onnx_encoder)
    try:
        before = calibrate(with_torch, [ROOT / "eval" / "dev.jsonl"])
        save(with_torch, before)
        assert before.query_encoder == "torch" and stored(with_torch) == before
        assert stored(with_onnx) is None and stale(with_onnx) == before
        recalibrate_if_stale(with_onnx)
        after = stored(with_onnx)
        assert after is not None and after.query_encoder == "onnx" and after.errors == before.errors == 0
        assert abs(after.min_evidence - before.min_evidence) < 0.05
    finally:
        close(with_onnx)


def test_answering_with_onnx_imports_neither_torch_nor_sentence_transformers(
    seed_index: Path, xdg: Path, onnx_encoder: OnnxEncoder
) -> None:
    script = (
        "import sys, json; from chatbot.service import answer_function, load_settings; "
        f"answer = answer_function(load_settings(index_dir={str(seed_index)!r})); "
        "a = answer('How long does it take to become a machine learning engineer?', []); "
        "print(json.dumps([bool(a.text), *(m in sys.modules for m in "
        "('torch', 'sentence_transformers', 'transformers'))]))"
    )
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "XDG_CACHE_HOME": str(xdg), "HOME": str(xdg)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, False, False, False], out.stderr
