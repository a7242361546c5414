"""Chroma server mode: ingest, chat and evaluation against `chroma run` on 127.0.0.1, with several app processes."""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.browser_support import free_port, running_app
from tests.helpers import ROOT, SEED

pytestmark = pytest.mark.slow
CHROMA = Path(sys.executable).parent / "chroma"
QUESTION = "What is the average salary of a machine learning engineer?"


class ChromaServer:
    """`chroma run` from the installed package, stoppable and restartable on the same port and folder."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "RUST_LOG": "warn"}
        self.process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("chroma run did not start within 30 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    server.start()
    yield server
    server.stop()


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
                          capture_output=True, text=True, timeout=600)


def scores(index: Path, chroma_url: str) -> dict[str, object]:
    result = run(["-m", "chatbot.eval", "eval/dev.jsonl", "--index", str(index), "--json"],
                 {"CAREERBOT_CHROMA_URL": chroma_url})
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    return {k: v for k, v in summary.items() if k not in ("cases",) and not k.startswith("latency")}


def ask(port: int, question: str) -> str:
    from gradio_client import Client

    history, _ = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(question, [], api_name="/chat")
    return " ".join(part["text"] for message in history if message["role"] == "assistant"
                    for part in message["content"] if part.get("type") == "text")


def test_ingest_and_eval_through_the_server_match_embedded(chroma: ChromaServer, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    shutil.copy(SEED, knowledge)
    for index, url in ((tmp_path / "embedded", ""), (tmp_path / "server", chroma.url)):
        result = run(["ingest.py", "--knowledge", str(knowledge), "--index", str(index), "--json"],
                     {"CAREERBOT_CHROMA_URL": url})
        assert result.returncode == 0, result.stderr[-2000:]
        assert json.loads(result.stdout)["added"] == 9
    assert not (tmp_path / "server" / "chroma").exists()  # nothing embedded: vectors and record are on the server
    listings = [run(["-m", "chatbot", "guides", "--index", str(tmp_path / name), "--json"],
                    {"CAREERBOT_CHROMA_URL": url}) for name, url in (("embedded", ""), ("server", chroma.url))]
    assert all(r.returncode == 0 for r in listings), [r.stderr[-2000:] for r in listings]
    assert json.loads(listings[1].stdout) == json.loads(listings[0].stdout)
    assert json.loads(listings[1].stdout)["guides"][0]["role"] == "Machine Learning Engineer"
    assert scores(tmp_path / "server", chroma.url) == scores(tmp_path / "embedded", "")
    busy = run(["ingest.py", "--knowledge", str(knowledge), "--index", str(tmp_path / "server"), "--json"],
               {"CAREERBOT_CHROMA_URL": chroma.url})
    assert json.loads(busy.stdout)["embedded"] == 0


def test_two_apps_and_an_ingest_share_one_server(chroma: ChromaServer, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    shutil.copy(SEED, knowledge)
    index = tmp_path / "index"
    with ExitStack() as stack:
        apps = [stack.enter_context(running_app(knowledge, index, tmp_path / f"app{i}", chroma_url=chroma.url))
                for i in range(2)]
        for app in apps:  # the second app is not refused: the server, not a local folder, holds the index
            assert "$112,430" in ask(app.port, QUESTION)
        guide = knowledge / SEED.name
        guide.write_text(guide.read_text().replace("$112,430", "$150,000"))
        ingest = run(["ingest.py", "--knowledge", str(knowledge), "--index", str(index), "--json"],
                     {"CAREERBOT_CHROMA_URL": chroma.url})
        assert ingest.returncode == 0 and json.loads(ingest.stdout)["updated"] >= 1, ingest.stderr[-2000:]
        for app in apps:  # the new version is built in the background; until then the old one answers
            deadline, answer = time.monotonic() + 60, ask(app.port, QUESTION)
            while "$150,000" not in answer and time.monotonic() < deadline:
                time.sleep(0.5)
                answer = ask(app.port, QUESTION)
            assert "$150,000" in answer and "$112,430" not in answer
        with (index / "ingest.lock").open("a"):  # a second ingest while one runs is refused
            import fcntl

            holder = os.open(index / "ingest.lock", os.O_RDWR)
            fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            try:
                second = run(["ingest.py", "--knowledge", str(knowledge), "--index", str(index)],
                             {"CAREERBOT_CHROMA_URL": chroma.url})
            finally:
                os.close(holder)
        assert second.returncode == 1 and "another ingest" in second.stderr


def test_a_server_outage_gives_a_message_and_the_app_recovers(chroma: ChromaServer, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    shutil.copy(SEED, knowledge)
    with running_app(knowledge, tmp_path / "index", tmp_path / "app", chroma_url=chroma.url) as app:
        assert "$112,430" in ask(app.port, QUESTION)
        chroma.stop()
        try:
            down = ask(app.port, QUESTION)
            assert "not reachable right now" in down and "Traceback" not in down
        finally:
            chroma.start()
        assert "$112,430" in ask(app.port, QUESTION)
