"""Our whole answer next to the peer's retrieval, by index size: issue 16's goal 1, side by side in one process.

python bench/answer.py [--sizes seed,1k,10k,100k] (":approx" for template vectors) [--runs 5] [--questions 20]
    [--encoders torch,onnx,onnx-int8] [--no-peer]

Ours: the whole answer, `chatbot.chain.ask` on `build_chain(Index)` (understanding, retrieval, gate, composition),
once per query encoder (torch is the before; onnx and onnx-int8 the after; one the code lacks is skipped).
Peer: the LangChain tutorial's `similarity_search(question, k=4)` (bench/peer.py `peer_store`, torch MiniLM) on
the same guides. Questions: eval/dev.jsonl, plus generated questions about generated roles for the generated
corpora; each question once per run, every side in turn, the first side rotating per question. Our query cache is
cleared before every question (users rarely repeat a question word for word; the peer has none). One torch thread
for every side, as the app answers. Each size is measured in its own process (as the app serves one index: no
regex or model caches shared between sizes); p50/p95 are taken per run, then the median over runs is reported.
Indexes come from bench/.cache/ (built on first use, see bench/indexes.py and bench/peer.py). Then a probe:
query-embedding latency with torch's default threads vs one.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import CACHE, DEV, du, emit, log, median, p95, spread  # first: puts the repository root on sys.path

# isort: split
from corpus import load_roles, questions
from indexes import corpus_dir, index_dir
from peer import peer_store

from chatbot.chain import ask, build_chain
from chatbot.embeddings import LangChainEmbeddings, make_embedder
from chatbot.evaluation import Case, contains, load_cases, score_case, summarize
from chatbot.retrieval import Index
from chatbot.store import Store

ENCODERS = ["torch", "onnx", "onnx-int8"]  # before issue 16; float32 ONNX; int8 ONNX
PEER = "peer"

# (file, function) -> label, for the one profiled pass per size; cumulative times, so rows overlap.
HOTSPOTS = {
    ("retrieval.py", "correct"): "Index.correct (typo fix + role short names)",
    ("roles.py", "mentioned"): "Roles.mentioned (all calls)",
    ("roles.py", "named"): "Roles.named",
    ("question.py", "understand"): "question.understand",
    ("answer.py", "compose"): "answer.compose",
    ("embeddings.py", "embed"): "query embedding (model)",
    ("encoders.py", "embed"): "query embedding (ONNX model)",
    ("retrieval.py", "_dense"): "dense search (in memory up to 20k chunks, else Chroma)",
    ("retrieval.py", "_bm25"): "BM25",
    ("store.py", "sentences"): "sentence vectors from SQLite",
}
STEPS = ["embed_ms", "model_ms", "dense_ms", "bm25_ms", "fusion_ms", "retrieve_ms", "compose_ms", "other_ms"]


class QueryTimer:
    """A query encoder (torch or ONNX), remembering how long the model took for the last query."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.kind = getattr(inner, "kind", "torch")  # the calibration tells encoders apart by this
        self.last_ms = 0.0

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    @property
    def dimension(self) -> int:
        return int(self.inner.dimension)

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


def encoders_in_code() -> list[str]:
    """The query encoders this checkout's Index can use (torch alone before the encoder setting existed)."""
    if "query_encoder" not in inspect.signature(Index.__init__).parameters:
        return ["torch"]
    from chatbot.encoders import QUERY_ENCODERS

    return ["torch", *[e for e in QUERY_ENCODERS if e != "torch"]]


def default_encoder() -> str:
    """The encoder the app answers with by default."""
    from chatbot.config import Settings

    return str(getattr(Settings(), "query_encoder", "torch"))


def open_ours(folder: Path, real: Any, encoder: str) -> tuple[Index, QueryTimer, float, float]:
    """Our index with one query encoder, warmed up: the index, its timed query encoder, seconds to open, RSS added."""
    before, started = rss_mb(), time.perf_counter()
    if encoders_in_code() == ["torch"]:  # before the query encoder setting: the document model encodes queries
        timer = QueryTimer(real)
        index = Index(Store(folder), timer)
    else:
        from chatbot.encoders import make_query_encoder

        timer = QueryTimer(make_query_encoder(encoder, real, threads=1))
        index = Index(Store(folder), real, query_encoder=timer)
    index.warm_up()
    index.embed_query("warm up the query encoder")
    index._embed_query.cache_clear()
    return index, timer, time.perf_counter() - started, rss_mb() - before


