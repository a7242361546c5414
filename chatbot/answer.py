"""The answer every caller gets, and the extractive composer that builds it from retrieved chunks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from chatbot.chunking import sentence_lines
from chatbot.question import (
    FIGURE_TOPICS,
    LIST_TOPICS,
    OTHER_PLACES,
    TOPIC_RULES,
    TOPIC_TERMS,
    Act,
    Reason,
    Topic,
    WordRule,
)
from chatbot.retrieval import Hit
from chatbot.roles import Roles
from chatbot.text import STOPWORDS, stem, words


@dataclass(frozen=True)
class Source:
    """A cited chunk: `n` is the number used in the answer's [n] markers."""

    n: int
    guide: str
    source: str
    section: str
    snippet: str
    score: float
    chunk_id: str
    page: int | None = None


@dataclass(frozen=True)
class Retrieved:
    """A retrieved chunk in rank order, before any selection."""

    id: str
    source: str
    section: str
    text: str
    score: float
    dense: float
    bm25: float


def retrieved_of(hit: Hit) -> Retrieved:
    """A hit as the Answer reports it."""
    return Retrieved(hit.row.id, hit.row.source, str(hit.row.metadata.get("section", "")), hit.row.text,
                     round(hit.score, 4), round(hit.dense, 4), round(hit.lexical, 4))


@dataclass
class Answer:
    """The result of one question: text, cited sources, what was retrieved, and how long it took."""

    question: str
    text: str = ""
    sources: list[Source] = field(default_factory=list)
    retrieved: list[Retrieved] = field(default_factory=list)
    read: list[Retrieved] = field(default_factory=list)  # what the answer was built from: hits used + continuations
    refused: bool = False
    reason: Reason = Reason.NONE
    matched: str = ""  # what the refusal rule fired on: the attack phrase, the uncovered role, the evidence
    act: Act = Act.CAREER
    topical: bool = False  # the best section's heading names the topic asked: that, not the evidence, let it through
    rewritten_query: str = ""
    suggestions: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    answerer: str = "extractive"
    fallback: str = ""  # why a generated answer was replaced by the extractive one

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


@dataclass
class AnswerChunk:
    """One streamed piece: text to append (or, with `replace`, to show instead of everything so far)."""

    delta: str = ""
    answer: Answer | None = None
    replace: bool = False

    def __add__(self, other: AnswerChunk) -> AnswerChunk:
        text = other.delta if other.replace else self.delta + other.delta
        return AnswerChunk(text, other.answer or self.answer, self.replace or other.replace)


@dataclass
class _Unit:
    hit_rank: int
    hit: Hit
    index: int
    line: int
    indent: int
    text: str
    vector: np.ndarray
    is_bullet: bool = False  # on a list-item line (a bullet's second sentence counts too)
    score: float = 0.0

    @property
    def is_label(self) -> bool:
        # Web guides bold their labels: "**Soft Skills:**" labels a list as "Soft Skills:" does.
        return self.text.rstrip().rstrip("*_").rstrip().endswith(":") and len(self.text) < 80

    @property
    def refers_back(self) -> bool:
        return bool(_PRONOUN_START.match(self.text))


# Sentences that carry no fact: a reader loses nothing when they are left out.
FILLER = WordRule(
    "filler",
    re.compile(
        r"\b(an? (exciting|rewarding|fascinating|thrilling) (journey|adventure|path)|(clear|simple) and manageable|"
        r"let'?s (dive|explore|take a (look|closer look)|break (it|this) down)|in this (article|guide|post|blog)|"
        r"read on|without further ado|whether you'?re (a|an|just)|here'?s (what|how) (you|to)|look no further|"
        r"the (steps|answer) (is|are) (clear|simple)|buckle up)\b",
        re.I,
    ),
    ("Becoming a Machine Learning Engineer is an exciting journey.", "The steps are clear and manageable.",
     "Let's dive into the details.", "In this article we look at the role."),
    ("The path often involves a degree and experience.", "Data scientists clean and explore data.",
     "Ambulance work can be an exciting and demanding job with long shifts."),
)
# A sentence that lists things by name: for "which industries?" it names them; "across various industries" does not.
ENUMERATES = WordRule(
    "enumerates",
    re.compile(r"\b(such as|including|like|e\.g\.,?|for example|namely)\s+[\w&/-]+(\s[\w&/-]+)?,\s*[\w&/-]+", re.I),
    ("Engineers work in many fields, such as finance, healthcare, and technology.",
     "Companies across sectors, including tech, healthcare, finance, and retail, invest in it."),
    ("There is robust demand across various industries.", "Industries such as finance hire them."),
)
_PRONOUN_START = re.compile(r"^(they|them|their|this (role|job|career|position)|these (professionals|roles)|it|he|she)"
                            r"\b", re.I)


