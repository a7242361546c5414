"""A scripted OpenAI-compatible chat server on 127.0.0.1, for testing the LLM backend without a model."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chatbot.text import content_stems

LIE = "Machine learning engineers earn $987,654 a year [1]."
COMMON = {"machin", "learn", "engin"}  # in every chunk of the seed guide: they pick nothing out


def grounded_reply(system: str, question: str) -> str:
    """Copy the source sentence that shares most words with the question, cited: what a careful model does."""
    best, best_n, best_score = "", 1, -1
    for n, body in re.findall(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', system, re.S):
        for sentence in re.split(r"(?<=[.!?])\s+|\n", body):
            sentence = sentence.strip().lstrip("-* ").strip()
            score = len((set(content_stems(sentence)) & set(content_stems(question))) - COMMON)
            if sentence and score > best_score:
                best, best_n, best_score = sentence, int(n), score
    return f"{best} [{best_n}]"


class Stub:
    """The server and what it was asked; `mode` picks the reply: grounded, invent, badcite, slow, nocite, lie."""

    def __init__(self) -> None:
        self.mode = "grounded"
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                stub.requests.append(body)
                text = stub.reply(body)
                if stub.mode == "slow":
                    time.sleep(stub.delay)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    self._send(body, text)

            def _send(self, body: dict[str, Any], text: str) -> None:
                base = {"id": "stub", "created": 0, "model": body.get("model", "stub")}
                if not body.get("stream"):
                    payload = {**base, "object": "chat.completion", "choices": [{"index": 0, "finish_reason": "stop",
                               "message": {"role": "assistant", "content": text}}],
                               "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
                    data = json.dumps(payload).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for piece in re.findall(r"\S+\s*", text):
                    chunk = {**base, "object": "chat.completion.chunk",
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                end = {**base, "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def reply(self, body: dict[str, Any]) -> str:
        messages = body.get("messages", [])
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        question = messages[-1]["content"] if messages else ""
        if self.mode == "lie":  # every request, condensing included, gets the same invented figure
            return LIE
        if system.startswith("Rewrite the user's last message"):
            last = question.rsplit("Last message:", 1)[-1].strip()
            return f"{last} (machine learning engineer)"
        match self.mode:
            case "invent":
                return "A Machine Learning Engineer earns about $999,999 a year [1]."
            case "badcite":
                return "Machine Learning Engineers are in high demand [7]."
            case "nocite":
                return "It depends on many things."
            case _:
                return grounded_reply(system, question)

    def __enter__(self) -> Stub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
