"""Shared fixtures, and a guard that fails any test that tries to download a model."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
# A developer's own CAREERBOT_* settings must not change what the tests see (CAREERBOT_CHROMIUM is not a setting).
for _name in [n for n in os.environ if n.startswith("CAREERBOT_") and n != "CAREERBOT_CHROMIUM"]:
    del os.environ[_name]

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED = ROOT / "knowledge" / "machine-learning-engineer.md"


class DownloadAttempted(AssertionError):
    """Raised when code under test reaches for a model hub or Chroma's own embedder."""


def _refuse(*args: object, **kwargs: object) -> None:
    raise DownloadAttempted(f"a test tried to download a model or embed with Chroma's default: {args[:2]}")


@pytest.fixture(autouse=True, scope="session")
def no_downloads() -> Iterator[None]:
    """Fail loudly if anything tries a hub download or Chroma's default embedding function."""
    patches = []
    import huggingface_hub
    import huggingface_hub.file_download as file_download

    for module, name in [
        (huggingface_hub, "hf_hub_download"),
        (huggingface_hub, "snapshot_download"),
        (file_download, "hf_hub_download"),
    ]:
        patches.append((module, name, getattr(module, name)))
        setattr(module, name, _refuse)
    from chromadb.utils.embedding_functions import onnx_mini_lm_l6_v2

    cls = onnx_mini_lm_l6_v2.ONNXMiniLM_L6_V2
    for name in ("__call__", "_download_model_if_not_exists"):
        patches.append((cls, name, getattr(cls, name)))
        setattr(cls, name, _refuse)
    yield
    for owner, name, original in patches:
        setattr(owner, name, original)


@pytest.fixture
def hash_embedder():  # type: ignore[no-untyped-def]
    """A fast deterministic embedder for unit tests."""
    from chatbot.embeddings import HashEmbedder

    return HashEmbedder()


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    """The packaged MiniLM, loaded once for the whole run."""
    from chatbot.embeddings import make_embedder

    return make_embedder()


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """An empty knowledge folder; tests copy guides in."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    return folder


def copy_guides(folder: Path, *names: str) -> None:
    """Copy fixture guides (from tests/data) or the seed guide ('seed') into a folder."""
    for name in names:
        source = SEED if name == "seed" else DATA / name
        shutil.copy(source, folder / source.name)
