"""Sections tagged with the topic they are about: the embedding model's vector of each chunk against topic
descriptions (not word lists), at ingest, so retrieval can favour the section on the topic asked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np

from chatbot.embeddings import Embedder
from chatbot.question import TOPIC_DESCRIPTIONS, Topic

MIN_TAG_SCORE = 0.3  # below it a chunk is on no topic (link lists, "Future Reading"), measured on real guides
_TOPICS = list(TOPIC_DESCRIPTIONS)


@lru_cache(maxsize=8)
def version(model: str) -> str:
    """What a tag depends on besides the chunk: the model and the descriptions (a change tags everything again);
    kept per model, as retrieval asks on every question."""
    facts = [model, MIN_TAG_SCORE, [(t.name, TOPIC_DESCRIPTIONS[t]) for t in _TOPICS]]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:12]


def described(embedder: Embedder) -> np.ndarray:
    """The topic descriptions' vectors, one row per topic, in `Topic` order (once per model and process)."""
    if embedder.name not in _DESCRIBED:
        _DESCRIBED[embedder.name] = embedder.embed([TOPIC_DESCRIPTIONS[t] for t in _TOPICS])
    return _DESCRIBED[embedder.name]


_DESCRIBED: dict[str, np.ndarray] = {}


def tag(vectors: np.ndarray | Sequence[np.ndarray] | Sequence[Sequence[float]], descriptions: np.ndarray
        ) -> list[Topic | None]:
    """The topic each vector is nearest to, or None when none is near enough."""
    rows = np.asarray(vectors, dtype=np.float32)
    if not len(rows):
        return []
    near = rows @ descriptions.T
    best = np.argmax(near, axis=1)
    return [_TOPICS[b] if near[i, b] >= MIN_TAG_SCORE else None for i, b in enumerate(best)]


def stored(metadata: dict[str, object], current: str) -> Topic | Literal[False] | None:
    """The topic a chunk's metadata records for this tagger version: a Topic, None (on no topic), or False when
    the chunk was not tagged by this version."""
    if metadata.get("tagged") != current:
        return False
    name = str(metadata.get("topic") or "")
    return Topic[name] if name in Topic.__members__ else None
