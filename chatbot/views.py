"""Career views as Markdown and chart points: the snapshot card, the gap report and the guides to review."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatbot.gaps import Gap
from chatbot.snapshot import FIGURE_KINDS, Card, Fact, Kind, StaleGuide

NOT_IN_GUIDE = "not in the guide"
_MONEY = re.compile(r"[$£€]\s?(\d[\d,]*(?:\.\d+)?)")
# Durations as the guides write them; the bar's length is the figure the guide states (its upper bound).
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "twelve": 12, "a": 1, "an": 1}
_DURATION = re.compile(r"(\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + r")\+?\s+(years?|months?|weeks?)\b", re.I)
_PER_YEAR = {"year": 1.0, "years": 1.0, "month": 1 / 12, "months": 1 / 12, "week": 1 / 52, "weeks": 1 / 52}


@dataclass(frozen=True)
class Point:
    """One bar: its label, its length, and the words of the guide it stands for."""

    label: str
    value: float
    stated: str


def _cite(fact: Fact) -> str:
    when = f"; {fact.when}" if fact.when else ""
    return f"*{fact.guide or fact.source} › {fact.section}{when}*"


def card_markdown(card: Card) -> str:
    """The card: every figure with the sentence it is copied from and its source, 'not in the guide' for the rest."""
    lines = [f"### {card.role}"]
    if not card.has_figures:
        lines.append("The guides for this role state no pay, time or outlook figures.")
    for kind in FIGURE_KINDS:
        fact = card.figures.get(kind)
        if fact is None:
            lines.append(f"- **{kind.value}**: {NOT_IN_GUIDE}")
        else:
            lines.append(f"- **{kind.value}**: {fact.value} — “{fact.text}” {_cite(fact)}")
    for kind in (Kind.PROS, Kind.CONS, Kind.SKILLS):
        items = card.lists.get(kind, ())
        if not items:
            lines.append(f"- **{kind.value}**: {NOT_IN_GUIDE}")
            continue
        lines.append(f"- **{kind.value}** {_cite(items[0])}:")
        lines += [f"  - {item.value}" for item in items]
    return "\n".join(lines)


def pay_points(card: Card) -> list[Point]:
    """Pay as bars: the annual figures the guide states (average, entry range), in its own currency amounts."""
    points = []
    for kind in (Kind.ANNUAL_PAY, Kind.ENTRY_PAY):
        fact = card.figures.get(kind)
        if fact is None:
            continue
        amounts = [float(a.replace(",", "")) for a in _MONEY.findall(fact.value)]
        names = ["from", "to"] if len(amounts) == 2 else [""] * len(amounts)
        points += [Point(f"{kind.value} {name}".strip(), amount, fact.value) for name, amount in zip(names, amounts,
                                                                                                      strict=True)]
    return points


def timeline_points(card: Card) -> list[Point]:
    """The path as bars: each step the guide gives a time, as long as the time it states (in years)."""
    points = []
    for milestone in card.timeline:
        found = _DURATION.findall(milestone.duration.value)
        if not found:
            continue
        number, unit = found[-1]  # "one to two years": the bar reaches the figure the guide states last
        amount = _NUMBER_WORDS.get(number.lower()) or float(number)
        points.append(Point(milestone.step, round(amount * _PER_YEAR[unit.lower()], 2), milestone.duration.value))
    return points


def gaps_markdown(found: list[Gap], limit: int = 20) -> str:
    """The gap report as a maintainer reads it, the largest group first."""
    if not found:
        return "No refused or disliked questions yet."
    return "\n".join(f"- {gap.summary()}" for gap in found[:limit])


def stale_markdown(found: list[StaleGuide]) -> str:
    """Guides whose figures need a look, with why."""
    if not found:
        return "Every guide was reviewed in the last 12 months and names a source for its figures."
    return "\n".join(f"- `{g.source}` ({g.role}): {', '.join(r.value for r in g.reasons)}" for g in found)
