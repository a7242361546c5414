"""The role catalog: the role a guide's title names, aliases from the O*NET lexicon, job lookup."""

import importlib.util
from pathlib import Path

import pytest

from chatbot import catalog
from chatbot.catalog import (
    DOCUMENT_WORDS,
    FILLER_WORDS,
    aliases,
    clean_role,
    is_occupation,
    name_role,
    occupation_in,
    write_role,
)
from chatbot.errors import CareerBotError
from tests.helpers import ROOT


@pytest.mark.parametrize(
    ("title", "heading", "role"),
    [
        ("How to Become a UX Designer in 2023: In-depth Guide", "", "UX Designer"),
        ("5. Data Scientist", "", "Data Scientist"),
        ("6. DevOps Engineer", "", "DevOps Engineer"),
        ("Machine Learning Engineer: A Highly Demanded Career Path", "", "Machine Learning Engineer"),
        ("How To Become An AI Engineer Without A Degree", "", "AI Engineer"),
        ("How To Become An Ai Engineer Without A Degree: A Step-By-Step Guide", "", "AI Engineer"),
        ("Lifeguard | Explore careers", "", "Lifeguard"),
        ("Registered Nurse Career Guide", "", "Registered Nurse"),
        ("Machine Learning Engineer Guide", "", "Machine Learning Engineer"),
        ("User Experience Designer Handbook", "", "UX Designer"),
        ("How to become an ML Engineer", "", "Machine Learning Engineer"),
        ("Becoming an RN", "", "Registered Nurse"),
        ("Construction electrician: trade profile", "", "Construction Electrician"),
        ("Welcome", "How to become a Prompt Engineer", "Prompt Engineer"),
        ("What we do", "", "What we do"),
    ],
)
def test_name_role_is_the_job_a_reader_names(title: str, heading: str, role: str) -> None:
    assert name_role(title, heading) == role


def test_two_titles_for_one_job_give_one_role() -> None:
    assert name_role("Machine Learning Engineer: A Highly Demanded Career Path") == name_role(
        "How to become an ML engineer in 2024"
    )
    assert name_role("User Experience Designer") == name_role("How to Become a UX Designer") == "UX Designer"


@pytest.mark.parametrize(
    ("title", "role"),
    [("Registered Nurse Career Guide", "Registered Nurse"), ("Tour Guide", "Tour Guide")],
)
def test_document_words_name_no_job_alone(title: str, role: str) -> None:
    assert "guide" in DOCUMENT_WORDS
    assert name_role(title) == role


@pytest.mark.parametrize(
    ("title", "role"),
    [("How To Become Engineer", "Engineer"), ("The Complete Designer", "Designer"),
     ("Prompt Engineer", "Prompt Engineer")],
)
def test_filler_words_are_not_part_of_a_job(title: str, role: str) -> None:
    assert {"become", "complete"} <= FILLER_WORDS and "prompt" not in FILLER_WORDS
    assert name_role(title) == role


def test_aliases_come_from_the_lexicon() -> None:
    assert "User Experience Designer" in aliases("UX Designer")
    assert "RN" in aliases("Registered Nurse")
    assert "Artificial Intelligence Engineer" in aliases("AI Engineer")
    assert "devops" in aliases("DevOps Engineer")
    # One O*NET code groups different jobs: Data Analyst is not another name for Data Scientist.
    assert not any("analyst" in a.lower() for a in aliases("Data Scientist"))
    assert "data" not in aliases("Data Scientist") and "machine" not in aliases("Machine Learning Engineer")


def test_given_aliases_come_first_and_the_role_itself_is_not_an_alias() -> None:
    assert aliases("Registered Nurse", ("staff nurse", " ")) == ("staff nurse", "RN")
    assert "UX Designer" not in aliases("UX Designer")


def test_occupation_lookup() -> None:
    assert is_occupation("dentist") and is_occupation("Registered Nurses") and is_occupation("RN")
    assert not is_occupation("do") and not is_occupation("salary")
    assert occupation_in("How do I become a dentist?") == "Dentist"
    assert occupation_in("What is the weather like today?") is None


def test_lexicon_is_read_once_on_first_use() -> None:
    assert catalog.lexicon() is catalog.lexicon()
    assert len(catalog.lexicon().titles) > 50_000


def test_build_script_splits_short_forms() -> None:
    spec = importlib.util.spec_from_file_location("build_titles", ROOT / "scripts" / "build_titles.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.split_title("User Experience Designer (UX Designer)", "UX Designer") == (
        "User Experience Designer", "UX Designer")
    assert module.split_title("CEO (Chief Executive Officer)", "CEO") == ("Chief Executive Officer", "CEO")
    assert module.split_title("Licensed Mental Health Counselor (LMHC)", "") == (
        "Licensed Mental Health Counselor", "LMHC")
    assert module.split_title("Singer (Burning)", "") == ("Singer (Burning)", "")
    assert module.split_title("Data Scientist", "") == ("Data Scientist", "")


