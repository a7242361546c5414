"""ingest.py as a user runs it: flags, exit codes, and one JSON object on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import ROOT, copy_guides

from chatbot.store import Store

REPORT_KEYS = {"guides", "added", "updated", "removed", "unchanged", "embedded", "seconds", "errors"}


def cli_env() -> dict[str, str]:
    """The test's environment without any CAREERBOT_* setting, offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERBOT_")}
    env.update(HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", PYTHONUNBUFFERED="1")
    return env


def ingest_command(knowledge: Path, index: Path, *flags: str) -> list[str]:
    return [sys.executable, str(ROOT / "ingest.py"), "--knowledge", str(knowledge), "--index", str(index), *flags]


def run_ingest(knowledge: Path, index: Path, *flags: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ingest_command(knowledge, index, *flags),
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def json_report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON object ingest.py --json printed; nothing else may be on stdout."""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    report = json.loads(lines[0])
    assert isinstance(report, dict)
    return report


def index_contents(index: Path) -> tuple[int, dict[str, str], dict[str, str]]:
    """(record version, record id -> text, Chroma id -> its record text) for an index folder.

    Chroma keeps ids and vectors only; an id covers the chunk's whole content, so equal ids are equal texts."""
    store = Store(index)
    try:
        state = store.record.state()
        chroma: dict[str, str] = {}
        if state.collection:
            got = store.collection(state.collection).get(include=[])
            chroma = {i: state.chunks[i].text if i in state.chunks else "(not in the record)" for i in got["ids"]}
        return state.version, {i: c.text for i, c in state.chunks.items()}, chroma
    finally:
        store.reopen()
        store.record.close()


def test_json_run_prints_one_report_and_a_rerun_embeds_nothing(knowledge: Path, tmp_path: Path) -> None:
    copy_guides(knowledge, "data-scientist.md", "registered-nurse.txt")
    index = tmp_path / "index"
    first = run_ingest(knowledge, index, "--json")
    assert first.returncode == 0, first.stderr
    report = json_report(first)
    assert set(report) >= REPORT_KEYS
    assert report["guides"] == 2 and report["errors"] == []
    assert report["added"] == report["chunks"] > 0 and report["embedded"] == report["chunks"]
    assert report["updated"] == report["removed"] == report["unchanged"] == 0
    assert isinstance(report["seconds"], float) and report["seconds"] > 0
    version, record, chroma = index_contents(index)
    assert version == 1 and len(record) == report["chunks"]
    assert chroma == record
    assert any("$86,070" in text for text in record.values())

    again = run_ingest(knowledge, index, "--json")
    assert again.returncode == 0, again.stderr
    report = json_report(again)
    assert report["embedded"] == 0 and report["unchanged"] == len(record)
    assert report["added"] == report["updated"] == report["removed"] == 0

    human = run_ingest(knowledge, index)
    assert human.returncode == 0, human.stderr
    assert "2 guide(s)" in human.stdout and "computed: 0" in human.stdout

    # A dry run of an edit reports the change and writes nothing.
    guide = knowledge / "data-scientist.md"
    guide.write_text(guide.read_text().replace("$103,500", "$109,900"))
    dry = run_ingest(knowledge, index, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    report = json_report(dry)
    assert report["dry_run"] is True
    assert report["updated"] == 1 and report["embedded"] == 1
    assert index_contents(index) == (version, record, chroma)


def test_exit_1_when_a_guide_fails_and_the_others_are_ingested(knowledge: Path, tmp_path: Path) -> None:
    copy_guides(knowledge, "data-scientist.md")
    (knowledge / "broken.md").write_bytes(b"")
    index = tmp_path / "index"
    result = run_ingest(knowledge, index, "--json")
    assert result.returncode == 1, result.stderr
    report = json_report(result)
    assert report["guides"] == 2
    assert report["errors"] == [{"source": "broken.md", "reason": "the file is empty"}]
    assert report["added"] > 0
    version, record, chroma = index_contents(index)
    assert version == 1 and record and chroma == record
    assert any("$103,500" in text for text in record.values())

    human = run_ingest(knowledge, index)
    assert human.returncode == 1
    assert "Skipped broken.md: the file is empty" in human.stdout


def test_exit_2_on_an_unknown_flag(knowledge: Path, tmp_path: Path) -> None:
    result = run_ingest(knowledge, tmp_path / "index", "--bogus", timeout=60)
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "index").exists()


def test_exit_2_on_a_missing_knowledge_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    result = run_ingest(missing, tmp_path / "index", "--json", timeout=60)
    assert result.returncode == 2
    assert str(missing) in result.stderr and "does not exist" in result.stderr
    assert not (tmp_path / "index").exists()


def test_dry_run_on_a_fresh_index_writes_nothing(knowledge: Path, tmp_path: Path) -> None:
    copy_guides(knowledge, "data-scientist.md", "web-developer.html")
    index = tmp_path / "index"
    result = run_ingest(knowledge, index, "--dry-run", "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    report = json_report(result)
    assert set(report) >= REPORT_KEYS
    assert report["dry_run"] is True and report["version"] == 0
    assert report["guides"] == 2 and report["added"] == report["embedded"] > 0
    assert not Store(index).exists()
    assert not (index / "chroma").exists()
    summary = run_ingest(knowledge, index, "--dry-run", timeout=120)
    assert summary.returncode == 0
    assert "nothing was written" in summary.stdout
    assert not Store(index).exists()
