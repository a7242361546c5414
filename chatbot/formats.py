"""The guide formats we read: one table that loading, upload checks and the upload widget all use."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Kind(StrEnum):
    """How a guide file is parsed."""

    MARKDOWN = "markdown"
    TEXT = "text"
    HTML = "html"
    PDF = "pdf"


@dataclass(frozen=True)
class Format:
    """One guide format: the suffixes that name it, a label for people, and whether uploads may use it."""

    kind: Kind
    label: str
    suffixes: tuple[str, ...]
    uploadable: bool = True


FORMATS = (
    Format(Kind.MARKDOWN, "Markdown", (".md", ".markdown")),
    Format(Kind.TEXT, "plain text", (".txt",)),
    Format(Kind.HTML, "HTML", (".html", ".htm")),
    Format(Kind.PDF, "PDF", (".pdf",)),
)

SUFFIXES = tuple(s for f in FORMATS for s in f.suffixes)
UPLOAD_SUFFIXES = tuple(s for f in FORMATS if f.uploadable for s in f.suffixes)
# What people are told: the first suffix of each format (".md, .txt, .html or .pdf").
UPLOAD_HINT = ", ".join(f.suffixes[0] for f in FORMATS[:-1] if f.uploadable) + f" or {FORMATS[-1].suffixes[0]}"


def format_of(name: str) -> Format | None:
    """The format a file name's suffix names, or None."""
    suffix = Path(name).suffix.lower()
    return next((f for f in FORMATS if suffix in f.suffixes), None)


def suffix_of(kind: Kind) -> str:
    """The usual suffix of a format (what a stored upload of that kind is named with)."""
    return next(f.suffixes[0] for f in FORMATS if f.kind is kind)
