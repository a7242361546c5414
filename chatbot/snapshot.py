"""A role's career card: the pay, time to get in, outlook, pros, cons and skills its own guide states, as copied."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from chatbot.chunking import sentence_lines
from chatbot.errors import CareerBotError
from chatbot.question import TOPIC_QUESTIONS, TOPIC_RULES, TOPIC_TERMS, Topic, WordRule
from chatbot.retrieval import Hit, Index
from chatbot.retrieval import Snapshot as IndexSnapshot
from chatbot.store import ChunkRow, GuideRow, State

NOT_IN_GUIDE = "not in the guide"
SEARCH_DEPTH = 12  # hits asked for per topic, before keeping the role's own
OWN_HITS = 3  # of the role's own hits, the best few are read
TOP_ITEMS = 3  # pros, cons and skills shown on a card
STALE_MONTHS = 12


class Kind(StrEnum):
    """What a fact on the card is."""

    ANNUAL_PAY = "annual pay"
    HOURLY_PAY = "hourly pay"
    ENTRY_PAY = "entry pay"
    TIME_TO_GET_IN = "time to get in"
    GROWTH = "growth"
    PERIOD = "period"
    OPENINGS = "openings per year"
    PROS = "pros"
    CONS = "cons"
    SKILLS = "skills"


FIGURE_KINDS = (Kind.ANNUAL_PAY, Kind.HOURLY_PAY, Kind.ENTRY_PAY, Kind.TIME_TO_GET_IN, Kind.GROWTH, Kind.PERIOD,
                Kind.OPENINGS)
LIST_KINDS = {Kind.PROS: Topic.PROS, Kind.CONS: Topic.CONS, Kind.SKILLS: Topic.SKILLS}


class Dated(StrEnum):
    """Where a fact's `as_of` comes from."""

    STATED = "stated"  # its own sentence names a period, a year or a source ("2022 to 2032", "BLS reports")
    REVIEWED = "reviewed"  # the guide's front matter last_reviewed
    UNKNOWN = "unknown"  # neither


@dataclass(frozen=True)
class Shape:
    """A figure's shape kept as data: the figure, the words its sentence needs or must not have, and examples."""

    kind: Kind
    topic: Topic  # the topic whose question finds the sentence
    figure: re.Pattern[str]  # the `value` group (or the whole match) is the figure, copied
    needs: re.Pattern[str] | None
    avoids: re.Pattern[str] | None
    matches: tuple[tuple[str, str], ...]  # (sentence, the value it must give)
    ignores: tuple[str, ...]  # sentences that must give none

    def find(self, sentence: str) -> str:
        """The figure the sentence states in this shape, or ''."""
        if self.needs is not None and not self.needs.search(sentence):
            return ""
        if self.avoids is not None and self.avoids.search(sentence):
            return ""
        found = self.figure.search(sentence)
        if found is None:
            return ""
        return found.group("value") if "value" in self.figure.groupindex else found.group(0)


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


