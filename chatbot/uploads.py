"""Accept an uploaded guide safely: size cap, type from the content, a name from its title inside the folder."""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
from pathlib import Path

from chatbot.documents import Guide, find_guides, parse_guide, source_of
from chatbot.errors import GuideError
from chatbot.formats import UPLOAD_HINT, Kind, format_of, suffix_of

UPLOADS_META = ".uploads.json"  # hidden: never read as a guide
_HTML = re.compile(rb"<\s*(!doctype\s+html|html|head|body|h[1-6]|p|div|section|article)\b", re.I)


def sniff(data: bytes, name: str) -> str:
    """The guide format the bytes really hold: '.pdf', '.html', '.md' or '.txt'; raises GuideError otherwise."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    claimed = Path(name).suffix.lower()
    if head.startswith(b"%PDF-"):
        return suffix_of(Kind.PDF)
    if claimed == ".pdf":
        raise GuideError(name, "the file is named .pdf but its content is not a PDF")
    if head[:5].lower() in (b"<?xml", b"<svg ") or b"<svg" in head[:200].lower():
        raise GuideError(name, f"SVG and XML files are not guides; upload {UPLOAD_HINT}")
    if head.startswith((b"MZ", b"\x7fELF", b"PK\x03\x04", b"\x1f\x8b", b"\x89PNG", b"GIF8", b"\xff\xd8\xff")):
        raise GuideError(name, "the file is a program, archive or image, not a guide")
    if _HTML.search(head):
        return suffix_of(Kind.HTML)
    named = format_of(name)
    return suffix_of(Kind.MARKDOWN if named and named.kind is Kind.MARKDOWN else Kind.TEXT)


def save_upload(knowledge_dir: Path, original_name: str, data: bytes, max_bytes: int, replace: str = "") -> str:
    """Validate and store an upload; returns its source name. `replace` names an existing guide to overwrite."""
    plain = "".join(ch for ch in original_name if ch.isprintable())
    shown = html.escape(Path(plain.replace("\\", "/")).name or "upload", quote=True)[:200]
    if not data:
        raise GuideError(shown, "the file is empty")
    if len(data) > max_bytes:
        size = len(data) / 1048576
        raise GuideError(shown, f"the file is {size:.1f} MB, over the {max_bytes / 1048576:.0f} MB limit")
    kind = sniff(data, original_name)
    if replace:
        existing = {source_of(p, knowledge_dir): p for p in find_guides(knowledge_dir)}
        if replace not in existing:
            raise GuideError(shown, f"there is no guide named {html.escape(replace)} to replace")
        target = existing[replace]
        if target.suffix.lower() != kind and not (kind == ".md" and target.suffix.lower() == ".txt"):
            raise GuideError(shown, f"a {kind} file cannot replace {html.escape(replace)}; upload it as a new guide")
        kind = target.suffix.lower()
    try:
        guide = parse_guide(f"upload{kind}", data)  # raises GuideError with the reason if it is no usable guide
    except GuideError:
        raise
    except Exception as exc:  # a parser failing in a way it does not report (pypdf's DependencyError for AES)
        raise GuideError(shown, f"the file cannot be read ({exc.__class__.__name__})") from None
    if not replace:
        target = _free_name(knowledge_dir, _name_of(guide), kind)
    _write_atomic(target, data)
    _remember_name(knowledge_dir, target.name, shown)
    return source_of(target, knowledge_dir)


def _name_of(guide: Guide) -> str:
    """What to call a guide's file: its own title, or (a plain-text guide has none) the role its first heading names.

    The name matters: a guide without a title in its content is titled from its file name when it is ingested.
    """
    from chatbot.catalog import name_role

    own_title = "" if guide.title.lower() == "upload" else guide.title  # "upload" is the name it was parsed under
    first_heading = next((s.path[-1] for s in guide.sections if s.path), "")
    for text in (own_title, name_role("", first_heading)):
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")
        if slug:
            return slug
    return "guide"


def _free_name(knowledge_dir: Path, stem: str, kind: str) -> Path:
    """`stem.kind`, or `stem-2.kind` and so on when a guide of that name (in any format) exists."""
    taken = {p.stem.lower() for p in find_guides(knowledge_dir)}
    number = 1
    while (name := stem if number == 1 else f"{stem}-{number}") in taken:
        number += 1
    return knowledge_dir / f"{name}{kind}"


def delete_guide(knowledge_dir: Path, source: str) -> None:
    """Remove a guide chosen from the listed ones (never a path the user typed)."""
    existing = {source_of(p, knowledge_dir): p for p in find_guides(knowledge_dir)}
    if source not in existing:
        raise GuideError(html.escape(source), "no such guide")
    existing[source].unlink()


def _write_atomic(target: Path, data: bytes) -> None:
    """Write beside the target under a hidden name, then rename: a crash never leaves half a guide."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _remember_name(knowledge_dir: Path, stored: str, shown: str) -> None:
    path = knowledge_dir / UPLOADS_META
    try:
        names = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        names = {}
    names[stored] = shown
    _write_atomic(path, json.dumps(names, indent=1, sort_keys=True).encode())


def clean_partial_uploads(knowledge_dir: Path) -> int:
    """Remove half-written uploads a crash left behind; returns how many."""
    removed = 0
    for leftover in knowledge_dir.glob(".upload-*.part"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed
