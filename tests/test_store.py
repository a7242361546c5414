"""The record: guide rows with roles, aliases and dropped counts; older records migrated; no store->server import;
sentence vectors as int8 with texts as spans, format-1 records converted in place."""

import logging
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chatbot.chunking import split_sentences
from chatbot.errors import IndexMissingError
from chatbot.store import (
    RECORD_FILE,
    STORE_FORMAT,
    ChunkRow,
    GuideRow,
    SqliteRecord,
    Store,
    decode_vector,
    encode_vector,
)
from tests.helpers import ROOT, SEED

ROW = GuideRow("ux.md", "How to Become a UX Designer", "UX Designer", "sha", "v", 3, 4, "2026-12-01T00:00:00+00:00",
               ("User Experience Designer", "ux"), 2, "2031-02-14")
CHUNK = ChunkRow("id1", "ux.md", 0, "hash1", "text", {"heading": "UX Designer > What?"})


def test_guide_rows_round_trip_with_aliases_and_dropped_counts(tmp_path: Path) -> None:
    record = SqliteRecord(tmp_path / RECORD_FILE)
    assert record.commit("chunks-x", "model", [ROW], [CHUNK]) == 1
    assert record.state().guides == {"ux.md": ROW}
    assert GuideRow.from_list(ROW.to_list()) == ROW
    record.close()


def test_listing_is_what_the_guides_command_prints() -> None:
    assert ROW.listing() == {"source": "ux.md", "title": "How to Become a UX Designer", "role": "UX Designer",
                             "aliases": ["User Experience Designer", "ux"], "sections": 3, "chunks": 4, "dropped": 2,
                             "last_reviewed": "2031-02-14"}
    assert GuideRow("a.md", "A", "A", "s", "v", 1, 1, "now").listing()["last_reviewed"] is None


