"""Full answer latency (build_chain on retrieval.Index: condense, retrieve, compose) by index size.

python bench/answer.py [--sizes seed,1k,10k,100k] (":approx" for template vectors) [--runs 5] [--questions 20]

Questions: eval/dev.jsonl, plus generated questions about generated roles for the generated corpora. The
query-embedding cache is cleared before every question (users rarely repeat a question word for word).
Each size is measured in its own process (as the app serves one index: no regex or model caches shared between
sizes); p50/p95 are taken per run, then the median over runs is reported. Indexes come from bench/.cache/ (built
on first use, see bench/indexes.py). Then a probe: query-embedding latency with torch's default threads vs one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import DEV, du, emit, log, median, p95  # first: puts the repository root on sys.path

# isort: split
from corpus import load_roles, questions
from indexes import corpus_dir, index_dir

from chatbot.chain import ask, build_chain
from chatbot.embeddings import make_embedder
from chatbot.evaluation import Case, load_cases, score_case, summarize
from chatbot.retrieval import Index
from chatbot.store import Store

# (file, function) -> label, for the one profiled pass per size; cumulative times, so rows overlap.
HOTSPOTS = {
    ("retrieval.py", "correct"): "Index.correct (typo fix + role short names)",
    ("roles.py", "mentioned"): "Roles.mentioned (all calls)",
    ("roles.py", "named"): "Roles.named",
    ("question.py", "understand"): "question.understand",
    ("answer.py", "compose"): "answer.compose",
    ("embeddings.py", "embed"): "query embedding (model)",
    ("retrieval.py", "_dense"): "dense search (Chroma)",
    ("retrieval.py", "_bm25"): "BM25",
    ("store.py", "sentences"): "sentence vectors from SQLite",
}
STEPS = ["embed_ms", "model_ms", "dense_ms", "bm25_ms", "fusion_ms", "retrieve_ms", "compose_ms", "other_ms"]


class QueryTimer:
    """The real embedder, remembering how long the model took for the last query."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.last_ms = 0.0

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    def embed(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        out: np.ndarray = self.inner.embed(texts)
        self.last_ms = (time.perf_counter() - started) * 1000
        return out


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_size(spec: str, real: Any, n_questions: int) -> dict[str, Any]:
    size, _, mode = spec.partition(":")
    folder, info = index_dir(size, approx=mode == "approx")
    cases = load_cases(DEV)
    if size != "seed":
        generated = questions(load_roles(corpus_dir(size)), n_questions)
        cases += [Case(q["id"], q["question"], [], q["expect_context"], [], [], False) for q in generated]
    timer = QueryTimer(real)
    index = Index(Store(folder), timer)
    before, started = rss_mb(), time.perf_counter()
    index.warm_up()
    load_s = time.perf_counter() - started
    chroma = du(folder / "chroma")
    log(f"{spec}: {info['chunks']} chunks, opened in {load_s:.1f}s, {len(cases)} questions")
    return {
        "spec": spec, "label": f"{size} (approx vectors)" if mode == "approx" else size, "info": info,
        "index": index, "timer": timer, "chain": build_chain(index, top_k=4), "cases": cases,
        "load_s": round(load_s, 2), "rss_mb_opened": round(rss_mb() - before, 1), "disk_bytes": du(folder),
        "chroma_bytes": chroma,
    }


def ask_one(entry: dict[str, Any], case: Case) -> dict[str, Any]:
    entry["index"]._embed_query.cache_clear()  # measure the query embedding every time
    started, cpu = time.perf_counter(), time.process_time()
    answer = ask(entry["chain"], case.question, case.history)
    total = (time.perf_counter() - started) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    t = answer.timings
    sample = {k: t.get(k, 0.0) for k in STEPS}
    sample.update(total_ms=total, cpu_ms=cpu_ms, model_ms=entry["timer"].last_ms, case=case, answer=answer)
    sample["other_ms"] = total - t.get("retrieve_ms", 0.0) - t.get("compose_ms", 0.0)
    return sample


def profile(entry: dict[str, Any]) -> dict[str, float]:
    """One extra, untimed pass under cProfile: cumulative ms per answer for the functions in HOTSPOTS."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    samples = [ask_one(entry, case) for case in entry["cases"]]
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(s["total_ms"] for s in samples)
    out = {"answer (profiled wall)": total / len(samples)}
    for (file, _, func), (_, _, _, cumulative, _) in stats.items():
        label = HOTSPOTS.get((Path(file).name, func))
        if label and Path(file).parent.name == "chatbot":
            out[label] = out.get(label, 0.0) + cumulative * 1000 / len(samples)
    return {k: round(v, 1) for k, v in out.items()}


def thread_probe(real: Any, texts: list[str]) -> dict[str, Any]:
    """Query-embedding latency with torch's default intra-op threads vs one thread, alternating per text,
    on the machine as it is and with one busy-looping process per core (like a parallel test run next door)."""
    import torch

    default = torch.get_num_threads()
    out: dict[str, Any] = {}
    for load in ("as is", "cores busy"):
        burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)
                   ] if load == "cores busy" else []
        try:
            times: dict[int, list[float]] = {default: [], 1: []}
            for i, text in enumerate(texts):
                for threads in (default, 1) if i % 2 == 0 else (1, default):
                    torch.set_num_threads(threads)
                    started = time.perf_counter()
                    real.embed([text])
                    times[threads].append((time.perf_counter() - started) * 1000)
        finally:
            torch.set_num_threads(default)
            for burner in burners:
                burner.kill()
                burner.wait()
        out[load] = {f"threads_{n}": {"p50_ms": median(v), "p95_ms": p95(v), "n": len(v)} for n, v in times.items()}
    return out


def report(entry: dict[str, Any], runs: list[list[dict[str, Any]]]) -> dict[str, Any]:
    first = runs[0]
    scored = [score_case(s["case"], s["answer"], s["total_ms"] / 1000) for s in first]
    dev = summarize([c for c in scored if not c["id"].startswith("g")])
    gen = [c for c in scored if c["id"].startswith("g") and c["hit_at_k"] is not None]
    chunks = entry["info"]["chunks"]
    return {
        "label": entry["label"], "chunks": chunks, "guides": entry["info"]["guides"], "runs": len(runs),
        "questions": len(first), "p50_ms": median(median(s["total_ms"] for s in run) for run in runs),
        "p95_ms": median(p95(s["total_ms"] for s in run) for run in runs),
        "p50_best_run_ms": min(median(s["total_ms"] for s in run) for run in runs),
        "cpu_p50_ms": median(median(s["cpu_ms"] for s in run) for run in runs),
        "steps_p50_ms": {k: median(s[k] for run in runs for s in run) for k in STEPS},
        "refused_share": round(sum(s["answer"].refused for s in first) / len(first), 3),
        "dev_hit_at_1": dev["hit_at_1"], "dev_hit_at_k": dev["hit_at_k"],
        "gen_hit_at_k": round(sum(c["hit_at_k"] for c in gen) / len(gen), 3) if gen else None,
        "open_s": entry["load_s"], "rss_mb_opened": entry["rss_mb_opened"],
        "disk_mb": round(entry["disk_bytes"] / 1e6, 1),
        "disk_mb_per_1k_chunks": round(entry["disk_bytes"] / 1e6 / chunks * 1000, 2),
        "chroma_mb_per_1k_chunks": round(entry["chroma_bytes"] / 1e6 / chunks * 1000, 2),
        "build": {k: v for k, v in entry["info"].items() if k not in ("key", "errors")},
        "profile_ms_per_answer": entry.get("profile", {}),
    }


def measure(spec: str, runs: int, n_questions: int) -> dict[str, Any]:
    """One index size, in this process: timed runs, then one profiled pass."""
    real = make_embedder()
    real.embed(["warm up"])
    entry = open_size(spec, real, n_questions)
    samples = []
    for run in range(runs):
        samples.append([ask_one(entry, case) for case in entry["cases"]])
        log(f"{spec} run {run + 1}: p50 {median(s['total_ms'] for s in samples[-1]):.1f} ms")
    entry["profile"] = profile(entry)
    log(f"{spec} profiled: {entry['profile']}")
    return report(entry, samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="seed,1k,10k,100k")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--questions", type=int, default=20, help="generated questions per generated corpus")
    parser.add_argument("--no-probe", action="store_true", help="skip the torch threads probe")
    args = parser.parse_args()
    specs = args.sizes.split(",")
    if len(specs) == 1:
        sizes = [measure(specs[0], args.runs, args.questions)]
    else:  # one process per size, as the app serves one index: no regex or model caches carried across sizes
        sizes = []
        for spec in specs:
            command = [sys.executable, __file__, "--sizes", spec, "--runs", str(args.runs),
                       "--questions", str(args.questions), "--no-probe"]
            sizes += json.loads(subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout)["sizes"]
    result: dict[str, Any] = {"sizes": sizes}
    if not args.no_probe:
        real = make_embedder()
        texts = [c.question for c in load_cases(DEV)] + [str(q["question"]) for q in questions(
            load_roles(corpus_dir("1k")), 40)]
        result["query_embedding_threads"] = thread_probe(real, texts[:60])
        log(f"torch threads probe: {result['query_embedding_threads']}")
    emit(result)


if __name__ == "__main__":
    main()
