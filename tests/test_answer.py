"""The extractive composer: sentences and list items in document order, cited [n] one-to-one with sources."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest
from conftest import ROOT

from chatbot.answer import Answer, AnswerChunk, Source, compose
from chatbot.chain import ask, build_chain
from chatbot.chunking import split_sentences
from chatbot.embeddings import HashEmbedder
from chatbot.evaluation import numbers
from chatbot.retrieval import Hit, Index
from chatbot.store import ChunkRow

pytest_plugins = ["fixtures_index"]

EMBED = HashEmbedder()
DEV = [json.loads(line) for line in (ROOT / "eval" / "dev.jsonl").read_text().splitlines() if line.strip()]
_MARK = re.compile(r"\[(\d+)\]")
_BLOCK = re.compile(r"(?P<body>.+) \[(?P<n>\d+)\]", re.S)
_ITEM = re.compile(r"^\s*- ")


def check_citations(answer: Answer, chunks: dict[str, ChunkRow]) -> None:
    """Every rule the answer's citations follow, checked against the chunks they cite."""
    cited = [int(n) for n in _MARK.findall(answer.text)]
    first_seen = list(dict.fromkeys(cited))
    # Numbered 1, 2, 3 ... in the order they first appear; exactly the listed sources are cited.
    assert first_seen == list(range(1, len(first_seen) + 1)), answer.text
    assert [s.n for s in answer.sources] == first_seen
    assert len({s.chunk_id for s in answer.sources}) == len(answer.sources), "one number per chunk"
    by_number = {s.n: s for s in answer.sources}
    # Each block ends with one marker; its lines come from the cited chunk, in the chunk's own order.
    read_to: dict[str, int] = {}
    for block in answer.text.split("\n\n"):
        match = _BLOCK.fullmatch(block)
        assert match and not _MARK.search(match["body"]), block
        source = by_number[int(match["n"])]
        chunk = chunks[source.chunk_id]
        assert source.source == chunk.source and source.section == chunk.metadata["section"]
        for line in match["body"].split("\n"):
            for piece in split_sentences(_ITEM.sub("", line)):
                at = chunk.text.find(piece, read_to.get(chunk.id, 0))
                assert at >= 0, f"{piece!r} is not in chunk {source.n} after what was already said"
                read_to[chunk.id] = at + len(piece)
        for piece in split_sentences(source.snippet.replace(" - ", "\n")):
            assert _ITEM.sub("", piece) in chunk.text
    # No number the cited chunks do not hold.
    grounded = {n for s in answer.sources for n in numbers(f"{s.section}\n{chunks[s.chunk_id].text}")}
    assert numbers(answer.text) <= grounded, answer.text


# --- compose() on hand-made chunks ---------------------------------------------------------------------

ABOUT = (
    "Bakers bake bread early in the morning. They also sell cakes.\n\n"
    "Benefits of the job:\n"
    "- Free bread every day.\n"
    "- Long summer holidays.\n"
    "- A friendly team.\n\n"
    "The weather in the bakery is warm."
)
PROS_CONS = (
    "- Pros:\n"
    "  - Free bread every day.\n"
    "  - Long summer holidays.\n"
    "- Cons:\n"
    "  - A long commute at night.\n"
    "  - Hot ovens all day."
)
PAY = "Bakers earn about $31,000 a year. Head bakers earn more."


def row(n: int, text: str, section: str) -> ChunkRow:
    meta = {"section": section, "section_index": n, "part": 0, "title": "Baker Guide", "source": "baker.md"}
    return ChunkRow(f"chunk-{n}", "baker.md", n, f"hash-{n}", text, {**meta, "role": "Baker", "heading": section})


ROWS = {
    "about": row(0, ABOUT, "What does a baker do?"),
    "pros": row(1, PROS_CONS, "Pros and cons"),
    "pay": row(2, PAY, "What does a baker earn?"),
}


def run(query: str, *names: str) -> tuple[str, list[Source]]:
    rows = [ROWS[name] for name in names]
    hits = [Hit(r, 1 / (61 + rank), 0.5, 1.0) for rank, r in enumerate(rows)]
    sentences = {}
    for r in rows:
        texts = split_sentences(r.text)
        sentences[r.hash] = list(zip(texts, EMBED.embed(texts), strict=True))
    return compose(query, hits, EMBED.embed([query])[0], sentences, ["Baker"])


def as_answer(text: str, sources: list[Source]) -> Answer:
    return Answer(question="", text=text, sources=sources)


