"""Settings: defaults, CAREERBOT_* variables, a .env file, and clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from pydantic import ValidationError

from chatbot.config import Settings
from chatbot.errors import ConfigError


def test_defaults_work_from_a_fresh_clone() -> None:
    settings = Settings.from_env(env_file=None)
    assert settings == Settings()
    assert settings.host == "127.0.0.1" and settings.port == 7860
    assert settings.knowledge_dir == ROOT / "knowledge"
    assert settings.index_dir == ROOT / ".index"
    assert settings.embedding_model == "" and settings.llm == "extractive"
    assert settings.chroma_url == "" and settings.admin_password == ""
    assert settings.max_guide_bytes == 10 * 1024 * 1024
    assert settings.top_k == 4 and settings.max_question_chars == 2000


def test_careerbot_variables_are_parsed_by_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {
        "CAREERBOT_HOST": "0.0.0.0",
        "CAREERBOT_PORT": "8080",
        "CAREERBOT_KNOWLEDGE_DIR": str(tmp_path / "guides"),
        "CAREERBOT_INDEX_DIR": "~/careerbot-index",
        "CAREERBOT_MAX_GUIDE_MB": "0.5",
        "CAREERBOT_TOP_K": "6",
        "CAREERBOT_LLM": "openai",
        "CAREERBOT_EMBEDDING_MODEL": "",  # empty means "not set"
        "PORT": "1",  # no prefix: ignored
        "CAREERBOT_UNKNOWN": "x",
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(env_file=None)
    assert settings.host == "0.0.0.0"
    assert settings.port == 8080 and isinstance(settings.port, int)
    assert settings.knowledge_dir == tmp_path / "guides"
    assert settings.index_dir == Path.home() / "careerbot-index"
    assert settings.max_guide_mb == 0.5 and settings.max_guide_bytes == 512 * 1024
    assert settings.top_k == 6 and settings.llm == "openai"
    assert settings.embedding_model == ""


def test_process_environment_is_used_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREERBOT_PORT", "9001")
    monkeypatch.setenv("CAREERBOT_ADMIN_PASSWORD", "hunter2")
    settings = Settings.from_env(env_file=None)
    assert settings.port == 9001 and settings.admin_password == "hunter2"


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# local overrides\n"
        "CAREERBOT_PORT=9000\n"
        'CAREERBOT_ADMIN_PASSWORD="s3cret value"\n'
        "CAREERBOT_TOP_K=3\n"
        "export CAREERBOT_HOST=0.0.0.0\n"
    )
    from_file = Settings.from_env(env_file=env_file)
    assert from_file.port == 9000 and from_file.top_k == 3
    assert from_file.admin_password == "s3cret value"
    assert from_file.host == "0.0.0.0"
    monkeypatch.setenv("CAREERBOT_PORT", "9100")
    overridden = Settings.from_env(env_file=env_file)
    assert overridden.port == 9100 and overridden.top_k == 3


def test_a_missing_dotenv_file_is_fine(tmp_path: Path) -> None:
    assert Settings.from_env(env_file=tmp_path / "absent.env") == Settings()


@pytest.mark.parametrize(
    ("name", "raw"),
    [("CAREERBOT_PORT", "eighty"), ("CAREERBOT_TOP_K", "4.5"), ("CAREERBOT_MAX_GUIDE_MB", "ten")],
)
def test_a_bad_number_is_a_config_error_naming_the_variable(name: str, raw: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env_file=None)
    message = str(info.value)
    assert name in message and repr(raw) in message


def test_a_bad_number_in_dotenv_is_a_config_error(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("CAREERBOT_PORT=abc\n")
    with pytest.raises(ConfigError, match="CAREERBOT_PORT='abc' is not a valid int"):
        Settings.from_env(env_file=env_file)


def test_settings_are_frozen_and_replace_makes_a_copy() -> None:
    settings = Settings()
    changed = settings.replace(port=9999, knowledge_dir=Path("/tmp/k"))
    assert (changed.port, changed.knowledge_dir) == (9999, Path("/tmp/k"))
    assert settings.port == 7860
    with pytest.raises(ValidationError, match="frozen"):
        settings.port = 1  # type: ignore[misc]
    with pytest.raises(ConfigError, match="CAREERBOT_PORT='x' is not a valid int"):
        settings.replace(port="x")


def test_load_settings_applies_only_given_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from chatbot.service import load_settings

    monkeypatch.setenv("CAREERBOT_PORT", "9002")
    settings = load_settings(knowledge_dir=tmp_path, index_dir=None)
    assert settings.knowledge_dir == tmp_path
    assert settings.index_dir == Settings().index_dir
    assert settings.port == 9002


def test_explicit_values_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREERBOT_PORT", "9003")
    assert Settings().port == 9003  # the environment is a source of pydantic-settings ...
    assert Settings(port=1).port == 1  # ... and explicit values win over it


def test_a_bad_value_stops_the_app_with_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "CAREERBOT_PORT": "abc", "CAREERBOT_INDEX_DIR": str(tmp_path / "index")}
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: CAREERBOT_PORT='abc' is not a valid int"
