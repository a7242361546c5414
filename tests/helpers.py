"""Small builders shared by tests: an index of fixture guides made with the fast hash embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

from chatbot.chain import build_chain
from chatbot.embeddings import Embedder, HashEmbedder
from chatbot.indexing import ingest
from chatbot.retrieval import Index
from chatbot.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEED = ROOT / "knowledge" / "machine-learning-engineer.md"


class DenseHashEmbedder(HashEmbedder):
    """The hash embedder plus a little per-text noise: dense vectors, on which HNSW search is reliable."""

    def embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
        import hashlib

        import numpy as np

        vectors = super().embed(texts)
        for row, text in enumerate(texts):
            seed = int(hashlib.md5(text.encode()).hexdigest()[:8], 16)
            vectors[row] += 0.05 * np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            vectors[row] /= np.linalg.norm(vectors[row])
        return vectors


def make_index(tmp: Path, *guides: str, embedder: Embedder | None = None) -> tuple[Path, Index]:
    """Copy guides ('seed' or a tests/data name) into tmp/knowledge, ingest into tmp/index, return both."""
    knowledge = tmp / "knowledge"
    knowledge.mkdir(exist_ok=True)
    for name in guides:
        source = SEED if name == "seed" else DATA / name
        shutil.copy(source, knowledge / source.name)
    embedder = embedder or HashEmbedder()
    store = Store(tmp / "index")
    report = ingest(knowledge, store, embedder, max_bytes=10 * 1024 * 1024)
    assert not report.errors, report.errors
    return knowledge, Index(store, embedder)


def make_chain(index: Index):  # type: ignore[no-untyped-def]
    """The real chain over an index (the gate is lowered for the hash embedder's weak similarities)."""
    return build_chain(index, min_evidence=0.0 if isinstance(index.embedder, HashEmbedder) else 0.28)
