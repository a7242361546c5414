"""Thumbs up/down on answers, kept in SQLite beside the index."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

FEEDBACK_FILE = "feedback.sqlite3"


class FeedbackStore:
    """Append-only feedback records: question, answer, chunk ids, rating and an optional reason."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, at TEXT, question TEXT, answer TEXT, "
            "chunk_ids TEXT, rating INTEGER, reason TEXT)"
        )
        return conn

    def add(self, question: str, answer: str, chunk_ids: list[str], liked: bool, reason: str = "") -> int:
        """Store one rating; returns its id."""
        with self._lock, self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (at, question, answer, chunk_ids, rating, reason) VALUES (?, ?, ?, ?, ?, ?)",
                (datetime.now(UTC).isoformat(timespec="seconds"), question[:5000], answer[:20000],
                 json.dumps(chunk_ids), 1 if liked else -1, reason[:2000]),
            )
            return int(cursor.lastrowid or 0)

    def set_reason(self, feedback_id: int, reason: str) -> None:
        """Attach or replace the reason of a stored rating."""
        with self._lock, self._connect() as conn:
            conn.execute("UPDATE feedback SET reason=? WHERE id=?", (reason[:2000], feedback_id))

    def all(self) -> list[dict[str, object]]:
        """Every record, oldest first."""
        with self._lock, self._connect() as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM feedback ORDER BY id")]
