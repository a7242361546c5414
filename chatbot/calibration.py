"""The evidence threshold, computed on question sets for the index's embedding model and the query encoder, kept
with the index."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from chatbot.chain import ask, build_chain
from chatbot.config import ROOT
from chatbot.encoders import encoder_kind
from chatbot.evaluation import load_cases
from chatbot.gate import MIN_EVIDENCE
from chatbot.question import Act, Reason
from chatbot.retrieval import Index

KEY = "calibration"


@dataclass(frozen=True)
class Calibration:
    """A threshold and what it was computed from: the model, the query encoder, the sets, and the scores either side
    of it."""

    min_evidence: float
    embedding_model: str
    sets: tuple[str, ...]
    in_scope: int  # questions to answer that the evidence decides (rules decide the others)
    out_of_scope: int
    lowest_in_scope: float
    highest_out_of_scope: float
    errors: int  # questions the threshold gets wrong (0 when the two groups do not overlap)
    query_encoder: str = "torch"  # what embedded the questions (calibrations stored before the setting: torch)

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        """Read the stored form back."""
        raw = json.loads(text)
        return cls(**{**raw, "sets": tuple(raw["sets"])})


def calibrate(index: Index, sets: Sequence[Path]) -> Calibration:
    """Score every question with no threshold, then put it between the two groups (or where it errs least)."""
    chain = build_chain(index, min_evidence=0.0)
    answer_these: list[float] = []
    refuse_these: list[float] = []
    for path in sets:
        for case in load_cases(path):
            answer = ask(chain, case.question, case.history)
            evidence = answer.timings.get("evidence")
            by_rule = answer.act is not Act.CAREER or answer.topical or answer.reason not in (Reason.NONE,
                                                                                               Reason.NOT_COVERED)
            if evidence is None or by_rule:
                continue  # decided by a rule (an attack, a job without a guide, a topic heading), not by evidence
            (refuse_these if case.expect_refusal else answer_these).append(evidence)
    if not answer_these:
        raise ValueError("the calibration sets hold no question this index should answer")
    low, high = min(answer_these), max(refuse_these, default=0.0)
    if high < low:
        threshold, errors = round((low + high) / 2, 4), 0
    else:
        candidates = sorted({*answer_these, *refuse_these})
        threshold, errors = min(
            ((t, sum(e < t for e in answer_these) + sum(e >= t for e in refuse_these)) for t in candidates),
            key=lambda pair: pair[1],
        )
    model = index.store.record.meta("embedding_model")
    return Calibration(threshold, model, tuple(_portable(p) for p in sets), len(answer_these), len(refuse_these),
                       round(low, 4), round(high, 4), errors, encoder_kind(index.query_encoder))


def _portable(path: Path) -> str:
    """A set inside the repository by its path there, so another clone finds it again."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(resolved)


def set_paths(calibration: Calibration) -> list[Path]:
    """The calibration's question sets as paths on this machine."""
    return [p if p.is_absolute() else ROOT / p for p in map(Path, calibration.sets)]


def applies(index: Index, path: Path, share: float = 0.8) -> bool:
    """True when the index holds what most of a set's questions expect to find (the set is about these guides)."""
    cases = [c for c in load_cases(path) if c.expect_context and not c.expect_refusal]
    if not cases:
        return False
    with index.store.reachable():
        texts = [r.text.lower() for r in index.store.record.state().chunks.values()]
    found = sum(any(p.lower() in t for p in c.expect_context for t in texts) for c in cases)
    return found >= share * len(cases)


def save(index: Index, calibration: Calibration) -> None:
    """Keep the calibration with the index."""
    with index.store.reachable():
        index.store.record.set_meta(KEY, calibration.to_json())


def _kept(index: Index) -> tuple[Calibration | None, bool]:
    """The stored calibration, and whether it was made for this index's model and this query encoder."""
    with index.store.reachable():
        text = index.store.record.meta(KEY)
        model = index.store.record.meta("embedding_model")
    if not text:
        return None, False
    found = Calibration.from_json(text)
    return found, found.embedding_model == model and found.query_encoder == encoder_kind(index.query_encoder)


def stored(index: Index) -> Calibration | None:
    """The index's calibration, if one was computed for the model its vectors come from and the query encoder."""
    found, fits = _kept(index)
    return found if fits else None


def stale(index: Index) -> Calibration | None:
    """A calibration kept for another model or query encoder than the index now uses (it must be recomputed)."""
    found, fits = _kept(index)
    return found if found is not None and not fits else None


def threshold(index: Index) -> float:
    """The evidence threshold to answer with: the stored calibration's, else the packaged model's default."""
    found = stored(index)
    return found.min_evidence if found else MIN_EVIDENCE
