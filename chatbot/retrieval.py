"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank."""

from __future__ import annotations

import difflib
import gc
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import chain
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from chatbot import tagging
from chatbot.chunking import sentence_spans
from chatbot.embeddings import Embedder, embed_with_sentences
from chatbot.encoders import make_query_encoder
from chatbot.errors import IndexMissingError
from chatbot.question import LEVEL_RULES, TOPIC_RULES, Level, Topic
from chatbot.roles import Roles
from chatbot.store import ChunkRow, GuideRow, SqliteRecord, State, Store, chroma_vectors
from chatbot.text import STOPWORDS, content_stems, is_english, normalize, stem, words

RRF_K = 60
TOPIC_WEIGHT = 0.5  # a chunk on the topic asked ranks as if it stood half-way up a third list
FRESHNESS_PROBES = 3  # new chunks checked after a version switch
FRESHNESS_TRIES = 5
RETRY_AFTER_S = 5.0  # a failed background build is tried again by the first request after this
RETIRE_AFTER_S = 10.0  # the old Chroma client is stopped this long after the swap (requests on it take ms)
# Up to this many chunks the snapshot holds their vectors (1.5 kB each, 30 MB at the most) and searches them exactly
# in numpy: 0.07 ms at 1k chunks where Chroma's query took 1.9 ms, 1.0 ms at 10k against 1.6; past it, Chroma's
# approximate index answers without the memory.
IN_MEMORY_CHUNKS = 20_000
# Above IN_MEMORY_CHUNKS, the named roles' chunks are fetched from Chroma by id up to this many (about 0.02 ms each at
# 100k chunks: 100 cost what Chroma's search of all chunks does); roles with more are searched among all chunks.
FETCHED_ROWS = 100
log = logging.getLogger(__name__)


