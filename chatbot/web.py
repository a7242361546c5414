"""The HTTP edge in front of Gradio: Host and Origin checks, security headers, request bounds, the upload quota."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import unquote, urlsplit

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'self'",
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
UPLOAD_PATH = "/gradio_api/upload"
# Calls by name: /gradio_api/run/<name>, /api/<name>, /call/<name>[/<event>], /call/v2/<name>.
NAMED_CALL = re.compile(r"^/gradio_api/(?:run|api|call(?:/v2)?)/([^/]+)")
MAX_JSON_BYTES = 2 * 1024 * 1024  # a 2,000-character question with a long chat is far below this
MAX_LIST_ITEMS = 200  # chat messages in one request: 100 questions and answers
TEMP_PREFIX = "careerbot-"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A settings file anywhere in a request path: ".env", ".env.local", "/x/.ENV", "file=.env"; not ".envoy" or "a.env".
DOTENV_PATH = re.compile(r"(?:^|[/\\=])\.env(?:$|[/\\.])", re.I)


class Refusal(Enum):
    """Why the edge answered a request itself; the value is (HTTP status, message)."""

    FOREIGN_HOST = (421, "This server does not serve that host name.")
    FOREIGN_ORIGIN = (403, "Requests from other sites are not accepted.")
    PRIVATE_NAME = (404, "Not found.")
    DOTENV = (404, "Not found.")
    UNKNOWN_FUNCTION = (404, "Unknown event.")
    LENGTH_REQUIRED = (411, "Uploads need a Content-Length.")
    TOO_LARGE = (413, "The request is too large.")
    TOO_MANY_ITEMS = (413, "The conversation is too long; start a new chat.")

    @property
    def status(self) -> int:
        return int(self.value[0])

    @property
    def message(self) -> str:
        return str(self.value[1])


@dataclass(frozen=True)
class EdgeRules:
    """What the edge lets through to Gradio."""

    allowed_hosts: frozenset[str]
    public_names: frozenset[str]  # event names that may be called by name (/gradio_api/run/<name> and the like)
    known_events: frozenset[int]  # fn_index values the page can send
    upload_dir: Path
    max_upload_bytes: int  # one upload request (one guide and the form around it)
    upload_quota_bytes: int  # everything in the upload folder together; the oldest files go first
    proxy_hosts: frozenset[str] = frozenset()  # names of a proxy in front: pages there may post here
    max_json_bytes: int = MAX_JSON_BYTES
    max_list_items: int = MAX_LIST_ITEMS


def allowed_hosts(host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The host names the app answers to: the configured one (unless a wildcard), loopback names and `extra`."""
    names = {host.strip("[]").lower(), *LOCAL_HOSTS, *(name.strip().strip("[]").lower() for name in extra)}
    return frozenset(names - {"", "0.0.0.0", "::"})


def hostname(value: str) -> str | None:
    """The host name in a Host header ("[::1]:7860") or an Origin ("http://localhost:7860"); None when unparsable."""
    try:
        return urlsplit(value if "//" in value else f"//{value}").hostname
    except ValueError:
        return None


