"""The index on disk: a Chroma collection of chunk vectors plus a SQLite record of what is live.

The record is the source of truth. Chroma may briefly hold more rows than the record lists
(written by an ingest that has not switched over yet, or not yet cleaned up after one); readers
only ever use the ids the committed record lists, so they see the old state or the new, never a mix.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from chatbot.errors import CareerBotError, IndexBusyError, IndexMissingError, IndexUnavailableError

log = logging.getLogger(__name__)

RECORD_FILE = "record.sqlite3"
LOCK_FILE = "ingest.lock"
APP_LOCK_FILE = "app.lock"
CHROMA_DIR = "chroma"

# One row per sentence, clustered by chunk hash (WITHOUT ROWID: no second index); `text` only when the
# sentence is not verbatim in its chunk's text, else start:stop into it.
_SENTENCES = """CREATE TABLE IF NOT EXISTS sentences (
    hash TEXT, idx INTEGER, start INTEGER, stop INTEGER, text TEXT, vector BLOB, PRIMARY KEY (hash, idx))
    WITHOUT ROWID"""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS guides (
    source TEXT PRIMARY KEY, title TEXT, role TEXT, sha256 TEXT, chunker TEXT,
    sections INTEGER, chunks INTEGER, ingested_at TEXT, aliases TEXT DEFAULT '[]', dropped INTEGER DEFAULT 0,
    last_reviewed TEXT DEFAULT '');
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, source TEXT, position INTEGER, hash TEXT, text TEXT, metadata TEXT);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(hash);
""" + _SENTENCES + ";"
# Format 2: sentence vectors as int8 (see encode_vector), a sentence's text as its span in the chunk text.
# Format 1 (no `store_format` in meta; float32 vectors, texts repeated) is converted when opened.
STORE_FORMAT = 2
_VACUUM_SHARE = 0.25  # free pages above this share of the file are given back to the disk after an ingest
_WAL_LIMIT = 16 * 1024 * 1024  # bytes of write-ahead log kept on disk once it has been checkpointed
CHROMA_BATCH = 1000  # ids per Chroma call: its SQLite binds each one


def chroma_vectors(collection: Any, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """The vectors a Chroma collection holds for these ids (the ones it has), a batch of ids at a time."""
    out: dict[str, np.ndarray] = {}
    for start in range(0, len(ids), CHROMA_BATCH):
        got = collection.get(ids=list(ids[start : start + CHROMA_BATCH]), include=["embeddings"])
        out.update({i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=True)})
    return out


def encode_vector(vector: np.ndarray) -> bytes:
    """A vector as int8 components scaled to its largest, then its float32 length: a quarter of float32's bytes."""
    v = np.asarray(vector, dtype=np.float32)
    peak = float(np.abs(v).max())
    q = np.rint(v * (127.0 / peak)).astype(np.int8) if peak else np.zeros(v.shape, dtype=np.int8)
    return q.tobytes() + np.float32(np.linalg.norm(v)).tobytes()


def decode_vector(blob: bytes) -> np.ndarray:
    """A float32 vector back from `encode_vector`: the int8 direction at the stored length (cosines stay cosines)."""
    q = np.frombuffer(blob, dtype=np.int8, count=len(blob) - 4).astype(np.float32)
    length = float(np.frombuffer(blob, dtype=np.float32, offset=len(blob) - 4)[0])
    norm = float(np.linalg.norm(q))
    return q * (length / norm) if norm else q


def _sentence_rows(
    rows: Sequence[tuple[str, int, str, np.ndarray]], chunk_texts: Mapping[str, str]
) -> Iterator[tuple[str, int, int, int, str | None, bytes]]:
    """Rows as stored: a sentence found in its chunk's text is kept as its span there, else as its own text."""
    cursor: dict[str, int] = {}
    for h, i, text, vector in rows:
        within = chunk_texts.get(h, "")
        at = within.find(text, cursor.get(h, 0)) if text else -1
        if at < 0:
            yield h, i, -1, -1, text, encode_vector(vector)
        else:
            cursor[h] = at + len(text)
            yield h, i, at, at + len(text), None, encode_vector(vector)


