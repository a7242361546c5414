"""build_chain(index) -> a LangChain Runnable: understand -> retrieve -> gate -> compose, streaming."""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from chatbot.answer import Answer, AnswerChunk, Source, compose, retrieved_of, states_figure
from chatbot.comparison import compare, compare_guides, disagree, table
from chatbot.gate import MIN_EVIDENCE, MIN_OWN_EVIDENCE, suggestions
from chatbot.generation import (
    adds_numbers,
    check,
    cited_numbers,
    condense_messages,
    messages,
    sentences_as_they_stream,
    stream_text,
)
from chatbot.places import places_in
from chatbot.question import FIGURE_TOPICS, TOPIC_RULES, TOPIC_TERMS, Act, Question, Reason, Topic, Turn, understand
from chatbot.retrieval import Hit, Index, Search, Snapshot
from chatbot.text import normalize

NOT_COVERED = "My guides don't cover that, so I can't answer it reliably."
RULES = "I can only answer career questions from my guides, and I don't change or reveal my instructions."
SMALL_TALK = frozenset({Act.GREETING, Act.THANKS, Act.HELP})
log = logging.getLogger(__name__)


@dataclass
class Pending:
    """What the chain's steps hand on: the message, what was understood of it, and the answer being built."""

    text: str
    started: float
    answer: Answer
    understood: Question | None = None
    query: str = ""
    search: Search | None = None


def build_chain(
    index: Index,
    *,
    llm: Any = None,
    top_k: int = 4,
    max_question_chars: int = 2000,
    min_evidence: float = MIN_EVIDENCE,
) -> Runnable[dict[str, Any], AnswerChunk]:
    """The answer pipeline as a streaming Runnable; input {"question": str, "history": [turns]}.

    With `llm` (a LangChain chat model) the answer is generated, checked sentence by sentence against the
    sources, and replaced by the extractive answer when a check fails or the model does not answer.
    """

    def condense(inputs: dict[str, Any]) -> Pending:
        started = time.perf_counter()
        raw = str(inputs.get("question") or "")
        text = normalize(raw)
        pending = Pending(text, started, Answer(question=text))
        answer = pending.answer
        if not text:
            answer.refused, answer.reason, answer.text = True, Reason.EMPTY, "Please type a question about a career."
            return pending
        if len(raw) > max_question_chars:
            answer.question = text[:200]
            answer.refused, answer.reason = True, Reason.TOO_LONG
            answer.text = (
                f"Your question is {len(raw):,} characters long; please keep it under "
                f"{max_question_chars:,} characters."
            )
            return pending
        with index.store.reachable():
            snapshot = index.snapshot()
        history = _turns(inputs.get("history"))
        question = understand(raw, history, snapshot.roles, lambda t: index.correct(t, snapshot), snapshot.stems)
        pending.understood, pending.query = question, question.query
        answer.act = question.act
        match question.act:
            case Act.ATTACK:
                _refuse(answer, Reason.INSTRUCTIONS, question.matched)
            case Act.GREETING | Act.THANKS | Act.HELP:
                answer.text = small_talk(question.act, snapshot)
            case _ if question.foreign:
                _refuse(answer, Reason.NO_GUIDE, question.foreign)
            case _ if question.elsewhere:
                _refuse(answer, Reason.NOT_COVERED, question.elsewhere)
        if llm is not None and history and not answer.refused and question.carried:
            pending.query = _condense_with_llm(llm, text, history) or pending.query
        answer.rewritten_query = pending.query
        return pending

    def retrieve(pending: Pending) -> Pending:
        answer = pending.answer
        if not pending.query or (pending.understood and pending.understood.act in SMALL_TALK):
            return pending
        started = time.perf_counter()
        topic = pending.understood.topic if pending.understood else None
        roles = pending.understood.roles if pending.understood else ()
        search = index.search(pending.query, top_k, terms=TOPIC_TERMS[topic] if topic else "", roles=roles,
                              topic=topic, level=pending.understood.level if pending.understood else None)
        answer.timings.update(search.timings)
        answer.timings["retrieve_ms"] = round((time.perf_counter() - started) * 1000, 2)
        answer.retrieved = [retrieved_of(h) for h in search.hits]
        pending.search = search
        return pending

    def answer_stream(steps: Iterator[Pending]) -> Iterator[AnswerChunk]:
        for pending in steps:
            yield from _compose(index, pending, min_evidence, llm, top_k)

    return (
        RunnableLambda(condense).with_config(run_name="condense")
        | RunnableLambda(retrieve).with_config(run_name="retrieve")
        | RunnableGenerator(answer_stream).with_config(run_name="compose")
    )