def open_size(spec: str, real: Any, n_questions: int, encoders: list[str], with_peer: bool,
              tmp: Path) -> dict[str, Any]:
    size, _, mode = spec.partition(":")
    folder, info = index_dir(size, approx=mode == "approx")
    cases = load_cases(DEV)
    if size != "seed":
        generated = questions(load_roles(corpus_dir(size)), n_questions)
        cases += [Case(q["id"], q["question"], [], q["expect_context"], [], [], False) for q in generated]
    sides: dict[str, dict[str, Any]] = {}
    for encoder in encoders:
        index, timer, load_s, added_mb = open_ours(folder, real, encoder)
        sides[encoder] = {"index": index, "timer": timer, "chain": build_chain(index, top_k=4),
                          "load_s": round(load_s, 2), "rss_mb_opened": round(added_mb, 1)}
        log(f"{spec} ours/{encoder}: {info['chunks']} chunks, opened in {load_s:.1f}s")
    peer_info: dict[str, Any] = {}
    if with_peer:
        persist = tmp / "peer-seed" if size == "seed" else CACHE / f"peer-{size}"
        if size != "seed" and not (persist / "bench-key").is_file():
            log(f"building the peer's {size} index first (hours at 100k; `python bench/peer.py --build {size}`)")
        started = time.perf_counter()
        store, peer_info = peer_store(corpus_dir(size), persist, LangChainEmbeddings(real))
        store.similarity_search("warm up", k=4)
        peer_info["open_s"] = round(time.perf_counter() - started - peer_info.get("build_s", 0.0), 2)
        sides[PEER] = {"store": store}
        log(f"{spec} peer: {peer_info['chunks']} chunks")
    log(f"{spec}: {len(cases)} questions")
    return {
        "spec": spec, "label": f"{size} (approx vectors)" if mode == "approx" else size, "info": info,
        "sides": sides, "peer_info": peer_info, "cases": cases, "disk_bytes": du(folder),
        "chroma_bytes": du(folder / "chroma"),
    }


def ask_one(side: dict[str, Any], case: Case) -> dict[str, Any]:
    side["index"]._embed_query.cache_clear()  # measure the query embedding every time
    side["timer"].last_ms = 0.0
    started, cpu = time.perf_counter(), time.process_time()
    answer = ask(side["chain"], case.question, case.history)
    total = (time.perf_counter() - started) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    t = answer.timings
    sample = {k: t.get(k, 0.0) for k in STEPS}
    # model_ms: the query encoder's own call (torch or ONNX)
    sample.update(total_ms=total, cpu_ms=cpu_ms, model_ms=side["timer"].last_ms, case=case, answer=answer)
    sample["other_ms"] = total - t.get("retrieve_ms", 0.0) - t.get("compose_ms", 0.0)
    return sample


def peer_one(side: dict[str, Any], case: Case) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    docs = side["store"].similarity_search(case.question, k=4)
    total = (time.perf_counter() - started) * 1000
    texts = [d.page_content for d in docs]
    return {"total_ms": total, "cpu_ms": (time.process_time() - cpu) * 1000, "case": case,
            "hit4": any(contains(t, p) for t in texts for p in case.expect_context)}


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

    default = os.cpu_count() or 1  # torch's default here; measure() may have set this process to one already
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


