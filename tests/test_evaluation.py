"""Scoring a question set (eval/FORMAT.md): matching rules, measures, and the real run on eval/dev.jsonl."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from index_helpers import run_parallel

from chatbot.answer import Answer, Retrieved
from chatbot.errors import CareerBotError
from chatbot.eval import main as eval_main
from chatbot.evaluation import Case, contains, evaluate, fold, load_cases, numbers, score_case, summarize, table

pytest_plugins = ["fixtures_index"]

DEV = ROOT / "eval" / "dev.jsonl"
SUMMARY_KEYS = {
    "n",
    "hit_at_1",
    "hit_at_k",
    "fact_recall",
    "all_facts",
    "refusal_accuracy",
    "forbidden_hits",
    "unsupported_numbers",
    "fallbacks",  # answers whose generated text failed the grounding check (0 for the extractive answerer)
    "latency_ms_p50",
    "latency_ms_p95",
    "cases",
}


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ("Python or R, and SQL", "R", True),
        ("Rust and Go", "R", False),
        ("learn R.", "r", True),
        ("4370 openings", "437", False),
        ("Currently 437 openings", "437", True),
        ("a salary of $112,430.", "112,430", True),
        ("a salary of $112,4305", "112,430", False),
        ("a 9.7% increase", "9.7%", True),
        ("a 19.7% increase", "9.7%", False),
        ("TensorFlow, Keras", "tensorflow", True),
        ("TENSORFLOW", "TensorFlow", True),
        ("a bachelor’s degree", "bachelor's degree", True),
        ("a bachelor's degree", "bachelor’s degree", True),
        ("“quoted”", '"quoted"', True),
        ("one–two years", "one-two years", True),
        ("1—2 years", "1-2 years", True),
        ("1-2 years", "1–2 years", True),
        ("machine learning", "machine learn", False),
        ("master's degree", "master", True),
        ("masters", "master", False),
        ("", "x", False),
    ],
)
def test_contains_follows_the_format_rules(text: str, phrase: str, expected: bool) -> None:
    assert contains(text, phrase) is expected


def test_fold() -> None:
    assert fold("‘A’ “B” – — C") == "'a' \"b\" - - c"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The BLS reports $112,430 and $54.05 per hour [1]", {"112,430", "54.05"}),
        ("a 9.7% increase from 2022 to 2032. [2][3]", {"9.7", "2022", "2032"}),
        ("about four years", set()),
        ("4 years, then 1-2 more [12]", {"4", "1", "2"}),
        ("Currently 437 openings.", {"437"}),
    ],
)
def test_numbers_without_citation_markers(text: str, expected: set[str]) -> None:
    assert numbers(text) == expected


def retrieved(*texts: str) -> list[Retrieved]:
    return [Retrieved(f"id{i}", "guide.md", "Section", t, 0.03, 0.5, 1.0) for i, t in enumerate(texts)]


def case(**fields: Any) -> Case:
    base: dict[str, Any] = {
        "id": "c",
        "question": "q",
        "history": [],
        "expect_context": [],
        "expect_facts": [],
        "forbid": [],
        "expect_refusal": False,
    }
    return Case(**{**base, **fields})


def test_score_case() -> None:
    answer = Answer(
        question="What is the salary in 2024?",
        text="It pays $112,430 [1], or $99,999 in 2024; a great job [2].",
        retrieved=retrieved("Outlook is good.", "The salary is $112,430."),
        read=retrieved("Outlook is good.", "The salary is $112,430."),
        rewritten_query="What is the salary in 2024?",
    )
    scored = score_case(
        case(
            question="What is the salary in 2024?",
            expect_context=["112,430"],
            expect_facts=[["112,430"], ["four years", "4 years"]],
            forbid=["great job", "terrible"],
        ),
        answer,
        0.0123,
    )
    assert scored["hit_at_1"] is False and scored["hit_at_k"] is True and scored["k"] == 2
    assert (scored["facts_matched"], scored["facts_total"]) == (1, 2)
    assert scored["forbidden"] == ["great job"]
    assert scored["unsupported_numbers"] == ["99,999"]  # 2024 is in the question, [1] and [2] are citations
    assert scored["refusal_correct"] is True
    assert scored["latency_ms"] == 12.3


def test_numbers_are_grounded_on_exactly_what_the_answer_read() -> None:
    top_k = retrieved("Outlook is good.", "Entry pay is $80,000.")
    continuation = retrieved("Currently 437 job openings, nationwide.")
    answer = Answer(question="How many openings?", text="Currently 437 job openings [1]. Entry pay is $80,000 [2].",
                    retrieved=top_k, read=[top_k[0], *continuation])
    # 437 was read (a section's next chunk, outside the top k); $80,000 was retrieved but never read.
    assert score_case(case(question=answer.question), answer, 0.0)["unsupported_numbers"] == ["80,000"]


def test_a_refusal_may_quote_the_headings_it_offers() -> None:
    answer = Answer(question="dentist?", text="My guides don't cover that.\n\n- Top 5 skills", refused=True,
                    suggestions=["Top 5 skills"])
    assert score_case(case(question="dentist?"), answer, 0.0)["unsupported_numbers"] == []
    answer.suggestions = []
    assert score_case(case(question="dentist?"), answer, 0.0)["unsupported_numbers"] == ["5"]


def test_score_case_without_expected_context_is_not_scored_for_retrieval() -> None:
    scored = score_case(case(expect_refusal=True), Answer(question="q", text="No.", refused=True), 0.001)
    assert scored["hit_at_1"] is None and scored["hit_at_k"] is None
    assert scored["refusal_correct"] is True


def scored_case(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "c",
        "question": "q",
        "answer": "a",
        "refused": False,
        "expect_refusal": False,
        "refusal_correct": True,
        "hit_at_1": True,
        "hit_at_k": True,
        "k": 4,
        "facts_matched": 1,
        "facts_total": 1,
        "forbidden": [],
        "unsupported_numbers": [],
        "latency_ms": 10.0,
        "rewritten_query": "q",
        "sources": [],
    }
    return {**base, **fields}


def test_summarize_hand_made_cases() -> None:
    cases = [
        scored_case(latency_ms=10.0),
        scored_case(hit_at_1=False, facts_matched=1, facts_total=2, latency_ms=30.0, unsupported_numbers=["7"]),
        scored_case(hit_at_1=False, hit_at_k=False, facts_matched=0, facts_total=3, latency_ms=20.0),
        scored_case(
            hit_at_1=None,
            hit_at_k=None,
            facts_total=0,
            facts_matched=0,
            refused=True,
            expect_refusal=False,
            refusal_correct=False,
            forbidden=["x", "y"],
            latency_ms=40.0,
        ),
    ]
    result = summarize(cases)
    assert result["n"] == 4
    assert result["hit_at_1"] == pytest.approx(1 / 3, abs=1e-4)  # over the three cases with expected context
    assert result["hit_at_k"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["fact_recall"] == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-4)  # over cases with facts
    assert result["all_facts"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["refusal_accuracy"] == 0.75
    assert result["forbidden_hits"] == 2
    assert result["unsupported_numbers"] == 1
    assert result["latency_ms_p50"] == 25.0
    assert result["latency_ms_p95"] == 40.0
    assert result["cases"] == cases
    assert set(result) == SUMMARY_KEYS


def test_summarize_nothing() -> None:
    result = summarize([])
    assert result["n"] == 0 and result["hit_at_1"] == 0.0 and result["latency_ms_p95"] == 0.0


def test_p95_of_twenty_cases_is_the_nineteenth() -> None:
    result = summarize([scored_case(latency_ms=float(ms)) for ms in range(1, 21)])
    assert result["latency_ms_p95"] == 19.0 and result["latency_ms_p50"] == 10.5


def test_evaluate_asks_every_case_with_its_history() -> None:
    seen: list[tuple[str, list[dict[str, str]]]] = []

    def answer(question: str, history: list[dict[str, str]]) -> Answer:
        seen.append((question, history))
        return Answer(question=question, text="About four years [1].", retrieved=retrieved("about four years"),
                      read=retrieved("about four years"))

    history = [{"role": "user", "content": "earlier"}]
    result = evaluate(
        [
            case(
                id="a",
                question="How long?",
                history=history,
                expect_context=["four years"],
                expect_facts=[["four years"]],
            )
        ],
        answer,
    )
    assert seen == [("How long?", history)]
    assert result["hit_at_1"] == 1.0 and result["all_facts"] == 1.0 and result["unsupported_numbers"] == 0


def test_load_cases_reads_the_dev_set() -> None:
    cases = load_cases(DEV)
    assert len(cases) == 20 and len({c.id for c in cases}) == 20
    d12 = next(c for c in cases if c.id == "d12")
    assert d12.history[0]["role"] == "user" and d12.expect_facts == [["112,430"]]
    assert sum(c.expect_refusal for c in cases) == 4


def test_a_malformed_line_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "question": "q"}\n\n{"question": "no id"}\n')
    with pytest.raises(CareerBotError, match=r"bad\.jsonl:3:"):
        load_cases(path)
    path.write_text('{"id": "a", "question": "q"}\nnot json\n')
    with pytest.raises(CareerBotError, match=r"bad\.jsonl:2:"):
        load_cases(path)


def test_table_lists_cases_and_scores() -> None:
    result = summarize([scored_case(id="z1", question="What is it?"), scored_case(id="z2", facts_matched=0)])
    lines = table(result).splitlines()
    assert lines[0].split()[:3] == ["id", "ok", "hit@1"]
    assert lines[1].startswith("z1") and "✓" in lines[1] and "What is it?" in lines[1]
    assert lines[2].startswith("z2") and "✗" in lines[2]
    assert any(line.split() == ["all_facts", "0.5"] for line in lines)
    assert not any(line.startswith("cases") for line in lines)


def test_the_eval_command_reports_a_missing_question_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert eval_main([str(tmp_path / "nope.jsonl")]) == 2
    assert "no such question set" in capsys.readouterr().err


def test_the_eval_command_reports_a_missing_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert eval_main([str(DEV), "--index", str(tmp_path / "none")]) == 1
    assert "no index" in capsys.readouterr().err


# --- the real evaluation: python -m chatbot.eval on a real-model index ---------------------------------


@pytest.fixture(scope="module")
def eval_json(seed_index: Path) -> subprocess.CompletedProcess[str]:
    return run_parallel({"json": ["-m", "chatbot.eval", str(DEV), "--index", str(seed_index), "--json"]})["json"]


@pytest.mark.slow
def test_the_dev_set_scores(eval_json: subprocess.CompletedProcess[str]) -> None:
    run = eval_json
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 1, run.stdout
    result = json.loads(lines[0])
    assert set(result) == SUMMARY_KEYS
    failing = [c for c in result["cases"] if c["facts_matched"] < c["facts_total"] or not c["refusal_correct"]]
    assert result["n"] == 20
    assert result["hit_at_1"] >= 0.95, failing
    assert result["hit_at_k"] == 1.0
    assert result["all_facts"] >= 0.95, failing
    assert result["fact_recall"] >= 0.95
    assert result["refusal_accuracy"] == 1.0, failing
    assert result["unsupported_numbers"] == 0
    assert result["forbidden_hits"] == 0
    assert 0 < result["latency_ms_p50"] <= result["latency_ms_p95"]
    for scored in result["cases"]:
        assert scored["refused"] == scored["expect_refusal"], scored["id"]
        assert bool(scored["sources"]) != scored["refused"], scored["id"]


def test_the_dev_set_table(seed_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The same command without --json, run in this process (one model load less than a subprocess).
    assert eval_main([str(DEV), "--index", str(seed_index)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["id", "ok", "hit@1", "facts"]
    rows = [line for line in lines if line[:1] == "d" and line[1:3].isdigit()]
    assert len(rows) == 20
    assert all(row.split()[1] == "✓" for row in rows), "\n".join(lines)
    summary = dict(line.split(maxsplit=1) for line in lines[len(rows) + 2 :] if line.strip())
    assert set(summary) == SUMMARY_KEYS - {"cases"}
    assert summary["refusal_accuracy"] == "1.0" and summary["unsupported_numbers"] == "0"
