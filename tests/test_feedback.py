"""Feedback is stored with the question, answer and chunk ids; one rating per answer; the store is bounded."""

from pathlib import Path

import pytest

from chatbot.feedback import FeedbackStore


def test_rating_and_reason_are_stored(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    first = store.add("How long?", "About four years. [1]", ["abc", "def"], liked=True)
    store.add("Pay?", "$112,430 [1]", ["ghi"], liked=False, reason="too short")
    store.set_reason(first, "clear and complete")
    rows = store.all()
    assert [r["rating"] for r in rows] == [1, -1]
    assert rows[0]["reason"] == "clear and complete"
    assert rows[0]["chunk_ids"] == '["abc", "def"]'
    assert rows[1]["question"] == "Pay?"


def test_a_new_rating_replaces_the_old(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    first = store.add("How long?", "About four years. [1]", ["abc"], liked=True)
    store.set_rating(first, liked=False)
    assert [(r["id"], r["rating"]) for r in store.all()] == [(first, -1)]


def test_a_full_store_refuses_with_one_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3", max_bytes=40_000)
    ids = [store.add("Q" * 5000, "A" * 20000, ["x"], liked=True) for _ in range(20)]
    assert ids[0] > 0 and ids[-1] == 0, "the store stops growing once it reaches its bound"
    assert (tmp_path / "feedback.sqlite3").stat().st_size < 40_000 + 30_000  # at most one row beyond it
    lines = [r.getMessage() for r in caplog.records if "is full" in r.getMessage()]
    assert len(lines) == 1, lines
