"""Find a Chromium for the browser tests, or install Debian's: python scripts/browser.py [--find-only]."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

SETTING = "CAREERBOT_CHROMIUM"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
HOW_TO = (
    "no Chromium for the browser tests: run `sudo apt-get install chromium` "
    f"(or set {SETTING}=/path/to/chromium), then `make test` again"
)


class BrowserError(Exception):
    """No usable browser; the message names what to do."""


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def playwright_chromium() -> Path | None:
    """The browser `playwright install chromium` would have downloaded, if it is there."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            path = Path(playwright.chromium.executable_path)
    except Exception:  # no playwright, or no driver: there is no downloaded browser to use
        return None
    return path if _runnable(path) else None


def find_browser(
    environ: Mapping[str, str] | None = None,
    debian: Path = DEBIAN_CHROMIUM,
    downloaded: Callable[[], Path | None] = playwright_chromium,
) -> Path | None:
    """The browser to test with: the configured one, Debian's, then Playwright's own; None when there is none."""
    environ = os.environ if environ is None else environ
    if configured := environ.get(SETTING, "").strip():
        path = Path(configured).expanduser()
        if not _runnable(path):
            raise BrowserError(f"{SETTING}={configured} is not an executable file; fix it or unset it")
        return path
    if _runnable(debian):
        return debian
    return downloaded()


def install_command(is_root: bool, sudo: str | None) -> list[str] | None:
    """The command prefix that may install Debian packages here: none, or `sudo -n` when that works."""
    if is_root:
        return []
    if sudo and subprocess.run([sudo, "-n", "true"], capture_output=True).returncode == 0:
        return [sudo, "-n"]
    return None


def install_debian_chromium(prefix: list[str]) -> None:
    """apt-get install chromium (quietly); raises BrowserError with apt's last line on failure."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise BrowserError(f"`{' '.join(command)}` failed ({last[0]}); {HOW_TO}")


def ensure_browser(find_only: bool = False) -> Path:
    """A browser path, installing Debian's chromium when none is found and this user may install packages."""
    if found := find_browser():
        return found
    prefix = None if find_only or not shutil.which("apt-get") else install_command(os.geteuid() == 0,
                                                                                  shutil.which("sudo"))
    if prefix is None:
        raise BrowserError(HOW_TO)
    print("installing Debian's chromium for the browser tests (apt-get install chromium) ...", file=sys.stderr)
    install_debian_chromium(prefix)
    if found := find_browser():
        return found
    raise BrowserError(f"apt-get installed chromium but {DEBIAN_CHROMIUM} is missing; {HOW_TO}")


def main(argv: list[str]) -> int:
    """Print the browser's path; exit 1 with one line saying what to run when there is none."""
    try:
        print(ensure_browser(find_only="--find-only" in argv))
    except BrowserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