# What kind of fact a question asks for, and what a sentence holding it looks like.
_ANSWER_TYPES = [
    (
        re.compile(r"\bhow long\b|\bhow many (years|months)\b|\bduration\b|\btime\b", re.I),
        re.compile(r"\b(years?|months?|weeks?)\b", re.I),
    ),
    (
        re.compile(r"\b(salary|salaries|pay|paid|earn|earns|wages?|income|compensation|make|money|hourly)\b", re.I),
        re.compile(r"\$\s?\d|\bper hour\b|\bsalary\b", re.I),
    ),
    (
        # "How many years" asks for a duration (above), not for any number.
        re.compile(
            r"\bhow (many|much|fast)\b(?! (years|months|weeks)\b)|\b(growth|growing|grow|rate|openings|demand|"
            r"outlook|percent)\b",
            re.I,
        ),
        re.compile(r"\d"),
    ),
]

MAX_UNITS = 6
MAX_LIST_ITEMS = 12


TOPIC_BONUS = 0.15  # a sentence in the words of the topic asked ("sectors" for industries) ranks above a near miss
OTHER_LIST_PENALTY = 0.3  # "drawbacks?" must not be answered with the Pros list


def compose(
    query: str,
    hits: list[Hit],
    vector: np.ndarray,
    sentences: dict[str, list[tuple[str, np.ndarray]]],
    roles: Roles | Sequence[str],
    topic: Topic | None = None,
    place_asked: bool = False,
) -> tuple[str, list[Source]]:
    """Pick the sentences and bullets that answer the query (and the topic asked), in document order, cited as [n].

    When the question asks about a place, a sentence beside the chosen ones on other places ("in other regions,
    adjust to local markets") comes too: the figures may be for somewhere else."""
    units = [u for u in _units(hits, sentences) if not FILLER.find(u.text)]
    if not units:
        return "", []
    query_stems = {stem(w) for w in words(query) if w not in STOPWORDS} - Roles.of(roles).stems
    # A topic that is not a figure's ("how much math?" asks about skills) wants no figure shape.
    wanted = [shape for ask, shape in _ANSWER_TYPES if ask.search(query)] if topic in FIGURE_TOPICS or \
        topic is None else []
    # A word that asks for a kind of fact ("pay") is answered by a sentence holding one ("$112,430").
    asked = [({stem(w) for w in words(query) if ask.search(w)}, shape) for ask, shape in _ANSWER_TYPES]
    for unit in units:
        unit_stems = {stem(w) for w in words(unit.text)}
        unit_stems |= {s for stems, shape in asked if shape.search(unit.text) for s in stems}
        lexical = len(query_stems & unit_stems) / len(query_stems) if query_stems else 0.0
        shape = 0.12 if any(s.search(unit.text) for s in wanted) else 0.0
        unit.score = float(unit.vector @ vector) + 0.5 * lexical + shape + (0.04 if unit.hit_rank == 0 else 0.0)
        unit.score += _topic_score(unit, topic, query) + (TOPIC_BONUS if unit.hit.on_topic else 0.0)
    best = max(units, key=lambda u: u.score)
    near = [u for u in units if u.hit_rank <= best.hit_rank + 1]
    ranked = sorted(near, key=lambda u: -u.score)
    chosen = {id(u): u for u in ranked[:MAX_UNITS] if u.score >= 0.8 * best.score}
    chosen[id(best)] = best
    if wanted:
        # Questions like "how long" need every figure nearby, not just the closest sentence.
        for unit in ranked:
            if unit.score >= 0.6 * best.score and any(s.search(unit.text) for s in wanted):
                chosen[id(unit)] = unit
    top = [u for u in units if u.hit_rank == best.hit_rank]
    if _about_section(query_stems, best.hit):
        # The question asks what the whole section is about: lead with its opening and its lists.
        chosen[id(top[0])] = top[0]
        for unit in top:
            if unit.is_bullet and unit.indent == 0 and not unit.is_label:
                chosen[id(unit)] = unit
    if topic in LIST_TOPICS:
        _choose_topic_lists(topic, query, best, units, chosen, roles)
    for unit in list(chosen.values()):
        _expand_list(unit, units, chosen)
    for unit in list(chosen.values()):
        _keep_referent(unit, units, chosen)
    if place_asked:
        ranks = {u.hit_rank for u in chosen.values()}
        chosen.update((id(u), u) for u in units if u.hit_rank in ranks and OTHER_PLACES.find(u.text))
    picked: list[_Unit] = []
    seen: set[str] = set()
    for unit in sorted(chosen.values(), key=lambda u: (u.hit_rank, _part(u), u.index)):
        if unit.text not in seen:  # chunks overlap a little: say nothing twice
            seen.add(unit.text)
            picked.append(unit)
    return _render(picked)