@dataclass(frozen=True, slots=True)
class ChunkRow:
    """A live chunk as the record keeps it."""

    id: str
    source: str
    position: int
    hash: str
    text: str
    metadata: dict[str, Any]

    @property
    def embed_text(self) -> str:
        """Heading trail plus text: what was embedded for this chunk (as `chunking.chunk_guide` builds it)."""
        return f"{self.metadata.get('heading', '')}\n{self.text}"


# Columns added to `guides` after the first release: (name, SQL definition), added to older records on open.
_ADDED_GUIDE_COLUMNS = (
    ("aliases", "TEXT DEFAULT '[]'"),
    ("dropped", "INTEGER DEFAULT 0"),
    ("last_reviewed", "TEXT DEFAULT ''"),
)
_GUIDE_COLUMNS = ("source, title, role, sha256, chunker, sections, chunks, ingested_at, aliases, dropped, "
                  "last_reviewed")


@dataclass(frozen=True)
class GuideRow:
    """A guide as last ingested: its role and other names, and how many blocks cleaning dropped."""

    source: str
    title: str
    role: str
    sha256: str
    chunker: str
    sections: int
    chunks: int
    ingested_at: str
    aliases: tuple[str, ...] = ()
    dropped: int = 0
    last_reviewed: str = ""

    def to_list(self) -> list[Any]:
        """The row as stored: aliases as a JSON list."""
        return [self.source, self.title, self.role, self.sha256, self.chunker, self.sections, self.chunks,
                self.ingested_at, json.dumps(list(self.aliases)), self.dropped, self.last_reviewed]

    def listing(self) -> dict[str, Any]:
        """What `python -m chatbot guides --json` and the admin table show for the guide."""
        return {"source": self.source, "title": self.title, "role": self.role, "aliases": list(self.aliases),
                "sections": self.sections, "chunks": self.chunks, "dropped": self.dropped,
                "last_reviewed": self.last_reviewed or None}

    @classmethod
    def from_list(cls, row: Sequence[Any]) -> GuideRow:
        """A stored row back; rows written before aliases and dropped counts were kept get the defaults."""
        values = list(row)
        aliases = tuple(json.loads(values[8])) if len(values) > 8 and values[8] else ()
        dropped = int(values[9] or 0) if len(values) > 9 else 0
        reviewed = str(values[10] or "") if len(values) > 10 else ""
        return cls(str(values[0]), str(values[1]), str(values[2]), str(values[3]), str(values[4]), int(values[5]),
                   int(values[6]), str(values[7]), aliases, dropped, reviewed)


@dataclass(frozen=True)
class State:
    """A committed version of the index: which collection, which model, which chunks."""

    version: int
    collection: str
    embedding_model: str
    guides: dict[str, GuideRow]
    chunks: dict[str, ChunkRow]