_QUALIFIER = r"(?:(?:up to|around|about|approximately|roughly|nearly|near|over|more than|at least|almost)\s+)?"
# An amount with its currency, or without one when "a year" says it is pay: "$112,430", "$200,000+", "55,000 a year".
_MONEY = r"(?:[$£€]\s?\d{1,3}(?:,\d{3})+(?:\.\d+)?\+?|\d{1,3}(?:,\d{3})+(?=\s+(?:a|per) year))"
_PAY = rf"(?<![\d,.$£€])(?P<value>{_QUALIFIER}(?:{_MONEY}\s*(?:-|–|to|and)\s*{_MONEY}|{_MONEY}))"
_ENTRY = _re(r"\b(entry[- ]level|starting|start(s|ing)? (at|near|around|from)|juniors?|new graduates?|beginners?)\b")
_NUMBER_WORD = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a few|several|a couple of)"
SHAPES: tuple[Shape, ...] = (
    Shape(
        Kind.ANNUAL_PAY, Topic.PAY,
        _re(rf"{_PAY}(?!\s*(?:per|an|a|/)\s*hour)"),
        _re(r"\b(salary|salaries|pay|wages?|earn(s|ings)?|income|compensation|annual|a year|per year)\b"),
        _ENTRY,
        (("The BLS reports an average national annual salary of $112,430.", "$112,430"),
         ("The median pay for a Registered Nurse is $86,070 a year, or about $41.38 per hour.", "$86,070"),
         ("Location: Top tech hubs; Salary: Up to $200,000+", "Up to $200,000+"),
         ("Salaries range from $95,000 to $150,000.", "$95,000 to $150,000")),
        ("Hourly, professionals can expect to earn approximately $54.05 per hour.",
         "Entry-level salaries range from $60,000 to $75,000.", "The program costs $12,000.",
         "With an average of 33,500 job positions opening each year."),
    ),
    Shape(
        Kind.HOURLY_PAY, Topic.PAY,
        _re(rf"(?P<value>{_QUALIFIER}[$£€]\s?\d+(?:\.\d+)?)\s*(?:per|an|a|/)\s*hour\b"),
        None, None,
        (("Hourly, professionals can expect to earn approximately $54.05 per hour.", "approximately $54.05"),
         ("The median pay is $86,070 a year, or $41.38 per hour.", "$41.38")),
        ("The BLS reports an average national annual salary of $112,430.", "Shifts last twelve hours."),
    ),
    Shape(
        Kind.ENTRY_PAY, Topic.PAY,
        _re(_PAY),
        _ENTRY, None,
        (("Entry-level salaries range from $60,000 to $75,000.", "$60,000 to $75,000"),
         ("Juniors in our example city start near 55,000 a year and seniors earn more.", "near 55,000")),
        ("The BLS reports an average national annual salary of $112,430.",
         "Entry-level positions take one to two years."),
    ),
    Shape(
        Kind.TIME_TO_GET_IN, Topic.DURATION,
        _re(rf"\b(?:(?:about|around|roughly|approximately|nearly|at least|up to|another|an additional)\s+)?"
            rf"{_NUMBER_WORD}(?:\s*(?:-|to|or)\s*{_NUMBER_WORD})?\+?\s+(?:years?|months?|weeks?|semesters?)\b"
            r"(?! ago)"),
        None, _re(r"[$£€]\s?\d"),
        (("A bachelor's degree in computer science takes about four years to complete.", "about four years"),
         ("The time spent in these roles generally takes an additional one to two years.",
          "an additional one to two years"),
         ("Some nurses complete a bridge program of 12 to 18 months while working.", "12 to 18 months")),
        ("Engineers earn $90,000 per year.", "With 33,500 job positions opening each year.",
         "The BLS predicts a 9.7% increase from 2022 to 2032."),
    ),
    Shape(
        Kind.GROWTH, Topic.OUTLOOK,
        _re(r"(?P<value>\d+(?:\.\d+)?\s?(?:%|percent\b))"),
        _re(r"\b(grow(s|th|ing)?|increase[sd]?|rise|rising|projected|expand(s|ing)?|decline[sd]?)\b"), None,
        (("The BLS predicts a 9.7% increase in job openings from 2022 to 2032.", "9.7%"),
         ("Employment is projected to grow 6% over the next decade.", "6%")),
        ("About 20% of nurses work nights.", "With an average of 33,500 job positions opening each year."),
    ),
    Shape(
        Kind.PERIOD, Topic.OUTLOOK,
        _re(r"\b(?:19|20)\d{2}\s*(?:to|-|–|through)\s*(?:19|20)\d{2}\b|\b(?:over|in) the next (?:decade|\w+ years)\b"),
        None, None,
        (("The BLS predicts a 9.7% increase in job openings from 2022 to 2032.", "2022 to 2032"),
         ("Employment is projected to grow 6% over the next decade.", "over the next decade")),
        ("The BLS reports an average national annual salary of $112,430.", "Founded in 2022."),
    ),
    Shape(
        Kind.OPENINGS, Topic.OUTLOOK,
        _re(r"(?<![$£€\d,.])(?P<value>\d{1,3}(?:,\d{3})+|\d+)(?![\d,.%])[^.$%\d]{0,40}?"
            r"\b(?:(?:each|per|a|every) year|annually|yearly)\b"),
        _re(r"\b(openings?|opening|positions?|jobs?|vacancies)\b"), None,
        (("With an average of 33,500 job positions opening each year, this career offers plenty.", "33,500"),
         ("About 1,200 jobs open annually.", "1,200")),
        ("Currently 437 Machine Learning Engineer job openings, nationwide.", "Jobs pay $70,000 per year.",
         "The BLS predicts a 9.7% increase in job openings from 2022 to 2032."),
    ),
)


