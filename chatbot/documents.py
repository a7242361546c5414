"""Load a guide file (Markdown, plain text, HTML, PDF) into a title, a role, its sections and what was dropped."""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from chatbot.catalog import name_role
from chatbot.cleaning import Block, BlockKind, Dropped, DropReason, Item, Link, clean, first_words
from chatbot.errors import GuideError
from chatbot.formats import SUFFIXES, Kind, format_of

# Bump when the same file would come out as different sections: indexed guides are then parsed again.
PARSER_VERSION = "2"


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
    aliases: tuple[str, ...] = ()
    dropped: tuple[Dropped, ...] = ()


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
    known = format_of(source)
    kind = known.kind if known else Kind.TEXT
    meta: dict[str, Any] = {}
    if kind is Kind.PDF:
        title, blocks, dropped = _parse_pdf(source, data)
    else:
        text = decode(source, data)
        if kind is Kind.MARKDOWN:
            meta, text = _split_front_matter(source, text)
            title, blocks, dropped = "", _markdown_blocks(text), []
        elif kind is Kind.HTML:
            title, blocks, dropped = _parse_html(text)
        else:
            title, blocks, dropped = "", _text_blocks(text.splitlines()), []
    kept, cleaned = clean(blocks)
    dropped += cleaned
    h1, sections = _sections(kept, markdown=kind in (Kind.MARKDOWN, Kind.HTML))
    sections = [s for s in sections if s.text.strip()]
    if not any(s.path for s in sections):
        raise GuideError(
            source,
            "no headings with text under them were found; start each topic with a heading "
            "(a '## ' line in Markdown, a question line in plain text)",
        )
    title = _meta_text(meta.get("title")) or title or h1 or _title_from_name(source)
    first_heading = next((s.path[0] for s in sections if s.path), "")
    role = _meta_text(meta.get("role")) or name_role(title, first_heading)
    return Guide(
        source,
        title,
        role,
        tuple(sections),
        hashlib.sha256(data).hexdigest(),
        _flat_meta(meta),
        _aliases(meta.get("aliases")),
        tuple(dropped),
    )


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


# --- Front matter ----------------------------------------------------------------------------------------------


