"""Hybrid retrieval: dense + BM25 fused by reciprocal rank, typo correction, aliases, following new ingests."""

from __future__ import annotations

import gc
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from index_helpers import FIXTURE_GUIDES, MAX_BYTES, build_index, close
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from chatbot import retrieval
from chatbot.chain import ask
from chatbot.embeddings import HashEmbedder
from chatbot.indexing import ingest
from chatbot.retrieval import RRF_K, HybridRetriever, Index, Snapshot
from chatbot.store import SqliteRecord, Store
from tests.helpers import make_chain

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
        index.refresh()  # what a writer in this process does: its next answer uses what it wrote

        after = index.search("zephyrium", k=4)
        assert after.snapshot.version > before.snapshot.version
        assert "ZEPHYRIUM" in after.hits[0].row.text and after.hits[0].lexical > 0
        gone = index.search("NCLEX", k=20)
        assert all("NCLEX" not in h.row.text for h in gone.hits)
        assert all(h.lexical == 0 for h in gone.hits)
        # A removed guide leaves retrieval as well.
        (knowledge / "web-developer.html").unlink()
        ingest(knowledge, index.store, hash_embedder, max_bytes=MAX_BYTES)
        index.refresh()
        sources = {h.row.source for h in index.search("web developer salary", k=20).hits}
        assert "web-developer.html" not in sources
        assert index.snapshot().roles.names == ["Data Scientist", "Registered Nurse"]
    finally:
        close(index)


def test_an_unchanged_index_keeps_its_snapshot(roles_index: Index) -> None:
    assert roles_index.snapshot() is roles_index.snapshot()


class SlowBuild:
    """Index._load held until released: a snapshot build as long as a test needs (no timing), failing `fail` times."""

    def __init__(self, index: Index, fail: int = 0) -> None:
        self.real, self.fail = index._load, fail
        self.started, self.release = threading.Event(), threading.Event()
        self.builds: list[str] = []
        self.collecting: list[bool] = []  # whether the garbage collector ran during each build
        index._load = self  # type: ignore[method-assign]

    def __call__(self) -> Snapshot:
        self.builds.append(threading.current_thread().name)
        self.collecting.append(gc.isenabled())
        built = self.real()  # the version committed now; the test may commit another while this one is held
        self.started.set()
        assert self.release.wait(60), "the test never released the build"
        if self.fail:
            self.fail -= 1
            raise RuntimeError("build failed on purpose")
        return built


def in_thread(work: Any) -> Any:
    """Run work() in another thread; a request that waited for the build would still be running after 30 s."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the request waited for the background build"
    return out[0]


@pytest.fixture
def edited(tmp_path: Path, hash_embedder: Any) -> Iterator[tuple[Path, Index]]:
    """The fixture guides indexed, with a snapshot loaded; the test edits the nurse guide and ingests."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    index = build_index(knowledge, tmp_path / "index", hash_embedder, *FIXTURE_GUIDES)
    assert index.snapshot().version == 1
    yield knowledge, index
    close(index)


def rename_exam(knowledge: Path, embedder: Any, name: str, rebuild: bool = False) -> None:
    guide = knowledge / "registered-nurse.txt"
    guide.write_text(re.sub(r"NCLEX-RN|ZEPHYRIUM|QUORBLAX", name, guide.read_text()))
    store = Store(knowledge.parent / "index")  # another writer: the reader learns of it from the record only
    ingest(knowledge, store, embedder, max_bytes=MAX_BYTES, rebuild=rebuild)
    store.record.close()  # (its Chroma system is the reader's too, in one process: left running)


def test_a_new_version_is_built_in_the_background_while_the_old_one_answers(
    edited: tuple[Path, Index], hash_embedder: Any
) -> None:
    knowledge, index = edited
    old = index.snapshot()
    build = SlowBuild(index)
    rename_exam(knowledge, hash_embedder, "ZEPHYRIUM")
    assert index.snapshot() is old  # returns at once; the build has started in the builder thread
    assert build.started.wait(30) and build.builds == ["snapshot-builder"]
    during = in_thread(lambda: index.search("NCLEX licensing exam", k=4))
    assert during.snapshot is old and "NCLEX" in during.hits[0].row.text
    assert index.snapshot() is old and build.builds == ["snapshot-builder"]  # one build, not one per request
    build.release.set()
    assert index.wait_fresh(30)
    after = index.search("zephyrium", k=4)
    assert after.snapshot.version == 2 and "ZEPHYRIUM" in after.hits[0].row.text
    assert build.builds == ["snapshot-builder"] and index.build_error is None
    assert build.collecting == [False] and gc.isenabled()  # paused for the build only