def test_a_list_label_brings_its_items_and_nothing_after_them() -> None:
    text, sources = run("What are the benefits of the job?", "about", "pros")
    assert (
        text == "Benefits of the job: [1]\n\n- Free bread every day.\n- Long summer holidays.\n- A friendly team. [1]"
    )
    assert [s.chunk_id for s in sources] == ["chunk-0"]
    check_citations(as_answer(text, sources), {r.id: r for r in ROWS.values()})


def test_a_nested_label_brings_its_whole_list() -> None:
    text, _ = run("What are the pros and cons?", "pros")
    assert text == (
        "- Pros:\n  - Free bread every day.\n  - Long summer holidays.\n"
        "- Cons:\n  - A long commute at night.\n  - Hot ovens all day. [1]"
    )


def test_a_list_item_brings_its_label() -> None:
    text, _ = run("Is the commute long?", "pros")
    assert text == "- Cons:\n  - A long commute at night. [1]"


def test_the_citation_checker_catches_broken_answers() -> None:
    text, sources = run("How much do bakers earn and what are the cons?", "pay", "pros")
    chunks = {r.id: r for r in ROWS.values()}
    swapped = text.replace("[1]", "[x]").replace("[2]", "[1]").replace("[x]", "[2]")
    broken = [
        as_answer(swapped, sources),  # numbered out of order of appearance
        as_answer(text, sources[:1]),  # a cited source missing from the list
        as_answer(text.split("\n\n")[0], sources),  # a listed source never cited
        as_answer(text.replace("$31,000", "$41,000"), sources),  # a number the chunk does not hold
        as_answer(text.replace(PAY, "Head bakers earn more. Bakers earn about $31,000 a year."), sources),  # reordered
    ]
    for answer in broken:
        with pytest.raises(AssertionError):
            check_citations(answer, chunks)


def test_sources_are_numbered_in_order_of_first_appearance() -> None:
    text, sources = run("How much do bakers earn and what are the cons?", "pay", "pros")
    assert text == (
        "Bakers earn about $31,000 a year. Head bakers earn more. [1]\n\n"
        "- Cons:\n  - A long commute at night.\n  - Hot ovens all day. [2]"
    )
    assert [(s.n, s.chunk_id, s.section) for s in sources] == [
        (1, "chunk-2", "What does a baker earn?"),
        (2, "chunk-1", "Pros and cons"),
    ]
    assert sources[0].snippet == PAY
    assert sources[0].guide == "Baker Guide" and sources[0].score == round(1 / 61, 4)
    check_citations(as_answer(text, sources), {r.id: r for r in ROWS.values()})


def test_an_uncited_hit_is_not_listed() -> None:
    text, sources = run("Do bakers sell cakes?", "about", "pay")
    # "They also sell cakes." keeps the sentence before it, which says who "they" are.
    assert text == "Bakers bake bread early in the morning. They also sell cakes. [1]"
    assert [s.chunk_id for s in sources] == ["chunk-0"]


def test_sentences_keep_document_order() -> None:
    text, _ = run("What do bakers bake and sell in the morning, cakes?", "about")
    assert text.index("Bakers bake bread") < text.index("They also sell cakes")


def test_no_hits_no_answer() -> None:
    assert compose("anything", [], np.zeros(EMBED.dimension, dtype=np.float32), {}, []) == ("", [])


def test_answer_chunks_add_up() -> None:
    done = Answer(question="q", text="ab")
    total = AnswerChunk("a") + AnswerChunk("b") + AnswerChunk("", done)
    assert total.delta == "ab" and total.answer is done
    assert done.to_dict()["text"] == "ab" and done.to_dict()["sources"] == []


# --- the whole chain: a hash-embedded index of the fixture guides, and the real model on the seed guide --

ROLE_QUESTIONS = [
    "How long does it take to become a Registered Nurse?",
    "What is the salary of a Data Scientist?",
    "What are the pros and cons of being a Data Scientist?",
    "What does a web developer do?",
    "What does a registered nurse do?",
    "What is the job outlook for a Registered Nurse?",
    "What is the salary?",
]


@pytest.mark.parametrize("question", ROLE_QUESTIONS)
def test_citations_on_the_fixture_guides(roles_index: Index, question: str) -> None:
    answer = ask(build_chain(roles_index), question)
    assert not answer.refused and answer.sources
    check_citations(answer, {r.id: r for r in roles_index.snapshot().rows})


def test_the_fixture_pros_and_cons_come_whole(roles_index: Index) -> None:
    answer = ask(build_chain(roles_index), "What are the pros and cons of being a Data Scientist?")
    for item in [
        "Pros:",
        "Cons:",
        "Remote work is common",
        "Much of the time goes into cleaning",
        "constant self-study",
    ]:
        assert item in answer.text


