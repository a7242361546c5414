"""A LangChain chat model over a local GGUF file, run in-process by llama-cpp-python."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ChatMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from chatbot.errors import ConfigError

LLAMA_CPP_VERSION = "0.3.36"
# The default native build crashes on the first decode on CPUs with AMX, so the SIMD levels are named explicitly.
CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON"
INSTALL_COMMAND = f'CMAKE_ARGS="{CMAKE_ARGS}" .venv/bin/pip install llama-cpp-python=={LLAMA_CPP_VERSION}'
ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class LlamaCppChat(BaseChatModel):
    """Greedy chat completions from a GGUF model; one generation at a time per instance."""

    model_path: Path
    max_tokens: int = 512
    temperature: float = 0.0
    timeout: float | None = None  # seconds for one reply, waiting for the model included; None: no limit
    n_ctx: int = 4096
    n_batch: int = 512
    n_threads: int | None = None  # None: os.cpu_count()

    _llama: Any = PrivateAttr(default=None)
    _load_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _run_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        """The backend name LangChain records in traces."""
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        """The settings that make two instances answer alike."""
        return {"model_path": str(self.model_path), "max_tokens": self.max_tokens, "temperature": self.temperature}

    def load(self) -> Any:
        """The llama_cpp.Llama instance, loaded on first use (once, even with concurrent callers)."""
        if self._llama is not None:
            return self._llama
        with self._load_lock:
            if self._llama is None:
                self._llama = _load_llama(self.model_path, self.n_ctx, self.n_batch, self.n_threads)
        return self._llama

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Generate one complete reply."""
        deadline = _deadline(self.timeout)
        llama = self.load()
        with self._turn(deadline):
            timed_out, processor = _deadline_processor(llama, deadline)
            response = llama.create_chat_completion(
                messages=to_llama_messages(messages), stream=False, logits_processor=processor, **self._options(stop)
            )
        if timed_out.is_set():
            raise TimeoutError(f"the local model did not finish its reply within {self.timeout:g} s")
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata={"finish_reason": choice.get("finish_reason"), "model_name": self.model_path.name},
            usage_metadata=UsageMetadata(
                input_tokens=usage.get("prompt_tokens", 0),
                output_tokens=usage.get("completion_tokens", 0),
                total_tokens=usage.get("total_tokens", 0),
            ),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Generate a reply piece by piece (about one token per chunk)."""
        deadline = _deadline(self.timeout)
        llama = self.load()
        with self._turn(deadline):
            timed_out, processor = _deadline_processor(llama, deadline)
            pieces = llama.create_chat_completion(
                messages=to_llama_messages(messages), stream=True, logits_processor=processor, **self._options(stop)
            )
            finish_reason = None
            try:
                for piece in pieces:
                    choice = piece["choices"][0]
                    finish_reason = choice.get("finish_reason") or finish_reason
                    text = choice["delta"].get("content") or ""
                    if not text:
                        continue
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager is not None:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
            finally:
                pieces.close()  # a caller that stops reading ends the generation and frees the model
        if timed_out.is_set():
            raise TimeoutError(f"the local model did not finish its reply within {self.timeout:g} s")
        metadata = {"finish_reason": finish_reason, "model_name": self.model_path.name}
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=metadata, chunk_position="last"))

    def _options(self, stop: list[str] | None) -> dict[str, Any]:
        """Sampling options for create_chat_completion: greedy when temperature is 0."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "stop": stop or [], "seed": 0}

    @contextmanager
    def _turn(self, deadline: float | None) -> Iterator[None]:
        """Exclusive use of the model (a llama.cpp context serves one generation at a time)."""
        wait = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
        if not self._run_lock.acquire(timeout=wait):
            raise TimeoutError(f"the local model was busy with other replies for {self.timeout:g} s")
        try:
            yield
        finally:
            self._run_lock.release()


def to_llama_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as llama-cpp-python's [{"role", "content"}] list."""
    converted = []
    for message in messages:
        role = message.role if isinstance(message, ChatMessage) else ROLES.get(message.type)
        if role is None:
            raise ValueError(f"LlamaCppChat cannot send a {message.type!r} message")
        converted.append({"role": role, "content": message.text})
    return converted


def _load_llama(model_path: Path, n_ctx: int, n_batch: int, n_threads: int | None) -> Any:
    """Import llama_cpp and load the model, turning the usual failures into ConfigError."""
    # llama.cpp's OpenMP threads otherwise spin while waiting: on a busy 2-core machine (an embedding, another
    # process) that cut decoding from ~8 to ~1 token/s here. Read once, when llama_cpp first loads libgomp.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import llama_cpp
    except ImportError:
        raise ConfigError(f"llama-cpp-python is not installed; install it with: {INSTALL_COMMAND}") from None
    if not model_path.is_file():
        raise ConfigError(f"no GGUF model at {model_path}; fetch one with: .venv/bin/python scripts/fetch_gguf.py")
    try:
        return llama_cpp.Llama(
            model_path=str(model_path),
            n_ctx=n_ctx,
            n_batch=n_batch,
            n_threads=n_threads or os.cpu_count(),
            verbose=False,
        )
    except ValueError as exc:  # llama-cpp-python's error for a file it cannot load
        raise ConfigError(f"cannot load the GGUF model {model_path}: {exc}") from None


def _deadline(timeout: float | None) -> float | None:
    """The monotonic time a reply must end by, or None."""
    return None if timeout is None else time.monotonic() + timeout


def _deadline_processor(llama: Any, deadline: float | None) -> tuple[threading.Event, list[Callable[..., Any]] | None]:
    """A logits processor that forces end-of-text once the deadline passes, and the flag it sets."""
    timed_out = threading.Event()
    if deadline is None:
        return timed_out, None
    eos = llama.token_eos()

    def force_eos(input_ids: Any, scores: Any) -> Any:
        if time.monotonic() > deadline:
            timed_out.set()
            scores[:] = -float("inf")
            scores[eos] = 0.0
        return scores

    return timed_out, [force_eos]