def test_a_version_that_moves_during_a_build_is_built_right_after(
    edited: tuple[Path, Index], hash_embedder: Any
) -> None:
    knowledge, index = edited
    build = SlowBuild(index)
    rename_exam(knowledge, hash_embedder, "ZEPHYRIUM")
    index.snapshot()
    assert build.started.wait(30)
    rename_exam(knowledge, hash_embedder, "QUORBLAX")  # version 3 while version 2 is being built
    build.release.set()
    assert index.wait_fresh(30)
    assert index.snapshot().version == 3 and "QUORBLAX" in index.search("quorblax", k=4).hits[0].row.text
    assert len(build.builds) == 2


def test_a_failed_background_build_is_logged_and_tried_again(
    edited: tuple[Path, Index], hash_embedder: Any, caplog: pytest.LogCaptureFixture
) -> None:
    knowledge, index = edited
    old = index.snapshot()
    build = SlowBuild(index, fail=1)
    build.release.set()
    rename_exam(knowledge, hash_embedder, "ZEPHYRIUM")
    with caplog.at_level(logging.ERROR, logger="chatbot.retrieval"):
        assert index.snapshot() is old
        for _ in range(600):
            if index.build_error is not None and index._builder is None:
                break
            threading.Event().wait(0.05)
    assert isinstance(index.build_error, RuntimeError)
    assert "building the index's new version failed" in caplog.text and "build failed on purpose" in caplog.text
    assert index.snapshot() is old  # still answering; the retry waits for retry_after_s
    index.retry_after_s = 0.0
    index._retry_at = 0.0
    assert index.wait_fresh(30)  # a later request starts the build again, and it succeeds
    assert index.snapshot().version == 2 and index.build_error is None and len(build.builds) == 2