@dataclass
class Snapshot:
    """One committed version of the index as a reader sees it: live chunks, BM25, vocabulary."""

    version: int
    collection: str
    rows: list[ChunkRow]
    guides: dict[str, GuideRow]
    bm25: Any
    vocabulary: frozenset[str]  # words, for typo correction
    stems: frozenset[str]  # their stems, for "does any guide use this word?"
    common: frozenset[str]
    roles: Roles
    position: dict[str, int] = field(default_factory=dict)
    chunks: Any = field(default=None, repr=False)  # the Chroma collection, from the client that sees this version
    system: Any = field(default=None, repr=False)  # that client's system once a newer one replaced it: stopped later
    tags: dict[str, Topic | None] = field(default_factory=dict, repr=False)  # chunk id -> its topic, once looked at
    vectors: np.ndarray | None = field(default=None, repr=False)  # the rows' vectors, in order, for a small index

    def continuation(self, row: ChunkRow) -> ChunkRow | None:
        """The next chunk of the same section, when a long section was split."""
        at = self.position.get(row.id)
        if at is None or at + 1 >= len(self.rows):
            return None
        following = self.rows[at + 1]
        same = following.source == row.source and following.metadata.get("section_index") == row.metadata.get(
            "section_index"
        )
        return following if same else None

    def with_continuations(self, hits: list[Hit]) -> list[Hit]:
        """Each hit followed by the rest of its section, so a list split across chunks is read whole."""
        out: list[Hit] = []
        ids = {h.row.id for h in hits}
        for hit in hits:
            out.append(hit)
            following = self.continuation(hit.row)
            if following is not None and following.id not in ids:
                ids.add(following.id)
                out.append(Hit(following, hit.score, hit.dense, hit.lexical, hit.on_topic))
        return out

    @cached_property
    def spellings(self) -> dict[tuple[str, int], list[str]]:
        """The vocabulary by first letter and length: a typo is compared with a small bucket, not every word."""
        out: dict[tuple[str, int], list[str]] = {}
        for word in sorted(self.vocabulary):
            out.setdefault((word[0], len(word)), []).append(word)
        return out

    def near_spellings(self, word: str) -> list[str]:
        """Guide words that could be this word misspelt: same first letter, length within two."""
        return [w for n in range(len(word) - 2, len(word) + 3) for w in self.spellings.get((word[0], n), ())]

    @cached_property
    def role_rows(self) -> dict[str, np.ndarray]:
        """The row numbers of each role's chunks, so a search can rank within the roles a question names."""
        out: dict[str, list[int]] = {}
        for i, row in enumerate(self.rows):
            if (guide := self.guides.get(row.source)) is not None and guide.role:
                out.setdefault(guide.role, []).append(i)
        return {role: np.asarray(found, dtype=np.int64) for role, found in out.items()}

    def rows_of(self, roles: Iterable[str]) -> np.ndarray | None:
        """The row numbers of these roles' chunks, role by role in name order; None when none of them has a guide."""
        found = [self.role_rows[r] for r in sorted(roles) if r in self.role_rows]
        return np.concatenate(found) if found else None

    def headings(self) -> Iterator[tuple[str, str]]:
        """(source, section heading) for every section, in guide order; lazily, since callers take the first few
        (listing all of them took 78 ms at 100k chunks)."""
        seen: set[tuple[str, str]] = set()
        for row in self.rows:
            if (key := (row.source, str(row.metadata["section"]))) not in seen:
                seen.add(key)
                yield key

    def starters(self, limit: int) -> list[str]:
        """Questions to try: the guides' question-style section headings, else their first headings."""
        asked = list(itertools.islice((h for _, h in self.headings() if h.endswith("?")), limit))
        return asked or [h for _, h in itertools.islice(self.headings(), limit)]


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with the scores that ranked it."""

    row: ChunkRow
    score: float
    dense: float
    lexical: float
    on_topic: bool = False  # its section is on the topic asked (by its tag or heading)


@dataclass
class Search:
    """Fused hits for one query, with the query vector and step timings."""

    query: str
    hits: list[Hit]
    vector: np.ndarray
    timings: dict[str, float]
    snapshot: Snapshot


class Index:
    """The read side of the index: follows new versions, reopening Chroma when another process wrote."""

    def __init__(self, store: Store, embedder: Embedder, query_encoder: Embedder | str | None = None) -> None:
        self.store = store
        self.embedder = embedder  # the document model: ingest and the rare re-embedding of sentences (loads lazily)
        # Questions may be encoded another way (a setting's name, e.g. "onnx-int8"), as long as it is the same model.
        self.query_encoder = make_query_encoder(query_encoder, embedder) if isinstance(query_encoder, str) else (
            query_encoder or embedder)
        self._snapshot: Snapshot | None = None
        self._topics: np.ndarray | None = None  # the topic descriptions' vectors, for an index not tagged at ingest
        self._lock = threading.Lock()  # one build at a time, in the foreground or the builder
        self._builder_lock = threading.Lock()  # guards _builder and _retry_at
        self._builder: threading.Thread | None = None
        self._retry_at = 0.0
        self.retry_after_s = RETRY_AFTER_S
        self.build_error: Exception | None = None  # the last background build's failure, until one succeeds
        self._embed_query = lru_cache(maxsize=256)(self._embed_uncached)
        # Sentence vectors another process's ingest dropped while the old snapshot still answers: embedded once
        # each, not in every answer that reads the chunk until the new snapshot is in (forgotten at the swap).
        self._reembedded: dict[str, list[tuple[str, np.ndarray]]] = {}

    def _embed_uncached(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.query_encoder.embed([text])[0]
        return vector

    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector (cached: the chain and the composer both ask)."""
        vector: np.ndarray = self._embed_query(text)
        return vector

    def _until_fresh(self, collection: str, new_ids: list[str]) -> None:
        """Reopen until the dense index finds the chunks this version added, each by its own vector.

        Right after another process's ingest, a freshly opened Chroma client sometimes searches vectors that lack
        the newest ones although `get` returns them (seen about once in eight cross-process switches); opening
        it again shows them.
        """
        if not new_ids:
            return
        for attempt in range(FRESHNESS_TRIES):
            try:
                chunks = self.store.client().get_collection(collection)
                found = chunks.get(ids=new_ids, include=["embeddings"])
                hits = chunks.query(query_embeddings=[[float(x) for x in v] for v in found["embeddings"]],
                                    n_results=3, include=[]) if found["ids"] else {"ids": []}
                if len(found["ids"]) == len(new_ids) and all(
                        i in near for i, near in zip(found["ids"], hits["ids"], strict=True)):
                    return
            except Exception as exc:  # chromadb raises its own errors for ids this client does not know yet
                log.debug("freshness probe failed: %s", exc)
            log.warning("dense index not yet showing new chunks (attempt %d); reopening", attempt + 1)
            time.sleep(0.2 * (attempt + 1))
            self.store.reopen(force=True)
        log.warning("dense index still lacks chunks of version switch; answering with what it shows")

    def sentences(self, hits: list[Hit]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Each hit's sentences with their vectors, by chunk hash."""
        with self.store.reachable():
            found = self.store.record.sentences([h.row.hash for h in hits])
        for hit in hits:
            if not found.get(hit.row.hash) and hit.row.hash not in self._reembedded:
                # An ingest in another process switched versions and dropped this chunk's sentence vectors
                # after our snapshot was taken: embed them now rather than answer without the chunk. With the
                # query encoder, one sentence at a time: the document model would load torch into the app
                # (300 MB) for an answer that only bridges a version switch.
                spans = sentence_spans(hit.row.text, hit.row.embed_text)
                _, parts = embed_with_sentences(self.query_encoder, [hit.row.embed_text], [spans])
                self._reembedded[hit.row.hash] = [(s, v) for (s, _, _), v in zip(spans, parts[0], strict=True)]
            if not found.get(hit.row.hash):
                found[hit.row.hash] = self._reembedded[hit.row.hash]
        return found

    def warm_up(self) -> None:
        """Load the model and the snapshot now, so the first user does not wait for them."""
        self.search("warm up", 1)
        is_english("warm")  # the spelling dictionary loads now too

    def snapshot(self) -> Snapshot:
        """The current snapshot; when the record's version moved, the next one is built in the background and this
        one keeps answering until it is ready. Only the first is built while the caller waits."""
        current = self._snapshot
        if current is not None and current.version == self.store.record.version():
            return current
        if current is None:
            return self.refresh()
        self._build_in_background()
        return current

    def refresh(self) -> Snapshot:
        """The committed version's snapshot, built now if needed (waiting for a build under way): for writers in
        this process, whose next answer must use what they wrote, and for tests."""
        with self._lock:
            current = self._snapshot
            if current is None or current.version != self.store.record.version():
                self._swap(self._load())
            snapshot = self._snapshot
            assert snapshot is not None
            return snapshot

    def wait_fresh(self, timeout: float) -> bool:
        """Wait until the snapshot serving answers is the committed version (another process's ingest); True if so."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.snapshot()
            if current.version == self.store.record.version():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def _build_in_background(self) -> None:
        with self._builder_lock:
            if self._builder is not None or time.monotonic() < self._retry_at:
                return
            self._builder = threading.Thread(target=self._build_loop, name="snapshot-builder", daemon=True)
            self._builder.start()

    def _build_loop(self) -> None:
        """Build until the snapshot is the committed version: a move during a build is built right after."""
        while True:
            try:
                with _collector_paused():
                    built = self.refresh()
            except Exception as exc:
                log.exception("building the index's new version failed; the current one keeps answering, and a "
                              "request after %.0f s tries again", self.retry_after_s)
                with self._builder_lock:
                    self.build_error = exc
                    self._retry_at = time.monotonic() + self.retry_after_s
                    self._builder = None
                return
            with self._builder_lock:
                self.build_error = None
                if built.version == self.store.record.version():
                    self._builder = None
                    return

    def _swap(self, new: Snapshot) -> None:
        old, self._snapshot = self._snapshot, new
        self._reembedded = {}
        if old is not None and old.system is not None:
            # Requests that took the old snapshot just before the swap may still be searching with its client.
            timer = threading.Timer(RETIRE_AFTER_S, old.system.stop)
            timer.daemon = True
            timer.start()

    def _read_state(self) -> State:
        """The committed state; a SQLite record is read through a connection of its own, so the long read (seconds
        at 100k chunks) does not hold up the requests' version checks and sentence lookups on the shared one."""
        record = self.store.record
        if not isinstance(record, SqliteRecord):
            return record.state()
        reader = SqliteRecord(record.path)
        try:
            return reader.state()
        finally:
            reader.close()

    def _load(self) -> Snapshot:
        state = self._read_state()
        if not state.version or not state.chunks:
            raise IndexMissingError("the index is empty: add guides to the knowledge folder and run python ingest.py")
        previous = self._snapshot
        if state.version != self.store.written_version:
            # The client the current snapshot answers with keeps running until the swap; the new one sees the
            # other process's writes.
            retired = self.store.reopen(keep=previous is not None and previous.system is None)
            self._until_fresh(state.collection, [i for i in state.chunks if previous is None
                                                 or i not in previous.position][:FRESHNESS_PROBES])
            if previous is not None and retired is not None:
                previous.system = retired
        rows = list(state.chunks.values())
        import bm25s

        # Set and dict operations in C where a loop per word took seconds at 100k chunks.
        texts = [words(r.embed_text) for r in rows]  # once: both BM25 and the vocabulary need them
        words_used = frozenset(chain.from_iterable(texts)) - STOPWORDS
        stems = {w: stem(w) for w in words_used}  # one look-up per word below, not a stopword test and a stem call
        tokens = [[stems[w] for w in ws if w in stems] or ["\x00"] for ws in texts]
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        frequency = Counter(chain.from_iterable(map(set, tokens)))  # chunks per term
        # A term in over half the chunks (the role's own name in a one-role corpus) ranks nothing.
        common = frozenset(t for t, n in frequency.items() if len(rows) >= 4 and n > len(rows) / 2)
        roles = Roles.of_guides(state.guides.values())
        vocabulary = words_used | roles.words
        chunks = self._collection_or_none(state.collection)
        return Snapshot(
            state.version,
            state.collection,
            rows,
            state.guides,
            bm25,
            vocabulary,
            frozenset(stems.values()) | {stem(w) for w in roles.words},
            common,
            roles,
            {r.id: i for i, r in enumerate(rows)},
            chunks,
            vectors=_vectors(chunks, rows) if chunks is not None and len(rows) <= IN_MEMORY_CHUNKS else None,
        )

    def _collection_or_none(self, name: str) -> Any:
        try:
            chunks = self.store.collection(name)
        except IndexMissingError:  # a --rebuild elsewhere dropped it after this version: the next version has one
            return None
        # One query here, so a new client loads its vector index in the build, not in the first request after it.
        some = chunks.get(limit=1, include=["embeddings"])["embeddings"]
        if len(some):
            chunks.query(query_embeddings=some, n_results=1, include=[])
        return chunks

    def correct(self, query: str, snapshot: Snapshot) -> str:
        """Fix typos against the guides' own vocabulary ('machne enginer' -> 'machine engineer')."""
        fixed = []
        for word in words(query):
            if len(word) >= 3 and word not in snapshot.vocabulary and not word.isdigit() and word not in STOPWORDS \
                    and not is_english(word):
                # Only the word's own bucket: difflib over the whole vocabulary costs ~40 ms at 100k chunks.
                close = difflib.get_close_matches(word, snapshot.near_spellings(word), n=1, cutoff=0.75)
                word = close[0] if close else word
            fixed.append(word)
        # "ml engineer" -> "machine learning engineer": the guides' own words rank better.
        return " ".join(snapshot.roles.expand(fixed))

    def search(self, query: str, k: int = 4, depth: int = 20, terms: str = "", roles: Sequence[str] = (),
               topic: Topic | None = None, level: Level | None = None) -> Search:
        """Dense + BM25 over the live chunks, fused by reciprocal rank; best first. `terms` join the BM25 query only
        (the guides' words for the topic asked: embedding them would pull every answer towards one topic); chunks
        of the guides for `roles` (the roles the question names) rank before the others, and a chunk on the
        `topic` asked (by its tag or its heading), and one headed with the career `level` asked, rank higher."""
        with self.store.reachable():
            return self._search(query, k, depth, terms, frozenset(roles), topic, level)

    def _search(self, query: str, k: int, depth: int, terms: str = "", roles: frozenset[str] = frozenset(),
                topic: Topic | None = None, level: Level | None = None) -> Search:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        snapshot = self.snapshot()
        query = self.correct(query, snapshot) or normalize(query)
        vector = self.embed_query(query)
        timings["embed_ms"] = _ms(started)
        t = time.perf_counter()
        within = snapshot.rows_of(roles)  # the named roles' chunks: both searches rank within them
        dense = self._dense(snapshot, vector, depth, within)
        timings["dense_ms"] = _ms(t)
        t = time.perf_counter()
        # Within the named roles' guides their own names rank nothing: "data science" would pick link lists.
        own = frozenset(s for r in roles for s in Roles.own_stems(r)) if roles else frozenset()
        lexical = self._bm25(snapshot, f"{query} {terms}" if terms else query, depth, own, within)
        timings["bm25_ms"] = _ms(t)
        t = time.perf_counter()
        fused: dict[str, float] = {}
        for ranking in (dense, lexical):
            for rank, (chunk_id, _) in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        tags = self.tags(snapshot, list(fused)) if topic is not None else {}
        on_topic: set[str] = set()
        for chunk_id in fused if topic is not None or level is not None else ():
            section = str(snapshot.rows[snapshot.position[chunk_id]].metadata.get("section", ""))
            if topic is not None and (tags.get(chunk_id) is topic or TOPIC_RULES[topic].find(section)):
                fused[chunk_id] += TOPIC_WEIGHT / (RRF_K + 1)
                on_topic.add(chunk_id)
            if level is not None and LEVEL_RULES[level].find(section):
                fused[chunk_id] += TOPIC_WEIGHT / (RRF_K + 1)
        dense_score = dict(dense)
        lexical_score = dict(lexical)
        order = sorted(fused, key=lambda i: (not self._of_roles(snapshot, i, roles), -fused[i],
                                             snapshot.position[i]))[:k]
        hits = [
            Hit(snapshot.rows[snapshot.position[i]], fused[i], dense_score.get(i, 0.0), lexical_score.get(i, 0.0),
                i in on_topic)
            for i in order
        ]
        timings["fusion_ms"] = _ms(t)
        return Search(query, hits, vector, timings, snapshot)

    def tags(self, snapshot: Snapshot, ids: list[str]) -> dict[str, Topic | None]:
        """Each chunk's topic, as ingest tagged it (chatbot.tagging); a chunk of an index tagged otherwise, or not
        at all, is tagged here from its vector in Chroma, once per version."""
        missing = [i for i in ids if i not in snapshot.tags]
        current = tagging.version(self.embedder.name)
        for chunk_id in missing:
            topic = tagging.stored(snapshot.rows[snapshot.position[chunk_id]].metadata, current)
            if topic is not False:
                snapshot.tags[chunk_id] = topic
        missing = [i for i in missing if i not in snapshot.tags]
        if missing:
            try:
                found = chroma_vectors(self._chunks(snapshot), missing)
            except Exception as exc:  # the collection went with a --rebuild: untagged until the new version
                log.warning("no chunk vectors for topic tags (%s)", exc)
                return snapshot.tags
            if self._topics is None:
                self._topics = tagging.described(self.query_encoder)
            snapshot.tags.update(zip(found, tagging.tag(list(found.values()), self._topics), strict=True))
        return snapshot.tags

    @staticmethod
    def _of_roles(snapshot: Snapshot, chunk_id: str, roles: frozenset[str]) -> bool:
        if not roles:
            return True
        guide = snapshot.guides.get(snapshot.rows[snapshot.position[chunk_id]].source)
        return guide is not None and guide.role in roles

    def _dense(self, snapshot: Snapshot, vector: np.ndarray, depth: int,
               within: np.ndarray | None = None) -> list[tuple[str, float]]:
        vectors, rows = snapshot.vectors, None  # rows: which snapshot rows `vectors` holds, when not all of them
        if within is not None and (vectors is not None or len(within) <= FETCHED_ROWS):
            # The named roles' own chunks, exactly: they rank first anyway, and a role's few chunks are rarely
            # among the nearest 40 of 100,000 (Chroma's search of all of them cost 2.4 ms there).
            vectors, rows = vectors[within] if vectors is not None else self._fetched(snapshot, within), within
        if vectors is not None:
            scores = vectors @ vector
            top = _best(scores, depth)
            chosen = top if rows is None else rows[top]
            return [(snapshot.rows[r].id, float(scores[i])) for i, r in zip(top, chosen, strict=True)]
        try:
            # Chroma's own query, ids and distances only: a quarter of langchain-chroma's cost (0.7 vs 2.8 ms at 1k
            # chunks), and it needs no documents in Chroma. Extra rows: the collection may hold an in-flight
            # ingest's chunks the record does not list yet.
            found = self._chunks(snapshot).query(query_embeddings=[vector.tolist()], n_results=depth * 2,
                                                 include=["distances"])
        except Exception as exc:
            if self.store.record.version() == snapshot.version:
                raise
            # A --rebuild elsewhere dropped this version's collection; the builder is loading the new one.
            log.warning("dense index of version %d is gone (%s): BM25 alone until the new version is loaded",
                        snapshot.version, exc)
            return []
        ids, distances = found["ids"][0], found["distances"][0]
        out = [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True) if i in snapshot.position]
        return out[:depth]

    def _chunks(self, snapshot: Snapshot) -> Any:
        """The snapshot's Chroma collection, opened on first use (a snapshot built while Chroma lacked it has none)."""
        if snapshot.chunks is None:
            snapshot.chunks = self.store.collection(snapshot.collection)
        return snapshot.chunks

    def _fetched(self, snapshot: Snapshot, rows: np.ndarray) -> np.ndarray | None:
        """These rows' vectors from Chroma, in row order; None when the collection lacks any (its search then runs)."""
        try:
            return _vectors(self._chunks(snapshot), [snapshot.rows[i] for i in rows])
        except Exception as exc:  # the collection went with a --rebuild; the search below says what to do
            log.debug("no vectors for the named roles' chunks: %s", exc)
            return None

    def _bm25(self, snapshot: Snapshot, query: str, depth: int, drop: frozenset[str] = frozenset(),
              within: np.ndarray | None = None) -> list[tuple[str, float]]:
        tokens = [t for t in content_stems(query) if t not in snapshot.common and t not in drop]
        if not tokens:
            return []
        scores = snapshot.bm25.get_scores(tokens)
        # The named roles' own chunks, best first, when the question names roles.
        top = within[_best(scores[within], depth)] if within is not None else _best(scores, depth)
        return [(snapshot.rows[i].id, float(scores[i])) for i in top if scores[i] > 0]


