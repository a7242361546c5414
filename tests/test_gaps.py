"""Refused and disliked questions grouped by meaning: counts, a representative, the nearest section, the reasons."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import DATA, ROOT
from index_helpers import cli_env

from chatbot.chain import ask
from chatbot.feedback import FeedbackStore, nearest_section
from chatbot.gaps import CSV_COLUMNS, SIMILAR, Gap, gaps, gaps_csv
from chatbot.question import Reason
from chatbot.roles import Roles

pytest_plugins = ["fixtures_index"]

ML = Roles(["Machine Learning Engineer"])
QUESTIONS = [json.loads(line) for line in (DATA / "gap-questions.jsonl").read_text().splitlines()]
# The topics the real MiniLM keeps apart at SIMILAR (the threshold's comment has the whole measurement).
DISTINCT = ("dentist", "visa", "interview", "pilot", "weather")


class Topics:
    """A stand-in embedder: a question's vector is the axis of the first topic word it contains."""

    name = "topics"
    axes = ("remote", "dentist", "pay", "pilot")

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), len(self.axes)), dtype=np.float32)
        for i, text in enumerate(texts):
            rows[i, next(n for n, a in enumerate(self.axes) if a in text.lower())] = 1.0
        return rows

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def _refuse(store: FeedbackStore, question: str, section: str = "ml.md > Job outlook") -> None:
    assert store.add_refusal(question, Reason.NOT_COVERED, "best evidence 0.10 < 0.20", section) > 0


