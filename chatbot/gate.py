"""Decide when the evidence is too weak to answer, and refuse attempts to change the bot's rules."""

from __future__ import annotations

import re
from collections.abc import Sequence

from chatbot.roles import Roles
from chatbot.text import STOPWORDS, normalize, stem, words

# Calibrated with the packaged MiniLM (sentence vectors pooled in context) on eval/dev.jsonl and checked on
# eval/heldout.jsonl: the best sentence similarity of in-scope questions was >= 0.28 (d08), of off-topic
# questions that name no role <= 0.13; questions about roles no guide covers ("become a dentist", 0.33) are
# caught by foreign_subject instead. The threshold sits in the middle of that gap.
MIN_EVIDENCE = 0.20

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules|prompts?|guidelines|directions)\b"
    r"|\b(system|hidden|secret|initial|original)\s+(prompt|instructions?|rules|message)\b"
    r"|\b(reveal|show|print|repeat|output|tell me)\b.{0,20}\b(your|the)\s+(prompt|instructions?|rules|configuration)\b"
    r"|\byou are now\b|\bpretend (to be|you are)\b|\bjailbreak|\bdeveloper mode\b|\bact as\b"
    r"|<\|?im_(start|end)\|?>|\[/?INST\]|<<\/?SYS>>|<\|(system|user|assistant|endoftext|eot_id)\|>",
    re.I | re.S,
)

# Words that refer to "the role we are talking about" rather than naming another one.
_GENERIC = frozenset(
    stem(w)
    for w in [
        "job",
        "jobs",
        "role",
        "roles",
        "career",
        "careers",
        "position",
        "field",
        "profession",
        "work",
        "one",
        "this",
        "that",
        "it",
        "them",
        "someone",
        "person",
        "people",
        "professional",
        "professionals",
        "beginner",
        "student",
        "graduate",
        "good",
        "great",
    ]
)
# A role name ends at punctuation or at the next word that cannot be part of it ("a dentist | a good career").
_END = (
    r"(?=[?.!,;]|\s+(?:a|an|the|do|does|make|makes|earn|earns|get|gets|need|needs|work|works|have|has|in|at|with|"
    r"and|or)\b|$)"
)
_PHRASE = r"[a-z][a-z'-]*(?:\s+[a-z][a-z'-]*){0,2}?"  # a role name: one to three words
# "become a dentist", "what does a lawyer earn", "salary of a nurse": a role named as the subject.
_STRONG_SUBJECT = re.compile(
    r"\b(?:become|becoming|as|being)\s+(?:an?\s+|the\s+)?(?P<x>" + _PHRASE + ")"
    + _END
    + r"|\b(?:does|do|for|of|hire|hires|hiring)\s+an?\s+(?P<y>" + _PHRASE + ")"
    + _END,
    re.I,
)
# "dentist salary", "outlook for the teachers": counts only when it has a word no guide uses. "For" and "of"
# only after a career word: "years of school" names no role.
_WEAK_SUBJECT = re.compile(
    r"\b(?:salary|salaries|pay|wages?|earnings|income|outlook|jobs?|demand|openings|careers?)\s+(?:for|of)\s+"
    r"(?:the\s+)?(?P<v>" + _PHRASE + ")"
    + _END
    + r"|(?P<w>[a-z][a-z'-]+(?:\s+[a-z][a-z'-]+)?)(?:'s)?\s+"
    r"(?:salary|salaries|pay|wages?|earnings|outlook|jobs?|career)\b",
    re.I,
)


def is_injection(question: str) -> bool:
    """True for requests to drop the bot's rules or reveal its instructions."""
    return bool(_INJECTION.search(normalize(question)))


def foreign_subject(question: str, roles: Roles | Sequence[str], known_stems: frozenset[str]) -> str | None:
    """The name of a role the question asks about that no guide covers ('dentist'), if any."""
    roles = Roles.of(roles)
    text = normalize(question).lower()
    candidates = [(m.group(m.lastgroup or "x"), True) for m in _STRONG_SUBJECT.finditer(text)]
    candidates += [(m.group(m.lastgroup or "w"), False) for m in _WEAK_SUBJECT.finditer(text)]
    for phrase, strong in candidates:
        content = [w for w in words(phrase) if w not in STOPWORDS]
        stems = {stem(w) for w in content}
        # Covered: a generic word ("this role"), a role's own name, or only words of one role ("engineer").
        if not content or stems & _GENERIC or roles.covers(stems):
            continue
        if roles.mentioned(phrase, by_head_noun=False):
            continue
        if strong or any(stem(w) not in known_stems for w in content):
            return phrase.strip()
    return None


def suggestions(headings: Sequence[str], limit: int = 3) -> list[str]:
    """Distinct section headings to offer instead, best first."""
    out: list[str] = []
    for heading in headings:
        if heading not in out:
            out.append(heading)
        if len(out) == limit:
            break
    return out
