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


def test_chat_ratings_replace_per_answer_and_are_bounded_per_minute(tmp_path: Path) -> None:
    from chatbot.ui import RATINGS_PER_MINUTE, ChatHandler, new_state

    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    handler = ChatHandler(None, store, 2000, clock=clock)  # type: ignore[arg-type]  # rating needs no chain
    state = new_state()
    state["answers"] = {1: {"question": "Q1", "answer": "A1", "chunk_ids": []},
                        3: {"question": "Q2", "answer": "A2", "chunk_ids": []}}
    # Positions 1 and 2 are answer 1 and its sources panel, 4 the sources of answer 3: two answers in all.
    replies = [handler.rate((1, 2, 4)[n % 3], liked=n % 2 == 0, state=state) for n in range(RATINGS_PER_MINUTE + 5)]
    assert all(r.startswith("Thanks") for r in replies[:RATINGS_PER_MINUTE])
    assert all("wait a minute" in r for r in replies[RATINGS_PER_MINUTE:])
    assert sorted(r["question"] for r in store.all()) == ["Q1", "Q2"], "one row per answer"
    clock.now += 61
    assert handler.rate(3, liked=False, state=state).startswith("Thanks")
    assert [(r["question"], r["rating"]) for r in store.all()][-1] == ("Q2", -1) and len(store.all()) == 2