_FIGURE = {
    Topic.PAY: re.compile(r"\d"),
    # A count or a rate, not pay: "33,500 openings", "9.7%", but not "$70,000 per year".
    Topic.OUTLOOK: re.compile(r"(?<![$£€\d,.])\d[\d,.]*(?!\d)(?! ?(per|an|a) (hour|year))"),
    # "four years", "1-2 years", "a few months"; not "$90,000 per year".
    Topic.DURATION: re.compile(
        r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|few|couple of)"
        r"(\s*(-|to|or)\s*(\d+|one|two|three|four|five|six|seven|eight|nine|ten))?\+?\s+(years?|months?|weeks?|"
        r"semesters?)\b", re.I),
}


def states_figure(text: str, topic: Topic) -> bool:
    """True when a block of the answer holds the kind of figure a topic is answered with, in the topic's words
    (a number beside "salary"; a count beside "openings"; a number of years)."""
    shape = _FIGURE.get(topic)
    if shape is None:
        return True
    sentences = re.split(r"(?<=[.!?])\s+|\n+", re.sub(r"\[\d+\]", "", text))
    words = TOPIC_RULES[topic] if topic is not Topic.DURATION else None  # "four years" says it alone
    return any(shape.search(s) and (words is None or words.find(s)) for s in sentences)


def _topic_score(unit: _Unit, topic: Topic | None, query: str) -> float:
    """A bonus for a sentence in the topic's words; a penalty for the other one of pros and cons."""
    if topic is None:
        return 0.0
    # A list topic is answered by its list (chosen below): "the steps are clear" uses the words and says nothing.
    score = TOPIC_BONUS if topic not in LIST_TOPICS and TOPIC_RULES[topic].find(unit.text) else 0.0
    if topic is Topic.INDUSTRIES and score and ENUMERATES.find(unit.text):
        score += TOPIC_BONUS  # it names the industries asked about
    other = {Topic.PROS: Topic.CONS, Topic.CONS: Topic.PROS}.get(topic)
    if other and unit.is_label and TOPIC_RULES[other].find(unit.text) and not TOPIC_RULES[other].find(query):
        score -= OTHER_LIST_PENALTY
    return score


def _choose_topic_lists(topic: Topic, query: str, best: _Unit, units: list[_Unit], chosen: dict[int, _Unit],
                        roles: Roles | Sequence[str] = ()) -> None:
    """For a list topic (steps, skills, pros…): the lists labelled with it, else the nearest section's own list,
    whole, in place of the prose around it."""
    asked, unasked = [TOPIC_RULES[topic]], list[WordRule]()
    if other := {Topic.PROS: Topic.CONS, Topic.CONS: Topic.PROS}.get(topic):
        # "pros and cons" asks for both lists; "drawbacks?" not for "Here are some pros and cons:" and the Pros.
        (asked if TOPIC_RULES[other].find(query) else unasked).append(TOPIC_RULES[other])
    near = [u for u in units if u.hit_rank <= best.hit_rank + 1]
    labels = [u for u in units if u.is_label and any(r.find(u.text) for r in asked)
              and not any(r.find(u.text) for r in unasked)]
    # "Soft skills?" asks for the "Soft Skills:" list, not every list of skills.
    asked_words = {stem(w) for w in words(query) if w not in STOPWORDS and not any(r.find(w) for r in asked)} - {
        stem(w) for w in words(TOPIC_TERMS[topic])} - Roles.of(roles).stems
    labels = ([u for u in labels if asked_words & {stem(w) for w in words(u.text)}] or labels)[:2]
    if labels:
        chosen.clear()  # "Cons:" and its items answer "drawbacks?"; the Pros beside them do not
        chosen.update((id(u), u) for u in labels)
        return
    for rank in sorted({u.hit_rank for u in near}):
        items = [u for u in near if u.hit_rank == rank and u.is_bullet and u.indent == 0 and not u.is_label]
        if len(items) >= 3:
            for key, unit in list(chosen.items()):
                if not unit.is_bullet and not unit.is_label:
                    del chosen[key]  # the prose around a list ("the steps are manageable") says less than it
            chosen.update((id(u), u) for u in items[:MAX_LIST_ITEMS])
            return