class Record(Protocol):
    """What is indexed, wherever it is kept: versions switch in one step, readers see one version whole."""

    def meta(self, key: str, default: str = "") -> str:
        """One value of the committed state's metadata."""

    def set_meta(self, key: str, value: str) -> None:
        """Keep a value with the index (a calibration), outside any version switch."""

    def version(self) -> int:
        """The committed version number; 0 when nothing was ever committed."""

    def state(self) -> State:
        """The committed state, read whole."""

    def known_sentence_hashes(self) -> set[str]:
        """Chunk hashes whose sentence vectors are stored."""

    def add_sentences(
        self, rows: Sequence[tuple[str, int, str, np.ndarray]], chunk_texts: Mapping[str, str]
    ) -> None:
        """Store sentence vectors (before the switch: unreferenced rows are harmless); texts are the chunks' own."""

    def sentences(self, hashes: Sequence[str]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Sentence texts and vectors for the given chunk hashes, in order."""

    def commit(
        self, collection: str, embedding_model: str, guides: Sequence[GuideRow], chunks: Sequence[ChunkRow]
    ) -> int:
        """Switch to a new state in one step; returns the new version."""

    def drop_unused_sentences(self) -> None:
        """Forget sentence vectors no live chunk refers to."""

    def compact(self) -> None:
        """Give back the disk space an ingest left unused."""

    def close(self) -> None:
        """Release what the record holds open."""


class SqliteRecord:
    """The SQLite record of what is indexed, beside an embedded Chroma; one transaction switches versions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT}")
            conn.executescript(_SCHEMA)
            have = {r[1] for r in conn.execute("PRAGMA table_info(guides)")}
            for name, definition in _ADDED_GUIDE_COLUMNS:
                if name not in have:
                    conn.execute(f"ALTER TABLE guides ADD COLUMN {name} {definition}")
            if "start" not in {r[1] for r in conn.execute("PRAGMA table_info(sentences)")}:
                _convert_format_1(conn, self.path)
            row = conn.execute("SELECT value FROM meta WHERE key='store_format'").fetchone()
            if row is None:
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('store_format', ?)", (str(STORE_FORMAT),))
            elif int(row[0]) > STORE_FORMAT:
                conn.close()
                raise IndexMissingError(f"the index at {self.path.parent} was written by a newer version of "
                                        f"careerbot (store format {row[0]}); update careerbot or run: "
                                        "python ingest.py --rebuild")
            self._conn = conn
        return self._conn

    def close(self) -> None:
        """Close the connection (it reopens on next use)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def meta(self, key: str, default: str = "") -> str:
        """One value from the meta table."""
        with self._lock:
            row = self._db().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Keep a value in the meta table."""
        with self._lock:  # autocommit: one statement is its own transaction
            self._db().execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def version(self) -> int:
        """The committed version number; 0 when nothing was ever committed."""
        return int(self.meta("version", "0"))

    def state(self) -> State:
        """The committed state, read in one transaction."""
        with self._lock:
            db = self._db()
            db.execute("BEGIN")
            try:
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                guides = {r[0]: GuideRow.from_list(r) for r in db.execute(f"SELECT {_GUIDE_COLUMNS} FROM guides")}
                chunks = {
                    r[0]: ChunkRow(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]))
                    for r in db.execute("SELECT * FROM chunks ORDER BY source, position")
                }
            finally:
                db.execute("COMMIT")
        return State(
            int(meta.get("version", 0)), meta.get("collection", ""), meta.get("embedding_model", ""), guides, chunks
        )

    def known_sentence_hashes(self) -> set[str]:
        """Chunk hashes whose sentence vectors are stored."""
        with self._lock:
            return {r[0] for r in self._db().execute("SELECT DISTINCT hash FROM sentences")}

    def add_sentences(
        self, rows: Sequence[tuple[str, int, str, np.ndarray]], chunk_texts: Mapping[str, str]
    ) -> None:
        """Store sentence vectors (before the switch: unreferenced rows are harmless); texts are the chunks' own."""
        with self._lock:
            db = self._db()
            db.execute("BEGIN")
            db.executemany("INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?, ?, ?)",
                           _sentence_rows(rows, chunk_texts))
            db.execute("COMMIT")

    def sentences(self, hashes: Sequence[str]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Sentence texts and vectors for the given live chunk hashes, in order (none for a hash not live)."""
        out: dict[str, list[tuple[str, np.ndarray]]] = {h: [] for h in hashes}
        if not hashes:
            return out
        marks = ",".join("?" * len(hashes))
        with self._lock:
            db = self._db()
            db.execute("BEGIN")  # the chunk texts and their sentences from one version
            try:
                texts = dict(db.execute(f"SELECT hash, text FROM chunks WHERE hash IN ({marks})", list(hashes)))
                rows = db.execute(f"SELECT hash, start, stop, text, vector FROM sentences WHERE hash IN ({marks}) "
                                  "ORDER BY hash, idx", list(hashes)).fetchall()
            finally:
                db.execute("COMMIT")
        for h, start, stop, text, blob in rows:
            if h in texts:  # a span needs its chunk's text: a hash no live chunk has reads as none
                out[h].append((text if start < 0 else texts[h][start:stop], decode_vector(blob)))
        return out

    def commit(
        self,
        collection: str,
        embedding_model: str,
        guides: Sequence[GuideRow],
        chunks: Sequence[ChunkRow],
    ) -> int:
        """Switch to a new state in one transaction; returns the new version."""
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                version = int((db.execute("SELECT value FROM meta WHERE key='version'").fetchone() or [0])[0]) + 1
                db.execute("DELETE FROM guides")
                db.execute("DELETE FROM chunks")
                db.executemany(
                    f"INSERT INTO guides ({_GUIDE_COLUMNS}) VALUES ({', '.join('?' * 11)})",
                    (g.to_list() for g in guides),
                )
                db.executemany(  # a generator: 100k rows' JSON is never all in memory at once
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                    ((c.id, c.source, c.position, c.hash, c.text, json.dumps(c.metadata, sort_keys=True))
                     for c in chunks),
                )
                db.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [("version", str(version)), ("collection", collection), ("embedding_model", embedding_model)],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return version

    def drop_unused_sentences(self) -> None:
        """Forget sentence vectors no live chunk refers to."""
        with self._lock:
            self._db().execute("DELETE FROM sentences WHERE hash NOT IN (SELECT hash FROM chunks)")

    def compact(self) -> None:
        """Fold the write-ahead log into the file and empty it; VACUUM when much of the file is free pages."""
        with self._lock:
            _compact(self._db())


def _compact(db: sqlite3.Connection) -> None:
    pages = int(db.execute("PRAGMA page_count").fetchone()[0])
    free = int(db.execute("PRAGMA freelist_count").fetchone()[0])
    try:
        if pages and free > _VACUUM_SHARE * pages:
            db.execute("VACUUM")
        # PASSIVE never waits for readers (an app answering from this file); the log is cut back to
        # _WAL_LIMIT the next time it restarts from the top.
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.OperationalError as exc:  # another process holds the file: next time, then
        log.info("index record not compacted now: %s", exc)


def _convert_format_1(db: sqlite3.Connection, path: Path) -> None:
    """Rewrite a format-1 record's sentences (float32, texts repeated) in format 2, in one transaction."""
    log.warning("converting the index record at %s to store format %d (int8 sentence vectors, texts as spans); "
                "this runs once", path, STORE_FORMAT)
    db.execute("BEGIN IMMEDIATE")
    try:
        if "start" in {r[1] for r in db.execute("PRAGMA table_info(sentences)")}:
            db.execute("COMMIT")  # another process converted it while this one waited for the lock
            return
        db.execute("ALTER TABLE sentences RENAME TO sentences_format_1")
        db.execute(_SENTENCES)
        texts = dict(db.execute("SELECT hash, text FROM chunks"))
        old = db.execute("SELECT hash, idx, text, vector FROM sentences_format_1 ORDER BY hash, idx")
        while batch := old.fetchmany(10_000):  # rows no live chunk refers to are left behind
            rows = [(h, i, t, np.frombuffer(v, dtype=np.float32)) for h, i, t, v in batch if h in texts]
            db.executemany("INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?, ?, ?)", _sentence_rows(rows, texts))
        db.execute("DROP TABLE sentences_format_1")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('store_format', ?)", (str(STORE_FORMAT),))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    _compact(db)


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def http_client(chroma_url: str) -> Any:
    """A client of the Chroma server at a URL (http://host:port)."""
    from urllib.parse import urlparse

    import chromadb

    url = urlparse(chroma_url)
    return chromadb.HttpClient(
        host=url.hostname or "127.0.0.1", port=url.port or 8000, ssl=url.scheme == "https", settings=_chroma_settings()
    )


class Store:
    """Chroma plus the record, for one index folder (or a Chroma server, with its record passed in)."""

    def __init__(self, index_dir: Path, chroma_url: str = "", record: Record | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.chroma_url = chroma_url
        if record is None and chroma_url:
            raise ValueError("a Chroma server's store needs its record: open it with chatbot.service.open_store")
        self.record: Record = record if record is not None else SqliteRecord(self.index_dir / RECORD_FILE)
        self._client: Any = None
        self._client_lock = threading.RLock()
        self.written_version = 0  # the last version this process committed: its client already sees it

    def exists(self) -> bool:
        """True once an ingest has committed."""
        if self.chroma_url:
            return bool(self.record.version() > 0)
        return (self.index_dir / RECORD_FILE).is_file() and self.record.version() > 0

    def client(self) -> Any:
        """The Chroma client, opened on first use."""
        with self._client_lock:
            if self._client is None:
                if self.chroma_url:
                    self._client = http_client(self.chroma_url)
                else:
                    import chromadb

                    path = self.index_dir / CHROMA_DIR
                    path.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
            return self._client

    def reopen(self, force: bool = False, keep: bool = False) -> Any:
        """Drop the Chroma client so the next use sees what other processes wrote.

        Chroma caches one system per folder per process and does not reload vectors another
        process added after it opened, so a reader that sees a new version must start afresh.
        With `keep`, the old client's system is returned still running (a reader answering from it
        stops it later); otherwise it is stopped and None is returned.
        """
        with self._client_lock:
            if (self._client is None and not force) or self.chroma_url:
                return None
            from chromadb.api.shared_system_client import SharedSystemClient

            key = str(self.index_dir / CHROMA_DIR)
            system = SharedSystemClient._identifier_to_system.pop(key, None)
            SharedSystemClient._identifier_to_refcount.pop(key, None)
            self._client = None
            if system is not None and not keep:
                system.stop()
                return None
            return system

    def collection(self, name: str, create: bool = False) -> Any:
        """A collection that stores vectors we compute; Chroma never embeds anything itself."""
        client = self.client()
        if create:
            return client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
        try:
            return client.get_collection(name, embedding_function=None)
        except Exception as exc:  # chromadb raises NotFoundError or ValueError by version
            raise IndexMissingError(
                f"the index collection {name!r} is missing; run: python ingest.py --rebuild"
            ) from exc

    def collection_names(self) -> list[str]:
        """Every collection in the database."""
        return [c if isinstance(c, str) else c.name for c in self.client().list_collections()]

    def drop_collection(self, name: str) -> None:
        """Delete a collection."""
        self.client().delete_collection(name)

    @contextmanager
    def reachable(self) -> Iterator[None]:
        """Turn a Chroma server's network failure into a message for users; the next request tries again."""
        try:
            yield
        except CareerBotError:
            raise
        except Exception as exc:
            if not self.chroma_url:
                raise
            raise IndexUnavailableError(
                f"the index server at {self.chroma_url} is not reachable right now; please try again in a moment"
            ) from exc

    @staticmethod
    def new_collection_name() -> str:
        """A fresh collection name; a new one is used when vectors cannot be reused."""
        return f"chunks-{uuid.uuid4().hex[:12]}"

    def writer_lock(self) -> AbstractContextManager[None]:
        """Hold the one-writer lock, or fail at once if another process has it."""
        return self._exclusive(LOCK_FILE, "another ingest is already writing the index at {dir} (process {pid}); "
                               "wait for it to finish and try again")

    def app_lock(self) -> AbstractContextManager[None]:
        """Held while an app serves an embedded index: Chroma's files are not safe for two serving processes."""
        return self._exclusive(APP_LOCK_FILE, "another app is already serving the index at {dir} (process {pid}); "
                               "stop it first, or use a Chroma server (CAREERBOT_CHROMA_URL) for several apps")

    @contextmanager
    def _exclusive(self, name: str, message: str) -> Iterator[None]:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        path = self.index_dir / name
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                raise IndexBusyError(message.format(dir=self.index_dir, pid=holder)) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
