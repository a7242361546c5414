"""Helpers for the browser tests: run the real app as a subprocess, drive Debian's chromium, watch the network."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
STARTUP_SECONDS = 90.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class AppServer:
    """`python app.py` running in its own process group, with its output in a log file."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    knowledge_dir: Path
    index_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        """Block until the page answers HTTP 200; raise with the log if the app dies or takes too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app exited with {self.process.returncode} before serving:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"app did not answer HTTP 200 on {self.url} within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the app's process group (SIGTERM, then SIGKILL) and reap it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_app(
    knowledge_dir: Path, index_dir: Path, work_dir: Path, admin_password: str = "", chroma_url: str = ""
) -> AppServer:
    """Start the real app on a free port with its own knowledge and index folders (not yet waited for)."""
    port = free_port()
    temp = work_dir / "gradio-tmp"
    temp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        GRADIO_ANALYTICS_ENABLED="False",
        GRADIO_TEMP_DIR=str(temp),
        PYTHONUNBUFFERED="1",
        CAREERBOT_HOST="127.0.0.1",
        CAREERBOT_PORT=str(port),
        CAREERBOT_KNOWLEDGE_DIR=str(knowledge_dir),
        CAREERBOT_INDEX_DIR=str(index_dir),
        # Empty values override whatever a developer's .env says, so every run sees the same app.
        CAREERBOT_ADMIN_PASSWORD=admin_password,
        CAREERBOT_LLM="",
        CAREERBOT_CHROMA_URL=chroma_url,
        CAREERBOT_EMBEDDING_MODEL="",
    )
    log_path = work_dir / f"app-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return AppServer(process, port, log_path, knowledge_dir, index_dir)


@contextlib.contextmanager
def running_app(
    knowledge_dir: Path, index_dir: Path, work_dir: Path, admin_password: str = "", chroma_url: str = ""
) -> Iterator[AppServer]:
    """Start the app, wait for HTTP 200, and always stop it afterwards (also when startup or the test fails)."""
    server = start_app(knowledge_dir, index_dir, work_dir, admin_password, chroma_url)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def chromium_path() -> Path:
    """The browser `make test` provided (scripts/browser.py), or a clear failure naming the command to run."""
    import pytest

    from scripts.browser import BrowserError, find_browser

    try:
        found = find_browser()
    except BrowserError as exc:
        pytest.fail(str(exc), pytrace=False)
    if found is None:
        pytest.fail("no Chromium for the browser tests: run `make test` (it installs one)", pytrace=False)
    return found


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium (Debian's unless configured) with no background traffic of its own."""
    return playwright.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS)


