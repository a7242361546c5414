"""Generated corpora and the indexes built from them, cached under bench/.cache/ and reused across runs.

`seed` is the seed guide alone; `1k`, `10k`, `100k` are generated guides of that many chunks plus the seed
guide. `real` indexes are ingested with the real MiniLM; `approx` ones with bench/approx.py's template
embedder (same chunks, same store layout, cheaper vectors). python bench/indexes.py --sizes 1k,10k prints JSON.
Each build runs in a child process, so its peak RSS (`peak_rss_mb`) is the ingest's own (model load included);
`disk` splits the bytes on disk into Chroma and the SQLite record.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import CACHE, MAX_BYTES, SEED_GUIDE, chunks_of, du, emit, log  # first: puts the repository root on sys.path

# isort: split
from corpus import GENERATOR_VERSION, generate

from chatbot import tagging
from chatbot.chunking import CHUNKER_VERSION
from chatbot.embeddings import make_embedder
from chatbot.indexing import ingest
from chatbot.store import CHROMA_DIR, STORE_FORMAT, Store

SEED = 7


def corpus_dir(size: str) -> Path:
    """The knowledge folder for a size, generated on first use."""
    if size == "seed":
        folder = CACHE / "corpus-seed"
        if not (folder / SEED_GUIDE.name).is_file():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(SEED_GUIDE, folder / SEED_GUIDE.name)
        return folder
    folder = CACHE / f"corpus-{size}"
    stamp = folder / ".stamp.json"
    key = {"generator": GENERATOR_VERSION, "chunker": CHUNKER_VERSION, "seed": SEED, "chunks": chunks_of(size)}
    if not stamp.is_file() or json.loads(stamp.read_text()) != key:
        log(f"generating the {size} corpus")
        generate(folder, chunks_of(size), SEED)
        stamp.write_text(json.dumps(key))
    return folder


def index_dir(size: str, approx: bool = False) -> tuple[Path, dict[str, Any]]:
    """A built index for a size (building it on first use, in a child process) and the facts of its build."""
    folder, key = _folder(size, approx), _key(size, approx)
    done = folder / "bench-build.json"
    if not (done.is_file() and json.loads(done.read_text()).get("key") == key):
        command = [sys.executable, __file__, "--build-one", size, *(["--approx"] if approx else [])]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return folder, json.loads(done.read_text())


def _folder(size: str, approx: bool) -> Path:
    return CACHE / f"index-{size}-{'approx' if approx else 'real'}"


def _key(size: str, approx: bool) -> dict[str, Any]:
    """What a cached index was built from: a change to any part rebuilds it."""
    knowledge = corpus_dir(size)
    key = json.loads((knowledge / ".stamp.json").read_text()) if size != "seed" else {"chunker": CHUNKER_VERSION}
    key = {**key, "store_format": STORE_FORMAT}
    if not approx:  # real vectors are rebuilt when the embedder makes them another way
        key = {**key, "embedder": make_embedder().name, "tagger": tagging.version(make_embedder().name)}
    return key


def build(size: str, approx: bool) -> dict[str, Any]:
    """Ingest the corpus of a size into a fresh index (this process: its peak RSS is the ingest's)."""
    folder, key = _folder(size, approx), _key(size, approx)
    if folder.exists():
        shutil.rmtree(folder)
    real = make_embedder()
    embedder: Any = real
    if approx:
        from approx import TemplateEmbedder

        embedder = TemplateEmbedder(real, CACHE / "template-vectors.npz")
    log(f"building index {folder.name} ({'template approximation' if approx else 'real model'})")
    started = time.perf_counter()
    store = Store(folder)
    report = ingest(corpus_dir(size), store, embedder, max_bytes=MAX_BYTES)
    info: dict[str, Any] = {
        "key": key,
        "size": size,
        "vectors": "approx" if approx else "real",
        "chunks": report.chunks,
        "guides": report.guides,
        "build_seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # Linux: KiB
        "sentence_vectors": "int8",
        "sentences": report.sentences_embedded,
        "errors": report.errors,
    }
    if approx:
        info["model_texts"] = embedder.model_texts
        embedder.save()
    store.reopen()
    store.record.close()
    chroma = du(folder / CHROMA_DIR)
    info["disk_bytes"] = du(folder)
    info["disk"] = {"chroma": chroma, "record": info["disk_bytes"] - chroma}
    info["mb_per_1k_chunks"] = {
        part: round(value / 1e6 / max(1, report.chunks) * 1000, 2)
        for part, value in {"total": info["disk_bytes"], **info["disk"]}.items()
    }
    (folder / "bench-build.json").write_text(json.dumps(info))
    log(f"built {folder.name}: {report.chunks} chunks in {info['build_seconds']} s, peak RSS {info['peak_rss_mb']} MB, "
        f"{info['mb_per_1k_chunks']} MB per 1k chunks")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="seed,1k")
    parser.add_argument("--approx", action="store_true", help="template-approximation vectors")
    parser.add_argument("--build-one", metavar="SIZE", help="build one index in this process (index_dir's child)")
    args = parser.parse_args()
    if args.build_one:
        build(args.build_one, args.approx)
        return
    emit({s: index_dir(s, args.approx)[1] for s in args.sizes.split(",")})


if __name__ == "__main__":
    main()
