"""Load a guide file (.md, .txt, .html, .pdf) into a title, a role and its sections."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from chatbot.errors import GuideError

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class Section:
    """A run of text under one heading; `path` is the heading trail below the guide's root."""

    path: tuple[str, ...]
    text: str
    page: int | None = None


@dataclass(frozen=True)
class Guide:
    """One career guide, identified by its path relative to the knowledge folder."""

    source: str
    title: str
    role: str
    sections: tuple[Section, ...]
    sha256: str
    meta: dict[str, str] = field(default_factory=dict)


def find_guides(knowledge_dir: Path) -> list[Path]:
    """Guide files under the knowledge folder, sorted; hidden files (uploads in flight) are skipped."""
    if not knowledge_dir.is_dir():
        return []
    found = []
    for path in knowledge_dir.rglob("*"):
        rel = path.relative_to(knowledge_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in SUFFIXES and (path.is_file() or path.is_symlink()):
            found.append(path)
    return sorted(found)


def source_of(path: Path, knowledge_dir: Path) -> str:
    """A guide's identity: its path relative to the knowledge folder, with forward slashes."""
    return path.relative_to(knowledge_dir).as_posix()


def read_guide_bytes(path: Path, knowledge_dir: Path, max_bytes: int) -> bytes:
    """Read a guide file after checking where it points and how big it is."""
    source = source_of(path, knowledge_dir)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise GuideError(source, "the file cannot be opened (a broken link?)") from None
    if not real.is_relative_to(knowledge_dir.resolve()):
        raise GuideError(source, "it is a link to a file outside the knowledge folder; copy the file in instead")
    size = real.stat().st_size
    if size == 0:
        raise GuideError(source, "the file is empty")
    if size > max_bytes:
        raise GuideError(
            source, f"the file is {size / 1048576:.1f} MB, over the {max_bytes / 1048576:.0f} MB limit for a guide"
        )
    return real.read_bytes()


def load_guide(path: Path, knowledge_dir: Path, max_bytes: int) -> Guide:
    """Load and parse one guide file; raises GuideError with a reason a person can act on."""
    data = read_guide_bytes(path, knowledge_dir, max_bytes)
    return parse_guide(source_of(path, knowledge_dir), data)


def parse_guide(source: str, data: bytes) -> Guide:
    """Parse guide bytes; the format is chosen by the file name's extension."""
    suffix = Path(source).suffix.lower()
    meta: dict[str, str] = {}
    if suffix == ".pdf":
        title, sections = _parse_pdf(source, data)
    else:
        text = decode(source, data)
        if suffix in (".md", ".markdown"):
            meta, text = _split_front_matter(text)
            title, sections = _parse_markdown(text)
        elif suffix in (".html", ".htm"):
            title, sections = _parse_html(text)
        else:
            title, sections = "", _sections_from_lines(text.splitlines())
    sections = [s for s in sections if s.text.strip()]
    if not any(s.path for s in sections):
        raise GuideError(
            source,
            "no headings with text under them were found; start each topic with a heading "
            "(a '## ' line in Markdown, a question line in plain text)",
        )
    title = meta.get("title") or title or _title_from_name(source)
    role = meta.get("role") or _role_from_title(title)
    return Guide(source, title, role, tuple(sections), hashlib.sha256(data).hexdigest(), meta)


def decode(source: str, data: bytes) -> str:
    """Decode guide text (UTF-8, UTF-16, Windows-1252 or a detected encoding); reject binary data."""
    text = _decode_text(source, data).replace("\r\n", "\n").replace("\r", "\n")
    bad = sum(1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\n\t"))
    if bad > max(4, len(text) // 200):
        raise GuideError(source, "the file looks like binary data, not text")
    return text


def _decode_text(source: str, data: bytes) -> str:
    zeros_even, zeros_odd = data[0::2].count(0), data[1::2].count(0)
    if len(data) >= 4 and max(zeros_even, zeros_odd) >= len(data) // 4:  # UTF-16 without a byte-order mark
        try:
            return data.decode("utf-16-le" if zeros_odd > zeros_even else "utf-16-be")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    if lenient.count("\ufffd") <= max(4, len(data) // 1000) and any(ord(ch) > 127 for ch in lenient if ch != "\ufffd"):
        return lenient  # UTF-8 with a few damaged bytes: keep the rest exactly
    try:
        return data.decode("cp1252")  # the usual legacy encoding of English and Western European text
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise GuideError(source, "the file is not text in any encoding we can recognise (is it binary?)")
    return str(best)


def _title_from_name(source: str) -> str:
    return re.sub(r"[-_]+", " ", Path(source).stem).strip().title() or source


def _role_from_title(title: str) -> str:
    return re.sub(r"\s*(career\s+)?guide\s*$", "", title, flags=re.I).strip() or title


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if not match:
        return {}, text
    meta = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[match.end() :]


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def _parse_markdown(text: str) -> tuple[str, list[Section]]:
    title = ""
    trail: list[tuple[int, str]] = []
    sections: list[Section] = []
    body: list[str] = []
    in_fence = False

    def flush() -> None:
        if "".join(body).strip():
            sections.append(Section(tuple(h for _, h in trail), _tidy("\n".join(body))))
        body.clear()

    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _MD_HEADING.match(line)
        if not match:
            body.append(line)
            continue
        flush()
        level, heading = len(match.group(1)), match.group(2).strip()
        if level == 1 and not title:
            title = heading
            trail = []
            continue
        while trail and trail[-1][0] >= level:
            trail.pop()
        trail.append((level, heading))
    flush()
    return title, sections


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _is_heading_line(line: str) -> bool:
    """Plain-text heading: a short question, or a short title-like line without end punctuation."""
    line = line.strip()
    words = line.split()
    if not words or line.startswith(("-", "*", "•")) or len(line) > 120:
        return False
    if line.endswith("?"):
        return len(words) <= 20
    if line[-1] in ".,:;!" or not 2 <= len(words) <= 12:
        return False
    long_words = [w for w in words if len(w) > 3]
    capitalised = [w for w in long_words if w[0].isupper() or w[0].isdigit()]
    return bool(long_words) and len(capitalised) * 2 >= len(long_words) * 1 and words[0][0].isupper()


def _sections_from_lines(lines: list[str], pages: list[int] | None = None) -> list[Section]:
    sections: list[Section] = []
    heading: str | None = None
    page: int | None = None
    body: list[str] = []

    def flush() -> None:
        if heading is not None and "".join(body).strip():
            sections.append(Section((heading,), _tidy("\n\n".join(b for b in body if b.strip())), page))
        body.clear()

    for i, line in enumerate(lines):
        if _is_heading_line(line):
            flush()
            heading, page = line.strip(), (pages[i] if pages else None)
        else:
            body.append(line.strip())
    flush()
    return sections


def _parse_pdf(source: str, data: bytes) -> tuple[str, list[Section]]:
    if not data.startswith(b"%PDF-"):
        raise GuideError(source, "the file is named .pdf but is not a PDF")
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise GuideError(source, "the PDF is password-protected; save an unprotected copy")
        lines: list[str] = []
        pages: list[int] = []
        for number, page in enumerate(reader.pages, start=1):
            for line in (page.extract_text() or "").splitlines():
                lines.append(line)
                pages.append(number)
        title = str(reader.metadata.get("/Title") or "") if reader.metadata else ""
    except GuideError:
        raise
    except (PyPdfError, DependencyError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise GuideError(source, f"the PDF cannot be read ({exc.__class__.__name__}); it may be damaged") from None
    return title, _sections_from_lines(lines, pages)


class _HtmlText(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "section", "article", "ul", "ol", "table", "blockquote"})
    SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.lines: list[tuple[int, str]] = []  # (heading level or 0, text)
        self._buf: list[str] = []
        self._level = 0
        self._skip = 0
        self._in_title = False

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        if text:
            self.lines.append((self._level, text))
        self._buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # HTML lets </head> be left out: the body must not be skipped with the head
            self._skip = 0
        if tag in self.SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in ("h1", "h2", "h3"):
            self._flush()
            self._level = int(tag[1])
        elif tag in self.BLOCKS:
            self._flush()
            if tag == "li":
                self._buf.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in ("h1", "h2", "h3"):
            self._flush()
            self._level = 0
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data.strip()
        elif not self._skip:
            self._buf.append(data)


def _parse_html(text: str) -> tuple[str, list[Section]]:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    parser._flush()
    title = parser.title
    trail: list[tuple[int, str]] = []
    sections: list[Section] = []
    body: list[str] = []

    def flush() -> None:
        if body:
            sections.append(Section(tuple(h for _, h in trail), _tidy("\n\n".join(body))))
        body.clear()

    for level, line in parser.lines:
        if level == 0:
            body.append(line)
            continue
        flush()
        if level == 1:
            title, trail = title or line, []
            continue
        while trail and trail[-1][0] >= level:
            trail.pop()
        trail.append((level, line))
    flush()
    return title, sections
