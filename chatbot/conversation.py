"""Turn a follow-up ("And what does it pay?") into a question that stands on its own."""

from __future__ import annotations

import re
from collections.abc import Sequence

from chatbot.roles import Roles
from chatbot.text import STOPWORDS, normalize, words

Turn = dict[str, str]

_REFERS_BACK = re.compile(
    r"^(and|but|also|so|then|what about|how about|and what|what else)\b|\b(it|its|that|this|they|them|their|those|"
    r"there|these|he|she|one)\b",
    re.I,
)


def mentioned_role(text: str, roles: Roles | Sequence[str], by_head_noun: bool = True) -> str | None:
    """The role a text names, by full name or a short form ('ML engineers' -> 'Machine Learning Engineer')."""
    return Roles.of(roles).mentioned(text, by_head_noun)


def rewrite(question: str, history: Sequence[Turn], roles: Roles | Sequence[str]) -> str:
    """Fold the earlier topic into a follow-up; a question that stands alone is returned as it is."""
    roles = Roles.of(roles)
    question = normalize(question)
    if not history or mentioned_role(question, roles):
        return question
    earlier_user = [t["content"] for t in reversed(history) if t.get("role") == "user" and t.get("content")]
    earlier_all = [t["content"] for t in reversed(history) if t.get("content")]
    role = next((r for r in (mentioned_role(t, roles) for t in earlier_all) if r), None)
    content = [w for w in words(question) if w not in STOPWORDS]
    if role:
        return f"{question} ({role})"
    if earlier_user and (len(content) <= 3 or _REFERS_BACK.search(question)):
        return f"{question} ({normalize(earlier_user[0])})"
    return question
