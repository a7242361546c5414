"""LlamaCppChat: the real GGUF model when llama-cpp-python and models/ are there, a stand-in llama_cpp otherwise."""

from __future__ import annotations

import os
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from conftest import ROOT
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage

from chatbot.errors import ConfigError
from chatbot.llamacpp import LlamaCppChat, to_llama_messages

GGUF = ROOT / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
QUESTION = [
    SystemMessage("You are a careers adviser. Answer in one short sentence."),
    HumanMessage("What does a data analyst do?"),
]


@pytest.fixture(scope="module")
def real_chat() -> LlamaCppChat:
    """The wrapper over the real model, loaded once for this module."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as LlamaCppChat sets it; importing llama_cpp reads it
    pytest.importorskip("llama_cpp")
    if not GGUF.is_file():
        pytest.skip(f"no GGUF at {GGUF} (python scripts/fetch_gguf.py fetches it)")
    return LlamaCppChat(model_path=GGUF, max_tokens=48, timeout=120)


def test_real_model_answers_a_question_with_a_system_message(real_chat: LlamaCppChat) -> None:
    reply = real_chat.invoke(QUESTION)
    assert isinstance(reply, AIMessage)
    assert isinstance(reply.content, str) and reply.content.strip()
    assert reply.usage_metadata is not None and 0 < reply.usage_metadata["output_tokens"] <= 48


def test_real_model_streams_several_chunks(real_chat: LlamaCppChat) -> None:
    chunks = list(real_chat.stream(QUESTION))
    assert all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    texts = [chunk.content for chunk in chunks if chunk.content]
    assert len(texts) >= 3
    assert "".join(str(text) for text in texts).strip()


def test_missing_llama_cpp_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` raise ImportError
    chat = LlamaCppChat(model_path=tmp_path / "model.gguf")
    with pytest.raises(ConfigError, match="CMAKE_ARGS") as caught:
        chat.invoke(QUESTION)
    assert "llama-cpp-python==0.3.36" in str(caught.value) and "-DGGML_NATIVE=OFF" in str(caught.value)


class FakeLlama:
    """Stands in for llama_cpp.Llama: replies with fixed words, one chunk per word."""

    loads: ClassVar[int] = 0
    words: ClassVar[list[str]] = ["Data", " analysts", " turn", " numbers", " into", " answers."]

    def __init__(self, **kwargs: Any) -> None:
        time.sleep(0.05)  # widen the window for a racing second load
        type(self).loads += 1
        self.kwargs = kwargs
        self.calls: list[dict[str, Any]] = []

    def token_eos(self) -> int:
        return 0

    def create_chat_completion(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        words = []
        for word in self.words:
            scores = np.array([0.0, 1.0], dtype=np.float32)
            for processor in kwargs.get("logits_processor") or []:
                scores = processor([], scores)
            if scores[0] == 0.0 and scores[1] < 0:  # the wrapper forced end-of-text
                break
            words.append(word)
            time.sleep(0.01)
        if not kwargs["stream"]:
            return {"choices": [{"message": {"content": "".join(words)}, "finish_reason": "stop"}], "usage": {}}
        return self._pieces(words)

    def _pieces(self, words: list[str]) -> Iterator[dict[str, Any]]:
        yield {"choices": [{"delta": {"role": "assistant"}, "finish_reason": None}]}
        for word in words:
            yield {"choices": [{"delta": {"content": word}, "finish_reason": None}]}
        yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}


@pytest.fixture
def fake_llama(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A stand-in llama_cpp module and an (empty) model file; returns the file."""
    FakeLlama.loads = 0
    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=FakeLlama))
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    return model


def test_loads_once_with_the_required_settings_even_from_many_threads(fake_llama: Path) -> None:
    chat = LlamaCppChat(model_path=fake_llama)
    threads = [threading.Thread(target=chat.invoke, args=(QUESTION,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert FakeLlama.loads == 1
    llama = chat.load()
    assert llama.kwargs["model_path"] == str(fake_llama) and llama.kwargs["verbose"] is False
    assert (llama.kwargs["n_ctx"], llama.kwargs["n_batch"]) == (4096, 512) and llama.kwargs["n_threads"] >= 1
    assert len(llama.calls) == 4
    assert all(call["temperature"] == 0 and call["max_tokens"] == 512 for call in llama.calls)


def test_messages_and_replies_are_converted(fake_llama: Path) -> None:
    chat = LlamaCppChat(model_path=fake_llama, max_tokens=20)
    history = [*QUESTION, AIMessage("They analyse data."), HumanMessage("And pay?")]
    assert [m["role"] for m in to_llama_messages(history)] == ["system", "user", "assistant", "user"]
    assert chat.invoke(QUESTION).content == "".join(FakeLlama.words)
    chunks = [chunk.content for chunk in chat.stream(QUESTION)]
    assert [c for c in chunks if c] == FakeLlama.words
    sent = chat.load().calls[-1]
    assert sent["stream"] is True and sent["messages"][0] == {"role": "system", "content": QUESTION[0].content}


def test_a_missing_model_file_is_a_config_error(fake_llama: Path) -> None:
    with pytest.raises(ConfigError, match="fetch_gguf"):
        LlamaCppChat(model_path=fake_llama.with_name("absent.gguf")).invoke(QUESTION)


def test_a_reply_past_the_timeout_stops_and_raises(fake_llama: Path) -> None:
    chat = LlamaCppChat(model_path=fake_llama, timeout=0.025)
    chat.load()  # loading is not what is being timed here
    with pytest.raises(TimeoutError):
        chat.invoke(QUESTION)
    with pytest.raises(TimeoutError):
        list(chat.stream(QUESTION))