@pytest.mark.parametrize("case", [c for c in DEV if not c["expect_refusal"]], ids=lambda c: c["id"])
def test_citations_on_the_seed_guide(seed: Index, seed_chain: Any, case: dict[str, Any]) -> None:
    answer = ask(seed_chain, case["question"], case.get("history") or [])
    assert not answer.refused and answer.sources
    check_citations(answer, {r.id: r for r in seed.snapshot().rows})


def test_a_list_split_across_chunks_is_read_whole(seed: Index, seed_chain: Any) -> None:
    # The pros-and-cons list straddles two chunks of one section; the answer still has every item once.
    answer = ask(seed_chain, "What are the pros and cons?")
    items = [line.strip()[2:] for line in answer.text.splitlines() if line.strip().startswith("- ")]
    assert len(items) == len(set(items)) == 10
    assert len({s.section for s in answer.sources}) == 1
    check_citations(answer, {r.id: r for r in seed.snapshot().rows})


def test_how_many_years_wants_durations_not_any_number() -> None:
    training = row(3, "Training takes about three years. Most bakers start at 16.", "How long does it take?")
    outlook = row(4, "About 12,000 people finish baker training every spring.", "What is the outlook?")
    ROWS.update(training=training, outlook=outlook)
    try:
        text, _ = run("How many years of training does a baker need?", "training", "outlook")
    finally:
        del ROWS["training"], ROWS["outlook"]
    assert "three years" in text
    assert "12,000" not in text


# --- answers lead with the topic asked --------------------------------------------------------------------


def test_filler_rule_examples() -> None:
    from chatbot.answer import FILLER

    assert all(FILLER.find(t) for t in FILLER.matches)
    assert not any(FILLER.find(t) for t in FILLER.ignores)


def test_states_figure_by_topic() -> None:
    from chatbot.answer import states_figure
    from chatbot.question import Topic

    assert states_figure("The average salary is $112,430. [1]", Topic.PAY)
    assert not states_figure("The pay is competitive. [1]", Topic.PAY)  # the citation's [1] is no figure
    assert states_figure("A degree takes about four years. [1]", Topic.DURATION)
    assert not states_figure("It takes dedication. [2]", Topic.DURATION)
    assert states_figure("Expect 1-2 years of entry-level work.", Topic.DURATION)
    assert not states_figure("Salaries start at $90,000 per year.", Topic.DURATION)
    assert states_figure("Currently 437 job openings, nationwide. [1]", Topic.OUTLOOK)
    assert not states_figure("Titles: Engineer II, Level 3 support. [1]\n\nDemand is high. [2]", Topic.OUTLOOK)


def test_drawbacks_get_the_cons_list_not_the_pros(seed_chain: Any) -> None:
    answer = ask(seed_chain, "drawbacks of being an ML engineer?")
    assert "Cons:" in answer.text and "Complex and challenging work" in answer.text
    assert "Pros:" not in answer.text and "High demand for skilled professionals" not in answer.text


def test_steps_get_the_list_of_steps_not_the_opening_filler(seed_chain: Any) -> None:
    answer = ask(seed_chain, "what should I do, step by step, to become a machine learning engineer?")
    for step in ("Get a degree", "Learn the skills", "Build a portfolio"):
        assert step in answer.text
    assert "exciting journey" not in answer.text and "clear and manageable" not in answer.text


def test_a_figure_question_without_a_figure_in_the_guides_is_refused(tmp_path: Any) -> None:
    from index_helpers import guides_index

    from chatbot.question import Reason

    index = guides_index(tmp_path, {"lifeguard.md": (
        "---\ntitle: Lifeguard\n---\n## What does a lifeguard earn?\n\nPay depends on the employer and the season.\n\n"
        "## What does a lifeguard do?\n\nLifeguards watch swimmers and help people in trouble in the water.\n")})
    chain = build_chain(index, min_evidence=0.0)
    answer = ask(chain, "How much does a lifeguard earn?")
    assert answer.refused and answer.reason is Reason.NOT_COVERED and "no figure for pay" in answer.matched
    assert answer.sources == [] and "employer" not in answer.text
    assert not ask(chain, "Does a lifeguard earn well?").refused  # not asking for a figure: the sentence answers


def test_enumerations_are_recognized_by_their_examples() -> None:
    from chatbot.answer import ENUMERATES

    assert all(ENUMERATES.find(t) for t in ENUMERATES.matches)
    assert not any(ENUMERATES.find(t) for t in ENUMERATES.ignores)
