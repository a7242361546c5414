"""The UI handlers are plain Python: tested here without a server or a browser."""

from pathlib import Path
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.errors import CareerBotError
from chatbot.feedback import FeedbackStore
from chatbot.ui import AdminHandler, ChatHandler, build_demo, launch, new_state
from tests.helpers import make_chain, make_index


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Any, Any]:
    knowledge, index = make_index(tmp_path, "seed", "data-scientist.md")
    return knowledge, index, make_chain(index)


def run(handler: ChatHandler, message: str, history: list[dict[str, Any]], state: dict[str, Any]) -> list[Any]:
    return list(handler.respond(message, history, state))


def test_answer_streams_then_lists_sources(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    _, _, chain = setup
    handler = ChatHandler(chain, FeedbackStore(tmp_path / "f.sqlite3"), 2000)
    state = new_state()
    steps = run(handler, "How long does it take to become a machine learning engineer?", [], state)
    assert len(steps) > 3  # streamed in pieces
    partial = [s[0][-1]["content"] for s in steps[:-1] if s[0][-1]["role"] == "assistant"]
    assert len({len(p) for p in partial}) > 2  # the assistant message grows
    history, state, box = steps[-1]
    assert box == ""
    assert history[0]["content"].strip() == "<p>How long does it take to become a machine learning engineer?</p>"
    assert "four years" in history[1]["content"]
    sources = history[2]
    assert sources["metadata"]["title"].startswith("Sources (")
    assert "How long does it take to become a Machine Learning Engineer?" in sources["content"]
    assert "retrieve" in sources["content"] and "compose" in sources["content"]
    assert [t["role"] for t in state["turns"]] == ["user", "assistant"]


def test_follow_up_uses_the_conversation(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    _, _, chain = setup
    handler = ChatHandler(chain, FeedbackStore(tmp_path / "f.sqlite3"), 2000)
    state = new_state()
    history = run(handler, "How long does it take to become a data scientist?", [], state)[-1][0]
    history = run(handler, "And what does it pay?", history, state)[-1][0]
    answer = [m for m in history if m["role"] == "assistant" and "metadata" not in m][-1]["content"]
    assert "$103,500" in answer and "$112,430" not in answer


def test_empty_input_is_ignored_and_long_input_gets_a_message(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    _, _, chain = setup
    handler = ChatHandler(chain, FeedbackStore(tmp_path / "f.sqlite3"), 50)
    assert run(handler, "   ", [], new_state()) == [([], new_state(), "")]
    history = run(handler, "x" * 100, [], new_state())[-1][0]
    assert "please keep it under 50" in history[-1]["content"]


def test_markup_in_a_question_is_never_rendered(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    _, _, chain = setup
    handler = ChatHandler(chain, FeedbackStore(tmp_path / "f.sqlite3"), 2000)
    history = run(handler, "<script>alert(1)</script><img src=x onerror=alert(1)>", [], new_state())[-1][0]
    assert all("<script" not in m["content"] and "<img" not in m["content"] for m in history)
    assert "&lt;script&gt;" in history[0]["content"]


def test_a_failing_chain_gives_a_friendly_message(tmp_path: Path) -> None:
    class Broken:
        def stream(self, inputs: Any) -> Any:
            raise RuntimeError("disk on fire")

    handler = ChatHandler(Broken(), FeedbackStore(tmp_path / "f.sqlite3"), 2000)  # type: ignore[arg-type]
    history = run(handler, "How long?", [], new_state())[-1][0]
    assert "something went wrong" in history[-1]["content"]
    assert "disk on fire" not in history[-1]["content"] and "Traceback" not in history[-1]["content"]


def test_feedback_is_stored_with_chunk_ids_and_reason(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    _, _, chain = setup
    store = FeedbackStore(tmp_path / "f.sqlite3")
    handler = ChatHandler(chain, store, 2000)
    state = new_state()
    history = run(handler, "What is the salary of a machine learning engineer?", [], state)[-1][0]
    assert "Only answers" in handler.rate(0, True, state)  # the user's own message cannot be rated
    handler.rate(1, False, state)
    handler.reason("missing the hourly wage", state)
    (row,) = store.all()
    assert row["rating"] == -1 and row["reason"] == "missing the hourly wage"
    assert "112,430" in str(row["answer"]) and row["question"].startswith("What is the salary")
    assert len(history) == 3 and str(row["chunk_ids"]).startswith('["')


def test_admin_needs_the_configured_password(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    knowledge, index, _ = setup
    readonly = AdminHandler(Settings(knowledge_dir=knowledge, index_dir=tmp_path / "index"), index)
    with pytest.raises(CareerBotError, match="disabled"):
        readonly.run_ingest("", dry_run=True)
    admin = AdminHandler(Settings(knowledge_dir=knowledge, index_dir=tmp_path / "index", admin_password="s3cret"),
                         index)
    before = sorted(p.name for p in knowledge.iterdir())
    for attempt in (lambda: admin.delete("wrong", "data-scientist.md"), lambda: admin.run_ingest("", False),
                    lambda: admin.upload("nope", str(knowledge / "data-scientist.md"), "x.md")):
        with pytest.raises(CareerBotError, match="Wrong admin password"):
            attempt()
    assert sorted(p.name for p in knowledge.iterdir()) == before
    assert {row[0] for row in admin.guides()} == {"machine-learning-engineer.md", "data-scientist.md"}


def test_admin_upload_preview_and_reingest_change_answers(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    knowledge, index, chain = setup
    admin = AdminHandler(Settings(knowledge_dir=knowledge, index_dir=tmp_path / "index", admin_password="pw"), index)
    edited = tmp_path / "edited.md"
    edited.write_text((knowledge / "machine-learning-engineer.md").read_text().replace("$112,430", "$150,000"))
    assert "Saved as machine-learning-engineer.md" in admin.upload("pw", str(edited), "edited.md",
                                                                   "machine-learning-engineer.md")
    assert "updated 1" in admin.run_ingest("pw", dry_run=True)
    assert "Re-ingest finished" in admin.run_ingest("pw", dry_run=False)
    handler = ChatHandler(chain, FeedbackStore(tmp_path / "f.sqlite3"), 2000)
    history = run(handler, "What is the average salary of a machine learning engineer?", [], new_state())[-1][0]
    assert "$150,000" in history[1]["content"] and "$112,430" not in history[1]["content"]
    assert "Deleted" in admin.delete("pw", "data-scientist.md")
    assert "removed" in admin.run_ingest("pw", dry_run=False)
    assert {row[0] for row in admin.guides()} == {"machine-learning-engineer.md"}


def test_only_the_chat_is_callable_through_the_api(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    knowledge, index, chain = setup
    demo = build_demo(chain, index, Settings(knowledge_dir=knowledge, index_dir=tmp_path / "index",
                                             admin_password="pw"))
    names = set(demo.get_api_info()["named_endpoints"])
    assert names == {"/chat"}


def test_launch_keeps_a_bounded_number_of_sessions(setup: tuple[Path, Any, Any], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    knowledge, index, chain = setup
    settings = Settings(knowledge_dir=knowledge, index_dir=tmp_path / "index", max_sessions=25)
    demo = build_demo(chain, index, settings)
    seen: dict[str, Any] = {}
    real = type(demo).launch
    monkeypatch.setattr(demo, "launch", lambda **kwargs: seen.update(kwargs))
    launch(demo, settings)
    inspect.signature(real).bind(demo, **seen)  # every option is one this Gradio has
    assert seen["state_session_capacity"] == 25
    assert (seen["share"], seen["server_name"], seen["enable_monitoring"]) == (False, "127.0.0.1", False)


def test_admin_table_has_the_guides_command_columns(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    from chatbot.ui import GUIDE_COLUMNS

    _, index, _ = setup
    admin = AdminHandler(Settings(index_dir=tmp_path / "index"), index)
    rows = {row[0]: dict(zip(GUIDE_COLUMNS, row, strict=True)) for row in admin.guides()}
    assert rows["data-scientist.md"]["role"] == "Data Scientist"
    assert rows["machine-learning-engineer.md"]["last_reviewed"] == "2026-11-23"
    assert rows["machine-learning-engineer.md"]["sections"] > 0 and rows["machine-learning-engineer.md"]["chunks"] > 0


def test_admin_corrects_a_role_in_the_front_matter(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    knowledge, index, _ = setup
    admin = AdminHandler(Settings(knowledge_dir=knowledge, index_dir=tmp_path / "index", admin_password="pw"), index)
    guide = knowledge / "data-scientist.md"
    before = guide.read_text(encoding="utf-8")
    with pytest.raises(CareerBotError, match="Wrong admin password"):
        admin.set_role("nope", "data-scientist.md", "Analytics Engineer")
    with pytest.raises(CareerBotError, match="Type the role"):
        admin.set_role("pw", "data-scientist.md", " \n ")
    with pytest.raises(CareerBotError, match="Choose a guide"):
        admin.set_role("pw", "../outside.md", "Analytics Engineer")
    assert guide.read_text(encoding="utf-8") == before

    status = admin.set_role("pw", "data-scientist.md", "  Analytics   Engineer ")
    assert "set to Analytics Engineer" in status and "Re-ingest finished" in status
    after = guide.read_text(encoding="utf-8")
    assert "role: Analytics Engineer" in after and "title: Data Scientist Career Guide" in after
    assert after.split("\n---", 1)[1] == before.split("\n---", 1)[1]  # the guide's text is untouched
    roles = {row[0]: row[2] for row in admin.guides()}
    assert roles["data-scientist.md"] == "Analytics Engineer"
    assert index.snapshot().roles.mentioned("what does an analytics engineer do") == "Analytics Engineer"


def test_admin_role_correction_is_for_markdown_only(tmp_path: Path) -> None:
    knowledge, index = make_index(tmp_path, "registered-nurse.txt")
    admin = AdminHandler(Settings(knowledge_dir=knowledge, index_dir=tmp_path / "index", admin_password="pw"), index)
    before = (knowledge / "registered-nurse.txt").read_bytes()
    with pytest.raises(CareerBotError, match="only be set for Markdown"):
        admin.set_role("pw", "registered-nurse.txt", "Nurse")
    assert (knowledge / "registered-nurse.txt").read_bytes() == before


def test_a_kept_chat_comes_back_as_it_was_shown(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    import json

    from chatbot.ui import kept_chat, restore_chat

    _, _, chain = setup
    handler = ChatHandler(chain, FeedbackStore(tmp_path / "f.sqlite3"), 50)
    state = new_state()
    history = run(handler, "What is the salary of a Data Scientist?", [], state)[-1][0]
    history = run(handler, "x" * 100, history, state)[-1][0]  # a refused message is kept in its place too
    history = run(handler, "And how long does it take?", history, state)[-1][0]
    kept = json.loads(json.dumps(kept_chat(state)))  # what the browser stores: JSON, keys as strings
    assert "<" not in json.dumps(kept["shown"])  # Markdown, never rendered HTML
    restored, again = restore_chat(kept)
    assert restored == history and again["turns"] == state["turns"]
    assert again["answers"] == state["answers"]  # ratings after a reload still find their answer
    assert handler.rate(max(again["answers"]), True, again).startswith("Thanks")


@pytest.mark.parametrize("kept", [None, "x", {"v": 2}, {"v": 1, "shown": "nope"}, {"v": 1, "shown": [], "turns": [],
                                  "answers": {"x": 1}}, {"v": 1, "shown": [{"role": "system", "markdown": "hi"}],
                                                         "turns": [], "answers": {}}])
def test_a_malformed_kept_chat_starts_a_new_one(kept: Any) -> None:
    from chatbot.ui import restore_chat

    history, state = restore_chat(kept)
    assert history == [] or all(m["role"] in ("user", "assistant") for m in history)
    assert state["turns"] == [] and state["answers"] == {}


def test_markup_in_a_kept_chat_is_rendered_inert() -> None:
    from chatbot.ui import restore_chat

    kept = {"v": 1, "turns": [], "answers": {}, "shown": [
        {"role": "assistant", "markdown": "<img src=x onerror=alert(1)> <script>alert(2)</script>", "title": ""}]}
    history, _ = restore_chat(kept)
    assert "<img" not in history[0]["content"] and "<script" not in history[0]["content"]


def test_refused_questions_are_kept_for_the_gap_report(setup: tuple[Path, Any, Any], tmp_path: Path) -> None:
    _, index, chain = setup
    store = FeedbackStore(tmp_path / "index" / "feedback.sqlite3")
    handler = ChatHandler(chain, store, 2000)
    state = new_state()
    run(handler, "How do I become a dentist?", [], state)
    run(handler, "What does a data scientist earn?", [], state)  # answered: not a gap
    asked = [a.question for a in store.asked()]
    assert asked == ["How do I become a dentist?"]
    admin = AdminHandler(Settings(knowledge_dir=tmp_path / "knowledge", index_dir=tmp_path / "index",
                                  admin_password="pw"), index)
    with pytest.raises(CareerBotError, match="Wrong admin password"):
        admin.gap_report("nope")  # the questions users asked are for admins only
    text, rows = admin.gap_report("pw")
    assert 'asked "How do I become a dentist?"' in text and "How do I become a dentist?" in rows
    assert "no_guide" in text


def test_the_career_card_handler(setup: tuple[Path, Any, Any]) -> None:
    from chatbot.ui import CareersHandler

    _, index, _ = setup
    careers = CareersHandler(index)
    assert careers.roles() == ["Data Scientist", "Machine Learning Engineer"]
    text, pay, _ = careers.card("Data Scientist")
    assert "$103,500" in text and any(p.value == 103500.0 for p in pay)
    assert careers.card("")[0].startswith("Pick a role")
    side_by_side = careers.compare(["Data Scientist", "Machine Learning Engineer"])
    assert side_by_side.startswith("| fact | Data Scientist | Machine Learning Engineer |")
    assert "$103,500" in side_by_side and "$112,430" in side_by_side and "\n1. *" in side_by_side
    assert careers.compare(["Data Scientist"]) == "Pick two to four roles to compare."
    turns = [{"role": "user", "content": "What does a data scientist earn?"}, {"role": "assistant", "content": "…"},
             {"role": "user", "content": "And how long does it take?"}]
    assert careers.role_of(turns) == "Data Scientist" and careers.role_of([]) == ""
    with pytest.raises(CareerBotError, match="there are guides for: Data Scientist, Machine Learning Engineer"):
        careers.card("Dentist")


def test_figures_in_the_sources_say_when_they_are_from() -> None:
    from chatbot.answer import Answer, Source
    from chatbot.ui import sources_markdown

    answer = Answer(question="pay?", sources=[
        Source(1, "ML Guide", "ml.md", "Outlook", "The BLS reports an average salary of $112,430.", 0.5, "a"),
        Source(2, "ML Guide", "ml.md", "Pay", "Hourly, about $54.05 per hour.", 0.5, "b"),
        Source(3, "ML Guide", "ml.md", "Duties", "They build models.", 0.5, "c")])
    panel = sources_markdown(answer, reviewed=lambda source: "2026-11-23")
    assert "`ml.md` · figures as of: BLS reports)" in panel
    assert "`ml.md` · figures as of: guide reviewed 2026-11-23)" in panel
    assert "Duties (`ml.md`)" in panel  # no figure: nothing to date
