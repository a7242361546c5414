"""Talk to a running app over its HTTP API, and start one with options the browser helpers do not take.

Every request goes to 127.0.0.1 and every wait is bounded (a timeout per read and a deadline per call).
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from browser_support import ROOT, AppServer, free_port

# What chatbot.render lets through; anything else in an answer is a sanitiser failure.
SAFE_TAGS = frozenset({"p", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote", "br", "a", "h3", "h4",
                       "details", "summary", "span", "sup"})
TRACEBACK_SIGNS = ("Traceback (most recent call last)", 'File "/', "site-packages", "Exception in ASGI")


def _local(base_url: str) -> str:
    host = urlsplit(base_url).hostname
    assert host == "127.0.0.1", f"tests only talk to 127.0.0.1, not {host}"
    return base_url.rstrip("/")


@dataclass
class ChatResult:
    """One call of the /chat endpoint: the HTTP status of the request, then the server-sent events."""

    status: int
    seconds: float
    events: list[tuple[str, Any]] = field(default_factory=list)
    raw: str = ""

    @property
    def completed(self) -> bool:
        return bool(self.events) and self.events[-1][0] == "complete"

    @property
    def history(self) -> list[dict[str, Any]]:
        if not self.completed:
            return []
        data = self.events[-1][1]
        return list(data[0]) if isinstance(data, list) and data and isinstance(data[0], list) else []

    def messages(self, role: str) -> list[str]:
        """The HTML of every message of a role, the collapsible Sources panels left out."""
        out = []
        for message in self.history:
            if message.get("role") != role or (message.get("metadata") or {}).get("title"):
                continue
            content = message.get("content")
            parts = content if isinstance(content, list) else [{"text": content}]
            out.append("".join(str(p.get("text", "")) for p in parts if isinstance(p, dict)))
        return out

    @property
    def answer_html(self) -> str:
        answers = self.messages("assistant")
        return answers[-1] if answers else ""

    @property
    def answer(self) -> str:
        return text_of(self.answer_html)

    @property
    def all_html(self) -> str:
        """Every message (sources too) as one string."""
        return json.dumps(self.history, ensure_ascii=False)


def text_of(fragment: str) -> str:
    """Visible text of an HTML fragment."""

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return html.unescape("".join(parser.parts)).strip()


def unsafe_markup(fragment: str) -> list[str]:
    """Everything in rendered HTML that the sanitiser must never let through; empty when it is inert."""
    found: list[str] = []

    class _Check(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in SAFE_TAGS:
                found.append(f"tag <{tag}>")
            for name, value in attrs:
                value = (value or "").strip().lower()
                if name.startswith("on") or name in ("src", "srcdoc", "style", "formaction", "xlink:href"):
                    found.append(f"<{tag} {name}={value[:60]}>")
                if name == "href" and not value.startswith(("http://", "https://")):
                    found.append(f"<{tag} href={value[:60]}>")

    checker = _Check(convert_charrefs=True)
    checker.feed(fragment)
    checker.close()
    return found


def _events(lines: Iterator[str], deadline: float) -> Iterator[tuple[str, Any]]:
    name, data = "", ""
    for line in lines:
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif not line.strip() and name:
            yield name, json.loads(data) if data else None
            name, data = "", ""
        if time.monotonic() > deadline:
            raise TimeoutError("the answer did not finish in time")


def call_chat(base_url: str, data: Any, *, timeout: float = 30.0, client: httpx.Client | None = None) -> ChatResult:
    """POST data to /gradio_api/call/chat, then read its events to the end (at most `timeout` seconds overall).

    The body is JSON with ASCII escapes, so even a lone surrogate is sent the way a browser would send it.
    """
    base = _local(base_url)
    started = time.monotonic()
    deadline = started + timeout
    owned = client is None
    http = client or httpx.Client(timeout=timeout, trust_env=False)
    try:
        body = json.dumps({"data": data}).encode()
        response = http.post(f"{base}/gradio_api/call/chat", content=body,
                             headers={"content-type": "application/json"})
        if response.status_code != 200:
            return ChatResult(response.status_code, time.monotonic() - started, raw=response.text)
        event_id = response.json()["event_id"]
        result = ChatResult(200, 0.0)
        with http.stream("GET", f"{base}/gradio_api/call/chat/{event_id}") as stream:
            raw_lines: list[str] = []

            def lines() -> Iterator[str]:
                for line in stream.iter_lines():
                    raw_lines.append(line)
                    yield line

            for name, payload in _events(lines(), deadline):
                result.events.append((name, payload))
                if name in ("complete", "error"):
                    break
        result.raw = "\n".join(raw_lines[-20:])
        result.seconds = time.monotonic() - started
        return result
    finally:
        if owned:
            http.close()


def ask(base_url: str, question: str, history: list[Any] | None = None, **kwargs: Any) -> ChatResult:
    """Ask one question in a fresh conversation (or after `history`)."""
    return call_chat(base_url, [question, history or []], **kwargs)


def chat_fn_index(base_url: str) -> int:
    """The id of the /chat event handler (what /gradio_api/queue/join calls fn_index)."""
    with httpx.Client(timeout=10, trust_env=False) as http:
        config = http.get(f"{_local(base_url)}/config").json()
    return int(next(d["id"] for d in config["dependencies"] if d.get("api_name") == "chat"))


def proc_stats(pid: int) -> tuple[int, int]:
    """(resident memory in kB, open file descriptors) of a process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def app_env(knowledge_dir: Path, index_dir: Path, work_dir: Path, port: int, admin_password: str = "",
            **extra: str) -> dict[str, str]:
    """The environment the app runs with in tests: offline, its own folders, nothing from a developer's .env."""
    temp = work_dir / "gradio-tmp"
    temp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERBOT_")}
    env.update(
        HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", GRADIO_ANALYTICS_ENABLED="False",
        GRADIO_TEMP_DIR=str(temp), PYTHONUNBUFFERED="1",
        CAREERBOT_HOST="127.0.0.1", CAREERBOT_PORT=str(port),
        CAREERBOT_KNOWLEDGE_DIR=str(knowledge_dir), CAREERBOT_INDEX_DIR=str(index_dir),
        CAREERBOT_ADMIN_PASSWORD=admin_password, CAREERBOT_LLM="", CAREERBOT_CHROMA_URL="",
        CAREERBOT_EMBEDDING_MODEL="",
    )
    env.update(extra)
    return env


def start_app(knowledge_dir: Path, index_dir: Path, work_dir: Path, *, admin_password: str = "",
              cwd: Path = ROOT, port: int | None = None, script: Path = ROOT / "app.py", **extra: str) -> AppServer:
    """`python <repo>/app.py` (or another copy's) in its own process group, from any working directory.

    Not yet waited for. An empty GRADIO_TEMP_DIR in `extra` lets the app make its own temp folder.
    """
    port = port or free_port()
    env = app_env(knowledge_dir, index_dir, work_dir, port, admin_password, **extra)
    log_path = work_dir / f"app-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, str(script)], cwd=cwd, env=env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return AppServer(process, port, log_path, knowledge_dir, index_dir)


@contextlib.contextmanager
def running_app(knowledge_dir: Path, index_dir: Path, work_dir: Path, **options: Any) -> Iterator[AppServer]:
    """Start the app, wait until it serves, and always stop it afterwards."""
    server = start_app(knowledge_dir, index_dir, work_dir, **options)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
