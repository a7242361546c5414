"""LangChain's tutorial RAG next to ours, in the same process, on the same guides and eval/dev.jsonl questions.

python bench/peer.py [--sets seed,1k] [--runs 5]; python bench/peer.py --build 10k,100k builds the cached peer indexes

Goal 1 of issue 16 (our whole answer against the peer's retrieval, at every size) is measured in bench/answer.py;
this script compares retrieval with retrieval and keeps the hit@1 / hit@4 comparison.

Peer: each guide file read whole (what TextLoader does; langchain_community is not installed), split by
RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True), stored in
langchain_chroma.Chroma with our MiniLM adapter, retrieved by similarity_search(question, k=4); it has no
conversation memory, so it sees only the question. Ours: chatbot.chain on retrieval.Index, scored by
chatbot.evaluation. Both are scored on the cases with expect_context; latency is retrieval only (query
embedding included, our query cache cleared per question). The two sides answer each question back to
back, alternating which goes first.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from common import CACHE, DEV, emit, log, median, p95  # first: puts the repository root on sys.path

# isort: split
from indexes import corpus_dir, index_dir
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from chatbot.chain import ask, build_chain
from chatbot.embeddings import LangChainEmbeddings, make_embedder
from chatbot.evaluation import contains, load_cases, score_case, summarize
from chatbot.retrieval import Index
from chatbot.store import Store

BUILD_BATCH = 2000


def peer_store(folder: Path, persist: Path, embeddings: LangChainEmbeddings) -> tuple[Chroma, dict[str, Any]]:
    """The tutorial's vector store over a folder of guides, built once into `persist`."""
    stamp = folder / ".stamp.json"
    key = stamp.read_text() if stamp.is_file() else "seed"
    done, building = persist / "bench-key", persist / "bench-building"
    finished = done.is_file() and done.read_text() == key
    if persist.exists() and not finished and not (building.is_file() and building.read_text() == key):
        shutil.rmtree(persist)  # the corpus was regenerated since
    persist.mkdir(parents=True, exist_ok=True)
    store = Chroma(collection_name="tutorial", embedding_function=embeddings, persist_directory=str(persist))
    docs = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": str(p)})
            for p in sorted(folder.glob("*.md"))]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True).split_documents(
        docs
    )
    info: dict[str, Any] = {"documents": len(docs), "chunks": len(splits)}
    if not finished:
        building.write_text(key)
        have = store._collection.count()
        if (have % BUILD_BATCH and have != len(splits)) or have > len(splits):  # a batch half in: start again
            store.reset_collection()
            have = 0
        if have:
            info["resumed_at"] = have
            log(f"peer {persist.name}: resuming an interrupted build at {have}/{len(splits)} chunks")
        started = time.perf_counter()
        # Batch by batch: the same index as one call, without 85k vectors as Python lists; resumable.
        for start in range(have, len(splits), BUILD_BATCH):
            store.add_documents(splits[start:start + BUILD_BATCH])
            log(f"peer {persist.name}: {min(start + BUILD_BATCH, len(splits))}/{len(splits)} chunks")
        info["build_s"] = round(time.perf_counter() - started, 1)
        info["chunks_per_s"] = round((len(splits) - have) / max(info["build_s"], 0.1), 1)
        done.write_text(key)
        building.unlink()
    return store, info


def peer_one(store: Chroma, case: Any) -> dict[str, Any]:
    started = time.perf_counter()
    docs = store.similarity_search(case.question, k=4)
    ms = (time.perf_counter() - started) * 1000
    texts = [d.page_content for d in docs]
    return {
        "ms": ms,
        "hit1": bool(texts) and any(contains(texts[0], p) for p in case.expect_context),
        "hitk": any(contains(t, p) for t in texts for p in case.expect_context),
    }


def ours_one(index: Index, chain: Any, case: Any) -> tuple[float, dict[str, Any]]:
    index._embed_query.cache_clear()
    started = time.perf_counter()
    answer = ask(chain, case.question, case.history)
    return answer.timings["retrieve_ms"], score_case(case, answer, time.perf_counter() - started)


def compare(name: str, runs: int, real: Any, tmp: Path) -> dict[str, Any]:
    cases = [c for c in load_cases(DEV) if c.expect_context]
    persist = tmp / "peer-seed" if name == "seed" else CACHE / f"peer-{name}"
    peer, info = peer_store(corpus_dir(name), persist, LangChainEmbeddings(real))
    folder, built = index_dir(name)
    index = Index(Store(folder), real)
    index.warm_up()
    chain = build_chain(index, top_k=4)
    ours_ms: list[list[float]] = []
    peer_runs: list[list[dict[str, Any]]] = []
    summary: dict[str, Any] = {}
    for run in range(runs):
        latencies, scored, peer_run = [], [], []
        for i, case in enumerate(cases):  # side by side per question, alternating which goes first
            for side in ("ours", "peer") if (run + i) % 2 == 0 else ("peer", "ours"):
                if side == "ours":
                    ms, score = ours_one(index, chain, case)
                    latencies.append(ms)
                    scored.append(score)
                else:
                    peer_run.append(peer_one(peer, case))
        ours_ms.append(latencies)
        peer_runs.append(peer_run)
        summary = summarize(scored)
        log(f"{name} run {run + 1}: ours p50 {median(latencies):.1f} ms, "
            f"peer p50 {median(s['ms'] for s in peer_run):.1f} ms")
    first = peer_runs[0]
    return {
        "set": name, "cases": len(cases), "runs": runs,
        "peer": {
            **info,
            "hit_at_1": round(sum(s["hit1"] for s in first) / len(first), 3),
            "hit_at_4": round(sum(s["hitk"] for s in first) / len(first), 3),
            "p50_ms": median(median(s["ms"] for s in r) for r in peer_runs),
            "p95_ms": median(p95(s["ms"] for s in r) for r in peer_runs),
        },
        "ours": {
            "chunks": built["chunks"], "hit_at_1": summary["hit_at_1"], "hit_at_k": summary["hit_at_k"],
            "p50_ms": median(median(r) for r in ours_ms), "p95_ms": median(p95(r) for r in ours_ms),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="seed,1k", help="seed guide alone, and/or generated corpora plus it")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--build", help="only build (or check) the cached peer indexes of these sizes, e.g. 10k,100k")
    args = parser.parse_args()
    real = make_embedder()
    real.embed(["warm up"])
    if args.build:
        emit({name: peer_store(corpus_dir(name), CACHE / f"peer-{name}", LangChainEmbeddings(real))[1]
              for name in args.build.split(",")})
        return
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        emit({"sets": [compare(name, args.runs, real, Path(tmp)) for name in args.sets.split(",")]})


if __name__ == "__main__":
    main()