def test_a_record_written_before_aliases_were_kept_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / RECORD_FILE
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE guides (source TEXT PRIMARY KEY, title TEXT, role TEXT, sha256 TEXT, chunker TEXT,
                             sections INTEGER, chunks INTEGER, ingested_at TEXT);
        INSERT INTO guides VALUES ('a.md', '5. Data Scientist', '5. Data Scientist', 'sha', 'v', 2, 3, 'then');
        INSERT INTO meta VALUES ('version', '1');
    """)
    old.commit()
    old.close()
    record = SqliteRecord(path)
    assert record.state().guides["a.md"] == GuideRow("a.md", "5. Data Scientist", "5. Data Scientist", "sha", "v",
                                                     2, 3, "then")
    assert record.commit("chunks-x", "model", [ROW], [CHUNK]) == 2
    assert record.state().guides == {"ux.md": ROW}
    record.close()


def test_a_server_row_from_before_aliases_reads_with_defaults() -> None:
    old = ["a.md", "T", "Role", "sha", "v", 1, 2, "then"]
    assert GuideRow.from_list(old) == GuideRow("a.md", "T", "Role", "sha", "v", 1, 2, "then")


def test_a_server_store_needs_its_record(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs its record"):
        Store(tmp_path, "http://127.0.0.1:8000")


def test_store_does_not_import_the_server_module() -> None:
    code = "import sys, chatbot.store; print('chatbot.server' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_service_wires_the_record_by_settings(tmp_path: Path) -> None:
    from chatbot.config import Settings
    from chatbot.server import ServerRecord
    from chatbot.service import open_store

    assert isinstance(open_store(Settings(index_dir=tmp_path)).record, SqliteRecord)
    served = open_store(Settings(index_dir=tmp_path, chroma_url="http://127.0.0.1:1"))
    assert isinstance(served.record, ServerRecord) and served.record.chroma_url == "http://127.0.0.1:1"


def test_an_encoded_vector_keeps_its_direction_and_length() -> None:
    rng = np.random.default_rng(3)
    for vector in (rng.standard_normal(384).astype(np.float32), np.float32(2.5) * np.eye(384, dtype=np.float32)[7]):
        blob = encode_vector(vector)
        back = decode_vector(blob)
        assert len(blob) == 384 + 4 and back.dtype == np.float32 and back.shape == (384,)
        assert np.linalg.norm(back) == pytest.approx(np.linalg.norm(vector), rel=1e-5)
        assert float(back @ vector) / float(vector @ vector) > 0.9999
    assert not decode_vector(encode_vector(np.zeros(8, dtype=np.float32))).any()


def test_int8_sentence_vectors_keep_the_cosine_ranking_of_real_vectors(real_embedder: Any) -> None:
    sentences = [s for s in split_sentences(SEED.read_text(encoding="utf-8")) if len(s) > 20][:120]
    questions = ["What does a machine learning engineer earn?", "Which skills do I need?",
                 "How do I become a machine learning engineer?", "Is the job outlook good?",
                 "What does the work look like day to day?", "Which degree helps?"]
    vectors, queries = real_embedder.embed(sentences), real_embedder.embed(questions)
    stored = np.stack([decode_vector(encode_vector(v)) for v in vectors])
    before, after = queries @ vectors.T, queries @ stored.T
    assert np.abs(after - before).max() < 0.003  # int8 steps of max|v|/127 move a cosine by about 0.001 at most
    for old, new in zip(before, after, strict=True):
        assert np.argmax(new) == np.argmax(old)
        # The top 4 only trade places across near ties: a sentence that enters was within 0.003 of the 4th.
        fourth = np.sort(old)[-4]
        assert all(old[i] > fourth - 0.003 for i in np.argsort(-new)[:4])


def sentence_record(tmp_path: Path) -> SqliteRecord:
    """A record with one live chunk and its sentences, one of which is not verbatim in the chunk's text."""
    record = SqliteRecord(tmp_path / RECORD_FILE)
    text = "Pay is high. Hours are long."
    rows = [("h1", 0, "Pay is high.", np.full(4, 0.5, dtype=np.float32)),
            ("h1", 1, "Hours are long.", np.array([1, 0, 0, 0], dtype=np.float32)),
            ("h1", 2, "Rewritten line", np.array([0, 1, 0, 0], dtype=np.float32))]
    record.add_sentences(rows, {"h1": text})
    record.commit("chunks-x", "model", [ROW], [ChunkRow("id1", "ux.md", 0, "h1", text, {"heading": "UX"})])
    return record


def test_sentences_are_stored_as_spans_of_their_chunk_and_read_back_whole(tmp_path: Path) -> None:
    record = sentence_record(tmp_path)
    got = record.sentences(["h1", "gone"])
    assert [t for t, _ in got["h1"]] == ["Pay is high.", "Hours are long.", "Rewritten line"]
    np.testing.assert_allclose(got["h1"][0][1], np.full(4, 0.5), atol=1e-6)
    assert got["gone"] == []
    raw = sqlite3.connect(tmp_path / RECORD_FILE).execute("SELECT start, stop, text FROM sentences ORDER BY idx")
    assert raw.fetchall() == [(0, 12, None), (13, 28, None), (-1, -1, "Rewritten line")]
    assert record.meta("store_format") == str(STORE_FORMAT)
    record.close()


def test_a_sentence_whose_chunk_is_not_live_reads_as_none(tmp_path: Path) -> None:
    record = sentence_record(tmp_path)
    record.commit("chunks-x", "model", [ROW], [CHUNK])  # h1 is no longer live; its rows wait for the cleanup
    assert record.sentences(["h1"]) == {"h1": []}
    record.close()


