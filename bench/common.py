"""Shared helpers for the benchmark scripts: paths, statistics, JSON output, machine facts."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # run as `python bench/x.py`: make `chatbot` importable
BENCH = ROOT / "bench"
CACHE = BENCH / ".cache"
SEED_GUIDE = ROOT / "knowledge" / "machine-learning-engineer.md"
DEV = ROOT / "eval" / "dev.jsonl"
PACKAGES = ["torch", "sentence-transformers", "chromadb", "langchain-core", "gradio", "bm25s"]
MAX_BYTES = 10 * 1024 * 1024


def chunks_of(size: str) -> int:
    """'1k' -> 1000, '250' -> 250: a corpus size as a target chunk count."""
    return int(float(size[:-1]) * 1000) if size.lower().endswith("k") else int(size)


def log(*parts: Any) -> None:
    """Progress goes to stderr; stdout is reserved for the JSON result."""
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


def median(values: Iterable[float]) -> float:
    items = list(values)
    return round(statistics.median(items), 3) if items else 0.0


def p95(values: Iterable[float]) -> float:
    """Nearest-rank 95th percentile, the same rule chatbot.evaluation uses."""
    items = sorted(values)
    if not items:
        return 0.0
    return round(items[min(len(items) - 1, max(0, round(0.95 * len(items)) - 1))], 3)


def spread(values: Iterable[float]) -> dict[str, float]:
    """Median with min and max, for numbers measured once per run."""
    items = list(values)
    return {"median": median(items), "min": round(min(items), 3), "max": round(max(items), 3), "runs": len(items)}


def machine() -> dict[str, Any]:
    """Cores, CPU model, Python and the versions that matter for the numbers."""
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    head = ROOT / ".git" / "HEAD"
    ref = head.read_text().strip() if head.is_file() else ""
    if ref.startswith("ref: ") and (ROOT / ".git" / ref[5:]).is_file():
        ref = (ROOT / ".git" / ref[5:]).read_text().strip()
    source = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((ROOT / "chatbot").glob("*.py"))))
    return {
        "commit": ref[:10],
        "chatbot_sha256": source.hexdigest()[:12],  # the working tree measured (it may differ from the commit)
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "versions": versions,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def du(path: Path) -> int:
    """Bytes on disk under a folder."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def emit(result: dict[str, Any]) -> None:
    """Print the result as JSON on stdout (the contract run.py relies on)."""
    result.setdefault("loadavg_end", [round(x, 2) for x in os.getloadavg()])
    json.dump(result, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
