"""Thumbs up/down on answers, kept in SQLite beside the index."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

FEEDBACK_FILE = "feedback.sqlite3"
MAX_FEEDBACK_BYTES = 64 * 1024 * 1024  # about 3,000 ratings of the longest answers, far more of typical ones

logger = logging.getLogger(__name__)


class FeedbackStore:
    """Feedback records: question, answer, chunk ids, rating and an optional reason; the file's size is bounded."""

    def __init__(self, path: Path, max_bytes: int = MAX_FEEDBACK_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._warned_at = -3600.0

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, at TEXT, question TEXT, answer TEXT, "
            "chunk_ids TEXT, rating INTEGER, reason TEXT)"
        )
        return conn

    def add(self, question: str, answer: str, chunk_ids: list[str], liked: bool, reason: str = "") -> int:
        """Store one rating; returns its id, or 0 when the store is full."""
        if self.path.is_file() and self.path.stat().st_size >= self.max_bytes:
            if time.monotonic() - self._warned_at > 60:  # one line a minute, not one per refused rating
                self._warned_at = time.monotonic()
                logger.warning("feedback store %s is full (%d bytes, limit %d): ratings are refused", self.path,
                               self.path.stat().st_size, self.max_bytes)
            return 0
        with self._lock, self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (at, question, answer, chunk_ids, rating, reason) VALUES (?, ?, ?, ?, ?, ?)",
                (datetime.now(UTC).isoformat(timespec="seconds"), question[:5000], answer[:20000],
                 json.dumps(chunk_ids), 1 if liked else -1, reason[:2000]),
            )
            return int(cursor.lastrowid or 0)

    def set_rating(self, feedback_id: int, liked: bool) -> None:
        """Replace the rating of a stored record (the same person changed their mind)."""
        with self._lock, self._connect() as conn:
            conn.execute("UPDATE feedback SET rating=?, at=? WHERE id=?",
                         (1 if liked else -1, datetime.now(UTC).isoformat(timespec="seconds"), feedback_id))

    def set_reason(self, feedback_id: int, reason: str) -> None:
        """Attach or replace the reason of a stored rating."""
        with self._lock, self._connect() as conn:
            conn.execute("UPDATE feedback SET reason=? WHERE id=?", (reason[:2000], feedback_id))

    def all(self) -> list[dict[str, object]]:
        """Every record, oldest first."""
        with self._lock, self._connect() as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM feedback ORDER BY id")]