class Edge:
    """ASGI middleware that answers refused requests itself (one log line each) and adds security headers."""

    def __init__(self, app: ASGIApp, rules: EdgeRules) -> None:
        self.app = app
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is None and scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            refusal, receive = await self._bounded_body(scope, headers, receive)
        if refusal is not None:
            await self._refuse(scope, receive, send, refusal)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope, headers: Headers) -> Refusal | None:
        if hostname(headers.get("host", "")) not in self.rules.allowed_hosts:
            return Refusal.FOREIGN_HOST  # DNS rebinding: a foreign name pointed at this machine
        origin = headers.get("origin")
        unsafe = scope["type"] == "websocket" or scope["method"] not in SAFE_METHODS
        if origin is not None and unsafe and not self._own_page(origin, headers.get("host", "")):
            return Refusal.FOREIGN_ORIGIN  # a page of another site (or another local port) posting, even no-cors
        path = unquote(scope.get("path", ""))
        if DOTENV_PATH.search(path):
            return Refusal.DOTENV  # settings files, wherever a file route would look for them
        named = NAMED_CALL.match(path)
        if named and named.group(1) not in self.rules.public_names:
            return Refusal.PRIVATE_NAME  # admin events are reachable only the way the page calls them
        return None

    def _own_page(self, origin: str, host: str) -> bool:
        """True when the page that sent a request is this app's: the same origin, or one on a proxy's name."""
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        return parts.netloc.lower() == host.lower() or parts.hostname in self.rules.proxy_hosts

    async def _bounded_body(self, scope: Scope, headers: Headers, receive: Receive) -> tuple[Refusal | None, Receive]:
        """Check a request body's size (and a JSON call's shape) before Gradio reads or logs any of it."""
        declared = headers.get("content-length")
        if scope["path"] == UPLOAD_PATH:
            if declared is None or not declared.isdigit():
                return Refusal.LENGTH_REQUIRED, receive
            if int(declared) > self.rules.max_upload_bytes:
                return Refusal.TOO_LARGE, receive
            budget = self.rules.upload_quota_bytes - int(declared)
            await anyio.to_thread.run_sync(make_room, self.rules.upload_dir, budget)  # a walk of the folder
            return None, receive
        if declared is not None and declared.isdigit() and int(declared) > self.rules.max_json_bytes:
            return Refusal.TOO_LARGE, receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.rules.max_json_bytes:
                return Refusal.TOO_LARGE, receive
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        refusal = self._call_refusal(body) if body[:1] == b"{" else None
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return refusal, replay

    def _call_refusal(self, body: bytes) -> Refusal | None:
        try:
            call = json.loads(body)
        except ValueError:
            return None  # Gradio answers malformed JSON with a short 422
        if not isinstance(call, dict):
            return None
        data = call.get("data")
        if isinstance(data, list) and any(isinstance(v, list) and len(v) > self.rules.max_list_items for v in data):
            return Refusal.TOO_MANY_ITEMS
        event = call.get("fn_index")
        if isinstance(event, int) and event not in self.rules.known_events:
            return Refusal.UNKNOWN_FUNCTION  # Gradio would log a full traceback for it
        return None

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
        client = (scope.get("client") or ("?",))[0]
        logger.warning("refused %s %s from %s: %s (%d)", scope.get("method", "WEBSOCKET"),
                       scope.get("path", "")[:200], client, refusal.name, refusal.status)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response = PlainTextResponse(refusal.message, status_code=refusal.status, headers=SECURITY_HEADERS)
        await response(scope, receive, send)


def folder_size(folder: Path) -> int:
    """Bytes in the files under a folder."""
    return sum(p.stat().st_size for p in _files(folder))


def make_room(folder: Path, budget: int) -> int:
    """Delete the oldest files under `folder` until the rest fit in `budget` bytes; returns bytes removed."""
    files = sorted(_files(folder), key=lambda p: p.stat().st_mtime)
    total = sum(p.stat().st_size for p in files)
    removed = 0
    for path in files:
        if total - removed <= max(budget, 0):
            break
        size = path.stat().st_size
        path.unlink(missing_ok=True)
        removed += size
        if path.parent != folder:  # Gradio keeps each upload in a folder of its own
            with contextlib.suppress(OSError):
                path.parent.rmdir()
    if removed:
        logger.warning("upload folder over its quota: removed %d bytes of the oldest uploads", removed)
    return removed


def _files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink() and path.name != ".lock":
                found.append(path)
    return found


@contextlib.contextmanager
def temp_folder(parent: Path | None = None) -> Iterator[Path]:
    """A fresh careerbot-* folder for Gradio's uploads, locked while the app runs and removed when it stops.

    Folders of earlier runs that nothing holds any more (a crash, a kill) are removed first.
    """
    parent = parent or Path(tempfile.gettempdir())
    if removed := remove_stale_temp_folders(parent):
        logger.info("removed %d temp folder(s) left by earlier runs", removed)
    folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=parent))
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def remove_stale_temp_folders(parent: Path, grace_seconds: float = 60.0) -> int:
    """Remove careerbot-* folders whose app is gone (lock free); returns how many."""
    removed = 0
    for folder in parent.glob(TEMP_PREFIX + "*"):
        try:
            if not folder.is_dir() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
            lock_path = folder / ".lock"
            if not lock_path.exists():  # an app that is starting right now has not locked it yet
                if time.time() - folder.stat().st_mtime < grace_seconds:
                    continue
            elif not _lock_is_free(lock_path):
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _lock_is_free(path: Path) -> bool:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
