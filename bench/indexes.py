"""Generated corpora and the indexes built from them, cached under bench/.cache/ and reused across runs.

`seed` is the seed guide alone; `1k`, `10k`, `100k` are generated guides of that many chunks plus the seed
guide. `real` indexes are ingested with the real MiniLM; `approx` ones with bench/approx.py's template
embedder (same chunks, same store layout, cheaper vectors). python bench/indexes.py --sizes 1k,10k prints JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

from common import CACHE, MAX_BYTES, SEED_GUIDE, chunks_of, du, emit, log  # first: puts the repository root on sys.path

# isort: split
from corpus import GENERATOR_VERSION, generate

from chatbot.chunking import CHUNKER_VERSION
from chatbot.embeddings import make_embedder
from chatbot.indexing import ingest
from chatbot.store import Store

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
    """A built index for a size (building it on first use) and the facts of its build."""
    folder = CACHE / f"index-{size}-{'approx' if approx else 'real'}"
    knowledge = corpus_dir(size)
    key = json.loads((knowledge / ".stamp.json").read_text()) if size != "seed" else {"chunker": CHUNKER_VERSION}
    if not approx:  # real vectors are rebuilt when the embedder makes them another way
        key = {**key, "embedder": make_embedder().name}
    done = folder / "bench-build.json"
    if done.is_file() and json.loads(done.read_text()).get("key") == key:
        return folder, json.loads(done.read_text())
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
    report = ingest(knowledge, store, embedder, max_bytes=MAX_BYTES)
    info: dict[str, Any] = {
        "key": key,
        "size": size,
        "vectors": "approx" if approx else "real",
        "chunks": report.chunks,
        "guides": report.guides,
        "build_seconds": round(time.perf_counter() - started, 1),
        "errors": report.errors,
    }
    if approx:
        info["model_texts"] = embedder.model_texts
        embedder.save()
    store.reopen()
    store.record.close()
    info["disk_bytes"] = du(folder)
    done.write_text(json.dumps(info))
    log(f"built {folder.name}: {report.chunks} chunks in {info['build_seconds']} s")
    return folder, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="seed,1k")
    parser.add_argument("--approx", action="store_true", help="template-approximation vectors")
    args = parser.parse_args()
    emit({s: index_dir(s, args.approx)[1] for s in args.sizes.split(",")})


if __name__ == "__main__":
    main()
