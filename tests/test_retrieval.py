"""Hybrid retrieval: dense + BM25 fused by reciprocal rank, typo correction, aliases, following new ingests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from index_helpers import FIXTURE_GUIDES, MAX_BYTES, build_index, close
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from chatbot.embeddings import HashEmbedder
from chatbot.indexing import ingest
from chatbot.retrieval import RRF_K, HybridRetriever, Index

pytest_plugins = ["fixtures_index"]


def rrf(*rankings: list[tuple[str, float]]) -> dict[str, float]:
    """Reciprocal rank fusion written out: each ranking adds 1 / (60 + rank), ranks from 1."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (60 + rank)
    return fused


@pytest.mark.parametrize(
    "query",
    [
        "How long does it take to become a Registered Nurse?",
        "What is the salary of a Web Developer?",
        "pandas SQL notebooks",
        "NCLEX",
        "weather in London",
    ],
)
def test_fusion_order_and_scores(roles_index: Index, query: str) -> None:
    snapshot = roles_index.snapshot()
    n = len(snapshot.rows)
    search = roles_index.search(query, k=n, depth=n)
    dense = roles_index._dense(snapshot, search.vector, n)
    lexical = roles_index._bm25(snapshot, search.query, n)
    expected = rrf(dense, lexical)
    assert RRF_K == 60
    # Every chunk either ranker found is returned, best fused score first, ties in guide order.
    assert [h.row.id for h in search.hits] == sorted(expected, key=lambda i: (-expected[i], snapshot.position[i]))
    for hit in search.hits:
        assert hit.score == pytest.approx(expected[hit.row.id])
        assert hit.dense == pytest.approx(dict(dense).get(hit.row.id, 0.0))
        assert hit.lexical == pytest.approx(dict(lexical).get(hit.row.id, 0.0))
    # The dense ranking is cosine similarity to the vectors stored in Chroma, best first.
    stored = roles_index.store.collection(snapshot.collection).get(include=["embeddings"])
    vectors = dict(zip(stored["ids"], stored["embeddings"], strict=True))
    cosine = [float(np.asarray(vectors[i]) @ search.vector) for i, _ in dense]
    assert [s for _, s in dense] == pytest.approx(cosine, abs=1e-4)
    assert cosine == sorted(cosine, reverse=True)
    # BM25 only lists chunks that share a term with the query, best first.
    assert all(score > 0 for _, score in lexical)
    assert [s for _, s in lexical] == sorted((s for _, s in lexical), reverse=True)


def test_a_chunk_first_in_both_rankings_scores_two_over_61(roles_index: Index) -> None:
    search = roles_index.search("How long does it take to become a Registered Nurse?", k=4)
    top = search.hits[0]
    assert top.row.metadata["section"] == "How long does it take to become a Registered Nurse?"
    assert top.score == pytest.approx(2 / 61)
    assert top.dense > 0 and top.lexical > 0
    assert [h.score for h in search.hits] == sorted((h.score for h in search.hits), reverse=True)


def test_a_word_only_bm25_knows_still_ranks_its_chunk_first(roles_index: Index) -> None:
    # "NCLEX" occurs in one chunk: BM25 puts it first, which lifts it above every dense-only hit.
    search = roles_index.search("NCLEX", k=4)
    assert "NCLEX" in search.hits[0].row.text
    assert search.hits[0].lexical > 0
    assert all(h.lexical == 0 for h in search.hits[1:])
    assert search.timings.keys() >= {"embed_ms", "dense_ms", "bm25_ms", "fusion_ms"}


def test_k_limits_the_hits(roles_index: Index) -> None:
    assert len(roles_index.search("salary", k=2).hits) == 2
    assert len(roles_index.search("salary", k=4).hits) == 4


def test_hybrid_retriever_is_a_langchain_retriever_returning_scored_documents(roles_index: Index) -> None:
    retriever = HybridRetriever(index=roles_index, k=3)
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke("What is the salary of a Data Scientist?")
    assert len(documents) == 3
    assert all(isinstance(d, Document) for d in documents)
    best = documents[0]
    assert "$103,500" in best.page_content
    assert best.metadata["section"] == "What is the salary of a Data Scientist?"
    assert best.metadata["source"] == "data-scientist.md"
    live = {r.id: r for r in roles_index.snapshot().rows}
    for document in documents:
        assert document.id == document.metadata["id"]
        assert live[document.id].text == document.page_content
        assert {"score", "dense", "bm25"} <= document.metadata.keys()
    scores = [d.metadata["score"] for d in documents]
    assert scores == sorted(scores, reverse=True)
    assert len({d.id for d in documents}) == 3


