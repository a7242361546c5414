"""Helpers for tests that need an index or run the command-line tools (fixtures live in fixtures_index.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conftest import ROOT, copy_guides

from chatbot.config import Settings
from chatbot.indexing import ingest
from chatbot.retrieval import Index
from chatbot.store import Store

MAX_BYTES = Settings().max_guide_bytes
FIXTURE_GUIDES = ("data-scientist.md", "registered-nurse.txt", "web-developer.html")


def build_index(knowledge: Path, index_dir: Path, embedder: Any, *guides: str) -> Index:
    """Copy guides into `knowledge`, ingest them into `index_dir`, and open the read side."""
    copy_guides(knowledge, *guides)
    store = Store(index_dir)
    ingest(knowledge, store, embedder, max_bytes=MAX_BYTES)
    return Index(store, embedder)


def guides_index(tmp: Path, guides: dict[str, str]) -> Index:
    """Guides of our own text (file name -> content) ingested with the hash embedder: a small index for one test."""
    from chatbot.embeddings import HashEmbedder

    knowledge = tmp / "knowledge"
    knowledge.mkdir(exist_ok=True)
    for name, text in guides.items():
        (knowledge / name).write_text(text, encoding="utf-8")
    store = Store(tmp / "index")
    ingest(knowledge, store, HashEmbedder(), max_bytes=MAX_BYTES)
    return Index(store, HashEmbedder())


def close(index: Index) -> None:
    """Release the Chroma system and the SQLite connection of an index opened in this process."""
    index.store.reopen()
    index.store.record.close()


def cli_env() -> dict[str, str]:
    """The test's environment without any CAREERBOT_* setting, offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERBOT_")}
    env.update(HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", PYTHONUNBUFFERED="1")
    return env


def run_parallel(
    commands: dict[str, Sequence[str]], timeout: float = 240
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run `python ARGS...` commands side by side (each loads the model: running them together saves minutes)."""
    running = {
        name: subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for name, args in commands.items()
    }
    done = {}
    try:
        for name, process in running.items():
            out, err = process.communicate(timeout=timeout)
            done[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return done
