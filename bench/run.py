"""Run the benchmarks and rewrite BENCHMARKS.md: python bench/run.py [--quick] [--only answer,peer] [--sizes ...]
[--extra KNOWLEDGE_DIR:SET.jsonl].

Each script runs in its own process and prints JSON; results are kept in bench/results/ (committed), so a
partial run (--only) rewrites BENCHMARKS.md with the newest result of every script, each section saying
when and how it was measured. A section with no stored result (a fresh clone before this was kept) is
carried over from the current BENCHMARKS.md, never erased.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

from common import BENCH, ROOT, chunks_of, log, machine
from report import render

RESULTS = BENCH / "results"
FULL = {
    "ingest": ["--size", "1k", "--runs", "5"],
    "indexes": ["--sizes", "seed,1k,10k,100k"],
    "answer": ["--sizes", "seed,1k,10k,100k", "--runs", "5", "--questions", "20"],
    "peer": ["--sets", "seed,1k", "--runs", "5"],
    "encoder": ["--sizes", "seed,1k,10k"],
    "switch": ["--size", "100k"],
    "memory": ["--questions", "1000"],
    "coldstart": ["--runs", "5"],
    "quality": [],
}
QUICK = {
    "ingest": ["--size", "100", "--runs", "5"],
    "indexes": ["--sizes", "seed,1k"],
    "answer": ["--sizes", "seed,1k", "--runs", "5", "--questions", "20"],
    "peer": ["--sets", "seed", "--runs", "5"],
    "encoder": ["--sizes", "seed,1k"],
    "switch": ["--size", "1k"],
    "memory": ["--questions", "200"],
    "coldstart": ["--runs", "3"],
    "quality": [],
}


def run_script(name: str, args: list[str], mode: str) -> dict[str, Any]:
    log(f"== {name} {' '.join(args)}")
    started = time.perf_counter()
    if not (BENCH / f"{name}.py").is_file():
        log(f"bench/{name}.py is not in this checkout: skipped")
        return {"name": name, "mode": mode, "args": args, "date": datetime.now().isoformat("T", "minutes"),
                "seconds": 0, "machine": machine(), "error": "script missing"}
    proc = subprocess.run([sys.executable, str(BENCH / f"{name}.py"), *args], cwd=ROOT, stdout=subprocess.PIPE,
                          text=True, check=False)
    entry: dict[str, Any] = {"name": name, "mode": mode, "args": args, "date": datetime.now().isoformat("T", "minutes"),
                             "seconds": round(time.perf_counter() - started), "machine": machine()}
    if proc.returncode == 0:
        entry["result"] = json.loads(proc.stdout)
    else:
        entry["error"] = f"exit code {proc.returncode}"
        log(f"{name} failed with exit code {proc.returncode}")
    return entry


def _capped(script_args: list[str], largest: str) -> list[str]:
    """A script's arguments with the corpus sizes above `largest` left out ('seed' is always kept; a single
    --size above it becomes `largest`)."""
    def fits(size: str) -> bool:
        name = size.split(":")[0]
        return name == "seed" or chunks_of(name) <= chunks_of(largest)

    out = list(script_args)
    for i, value in enumerate(out[:-1]):
        if value in ("--sizes", "--sets"):
            out[i + 1] = ",".join(s for s in out[i + 1].split(",") if fits(s)) or "seed"
        elif value == "--size" and not fits(out[i + 1]):
            out[i + 1] = largest
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer questions (minutes, not hours)")
    parser.add_argument("--only", default=",".join(FULL), help="comma-separated scripts to run")
    parser.add_argument("--sizes", help="override answer.py --sizes, e.g. seed,1k,10k:approx")
    parser.add_argument("--largest", help="leave out corpus sizes above this one, e.g. 10k (a 100k index takes half "
                        "an hour to build on a quiet 2-core machine, hours on a busy one)")
    parser.add_argument("--render", action="store_true", help="only rewrite BENCHMARKS.md from stored results")
    parser.add_argument("--extra", action="append", default=[],
                        help="quality.py: also KNOWLEDGE_DIR:SET.jsonl (third-party guides, measured by hand)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = False
    for name in [] if args.render else args.only.split(","):
        script_args = list(plan[name])
        if name == "answer" and args.sizes:
            script_args[1] = args.sizes
        if args.largest:
            script_args = _capped(script_args, args.largest)
        if name == "quality":
            script_args += [a for extra in args.extra for a in ("--extra", extra)]
        entry = run_script(name, script_args, "quick" if args.quick else "full")
        failed = failed or "error" in entry
        path = RESULTS / f"{name}.json"
        if "error" in entry and path.is_file():  # keep the last good result, note the failure
            previous = json.loads(path.read_text())
            previous["last_error"] = f"{entry['date']}: {entry['error']}"
            entry = previous
        path.write_text(json.dumps(entry, indent=1))
    results = {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))}
    target = ROOT / "BENCHMARKS.md"
    previous = target.read_text(encoding="utf-8") if target.is_file() else ""
    target.write_text(render(results, machine(), previous), encoding="utf-8")
    log("wrote BENCHMARKS.md")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
