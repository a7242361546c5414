"""Thumbs up/down on answers and refused questions, kept in SQLite beside the index (no address, no user id)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from chatbot.question import Reason

if TYPE_CHECKING:
    from chatbot.answer import Answer

FEEDBACK_FILE = "feedback.sqlite3"
MAX_FEEDBACK_BYTES = 64 * 1024 * 1024  # about 3,000 ratings of the longest answers, far more of typical ones
MAX_REFUSED_CHARS = 2000  # the longest question the chat accepts by default; a longer one is cut
# Refusals that say what the guides lack; an empty message, an overlong one or an attack on the instructions does not.
GAP_REASONS = frozenset({Reason.NO_GUIDE, Reason.NOT_COVERED})

logger = logging.getLogger(__name__)


class Kind(StrEnum):
    """How a question showed that the guides lack something."""

    REFUSED = "refused"
    DISLIKED = "thumbs down"


@dataclass(frozen=True)
class Asked:
    """One question the guides did not answer well: refused, or answered and rated down."""

    kind: Kind
    question: str
    at: str
    reason: str  # a refusal's Reason value, or the text a thumbs-down gave (maybe empty)
    matched: str  # what the refusal rule fired on (empty for a thumbs-down)
    section: str  # the nearest section offered, as "guide file > section" (maybe empty)


def nearest_section(answer: Answer) -> str:
    """The section an answer stood on or came nearest to, as "guide file > section" (empty when none was retrieved)."""
    if answer.sources:  # the file, not the title: what a maintainer edits, and the same for refusals and ratings
        return f"{answer.sources[0].source} > {answer.sources[0].section}"
    if answer.retrieved:
        return f"{answer.retrieved[0].source} > {answer.retrieved[0].section}"
    return ""


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
            "chunk_ids TEXT, rating INTEGER, reason TEXT, section TEXT DEFAULT '')"
        )
        if "section" not in {row[1] for row in conn.execute("PRAGMA table_info(feedback)")}:
            conn.execute("ALTER TABLE feedback ADD COLUMN section TEXT DEFAULT ''")  # a store from before gaps
        conn.execute(
            "CREATE TABLE IF NOT EXISTS refused (id INTEGER PRIMARY KEY, at TEXT, question TEXT, reason TEXT, "
            "matched TEXT, section TEXT)"
        )
        return conn

    def _full(self) -> bool:
        """True once the file has reached its bound (logged once a minute, not once per refused row)."""
        if not self.path.is_file() or self.path.stat().st_size < self.max_bytes:
            return False
        if time.monotonic() - self._warned_at > 60:
            self._warned_at = time.monotonic()
            logger.warning("feedback store %s is full (%d bytes, limit %d): nothing more is kept", self.path,
                           self.path.stat().st_size, self.max_bytes)
        return True

    def add(self, question: str, answer: str, chunk_ids: list[str], liked: bool, reason: str = "",
            section: str = "") -> int:
        """Store one rating (`section`: the answer's first cited section); returns its id, or 0 when full."""
        if self._full():
            return 0
        with self._lock, self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (at, question, answer, chunk_ids, rating, reason, section) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (datetime.now(UTC).isoformat(timespec="seconds"), question[:5000], answer[:20000],
                 json.dumps(chunk_ids), 1 if liked else -1, reason[:2000], section[:500]),
            )
            return int(cursor.lastrowid or 0)

    def add_refusal(self, question: str, reason: Reason, matched: str, nearest_section: str) -> int:
        """Store a refused question that shows a gap in the guides; returns its id, 0 when full or not a gap."""
        if reason not in GAP_REASONS or not question.strip() or self._full():
            return 0
        with self._lock, self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO refused (at, question, reason, matched, section) VALUES (?, ?, ?, ?, ?)",
                (datetime.now(UTC).isoformat(timespec="seconds"), question[:MAX_REFUSED_CHARS], reason.value,
                 matched[:500], nearest_section[:500]),
            )
            return int(cursor.lastrowid or 0)

    def add_refused(self, answer: Answer) -> int:
        """Store a refused answer's question, reason, what its rule matched and its nearest section (add_refusal)."""
        if not answer.refused:
            return 0
        return self.add_refusal(answer.question, answer.reason, answer.matched, nearest_section(answer))

    def asked(self) -> list[Asked]:
        """Refused questions and answers whose latest rating is a thumbs down, oldest first."""
        if not self.path.is_file():  # reading never creates the file
            return []
        with self._lock, self._connect() as conn:
            refused = conn.execute("SELECT at, question, reason, matched, section FROM refused").fetchall()
            disliked = conn.execute("SELECT at, question, reason, section FROM feedback WHERE rating < 0").fetchall()
        rows = [Asked(Kind.REFUSED, q, at, why, matched, section or "") for at, q, why, matched, section in refused]
        rows += [Asked(Kind.DISLIKED, q, at, why or "", "", section or "") for at, q, why, section in disliked]
        return sorted(rows, key=lambda a: a.at)

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
