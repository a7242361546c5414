"""Roles side by side: one cited cell per role, citations numbered across the table, 'not in the guide' when absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import copy_guides
from index_helpers import MAX_BYTES, close, guides_index

from chatbot.answer import Source
from chatbot.chain import ask, build_chain
from chatbot.comparison import NOT_IN_GUIDE, Cell, cards_table, table
from chatbot.indexing import ingest
from chatbot.question import Topic
from chatbot.render import to_safe_html
from chatbot.retrieval import Index
from chatbot.snapshot import FIGURE_KINDS, LIST_KINDS, Card, Dated, Fact, Kind, snapshot
from chatbot.store import Store

pytest_plugins = ["fixtures_index"]


def source(n: int, guide: str) -> Source:
    return Source(n, guide, f"{guide}.md", "Pay", "snippet", 0.5, f"{guide}-{n}")


def test_cells_are_renumbered_across_the_table_and_escaped() -> None:
    cells = [
        Cell("Baker", "Bakers earn $30,000 a year. [1]\n\n- Tips | bonuses [2]", (source(1, "b"), source(2, "b")), ()),
        Cell("Pilot", "", (), ()),
        Cell("Chef", "Chefs earn $40,000. [1]", (source(1, "c"),), ()),
    ]
    text, sources = table(cells, Topic.PAY)
    lines = text.splitlines()
    assert lines[0] == "| role | pay |" and lines[1] == "| --- | --- |"
    assert lines[2] == "| Baker | Bakers earn $30,000 a year. [1]; Tips \\| bonuses [2] |"
    assert lines[3] == f"| Pilot | {NOT_IN_GUIDE} |"
    assert lines[4] == "| Chef | Chefs earn $40,000. [3] |"
    assert [(s.n, s.guide) for s in sources] == [(1, "b"), (2, "b"), (3, "c")]
    assert "<table>" in to_safe_html(text) and to_safe_html(text).count("<tr>") == 4


def test_a_source_the_cell_no_longer_cites_is_dropped() -> None:
    text, sources = table([Cell("Baker", "Bakers earn $30,000. [2]", (source(1, "b"), source(2, "b")), ())], Topic.PAY)
    assert text.endswith("| Baker | Bakers earn $30,000. [1] |") and [s.chunk_id for s in sources] == ["b-2"]


def test_which_pays_more_is_answered_side_by_side(roles_index: Index) -> None:
    answer = ask(build_chain(roles_index), "Which pays more, a data scientist or a web developer?")
    assert not answer.refused
    rows = {line.split(" | ")[0].strip("| "): line for line in answer.text.splitlines() if line.startswith("| ")}
    assert "$103,500" in rows["Data Scientist"] and "$78,580" in rows["Web Developer"]
    assert "$78,580" not in rows["Data Scientist"] and "$103,500" not in rows["Web Developer"]
    cited = {s.n: s.source for s in answer.sources}
    assert cited == {1: "data-scientist.md", 2: "web-developer.html"}
    assert "[1]" in rows["Data Scientist"] and "[2]" in rows["Web Developer"]
    assert {r.source for r in answer.read} >= {"data-scientist.md", "web-developer.html"}


def test_a_role_whose_guide_lacks_the_figure_says_so_in_its_cell(tmp_path: Path) -> None:
    index = guides_index(tmp_path, {
        "baker.md": "---\ntitle: Baker\n---\n## What does a baker earn?\n\nBakers earn about $31,000 a year.\n\n"
                    "## What does a baker do?\n\nBakers bake.\n",
        "lifeguard.md": "---\ntitle: Lifeguard\n---\n## What does a lifeguard earn?\n\nPay depends on the pool.\n\n"
                        "## What does a lifeguard do?\n\nLifeguards watch swimmers.\n"})
    answer = ask(build_chain(index, min_evidence=0.0), "baker or lifeguard: which pays more?")
    rows = {line.split(" | ")[0].strip("| "): line for line in answer.text.splitlines() if line.startswith("| ")}
    assert rows["Baker"] == "| Baker | Bakers earn about $31,000 a year. [1] |"
    assert rows["Lifeguard"] == f"| Lifeguard | {NOT_IN_GUIDE} |"  # "depends on the pool" is no figure
    assert [s.source for s in answer.sources] == ["baker.md"]


def test_two_guides_for_one_role_that_disagree_are_both_shown(tmp_path: Path) -> None:
    index = guides_index(tmp_path, {
        name: f"---\ntitle: {title}\n---\n## What does a baker earn?\n\nBakers earn about {pay} a year.\n\n"
              "## What does a baker do?\n\nBakers bake.\n"
        for name, title, pay in (("baker.md", "Baker", "$31,000"),
                                 ("baker-guide.md", "Baker Career Guide", "$28,500"))})
    answer = ask(build_chain(index, min_evidence=0.0), "How much does a baker earn?")
    assert answer.text.startswith("The guides for Baker give different figures:")
    rows = {line.split(" | ")[0].strip("| "): line for line in answer.text.splitlines() if line.startswith("| ")}
    assert "$31,000" in rows["Baker"] and "$28,500" in rows["Baker Career Guide"]
    assert sorted(s.source for s in answer.sources) == ["baker-guide.md", "baker.md"]


def fact(kind: Kind, value: str, chunk: str, dated: Dated = Dated.REVIEWED, as_of: str = "2026-11-23") -> Fact:
    return Fact(kind, value, f"They earn {value}.", f"{chunk}.md", "Pay", as_of, dated, chunk.title(), chunk)


def card(role: str, *facts: Fact) -> Card:
    figures: dict[Kind, Fact | None] = {k: None for k in FIGURE_KINDS}
    lists: dict[Kind, tuple[Fact, ...]] = {k: () for k in LIST_KINDS}
    for f in facts:
        if f.kind in LIST_KINDS:
            lists[f.kind] += (f,)
        else:
            figures[f.kind] = f
    return Card(role, (f"{role.lower()}.md",), figures, lists, ())


def test_cards_side_by_side_one_row_per_fact_each_cell_cited_and_dated() -> None:
    baker = card("Baker", fact(Kind.ANNUAL_PAY, "$31,000", "b1", Dated.STATED, "BLS reports"),
                 fact(Kind.HOURLY_PAY, "$15.10", "b1"), fact(Kind.PROS, "Early hours | quiet", "b2"),
                 fact(Kind.PROS, "Warm kitchen.", "b2"))
    pilot = card("Pilot", fact(Kind.ANNUAL_PAY, "$120,000", "p1", Dated.UNKNOWN, ""))
    text, sources = cards_table([baker, pilot])
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines()[2:]}
    assert text.splitlines()[0] == "| fact | Baker | Pilot |" and set(rows) == {k.value for k in Kind}
    assert rows["annual pay"] == "| annual pay | $31,000 [1] (BLS reports) | $120,000 [2] |"
    assert rows["hourly pay"] == f"| hourly pay | $15.10 [1] (reviewed 2026-11-23) | {NOT_IN_GUIDE} |"  # same chunk
    assert rows["pros"] == f"| pros | Early hours \\| quiet; Warm kitchen. [3] | {NOT_IN_GUIDE} |"
    assert rows["growth"] == f"| growth | {NOT_IN_GUIDE} | {NOT_IN_GUIDE} |"
    assert [(s.n, s.chunk_id, s.snippet) for s in sources] == [
        (1, "b1", "They earn $31,000."), (2, "p1", "They earn $120,000."),
        (3, "b2", "They earn Early hours | quiet. They earn Warm kitchen..")]
    assert to_safe_html(text).count("<tr>") == len(Kind) + 1


@pytest.mark.slow
def test_the_bundled_guide_compared_with_a_role_without_figures(tmp_path: Path, real_embedder: Any) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    copy_guides(knowledge, "seed")
    (knowledge / "beekeeper.md").write_text("---\ntitle: Beekeeper\nrole: Beekeeper\n---\n## What does a beekeeper "
                                            "earn?\n\nPay depends on the harvest.\n")
    store = Store(tmp_path / "index")
    ingest(knowledge, store, real_embedder, max_bytes=MAX_BYTES)
    index = Index(store, real_embedder)
    try:
        text, sources = cards_table([snapshot(index, "Machine Learning Engineer"), snapshot(index, "Beekeeper")])
    finally:
        close(index)
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines()[2:]}
    assert rows["annual pay"] == f"| annual pay | $112,430 [1] (BLS reports) | {NOT_IN_GUIDE} |"
    assert rows["growth"].startswith("| growth | 9.7% [1] (2022 to 2032) |")
    assert all(line.endswith(f"| {NOT_IN_GUIDE} |") for line in rows.values())
    assert {s.source for s in sources} == {"machine-learning-engineer.md"}


def test_a_role_whose_name_holds_another_is_answered_alone_not_compared(tmp_path: Path, real_embedder: Any) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for name, role, pay in (("data-scientist.md", "Data Scientist", "$103,500"),
                            ("senior-data-scientist.md", "Senior Data Scientist", "$146,000")):
        (knowledge / name).write_text(f"---\ntitle: {role}\nrole: {role}\n---\n## What does a {role.lower()} earn?\n\n"
                                      f"A {role.lower()} earns about {pay} a year.\n\n## What does a {role.lower()} "
                                      f"do?\n\nThey build models from data.\n", encoding="utf-8")
    store = Store(tmp_path / "index")
    ingest(knowledge, store, real_embedder, max_bytes=MAX_BYTES)
    index = Index(store, real_embedder)
    try:
        chain = build_chain(index)
        senior = ask(chain, "What does a senior data scientist earn?")
        both = ask(chain, "Who earns more, a data scientist or a senior data scientist?")
    finally:
        close(index)
    assert not senior.refused and "| role |" not in senior.text, senior.text
    assert "$146,000" in senior.text and "$103,500" not in senior.text
    assert {s.source for s in senior.sources} == {"senior-data-scientist.md"}
    rows = {line.split(" | ")[0].strip("| "): line for line in both.text.splitlines() if line.startswith("| ")}
    assert "$103,500" in rows["Data Scientist"] and "$146,000" in rows["Senior Data Scientist"], both.text
