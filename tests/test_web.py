"""The web edge in-process: host and origin rules, the .env rule, body bounds, the upload quota, temp folders."""

import json
import os
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from chatbot.web import (
    DOTENV_PATH,
    NAMED_CALL,
    SECURITY_HEADERS,
    Edge,
    EdgeRules,
    allowed_hosts,
    folder_size,
    hostname,
    make_room,
    remove_stale_temp_folders,
    temp_folder,
)

MB = 1024 * 1024


@pytest.mark.parametrize(("value", "name"), [
    ("127.0.0.1:7860", "127.0.0.1"), ("LOCALHOST", "localhost"), ("[::1]:7860", "::1"), ("a.example", "a.example"),
    ("http://localhost:7860", "localhost"), ("https://a.example", "a.example"), ("null", "null"), ("", None),
    ("[broken", None),
])
def test_hostname_of_host_headers_and_origins(value: str, name: str | None) -> None:
    assert hostname(value) == name


def test_allowed_hosts_are_loopback_the_configured_host_and_extra_names() -> None:
    assert allowed_hosts("0.0.0.0") == {"127.0.0.1", "localhost", "::1"}
    assert allowed_hosts("chat.internal", ["Proxy.Example ", "[::2]"]) == {
        "127.0.0.1", "localhost", "::1", "chat.internal", "proxy.example", "::2"}


@pytest.mark.parametrize("path", ["/.env", "/gradio_api/file=/repo/.env", "/gradio_api/file=.ENV", "/x/.env.local",
                                  "/gradio_api/file=C:\\app\\.env"])
def test_dotenv_rule_matches_settings_files(path: str) -> None:
    assert DOTENV_PATH.search(path)


@pytest.mark.parametrize("path", ["/gradio_api/file=/tmp/x/envoy.md", "/.envoy", "/a.env", "/environment", "/"])
def test_dotenv_rule_leaves_other_paths_alone(path: str) -> None:
    assert not DOTENV_PATH.search(path)


@pytest.mark.parametrize(("path", "name"), [
    ("/gradio_api/run/run_2", "run_2"), ("/gradio_api/api/chat", "chat"), ("/gradio_api/call/run_3", "run_3"),
    ("/gradio_api/call/chat/abc123", "chat"), ("/gradio_api/call/v2/run_1", "run_1"),
])
def test_named_call_rule_finds_the_event_name(path: str, name: str) -> None:
    match = NAMED_CALL.match(path)
    assert match and match.group(1) == name


@pytest.mark.parametrize("path", ["/gradio_api/queue/join", "/gradio_api/info", "/gradio_api/upload", "/config"])
def test_named_call_rule_leaves_other_routes_alone(path: str) -> None:
    assert not NAMED_CALL.match(path)


def _client(tmp_path: Path, **changes: object) -> TestClient:
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{len(await request.body())} bytes")

    rules = EdgeRules(allowed_hosts=allowed_hosts("127.0.0.1"), public_names=frozenset({"chat"}),
                      known_events=frozenset({0, 1}), upload_dir=tmp_path, max_upload_bytes=2 * MB,
                      upload_quota_bytes=5 * MB, max_json_bytes=MB, max_list_items=10)
    rules = EdgeRules(**{**rules.__dict__, **changes})
    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    return TestClient(Edge(app, rules), base_url="http://127.0.0.1:7860")


