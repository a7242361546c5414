"""The few exceptions the package raises; each message is written for the person reading it."""

from __future__ import annotations


class CareerBotError(Exception):
    """Base class: str(error) is a message fit to show a user."""


class GuideError(CareerBotError):
    """A guide file that cannot be loaded; the other guides are unaffected."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class IndexBusyError(CareerBotError):
    """Another process is writing the index."""


class IndexMissingError(CareerBotError):
    """There is no index yet, or it cannot be opened."""


class IndexUnavailableError(CareerBotError):
    """The Chroma server cannot be reached right now."""


class ConfigError(CareerBotError):
    """A setting has a value that cannot work."""


class QuestionError(CareerBotError):
    """A question that cannot be answered as typed (too long, empty)."""
