"""Uploads: type from content, size cap, names from the guide's title inside the folder, atomic replace."""

import json
from pathlib import Path

import pytest

from chatbot.errors import GuideError
from chatbot.uploads import UPLOADS_META, clean_partial_uploads, delete_guide, save_upload, sniff

GUIDE = b"---\ntitle: Test Pilot Guide\nrole: Test Pilot\n---\n\n## What does a Test Pilot do?\n\nThey fly.\n"
MB = 1024 * 1024


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder.parent)) for p in folder.parent.rglob("*")}


def test_new_upload_is_named_after_its_title(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    source = save_upload(knowledge, "../../etc/passwd.md", GUIDE, MB)
    assert source == "test-pilot-guide.md"
    assert (knowledge / source).read_bytes() == GUIDE
    names = json.loads((knowledge / UPLOADS_META).read_text())
    assert names[source] == "passwd.md"


LOCKSMITH = (b"What does a locksmith do?\nA locksmith installs and repairs locks.\n\n"
             b"How long does it take?\nTwo years.\n")


def test_plain_text_upload_is_named_after_the_role_its_content_names(tmp_path: Path) -> None:
    from chatbot.documents import load_guide

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    source = save_upload(knowledge, "upload-ddf323c2.txt", LOCKSMITH, MB)
    assert source == "locksmith.txt"
    guide = load_guide(knowledge / source, knowledge, MB)  # as the ingest will read it
    assert guide.title == "Locksmith" and guide.role == "Locksmith"


def test_names_stay_unique_in_the_folder_whatever_the_format(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "test-pilot-guide.txt").write_bytes(b"## What is it?\nA guide.\n")
    first = save_upload(knowledge, "a.md", GUIDE, MB)
    second = save_upload(knowledge, "b.md", GUIDE.replace(b"They fly.", b"They fly fast."), MB)
    assert (first, second) == ("test-pilot-guide-2.md", "test-pilot-guide-3.md")
    assert (knowledge / "test-pilot-guide.txt").read_bytes() == b"## What is it?\nA guide.\n"


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "..\\..\\win.ini", "CON", "x" * 300 + ".md", "%2e%2e%2fx.md",
             "a\x00b.md", "ｅｔｃ／ｐａｓｓｗｄ.md", "<img src=x onerror=alert(1)>.md"],
)
def test_hostile_names_never_escape_the_folder(tmp_path: Path, name: str) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    before = listing(knowledge)
    source = save_upload(knowledge, name, GUIDE, MB)
    after = listing(knowledge) - before
    assert all(p.startswith("knowledge/") for p in after)
    assert "/" not in source and "\\" not in source and "\x00" not in source
    shown = json.loads((knowledge / UPLOADS_META).read_text())[source]
    assert "<" not in shown and "\x00" not in shown


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.md", b"", "empty"),
        ("big.md", b"## A?\n" + b"x" * (2 * MB), "limit"),
        ("evil.pdf", b"MZ\x90\x00" + b"\x00" * 100, "not a PDF"),
        ("bin.md", b"\x7fELF" + bytes(range(256)) * 10, "program"),
        ("pic.svg.html", b'<svg onload="alert(1)"></svg>', "SVG"),
        ("noheadings.md", b"just some text without any heading at all", "no headings"),
    ],
)
def test_bad_uploads_are_rejected_with_a_reason_and_nothing_written(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    with pytest.raises(GuideError) as error:
        save_upload(knowledge, name, data, MB)
    assert reason.lower() in str(error.value).lower()
    assert list(knowledge.iterdir()) == []


def test_sniff_reads_the_content_not_the_name() -> None:
    assert sniff(b"%PDF-1.7 ...", "guide.md") == ".pdf"
    assert sniff(b"<!DOCTYPE html><h1>x</h1>", "guide.txt") == ".html"
    assert sniff(b"## Heading?\ntext", "guide.md") == ".md"


def test_replace_overwrites_only_a_listed_guide(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "pilot.md").write_bytes(GUIDE)
    edited = GUIDE.replace(b"They fly.", b"They fly new planes.")
    assert save_upload(knowledge, "whatever.md", edited, MB, replace="pilot.md") == "pilot.md"
    assert (knowledge / "pilot.md").read_bytes() == edited
    with pytest.raises(GuideError):
        save_upload(knowledge, "x.md", edited, MB, replace="../outside.md")
    assert not list(knowledge.glob(".upload-*"))


def test_delete_only_listed_guides_and_clean_partials(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "pilot.md").write_bytes(GUIDE)
    (tmp_path / "outside.md").write_bytes(GUIDE)
    with pytest.raises(GuideError):
        delete_guide(knowledge, "../outside.md")
    assert (tmp_path / "outside.md").exists()
    delete_guide(knowledge, "pilot.md")
    assert not (knowledge / "pilot.md").exists()
    (knowledge / ".upload-abc.part").write_bytes(b"half")
    assert clean_partial_uploads(knowledge) == 1
