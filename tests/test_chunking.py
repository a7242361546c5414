"""Chunking: sections into pieces within the model's window, on paragraph, bullet and sentence boundaries."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import DATA, ROOT, SEED

from chatbot.chunking import MAX_TOKENS, chunk_guide, split_sentences
from chatbot.config import Settings
from chatbot.documents import Guide, load_guide, parse_guide
from chatbot.embeddings import HashEmbedder

MAX = Settings().max_guide_bytes
TRAIL_HEADING = "What does a Crane Operator do all day?"

BULLETS = [
    f"- Duty {n}: inspect the {part} of crane {n} before the shift, record any fault in the log, "
    f"and report it to the site supervisor."
    for n, part in enumerate(["hoist", "boom", "cables", "brakes", "controls", "outriggers"] * 5, start=1)
]
SENTENCES = [
    f"Crane operators on site {n} follow the lifting plan for load number {n} and check the wind speed first."
    for n in range(1, 41)
]


def seed_guide() -> Guide:
    return load_guide(SEED, SEED.parent, MAX)


def long_guide() -> Guide:
    """A guide with a short section, a long bullet list and one long paragraph."""
    text = (
        "---\ntitle: Crane Operator Career Guide\nrole: Crane Operator\n---\n\n"
        "## What is the salary of a Crane Operator?\n\nThe median pay is $63,350 a year.\n\n"
        f"## {TRAIL_HEADING}\n\nA typical day has many checks.\n\n" + "\n".join(BULLETS) + "\n\n"
        "## How do Crane Operators plan a lift?\n\n" + " ".join(SENTENCES) + "\n"
    )
    return parse_guide("crane-operator.md", text.encode())


def by_section(chunks: list, heading: str) -> list:  # type: ignore[type-arg]
    return [c for c in chunks if c.metadata["section"] == heading]


def within_window(chunks: list, count_tokens) -> None:  # type: ignore[no-untyped-def,type-arg]
    for chunk in chunks:
        assert chunk.embed_text == f"{chunk.metadata['heading']}\n{chunk.text}"
        assert count_tokens(chunk.embed_text) + 2 <= MAX_TOKENS, chunk.text  # + [CLS] and [SEP]


def test_short_section_is_one_chunk(hash_embedder: HashEmbedder) -> None:
    guide = load_guide(DATA / "data-scientist.md", DATA, MAX)
    chunks = chunk_guide(guide, hash_embedder.count_tokens)
    salary = by_section(chunks, "What is the salary of a Data Scientist?")
    assert len(salary) == 1
    assert salary[0].text == guide.sections[2].text
    assert salary[0].metadata["part"] == 0


def test_long_bullet_section_splits_on_bullets_within_budget_with_overlap(hash_embedder: HashEmbedder) -> None:
    count = hash_embedder.count_tokens
    section = long_guide().sections[1]
    assert count(section.text) > MAX_TOKENS
    chunks = by_section(chunk_guide(long_guide(), count), TRAIL_HEADING)
    assert len(chunks) >= 3
    assert [c.metadata["part"] for c in chunks] == list(range(len(chunks)))
    within_window(chunks, count)
    units = ["A typical day has many checks.", *BULLETS]
    for chunk in chunks:  # every line is a whole bullet (or the intro), never a piece of one
        assert all(line in units for line in chunk.text.split("\n")), chunk.text
    for before, after in itertools.pairwise(chunks):  # the last bullet is repeated as overlap
        assert before.text.split("\n")[-1] == after.text.split("\n")[0]
    seen = [line for c in chunks for line in c.text.split("\n")]
    assert list(dict.fromkeys(seen)) == units  # everything kept, in order, each line once apart from overlaps


def test_long_paragraph_splits_between_sentences(hash_embedder: HashEmbedder) -> None:
    count = hash_embedder.count_tokens
    chunks = by_section(chunk_guide(long_guide(), count), "How do Crane Operators plan a lift?")
    assert len(chunks) >= 2
    within_window(chunks, count)
    covered = []
    for chunk in chunks:
        assert chunk.text.endswith(".")
        pieces = split_sentences(chunk.text)
        assert all(p in SENTENCES for p in pieces), chunk.text
        covered += pieces
    assert list(dict.fromkeys(covered)) == SENTENCES


def test_chunks_fit_the_real_tokenizer_window(real_embedder) -> None:  # type: ignore[no-untyped-def]
    count = real_embedder.count_tokens
    for guide in (seed_guide(), long_guide()):
        chunks = chunk_guide(guide, count)
        within_window(chunks, count)
        for chunk in chunks:
            assert chunk.text.rstrip().endswith((".", "?", "!", ":")), chunk.text
    long_chunks = by_section(chunk_guide(long_guide(), count), TRAIL_HEADING)
    assert len(long_chunks) >= 2
    assert {line for c in long_chunks for line in c.text.split("\n")} == {"A typical day has many checks.", *BULLETS}


def test_metadata_names_source_title_role_heading_position_and_hash(hash_embedder: HashEmbedder) -> None:
    guide = seed_guide()
    chunks = chunk_guide(guide, hash_embedder.count_tokens)
    assert [c.metadata["position"] for c in chunks] == list(range(len(chunks)))
    assert [c.metadata["section_index"] for c in chunks] == sorted(c.metadata["section_index"] for c in chunks)
    assert {c.metadata["section_index"] for c in chunks} == set(range(6))
    how_long = by_section(chunks, "How long does it take to become a Machine Learning Engineer?")
    assert len(how_long) == 1
    meta = how_long[0].metadata
    assert meta["source"] == "machine-learning-engineer.md"
    assert meta["title"] == "Machine Learning Engineer Career Guide"
    assert meta["role"] == "Machine Learning Engineer"
    assert meta["heading"] == "Machine Learning Engineer > How long does it take to become a Machine Learning Engineer?"
    assert meta["section_index"] == 2 and meta["part"] == 0
    assert "page" not in meta
    for chunk in chunks:
        assert chunk.metadata["hash"] == hashlib.sha256(chunk.embed_text.encode()).hexdigest()[:24]
        assert chunk.content_hash == chunk.metadata["hash"]
        assert all(isinstance(v, str | int) for v in chunk.metadata.values())  # Chroma takes only scalars
    assert len({c.id for c in chunks}) == len(chunks)


def test_pdf_chunks_carry_the_page(hash_embedder: HashEmbedder) -> None:
    from test_documents import ELECTRICIAN_PDF_PAGES, make_pdf

    guide = parse_guide("electrician.pdf", make_pdf(ELECTRICIAN_PDF_PAGES))
    assert [c.metadata["page"] for c in chunk_guide(guide, hash_embedder.count_tokens)] == [1, 2]


def test_ids_are_deterministic_across_runs(hash_embedder: HashEmbedder) -> None:
    first = [c.id for c in chunk_guide(seed_guide(), hash_embedder.count_tokens)]
    again = [c.id for c in chunk_guide(seed_guide(), HashEmbedder().count_tokens)]
    assert first == again
    script = (
        "import json; from pathlib import Path; from chatbot.documents import load_guide; "
        "from chatbot.chunking import chunk_guide; from chatbot.embeddings import HashEmbedder; "
        f"g = load_guide(Path({str(SEED)!r}), Path({str(SEED.parent)!r}), 10**7); "
        "print(json.dumps([c.id for c in chunk_guide(g, HashEmbedder().count_tokens)]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == first


def test_ids_change_when_text_or_place_changes(hash_embedder: HashEmbedder) -> None:
    guide = seed_guide()
    base = {c.id for c in chunk_guide(guide, hash_embedder.count_tokens)}
    edited = parse_guide(guide.source, SEED.read_bytes().replace(b"$112,430", b"$118,900"))
    changed = [c for c in chunk_guide(edited, hash_embedder.count_tokens) if c.id not in base]
    assert len(changed) == 1
    assert changed[0].metadata["section_index"] == 5 and "$118,900" in changed[0].text
    renamed = parse_guide("ml-engineer.md", SEED.read_bytes())
    assert not {c.id for c in chunk_guide(renamed, hash_embedder.count_tokens)} & base


def test_split_sentences_keeps_abbreviations_whole() -> None:
    text = (
        "The U.S. Bureau of Labor Statistics predicts growth. Tools, e.g. Python and R, are common. "
        "Pay is high, i.e. above average! Is it worth it? Ask Dr. Smith about it.\n- A bullet line\n- Another one"
    )
    assert split_sentences(text) == [
        "The U.S. Bureau of Labor Statistics predicts growth.",
        "Tools, e.g. Python and R, are common.",
        "Pay is high, i.e. above average!",
        "Is it worth it?",
        "Ask Dr. Smith about it.",
        "- A bullet line",
        "- Another one",
    ]


def test_split_sentences_on_the_seed_outlook() -> None:
    outlook = seed_guide().sections[5].text
    sentences = split_sentences(outlook)
    assert (
        "The U.S. Bureau of Labor Statistics (BLS) predicts a 9.7% increase in job openings from 2022 to 2032."
        in sentences
    )
    assert "The BLS reports an average national annual salary of $112,430." in sentences
    assert not any(s.endswith(("U.S.", "U.")) for s in sentences)


def test_every_guide_chunks_with_a_role_rooted_heading(hash_embedder: HashEmbedder, tmp_path: Path) -> None:
    for name, role in [
        ("data-scientist.md", "Data Scientist"),
        ("registered-nurse.txt", "Registered Nurse"),
        ("web-developer.html", "Web Developer"),
    ]:
        chunks = chunk_guide(load_guide(DATA / name, DATA, MAX), hash_embedder.count_tokens)
        assert chunks
        assert all(c.metadata["heading"].startswith(f"{role} > ") for c in chunks)
        assert all(c.metadata["role"] == role and c.metadata["source"] == name for c in chunks)
