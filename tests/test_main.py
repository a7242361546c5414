"""python -m chatbot ask "QUESTION" / guides [--index DIR] [--json], as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from index_helpers import build_index, close, run_parallel

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


CATALOG_GUIDES = ("seed", "devops-engineer-numbered.md", "ml-engineer-career-path.md")


@pytest.fixture(scope="module")
def catalog_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Path:
    """A real-model, real-Chroma index of guides whose roles must be inferred."""
    base = tmp_path_factory.mktemp("catalog")
    (base / "knowledge").mkdir()
    close(build_index(base / "knowledge", base / "index", real_embedder, *CATALOG_GUIDES))
    return base / "index"


@pytest.fixture(scope="module")
def catalog_runs(catalog_index: Path) -> dict[str, Any]:
    """The catalog index's guides listed and asked about."""
    index, base = str(catalog_index), catalog_index.parent
    return run_parallel({
        "json": ["-m", "chatbot", "guides", "--index", index, "--json"],
        "text": ["-m", "chatbot", "guides", "--index", index],
        "devops": ["-m", "chatbot", "ask", "How do I get into devops?", "--index", index, "--json"],
        "alias": ["-m", "chatbot", "ask", "How do you become a platform engineer?", "--index", index, "--json"],
        "missing": ["-m", "chatbot", "guides", "--index", str(base / "nothing")],
    })


@pytest.mark.slow
def test_guides_json_lists_roles_inferred_by_the_catalog(catalog_runs: dict[str, Any]) -> None:
    guides = {g["source"]: g for g in json.loads(ok(catalog_runs["json"]))["guides"]}
    assert set(guides) == {"machine-learning-engineer.md", "devops-engineer-numbered.md", "ml-engineer-career-path.md"}
    assert guides["devops-engineer-numbered.md"]["role"] == "DevOps Engineer"
    assert guides["devops-engineer-numbered.md"]["title"] == "6. DevOps Engineer"
    assert guides["devops-engineer-numbered.md"]["aliases"] == ["Platform Engineer", "devops"]
    # Two guides for one role share the role.
    assert guides["ml-engineer-career-path.md"]["role"] == guides["machine-learning-engineer.md"]["role"]
    seed = guides["machine-learning-engineer.md"]
    assert seed["role"] == "Machine Learning Engineer" and seed["last_reviewed"] == "2026-11-23"
    assert seed["sections"] > 0 and seed["chunks"] >= seed["sections"] and seed["dropped"] == 0
    assert set(seed) == {"source", "title", "role", "aliases", "sections", "chunks", "dropped", "last_reviewed"}


@pytest.mark.slow
def test_guides_text_is_one_line_per_guide(catalog_runs: dict[str, Any]) -> None:
    lines = ok(catalog_runs["text"]).splitlines()
    assert lines[0].split() == ["source", "role", "title", "aliases", "sections", "chunks", "dropped", "last_reviewed"]
    assert len(lines) == 4 and any(line.startswith("devops-engineer-numbered.md") and "DevOps Engineer" in line
                                   for line in lines)


@pytest.mark.slow
def test_a_short_name_from_the_lexicon_reaches_the_guide(catalog_runs: dict[str, Any]) -> None:
    result = json.loads(ok(catalog_runs["devops"]))
    assert result["refused"] is False, result
    assert {s["source"] for s in result["sources"]} == {"devops-engineer-numbered.md"}


@pytest.mark.slow
def test_a_front_matter_alias_reaches_the_guide(catalog_runs: dict[str, Any]) -> None:
    result = json.loads(ok(catalog_runs["alias"]))
    assert result["refused"] is False, result
    assert {s["source"] for s in result["sources"]} == {"devops-engineer-numbered.md"}
    assert "system administration" in result["text"]


@pytest.mark.slow
def test_guides_without_an_index_exits_1(catalog_runs: dict[str, Any]) -> None:
    run = catalog_runs["missing"]
    assert run.returncode == 1 and "error: there is no index at" in run.stderr and "Traceback" not in run.stderr


