"""Sections tagged with their topic at ingest, by the embedding model against topic descriptions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
from index_helpers import MAX_BYTES, close, guides_index

from chatbot import tagging
from chatbot.embeddings import HashEmbedder
from chatbot.indexing import ingest
from chatbot.question import Topic
from chatbot.retrieval import Index

pytest_plugins = ["fixtures_index"]


def test_a_vector_takes_the_nearest_description_if_near_enough() -> None:
    descriptions = np.eye(len(Topic), 4 + len(Topic), dtype=np.float32)
    near_pay = descriptions[list(Topic).index(Topic.PAY)] * 0.9
    far = np.zeros(4 + len(Topic), dtype=np.float32)
    far[-1] = 1.0
    assert tagging.tag(np.stack([near_pay, far]), descriptions) == [Topic.PAY, None]


def test_the_version_follows_the_model() -> None:
    assert tagging.version("a") != tagging.version("b")
    assert tagging.stored({"topic": "PAY", "tagged": tagging.version("a")}, tagging.version("a")) is Topic.PAY
    assert tagging.stored({"topic": "", "tagged": tagging.version("a")}, tagging.version("a")) is None
    assert tagging.stored({"topic": "PAY", "tagged": tagging.version("a")}, tagging.version("b")) is False


def test_ingest_tags_sections_with_the_real_model(seed: Index) -> None:
    topics = {str(r.metadata["section"]): r.metadata.get("topic") for r in seed.snapshot().rows}
    assert topics["What is the job outlook for a Machine Learning Engineer?"] == "OUTLOOK"
    assert topics["How long does it take to become a Machine Learning Engineer?"] == "DURATION"


def test_an_index_tagged_otherwise_is_tagged_again_by_the_next_ingest(tmp_path: Path) -> None:
    index = guides_index(tmp_path, {"courier.md": "# Courier Guide\n\n## Pay\n\nCouriers earn $40,000 a year.\n"})
    record = tmp_path / "index" / "record.sqlite3"
    close(index)
    with sqlite3.connect(record) as db:  # as an index written before tagging
        rows = db.execute("SELECT id, metadata FROM chunks").fetchall()
        for chunk_id, meta in rows:
            clean = {k: v for k, v in json.loads(meta).items() if k not in ("topic", "tagged")}
            db.execute("UPDATE chunks SET metadata=? WHERE id=?", (json.dumps(clean), chunk_id))
    index = Index(index.store.__class__(tmp_path / "index"), HashEmbedder())
    try:
        ingest(tmp_path / "knowledge", index.store, HashEmbedder(), max_bytes=MAX_BYTES)
        state = index.store.record.state()
        assert all(c.metadata.get("tagged") == tagging.version(HashEmbedder.name) for c in state.chunks.values())
    finally:
        close(index)