def test_the_builders_long_record_read_does_not_hold_up_requests(
    edited: tuple[Path, Index], hash_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    knowledge, index = edited
    old = index.snapshot()
    started, release = threading.Event(), threading.Event()
    real_state = SqliteRecord.state

    def slow_state(record: SqliteRecord) -> Any:
        with record._lock:  # a read of 100k chunks holds its connection's lock for seconds
            started.set()
            assert release.wait(60)
        return real_state(record)

    rename_exam(knowledge, hash_embedder, "ZEPHYRIUM")
    monkeypatch.setattr(SqliteRecord, "state", slow_state)
    assert index.snapshot() is old and started.wait(30)
    search = in_thread(lambda: index.search("NCLEX licensing exam", k=4))  # version check on the shared record
    assert search.snapshot is old and in_thread(lambda: index.sentences(search.hits))
    release.set()
    assert index.wait_fresh(30) and index.snapshot().version == 2


def test_sentences_an_ingest_dropped_are_embedded_once_while_the_old_snapshot_answers(
    edited: tuple[Path, Index], hash_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    knowledge, index = edited
    old = index.snapshot()
    build = SlowBuild(index)
    rename_exam(knowledge, hash_embedder, "ZEPHYRIUM")  # drops the sentence vectors of the NCLEX chunks
    hits = index.search("NCLEX licensing exam", k=4).hits
    assert "NCLEX" in hits[0].row.text and index.store.record.sentences([hits[0].row.hash])[hits[0].row.hash] == []
    embedded: list[str] = []
    real_embed = index.embedder.embed
    monkeypatch.setattr(index.embedder, "embed", lambda texts: embedded.extend(texts) or real_embed(texts))
    first = in_thread(lambda: index.sentences(hits))
    calls = len(embedded)
    assert calls and any("NCLEX" in s for s, _ in first[hits[0].row.hash])
    again = index.sentences(hits)
    assert len(embedded) == calls  # the second answer reads what the first embedded
    assert [s for s, _ in again[hits[0].row.hash]] == [s for s, _ in first[hits[0].row.hash]]
    build.release.set()
    assert index.wait_fresh(30) and index.snapshot() is not old and index._reembedded == {}


@pytest.mark.parametrize("in_memory", [True, False], ids=["vectors in the snapshot", "vectors in Chroma"])
def test_a_rebuild_that_drops_the_old_collection_still_answers(
    in_memory: bool, tmp_path: Path, hash_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrieval, "IN_MEMORY_CHUNKS", 5000 if in_memory else 0)
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    index = build_index(knowledge, tmp_path / "index", hash_embedder, *FIXTURE_GUIDES)
    old = index.snapshot()
    assert (old.vectors is not None) is in_memory
    build = SlowBuild(index)
    rename_exam(knowledge, hash_embedder, "ZEPHYRIUM", rebuild=True)
    assert old.collection not in index.store.collection_names()  # the rebuild made a new one and dropped this
    answer = in_thread(lambda: ask(make_chain(index), "What is the salary of a Web Developer?"))
    assert "$" in answer.text and answer.sources
    search = in_thread(lambda: index.search("NCLEX licensing exam", k=4))
    assert search.snapshot is old and "NCLEX" in search.hits[0].row.text
    if in_memory:  # the old snapshot's own vectors still rank
        assert search.hits[0].dense > 0
    else:  # BM25 alone until the new one is in
        assert all(h.dense == 0 for h in search.hits)
    build.release.set()
    assert index.wait_fresh(30)
    after = index.search("zephyrium", k=4)
    assert after.snapshot.collection != old.collection and any(h.dense > 0 for h in after.hits)
    close(index)


def test_the_replaced_client_is_stopped_after_the_swap_and_a_late_request_still_answers(
    edited: tuple[Path, Index], hash_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    knowledge, index = edited
    monkeypatch.setattr(retrieval, "RETIRE_AFTER_S", 0.0)
    monkeypatch.setattr(retrieval, "IN_MEMORY_CHUNKS", 0)
    old = index.snapshot()
    old.vectors = None  # searched in Chroma, as an index of over IN_MEMORY_CHUNKS chunks is
    vector = index.embed_query("NCLEX licensing exam")
    assert index._dense(old, vector, 5)
    rename_exam(knowledge, hash_embedder, "ZEPHYRIUM")  # another writer: this reader opens a new client
    assert index.wait_fresh(30)
    assert old.system is not None and old.system is not index.snapshot().system

    def stopped() -> bool:
        try:
            old.chunks.query(query_embeddings=[vector.tolist()], n_results=1, include=[])
        except Exception:
            return True
        return False

    for _ in range(200):
        if stopped():
            break
        threading.Event().wait(0.05)
    assert stopped()
    assert index._dense(old, vector, 5) == []  # a request still on the old snapshot: BM25 alone, no error
    assert index._dense(index.snapshot(), vector, 5)


def test_dense_search_needs_no_documents_in_chroma(edited: tuple[Path, Index]) -> None:
    _, index = edited
    name = index.snapshot().collection
    chunks = index.store.collection(name)
    kept = chunks.get(include=["embeddings"])
    index.store.drop_collection(name)
    index.store.collection(name, create=True).add(ids=kept["ids"], embeddings=kept["embeddings"])
    fresh = Index(index.store, index.embedder)
    search = fresh.search("How long does it take to become a Registered Nurse?", k=4)
    assert search.hits and all(h.row.id in fresh.snapshot().position for h in search.hits)
    assert max(h.dense for h in search.hits) > 0


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


@pytest.mark.parametrize("typed", ["whats the highest you can get, like exec level jobs", "how much math"])
def test_everyday_english_words_are_not_corrected_into_guide_words(seed_hash_index: Index, typed: str) -> None:
    fixed = seed_hash_index.correct(typed, seed_hash_index.snapshot())
    assert fixed == typed.replace(",", "")


def test_a_search_ranks_the_named_roles_chunks_first(roles_index: Index) -> None:
    snapshot = roles_index.snapshot()
    role = snapshot.roles.names[-1]
    found = roles_index.search("what does the job pay", 4, roles=(role,))
    first = snapshot.guides[found.hits[0].row.source].role
    assert first == role
    assert any(snapshot.guides[h.row.source].role != role for h in roles_index.search("what does the job pay", 4).hits)


def test_sections_are_tagged_with_their_topic_by_the_real_model(seed: Index) -> None:
    from chatbot.question import Topic

    snapshot = seed.snapshot()
    first = {str(r.metadata["section"]): r.id for r in reversed(snapshot.rows)}
    tags = seed.tags(snapshot, list(first.values()))
    by_section = {section: tags[chunk_id] for section, chunk_id in first.items()}
    assert by_section["What is the job outlook for a Machine Learning Engineer?"] is Topic.OUTLOOK
    assert by_section["How long does it take to become a Machine Learning Engineer?"] is Topic.DURATION


def test_a_chunk_on_the_topic_asked_is_marked_and_ranks_first(seed: Index) -> None:
    from chatbot.question import Topic

    question = "what would my day look like as an ML engineer"
    plain, focused = seed.search(question, 9).hits, seed.search(question, 9, topic=Topic.DUTIES).hits
    duties = "What does a Machine Learning Engineer do?"
    marked = [h.row.metadata["section"] for h in focused if h.on_topic]
    assert duties in marked and not any(h.on_topic for h in plain)
    rank = [h.row.metadata["section"] for h in plain].index(duties)
    assert [h.row.metadata["section"] for h in focused].index(duties) < rank


def test_a_small_index_searches_its_vectors_in_memory_as_chroma_would(edited: tuple[Path, Index]) -> None:
    _, index = edited
    snapshot = index.snapshot()
    assert snapshot.vectors is not None and snapshot.vectors.shape == (len(snapshot.rows), index.embedder.dimension)
    for question in ("How long does it take to become a Registered Nurse?", "NCLEX licensing exam", "salary"):
        vector = index.embed_query(question)
        in_memory = index._dense(snapshot, vector, 5)
        snapshot.vectors, kept = None, snapshot.vectors
        in_chroma = index._dense(snapshot, vector, 5)
        snapshot.vectors = kept
        # The same scores best first, and each chunk found by both scored alike (ties may come in either order).
        assert np.allclose([s for _, s in in_memory], [s for _, s in in_chroma], atol=1e-5)
        chroma = dict(in_chroma)
        assert all(abs(chroma[i] - s) < 1e-5 for i, s in in_memory if i in chroma)
        assert in_memory[0][0] == in_chroma[0][0] or abs(in_memory[0][1] - in_memory[1][1]) < 1e-5


@pytest.mark.parametrize("scores", [[0.0] * 30, [3.0, 1.0, 3.0, 2.0, 1.0] * 8, list(np.linspace(1, 0, 25)), [1.0, 2.0]])
def test_the_best_scores_are_a_stable_sorts_first(scores: list[float]) -> None:
    array = np.asarray(scores, dtype=np.float32)
    # Ties at the cut-off keep the earliest positions, as a stable sort of every score would.
    assert list(retrieval._best(array, 20)) == list(np.argsort(-array, kind="stable")[:20])


def test_a_named_roles_chunks_are_ranked_by_meaning_among_themselves(edited: tuple[Path, Index]) -> None:
    _, index = edited
    snapshot = index.snapshot()
    role = "Registered Nurse"
    own = {snapshot.rows[i].id for i in snapshot.role_rows[role]}
    vector = index.embed_query("What does the work involve day to day?")
    in_memory = index._dense(snapshot, vector, 20, snapshot.rows_of({role}))
    snapshot.vectors, kept = None, snapshot.vectors
    try:
        fetched = index._dense(snapshot, vector, 20, snapshot.rows_of({role}))  # an index too big to hold in memory
        everyone = index._dense(snapshot, vector, 20)
    finally:
        snapshot.vectors = kept
    assert {i for i, _ in in_memory} == own and [i for i, _ in fetched] == [i for i, _ in in_memory]
    assert np.allclose([s for _, s in fetched], [s for _, s in in_memory], atol=1e-5)
    assert [s for _, s in in_memory] == sorted((s for _, s in in_memory), reverse=True)
    assert {i for i, _ in everyone} - own  # without a role, every guide's chunks


def test_roles_with_more_chunks_than_are_worth_fetching_are_searched_among_all(
    edited: tuple[Path, Index], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, index = edited
    snapshot = index.snapshot()
    vector = index.embed_query("What does the work involve day to day?")
    monkeypatch.setattr(retrieval, "FETCHED_ROWS", 1)
    snapshot.vectors, kept = None, snapshot.vectors
    try:
        found = index._dense(snapshot, vector, 20, snapshot.rows_of({"Registered Nurse"}))
        everyone = index._dense(snapshot, vector, 20)
    finally:
        snapshot.vectors = kept
    assert found == everyone  # Chroma's search of all chunks, as for a question that names no role