def _compose(index: Index, pending: Pending, min_evidence: float, llm: Any, top_k: int) -> Iterator[AnswerChunk]:
    answer, search, understood = pending.answer, pending.search, pending.understood
    started = time.perf_counter()
    if search is not None and not answer.refused and understood is not None and understood.compares:
        _compare(index, search.snapshot, understood, answer, top_k)
    elif search is not None and not answer.refused:
        snapshot = search.snapshot
        hits = snapshot.with_continuations(_about_named_roles(search, understood)[:3])
        sentences = index.sentences(hits)
        evidence = max((float(v @ search.vector) for h in hits for _, v in sentences[h.row.hash]), default=0.0)
        answer.timings["evidence"] = round(evidence, 4)
        own = 1.0
        if pending.understood is not None and pending.understood.carried and not pending.understood.refers_back:
            # The carried role lifts any message ("tell me a joke (ML engineer)"): judge one that does not point
            # back at the conversation ("where should I show them off?") on its own too.
            own_vector = index.embed_query(index.correct(pending.text, snapshot) or pending.text)
            own = max((float(v @ own_vector) for h in hits for _, v in sentences[h.row.hash]), default=0.0)
            answer.timings["own_evidence"] = round(own, 4)
        topic = pending.understood.topic if pending.understood else None
        # A section whose heading names the topic asked ("job outlook" for "how fast is it growing?") is evidence
        # that the guide covers it, however the small model scores the wording.
        topical = topic is not None and bool(TOPIC_RULES[topic].find(str(hits[0].row.metadata.get("section", ""))))
        answer.topical = topical
        if evidence < min_evidence and not topical:
            _refuse(answer, Reason.NOT_COVERED, f"best evidence {evidence:.2f} < {min_evidence:.2f}")
        elif own < MIN_OWN_EVIDENCE and not topical:
            _refuse(answer, Reason.NOT_COVERED, f"the message alone scores {own:.2f} < {MIN_OWN_EVIDENCE:.2f}")
        else:
            answer.text, answer.sources = compose(search.query, hits, search.vector, sentences, snapshot.roles, topic,
                                                  place_asked=bool(pending.understood and pending.understood.places))
            answer.read = [retrieved_of(h) for h in hits]  # an LLM gets exactly these as its sources too
            if not answer.sources:
                _refuse(answer, Reason.NOT_COVERED, "no sentence fit the question")
            elif topic is not None and pending.understood and pending.understood.wants_figure \
                    and not states_figure(answer.text, topic):
                # "How much do they earn?" answered without a figure is not an answer: the guides lack it.
                answer.text, answer.sources, answer.read = "", [], []
                _refuse(answer, Reason.NOT_COVERED, f"the guides state no figure for {topic.value}")
            else:
                if topic is not None and pending.understood and len(pending.understood.roles) == 1 and \
                        len({h.row.source for h in hits}) >= 2 and topic in FIGURE_TOPICS:
                    _figures_by_guide(index, snapshot, pending.understood.roles[0], topic, answer, top_k)
                answer.text += _place_note(pending.understood, answer.text)
            if answer.sources and llm is not None:
                answer.timings["compose_ms"] = round((time.perf_counter() - started) * 1000, 2)
                yield from _generate(llm, pending, hits)
                return
    if answer.refused and not answer.text:
        log.info("refused (%s, on %r): %r", answer.reason, answer.matched, pending.text[:200])
        answer.suggestions = _topics(index, search)
        answer.text = _refusal_text(answer, search.snapshot if search else index.snapshot())
    answer.timings["compose_ms"] = round((time.perf_counter() - started) * 1000, 2)
    answer.timings["total_ms"] = round((time.perf_counter() - pending.started) * 1000, 2)
    for piece in _pieces(answer.text):
        yield AnswerChunk(piece)
    yield AnswerChunk("", answer)


