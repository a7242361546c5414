"""Feedback is stored with the question, answer and chunk ids."""

from pathlib import Path

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