@pytest.fixture(scope="module")
def card_runs(seed_index: Path, catalog_index: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """python -m chatbot snapshot / compare on the bundled guide and on the catalog's roles, side by side."""
    seed, catalog = str(seed_index), str(catalog_index)
    return run_parallel({
        "json": ["-m", "chatbot", "snapshot", "Machine Learning Engineer", "--index", seed, "--json"],
        "text": ["-m", "chatbot", "snapshot", "ml engineer", "--index", seed],
        "unknown": ["-m", "chatbot", "snapshot", "Dentist", "--index", seed],
        "compare": ["-m", "chatbot", "compare", "Machine Learning Engineer", "devops", "--index", catalog],
        "compare_json": ["-m", "chatbot", "compare", "Machine Learning Engineer", "DevOps Engineer", "--index",
                         catalog, "--json"],
    })


@pytest.mark.slow
def test_snapshot_json_holds_the_bundled_guides_figures_with_their_sections(
    card_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    card = json.loads(ok(card_runs["json"]))
    facts = card["facts"]
    outlook = "What is the job outlook for a Machine Learning Engineer?"
    expected = {"annual_pay": "$112,430", "hourly_pay": "$54.05", "growth": "9.7%", "period": "2022 to 2032",
                "openings": "33,500", "time_to_get_in": "about four years"}
    for name, figure in expected.items():
        assert figure in facts[name]["value"] and facts[name]["value"] in facts[name]["text"], name
        assert set(facts[name]) == {"value", "text", "source", "section", "as_of"}
        assert facts[name]["source"] == "machine-learning-engineer.md"
        assert facts[name]["section"] == (outlook if name != "time_to_get_in" else
                                          "How long does it take to become a Machine Learning Engineer?")
    assert "each year" in facts["openings"]["text"]
    assert facts["growth"]["as_of"] == "2022 to 2032" and facts["openings"]["as_of"] == "2026-11-23"
    assert facts["entry_pay"] is None and card["missing"] == ["entry_pay"]
    assert [p["value"] for p in facts["pros"]][:1] == ["High demand for skilled professionals."]
    assert (card["timeline"][0]["step"], card["timeline"][0]["value"]) == ("degree", "about four years")


@pytest.mark.slow
def test_snapshot_text_names_each_fact_or_says_it_is_missing(
    card_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    lines = ok(card_runs["text"]).splitlines()
    assert lines[0] == "Machine Learning Engineer (machine-learning-engineer.md)"
    assert "  entry pay: not in the guide" in lines
    assert any(line.startswith("  annual pay: $112,430  (machine-learning-engineer.md > What is the job outlook")
               and line.endswith("; BLS reports)") for line in lines)
    assert "  path: degree: about four years" in lines


@pytest.mark.slow
def test_snapshot_of_a_role_without_a_guide_exits_1_listing_the_roles(
    card_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    run = card_runs["unknown"]
    assert run.returncode == 1 and run.stdout == "" and "Traceback" not in run.stderr
    assert "'Dentist'" in run.stderr and "there are guides for: Machine Learning Engineer" in run.stderr


@pytest.mark.slow
def test_compare_prints_one_cited_table_of_both_roles(card_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    table, _, sources = ok(card_runs["compare"]).partition("\n\nSources:\n")
    lines = table.splitlines()
    assert lines[0] == "| fact | Machine Learning Engineer | DevOps Engineer |"
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[1:] for line in lines[2:]}
    assert "$112,430" in rows["annual pay"][0] and rows["annual pay"][1] == "not in the guide |"
    assert "near 55,000" in rows["entry pay"][1]  # "Juniors ... start near 55,000 a year", as the guide says it
    assert "two to three years" in rows["time to get in"][1]
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", table)}
    listed = re.findall(r"^  \[(\d+)\] .+ > .+ \((.+)\)$", sources, re.M)
    assert {int(n) for n, _ in listed} == cited == set(range(1, len(cited) + 1))
    assert {s for _, s in listed} >= {"machine-learning-engineer.md", "devops-engineer-numbered.md"}


@pytest.mark.slow
def test_compare_json_has_the_cards_the_table_and_its_sources(
    card_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    result = json.loads(ok(card_runs["compare_json"]))
    assert [c["role"] for c in result["cards"]] == ["Machine Learning Engineer", "DevOps Engineer"]
    assert result["cards"][1]["facts"]["annual_pay"] is None
    assert result["table"].startswith("| fact | Machine Learning Engineer | DevOps Engineer |")
    assert [s["n"] for s in result["sources"]] == list(range(1, len(result["sources"]) + 1))


@pytest.mark.parametrize("roles", [["Baker"], ["A", "B", "C", "D", "E"]])
def test_compare_takes_two_to_four_roles(roles: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from chatbot.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["compare", *roles])
    assert exit_.value.code == 2 and "give two to four roles" in capsys.readouterr().err