Step = WordRule  # a timeline step's words, with examples of clauses that must and must not name it


# First match wins: a master's degree is a master's, not a degree; internships after a degree are entry-level.
STEPS: tuple[Step, ...] = (
    Step("master's", _re(r"\b(master'?s|master’s|graduate degree|ph\.?d)\b"),
         ("further their education with a master's degree",), ("a bachelor's degree",)),
    Step("entry-level", _re(r"\b(entry[- ]level|internships?|experience|junior|(related|prior) work)\b"),
         ("two to three years of experience as a data analyst", "internships or entry-level positions",
          "follows two to three years of related work"),
         ("a bachelor's degree in statistics", "work on projects")),
    Step("certification", _re(r"\b(certifications?|certificates?|bootcamps?)\b"),
         ("a cloud certification takes",), ("a bachelor's degree",)),
    Step("associate degree", _re(r"\bassociate degree\b"), ("An associate degree in nursing (ADN) takes",),
         ("a Bachelor of Science in Nursing",)),
    Step("degree", _re(r"\b(bachelor'?s|bachelor’s|bachelor of|degree|diploma)\b"),
         ("a bachelor's degree in computer science, which takes", "a Bachelor of Science in Nursing (BSN) takes"),
         ("gain experience through internships",)),
    Step("program", _re(r"\b(programs?|courses?|training)\b"), ("an RN-to-BSN bridge program of",),
         ("a bachelor's degree",)),
)

# What dates a figure in its own sentence: a period or a year, else a named source of statistics (names by case:
# "Indeed, ..." names no job board).
AS_OF_PERIOD = re.compile(
    r"\b(?:19|20)\d{2}\s*(?:to|-|–|through)\s*(?:19|20)\d{2}\b|\b(?:[Ii]n|[Aa]s of|[Ss]ince) (?:19|20)\d{2}\b"
)
AS_OF_SOURCE = re.compile(
    r"\b(?:U\.S\. )?(?:Bureau of Labor Statistics(?: \(BLS\))?|BLS|O\*NET|ONS|Glassdoor|PayScale)"
    r"(?: (?:reports?|predicts?|projects?|estimates?|data|figures))?|\bIndeed (?:reports?|data|figures)"
)
AS_OF_MATCHES = (("The BLS reports an average national annual salary of $112,430.", "BLS reports"),
                 ("The U.S. Bureau of Labor Statistics (BLS) predicts a 9.7% increase from 2022 to 2032.",
                  "2022 to 2032"),
                 ("Glassdoor data puts the median at $95,000.", "Glassdoor data"),
                 ("Indeed data puts the median at $95,000.", "Indeed data"),
                 ("Nurses earned a median of $86,070 in 2023.", "in 2023"))
AS_OF_IGNORES = ("Hourly, professionals can expect to earn approximately $54.05 per hour.",
                 "The average annual salary of a Data Scientist is $103,500.", "Indeed, the pay is good.")


@dataclass(frozen=True)
class Fact:
    """A figure or phrase the guide states, copied from its text, with where it stands and when it is from."""

    kind: Kind
    value: str
    text: str  # the sentence (or list item) it comes from
    source: str
    section: str
    as_of: str  # the period or source its sentence states, else the guide's last_reviewed, else ''
    dated: Dated
    guide: str = ""  # the guide's title, for citations
    chunk_id: str = ""

    @property
    def when(self) -> str:
        """When the figure is from, as shown beside it: 'BLS reports', 'reviewed 2026-11-23', or '' (unknown)."""
        return {Dated.STATED: self.as_of, Dated.REVIEWED: f"reviewed {self.as_of}", Dated.UNKNOWN: ""}[self.dated]

    def to_dict(self) -> dict[str, str]:
        """The fact as `snapshot --json` prints it."""
        return {"value": self.value, "text": self.text, "source": self.source, "section": self.section,
                "as_of": self.as_of}


