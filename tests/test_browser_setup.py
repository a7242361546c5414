"""scripts/browser.py: which Chromium `make test` uses, and the one line it prints when there is none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from scripts.browser import SETTING, BrowserError, find_browser, install_command


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_a_configured_browser_comes_first(tmp_path: Path) -> None:
    mine, debian = _executable(tmp_path / "my-chromium"), _executable(tmp_path / "chromium")
    assert find_browser({SETTING: str(mine)}, debian=debian, downloaded=lambda: None) == mine


def test_a_configured_path_that_is_missing_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    debian = _executable(tmp_path / "chromium")
    with pytest.raises(BrowserError, match=f"{SETTING}=.*not an executable file"):
        find_browser({SETTING: str(tmp_path / "absent")}, debian=debian, downloaded=lambda: None)


def test_debian_chromium_then_playwrights_own_download(tmp_path: Path) -> None:
    debian, downloaded = _executable(tmp_path / "chromium"), _executable(tmp_path / "chrome")
    assert find_browser({}, debian=debian, downloaded=lambda: downloaded) == debian
    assert find_browser({}, debian=tmp_path / "missing", downloaded=lambda: downloaded) == downloaded


def test_no_browser_anywhere_is_none(tmp_path: Path) -> None:
    plain_file = tmp_path / "chromium"
    plain_file.write_text("not executable")
    assert find_browser({}, debian=plain_file, downloaded=lambda: None) is None


def test_root_installs_directly_and_others_need_passwordless_sudo(tmp_path: Path) -> None:
    assert install_command(True, None) == []
    assert install_command(False, None) is None
    refusing_sudo = tmp_path / "sudo"
    refusing_sudo.write_text("#!/bin/sh\nexit 1\n")
    refusing_sudo.chmod(0o755)
    assert install_command(False, str(refusing_sudo)) is None
    assert install_command(False, str(_executable(tmp_path / "sudo-ok"))) == [str(tmp_path / "sudo-ok"), "-n"]


def test_the_script_says_in_one_line_what_to_run(tmp_path: Path) -> None:
    env = {**os.environ, SETTING: str(tmp_path / "absent")}
    done = subprocess.run([sys.executable, "scripts/browser.py"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_the_script_prints_the_browser_it_found() -> None:
    done = subprocess.run([sys.executable, "scripts/browser.py", "--find-only"], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.is_file() and os.access(path, os.X_OK)
    version = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=60)
    assert "chrom" in version.stdout.lower()
