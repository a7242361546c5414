"""Start `python app.py` on a temporary index and a free 127.0.0.1 port, and talk to it over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from common import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class App:
    """One app process; use as a context manager so it is always stopped (by its own pid)."""

    def __init__(self, knowledge: Path, index: Path, log_file: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {**os.environ, "CAREERBOT_KNOWLEDGE_DIR": str(knowledge), "CAREERBOT_INDEX_DIR": str(index),
               "CAREERBOT_PORT": str(self.port), "CAREERBOT_HOST": "127.0.0.1", "HF_HUB_OFFLINE": "1",
               "GRADIO_ANALYTICS_ENABLED": "False"}
        self.log = log_file.open("wb")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 600) -> float:
        """Seconds from start until the page answers; raises if the app died or never came up."""
        while time.perf_counter() - self.started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"app.py did not serve {self.url} within {timeout} s")

    def client(self) -> Any:
        from gradio_client import Client

        return Client(self.url, verbose=False)

    def status(self) -> dict[str, float]:
        """Current and peak resident memory (MB) and open file descriptors of the app process."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                fields[key] = int(value.split()[0])
        return {"rss_mb": round(fields["VmRSS"] / 1024, 1), "peak_rss_mb": round(fields["VmHWM"] / 1024, 1),
                "threads": fields["Threads"], "open_files": len(os.listdir(f"/proc/{self.proc.pid}/fd"))}

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def ask(client: Any, question: str) -> str:
    """Ask through the app's public /chat endpoint; returns the answer's text (HTML as the chat shows it)."""
    history = client.predict(question, [], api_name="/chat")[0]
    replies = [m for m in history if m.get("role") == "assistant" and not m.get("metadata")]
    content = replies[0]["content"] if replies else []
    return " ".join(part.get("text", "") for part in content) if isinstance(content, list) else str(content)
