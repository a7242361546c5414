"""Wiring shared by the entry points: settings in, ready parts out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from chatbot.config import Settings
from chatbot.embeddings import make_embedder
from chatbot.indexing import Report, ingest
from chatbot.store import Store


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with non-None overrides applied (e.g. CLI flags)."""
    settings = Settings.from_env()
    changes = {k: v for k, v in overrides.items() if v is not None}
    return settings.replace(**changes) if changes else settings


def open_store(settings: Settings) -> Store:
    """The index named by the settings."""
    return Store(settings.index_dir, settings.chroma_url)


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

    try:
        return ingest(
            settings.knowledge_dir,
            open_store(settings),
            make_embedder(settings.embedding_model),
            max_bytes=settings.max_guide_bytes,
            dry_run=dry_run,
            rebuild=rebuild,
            progress=progress if show_progress and sys.stderr.isatty() else None,
        )
    finally:
        if bar is not None:
            bar.close()


def index_path(settings: Settings) -> Path:
    """Where the index lives."""
    return settings.index_dir