def _best(scores: np.ndarray, depth: int) -> np.ndarray:
    """The positions of the `depth` highest scores, best first, ties by position (a stable sort's first `depth`):
    the cut-off score by partition, then a sort of what passes it alone (sorting 100,000 scores took 0.3 ms)."""
    if len(scores) <= depth:
        return np.argsort(-scores, kind="stable")
    cut = -np.partition(-scores, depth - 1)[depth - 1]
    above = np.flatnonzero(scores > cut)
    chosen = np.concatenate([above, np.flatnonzero(scores == cut)[: depth - len(above)]])
    return chosen[np.lexsort((chosen, -scores[chosen]))]


def _vectors(chunks: Any, rows: list[ChunkRow]) -> np.ndarray | None:
    """The rows' vectors from Chroma, in row order; None when any is missing (Chroma's own search then runs)."""
    found = chroma_vectors(chunks, [r.id for r in rows])
    return np.stack([found[r.id] for r in rows]) if rows and len(found) == len(rows) else None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a snapshot is built in the background.

    A full collection walks every object, the serving snapshot's too, holding the GIL: in a probe building 150k
    rows beside 150k others, requests stalled up to 1.1 s and the build took 4.2 s (0.85 s without collections).
    Snapshots hold no reference cycles; reference counting frees an old one when the last request drops it. What
    the build made is not frozen (gc.freeze): that froze everything alive at the time, so the cyclic garbage of
    the swapped-out Chroma client and of requests in flight was never freed (RSS grew 65 MB per re-ingest).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


class HybridRetriever(BaseRetriever):
    """LangChain retriever over the hybrid index; scores ride along in each Document's metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: Index
    k: int = 4

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        search = self.index.search(query, self.k)
        return [
            Document(
                page_content=h.row.text,
                id=h.row.id,
                metadata={**h.row.metadata, "id": h.row.id, "score": h.score, "dense": h.dense, "bm25": h.lexical},
            )
            for h in search.hits
        ]


def stems_of(text: str) -> set[str]:
    """Content stems as a set (for overlap measures)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS}
