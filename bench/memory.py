"""Peak RSS and open files of `python app.py`, idle and while answering 1,000 questions over HTTP.

python bench/memory.py [--questions 1000]

The app runs on a temporary copy of knowledge/ and a temporary index, on a free 127.0.0.1 port. Questions
go through Gradio's public /chat endpoint with gradio_client, a new session every 10 questions (each
session keeps its turns server-side, as a browser tab would). Growth check: RSS after the last question
minus RSS after the first quarter must stay under the bound.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from appproc import App, ask
from common import DEV, ROOT, emit, log, median, p95

GROWTH_BOUND_MB = 25.0
FILES_BOUND = 5
TOPICS = ["salary", "hourly pay", "job outlook", "pros and cons", "required degree", "daily work", "skills",
          "time to qualify", "job openings", "growth rate"]
ASKS = ["What is the {t} of a machine learning engineer?", "Tell me about the {t} for ML engineers.",
        "machine learning engineer {t}?", "What should I know about the {t} of this career?",
        "How does the {t} look for a dentist?"]


def question_bank() -> list[str]:
    from chatbot.evaluation import load_cases

    dev = [c.question for c in load_cases(DEV) if not c.history]
    return dev + [a.format(t=t) for a in ASKS for t in TOPICS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--session", type=int, default=10, help="questions per client session")
    args = parser.parse_args()
    bank = question_bank()
    checkpoints = sorted({0, args.questions // 10, args.questions // 4, args.questions // 2, args.questions})
    samples: dict[int, dict[str, Any]] = {}
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        knowledge = Path(tmp) / "knowledge"
        shutil.copytree(ROOT / "knowledge", knowledge)
        with App(knowledge, Path(tmp) / "index", Path(tmp) / "app.log") as app:
            app.wait_ready()
            time.sleep(2)
            samples[-1] = app.status()  # idle, before any question
            client = app.client()
            for i in range(args.questions):
                if i in checkpoints:
                    samples[i] = app.status()
                if i and i % args.session == 0:
                    client.reset_session()
                started = time.perf_counter()
                if not ask(client, bank[i % len(bank)]):
                    raise RuntimeError(f"empty answer to {bank[i % len(bank)]!r}")
                latencies.append((time.perf_counter() - started) * 1000)
                if (i + 1) % 100 == 0:
                    log(f"{i + 1} questions, {app.status()}")
            samples[args.questions] = app.status()
    idle, quarter, end = samples[-1], samples[args.questions // 4], samples[args.questions]
    growth = end["rss_mb"] - quarter["rss_mb"]
    emit({
        "questions": args.questions, "distinct_questions": len(bank), "session_size": args.session,
        "idle": idle, "after": end,
        "checkpoints": [{"questions": k, **v} for k, v in sorted(samples.items()) if k >= 0],
        "growth_mb_after_first_quarter": round(growth, 1), "growth_bound_mb": GROWTH_BOUND_MB,
        "growth_ok": growth <= GROWTH_BOUND_MB,
        "files_delta": end["open_files"] - idle["open_files"], "files_ok": end["open_files"] - idle["open_files"]
        <= FILES_BOUND,
        "http_p50_ms": median(latencies), "http_p95_ms": p95(latencies),
    })


if __name__ == "__main__":
    main()
