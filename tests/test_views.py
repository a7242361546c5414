"""Career views as text and chart points: the snapshot card, the gap report and the guides to review."""

from __future__ import annotations

from pathlib import Path

from index_helpers import guides_index

from chatbot.retrieval import Index
from chatbot.snapshot import StaleGuide, Staleness, snapshot
from chatbot.views import NOT_IN_GUIDE, card_markdown, gaps_markdown, pay_points, stale_markdown, timeline_points

pytest_plugins = ["fixtures_index"]


def test_the_card_of_the_bundled_guide(seed: Index) -> None:
    card = snapshot(seed, "Machine Learning Engineer")
    text = card_markdown(card)
    for figure in ("$112,430", "$54.05", "9.7%", "2022 to 2032", "33,500", "about four years"):
        assert figure in text
    assert f"**entry pay**: {NOT_IN_GUIDE}" in text  # the guide states no entry range: nothing is borrowed
    assert "What is the job outlook for a Machine Learning Engineer?" in text and "BLS reports" in text
    assert [(p.label, p.value) for p in pay_points(card)] == [("annual pay", 112430.0)]
    path = {p.label: p.value for p in timeline_points(card)}
    assert path == {"degree": 4.0, "entry-level": 2.0, "master's": 2.0}  # "one to two years" reaches two


def test_a_role_whose_guide_states_no_figures_says_so(tmp_path: Path) -> None:
    index = guides_index(tmp_path, {"lifeguard.md": "---\ntitle: Lifeguard\n---\n## What does a lifeguard do?\n\n"
                                                    "Lifeguards watch swimmers and help people in trouble.\n\n"
                                                    "## What does a lifeguard earn?\n\nPay depends on the pool.\n"})
    card = snapshot(index, "Lifeguard")
    text = card_markdown(card)
    assert "state no pay, time or outlook figures" in text and "$" not in text
    assert pay_points(card) == [] and timeline_points(card) == []


def test_the_gap_report_and_the_guides_to_review_read_as_sentences() -> None:
    from chatbot.gaps import Gap

    gap = Gap(3, "Can I work remotely?", "guide.md > Pros", 3, 0, ("not_covered",), (), ("Can I work remotely?",),
              "2026-12-01", "2026-12-01")
    assert gaps_markdown([gap]) == '- 3 asked "Can I work remotely?": 3 refused (not_covered); nearest section: ' \
                                   'guide.md > Pros'
    assert gaps_markdown([]) == "No refused or disliked questions yet."
    stale = StaleGuide("old.md", "Baker", "2024-01-01", (Staleness.OLD_REVIEW, Staleness.NO_SOURCE))
    assert stale_markdown([stale]) == ("- `old.md` (Baker): not reviewed for more than 12 months, its figures name "
                                       "no source")
    assert "reviewed in the last 12 months" in stale_markdown([])