def write_format_1(path: Path, rows: list[tuple[str, int, str, np.ndarray]]) -> None:
    """A record as format 1 wrote it: float32 sentence vectors beside their full texts, no store_format."""
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE guides (source TEXT PRIMARY KEY, title TEXT, role TEXT, sha256 TEXT, chunker TEXT,
            sections INTEGER, chunks INTEGER, ingested_at TEXT, aliases TEXT DEFAULT '[]', dropped INTEGER DEFAULT 0,
            last_reviewed TEXT DEFAULT '');
        CREATE TABLE chunks (id TEXT PRIMARY KEY, source TEXT, position INTEGER, hash TEXT, text TEXT, metadata TEXT);
        CREATE INDEX chunks_source ON chunks(source);
        CREATE TABLE sentences (hash TEXT, idx INTEGER, text TEXT, vector BLOB, PRIMARY KEY (hash, idx));
        INSERT INTO meta VALUES ('version', '3'), ('collection', 'chunks-old'), ('embedding_model', 'model');
        INSERT INTO chunks VALUES ('id1', 'ux.md', 0, 'h1', 'Pay is high. Hours are long.', '{"heading": "UX"}');
    """)
    old.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?)",
                    [(h, i, t, np.asarray(v, dtype=np.float32).tobytes()) for h, i, t, v in rows])
    old.commit()
    old.close()


def test_a_format_1_record_is_converted_in_place(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / RECORD_FILE
    rng = np.random.default_rng(5)
    vectors = [v / np.linalg.norm(v) for v in rng.standard_normal((4, 384)).astype(np.float32)]
    write_format_1(path, [("h1", 0, "Pay is high.", vectors[0]), ("h1", 1, "Hours are long.", vectors[1]),
                          ("h1", 2, "Not in the text", vectors[2]), ("orphan", 0, "Gone.", vectors[3])])
    with caplog.at_level(logging.WARNING, logger="chatbot.store"):
        record = SqliteRecord(path)
        assert record.version() == 3
    assert sum("converting the index record" in r.getMessage() for r in caplog.records) == 1
    got = record.sentences(["h1"])["h1"]
    assert [t for t, _ in got] == ["Pay is high.", "Hours are long.", "Not in the text"]
    for (_, vector), want in zip(got, vectors[:3], strict=True):
        assert vector.dtype == np.float32 and float(vector @ want) > 0.9999
    assert record.known_sentence_hashes() == {"h1"}  # rows no live chunk referred to were not carried over
    assert record.meta("store_format") == str(STORE_FORMAT)
    assert record.state().collection == "chunks-old" and list(record.state().chunks) == ["id1"]
    record.close()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT length(vector) FROM sentences").fetchall() == [(388,)] * 3
    assert not raw.execute("SELECT name FROM sqlite_master WHERE name='sentences_format_1'").fetchall()
    raw.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="chatbot.store"):
        again = SqliteRecord(path)
        assert len(again.sentences(["h1"])["h1"]) == 3
    assert not caplog.records  # converted once
    again.close()


def test_a_record_of_a_newer_store_format_is_refused(tmp_path: Path) -> None:
    record = sentence_record(tmp_path)
    record.set_meta("store_format", str(STORE_FORMAT + 1))
    record.close()
    with pytest.raises(IndexMissingError, match="newer version"):
        SqliteRecord(tmp_path / RECORD_FILE).version()


def file_alone(path: Path) -> int:
    """Sentence rows in the database file itself, the write-ahead log ignored."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM sentences").fetchone()[0])
    except sqlite3.OperationalError:  # the table itself is still only in the log
        return 0
    finally:
        conn.close()


def test_compact_folds_the_write_ahead_log_into_the_file(tmp_path: Path) -> None:
    record = sentence_record(tmp_path)
    assert file_alone(tmp_path / RECORD_FILE) == 0
    record.compact()
    assert file_alone(tmp_path / RECORD_FILE) == 3
    assert int(record._db().execute("PRAGMA journal_size_limit").fetchone()[0]) == 16 * 1024 * 1024
    assert len(record.sentences(["h1"])["h1"]) == 3
    record.close()
