"""Follow-up questions: fold the earlier role or question into a question that stands on its own."""

from __future__ import annotations

import pytest

from chatbot.conversation import mentioned_role, rewrite

ML = "Machine Learning Engineer"
ROLES = [ML, "Data Scientist", "Registered Nurse"]
HOW_LONG = [
    {"role": "user", "content": "How long does it take to become a machine learning engineer?"},
    {"role": "assistant", "content": "About four years for a degree, then one to two years of experience."},
]


@pytest.mark.parametrize(
    "follow_up",
    ["And what does it pay?", "What about the salary?", "How long will that take?", "Is it a good career?", "pay?"],
)
def test_a_follow_up_gets_the_role_from_history(follow_up: str) -> None:
    assert rewrite(follow_up, HOW_LONG, ROLES) == f"{follow_up} ({ML})"


def test_the_role_can_come_from_the_assistant_turn() -> None:
    history = [
        {"role": "user", "content": "Which career should I look at?"},
        {"role": "assistant", "content": "Registered Nurses are in demand."},
    ]
    assert rewrite("What does it pay?", history, ROLES) == "What does it pay? (Registered Nurse)"


def test_the_latest_role_wins() -> None:
    history = [
        *HOW_LONG,
        {"role": "user", "content": "And what about data scientists?"},
        {"role": "assistant", "content": "They analyse data."},
    ]
    assert rewrite("What do they earn?", history, ROLES) == "What do they earn? (Data Scientist)"


@pytest.mark.parametrize(
    "question",
    [
        "What is the salary of a data scientist?",
        "How long does it take to become a Machine Learning Engineer?",
        "Do ML engineers need a master's degree?",
    ],
)
def test_a_question_naming_a_role_stands_alone(question: str) -> None:
    assert rewrite(question, HOW_LONG, ROLES) == question


def test_without_a_role_in_history_a_short_follow_up_gets_the_earlier_question() -> None:
    history = [
        {"role": "user", "content": "What degree do I need?"},
        {"role": "assistant", "content": "A bachelor's degree."},
    ]
    assert rewrite("How long?", history, ROLES) == "How long? (What degree do I need?)"
    assert rewrite("And is that enough?", history, ROLES) == "And is that enough? (What degree do I need?)"


def test_without_a_role_in_history_a_long_new_question_stands_alone() -> None:
    history = [{"role": "user", "content": "Hello there"}, {"role": "assistant", "content": "Hi!"}]
    question = "Which programming languages do employers want most nowadays?"
    assert rewrite(question, history, ROLES) == question


@pytest.mark.parametrize("history", [[], [{"role": "user", "content": ""}], [{"role": "assistant"}]])
def test_empty_history_leaves_the_question_alone(history: list[dict[str, str]]) -> None:
    assert rewrite("And what does it pay?", history, ROLES) == "And what does it pay?"


def test_the_question_is_normalized() -> None:
    assert rewrite("  What\u2019s the pay\u00a0range?\x00 ", [], ROLES) == "What's the pay range?"


def test_no_roles_known() -> None:
    assert rewrite("And what does it pay?", HOW_LONG, []) == (
        "And what does it pay? (How long does it take to become a machine learning engineer?)"
    )


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("How much do ML engineers earn?", ML),
        ("how much do ml engineers earn", ML),
        ("I want to be a machine learning engineer", ML),
        ("Machine Learning Engineers work with data", ML),
        ("Is MLE a good job?", ML),
        ("what do registered nurses do", "Registered Nurse"),
        ("Data scientists and statistics", "Data Scientist"),
        ("What does an engineer earn?", ML),  # the only role whose name ends in "engineer"
        ("What is the job outlook for nurses?", "Registered Nurse"),
        ("learning to code", None),
        ("", None),
    ],
)
def test_mentioned_role(text: str, role: str | None) -> None:
    assert mentioned_role(text, ROLES) == role


def test_a_shared_head_noun_names_no_role_and_strict_mode_needs_the_name() -> None:
    assert mentioned_role("What does an engineer earn?", [ML, "Software Engineer"]) is None
    assert mentioned_role("What does an engineer earn?", ROLES, by_head_noun=False) is None
    assert mentioned_role("What does a machine learning engineer earn?", ROLES, by_head_noun=False) == ML