def test_edge_answers_refused_requests_itself_with_security_headers(tmp_path: Path) -> None:
    client = _client(tmp_path)
    ok = client.get("/")
    assert ok.status_code == 200 and all(ok.headers[k] == v for k, v in SECURITY_HEADERS.items())
    assert client.get("/", headers={"host": "rebind.example:7860"}).status_code == 421
    assert client.get("/", headers={"host": "localhost:7860"}).status_code == 200
    assert client.post("/gradio_api/queue/join", content=b"{}", headers={"origin": "http://evil.example"}
                       ).status_code == 403
    assert client.post("/gradio_api/queue/join", content=b"{}", headers={"origin": "http://127.0.0.1:7860"}
                       ).status_code == 200
    for other in ("http://localhost:7860", "http://127.0.0.1:8080", "null", "http://proxy.example.evil"):
        assert client.post("/x", content=b"{}", headers={"origin": other}).status_code == 403, other
    behind = _client(tmp_path, proxy_hosts=frozenset({"proxy.example"}))
    assert behind.post("/x", content=b"{}", headers={"origin": "https://proxy.example"}).status_code == 200
    assert client.get("/", headers={"origin": "http://evil.example"}).status_code == 200  # reading is CORS's job
    refused = client.get("/gradio_api/run/run_2")
    assert refused.status_code == 404 and refused.headers["x-frame-options"] == "SAMEORIGIN"
    assert client.get("/gradio_api/file=/x/.env").status_code == 404


def test_edge_bounds_call_bodies_before_the_app_sees_them(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    client = _client(tmp_path)
    assert client.post("/x", content=b"a" * (MB + 1)).status_code == 413
    assert client.post("/x", content=iter([b"a" * MB, b"b"])).status_code == 413  # chunked, no Content-Length
    long_chat = json.dumps({"data": ["hi", [{"role": "user", "content": "x"}] * 11, None], "fn_index": 0})
    assert client.post("/gradio_api/queue/join", content=long_chat).status_code == 413
    assert client.post("/gradio_api/queue/join", content=json.dumps({"data": [], "fn_index": 7})).status_code == 404
    fine = client.post("/gradio_api/queue/join", content=json.dumps({"data": ["hi", [], None], "fn_index": 1}))
    assert fine.status_code == 200 and fine.text.endswith(" bytes") and fine.text != "0 bytes"
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert len(lines) == 4 and all(len(line) < 300 for line in lines)


def test_upload_needs_a_length_and_fits_the_quota(tmp_path: Path) -> None:
    client = _client(tmp_path)
    assert client.post("/gradio_api/upload", content=iter([b"x"])).status_code == 411
    assert client.post("/gradio_api/upload", content=b"x" * (2 * MB + 1)).status_code == 413
    for n in range(4):
        (tmp_path / f"old-{n}").mkdir()
        (tmp_path / f"old-{n}" / "guide.md").write_bytes(b"x" * MB)
        os.utime(tmp_path / f"old-{n}" / "guide.md", (time.time() - 100 + n, time.time() - 100 + n))
    assert client.post("/gradio_api/upload", content=b"y" * (2 * MB)).status_code == 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old-1", "old-2", "old-3"], "the oldest went first"


def test_make_room_removes_oldest_files_until_the_rest_fit(tmp_path: Path) -> None:
    for n in range(5):
        path = tmp_path / f"f{n}"
        path.write_bytes(b"x" * 100)
        os.utime(path, (n, n))
    assert make_room(tmp_path, 250) == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f3", "f4"] and folder_size(tmp_path) == 200


def test_temp_folder_is_removed_at_exit_and_stale_ones_at_start(tmp_path: Path) -> None:
    stale = tmp_path / "careerbot-old"
    (stale / "upload").mkdir(parents=True)
    (stale / ".lock").write_text("")
    unlocked_old = tmp_path / "careerbot-before-locks"
    unlocked_old.mkdir()
    os.utime(unlocked_old, (time.time() - 3600, time.time() - 3600))
    just_made = tmp_path / "careerbot-starting"
    just_made.mkdir()
    other = tmp_path / "somebody-else"
    other.mkdir()
    with temp_folder(tmp_path) as folder:
        assert folder.is_dir() and folder.name.startswith("careerbot-")
        assert not stale.exists() and not unlocked_old.exists()
        assert just_made.exists() and other.exists()
        assert remove_stale_temp_folders(tmp_path) == 0, "a running app's folder is locked"
        (folder / "upload.md").write_text("x")
    assert not folder.exists()
