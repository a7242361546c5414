"""The gate: refuse weak evidence, refuse jobs no guide covers, and answer a role only from its own guide."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import DATA, ROOT

from chatbot.chain import ask, build_chain
from chatbot.evaluation import numbers
from chatbot.gate import MIN_EVIDENCE, suggestions
from chatbot.question import TOPIC_RULES, topic_of
from chatbot.retrieval import Index

pytest_plugins = ["fixtures_index"]

DEV = [json.loads(line) for line in (ROOT / "eval" / "dev.jsonl").read_text().splitlines() if line.strip()]


def test_suggestions_are_distinct_and_limited() -> None:
    assert suggestions(["A", "B", "A", "C", "D"]) == ["A", "B", "C"]
    assert suggestions(["A", "A"], limit=3) == ["A"]
    assert suggestions([]) == []


# Each question names one fixture role: its answer must hold that guide's facts and no other guide's.
ROLE_QUESTIONS = [
    ("How long does it take to become a Registered Nurse?", [], "registered-nurse.txt", "two years"),
    ("How long does it take to become a Data Scientist?", [], "data-scientist.md", "two to three years"),
    ("What is the salary of a Web Developer?", [], "web-developer.html", "$78,580"),
    ("What is the salary of a Data Scientist?", [], "data-scientist.md", "$103,500"),
    ("What does a registered nurse earn?", [], "registered-nurse.txt", "$86,070"),
    ("What does a web developer do?", [], "web-developer.html", "websites"),
    (
        "And what does it pay?",
        [
            {"role": "user", "content": "What does a registered nurse do?"},
            {"role": "assistant", "content": "Registered Nurses provide patient care."},
        ],
        "registered-nurse.txt",
        "$86,070",
    ),
]


@pytest.mark.parametrize(("question", "history", "guide", "fact"), ROLE_QUESTIONS)
def test_a_question_about_one_role_uses_only_that_roles_guide(
    roles_index: Index, question: str, history: list[dict[str, str]], guide: str, fact: str
) -> None:
    answer = ask(build_chain(roles_index), question, history)
    assert not answer.refused, answer
    assert fact in answer.text
    assert {s.source for s in answer.sources} == {guide}
    own = (DATA / guide).read_text()
    assert numbers(answer.text) <= numbers(own), answer.text
    for other in {"Data Scientist", "Registered Nurse", "Web Developer"} - {
        answer.sources[0].guide.split(" Career")[0]
    }:
        assert other not in answer.text


def test_a_question_naming_no_role_may_draw_on_any_guide(roles_index: Index) -> None:
    answer = ask(build_chain(roles_index), "What is the salary?")
    assert not answer.refused
    assert len({s.source for s in answer.sources} | {r.source for r in answer.retrieved}) >= 2


# --- the relevance threshold, with the real model ---------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["What is the weather like in London today?", "Tell me a joke.", "What is the capital of France?", "asdf qwer"],
)
def test_off_topic_evidence_is_below_the_threshold(seed_chain: Any, question: str) -> None:
    answer = ask(seed_chain, question)
    assert answer.refused and answer.reason == "not_covered"
    assert answer.timings["evidence"] < MIN_EVIDENCE


def test_in_scope_dev_questions_clear_the_threshold(seed_chain: Any) -> None:
    for case in DEV:
        if case["expect_refusal"]:
            continue
        answer = ask(seed_chain, case["question"], case.get("history") or [])
        topic = topic_of(case["question"])
        # Or the best section's heading names the topic asked (d08 "how fast is the field growing?": outlook).
        topical = topic is not None and TOPIC_RULES[topic].find(answer.retrieved[0].section)
        assert answer.timings["evidence"] >= MIN_EVIDENCE or topical, case["id"]
        assert not answer.refused, case["id"]


@pytest.mark.parametrize("question", ["How do I become a dentist?", "Is becoming a dentist a good career path?"])
def test_a_foreign_role_is_refused_whatever_the_evidence(seed_chain: Any, question: str) -> None:
    answer = ask(seed_chain, question)  # the wording matches the seed guide's headings well
    assert answer.refused and answer.reason == "no_guide" and answer.matched == "Dentist"
    assert answer.sources == []
