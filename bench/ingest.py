"""Ingest throughput vs raw SentenceTransformer.encode of the same chunk texts, and incremental re-ingest.

python bench/ingest.py [--size 1k] [--runs 5]   (prints JSON)

Each run, in one process: a full ingest into a fresh temporary index, raw encode of the very chunk texts
that ingest embedded (one call at sentence-transformers' default batch_size of 32, normalized; and as ingest
calls it: BATCH texts per call at the embedder's own batch size), a re-ingest of the unchanged guides, and a
re-ingest after editing one guide. Ingest and raw encode alternate which goes first, so drift on a shared
machine hits both. Ingest's sentence vectors come from the chunks' own forward pass (`embed_spans`).
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import MAX_BYTES, emit, log, median, spread  # first: puts the repository root on sys.path

# isort: split
from indexes import corpus_dir

from chatbot.chunking import chunk_guide
from chatbot.documents import find_guides, load_guide
from chatbot.embeddings import make_embedder, model_path
from chatbot.indexing import BATCH, ingest
from chatbot.store import Store


class TimedEmbedder:
    """Wraps the real embedder and times its calls: one forward pass per chunk (`embed_spans`, which also
    yields the chunk's sentence vectors) vs texts embedded on their own (sentences the pass could not cover)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds = {"chunks": 0.0, "sentences": 0.0}
        self.texts = {"chunks": 0, "sentences": 0}

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> Any:
        started = time.perf_counter()
        out = self.inner.embed_spans(texts, spans)
        self.seconds["chunks"] += time.perf_counter() - started
        self.texts["chunks"] += len(texts)
        return out

    def embed(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        out: np.ndarray = self.inner.embed(texts)
        self.seconds["sentences"] += time.perf_counter() - started
        self.texts["sentences"] += len(texts)
        return out


def chunk_texts(folder: Path, count_tokens: Any) -> list[str]:
    """The embed texts a fresh ingest computes vectors for: one per distinct content hash, in hash order."""
    by_hash = {}
    for path in find_guides(folder):
        for chunk in chunk_guide(load_guide(path, folder, MAX_BYTES), count_tokens):
            by_hash[chunk.content_hash] = chunk.embed_text
    return [by_hash[h] for h in sorted(by_hash)]


def run_ingest(folder: Path, store: Store, real: Any) -> dict[str, Any]:
    timed = TimedEmbedder(real)
    report = ingest(folder, store, timed, max_bytes=MAX_BYTES)
    return {
        "seconds": report.seconds,
        "chunks": report.chunks,
        "embedded": report.embedded,
        "sentences": report.sentences_embedded,
        "sentences_alone": timed.texts["sentences"],
        "chunk_embed_s": timed.seconds["chunks"],
        "sentence_embed_s": timed.seconds["sentences"],
        "errors": report.errors,
    }


def edit_one_guide(folder: Path, run: int) -> tuple[Path, str]:
    """Change one number in one generated guide's outlook section; returns (path, original text)."""
    path = sorted(p for p in folder.glob("0*.md"))[0]
    original = path.read_text(encoding="utf-8")
    edited = re.sub(r"Currently (\d+) ", lambda m: f"Currently {int(m.group(1)) + run + 1} ", original)
    path.write_text(edited, encoding="utf-8")
    return path, original


def one_run(run: int, folder: Path, real: Any, model: Any, texts: list[str]) -> dict[str, Any]:
    def raw() -> dict[str, float]:
        started = time.perf_counter()
        model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        one_call = time.perf_counter() - started
        started = time.perf_counter()
        for start in range(0, len(texts), BATCH):
            model.encode(texts[start : start + BATCH], batch_size=real.batch_size, normalize_embeddings=True)
        return {"raw_s": one_call, "raw_own_s": time.perf_counter() - started}

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        store = Store(Path(tmp) / "index")
        raw_first = run % 2 == 1
        timing = raw() if raw_first else {}
        full = run_ingest(folder, store, real)
        timing = timing or raw()
        again = run_ingest(folder, store, real)
        path, original = edit_one_guide(folder, run)
        try:
            edited = run_ingest(folder, store, real)
        finally:
            path.write_text(original, encoding="utf-8")
        store.reopen()
        store.record.close()
    result = {"full": full, "unchanged": again, "edited": edited, **timing}
    log(f"run {run + 1}: ingest {full['seconds']:.1f}s ({full['embedded']} chunks, {full['sentences']} sentences; "
        f"chunk pass {full['chunk_embed_s']:.1f}s), raw {timing['raw_s']:.1f}s, "
        f"raw at batch {real.batch_size} {timing['raw_own_s']:.1f}s, "
        f"unchanged {again['seconds']:.2f}s, edited {edited['seconds']:.2f}s")
    return result


def summarize(runs: list[dict[str, Any]], n_texts: int, real_batch_size: int) -> dict[str, Any]:
    def each(fn: Any) -> list[float]:
        return [fn(r) for r in runs]

    full = runs[0]["full"]
    return {
        "runs": len(runs),
        "chunks": full["chunks"],
        "embedded_chunks": full["embedded"],
        "sentences": full["sentences"],
        "raw_texts": n_texts,
        "ingest_s": spread(each(lambda r: r["full"]["seconds"])),
        "ingest_chunks_per_s": spread(each(lambda r: r["full"]["embedded"] / r["full"]["seconds"])),
        "raw_chunks_per_s": spread(each(lambda r: n_texts / r["raw_s"])),
        "raw_own_chunks_per_s": spread(each(lambda r: n_texts / r["raw_own_s"])),
        "ratio": spread(each(lambda r: r["raw_s"] / r["full"]["seconds"])),
        "ratio_own_batch": spread(each(lambda r: r["raw_own_s"] / r["full"]["seconds"])),
        "chunk_embed_s": spread(each(lambda r: r["full"]["chunk_embed_s"])),
        "sentence_embed_s": spread(each(lambda r: r["full"]["sentence_embed_s"])),
        "sentences_alone": max(each(lambda r: r["full"]["sentences_alone"])),
        "batch_size": real_batch_size,
        "call_texts": BATCH,
        "other_s": spread(
            each(lambda r: r["full"]["seconds"] - r["full"]["chunk_embed_s"] - r["full"]["sentence_embed_s"])
        ),
        "unchanged_s": spread(each(lambda r: r["unchanged"]["seconds"])),
        "unchanged_share": spread(each(lambda r: r["unchanged"]["seconds"] / r["full"]["seconds"])),
        "unchanged_embedded": max(each(lambda r: r["unchanged"]["embedded"])),
        "edited_s": spread(each(lambda r: r["edited"]["seconds"])),
        "edited_embedded": median(each(lambda r: r["edited"]["embedded"])),
        "edited_sentences": median(each(lambda r: r["edited"]["sentences"])),
        "errors": full["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1k", help="generated corpus (plus the seed guide): 1k, 10k, ...")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from sentence_transformers import SentenceTransformer

    real = make_embedder()
    real.embed(["warm up"])
    model = SentenceTransformer(model_path(""), device="cpu")
    model.encode(["warm up"], normalize_embeddings=True)
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        folder = Path(tmp) / "knowledge"
        shutil.copytree(corpus_dir(args.size), folder)
        texts = chunk_texts(folder, real.count_tokens)
        log(f"ingest bench: {len(find_guides(folder))} guides, {len(texts)} distinct chunk texts, {args.runs} runs")
        runs = [one_run(i, folder, real, model, texts) for i in range(args.runs)]
    emit({"size": args.size, **summarize(runs, len(texts), real.batch_size)})


if __name__ == "__main__":
    main()