def _keep_referent(unit: _Unit, units: list[_Unit], chosen: dict[int, _Unit]) -> None:
    """A sentence that starts 'They…' keeps the sentence before it, which says who 'they' are."""
    if not unit.refers_back or unit.is_bullet:
        return
    before = [u for u in units if u.hit is unit.hit and u.index == unit.index - 1 and not u.is_bullet]
    if before and id(before[0]) not in chosen:
        chosen[id(before[0])] = before[0]
        _keep_referent(before[0], units, chosen)


def _part(unit: _Unit) -> int:
    return int(unit.hit.row.metadata.get("part", 0))


def _about_section(query_stems: set[str], hit: Hit) -> bool:
    heading = {stem(w) for w in words(str(hit.row.metadata.get("section", ""))) if w not in STOPWORDS}
    return bool(query_stems) and len(query_stems & heading) / len(query_stems) >= 0.6


def _expand_list(unit: _Unit, units: list[_Unit], chosen: dict[int, _Unit]) -> None:
    """A chosen list label brings its items (read on into the section's next chunk); an item brings its label."""
    same = sorted((u for u in units if u.hit_rank == unit.hit_rank), key=lambda u: (_part(u), u.index))
    at = same.index(unit)
    if unit.is_label:
        items: set[str] = set()
        for follower in same[at + 1 :]:
            if not follower.is_bullet or len(items) >= MAX_LIST_ITEMS:
                break
            if unit.is_bullet and follower.indent <= unit.indent:
                break
            chosen[id(follower)] = follower
            items.add(follower.text)
    elif unit.is_bullet and unit.indent > 0:
        for earlier in reversed(same[:at]):
            if earlier.is_label and earlier.indent < unit.indent:
                chosen[id(earlier)] = earlier
                break


def _units(hits: list[Hit], sentences: dict[str, list[tuple[str, np.ndarray]]]) -> list[_Unit]:
    """Sentences and list items of the hits; `hit_rank` ranks sections, so parts of one section share it."""
    units: list[_Unit] = []
    sections: dict[tuple[str, object], int] = {}
    for hit in hits:
        rank = sections.setdefault((hit.row.source, hit.row.metadata.get("section_index")), len(sections))
        stored = sentences.get(hit.row.hash, [])
        bullet_lines: dict[int, bool] = {}
        for index, ((line, indent, text), (_, vector)) in enumerate(
            zip(sentence_lines(hit.row.text), stored, strict=False)
        ):
            bullet = bullet_lines.setdefault(line, bool(_BULLET_MARK.match(text)))
            units.append(_Unit(rank, hit, index, line, indent, text, vector, bullet))
    return units


def _render(picked: list[_Unit]) -> tuple[str, list[Source]]:
    """Lines in document order; a paragraph or a run of list items is one block, cited at its end."""
    lines: list[tuple[_Unit, list[str]]] = []
    for unit in picked:
        if lines and lines[-1][0].hit is unit.hit and lines[-1][0].line == unit.line:
            lines[-1][1].append(unit.text)
        else:
            lines.append((unit, [unit.text]))
    numbers: dict[str, int] = {}
    blocks: list[tuple[str, bool, list[str]]] = []  # (chunk id, is a list, lines)
    previous_line = -2
    for first, texts in lines:
        row_id = first.hit.row.id
        line_before, previous_line = previous_line, first.line
        numbers.setdefault(row_id, len(numbers) + 1)
        text = " ".join(texts)
        if first.is_bullet:
            text = f"{'  ' if first.indent else ''}- {_BULLET_MARK.sub('', text, count=1)}"
            if blocks and blocks[-1][0] == row_id and blocks[-1][1] and _same_list(first, line_before):
                blocks[-1][2].append(text)
                continue
        blocks.append((row_id, first.is_bullet, [text]))
    rendered = ["\n".join(block) + f" [{numbers[row_id]}]" for row_id, _, block in blocks]
    sources: dict[str, Source] = {}
    for unit in picked:
        row = unit.hit.row
        if row.id in sources:
            continue
        page = row.metadata.get("page")
        snippet = " ".join(u.text for u in picked if u.hit is unit.hit)
        sources[row.id] = Source(
            numbers[row.id],
            str(row.metadata.get("title", row.source)),
            row.source,
            str(row.metadata.get("section", "")),
            snippet,
            round(unit.hit.score, 4),
            row.id,
            int(page) if page is not None else None,
        )
    return "\n\n".join(rendered), sorted(sources.values(), key=lambda s: s.n)


def _same_list(unit: _Unit, line_before: int) -> bool:
    """True when only list items stand between an earlier line and this one (so they form one list)."""
    between = unit.hit.row.text.split("\n")[line_before + 1 : unit.line]
    return all(_BULLET_MARK.match(line.strip()) for line in between)


_BULLET_MARK = re.compile(r"^([-*•]|\d+[.)])\s+")