def test_bm25_follows_an_ingest_without_a_new_index_object(tmp_path: Path, hash_embedder: Any) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    index = build_index(knowledge, tmp_path / "index", hash_embedder, *FIXTURE_GUIDES)
    try:
        before = index.search("NCLEX licensing exam", k=4)
        assert "NCLEX" in before.hits[0].row.text and before.hits[0].lexical > 0
        assert index.search("zephyrium", k=4).hits[0].lexical == 0

        guide = knowledge / "registered-nurse.txt"
        guide.write_text(guide.read_text().replace("NCLEX-RN", "ZEPHYRIUM"))
        ingest(knowledge, index.store, hash_embedder, max_bytes=MAX_BYTES)

        after = index.search("zephyrium", k=4)
        assert after.snapshot.version > before.snapshot.version
        assert "ZEPHYRIUM" in after.hits[0].row.text and after.hits[0].lexical > 0
        gone = index.search("NCLEX", k=20)
        assert all("NCLEX" not in h.row.text for h in gone.hits)
        assert all(h.lexical == 0 for h in gone.hits)
        # A removed guide leaves retrieval as well.
        (knowledge / "web-developer.html").unlink()
        ingest(knowledge, index.store, hash_embedder, max_bytes=MAX_BYTES)
        sources = {h.row.source for h in index.search("web developer salary", k=20).hits}
        assert "web-developer.html" not in sources
        assert index.snapshot().roles.names == ["Data Scientist", "Registered Nurse"]
    finally:
        close(index)


def test_an_unchanged_index_keeps_its_snapshot(roles_index: Index) -> None:
    assert roles_index.snapshot() is roles_index.snapshot()


@pytest.fixture(scope="module")
def seed_hash_index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("seed-hash")
    (base / "knowledge").mkdir()
    index = build_index(base / "knowledge", base / "index", HashEmbedder(), "seed", *FIXTURE_GUIDES)
    yield index
    close(index)


@pytest.mark.parametrize(
    ("typed", "corrected"),
    [
        (
            "how lnog does it tak to becme a machne learning enginer",
            "how long does it take to become a machine learning engineer",
        ),
        ("salry of a data scientst", "salary of a data scientist"),
        ("What is the SALARY???", "what is the salary"),
        ("tensorflow 2024 tips", "tensorflow 2024 tips"),  # known words and numbers stay as typed
    ],
)
def test_typos_are_corrected_against_the_guides_words(seed_hash_index: Index, typed: str, corrected: str) -> None:
    assert seed_hash_index.correct(typed, seed_hash_index.snapshot()) == corrected


def test_words_far_from_any_guide_word_are_left_alone(seed_hash_index: Index) -> None:
    assert seed_hash_index.correct("quantum xylophone", seed_hash_index.snapshot()) == "quantum xylophone"


@pytest.mark.parametrize(
    ("typed", "expanded"),
    [
        ("ml engineer salary", "machine learning engineer salary"),
        ("how do ml engineers start", "how do machine learning engineers start"),
        ("is mle a good career", "is machine learning engineer a good career"),
        ("what does an rn do", "what does an registered nurse do"),
        ("ds salary", "data scientist salary"),
    ],
)
def test_role_aliases_expand_to_the_guides_own_words(seed_hash_index: Index, typed: str, expanded: str) -> None:
    assert seed_hash_index.correct(typed, seed_hash_index.snapshot()) == expanded


def test_an_alias_query_finds_the_role_section(seed_hash_index: Index) -> None:
    search = seed_hash_index.search("ml engineer salary", k=4)
    assert search.query == "machine learning engineer salary"
    full = seed_hash_index.search("machine learning engineer salary", k=4)
    assert [h.row.id for h in search.hits] == [h.row.id for h in full.hits]
    assert {h.row.source for h in search.hits} == {"machine-learning-engineer.md"}
    assert any("$112,430" in h.row.text for h in search.hits)


def test_hostile_queries_search_without_errors(roles_index: Index) -> None:
    for query in ["", "   ", "\x00", "?!", "<script>alert(1)</script>", "x" * 5000]:
        assert len(roles_index.search(query, k=3).hits) <= 3


# --- the real model on the seed guide ------------------------------------------------------------------


def test_a_misspelled_how_long_question_finds_the_how_long_section(seed: Index) -> None:
    search = seed.search("how lnog does it tak to becme a machne learning enginer", k=4)
    assert search.query == "how long does it take to become a machine learning engineer"
    top = search.hits[0]
    assert top.row.metadata["section"] == "How long does it take to become a Machine Learning Engineer?"
    assert "about four years" in top.row.text


def test_a_shouted_salary_question_finds_the_salary_figure(seed: Index) -> None:
    search = seed.search("WHAT IS THE SALARY???", k=4)
    assert search.query == "what is the salary"
    sections = [h.row.metadata["section"] for h in search.hits[:2]]
    assert "What is the job outlook for a Machine Learning Engineer?" in sections
    assert any("$112,430" in h.row.text for h in search.hits[:2])


def test_the_real_retriever_survives_unencodable_text(seed: Index) -> None:
    # A lone surrogate cannot be encoded; it is dropped rather than handed to the tokenizer.
    for query in ["\ud800", "?\udfff", "salary \ud800"]:
        documents = HybridRetriever(index=seed, k=2).invoke(query)
        assert len(documents) == 2
