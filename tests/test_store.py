"""The record: guide rows with roles, aliases and dropped counts; older records migrated; no store->server import."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from chatbot.store import RECORD_FILE, ChunkRow, GuideRow, SqliteRecord, Store
from tests.helpers import ROOT

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