def _compare(index: Index, snapshot: Snapshot, understood: Question, answer: Answer, top_k: int) -> None:
    """Roles side by side: the topic asked of each role's guide, in one table with a cited cell per role."""
    cells = compare(index, snapshot, understood.roles, understood.topic, top_k, understood.text)
    answer.read = [retrieved_of(h) for cell in cells for h in cell.read]
    if not any(cell.text for cell in cells):
        _refuse(answer, Reason.NOT_COVERED, f"no guide of {', '.join(understood.roles)} covers it")
        return
    grid, answer.sources = table(cells, understood.topic)
    answer.text = f"Side by side, from each role's guide:\n\n{grid}"


def _figures_by_guide(index: Index, snapshot: Snapshot, role: str, topic: Topic, answer: Answer, top_k: int) -> None:
    """Two guides for one role that give different figures are both shown, each with its source."""
    cells = compare_guides(index, snapshot, role, topic, top_k)
    if disagree(cells):
        grid, answer.sources = table(cells, topic, first="guide")
        answer.text = f"The guides for {role} give different figures:\n\n{grid}"
        answer.read = [retrieved_of(h) for cell in cells for h in cell.read]


def _place_note(understood: Question | None, text: str) -> str:
    """When figures are for another country than the one asked, say so: U.S. pay is no answer for Sri Lanka."""
    if understood is None or not understood.places or not re.search(r"\d", re.sub(r"\[\d+\]", "", text)):
        return ""
    stated = places_in(text)
    missing = [p for p in understood.places if p not in stated]
    if not missing:
        return ""
    asked = " or ".join(missing)
    if stated:
        return f"\n\nNote: these figures are for {' and '.join(stated)}; my guides give none for {asked}."
    return f"\n\nNote: my guides do not say these figures are for {asked}."


def _refuse(answer: Answer, reason: Reason, matched: str) -> None:
    answer.refused, answer.reason, answer.matched = True, reason, matched


def _refusal_text(answer: Answer, snapshot: Snapshot) -> str:
    """The refusal: why, which roles there are guides for (when a role was missing), and topics to try."""
    match answer.reason:
        case Reason.INSTRUCTIONS:
            lead = RULES
        case Reason.NO_GUIDE:
            lead = f"My guides don't cover the role {answer.matched}. {covered_roles(snapshot)}"
        case _:
            lead = NOT_COVERED
    offer = "\n".join(f"- {s}" for s in answer.suggestions)
    return f"{lead} Here are some topics I can help with:\n\n{offer}" if offer else lead