def test_groups_count_name_the_nearest_section_and_the_reasons(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    for _ in range(3):
        _refuse(store, "Can I work remote?")
    _refuse(store, "Is remote work common?", section="ml.md > Pros")
    store.add("Are remote jobs common?", "It grows 9.7%. [1]", ["c1"], liked=False, reason="nothing on remote",
              section="ml.md > Pros")
    store.add("Remote?", "It grows 9.7%. [1]", ["c1"], liked=False)  # a thumbs down without a reason
    store.add_refusal("How do I become a dentist?", Reason.NO_GUIDE, "Dentist", "ml.md > How to become one")
    store.add("Pay?", "$112,430 [1]", ["c2"], liked=True)  # liked: no gap
    remote, dentist = gaps(store, Topics())
    assert (remote.count, remote.refused, remote.disliked) == (6, 4, 2)
    assert remote.question == "Can I work remote?", "all wordings are equally near: the one asked most stands"
    assert remote.section == "ml.md > Job outlook", "the section offered most often"
    assert remote.reasons == ("not_covered",) and remote.comments == ("nothing on remote",)
    assert remote.questions[0] == "Can I work remote?" and len(remote.questions) == 4
    assert (dentist.count, dentist.reasons, dentist.section) == (1, ("no_guide",), "ml.md > How to become one")
    assert remote.summary() == ('6 asked "Can I work remote?" and 3 like it: 4 refused (not_covered), 2 thumbs down; '
                                "nearest section: ml.md > Job outlook; said: nothing on remote")


def test_an_empty_store_has_no_gaps(tmp_path: Path) -> None:
    assert gaps(FeedbackStore(tmp_path / "feedback.sqlite3"), Topics()) == []


def test_the_roles_names_are_taken_out_before_embedding(tmp_path: Path) -> None:
    seen: list[str] = []

    class Recording(Topics):
        def embed(self, texts: list[str]) -> np.ndarray:
            seen.extend(texts)
            return super().embed(texts)

    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    _refuse(store, "Can ML engineers work remote?")
    _refuse(store, "Do pilots earn more than machine learning engineers? pay")
    gaps(store, Recording(), ML)
    assert seen == ["can work remote", "do pilots earn more than pay"]


def test_csv_round_trips(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    _refuse(store, 'Can I work remote, "fully"?', section="ml.md > Pros, cons")
    store.add("remote; part time?\nor not", "a", [], liked=False, reason='says "grows", not remote')
    _refuse(store, "How do I become a dentist?")
    found = gaps(store, Topics())
    rows = list(csv.DictReader(io.StringIO(gaps_csv(found))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    lists, counts = ("reasons", "comments", "questions"), ("count", "refused", "disliked")
    back = [Gap(**{c: int(r[c]) if c in counts else tuple(r[c].split("\n")) if c in lists and r[c] else
                   () if c in lists else r[c] for c in CSV_COLUMNS}) for r in rows]
    assert back == found
    assert found[0].questions == ('Can I work remote, "fully"?', "remote; part time? or not"), "one line each"


@pytest.mark.slow
def test_real_minilm_groups_similar_questions_and_keeps_others_apart(tmp_path: Path, real_embedder: Any) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    for row in QUESTIONS:
        _refuse(store, row["question"])
    found = gaps(store, real_embedder, ML)
    topic = {row["question"]: row["group"] for row in QUESTIONS}
    for name in DISTINCT:
        asked = {q for q, t in topic.items() if t == name}
        holding = [g for g in found if asked & set(g.questions)]
        assert len(holding) == 1 and set(holding[0].questions) == asked, (name, [g.questions for g in holding])
    together = [(topic[a] == topic[b]) for g in found for a, b in itertools.combinations(g.questions, 2)]
    precision = sum(together) / len(together)
    print(f"\n{len(found)} groups of {len(QUESTIONS)} questions (12 topics) at {SIMILAR}; precision {precision:.2f}")
    assert 10 <= len(found) <= 16 and precision >= 0.8, "as measured when SIMILAR was chosen: 13 groups, 0.86"


@pytest.mark.slow
def test_cli_reports_a_scripted_chat_of_refused_questions(seed_index: Path, seed_chain: Any,
                                                         tmp_path: Path) -> None:
    """Questions through the real chain, refusals and thumbs-downs kept, then `python -m chatbot gaps` as run."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    store = FeedbackStore(index / "feedback.sqlite3")
    refused = ["How do I become a dentist?", "What does it take to be a dentist?", "How do I become a dentist?",
               "What is the weather like in London today?", "Will it rain in London tomorrow?"]
    for question in refused:
        answer = ask(seed_chain, question, [])
        assert answer.refused and store.add_refused(answer) > 0, question
    for question in ["Can machine learning engineers work remotely?", "Is remote work common for ML engineers?"]:
        answer = ask(seed_chain, question, [])  # answered, badly: the guide says nothing on remote work
        assert not answer.refused, question
        store.add(question, answer.text, [s.chunk_id for s in answer.sources], liked=False,
                  reason="nothing about remote work", section=nearest_section(answer))
    runs = {flag: subprocess.run([sys.executable, "-m", "chatbot", "gaps", "--index", str(index), *flag.split()],
                                 capture_output=True, text=True, env=cli_env(), cwd=ROOT, timeout=240)
            for flag in ("", "--json", "--csv")}
    for run in runs.values():
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    print("\n" + runs[""].stdout)
    found = json.loads(runs["--json"].stdout)["gaps"]
    by_count = [(g["count"], g["refused"], g["disliked"], g["reasons"]) for g in found]
    assert by_count == [(3, 3, 0, ["no_guide"]), (2, 2, 0, ["not_covered"]), (2, 0, 2, [])], by_count
    assert found[0]["question"] in refused[:2] and found[0]["section"].startswith("machine-learning-engineer.md > ")
    assert found[2]["comments"] == ["nothing about remote work"]
    assert runs[""].stdout.splitlines()[0].startswith('3 asked "') and "nearest section: " in runs[""].stdout
    assert [int(r["count"]) for r in csv.DictReader(io.StringIO(runs["--csv"].stdout))] == [3, 2, 2]


@pytest.mark.slow
def test_cli_with_nothing_stored_says_so(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "chatbot", "gaps", "--index", str(tmp_path / "index")],
                         capture_output=True, text=True, env=cli_env(), cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "No refused or disliked questions are stored" in run.stdout
    assert not (tmp_path / "index").exists(), "reading the gaps creates no index folder"