def latency(runs: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """p50/p95 per run, then the median over runs."""
    return {
        "p50_ms": median(median(s["total_ms"] for s in run) for run in runs),
        "p95_ms": median(p95(s["total_ms"] for s in run) for run in runs),
        "p50_best_run_ms": min(median(s["total_ms"] for s in run) for run in runs),
        "cpu_p50_ms": median(median(s["cpu_ms"] for s in run) for run in runs),
    }


def ours_report(side: dict[str, Any], runs: list[list[dict[str, Any]]]) -> dict[str, Any]:
    first = runs[0]
    scored = [score_case(s["case"], s["answer"], s["total_ms"] / 1000) for s in first]
    dev = summarize([c for c in scored if not c["id"].startswith("g")])
    gen = [c for c in scored if c["id"].startswith("g") and c["hit_at_k"] is not None]
    return {
        **latency(runs),
        "steps_p50_ms": {k: median(s[k] for run in runs for s in run) for k in STEPS},
        "refused_share": round(sum(s["answer"].refused for s in first) / len(first), 3),
        "dev_hit_at_1": dev["hit_at_1"], "dev_hit_at_k": dev["hit_at_k"],
        "gen_hit_at_k": round(sum(c["hit_at_k"] for c in gen) / len(gen), 3) if gen else None,
        "open_s": side["load_s"], "rss_mb_opened": side["rss_mb_opened"],
    }


def report(entry: dict[str, Any], samples: dict[str, list[list[dict[str, Any]]]], default: str) -> dict[str, Any]:
    """The size's result: the default encoder's numbers at the top (as before issue 16), every side under `sides`."""
    chunks = entry["info"]["chunks"]
    sides: dict[str, Any] = {}
    for name, runs in samples.items():
        if name == PEER:
            judged = [s for s in runs[0] if s["case"].expect_context]
            sides[name] = {**latency(runs), **entry["peer_info"],
                           "hit_at_4": round(sum(s["hit4"] for s in judged) / len(judged), 3) if judged else None}
        else:
            sides[name] = ours_report(entry["sides"][name], runs)
    ratio: dict[str, Any] = {}
    if PEER in samples:
        peer_runs = samples[PEER]
        for name, runs in samples.items():
            if name != PEER and sides[PEER]["p50_ms"]:
                per_run = [median(s["total_ms"] for s in ours) / median(s["total_ms"] for s in peer)
                           for ours, peer in zip(runs, peer_runs, strict=True)]
                # CPU time per answer too: on a shared machine it moves less with the neighbours' load
                ratio[name] = {"p50": round(sides[name]["p50_ms"] / sides[PEER]["p50_ms"], 3),
                               "per_run": spread(per_run),
                               "cpu_p50": round(sides[name]["cpu_p50_ms"] / max(sides[PEER]["cpu_p50_ms"], 1e-6), 3)}
    ours = sides[default]
    # The first side opened paid for the open: a later side of the same index finds Chroma's files and the
    # freed memory of the first one already in the process (at 100k: +556 MB reported against 1.6 GB).
    first = next(iter(entry["sides"].values()))
    return {
        "label": entry["label"], "chunks": chunks, "guides": entry["info"]["guides"],
        "runs": len(samples[default]), "questions": len(entry["cases"]), "encoder": default,
        **ours,
        "open_s": first["load_s"], "rss_mb_opened": first["rss_mb_opened"],
        "disk_mb": round(entry["disk_bytes"] / 1e6, 1),
        "disk_mb_per_1k_chunks": round(entry["disk_bytes"] / 1e6 / chunks * 1000, 2),
        "chroma_mb_per_1k_chunks": round(entry["chroma_bytes"] / 1e6 / chunks * 1000, 2),
        "build": {k: v for k, v in entry["info"].items() if k not in ("key", "errors")},
        "profile_ms_per_answer": entry.get("profile", {}),
        "sides": sides,
        "ratio_to_peer": ratio,
    }


def measure(spec: str, runs: int, n_questions: int, encoders: list[str], with_peer: bool) -> dict[str, Any]:
    """One index size, in this process: timed runs with every side in turn, then one profiled pass."""
    real = make_embedder(threads=1)  # one torch thread, as the app answers; the peer shares the model
    real.embed(["warm up"])
    import torch

    torch.set_num_threads(1)
    usable = [e for e in encoders if e in encoders_in_code()]
    if usable != encoders:
        log(f"query encoders not in this code, skipped: {sorted(set(encoders) - set(usable))}")
    default = default_encoder() if default_encoder() in usable else usable[-1]
    with tempfile.TemporaryDirectory(prefix="bench-answer-") as tmp:
        entry = open_size(spec, real, n_questions, usable, with_peer, Path(tmp))
        names = list(entry["sides"])
        samples: dict[str, list[list[dict[str, Any]]]] = {name: [] for name in names}
        for run in range(runs):
            for name in names:
                samples[name].append([])
            for i, case in enumerate(entry["cases"]):
                shift = (run + i) % len(names)  # every side goes first, second, ... equally often
                for name in names[shift:] + names[:shift]:
                    side = entry["sides"][name]
                    samples[name][-1].append(peer_one(side, case) if name == PEER else ask_one(side, case))
            log(f"{spec} run {run + 1}: " + ", ".join(
                f"{name} p50 {median(s['total_ms'] for s in samples[name][-1]):.1f} ms" for name in names))
        entry["profile"] = profile({**entry["sides"][default], "cases": entry["cases"]})
        log(f"{spec} profiled ({default}): {entry['profile']}")
        return report(entry, samples, default)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="seed,1k,10k,100k")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--questions", type=int, default=20, help="generated questions per generated corpus")
    parser.add_argument("--encoders", default=",".join(ENCODERS), help="our query encoders, side by side")
    parser.add_argument("--no-peer", action="store_true", help="ours only")
    parser.add_argument("--no-probe", action="store_true", help="skip the torch threads probe")
    args = parser.parse_args()
    specs = args.sizes.split(",")
    encoders = args.encoders.split(",")
    if len(specs) == 1:
        sizes = [measure(specs[0], args.runs, args.questions, encoders, not args.no_peer)]
    else:  # one process per size, as the app serves one index: no regex or model caches carried across sizes
        sizes = []
        for spec in specs:
            command = [sys.executable, __file__, "--sizes", spec, "--runs", str(args.runs),
                       "--questions", str(args.questions), "--encoders", args.encoders, "--no-probe",
                       *(["--no-peer"] if args.no_peer else [])]
            sizes += json.loads(subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout)["sizes"]
    result: dict[str, Any] = {"sizes": sizes, "encoders_in_code": encoders_in_code()}
    if not args.no_probe:
        real = make_embedder()
        texts = [c.question for c in load_cases(DEV)] + [str(q["question"]) for q in questions(
            load_roles(corpus_dir("1k")), 40)]
        result["query_embedding_threads"] = thread_probe(real, texts[:60])
        log(f"torch threads probe: {result['query_embedding_threads']}")
    emit(result)


if __name__ == "__main__":
    main()
