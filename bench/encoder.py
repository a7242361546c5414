"""The ONNX query encoders (int8, and float32 as a control) against the torch model they replace when answering.

python bench/encoder.py [--sizes seed,1k]

For every question of eval/dev, heldout and benign: the top-4 chunks with each encoder on each index (the share
with the same four as torch's, with them in the same order, and the dev questions' share alone), the cosine
between its query vector and torch's, the query embedding latency (one thread, each question once per encoder,
the first to go rotating), and the eval scores on dev and heldout on each index with each encoder's own
calibrated threshold (computed in memory: the cached index is not written). Exports are timed into a fresh
temporary cache. The int8 numbers are at the top of each index's entry, float32's under "onnx".
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import ROOT, emit, log, machine, median, p95  # first: puts the repository root on sys.path

# isort: split
from indexes import index_dir

from chatbot.calibration import calibrate
from chatbot.chain import ask, build_chain
from chatbot.embeddings import make_embedder
from chatbot.encoders import OnnxEncoder
from chatbot.evaluation import evaluate, load_cases
from chatbot.retrieval import Index
from chatbot.store import Store

SETS = ["dev", "heldout", "benign"]
SCORED = ["dev", "heldout"]
SCORES = ["hit_at_1", "hit_at_k", "fact_recall", "all_facts", "refusal_accuracy"]


def agreement(folder: Path, torch: Any, onnx: Any, questions: list[str], dev: set[str]) -> dict[str, Any]:
    """How often the two encoders retrieve the same top-4 on one index, and how close their vectors are."""
    with_torch, with_onnx = Index(Store(folder), torch), Index(Store(folder), torch, onnx)
    same, same_order, same_first, cosines = [], [], [], []
    for question in questions:
        a, b = with_torch.search(question, 4), with_onnx.search(question, 4)
        ids_a, ids_b = [h.row.id for h in a.hits], [h.row.id for h in b.hits]
        same.append(set(ids_a) == set(ids_b))
        same_order.append(ids_a == ids_b)
        same_first.append(ids_a[:1] == ids_b[:1])
        cosines.append(float(np.dot(a.vector, b.vector)))
    on_dev = [s for q, s in zip(questions, same, strict=True) if q in dev]
    return {"same_top4": round(float(np.mean(same)), 4), "same_top4_dev": round(float(np.mean(on_dev)), 4),
            "same_top4_order": round(float(np.mean(same_order)), 4),
            "same_top1": round(float(np.mean(same_first)), 4), "cosine_mean": round(float(np.mean(cosines)), 4),
            "cosine_min": round(float(np.min(cosines)), 4), "chunks": len(with_torch.snapshot().rows)}


def latency(encoders: dict[str, Any], questions: list[str]) -> dict[str, dict[str, float]]:
    """Milliseconds per query embedding: each question once per encoder, the first to go alternating."""
    names = list(encoders)
    times: dict[str, list[float]] = {n: [] for n in names}
    for i, question in enumerate(questions):
        for name in names[i % len(names):] + names[:i % len(names)]:
            started = time.perf_counter()
            encoders[name].embed([question])
            times[name].append((time.perf_counter() - started) * 1000)
    return {n: {"p50": median(t), "p95": p95(t)} for n, t in times.items()}


def scores(folder: Path, torch: Any, encoder: Any) -> dict[str, Any]:
    """The eval scores on dev and heldout, answering with this query encoder and its own threshold."""
    index = Index(Store(folder), torch, encoder)
    calibration = calibrate(index, [ROOT / "eval" / "dev.jsonl"])
    chain = build_chain(index, top_k=4, min_evidence=calibration.min_evidence)
    out: dict[str, Any] = {"min_evidence": calibration.min_evidence, "calibration_errors": calibration.errors}
    for name in SCORED:
        result = evaluate(load_cases(ROOT / "eval" / f"{name}.jsonl"),
                          lambda question, history: ask(chain, question, history))
        out[name] = {k: result[k] for k in SCORES}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="seed,1k", help="cached indexes to compare retrieval on")
    args = parser.parse_args()
    questions = [c.question for s in SETS for c in load_cases(ROOT / "eval" / f"{s}.jsonl")]
    torch = make_embedder(threads=1)
    torch.embed(["warm up"])
    dev = {c.question for c in load_cases(ROOT / "eval" / "dev.jsonl")}
    sizes = args.sizes.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-encoder-") as tmp:
        encoders: dict[str, Any] = {"torch": torch}
        exports = {}
        for kind in ("onnx-int8", "onnx"):
            encoders[kind] = OnnxEncoder(threads=1, cache=Path(tmp), kind=kind)
            started = time.perf_counter()
            encoders[kind].embed(["warm up"])  # exports, then loads
            exports[kind] = {"export_s": round(time.perf_counter() - started, 1),
                             "bytes": encoders[kind].file.stat().st_size}
            log(f"{kind}: exported in {exports[kind]['export_s']}s, {exports[kind]['bytes'] / 1e6:.1f} MB")
        indexes = {}
        for size in sizes:
            folder, _ = index_dir(size)
            indexes[size] = {**agreement(folder, torch, encoders["onnx-int8"], questions, dev),
                             "onnx": agreement(folder, torch, encoders["onnx"], questions, dev)}
            log(f"{size}: {indexes[size]}")
        timed = latency(encoders, questions)
        log(f"latency: {timed}")
        by_size = {size: {kind: scores(index_dir(size)[0], torch, encoder) for kind, encoder in encoders.items()}
                   for size in sizes}
    emit({
        "questions": len(questions),
        "indexes": indexes,
        "latency_ms": timed,
        "scores": {s: {e: r[s] for e, r in by_size[sizes[0]].items()} for s in SCORED},
        "scores_by_index": {size: {s: {e: r[s] for e, r in found.items()} for s in SCORED}
                            for size, found in by_size.items()},
        "thresholds": {size: {e: {"min_evidence": r["min_evidence"], "errors": r["calibration_errors"]}
                              for e, r in found.items()} for size, found in by_size.items()},
        "export_s": exports["onnx-int8"]["export_s"],
        "onnx_bytes": exports["onnx-int8"]["bytes"],
        "float32": exports["onnx"],
        "machine": machine(),
    })


if __name__ == "__main__":
    main()
