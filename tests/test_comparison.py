"""Roles side by side: one cited cell per role, citations numbered across the table, 'not in the guide' when absent."""

from __future__ import annotations

from pathlib import Path

from index_helpers import MAX_BYTES

from chatbot.answer import Source
from chatbot.chain import ask, build_chain
from chatbot.comparison import NOT_IN_GUIDE, Cell, table
from chatbot.embeddings import HashEmbedder
from chatbot.indexing import ingest
from chatbot.question import Topic
from chatbot.render import to_safe_html
from chatbot.retrieval import Index
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
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "baker.md").write_text("---\ntitle: Baker\n---\n## What does a baker earn?\n\n"
                                        "Bakers earn about $31,000 a year.\n\n"
                                        "## What does a baker do?\n\nBakers bake.\n")
    (knowledge / "lifeguard.md").write_text("---\ntitle: Lifeguard\n---\n## What does a lifeguard earn?\n\n"
                                            "Pay depends on the pool.\n\n## What does a lifeguard do?\n\n"
                                            "Lifeguards watch swimmers.\n")
    embedder = HashEmbedder()
    store = Store(tmp_path / "index")
    ingest(knowledge, store, embedder, max_bytes=MAX_BYTES)
    answer = ask(build_chain(Index(store, embedder), min_evidence=0.0), "baker or lifeguard: which pays more?")
    rows = {line.split(" | ")[0].strip("| "): line for line in answer.text.splitlines() if line.startswith("| ")}
    assert rows["Baker"] == "| Baker | Bakers earn about $31,000 a year. [1] |"
    assert rows["Lifeguard"] == f"| Lifeguard | {NOT_IN_GUIDE} |"  # "depends on the pool" is no figure
    assert [s.source for s in answer.sources] == ["baker.md"]


def test_two_guides_for_one_role_that_disagree_are_both_shown(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for name, title, pay in (("baker.md", "Baker", "$31,000"), ("baker-guide.md", "Baker Career Guide", "$28,500")):
        (knowledge / name).write_text(f"---\ntitle: {title}\n---\n## What does a baker earn?\n\n"
                                      f"Bakers earn about {pay} a year.\n\n## What does a baker do?\n\nBakers bake.\n")
    embedder = HashEmbedder()
    store = Store(tmp_path / "index")
    ingest(knowledge, store, embedder, max_bytes=MAX_BYTES)
    answer = ask(build_chain(Index(store, embedder), min_evidence=0.0), "How much does a baker earn?")
    assert answer.text.startswith("The guides for Baker give different figures:")
    rows = {line.split(" | ")[0].strip("| "): line for line in answer.text.splitlines() if line.startswith("| ")}
    assert "$31,000" in rows["Baker"] and "$28,500" in rows["Baker Career Guide"]
    assert sorted(s.source for s in answer.sources) == ["baker-guide.md", "baker.md"]