def test_write_role_sets_the_front_matter_and_keeps_the_rest(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    body = "\n\n* TOC\n{:toc}\n\n# 5. Data Scientist\n\n## Role\n\nText.\n\n---\n\nMore text.\n"
    guide.write_text('---\nlayout: resource\ntitle: "5. Data Scientist"\nrole: Wrong\n---' + body, encoding="utf-8")
    guide.chmod(0o640)
    write_role(guide, "Data Scientist")
    text = guide.read_text(encoding="utf-8")
    assert text == "---\nlayout: resource\ntitle: 5. Data Scientist\nrole: Data Scientist\n---" + body
    assert guide.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["guide.md"]  # no temporary file left


def test_write_role_adds_front_matter_to_a_guide_without_one(tmp_path: Path) -> None:
    guide = tmp_path / "nurse.md"
    guide.write_text("# Nursing\n\n## What do nurses do?\n\nCare.\n", encoding="utf-8")
    write_role(guide, "Registered Nurse")
    assert guide.read_text(encoding="utf-8") == (
        "---\nrole: Registered Nurse\n---\n# Nursing\n\n## What do nurses do?\n\nCare.\n")


@pytest.mark.parametrize("name", ["nurse.txt", "page.html", "trade.pdf"])
def test_write_role_refuses_other_formats(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"text")
    with pytest.raises(CareerBotError, match="only be set for Markdown"):
        write_role(tmp_path / name, "Nurse")
    assert (tmp_path / name).read_bytes() == b"text"


@pytest.mark.parametrize(("typed", "kept"), [("  Data   Scientist ", "Data Scientist"),
                                             ("UX\tDesigner", "UX Designer")])
def test_clean_role_keeps_one_line(typed: str, kept: str) -> None:
    assert clean_role(typed) == kept


@pytest.mark.parametrize("typed", ["", "   ", "1234", "x" * 81])
def test_clean_role_refuses_what_is_not_a_name(typed: str) -> None:
    with pytest.raises(CareerBotError):
        clean_role(typed)


def test_lexicon_keys_split_words_as_the_questions_do() -> None:
    from chatbot import text

    assert catalog._WORD.pattern == text._WORD.pattern
    for title in ("Front-End Developer", "Registered Nurse (RN)", "O'Neil's Café Manager", "UI/UX Designer"):
        assert catalog.key(title) == tuple(catalog.singular(w) for w in text.words(title))


def test_a_short_form_is_the_role_only_when_it_carries_an_acronym() -> None:
    assert name_role("Veterinary nurse") == "Veterinary Nurse"  # O*NET's short form "Vet Nurse" is not used
    assert name_role("Chief Executive Officer (CEO)") == "Chief Executive Officer"


@pytest.mark.parametrize(
    ("title", "parts"),
    [
        ("5. Data Scientist", ["Data Scientist"]),
        ("6) DevOps Engineer", ["DevOps Engineer"]),
        ("1.\tData cleaning", ["Data cleaning"]),
        ("Lifeguard | Explore careers", ["Lifeguard", "Explore careers"]),
        ("Nurse practitioner - Explore careers", ["Nurse practitioner", "Explore careers"]),
        ("Machine Learning Engineer: A Career Path", ["Machine Learning Engineer", "A Career Path"]),
        # must not split or strip:
        ("2024 Salary Guide", ["2024 Salary Guide"]),
        ("Front-End Developer", ["Front-End Developer"]),
        ("5 Reasons to Become a Nurse", ["5 Reasons to Become a Nurse"]),
    ],
)
def test_segments_split_a_title_at_its_separators(title: str, parts: list[str]) -> None:
    assert catalog.segments(title) == parts


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("How to become a Zorbmaster", "Zorbmaster"),
        ("Zorbmaster Career Guide", "Zorbmaster"),
        ("Becoming an Zorbmaster: notes", "Zorbmaster"),
        # must not be cut:
        ("Zorbmaster guidelines", "Zorbmaster guidelines"),
        ("Howto Zorbmaster", "Howto Zorbmaster"),
    ],
)
def test_without_a_known_title_the_phrasing_around_the_role_is_dropped(title: str, role: str) -> None:
    assert name_role(title) == role


def test_write_role_leaves_links_alone(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("# Nurse\n\n## What?\n\nCare.\n", encoding="utf-8")
    (tmp_path / "link.md").symlink_to(target)
    with pytest.raises(CareerBotError, match="not a regular file"):
        write_role(tmp_path / "link.md", "Nurse")
    assert (tmp_path / "link.md").is_symlink() and "role" not in target.read_text(encoding="utf-8")


def test_an_acronym_that_is_an_ordinary_word_is_no_alias() -> None:
    assert "DO" not in aliases("Osteopathy Doctor") and "HIS" not in aliases("Hearing Instrument Specialist")
    assert "RN" in aliases("Registered Nurse")


@pytest.mark.parametrize(
    ("role", "word"),
    [("DevOps Engineer", "devops"), ("WordPress Developer", "wordpress")],
)
def test_a_coined_word_specific_to_the_job_is_an_alias(role: str, word: str) -> None:
    assert word in aliases(role)


@pytest.mark.parametrize(
    ("role", "word"),
    [("Jail Officer", "jail"), ("Article Writer", "article"), ("Data Scientist", "data"), ("UX Designer", "ux")],
)
def test_an_ordinary_or_shared_word_is_no_alias(role: str, word: str) -> None:
    assert word not in [a.lower() for a in aliases(role)]
