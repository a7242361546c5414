"""Time from starting `python app.py` to the first answer served over HTTP.

python bench/coldstart.py [--runs 5] [--cases fresh,existing]

Two cases, alternating run by run: a fresh temporary index (so the first ingest of knowledge/ is included)
and an existing index (ingested by one untimed start beforehand). Reported per case: seconds until the
page answers, seconds until the first answer to a dev question has come back through /chat, and the CPU seconds
the app process had used by then (less sensitive than wall time to what else the machine is running).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from appproc import App, ask
from common import ROOT, emit, log, spread

QUESTION = "How long does it take to become a machine learning engineer?"


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used: a start's work, whatever else the machine runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_start(knowledge: Path, index: Path, log_file: Path) -> dict[str, float]:
    with App(knowledge, index, log_file) as app:
        ready = app.wait_ready()
        answer = ask(app.client(), QUESTION)
        first = time.perf_counter() - app.started
        cpu = cpu_seconds(app.proc.pid)
        if "four years" not in answer:
            raise RuntimeError(f"unexpected first answer: {answer[:200]!r}")
    return {"ready_s": ready, "first_answer_s": first, "first_answer_cpu_s": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", default="fresh,existing")
    args = parser.parse_args()
    cases = args.cases.split(",")
    results: dict[str, list[dict[str, float]]] = {c: [] for c in cases}
    with tempfile.TemporaryDirectory(prefix="bench-coldstart-") as tmp:
        base = Path(tmp)
        knowledge = base / "knowledge"
        shutil.copytree(ROOT / "knowledge", knowledge)
        one_start(knowledge, base / "existing", base / "prepare.log")  # untimed: leaves an index behind
        for run in range(args.runs):
            for mode in cases if run % 2 == 0 else cases[::-1]:
                index = base / f"fresh-{run}" if mode == "fresh" else base / "existing"
                results[mode].append(one_start(knowledge, index, base / f"{mode}-{run}.log"))
            log(f"run {run + 1}: " + ", ".join(f"{m} {r[-1]['first_answer_s']:.1f}s" for m, r in results.items()))
    emit({mode: {key: spread(r[key] for r in rows) for key in ("ready_s", "first_answer_s", "first_answer_cpu_s")}
          for mode, rows in results.items()})


if __name__ == "__main__":
    main()
