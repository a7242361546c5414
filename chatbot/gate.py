"""How much evidence an answer needs, and what to offer instead when there is too little."""

from __future__ import annotations

from collections.abc import Iterable

# Calibrated with the packaged MiniLM (sentence vectors pooled in context) on eval/dev.jsonl and checked on
# eval/heldout.jsonl: the best sentence similarity of in-scope questions was >= 0.28 (d08), of off-topic
# questions that name no role <= 0.13; questions about roles no guide covers ("become a dentist", 0.33) are
# caught by the occupation lexicon instead (chatbot.question). The threshold sits in the middle of that gap.
MIN_EVIDENCE = 0.20
# A follow-up answered with the conversation's role must also stand on its own: on the seed guide, 20 real
# follow-ups ("what about the outlook?", "how much?") scored 0.157-0.577 alone, 12 off-topic messages
# ("tell me a joke", "write me a poem") 0.073-0.148, one ("what time is it?") 0.206.
MIN_OWN_EVIDENCE = 0.15

def suggestions(headings: Iterable[str], limit: int = 3) -> list[str]:
    """Distinct section headings to offer instead, best first."""
    out: list[str] = []
    for heading in headings:
        if heading not in out:
            out.append(heading)
        if len(out) == limit:
            break
    return out
