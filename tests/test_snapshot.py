"""The career card: figures copied from the role's own guide by shapes kept as data, dated, and missing when absent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from index_helpers import MAX_BYTES, close

from chatbot.embeddings import HashEmbedder
from chatbot.indexing import ingest
from chatbot.retrieval import Index
from chatbot.snapshot import (
    AS_OF_IGNORES,
    AS_OF_MATCHES,
    FIGURE_KINDS,
    SHAPES,
    STEPS,
    Dated,
    Kind,
    Shape,
    Staleness,
    Step,
    UnknownRoleError,
    snapshot,
    stale_guides,
    stated_as_of,
    step_of,
)
from chatbot.store import ChunkRow, GuideRow, State, Store

pytest_plugins = ["fixtures_index"]


@pytest.mark.parametrize("shape", SHAPES, ids=[s.kind.name for s in SHAPES])
def test_each_figure_shape_matches_its_examples_and_ignores_the_others(shape: Shape) -> None:
    for sentence, value in shape.matches:
        assert shape.find(sentence) == value, sentence
    for sentence in shape.ignores:
        assert shape.find(sentence) == "", sentence


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_each_step_names_its_examples_and_not_the_others(step: Step) -> None:
    for clause in step.matches:
        assert step_of(clause) == step.name, clause
    for clause in step.ignores:
        assert step_of(clause) != step.name, clause


def test_a_sentence_dates_its_figure_by_period_year_or_source() -> None:
    for sentence, stated in AS_OF_MATCHES:
        assert stated_as_of(sentence) == stated
    for sentence in AS_OF_IGNORES:
        assert stated_as_of(sentence) == ""


@pytest.mark.slow
def test_the_bundled_guide_gives_every_figure_with_its_section(seed: Index) -> None:
    card = snapshot(seed, "Machine Learning Engineer")
    outlook = "What is the job outlook for a Machine Learning Engineer?"
    how_long = "How long does it take to become a Machine Learning Engineer?"
    figures = {k: f for k, f in card.figures.items() if f is not None}
    assert figures[Kind.ANNUAL_PAY].value == "$112,430"
    assert "$54.05" in figures[Kind.HOURLY_PAY].value
    assert figures[Kind.GROWTH].value == "9.7%" and figures[Kind.PERIOD].value == "2022 to 2032"
    assert figures[Kind.OPENINGS].value == "33,500" and "each year" in figures[Kind.OPENINGS].text
    assert figures[Kind.TIME_TO_GET_IN].value == "about four years"
    assert {f.section for k, f in figures.items() if k is not Kind.TIME_TO_GET_IN} == {outlook}
    assert figures[Kind.TIME_TO_GET_IN].section == how_long
    for fact in figures.values():
        assert fact.value in fact.text and fact.source == "machine-learning-engineer.md"
    # Dated by its own sentence where it says so, else by the guide's last_reviewed.
    assert (figures[Kind.GROWTH].as_of, figures[Kind.GROWTH].dated) == ("2022 to 2032", Dated.STATED)
    assert figures[Kind.ANNUAL_PAY].as_of == "BLS reports"
    assert (figures[Kind.OPENINGS].as_of, figures[Kind.OPENINGS].dated) == ("2026-11-23", Dated.REVIEWED)
    assert card.figures[Kind.ENTRY_PAY] is None and card.missing == [Kind.ENTRY_PAY]
    assert card.lists[Kind.PROS][0].value == "High demand for skilled professionals."
    assert card.lists[Kind.CONS][0].value == "Complex and challenging work."
    assert all("Pros" not in f.value and "Cons" not in f.value for f in card.lists[Kind.PROS] + card.lists[Kind.CONS])
    # No list is labelled skills: the list items in the topic's words ("languages", not "your skills" in passing).
    skills = [f.value for f in card.lists[Kind.SKILLS]]
    assert skills and all("programming languages" in v or "frameworks" in v for v in skills), skills
    assert [(m.step, m.duration.value) for m in card.timeline] == [
        ("degree", "about four years"), ("entry-level", "an additional one to two years"),
        ("master's", "another one to two years")]
    data = card.to_dict()
    assert set(data["facts"]["annual_pay"]) == {"value", "text", "source", "section", "as_of"}
    assert data["facts"]["entry_pay"] is None and data["missing"] == ["entry_pay"]


def test_a_role_is_found_by_a_short_form_and_an_unknown_one_lists_the_roles(roles_index: Index) -> None:
    assert snapshot(roles_index, "RN").role == "Registered Nurse"
    with pytest.raises(UnknownRoleError, match=r"Dentist.*guides for: Data Scientist, Registered Nurse, Web Developer"):
        snapshot(roles_index, "Dentist")


def test_each_role_gets_only_its_own_guides_figures(roles_index: Index) -> None:
    nurse = snapshot(roles_index, "Registered Nurse")
    assert nurse.figures[Kind.ANNUAL_PAY] is not None and nurse.figures[Kind.ANNUAL_PAY].value == "$86,070"
    assert nurse.figures[Kind.GROWTH] is not None and nurse.figures[Kind.GROWTH].value == "6%"
    assert nurse.figures[Kind.OPENINGS] is None  # the data scientist's or web developer's would be borrowed
    assert nurse.figures[Kind.ANNUAL_PAY].dated is Dated.UNKNOWN  # a .txt guide has no last_reviewed
    scientist = snapshot(roles_index, "Data Scientist")
    assert scientist.figures[Kind.ANNUAL_PAY] is not None and scientist.figures[Kind.ANNUAL_PAY].value == "$103,500"
    assert {f.source for k in Kind for f in scientist.facts(k)} == {"data-scientist.md"}
    assert scientist.lists[Kind.CONS][0].value.startswith("Much of the time goes into cleaning")
    assert ("master's", "one to two years") in [(m.step, m.duration.value) for m in scientist.timeline]


def test_a_guide_without_figures_gives_a_card_that_says_so(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "beekeeper.md").write_text(
        "---\ntitle: Beekeeper\nrole: Beekeeper\n---\n## What does a beekeeper earn?\n\nPay depends on the harvest "
        "and on the honey market.\n\n## How long does it take to become a beekeeper?\n\nIt depends on the season "
        "you start in.\n\n## Pros and cons\n\n- Pros:\n  - Work outdoors.\n  - Calm work.\n- Cons:\n  - Stings.\n")
    (knowledge / "baker.md").write_text(
        "---\ntitle: Baker\nrole: Baker\n---\n## What does a baker earn?\n\nBakers earn $31,000 a year, or $15.10 per "
        "hour.\n\n## How long does it take to become a baker?\n\nAn apprenticeship takes about two years.\n")
    store = Store(tmp_path / "index")
    ingest(knowledge, store, HashEmbedder(), max_bytes=MAX_BYTES)
    index = Index(store, HashEmbedder())
    try:
        card = snapshot(index, "beekeeper")
        assert not card.has_figures and all(card.figures[k] is None for k in FIGURE_KINDS)
        assert [f.value for f in card.lists[Kind.PROS]] == ["Work outdoors.", "Calm work."]
        assert [f.value for f in card.lists[Kind.CONS]] == ["Stings."]
        assert card.to_dict()["facts"]["annual_pay"] is None and "annual_pay" in card.to_dict()["missing"]
        assert snapshot(index, "baker").figures[Kind.ANNUAL_PAY] is not None  # the baker's figures were there
    finally:
        close(index)


def guide(source: str, reviewed: str) -> GuideRow:
    return GuideRow(source, source, source.split(".")[0].title(), "sha", "md", 1, 1, "2026-01-01", (), 0, reviewed)


def chunk(source: str, text: str) -> ChunkRow:
    return ChunkRow(f"{source}-0", source, 0, f"h-{source}", text, {"section": "Pay", "section_index": 0})


def test_stale_guides_flags_old_reviews_missing_dates_and_unsourced_figures() -> None:
    sourced = "The BLS reports a median salary of $60,000."
    guides = {
        "fresh.md": guide("fresh.md", "2025-12-01"),  # exactly twelve months: not more
        "old.md": guide("old.md", "2025-11-30"),
        "undated.md": guide("undated.md", ""),
        "unsourced.md": guide("unsourced.md", "2026-10-01T09:00:00"),
        "words.md": guide("words.md", "2026-10-01"),
    }
    chunks = {f"{s}-0": chunk(s, text) for s, text in [
        ("fresh.md", sourced), ("old.md", sourced), ("undated.md", sourced),
        ("unsourced.md", "Most earn $60,000 a year.\n\nJobs grow 5% a year."),
        ("words.md", "Pay depends on the town.")]}
    flagged = {g.source: g.reasons for g in stale_guides(State(1, "c", "m", guides, chunks), date(2026, 12, 1))}
    assert flagged == {
        "old.md": (Staleness.OLD_REVIEW,),
        "undated.md": (Staleness.NOT_REVIEWED,),
        "unsourced.md": (Staleness.NO_SOURCE,),
    }
    # The last day of a short month counts back to the end of the month a year before.
    leap = {"leap.md": guide("leap.md", "2023-02-28")}
    assert stale_guides(State(1, "c", "m", leap, {}), date(2024, 2, 29)) == []
