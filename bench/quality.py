"""Answer quality on every question set, ours next to LangChain's tutorial RAG, in one run.

python bench/quality.py [--extra KNOWLEDGE_DIR:SET.jsonl ...]

The repository's sets (eval/dev, heldout, benign, attack) run on the bundled guide. `--extra` adds a set on
another knowledge folder (e.g. a scratch copy of the bundled guide plus third-party guides, measured by hand;
nothing of it is kept). Ours is scored by chatbot.evaluation (the rules of eval/FORMAT.md). The peer is the
tutorial's retrieval (whole files, RecursiveCharacterTextSplitter(1000, 200), Chroma, similarity_search k=4):
it has no answer text of its own, so only retrieval is scored, and it never refuses, so its refusal accuracy
is the share of questions that should be answered.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

from common import MAX_BYTES, ROOT, emit, log  # first: puts the repository root on sys.path

# isort: split
from peer import peer_one, peer_store

from chatbot.calibration import threshold
from chatbot.chain import ask, build_chain
from chatbot.embeddings import LangChainEmbeddings, make_embedder
from chatbot.evaluation import evaluate, load_cases
from chatbot.indexing import ingest
from chatbot.retrieval import Index
from chatbot.service import recalibrate_if_stale
from chatbot.store import Store

SETS = ["dev", "heldout", "benign", "attack"]


def measure(name: str, knowledge: Path, cases_file: Path, real: Any, tmp: Path) -> dict[str, Any]:
    """Both systems on one set: our full evaluation, the peer's retrieval and (absent) refusals."""
    folder = tmp / name
    shutil.copytree(knowledge, folder / "knowledge", ignore=shutil.ignore_patterns(".*", "README*"))
    store = Store(folder / "index")
    ingest(folder / "knowledge", store, real, max_bytes=MAX_BYTES)
    index = Index(store, real)
    recalibrate_if_stale(index)  # as the app's ingest does: the threshold the app would answer with
    index.warm_up()
    cases = load_cases(cases_file)
    chain = build_chain(index, top_k=4, min_evidence=threshold(index))
    ours = evaluate(cases, lambda question, history: ask(chain, question, history))
    peer, info = peer_store(folder / "knowledge", folder / "peer", LangChainEmbeddings(real))
    scored = [peer_one(peer, c) for c in cases if c.expect_context]
    log(f"{name}: ours hit@1 {ours['hit_at_1']}, peer {sum(s['hit1'] for s in scored) / max(len(scored), 1):.2f}")
    return {
        "set": name, "cases": len(cases), "knowledge": "bundled guide" if knowledge == ROOT / "knowledge" else
        f"{len(list((folder / 'knowledge').iterdir()))} guides (by hand)",
        "with_context": len(scored), "with_facts": sum(bool(c.expect_facts) for c in cases),
        "ours": {k: ours[k] for k in ("hit_at_1", "hit_at_k", "fact_recall", "all_facts", "refusal_accuracy",
                                      "forbidden_hits", "unsupported_numbers", "latency_ms_p50")},
        "peer": {
            "chunks": info["chunks"],
            "hit_at_1": round(sum(s["hit1"] for s in scored) / len(scored), 4) if scored else None,
            "hit_at_4": round(sum(s["hitk"] for s in scored) / len(scored), 4) if scored else None,
            "refusal_accuracy": round(sum(not c.expect_refusal for c in cases) / len(cases), 4),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", action="append", default=[], help="KNOWLEDGE_DIR:SET.jsonl, measured by hand")
    args = parser.parse_args()
    real = make_embedder()
    runs = [(s, ROOT / "knowledge", ROOT / "eval" / f"{s}.jsonl") for s in SETS]
    for extra in args.extra:
        knowledge, _, cases = extra.partition(":")
        runs.append((Path(cases).stem, Path(knowledge), Path(cases)))
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        emit({"sets": [measure(name, k, c, real, Path(tmp)) for name, k, c in runs]})


if __name__ == "__main__":
    main()
