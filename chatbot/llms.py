"""Optional LLM backends, chosen by CAREERBOT_LLM and imported only when chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from chatbot.config import Settings
from chatbot.errors import ConfigError

INSTALL = {
    "ollama": "pip install -e '.[ollama]'   (or: pip install langchain-ollama==1.1.0)",
    "openai": "pip install -e '.[openai]'   (or: pip install langchain-openai==1.7.3)",
}


def make_llm(settings: Settings) -> Any | None:
    """A LangChain chat model for `extractive` (None), `ollama:<model>`, `openai:<model>` or `llamacpp:<path>`."""
    kind, _, name = settings.llm.strip().partition(":")
    match kind:
        case "" | "extractive":
            return None
        case "ollama":
            try:
                from langchain_ollama import ChatOllama
            except ImportError:
                raise ConfigError(f"CAREERBOT_LLM={settings.llm} needs the Ollama extra: {INSTALL['ollama']}") from None
            return ChatOllama(
                model=_required(name, settings.llm),
                base_url=settings.ollama_url,
                temperature=0,
                num_predict=settings.llm_max_tokens,
                client_kwargs={"timeout": settings.llm_timeout},
            )
        case "openai":
            try:
                from langchain_openai import ChatOpenAI
            except ImportError:
                raise ConfigError(f"CAREERBOT_LLM={settings.llm} needs the OpenAI extra: {INSTALL['openai']}") from None
            return ChatOpenAI(  # type: ignore[call-arg]  # max_tokens is a pydantic alias mypy cannot see
                model=_required(name, settings.llm),
                base_url=settings.openai_base_url or None,
                api_key=SecretStr(settings.openai_api_key or "not-needed"),  # local servers ignore it
                temperature=0,
                max_tokens=settings.llm_max_tokens,
                timeout=settings.llm_timeout,
                max_retries=0,
            )
        case "llamacpp":
            from chatbot.llamacpp import LlamaCppChat

            return LlamaCppChat(
                model_path=Path(_required(name, settings.llm)),
                max_tokens=settings.llm_max_tokens,
                timeout=settings.llm_timeout,
            )
        case _:
            raise ConfigError(
                f"CAREERBOT_LLM={settings.llm!r} is not a backend: use extractive, ollama:<model>, "
                "openai:<model> or llamacpp:<path to .gguf>"
            )


def _required(name: str, spec: str) -> str:
    if not name.strip():
        raise ConfigError(f"CAREERBOT_LLM={spec!r} names no model: write it as backend:model")
    return name.strip()
