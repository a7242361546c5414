"""Answers while another process re-ingests: latency during the version switch, and when the new text is answered.

python bench/switch.py [--size 100k] [--modes background,foreground] [--after 3]

The cached index of the size (bench/indexes.py) and its corpus are copied to a temporary folder. This process
answers in a loop (full answers through chatbot.chain, one torch thread), alternating the seed guide's salary
question with dev and generated questions, while `python ingest.py` re-ingests the copy after one edit: the seed
guide's salary figure changed to a new number. Reported per mode: answer p50/p95/max in the switch window (ingest
start to `--after` seconds past the first answer with the new figure), the longest answer, the snapshot build
time, and fresh_after_s (the record's commit to the first answer with the new figure). `background` is the app's
behaviour (the new snapshot built in a thread); `foreground` forces the old one (the request that sees the new
version builds it while the others wait).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import DEV, ROOT, SEED_GUIDE, emit, log, median, p95  # first: puts the repository root on sys.path

# isort: split
from corpus import load_roles, questions
from indexes import corpus_dir, index_dir

from chatbot.chain import ask, build_chain
from chatbot.embeddings import make_embedder
from chatbot.evaluation import load_cases
from chatbot.retrieval import Index
from chatbot.store import SqliteRecord, Store

SALARY = "What is the salary of a machine learning engineer?"
OLD_FIGURE = "$112,430"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Watch(threading.Thread):
    """Polls the record (its own connection) and notes when the version moved: the commit, to 20 ms."""

    def __init__(self, record_path: Path, version: int) -> None:
        super().__init__(daemon=True)
        self.record, self.version = SqliteRecord(record_path), version
        self.committed_at = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.02):
            if self.record.version() != self.version:
                self.committed_at = time.perf_counter()
                return


def one_switch(mode: str, folder: Path, knowledge: Path, figure: str, others: list[str], after: float,
               embedder: Any) -> dict[str, Any]:
    store = Store(folder)
    index = Index(store, embedder)
    builds: list[float] = []
    load = index._load

    def timed_load() -> Any:
        started = time.perf_counter()
        try:
            return load()
        finally:
            builds.append(time.perf_counter() - started)

    index._load = timed_load  # type: ignore[method-assign]
    if mode == "foreground":  # the old behaviour: whoever sees the new version builds it, the others wait
        index.snapshot = index.refresh  # type: ignore[method-assign]
    chain = build_chain(index, top_k=4)
    index.warm_up()
    builds.clear()
    for question in others[:5]:
        ask(chain, question)
    version = store.record.version()
    guide = knowledge / SEED_GUIDE.name
    text = guide.read_text(encoding="utf-8")
    current = next(f for f in (OLD_FIGURE, "$123,457", "$124,681") if f in text)
    guide.write_text(text.replace(current, figure), encoding="utf-8")
    watch = Watch(folder / "record.sqlite3", version)
    watch.start()
    log(f"{mode}: re-ingesting ({current} -> {figure})")
    started = time.perf_counter()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    ingest = subprocess.Popen([sys.executable, str(ROOT / "ingest.py"), "--knowledge", str(knowledge), "--index",
                               str(folder), "--json"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    samples: list[tuple[float, float, dict[str, float]]] = []  # (started, ms, the answer's step timings)
    fresh_at = 0.0
    i = 0
    try:
        while True:
            question = SALARY if i % 2 == 0 else others[i // 2 % len(others)]
            i += 1
            index._embed_query.cache_clear()  # users rarely repeat a question word for word
            t = time.perf_counter()
            answer = ask(chain, question)
            samples.append((t, (time.perf_counter() - t) * 1000, answer.timings))
            if not fresh_at and question == SALARY and figure in answer.text and watch.committed_at:
                fresh_at = time.perf_counter()
                log(f"{mode}: new figure answered {fresh_at - watch.committed_at:.2f} s after the commit")
            if fresh_at and time.perf_counter() > fresh_at + after and ingest.poll() is not None:
                break
            if time.perf_counter() - started > 3600:
                raise TimeoutError("the new text was not answered within an hour")
    finally:
        if ingest.poll() is None:
            ingest.wait(timeout=600)
        watch.stop.set()
    if ingest.returncode != 0:
        raise RuntimeError(f"ingest.py exited with {ingest.returncode}")
    window = [ms for _, ms, _ in samples]
    slowest = sorted(samples, key=lambda s: -s[1])[:3]
    switch = [ms for t, ms, _ in samples if watch.committed_at <= t <= fresh_at]  # between the commit and fresh
    store.reopen()
    store.record.close()
    return {"answers": len(window), "p50_ms": median(window), "p95_ms": p95(window),
            "max_ms": round(max(window), 1), "switch_answers": len(switch),
            "switch_max_ms": round(max(switch), 1) if switch else 0.0,
            "build_s": round(max(builds), 2) if builds else 0.0, "builds": len(builds),
            "ingest_s": round(watch.committed_at - started, 1),
            "fresh_after_s": round(fresh_at - watch.committed_at, 2), "peak_rss_mb": rss_mb(),
            "slowest": [{"ms": round(ms, 1), "after_commit_s": round(t - watch.committed_at, 2),
                         "steps_ms": {k: round(v, 1) for k, v in steps.items() if v >= 1}} for t, ms, steps in slowest]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--modes", default="background,foreground")
    parser.add_argument("--after", type=float, default=3.0, help="seconds answered past the new text")
    args = parser.parse_args()
    source, info = index_dir(args.size)
    others = [c.question for c in load_cases(DEV)]
    if args.size != "seed":
        others += [str(q["question"]) for q in questions(load_roles(corpus_dir(args.size)), 20)]
    embedder = make_embedder(threads=1)
    result: dict[str, Any] = {"size": args.size, "chunks": info["chunks"]}
    with tempfile.TemporaryDirectory(prefix="bench-switch-") as tmp:
        knowledge, folder = Path(tmp) / "knowledge", Path(tmp) / "index"
        log(f"copying the {args.size} index and corpus")
        shutil.copytree(corpus_dir(args.size), knowledge)
        shutil.copytree(source, folder)
        for n, mode in enumerate(args.modes.split(",")):
            row = one_switch(mode, folder, knowledge, ("$123,457", "$124,681")[n % 2], others, args.after, embedder)
            log(f"{mode}: {row}")
            if mode == "background":
                result.update(row)
            else:
                result[mode] = row
    emit(result)


if __name__ == "__main__":
    main()
