"""Wiring shared by the entry points: settings in, ready parts out."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from langchain_core.runnables import Runnable

from chatbot.answer import Answer
from chatbot.chain import ask, build_chain
from chatbot.config import Settings
from chatbot.embeddings import Embedder, make_embedder
from chatbot.encoders import make_query_encoder
from chatbot.errors import IndexMissingError
from chatbot.indexing import Report, ingest
from chatbot.retrieval import Index
from chatbot.server import ServerRecord
from chatbot.store import Store


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with non-None overrides applied (e.g. CLI flags)."""
    settings = Settings.from_env()
    changes = {k: v for k, v in overrides.items() if v is not None}
    return settings.replace(**changes) if changes else settings


def open_store(settings: Settings) -> Store:
    """The index named by the settings: embedded (SQLite record beside Chroma), or on a Chroma server."""
    match settings.chroma_url:
        case "":
            return Store(settings.index_dir)
        case url:
            return Store(settings.index_dir, url, ServerRecord(url))


def ingest_from_settings(
    settings: Settings, *, dry_run: bool = False, rebuild: bool = False, show_progress: bool = False
) -> Report:
    """Ingest the knowledge folder with the real embedder, with a progress bar on a terminal."""
    bar: Any = None

    def progress(done: int, total: int, what: str) -> None:
        nonlocal bar
        if bar is None or bar.desc != f"embedding {what}":
            if bar is not None:
                bar.close()
            from tqdm import tqdm

            bar = tqdm(total=total, desc=f"embedding {what}", unit="text", file=sys.stderr)
        bar.n = done
        bar.refresh()

    store, embedder = open_store(settings), make_embedder(settings.embedding_model)
    try:
        report = ingest(
            settings.knowledge_dir,
            store,
            embedder,
            max_bytes=settings.max_guide_bytes,
            dry_run=dry_run,
            rebuild=rebuild,
            progress=progress if show_progress and sys.stderr.isatty() else None,
        )
    finally:
        if bar is not None:
            bar.close()
    if not dry_run and store.exists():
        # Calibrated with the encoder that will answer: the threshold is bound to it.
        recalibrate_if_stale(Index(store, embedder, make_query_encoder(settings.query_encoder, embedder,
                                                                       settings.query_threads)))
    return report


def recalibrate_if_stale(index: Index) -> None:
    """A calibration made for another embedding model is computed again on its own question sets; an index with
    none is calibrated on the project's dev set when that set is about its guides."""

    from chatbot.calibration import applies, calibrate, save, set_paths, stale, stored
    from chatbot.config import ROOT

    old = stale(index)
    if old is None:
        dev = ROOT / "eval" / "dev.jsonl"
        if stored(index) is None and dev.is_file() and applies(index, dev):
            save(index, calibrate(index, [dev]))
        return
    sets = set_paths(old)
    if not all(p.is_file() for p in sets):
        print("note: the evidence threshold was calibrated for another embedding model and its question sets are "
              "gone; the default applies until you run: python -m chatbot calibrate SET.jsonl", file=sys.stderr)
        return
    new = calibrate(index, sets)
    save(index, new)
    print(f"note: the embedding model changed, so the evidence threshold was calibrated again: "
          f"{old.min_evidence} -> {new.min_evidence}", file=sys.stderr)


def open_index(settings: Settings, embedder: Embedder | None = None) -> Index:
    """The read side of the index, with the real embedder unless one is given."""
    if not open_store(settings).exists():
        raise IndexMissingError(f"there is no index at {settings.index_dir} yet; run: python ingest.py (or make run)")
    if embedder is not None:  # a given embedder (a test's fake, a benchmark's timer) encodes the questions too
        return Index(open_store(settings), embedder)
    documents = make_embedder(settings.embedding_model, settings.query_threads)
    return Index(open_store(settings), documents,
                 make_query_encoder(settings.query_encoder, documents, settings.query_threads))


def build_from_settings(settings: Settings, embedder: Embedder | None = None) -> tuple[Index, Runnable[Any, Any]]:
    """The index and the answer chain the settings describe."""
    from chatbot.calibration import threshold
    from chatbot.llms import make_llm

    index = open_index(settings, embedder)
    chain = build_chain(
        index, llm=make_llm(settings), top_k=settings.top_k, max_question_chars=settings.max_question_chars,
        min_evidence=threshold(index),
    )
    return index, chain


def answer_function(settings: Settings) -> Callable[[str, list[dict[str, str]]], Answer]:
    """ask(question, history) -> Answer, for the CLI and the evaluation."""
    _, chain = build_from_settings(settings)
    return lambda question, history: ask(chain, question, history)