def is_local(url: str) -> bool:
    """True for requests that stay on this machine (or never leave the page: data:, blob:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


@dataclass
class Recorder:
    """Every request, websocket and dialog one page produces."""

    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", lambda socket_: self.requests.append(socket_.url))

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            with contextlib.suppress(Exception):
                dialog.dismiss()

        page.on("dialog", on_dialog)

    def foreign(self, since: int = 0) -> list[str]:
        """Requests (from position `since` on) to a host other than 127.0.0.1/localhost."""
        return [url for url in self.requests[since:] if not is_local(url)]


@dataclass
class BrowserPage:
    """A fresh browser context and page on the app, with its network and dialogs recorded."""

    context: Any
    page: Any
    recorder: Recorder

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


def open_page(browser: Any, url: str, timeout_ms: int = 30_000) -> BrowserPage:
    """Open the app in a new context and wait until the question box is there."""
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    recorder = Recorder()
    recorder.attach(page)
    page.goto(url)
    page.wait_for_selector("#question textarea", state="visible")
    return BrowserPage(context, page, recorder)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under artifacts/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


# Page-side helpers, evaluated in the browser. "Answers" are bot bubbles that are not a collapsible "Sources" panel.
_ANSWERS = """const answers = () => [...document.querySelectorAll('#chat [data-testid="bot"]')]
  .filter((el) => !el.closest('.thought'));"""


def _js(source: str) -> str:
    """Page-side code with the `answers()` helper defined where it says @ANSWERS@."""
    return source.replace("@ANSWERS@", _ANSWERS)


LAST_ANSWER_JS = _js("""() => {
  @ANSWERS@
  const all = answers();
  return all.length ? all[all.length - 1].innerText.trim() : '';
}""")

LAST_ANSWER_ITEMS_JS = _js("""() => {
  @ANSWERS@
  const all = answers();
  return all.length ? [...all[all.length - 1].querySelectorAll('li')].map((li) => li.innerText.trim()) : [];
}""")

ANSWER_COUNT_JS = _js("() => { @ANSWERS@ return answers().length; }")

# Starts recording the text length of the newest answer bubble each time #chat changes (call before sending).
WATCH_LENGTHS_JS = _js("""() => {
  @ANSWERS@
  window.__lengths = [];
  const before = answers().length;
  const record = () => {
    const all = answers();
    if (all.length <= before) return;
    const n = all[all.length - 1].innerText.trim().length;
    const seen = window.__lengths;
    if (seen[seen.length - 1] !== n) seen.push(n);
  };
  if (window.__lengthObserver) window.__lengthObserver.disconnect();
  window.__lengthObserver = new MutationObserver(record);
  const options = {childList: true, subtree: true, characterData: true};
  window.__lengthObserver.observe(document.querySelector('#chat'), options);
}""")

# True once a new answer exists, the chat's progress tracker is hidden and the chat text has not changed for
# `quiet` ms; `before` is the answer count before sending. Polled by page.wait_for_function.
ANSWER_SETTLED_JS = _js("""([before, quiet]) => {
  @ANSWERS@
  const all = answers();
  const chat = document.querySelector('#chat');
  const tracker = chat.querySelector('[data-testid="status-tracker"]');
  const text = chat.innerText;
  const now = performance.now();
  if (window.__settleText !== text) { window.__settleText = text; window.__settleSince = now; return false; }
  return all.length > before && all[all.length - 1].innerText.trim().length > 0
    && (!tracker || tracker.classList.contains('hide')) && now - window.__settleSince >= quiet;
}""")

# Counts changes to an output's progress tracker; call before clicking, then wait for STATUS_DONE_JS.
WATCH_STATUS_JS = """(selector) => {
  const tracker = document.querySelector(selector + ' [data-testid="status-tracker"]');
  window.__statusBusySeen = false;
  if (window.__statusObserver) window.__statusObserver.disconnect();
  window.__statusObserver = new MutationObserver(() => {
    if (!tracker.classList.contains('hide')) window.__statusBusySeen = true;
  });
  window.__statusObserver.observe(tracker, {attributes: true, attributeFilter: ['class']});
}"""

# True when the watched output went busy and is idle again with some text.
STATUS_DONE_JS = """(selector) => {
  const el = document.querySelector(selector);
  const tracker = el.querySelector('[data-testid="status-tracker"]');
  return window.__statusBusySeen && tracker.classList.contains('hide') && el.innerText.trim().length > 0;
}"""

# Everything in #chat that a sanitiser should have removed; returns a list of findings (empty when clean).
UNSAFE_IN_CHAT_JS = """() => {
  const chat = document.querySelector('#chat');
  const found = [];
  for (const s of chat.querySelectorAll('script')) found.push('script: ' + s.outerHTML.slice(0, 120));
  for (const el of chat.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.toLowerCase().startsWith('on')) found.push(`${el.tagName} ${a.name}=${a.value.slice(0, 80)}`);
    }
  }
  for (const img of chat.querySelectorAll('img')) {
    const src = img.getAttribute('src') || '';
    if (!(src.startsWith('data:') || new URL(src, location.href).origin === location.origin)) {
      found.push('img src=' + src);
    }
  }
  for (const a of chat.querySelectorAll('a[href]')) {
    if (a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')) found.push('a href=' + a.href);
  }
  for (const el of chat.querySelectorAll('iframe, object, embed, form')) found.push(el.tagName);
  return found;
}"""


def wait_answer(page: Any, before: int, timeout_ms: int = 60_000) -> str:
    """Wait until the answer after `before` earlier answers has finished streaming; return its text."""
    page.wait_for_function(ANSWER_SETTLED_JS, arg=[before, 500], timeout=timeout_ms, polling=100)
    return str(page.evaluate(LAST_ANSWER_JS))


def ask(page: Any, question: str, timeout_ms: int = 60_000) -> str:
    """Type a question, press Ask, wait for the whole answer; return the answer's text.

    On a timeout it says what the page showed and saves a screenshot: a click the page never sent and an answer
    the server never finished look alike from the outside.
    """
    before = int(page.evaluate(ANSWER_COUNT_JS))
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()
    try:
        return wait_answer(page, before, timeout_ms)
    except Exception as exc:
        if "Timeout" not in type(exc).__name__:
            raise
        shot = screenshot(page, f"timeout-{int(time.time())}.png")
        shown = page.evaluate("""() => ({box: document.querySelector('#question textarea').value,
            chat: document.querySelector('#chat').innerText.slice(-1500),
            tracker: document.querySelector('#chat [data-testid="status-tracker"]')?.className || ''})""")
        raise AssertionError(f"no whole answer to {question!r} in {timeout_ms / 1000:.0f} s ({shot.name}); "
                             f"question box {shown['box']!r}; progress {shown['tracker']!r}; "
                             f"chat: {shown['chat']!r}") from None


def new_chat(page: Any) -> None:
    """Press New chat and wait until its reply has emptied the conversation and the question box.

    The box gets a placeholder first: on a page whose chat is already empty the wait would otherwise pass before
    the reply arrives, and a late reply then empties the next question between typing it and pressing Ask.
    """
    page.locator("#question textarea").fill("(new chat pending)")
    page.locator("#new-chat").click()
    page.wait_for_function(
        """() => !document.querySelector('#chat [data-testid="user"]')
              && document.querySelector('#question textarea').value === ''"""
    )


def click_and_wait_status(page: Any, button: str, timeout_ms: int = 60_000) -> str:
    """Click an admin button, wait until #admin-status has been updated by it, and return the status text."""
    page.evaluate(WATCH_STATUS_JS, "#admin-status")
    page.locator(button).click()
    page.wait_for_function(STATUS_DONE_JS, arg="#admin-status", timeout=timeout_ms, polling=100)
    return str(page.locator("#admin-status").inner_text())


def choose(page: Any, dropdown: str, option: str) -> None:
    """Pick an option in a Gradio dropdown by its label (another dropdown's list may still be open)."""
    page.keyboard.press("Escape")  # close a list another dropdown left open
    box = page.locator(f"{dropdown} input")
    box.click()
    # Another dropdown's list can still be open with the same labels, so only take options from
    # the list this combobox controls (Gradio gives them ids "<listbox id>-option-<n>").
    listbox = box.get_attribute("aria-controls")
    assert listbox, f"{dropdown} has no aria-controls; has Gradio's dropdown markup changed?"
    page.locator(f'li[role="option"][id^="{listbox}-option-"][aria-label="{option}"]').click()
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel + ' input').value === want", arg=[dropdown, option]
    )
