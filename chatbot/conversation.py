"""Turn a follow-up ("And what does it pay?") into a question that stands on its own."""

from __future__ import annotations

import re
from collections.abc import Sequence

from chatbot.retrieval import role_aliases
from chatbot.text import STOPWORDS, normalize, words

Turn = dict[str, str]

_REFERS_BACK = re.compile(
    r"^(and|but|also|so|then|what about|how about|and what|what else)\b|\b(it|its|that|this|they|them|their|those|"
    r"there|these|he|she|one)\b",
    re.I,
)


def mentioned_role(text: str, roles: Sequence[str]) -> str | None:
    """The role a text names, by full name or a short form ('ML engineers' -> 'Machine Learning Engineer')."""
    said = " " + " ".join(w.rstrip("s") if len(w) > 3 else w for w in words(text)) + " "
    for role in roles:
        for alias in role_aliases(role):
            trimmed = " ".join(w.rstrip("s") if len(w) > 3 else w for w in alias.split())
            if f" {trimmed} " in said:
                return role
    return None


def rewrite(question: str, history: Sequence[Turn], roles: Sequence[str]) -> str:
    """Fold the earlier topic into a follow-up; a question that stands alone is returned as it is."""
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
