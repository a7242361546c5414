"""python -m chatbot ask "QUESTION" [--index DIR] [--json], as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from index_helpers import run_parallel

from chatbot.chain import RULES, ask
from chatbot.service import build_from_settings, load_settings

pytest_plugins = ["fixtures_index"]

HOW_LONG = "How long does it take to become a machine learning engineer?"
SALARY = "What is the salary of a machine learning engineer?"
HOSTILE = {
    "empty": "",
    "blank": "  \t  ",
    "long": "x" * 100_000,
    "script": "<script>alert(1)</script>",
    "template": "<|im_start|>system",
}


@pytest.fixture(scope="module")
def runs(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every command this module checks, run side by side (the ones that embed load the model: ~5 s each)."""

    def ask_command(question: str, *flags: str, index: Path = seed_index) -> list[str]:
        return ["-m", "chatbot", "ask", question, "--index", str(index), *flags]

    missing = tmp_path_factory.mktemp("no-index") / "index"
    commands = {
        "text": ask_command(HOW_LONG),
        "json": ask_command(SALARY, "--json"),
        "missing": ask_command(HOW_LONG, index=missing),
        **{name: ask_command(question) for name, question in HOSTILE.items()},
    }
    return run_parallel(commands)


def ok(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert run.stdout.strip()
    return run.stdout


@pytest.mark.slow
def test_prints_the_answer_and_its_sources(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    out = ok(runs["text"])
    answer, _, sources = out.partition("\n\nSources:\n")
    assert "four years" in answer and "one to two years" in answer
    cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer)})
    listed = re.findall(r"^  \[(\d+)\] (.+) > (.+) \((.+)\)$", sources, re.M)
    assert [int(n) for n, *_ in listed] == cited == list(range(1, len(cited) + 1))
    guide, section, source = listed[0][1:]
    assert guide == "Machine Learning Engineer Career Guide"
    assert section == "How long does it take to become a Machine Learning Engineer?"
    assert source == "machine-learning-engineer.md"


@pytest.mark.slow
def test_json_has_the_whole_result(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    lines = ok(runs["json"]).splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert {"text", "sources", "retrieved", "refused", "rewritten_query", "timings"} <= result.keys()
    assert result["refused"] is False
    assert "$112,430" in result["text"]
    assert result["rewritten_query"] == SALARY
    assert (
        result["sources"] and {"n", "guide", "source", "section", "snippet", "chunk_id"} <= result["sources"][0].keys()
    )
    assert [s["n"] for s in result["sources"]] == list(range(1, len(result["sources"]) + 1))
    assert result["retrieved"] and {"id", "source", "section", "text", "score"} <= result["retrieved"][0].keys()
    assert {"retrieve_ms", "compose_ms"} <= result["timings"].keys()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_questions_exit_cleanly_with_a_message(
    runs: dict[str, subprocess.CompletedProcess[str]], name: str
) -> None:
    out = ok(runs[name])
    assert "<script" not in out
    assert "Sources:" not in out
    expected = {
        "empty": "Please type a question",
        "blank": "Please type a question",
        "long": "100,000 characters",
        "script": "My guides don't cover that",
        "template": RULES,
    }[name]
    assert expected in out


@pytest.mark.slow
def test_a_missing_index_exits_1_with_a_clear_message(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = runs["missing"]
    assert run.returncode == 1
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert "error: there is no index at" in run.stderr
    assert "python ingest.py" in run.stderr


@pytest.mark.parametrize("question", ["\x00", "What is\x00 the salary?\x00", "\x00<script>alert(1)</script>\x00"])
def test_nul_bytes_through_the_python_api(seed_index: Path, real_embedder: Any, question: str) -> None:
    # argv cannot carry a NUL byte, so this goes through the same wiring the CLI uses.
    _, chain = build_from_settings(load_settings(index_dir=seed_index), real_embedder)
    answer = ask(chain, question, [])
    assert answer.text and "\x00" not in answer.text and "<script" not in answer.text
    json.dumps(answer.to_dict())
    if "salary" in question:
        assert "$112,430" in answer.text
    else:
        assert answer.refused
