"""What users asked that the guides don't answer: refused and disliked questions grouped by meaning."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from chatbot.embeddings import Embedder
from chatbot.feedback import Asked, FeedbackStore, Kind
from chatbot.roles import Roles, singular
from chatbot.text import words

# A question joins a group when its cosine similarity to the group's mean vector (MiniLM, the covered roles' names
# taken out) is at least this. Measured on tests/data/gap-questions.jsonl (36 questions on 12 topics): same-topic
# pairs score 0.22-0.9 (median 0.59), other pairs up to 0.60. At 0.50: 13 groups, 86% of the pairs put together
# share a topic and 73% of same-topic pairs are put together; 0.45 also merges "remote" with "part-time" (75%),
# 0.55 splits topics (17 groups, 55%). With the role names left in, only 33% of the pairs 0.50 puts together match.
SIMILAR = 0.50
CSV_COLUMNS = ("count", "question", "section", "refused", "disliked", "reasons", "comments", "questions",
               "first_at", "last_at")


@dataclass(frozen=True)
class Gap:
    """Questions of one meaning the guides did not answer: how many, a representative, where the guides came nearest."""

    count: int
    question: str  # the member nearest the group's mean
    section: str  # the nearest section offered most often ("" when none was)
    refused: int
    disliked: int
    reasons: tuple[str, ...]  # the refusal reasons, most frequent first ("not_covered", "no_guide")
    comments: tuple[str, ...]  # what the thumbs-down reasons said, as given
    questions: tuple[str, ...]  # every distinct wording, most frequent first
    first_at: str
    last_at: str

    def summary(self) -> str:
        """One line a maintainer reads: '12 asked "Can I work remotely?" …: 12 refused (…); nearest section: …'."""
        others = f" and {len(self.questions) - 1} like it" if len(self.questions) > 1 else ""
        how = [f"{self.refused} refused ({', '.join(self.reasons)})"] if self.refused else []
        how += [f"{self.disliked} thumbs down"] if self.disliked else []
        near = f"nearest section: {self.section}" if self.section else "no section came near"
        said = f"; said: {' | '.join(self.comments)}" if self.comments else ""
        return f"{self.count} asked \"{self.question}\"{others}: {', '.join(how)}; {near}{said}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


def gaps(store: FeedbackStore, embedder: Embedder, roles: Roles | None = None) -> list[Gap]:
    """The stored refused and disliked questions grouped by meaning, the largest group first.

    With `roles` (the index's), the covered roles' names are taken out before embedding: nearly every question names
    its role, and the small model then scores "remote work?" and "pay?" about ML engineers as alike.
    """
    # One line per wording and comment: a line break typed into a question means nothing to the report (nor to CSV).
    asked = [replace(a, question=" ".join(a.question.split()), reason=" ".join(a.reason.split()))
             for a in store.asked()]
    if not asked:
        return []
    texts = list(dict.fromkeys(a.question for a in asked))
    vectors = dict(zip(texts, embedder.embed([_without_roles(t, roles) for t in texts]), strict=True))
    groups: list[list[Asked]] = []
    sums: list[np.ndarray] = []
    for a in asked:  # greedy: each question joins the nearest group whose mean is similar enough, else starts one
        vector = vectors[a.question]
        if sums:
            means = np.stack([s / (np.linalg.norm(s) or 1.0) for s in sums])
            best = int(np.argmax(means @ vector))
            if float(means[best] @ vector) >= SIMILAR:
                groups[best].append(a)
                sums[best] = sums[best] + vector
                continue
        groups.append([a])
        sums.append(vector.astype(np.float64))
    found = [_gap(members, total, vectors) for members, total in zip(groups, sums, strict=True)]
    return sorted(found, key=lambda g: (-g.count, g.first_at))


def gaps_csv(found: list[Gap]) -> str:
    """The gaps as CSV, one row each; list cells hold one item a line."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for gap in found:
        row = gap.to_dict()
        writer.writerow({c: "\n".join(row[c]) if isinstance(row[c], tuple | list) else row[c] for c in CSV_COLUMNS})
    return out.getvalue()


def _without_roles(text: str, roles: Roles | None) -> str:
    """The question's words without the covered roles' names (the text itself when that leaves nothing)."""
    if roles is None:
        return text
    kept = [w for w in words(text) if singular(w) not in roles.words]
    return " ".join(kept) or text


def _gap(members: list[Asked], total: np.ndarray, vectors: dict[str, np.ndarray]) -> Gap:
    wordings = Counter(a.question for a in members)
    mean = total / (np.linalg.norm(total) or 1.0)
    # The wording nearest the mean stands for the group; among equals, the one asked most often.
    representative = max(wordings, key=lambda q: (round(float(vectors[q] @ mean), 4), wordings[q]))
    sections = Counter(a.section for a in members if a.section)
    refused = [a for a in members if a.kind is Kind.REFUSED]
    return Gap(
        count=len(members),
        question=representative,
        section=sections.most_common(1)[0][0] if sections else "",
        refused=len(refused),
        disliked=len(members) - len(refused),
        reasons=tuple(r for r, _ in Counter(a.reason for a in refused).most_common()),
        comments=tuple(dict.fromkeys(a.reason for a in members if a.kind is Kind.DISLIKED and a.reason)),
        questions=tuple(q for q, _ in wordings.most_common()),
        first_at=members[0].at,
        last_at=max(a.at for a in members),
    )
