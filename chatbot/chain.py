"""build_chain(index) -> a LangChain Runnable: condense -> retrieve -> gate -> compose, streaming."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from chatbot.answer import Answer, AnswerChunk, Retrieved, compose
from chatbot.conversation import Turn, mentioned_role, rewrite
from chatbot.gate import MIN_EVIDENCE, foreign_subject, is_injection, suggestions
from chatbot.retrieval import Hit, Index, Search, Snapshot
from chatbot.text import normalize

NOT_COVERED = "My guides don't cover that, so I can't answer it reliably."
RULES = "I can only answer career questions from my guides, and I don't change or reveal my instructions."


def build_chain(
    index: Index, *, top_k: int = 4, max_question_chars: int = 2000, min_evidence: float = MIN_EVIDENCE
) -> Runnable[dict[str, Any], AnswerChunk]:
    """The answer pipeline as a streaming Runnable; input {"question": str, "history": [turns]}."""

    def condense(inputs: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        raw = str(inputs.get("question") or "")
        question = normalize(raw)
        state: dict[str, Any] = {"question": question, "started": started, "answer": Answer(question=question)}
        answer = state["answer"]
        if not question:
            answer.refused, answer.reason, answer.text = True, "empty", "Please type a question about a career."
        elif len(raw) > max_question_chars:
            answer.question = question[:200]
            answer.refused, answer.reason = True, "too_long"
            answer.text = (
                f"Your question is {len(raw):,} characters long; please keep it under "
                f"{max_question_chars:,} characters."
            )
        elif is_injection(question):
            answer.refused, answer.reason = True, "instructions"
        roles = index.snapshot().roles
        state["query"] = rewrite(question, _turns(inputs.get("history")), roles) if question else ""
        answer.rewritten_query = state["query"]
        return state

    def retrieve(state: dict[str, Any]) -> dict[str, Any]:
        answer: Answer = state["answer"]
        if answer.reason in ("empty", "too_long"):
            return state
        started = time.perf_counter()
        search = index.search(state["query"], top_k)
        answer.timings.update(search.timings)
        answer.timings["retrieve_ms"] = round((time.perf_counter() - started) * 1000, 2)
        answer.retrieved = [
            Retrieved(
                h.row.id,
                h.row.source,
                str(h.row.metadata.get("section", "")),
                h.row.text,
                round(h.score, 4),
                round(h.dense, 4),
                round(h.lexical, 4),
            )
            for h in search.hits
        ]
        state["search"] = search
        return state

    def answer_stream(states: Iterator[dict[str, Any]]) -> Iterator[AnswerChunk]:
        for state in states:
            yield from _compose(index, state, min_evidence)

    return (
        RunnableLambda(condense).with_config(run_name="condense")
        | RunnableLambda(retrieve).with_config(run_name="retrieve")
        | RunnableGenerator(answer_stream).with_config(run_name="compose")
    )


def _compose(index: Index, state: dict[str, Any], min_evidence: float) -> Iterator[AnswerChunk]:
    answer: Answer = state["answer"]
    search: Search | None = state.get("search")
    started = time.perf_counter()
    if search is not None and not answer.refused:
        snapshot = search.snapshot
        hits = _with_continuations(_about_named_roles(search)[:3], snapshot)
        sentences = index.store.record.sentences([h.row.hash for h in hits])
        evidence = max((float(v @ search.vector) for h in hits for _, v in sentences[h.row.hash]), default=0.0)
        answer.timings["evidence"] = round(evidence, 4)
        subject = foreign_subject(state["question"], snapshot.roles, snapshot.stems)
        if subject or evidence < min_evidence:
            answer.refused, answer.reason = True, "not_covered"
        else:
            answer.text, answer.sources = compose(search.query, hits, search.vector, sentences, snapshot.roles)
            if not answer.sources:
                answer.refused, answer.reason = True, "not_covered"
    if answer.refused and not answer.text:
        answer.suggestions = _topics(index, search)
        lead = RULES if answer.reason == "instructions" else NOT_COVERED
        offer = "\n".join(f"- {s}" for s in answer.suggestions)
        answer.text = f"{lead} Here are some topics I can help with:\n\n{offer}" if offer else lead
    answer.timings["compose_ms"] = round((time.perf_counter() - started) * 1000, 2)
    answer.timings["total_ms"] = round((time.perf_counter() - state["started"]) * 1000, 2)
    for piece in _pieces(answer.text):
        yield AnswerChunk(piece)
    yield AnswerChunk("", answer)


def _about_named_roles(search: Search) -> list[Hit]:
    """The hits from the guides of the roles the query names (all hits when it names none).

    A question about one role must not be answered with another role's facts.
    """
    snapshot = search.snapshot
    named = {role for role in snapshot.roles if mentioned_role(search.query, [role])}
    if not named:
        return search.hits
    return [h for h in search.hits if (g := snapshot.guides.get(h.row.source)) is not None and g.role in named]


def _with_continuations(hits: list[Hit], snapshot: Snapshot) -> list[Hit]:
    """Each hit followed by the rest of its section, so a list split across chunks is read whole."""
    out: list[Hit] = []
    ids = {h.row.id for h in hits}
    for hit in hits:
        out.append(hit)
        following = snapshot.continuation(hit.row)
        if following is not None and following.id not in ids:
            ids.add(following.id)
            out.append(Hit(following, hit.score, hit.dense, hit.lexical))
    return out


def _topics(index: Index, search: Search | None) -> list[str]:
    """Section headings to suggest: from the nearest chunks, else the first sections of the guides."""
    snapshot = search.snapshot if search else index.snapshot()
    near = [str(h.row.metadata.get("section", "")) for h in search.hits] if search else []
    return suggestions(near + [h for _, h in snapshot.headings])


def _pieces(text: str) -> Iterator[str]:
    """Stream in word-sized pieces, keeping whitespace, so the text reassembles exactly."""
    yield from (m.group(0) for m in re.finditer(r"\S+\s*|\s+", text))


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
