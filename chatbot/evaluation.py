"""Score the bot on a question set (format and rules: eval/FORMAT.md): python -m chatbot.eval FILE.jsonl."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatbot.answer import Answer
from chatbot.errors import CareerBotError

_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CITATION = re.compile(r"\[\d+\]")


def fold(text: str) -> str:
    """Lower-case, with curly quotes straightened and en/em dashes as '-'."""
    return text.translate(_FOLD).lower()


def contains(text: str, phrase: str) -> bool:
    """True when the phrase occurs in the text, not glued to letters or digits on either side."""
    pattern = r"(?<![a-z0-9])" + re.escape(fold(phrase)) + r"(?![a-z0-9])"
    return re.search(pattern, fold(text)) is not None


def numbers(text: str) -> set[str]:
    """Numbers as written ('112,430', '9.7', '4'), without citation markers."""
    return {m.group(0) for m in _NUMBER.finditer(_CITATION.sub(" ", text))}


@dataclass(frozen=True)
class Case:
    """One line of a question set."""

    id: str
    question: str
    history: list[dict[str, str]]
    expect_context: list[str]
    expect_facts: list[list[str]]
    forbid: list[str]
    expect_refusal: bool


def load_cases(path: Path) -> list[Case]:
    """Read a JSONL question set; a malformed line is an error that names the line."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            cases.append(
                Case(
                    str(raw["id"]),
                    str(raw["question"]),
                    list(raw.get("history") or []),
                    list(raw.get("expect_context") or []),
                    [list(g) for g in raw.get("expect_facts") or []],
                    list(raw.get("forbid") or []),
                    bool(raw.get("expect_refusal", False)),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CareerBotError(f"{path}:{number}: not a valid case ({exc.__class__.__name__}: {exc})") from None
    return cases


def score_case(case: Case, answer: Answer, seconds: float) -> dict[str, Any]:
    """Every per-case measure of the scoring rules."""
    retrieved = [r.text for r in answer.retrieved]
    k = len(retrieved)
    hit1 = hitk = None
    if case.expect_context:
        hit1 = bool(retrieved) and any(contains(retrieved[0], p) for p in case.expect_context)
        hitk = any(contains(t, p) for t in retrieved for p in case.expect_context)
    groups = [any(contains(answer.text, alt) for alt in group) for group in case.expect_facts]
    # Exactly what the answer was built from: the chunks it read (and, for a refusal, the headings it offers).
    # Grounding on more would hide an invented number; on less, count a copied one as invented.
    shown = [f"{r.section} {r.text}" for r in answer.read] + answer.suggestions
    grounded = numbers(case.question) | {n for text in shown for n in numbers(text)}
    unsupported = sorted(numbers(answer.text) - grounded)
    return {
        "id": case.id,
        "question": case.question,
        "answer": answer.text,
        "refused": answer.refused,
        "expect_refusal": case.expect_refusal,
        "refusal_correct": answer.refused == case.expect_refusal,
        "hit_at_1": hit1,
        "hit_at_k": hitk,
        "k": k,
        "facts_matched": sum(groups),
        "facts_total": len(groups),
        "forbidden": [f for f in case.forbid if contains(answer.text, f)],
        "unsupported_numbers": unsupported,
        "latency_ms": round(seconds * 1000, 2),
        "rewritten_query": answer.rewritten_query,
        "answerer": answer.answerer,
        "fallback": answer.fallback,
        "sources": [f"[{s.n}] {s.source} > {s.section}" for s in answer.sources],
    }


def summarize(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole-file scores."""

    def mean(values: Iterable[float]) -> float:
        items = list(values)
        return round(sum(items) / len(items), 4) if items else 0.0

    retrieval = [c for c in cases if c["hit_at_1"] is not None]
    factual = [c for c in cases if c["facts_total"]]
    latencies = sorted(c["latency_ms"] for c in cases)
    p95 = latencies[min(len(latencies) - 1, max(0, round(0.95 * len(latencies)) - 1))] if latencies else 0.0
    return {
        "n": len(cases),
        "hit_at_1": mean(float(c["hit_at_1"]) for c in retrieval),
        "hit_at_k": mean(float(c["hit_at_k"]) for c in retrieval),
        "fact_recall": mean(c["facts_matched"] / c["facts_total"] for c in factual),
        "all_facts": mean(float(c["facts_matched"] == c["facts_total"]) for c in factual),
        "refusal_accuracy": mean(float(c["refusal_correct"]) for c in cases),
        "forbidden_hits": sum(len(c["forbidden"]) for c in cases),
        "unsupported_numbers": sum(len(c["unsupported_numbers"]) for c in cases),
        "fallbacks": sum(1 for c in cases if c.get("fallback")),
        "latency_ms_p50": round(statistics.median(latencies), 2) if latencies else 0.0,
        "latency_ms_p95": p95,
        "cases": cases,
    }


def evaluate(cases: list[Case], answer_fn: Callable[[str, list[dict[str, str]]], Answer]) -> dict[str, Any]:
    """Ask every case and score it."""
    scored = []
    for case in cases:
        started = time.perf_counter()
        answer = answer_fn(case.question, case.history)
        scored.append(score_case(case, answer, time.perf_counter() - started))
    return summarize(scored)


def table(result: dict[str, Any]) -> str:
    """A readable report."""
    rows = [f"{'id':<8} {'ok':<3} {'hit@1':<6} {'facts':<6} {'refused':<8} {'ms':>7}  question"]
    for c in result["cases"]:
        ok = c["refusal_correct"] and c["facts_matched"] == c["facts_total"] and not c["forbidden"]
        ok = ok and not c["unsupported_numbers"] and c["hit_at_k"] is not False
        hit = "-" if c["hit_at_1"] is None else ("yes" if c["hit_at_1"] else "no")
        rows.append(
            f"{c['id']:<8} {'✓' if ok else '✗':<3} {hit:<6} {c['facts_matched']}/{c['facts_total']:<4} "
            f"{'yes' if c['refused'] else 'no':<8} {c['latency_ms']:>7.1f}  {c['question'][:60]}"
        )
    summary = {k: v for k, v in result.items() if k != "cases"}
    rows.append("")
    rows += [f"{k:<20} {v}" for k, v in summary.items()]
    return "\n".join(rows)