@dataclass(frozen=True)
class Milestone:
    """A step on the path with the time the guide gives it ("degree: about four years")."""

    step: str
    duration: Fact


@dataclass(frozen=True)
class Card:
    """What one role's own guides state: a fact per figure kind (None when absent), lists, and the path's steps."""

    role: str
    guides: tuple[str, ...]
    figures: dict[Kind, Fact | None]
    lists: dict[Kind, tuple[Fact, ...]]
    timeline: tuple[Milestone, ...]

    @property
    def missing(self) -> list[Kind]:
        """The kinds of fact the guides do not state."""
        return [k for k, f in self.figures.items() if f is None] + [k for k, items in self.lists.items() if not items]

    @property
    def has_figures(self) -> bool:
        """True when the guides state at least one figure."""
        return any(f is not None for f in self.figures.values())

    def facts(self, kind: Kind) -> tuple[Fact, ...]:
        """The facts of one kind: one figure, or a list's items."""
        if kind in self.lists:
            return self.lists[kind]
        found = self.figures.get(kind)
        return (found,) if found is not None else ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each fact as {value, text, source, section, as_of}; a missing figure is null, a missing
        list is []; `missing` names them."""
        return {
            "role": self.role,
            "guides": list(self.guides),
            "facts": {
                **{k.name.lower(): f.to_dict() if f else None for k, f in self.figures.items()},
                **{k.name.lower(): [f.to_dict() for f in items] for k, items in self.lists.items()},
            },
            "timeline": [{"step": m.step, **m.duration.to_dict()} for m in self.timeline],
            "missing": [k.name.lower() for k in self.missing],
            "has_figures": self.has_figures,
        }


class UnknownRoleError(CareerBotError):
    """A role no guide in the index covers."""


def resolve(index_snapshot: IndexSnapshot, name: str) -> str:
    """The role a name means (its own name, any case, or one short form); UnknownRoleError lists the roles."""
    roles = index_snapshot.roles
    exact = [r for r in roles.names if r.casefold() == name.strip().casefold()]
    called = roles.called(name)
    if exact or len(called) == 1:
        return exact[0] if exact else next(iter(called))
    raise UnknownRoleError(f"no guide covers the role {name!r}; there are guides for: {', '.join(roles.names)}")


def snapshot(index: Index, role: str) -> Card:
    """The card of a role, from its own guides only: each fact the first sentence in its shape, hits in rank order."""
    current = index.snapshot()
    role = resolve(current, role)
    by_topic = {topic: _lines(index, current, role, topic)
                for topic in dict.fromkeys([s.topic for s in SHAPES] + list(LIST_KINDS.values()))}
    figures: dict[Kind, Fact | None] = {}
    for shape in SHAPES:
        figures[shape.kind] = next((_fact(shape.kind, found, line, current) for line in by_topic[shape.topic]
                                    if (found := shape.find(line.text))), None)
    lists = {kind: tuple(_fact(kind, line.text, line, current) for line in _items(by_topic[topic], topic))
             for kind, topic in LIST_KINDS.items()}
    guides = tuple(sorted(s for s, g in current.guides.items() if g.role == role))
    return Card(role, guides, figures, lists, _timeline(by_topic[Topic.DURATION], current))


@dataclass(frozen=True)
class _Line:
    """A sentence or list item of a hit, with the line structure the list rules read."""

    hit: Hit
    line: int
    indent: int
    text: str
    bullet: bool


def _lines(index: Index, current: IndexSnapshot, role: str, topic: Topic) -> list[_Line]:
    """The sentences of the role's own best hits for a topic's question, hits in rank order, text in guide order."""
    search = index.search(TOPIC_QUESTIONS[topic].format(role=role), SEARCH_DEPTH, terms=TOPIC_TERMS[topic])
    own = [h for h in search.hits if (g := current.guides.get(h.row.source)) is not None and g.role == role]
    hits = _with_next(own[:OWN_HITS], current)
    stored = index.sentences(hits)
    out: list[_Line] = []
    for hit in hits:
        raw = hit.row.text.split("\n")
        # The stored sentences are the chunk's sentence_lines, in order: those give their line and indent.
        for (line, indent, _), (said, _) in zip(sentence_lines(hit.row.text), stored.get(hit.row.hash, []),
                                                 strict=False):
            out.append(_Line(hit, line, indent, said, bool(_BULLET.match(raw[line].strip()))))
    return out


def _with_next(hits: list[Hit], current: IndexSnapshot) -> list[Hit]:
    """Each hit's whole section, its chunks in guide order (a long section's figures may sit in another part)."""
    out: list[Hit] = []
    for hit in hits:
        for row in _section(hit.row, current):
            if all(h.row.id != row.id for h in out):
                out.append(Hit(row, hit.score, hit.dense, hit.lexical))
    return out


def _section(row: ChunkRow, current: IndexSnapshot) -> list[ChunkRow]:
    """The chunks of a row's section, in order: the live rows keep a guide's chunks together."""
    at = current.position[row.id]

    def same(other: ChunkRow) -> bool:
        return other.source == row.source and other.metadata.get("section_index") == row.metadata.get("section_index")

    first = at
    while first > 0 and same(current.rows[first - 1]):
        first -= 1
    last = at
    while last + 1 < len(current.rows) and same(current.rows[last + 1]):
        last += 1
    return current.rows[first : last + 1]


_BULLET = re.compile(r"^([-*•]|\d+[.)])\s+")


def _label(line: _Line) -> bool:
    return line.text.rstrip().rstrip("*_").rstrip().endswith(":") and len(line.text) < 80


def _items(lines: list[_Line], topic: Topic) -> list[_Line]:
    """A list topic's items: the list labelled with it ('Pros:'), else the list of a section headed with it, else
    list items in its words (not under another topic's label); the first TOP_ITEMS, one per list line."""
    other = [TOPIC_RULES[t] for t in LIST_KINDS.values() if t is not topic]
    rule = TOPIC_RULES[topic]
    for at, line in enumerate(lines):
        if _label(line) and rule.find(line.text) and not any(r.find(line.text) for r in other):
            items: list[_Line] = []
            for follower in lines[at + 1 :]:
                nested = not line.bullet or follower.indent > line.indent
                if follower.hit is not line.hit or not follower.bullet or not nested:
                    break
                if follower.indent == (items[0].indent if items else follower.indent):
                    items.append(follower)
            if items:
                return _whole(items)
    for hit in dict.fromkeys(line.hit.row.id for line in lines):
        own = [x for x in lines if x.hit.row.id == hit]
        if rule.find(str(own[0].hit.row.metadata.get("section", ""))):
            items = [x for x in own if x.bullet and x.indent == 0 and not _label(x)]
            if len({x.line for x in items}) >= 2:
                return _whole(items)
    loose: list[_Line] = []
    under_other = False
    for line in lines:
        if _label(line):
            under_other = any(r.find(line.text) for r in other)
        elif not line.bullet:
            under_other = False
        # "Learn the skills: Focus on Python" is a skill; "Build a portfolio: ... your skills" is not.
        if line.bullet and not _label(line) and not under_other and rule.find(line.text.split(":")[0]):
            loose.append(line)
    return _whole(loose)


def _whole(lines: list[_Line]) -> list[_Line]:
    """Each list item once, as its whole line without the bullet mark; the first TOP_ITEMS."""
    seen: dict[str, _Line] = {}
    for line in lines:
        raw = line.hit.row.text.split("\n")[line.line].strip()
        text = _BULLET.sub("", raw, count=1).strip()
        seen.setdefault(text, _Line(line.hit, line.line, line.indent, text, line.bullet))
    return list(seen.values())[:TOP_ITEMS]


def _timeline(lines: list[_Line], current: IndexSnapshot) -> tuple[Milestone, ...]:
    """Each duration the guide states, with the step its clause names (else the sentence before it names)."""
    shape = next(s for s in SHAPES if s.kind is Kind.TIME_TO_GET_IN)
    out: dict[tuple[str, str, str], Milestone] = {}  # chunks overlap: a sentence read twice is one step
    for at, line in enumerate(lines):
        if shape.avoids is not None and shape.avoids.search(line.text):
            continue
        matches = list(shape.figure.finditer(line.text))
        # "The time spent in these roles ...": the paragraph's nearest earlier sentence naming a step names it.
        earlier = [x.text for x in reversed(lines[:at]) if x.hit is line.hit and x.line == line.line]
        for n, found in enumerate(matches):
            start = matches[n - 1].end() if n else 0
            end = matches[n + 1].start() if n + 1 < len(matches) else len(line.text)
            step = step_of(line.text[start : found.start()]) or step_of(line.text[found.end() : end]) \
                or next(filter(None, map(step_of, earlier)), "")
            if step:
                out.setdefault((line.hit.row.source, line.text, found.group(0)),
                               Milestone(step, _fact(Kind.TIME_TO_GET_IN, found.group(0), line, current)))
    return tuple(out.values())


def step_of(clause: str) -> str:
    """The path step a clause names ('master's', 'degree', 'entry-level'), or ''."""
    return next((s.name for s in STEPS if s.pattern.search(clause)), "")


def _fact(kind: Kind, value: str, line: _Line, current: IndexSnapshot) -> Fact:
    row = line.hit.row
    guide = current.guides.get(row.source)
    as_of, dated = stated_as_of(line.text), Dated.STATED
    if not as_of:
        as_of, dated = (guide.last_reviewed, Dated.REVIEWED) if guide and guide.last_reviewed else ("", Dated.UNKNOWN)
    title = guide.title if guide and guide.title else str(row.metadata.get("title", row.source))
    return Fact(kind, value, line.text, row.source, str(row.metadata.get("section", "")), as_of, dated, title, row.id)


def stated_as_of(sentence: str) -> str:
    """The period, year or source of statistics a sentence names ('2022 to 2032', 'BLS reports'), or ''."""
    found = AS_OF_PERIOD.search(sentence) or AS_OF_SOURCE.search(sentence)
    return found.group(0).strip() if found else ""


class Staleness(StrEnum):
    """Why a guide's figures need a look."""

    NOT_REVIEWED = "no last_reviewed date"
    OLD_REVIEW = "not reviewed for more than 12 months"
    NO_SOURCE = "its figures name no source"


@dataclass(frozen=True)
class StaleGuide:
    """A guide the admin table flags, with why."""

    source: str
    role: str
    last_reviewed: str
    reasons: tuple[Staleness, ...]


_PAY_OR_OUTLOOK = tuple(s for s in SHAPES if s.kind in (Kind.ANNUAL_PAY, Kind.HOURLY_PAY, Kind.ENTRY_PAY,
                                                          Kind.GROWTH, Kind.OPENINGS))


def stale_guides(state: State, today: date) -> list[StaleGuide]:
    """Guides not reviewed for more than 12 months before `today` (or never dated), and guides that state pay or
    outlook figures without naming any source for them."""
    texts: dict[str, list[str]] = {}
    for row in state.chunks.values():
        texts.setdefault(row.source, []).extend(t for _, _, t in sentence_lines(row.text))
    out = []
    for source, guide in sorted(state.guides.items()):
        reasons = []
        reviewed = reviewed_on(guide)
        if reviewed is None:
            reasons.append(Staleness.NOT_REVIEWED)
        elif reviewed < _months_before(today, STALE_MONTHS):
            reasons.append(Staleness.OLD_REVIEW)
        sentences = texts.get(source, [])
        figures = any(shape.find(s) for s in sentences for shape in _PAY_OR_OUTLOOK)
        if figures and not any(_SOURCE.search(s) for s in sentences):
            reasons.append(Staleness.NO_SOURCE)
        if reasons:
            out.append(StaleGuide(source, guide.role, guide.last_reviewed, tuple(reasons)))
    return out


_SOURCE = re.compile(r"\b(Bureau of Labor Statistics|BLS|O\*NET|ONS|Glassdoor|PayScale|Indeed (reports?|data)|"
                     r"[Cc]ensus|[Aa]ccording to)\b")


def reviewed_on(guide: GuideRow) -> date | None:
    """The guide's last_reviewed as a date (ISO date or date-time), None when absent or unreadable."""
    try:
        return datetime.fromisoformat(guide.last_reviewed.strip()).date() if guide.last_reviewed.strip() else None
    except ValueError:
        return None


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    for last in (day.day, 30, 29, 28):  # the 31st of a 30-day month is its 30th
        try:
            return date(year, month + 1, last)
        except ValueError:
            continue
    raise AssertionError("unreachable")