def _split_front_matter(source: str, text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (nested keys, folded strings, lists) and the Markdown after it."""
    import frontmatter
    import yaml

    if not text.startswith("---"):
        return {}, text
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise GuideError(source, f"the front matter between the '---' lines is not valid YAML{line}") from None
    metadata = post.metadata if isinstance(post.metadata, dict) else {}
    return {str(k).strip().lower(): v for k, v in metadata.items()}, post.content


def _meta_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_meta_text(v) for v in value)
    return " ".join(str(value).split())


def _flat_meta(meta: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Front matter as text values; nested keys become 'parent.child'."""
    out: dict[str, str] = {}
    for key, value in meta.items():
        name = f"{prefix}{key}".lower()
        if isinstance(value, dict):
            out.update(_flat_meta(value, f"{name}."))
        else:
            out[name] = _meta_text(value)
    return out


def _aliases(value: Any) -> tuple[str, ...]:
    """Front matter `aliases`: a YAML list or a comma-separated string."""
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    return tuple(dict.fromkeys(t for t in (_meta_text(v) for v in items) if t))


# --- Markdown (and HTML, through its main content as Markdown) ---------------------------------------------------


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    # Every link is parsed as a link, 'javascript:' ones too: only its text is kept, never its target.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    # Entities and escapes stay as written ('&lt;b&gt;' is text about a tag, never a tag to strip).
    md.disable("text_join")
    return md


def _inline(token: Any, soft: str = " ", markup: bool = True) -> Item:
    """An inline token's text: links keep their text (not their target), emphasis its markers, images go."""
    out: list[str] = []
    links: list[Link] = []
    href: str | None = None
    link_text: list[str] = []
    for child in token.children or []:
        kind = child.type
        piece = ""
        if kind in ("text", "html_inline"):
            piece = child.content
        elif kind == "text_special":
            piece = child.markup
        elif kind == "code_inline":
            piece = f"{child.markup}{child.content}{child.markup}"
        elif kind == "softbreak":
            piece = soft
        elif kind == "hardbreak":
            piece = "\n"
        elif kind == "link_open":
            href, link_text = str(child.attrGet("href") or ""), []
        elif kind == "link_close":
            links.append(Link("".join(link_text).strip(), href or ""))
            href = None
        elif markup and kind.endswith(("_open", "_close")):
            piece = child.markup
        if href is not None:
            link_text.append(piece)
        out.append(piece)
    return Item("".join(out).strip(), tuple(links))


def _markdown_blocks(text: str) -> list[Block]:
    """Headings, paragraphs, lists, tables and code of a Markdown text, from markdown-it's tokens."""
    lines = text.split("\n")
    tokens = _markdown().parse(text)
    blocks: list[Block] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        end = _closing(tokens, i)
        block: Block | None = None
        if token.type == "heading_open":
            heading = " ".join(_inline(tokens[i + 1], markup=False).text.split())
            block = Block(BlockKind.HEADING, heading, level=int(token.tag[1:]))
        elif token.type == "paragraph_open":
            item = _inline(tokens[i + 1])
            block = Block(BlockKind.PARAGRAPH, item.text, items=(item,))
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            block = _list_block(tokens[i : end + 1])
        elif token.type == "table_open":
            block = _table_block(tokens[i : end + 1])
        elif token.type in ("fence", "code_block"):
            block = Block(BlockKind.CODE, "\n".join(lines[token.map[0] : token.map[1]]).strip("\n"))
        elif token.type == "html_block":
            block = Block(BlockKind.HTML, token.content.strip())
        if block is not None:
            source = "\n".join(lines[token.map[0] : token.map[1]]) if token.map else ""
            tight = bool(token.map) and token.map[0] > 0 and bool(lines[token.map[0] - 1].strip())
            blocks.append(Block(block.kind, block.text, block.level, block.items, source, tight))
            i = end + 1
        else:  # blockquotes, rules, closing tokens: their content is read as it comes
            i += 1
    return blocks


def _closing(tokens: list[Any], start: int) -> int:
    """Index of the token that closes tokens[start] (itself when it opens nothing)."""
    token = tokens[start]
    if token.nesting != 1:
        return start
    closing = token.type.replace("_open", "_close")
    for j in range(start + 1, len(tokens)):
        if tokens[j].type == closing and tokens[j].level == token.level:
            return j
    return len(tokens) - 1


def _list_block(tokens: list[Any]) -> Block:
    """A list as lines ('- item', nested items indented two spaces per level), with each item's links."""
    lines: list[str] = []
    items: list[Item] = []
    depth = -1
    marker = ""
    first = False
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "list_item_open":
            marker, first = f"{token.info}{token.markup}", True
        elif token.type == "inline":
            item = _inline(token)
            lead = marker if first else " " * len(marker)
            lines.append(f"{'  ' * depth}{lead} {item.text}".rstrip())
            items.append(item)
            first = False
        elif token.type in ("fence", "code_block") and token.content.strip():
            lines.append(f"{'  ' * (depth + 1)}{' '.join(token.content.split())}")
    return Block(BlockKind.LIST, "\n".join(lines), items=tuple(items))


def _table_block(tokens: list[Any]) -> Block:
    """A table as one line per row, each value carrying its column header ('Location: X; Salary: Y')."""
    headers: list[str] = []
    rows: list[list[Item]] = []
    in_head = False
    for token in tokens:
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open" and not in_head:
            rows.append([])
        elif token.type == "inline":
            item = _inline(token)
            if in_head:
                headers.append(item.text)
            elif rows:
                rows[-1].append(item)
    lines: list[str] = []
    items: list[Item] = []
    for row in rows:
        cells = [
            f"{headers[n]}: {cell.text}" if n < len(headers) and headers[n] else cell.text
            for n, cell in enumerate(row)
            if cell.text
        ]
        if cells:
            lines.append("- " + "; ".join(cells))
            items.append(Item("; ".join(cells), tuple(link for cell in row for link in cell.links)))
    if not rows and headers:  # a table of one row: the header is all there is
        lines.append("- " + "; ".join(h for h in headers if h))
    return Block(BlockKind.TABLE, "\n".join(lines), items=tuple(items))


def _sections(blocks: list[Block], markdown: bool) -> tuple[str, list[Section]]:
    """Sections from cleaned blocks: a heading trail by level, text joined as the source spaced it."""
    title = ""
    trail: list[tuple[int, str]] = []
    sections: list[Section] = []
    body: list[Block] = []
    page: int | None = None
    started = markdown  # plain text and PDF: text before the first heading is no section

    def flush() -> None:
        if started and body:
            text = "".join(("\n" if b.tight and n else "\n\n" if n else "") + b.text for n, b in enumerate(body))
            sections.append(Section(tuple(h for _, h in trail), _tidy(text), page))
        body.clear()

    for block in blocks:
        if block.kind is not BlockKind.HEADING:
            body.append(block)
            continue
        flush()
        started, page = True, block.page
        if markdown and block.level == 1 and not title:
            title, trail = block.text, []
            continue
        while trail and trail[-1][0] >= block.level:
            trail.pop()
        trail.append((block.level, block.text))
    flush()
    return title, sections


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- Plain text ----------------------------------------------------------------------------------------------------


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


def _text_blocks(lines: list[str], pages: list[int] | None = None) -> list[Block]:
    """Plain-text lines as blocks: question and title-like lines are headings, every other line a paragraph."""
    blocks: list[Block] = []
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        page = pages[i] if pages else None
        if _is_heading_line(line):
            blocks.append(Block(BlockKind.HEADING, line, level=2, page=page))
        else:
            blocks.append(Block(BlockKind.PARAGRAPH, line, items=(Item(line),), page=page))
    return blocks


# --- HTML ----------------------------------------------------------------------------------------------------------

_SITE_SUFFIX = re.compile(r"\s+[|\-–—:·]\s+.*$")


def site_title(title: str) -> str:
    """A page title without the site name after ' | ' or ' - ' ("Lifeguard | Explore careers" -> "Lifeguard")."""
    title = " ".join(title.split())
    return _SITE_SUFFIX.sub("", title) or title


def _parse_html(text: str) -> tuple[str, list[Block], list[Dropped]]:
    """The page's main content (menus, banners, footers removed by trafilatura) read as Markdown."""
    import lxml.html
    import trafilatura
    from lxml.etree import ParserError
    from trafilatura.settings import use_config

    try:
        page = lxml.html.document_fromstring(text)
    except (ParserError, ValueError):
        return "", [], []
    title = site_title(page.findtext(".//title") or "")
    body = page.find("body")
    if body is not None and not page.xpath("//main|//article|//*[@role='main']"):
        # Without a content container trafilatura reads headings straight under <body> as plain lines.
        article = lxml.html.Element("article")
        article.text, body.text = body.text, None
        article.extend(list(body))
        body.append(article)
    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")  # a short guide is still a guide: no fallback to bare text
    main = trafilatura.extract(
        page, output_format="markdown", include_tables=True, include_links=True, fast=True, config=config
    )
    return title, _markdown_blocks(main or ""), []


# --- PDF -----------------------------------------------------------------------------------------------------------

_END = re.compile(r"[.!?:;]['\")\]]*$")
_BULLET_LINE = re.compile(r"^([-*•▪●◦–]|\d+[.)])\s")


def _pdf_pages(source: str, data: bytes) -> tuple[str, list[list[str]]]:
    if not data.startswith(b"%PDF-"):
        raise GuideError(source, "the file is named .pdf but is not a PDF")
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise GuideError(source, "the PDF is password-protected; save an unprotected copy")
        pages = [[ln.strip() for ln in (page.extract_text() or "").splitlines()] for page in reader.pages]
        title = str(reader.metadata.get("/Title") or "") if reader.metadata else ""
    except GuideError:
        raise
    except (PyPdfError, DependencyError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise GuideError(source, f"the PDF cannot be read ({exc.__class__.__name__}); it may be damaged") from None
    return " ".join(title.split()), [[ln for ln in page if ln] for page in pages]


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines that open or close most pages (with page numbers ignored): running headers and footers."""
    with_text = [p for p in pages if p]
    if len(with_text) < 2:
        return set()
    seen: Counter[str] = Counter()
    for lines in with_text:
        seen.update({_page_key(ln) for ln in lines[:2] + lines[-2:]})
    return {key for key, n in seen.items() if n >= max(2, (len(with_text) * 3 + 4) // 5)}


def _page_key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def _joined(lines: list[tuple[str, int]]) -> Iterator[tuple[str, int]]:
    """Lines joined back into paragraphs: a line that ends mid-sentence continues on the next one."""
    current, page = "", 0
    for line, number in lines:
        if current and not _END.search(current) and not _is_heading_line(current) and not _BULLET_LINE.match(line):
            current = current[:-1] if current.endswith("-") and line[:1].islower() else f"{current} "
            current += line
            continue
        if current:
            yield current, page
        current, page = line, number
    if current:
        yield current, page


def _parse_pdf(source: str, data: bytes) -> tuple[str, list[Block], list[Dropped]]:
    """A PDF's text as paragraphs and headings, without running headers, footers and empty pages."""
    title, pages = _pdf_pages(source, data)
    running = _running_lines(pages)
    examples = {_page_key(ln): ln for page in pages for ln in page if _page_key(ln) in running}
    dropped = [Dropped(DropReason.RUNNING_HEADER, first_words(examples[key])) for key in sorted(running)]
    lines = [(ln, n) for n, page in enumerate(pages, start=1) for ln in page if _page_key(ln) not in running]
    joined = list(_joined(lines))
    blocks = _text_blocks([ln for ln, _ in joined], [n for _, n in joined])
    first = next((b for b in blocks[:3] if b.kind is BlockKind.HEADING and not b.text.endswith("?")), None)
    if first is not None and (not title or first.text == title):  # the title line is no section of its own
        title = title or first.text
        blocks.remove(first)
    return title, _merge_cell_runs(blocks), dropped


def _merge_cell_runs(blocks: list[Block]) -> list[Block]:
    """Three or more title-like lines in a row are table cells, not headings: the first stays, the rest is text."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        j = i
        while j < len(blocks) and blocks[j].kind is BlockKind.HEADING and not blocks[j].text.endswith("?"):
            j += 1
        if j - i >= 3:  # questions stay headings even in a row (an FAQ)
            cells = "; ".join(b.text for b in blocks[i + 1 : j])
            out += [blocks[i], Block(BlockKind.PARAGRAPH, cells, items=(Item(cells),), page=blocks[i].page)]
            i = j
        else:
            out.append(blocks[i])
            i += 1
    return out
