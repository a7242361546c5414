"""Roles side by side as a Markdown table: the same topic asked of each role's guide (chat), or their snapshot facts
(python -m chatbot compare); one cited cell per role."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from chatbot.answer import Source, compose, states_figure
from chatbot.question import FIGURE_TOPICS, TOPIC_QUESTIONS, TOPIC_TERMS, Topic
from chatbot.retrieval import Hit, Index, Snapshot
from chatbot.roles import field_names
from chatbot.snapshot import LIST_KINDS, Card, Kind
from chatbot.text import STOPWORDS, words

NOT_IN_GUIDE = "not in the guide"
_CITATION = re.compile(r"\[(\d+)\]")
MAX_CELL_CHARS = 700  # a ladder of job titles fits; a whole section does not


@dataclass(frozen=True)
class Cell:
    """What one role's guide says on the topic: cited text with its sources, or nothing."""

    role: str
    text: str
    sources: tuple[Source, ...]
    read: tuple[Hit, ...]


def compare(index: Index, snapshot: Snapshot, roles: tuple[str, ...], topic: Topic | None, top_k: int,
            asked_as: str = "") -> list[Cell]:
    """Ask each role's guide the same question; a guide that does not answer it gives an empty cell.

    The question is the topic's own question for the role, followed by the asker's own words (`asked_as`) with
    the roles left out: "what tools do … both need" asks each guide about its tools.
    """
    asked = topic or Topic.DUTIES
    own_words = [w for w in words(asked_as) if w not in STOPWORDS and w not in snapshot.roles.words
                 and not any(w in f.split() for r in roles for f in field_names(r))]
    cells = []
    for role in roles[:4]:
        question = " ".join([TOPIC_QUESTIONS[asked].format(role=role), *own_words])
        search = index.search(question, top_k, terms=TOPIC_TERMS[asked], roles=(role,), topic=asked)
        own = [h for h in search.hits if (g := snapshot.guides.get(h.row.source)) is not None and g.role == role][:2]
        hits = snapshot.with_continuations(own)
        text, sources = compose(search.query, hits, search.vector, index.sentences(hits), snapshot.roles, asked) \
            if hits else ("", [])
        if asked in FIGURE_TOPICS:
            text = "\n\n".join(b for b in text.split("\n\n") if states_figure(b, asked))
        cells.append(Cell(role, text, tuple(sources), tuple(hits)) if text else Cell(role, "", (), tuple(hits)))
    return cells


def compare_guides(index: Index, snapshot: Snapshot, role: str, topic: Topic, top_k: int) -> list[Cell]:
    """The figure each guide for one role gives, when several guides cover it: a cell per guide, by its title."""
    question = TOPIC_QUESTIONS[topic].format(role=role)
    search = index.search(question, top_k * 2, terms=TOPIC_TERMS[topic], roles=(role,), topic=topic)
    by_guide: dict[str, list[Hit]] = {}
    for hit in search.hits:
        guide = snapshot.guides.get(hit.row.source)
        if guide is not None and guide.role == role:
            by_guide.setdefault(hit.row.source, []).append(hit)
    cells = []
    for source, found in by_guide.items():
        hits = snapshot.with_continuations(found[:2])
        text, sources = compose(search.query, hits, search.vector, index.sentences(hits), snapshot.roles, topic)
        text = "\n\n".join(b for b in text.split("\n\n") if states_figure(b, topic))
        if text:
            cells.append(Cell(snapshot.guides[source].title or source, text, tuple(sources), tuple(hits)))
    return cells


def disagree(cells: list[Cell]) -> bool:
    """True when guides give different figures: each cell's numbers differ from the others'."""
    figures = [frozenset(_NUMBER.findall(_CITATION.sub("", c.text))) for c in cells]
    return len(cells) >= 2 and len(set(figures)) == len(figures)


_NUMBER = re.compile(r"\d[\d,.]*")


def table(cells: list[Cell], topic: Topic | None, first: str = "role") -> tuple[str, list[Source]]:
    """The cells as one Markdown table, citations numbered across the whole table."""
    return grid([first, (topic or Topic.DUTIES).value], [(cell.role, [cell]) for cell in cells])


def grid(heads: list[str], rows: list[tuple[str, list[Cell]]]) -> tuple[str, list[Source]]:
    """Rows of cells as one Markdown table: one number per cited chunk across the table, 'not in the guide' for an
    empty cell."""
    lines = ["| " + " | ".join(_escape(h) for h in heads) + " |", "| " + " | ".join("---" for _ in heads) + " |"]
    sources: list[Source] = []
    numbers: dict[str, int] = {}  # chunk id -> its number in the table
    for label, cells in rows:
        texts = []
        for cell in cells:
            kept = [s for s in cell.sources if f"[{s.n}]" in cell.text]
            for s in kept:
                if s.chunk_id not in numbers:
                    numbers[s.chunk_id] = len(numbers) + 1
                    sources.append(dataclasses.replace(s, n=numbers[s.chunk_id]))
            texts.append(_flat(_renumber(cell.text, {s.n: numbers[s.chunk_id] for s in kept})) or NOT_IN_GUIDE)
        lines.append(f"| {_escape(label)} | " + " | ".join(texts) + " |")
    return "\n".join(lines), sources


def cards_table(cards: list[Card]) -> tuple[str, list[Source]]:
    """Roles' snapshot facts side by side: a row per kind of fact, a column per role, each figure with its as-of."""
    rows = [(kind.value, [_fact_cell(card, kind) for card in cards]) for kind in Kind]
    return grid(["fact", *(c.role for c in cards)], rows)


def _fact_cell(card: Card, kind: Kind) -> Cell:
    """One role's facts of one kind as a cell: a figure with when it is from, or a list's items, each cited once."""
    facts = card.facts(kind)
    numbers = {chunk: n for n, chunk in enumerate(dict.fromkeys(f.chunk_id for f in facts), start=1)}
    lines = []
    for at, fact in enumerate(facts):
        last = at + 1 == len(facts) or facts[at + 1].chunk_id != fact.chunk_id  # a run from one chunk: one citation
        cite = f" [{numbers[fact.chunk_id]}]" if last else ""
        when = f" ({fact.when})" if fact.when and kind not in LIST_KINDS else ""
        lines.append(f"- {fact.value}{cite}" if kind in LIST_KINDS else f"{fact.value}{cite}{when}")
    quoted = {chunk: " ".join(dict.fromkeys(f.text for f in facts if f.chunk_id == chunk)) for chunk in numbers}
    sources = {f.chunk_id: Source(numbers[f.chunk_id], f.guide, f.source, f.section, quoted[f.chunk_id], 0.0,
                                  f.chunk_id) for f in facts}
    return Cell(card.role, "\n".join(lines), tuple(sources.values()), ())


def _renumber(text: str, numbers: dict[int, int]) -> str:
    return _CITATION.sub(lambda m: f"[{numbers.get(int(m.group(1)), int(m.group(1)))}]", text)


def _flat(text: str) -> str:
    """A cell is one line: list items joined with semicolons, pipes escaped, long text cut at a sentence."""
    parts = [re.sub(r"^\s*[-*]\s+", "", line).strip() for line in text.splitlines() if line.strip()]
    flat = _escape("; ".join(parts))
    if len(flat) > MAX_CELL_CHARS:
        cut = flat[:MAX_CELL_CHARS].rsplit(". ", 1)[0]
        citations = " ".join(dict.fromkeys(_CITATION.findall(flat)))
        flat = f"{cut}. … " + " ".join(f"[{c}]" for c in citations.split())
    return flat


def _escape(text: str) -> str:
    return text.replace("|", "\\|")