def covered_roles(snapshot: Snapshot, limit: int = 8) -> str:
    """'I have guides for: A, B and C.' (at most `limit` names, then how many more)."""
    names = snapshot.roles.names
    shown = ", ".join(names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"I have guides for: {shown}{more}."


def small_talk(act: Act, snapshot: Snapshot) -> str:
    """A short friendly reply to a greeting, thanks or 'what can you do?': the roles covered and questions to try."""
    starters = snapshot.starters(3)
    lead = {
        Act.GREETING: "Hello! I answer career questions from my guides, and show the sources of every answer.",
        Act.THANKS: "You're welcome! Ask me anything else about these careers.",
        Act.HELP: "I answer career questions (what a role does, how to get there and how long it takes, pros and "
        "cons, pay and outlook) from my guides, and show the sources of every answer.",
    }[act]
    tries = "\n".join(f"- {q}" for q in starters)
    return f"{lead} {covered_roles(snapshot)}" + (f" You could ask:\n\n{tries}" if tries else "")


def _generate(llm: Any, pending: Pending, hits: list[Hit]) -> Iterator[AnswerChunk]:
    """Stream the model's answer a checked sentence at a time; on any failure switch to the extractive one."""
    answer = pending.answer
    extractive_text, extractive_sources = answer.text, answer.sources
    started = time.perf_counter()
    shown, why, rejected = "", "", False
    try:
        pieces = stream_text(llm, messages(pending.query or pending.text, hits))
        for sentence, last in sentences_as_they_stream(pieces):
            verdict = check(shown + sentence, pending.text, hits, final=last)
            if verdict.problem is not None:
                # The user is told what went wrong, never the rejected text; maintainers find it in the log.
                log.warning("generated answer rejected: %s (%s)", verdict.problem.name, verdict.detail or "-")
                why, rejected = f"The generated answer was not shown: {verdict.problem.value}.", True
                break
            shown += sentence
            if sentence:
                yield AnswerChunk(sentence)
    except Exception as exc:  # any backend failure: say so plainly and keep serving from the guides
        why = _backend_problem(exc)
    answer.timings["generate_ms"] = round((time.perf_counter() - started) * 1000, 2)
    answer.timings["total_ms"] = round((time.perf_counter() - pending.started) * 1000, 2)
    if why:
        answer.fallback = why
        # A rejected answer is replaced silently (the Sources panel says why); a backend failure is said up front.
        answer.text = extractive_text if rejected else f"{why} Here is the answer from the guides:\n\n{extractive_text}"
        answer.sources = extractive_sources
        yield AnswerChunk(answer.text, replace=True)
    else:
        answer.text = shown.strip()
        answer.answerer = getattr(llm, "model_name", None) or getattr(llm, "model", None) or type(llm).__name__
        answer.sources = [
            Source(
                n,
                str(h.row.metadata.get("title", h.row.source)),
                h.row.source,
                str(h.row.metadata.get("section", "")),
                _snippet(h.row.text),
                round(h.score, 4),
                h.row.id,
                int(p) if (p := h.row.metadata.get("page")) is not None else None,
            )
            for n in cited_numbers(answer.text)
            if (h := hits[n - 1]) is not None
        ]
    yield AnswerChunk("", answer)


def _backend_problem(exc: Exception) -> str:
    name = type(exc).__name__.lower()
    if "timeout" in name:
        return "The language model did not answer in time."
    if "connect" in name or isinstance(exc, ConnectionError | OSError):
        return "The language model server could not be reached."
    return f"The language model failed ({type(exc).__name__})."


def _condense_with_llm(llm: Any, question: str, history: Sequence[Turn]) -> str:
    """The model's standalone version of a follow-up, or '' when it gives none usable."""
    try:
        reply = llm.invoke(condense_messages(question, history))
    except Exception:  # the deterministic rewrite stands in
        return ""
    text = reply.content if isinstance(reply.content, str) else ""
    line = normalize(next((ln.strip() for ln in text.splitlines() if ln.strip()), ""))[:300]
    if adds_numbers(line, " ".join([question, *(t["content"] for t in history)])):
        log.warning("condensed question rejected: it adds numbers (%s)", line[:200])
        return ""
    return line


def _snippet(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _about_named_roles(search: Search, understood: Question | None = None) -> list[Hit]:
    """The hits from the guides of the roles the question names (all hits when it names none).

    A question about one role must not be answered with another role's facts.
    """
    snapshot = search.snapshot
    named = set(understood.roles if understood else ()) | snapshot.roles.named(search.query)
    if not named:
        return search.hits
    return [h for h in search.hits if (g := snapshot.guides.get(h.row.source)) is not None and g.role in named]


def _topics(index: Index, search: Search | None) -> list[str]:
    """Section headings to suggest: from the nearest chunks, else the first sections of the guides."""
    snapshot = search.snapshot if search else index.snapshot()
    near = [str(h.row.metadata.get("section", "")) for h in search.hits] if search else []
    return suggestions(itertools.chain(near, (h for _, h in snapshot.headings())))


def _pieces(text: str) -> Iterator[str]:
    """Stream a line at a time, keeping whitespace, so the text reassembles exactly (a piece per word cost a
    LangChain chunk each: a tenth of the whole answer's time)."""
    yield from (m.group(0) for m in re.finditer(r"[^\n]*\n+|[^\n]+", text))


def _turns(history: Any) -> Sequence[Turn]:
    if not isinstance(history, list | tuple):
        return []
    return [
        {"role": str(t.get("role", "")), "content": normalize(str(t.get("content", "")))[:2000]}
        for t in history
        if isinstance(t, dict)
    ]


def ask(chain: Runnable[dict[str, Any], AnswerChunk], question: str, history: Sequence[Turn] = ()) -> Answer:
    """Run the chain to the end and return the finished Answer."""
    result = chain.invoke({"question": question, "history": list(history)})
    assert result.answer is not None
    return result.answer
