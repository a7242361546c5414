"""SIGKILL an ingest at many points: the index always opens, consistent, old state or new, never a mix."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SEED, copy_guides
from test_ingest_cli import cli_env, ingest_command

from chatbot.config import Settings
from chatbot.indexing import ingest
from chatbot.store import RECORD_FILE, Store

MAX = Settings().max_guide_bytes
OLD_SALARY, NEW_SALARY = "$112,430", "$118,900"
OLD_GUIDES = {SEED.name, "data-scientist.md"}
NEW_GUIDES = OLD_GUIDES | {"registered-nurse.txt", "web-developer.html"}
DELAY_FRACTIONS = (0.15, 0.3, 0.5, 0.8, 0.9, 0.97)  # of an unkilled run's wall time


def close(store: Store) -> None:
    store.reopen()
    store.record.close()


def record_version(index: Path) -> int:
    """The committed version, read without taking part in the writer's transaction."""
    try:
        with sqlite3.connect(f"file:{index / RECORD_FILE}?mode=ro", uri=True, timeout=0.05) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='version'").fetchone()
    except sqlite3.Error:
        return -1
    return int(row[0]) if row else 0


def run_until(command: list[str], trigger: Callable[[float], bool], log: Path) -> tuple[bool, float]:
    """Start ingest.py and SIGKILL it as soon as `trigger(elapsed seconds)` is true; (killed, elapsed)."""
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=cli_env(), stdout=out, stderr=out, start_new_session=True)
        try:
            while proc.poll() is None:
                if trigger(time.monotonic() - started):
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.002)  # polling interval, not an assertion
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return proc.returncode == -signal.SIGKILL, time.monotonic() - started


def check_after_kill(index: Path) -> str:
    """The invariants a reader relies on after a crash; returns 'old' or 'new'."""
    store = Store(index)
    try:
        state = store.record.state()
        assert state.version in (1, 2)
        # Chroma keeps ids and vectors only; an id covers the chunk's whole content (text, heading, source).
        got = store.collection(state.collection).get(ids=list(state.chunks), include=[])
        assert set(got["ids"]) == set(state.chunks), "the record lists ids Chroma does not have"
        texts = [c.text for c in state.chunks.values()]
        has_old = any(OLD_SALARY in t for t in texts)
        has_new = any(NEW_SALARY in t for t in texts)
        assert has_old != has_new, f"old salary {has_old}, new salary {has_new}"
        assert {c.source for c in state.chunks.values()} == set(state.guides)
        assert set(state.guides) == (OLD_GUIDES if has_old else NEW_GUIDES), "guides and salary from different runs"
        assert state.version == (1 if has_old else 2)
        return "old" if has_old else "new"
    finally:
        close(store)


def reingest_and_check(knowledge: Path, index: Path, embedder: Any) -> None:
    store = Store(index)
    try:
        report = ingest(knowledge, store, embedder, max_bytes=MAX)
        assert report.errors == []
        state = store.record.state()
        assert set(state.guides) == NEW_GUIDES
        assert store.collection_names() == [state.collection]
        got = store.collection(state.collection).get(include=[])
        assert sorted(got["ids"]) == sorted(state.chunks)
        assert any(NEW_SALARY in state.chunks[i].text for i in got["ids"])
        assert not any(OLD_SALARY in state.chunks[i].text for i in got["ids"])
    finally:
        close(store)


@pytest.mark.slow
def test_sigkill_during_ingest_never_leaves_a_mixed_or_broken_index(tmp_path: Path, real_embedder: Any) -> None:
    old_knowledge = tmp_path / "old"
    old_knowledge.mkdir()
    copy_guides(old_knowledge, "seed", "data-scientist.md")
    new_knowledge = tmp_path / "new"
    new_knowledge.mkdir()
    copy_guides(new_knowledge, "seed", "data-scientist.md", "registered-nurse.txt", "web-developer.html")
    seed = new_knowledge / SEED.name
    seed.write_text(seed.read_text().replace(OLD_SALARY, NEW_SALARY))

    pristine = tmp_path / "pristine"
    store = Store(pristine)
    assert ingest(old_knowledge, store, real_embedder, max_bytes=MAX).version == 1
    close(store)

    def fresh_copy(name: str) -> Path:
        index = tmp_path / name
        shutil.copytree(pristine, index)
        return index

    def kill_at(label: str, make_trigger: Callable[[Path], Callable[[float], bool]]) -> None:
        n = len(outcomes)
        index = fresh_copy(f"kill-{n}")
        command = ingest_command(new_knowledge, index, "--json")
        killed, elapsed = run_until(command, make_trigger(index), tmp_path / f"log-{n}")
        state = check_after_kill(index)
        outcomes.append((label, killed, round(elapsed, 2), state))
        reingest_and_check(new_knowledge, index, real_embedder)

    def wal_written(index: Path) -> Callable[[float], bool]:
        wal = index / f"{RECORD_FILE}-wal"
        return lambda _: wal.is_file() and wal.stat().st_size > 0

    outcomes: list[tuple[str, bool, float, str]] = []
    # Sentence vectors are the first write; the Chroma rows and the switch follow.
    kill_at("first record write", wal_written)
    # Just after the switch, before the old rows are deleted and leftovers swept.
    kill_at("right after the switch", lambda index: lambda _: record_version(index) == 2)

    # An unkilled (and by now warm) run sets the time scale for the kills after delays.
    baseline_index = fresh_copy("baseline")
    command = ingest_command(new_knowledge, baseline_index, "--json")
    killed, total = run_until(command, lambda _: False, tmp_path / "baseline.log")
    assert not killed
    assert check_after_kill(baseline_index) == "new"
    for fraction in DELAY_FRACTIONS:
        kill_at(f"{fraction:.0%} of {total:.1f}s", lambda _index, d=fraction * total: lambda elapsed: elapsed >= d)

    print("\nkill points:", outcomes)
    assert sum(killed for _, killed, _, _ in outcomes) >= 5, outcomes
    assert {state for *_, state in outcomes} == {"old", "new"}, outcomes
