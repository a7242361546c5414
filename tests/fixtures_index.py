"""Indexes the answer-side tests share: one real-model index of the seed guide per run, hash-embedder ones on demand.

A test module loads these fixtures with `pytest_plugins = ["fixtures_index"]` (registered once, so the
session-scoped ones really are built once per run; importing the fixture functions would build one per module).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from index_helpers import FIXTURE_GUIDES, build_index, close

from chatbot.retrieval import Index
from chatbot.store import Store


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Path:
    """The folder of a real-model index of the seed guide (built once per run, ~5-8 s)."""
    base = tmp_path_factory.mktemp("seed")
    knowledge = base / "knowledge"
    knowledge.mkdir()
    close(build_index(knowledge, base / "index", real_embedder, "seed"))
    return base / "index"


@pytest.fixture(scope="session")
def seed(seed_index: Path, real_embedder: Any) -> Iterator[Index]:
    """The read side of the real-model seed index."""
    index = Index(Store(seed_index), real_embedder)
    yield index
    close(index)


@pytest.fixture(scope="session")
def seed_chain(seed: Index) -> Any:
    """The answer chain over the real-model seed index."""
    from chatbot.chain import build_chain

    return build_chain(seed)


@pytest.fixture(scope="module")
def roles_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    """A hash-embedder index of the three fixture guides (three roles, no model)."""
    from chatbot.embeddings import HashEmbedder

    base = tmp_path_factory.mktemp("roles")
    (base / "knowledge").mkdir()
    index = build_index(base / "knowledge", base / "index", HashEmbedder(), *FIXTURE_GUIDES)
    yield index
    close(index)
