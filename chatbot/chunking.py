"""Split guide sections into chunks that fit the embedding model's window, never mid-sentence."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from chatbot.documents import Guide

# Bump when chunk text or metadata would come out differently: every guide is then re-chunked.
CHUNKER_VERSION = "2"
MAX_TOKENS = 256
Metadata = dict[str, str | int]


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of one section: `text` is shown and cited, `embed_text` (heading trail + text) is embedded."""

    id: str
    text: str
    metadata: Metadata

    @property
    def embed_text(self) -> str:
        """Heading trail plus text, built when asked: a 100k-chunk ingest holds every chunk until its commit, and
        a second copy of each text was a tenth of its peak memory."""
        return f"{self.metadata['heading']}\n{self.text}"

    @property
    def content_hash(self) -> str:
        """Hash of the embedded text: equal hashes can share one vector."""
        return str(self.metadata["hash"])


_ABBREV = re.compile(r"(?:\b[A-Za-z]\.){1,3}$|\b(?:e\.g|i\.e|etc|vs|Dr|Mr|Mrs|Ms|St|No|approx)\.$")
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9$])")


def sentence_lines(text: str) -> list[tuple[int, int, str]]:
    """(line number, indent, sentence) for every sentence and bullet; the order split_sentences uses."""
    out: list[tuple[int, int, str]] = []
    for number, raw in enumerate(text.split("\n")):
        block = raw.strip()
        if not block:
            continue
        indent = len(raw) - len(raw.lstrip())
        start = 0
        for match in _BOUNDARY.finditer(block):
            head = block[start : match.start()].rstrip("\"')]")
            if _ABBREV.search(head):
                continue
            out.append((number, indent, block[start : match.start()].strip()))
            start = match.end()
        out.append((number, indent, block[start:].strip()))
    return [item for item in out if item[2]]


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences and bullet lines, keeping abbreviations like 'U.S.' whole."""
    return [sentence for _, _, sentence in sentence_lines(text)]


def sentence_spans(text: str, within: str) -> list[tuple[str, int, int]]:
    """Each sentence of `text` with its character span inside `within` (the embedded text that contains it)."""
    out = []
    cursor = within.find(text) if text in within else 0
    for sentence in split_sentences(text):
        at = within.find(sentence, cursor)
        if at < 0:  # not verbatim in `within`: the vector falls back to the sentence alone
            out.append((sentence, -1, -1))
            continue
        out.append((sentence, at, at + len(sentence)))
        cursor = at + len(sentence)
    return out


def _units(text: str) -> list[str]:
    """Paragraphs and list items (a nested list stays with its parent): what a long section is packed from."""
    units: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        lines = [ln.rstrip() for ln in para.split("\n") if ln.strip()]
        if not lines:
            continue
        if not all(_BULLET.match(ln) for ln in lines[1:]):
            units.append("\n".join(lines).strip("\n"))
            continue
        for line in lines:
            nested = line[:1].isspace() and _BULLET.match(line)
            if nested and units and not units[-1].startswith(tuple("\n")):
                units[-1] += "\n" + line
            else:
                units.append(line)
    return units


_BULLET = re.compile(r"\s*([-*•]|\d+[.)])\s")


def chunk_guide(guide: Guide, count_tokens: Callable[[str], int], max_tokens: int = MAX_TOKENS) -> list[Chunk]:
    """Chunks for every section of a guide, in document order, with deterministic ids."""
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    root = guide.role or guide.title
    for section_index, section in enumerate(guide.sections):
        trail = " > ".join((root, *section.path))
        budget = max_tokens - count_tokens(trail) - 4  # [CLS], [SEP] and the newline between
        for part, text in enumerate(_pack(section.text, count_tokens, budget)):
            embed_text = f"{trail}\n{text}"
            content_hash = hashlib.sha256(embed_text.encode()).hexdigest()[:24]
            metadata: Metadata = {
                "source": guide.source,
                "title": guide.title,
                "role": guide.role,
                "heading": trail,
                "section": section.path[-1] if section.path else guide.title,
                "section_index": section_index,
                "part": part,
                "position": len(chunks),
                "hash": content_hash,
            }
            if section.page is not None:
                metadata["page"] = section.page
            # The id covers everything stored, so any change yields a new id: new rows are
            # written beside the old ones and the old ones deleted only after the switch.
            key = json.dumps([metadata, embed_text], sort_keys=True)
            seen[key] = seen.get(key, 0) + 1
            digest = hashlib.sha256(f"{key}\x1f{seen[key]}".encode()).hexdigest()[:32]
            chunks.append(Chunk(digest, text, metadata))
    return chunks


def _pack(text: str, count_tokens: Callable[[str], int], budget: int) -> list[str]:
    """Greedily pack units into pieces within budget, repeating the last unit as overlap."""
    if count_tokens(text) <= budget:
        return [text]
    units: list[str] = []
    for unit in _units(text):
        if count_tokens(unit) <= budget:
            units.append(unit)
        else:
            units.extend(_split_long(unit, count_tokens, budget))
    pieces: list[list[str]] = []
    current: list[str] = []
    for unit in units:
        candidate = [*current, unit]
        if current and count_tokens("\n".join(candidate)) > budget:
            pieces.append(current)
            overlap = current[-1:] if count_tokens(current[-1]) <= budget // 4 else []
            current = [*overlap, unit]
            if count_tokens("\n".join(current)) > budget:
                current = [unit]
        else:
            current = candidate
    if current:
        pieces.append(current)
    return ["\n".join(p) for p in pieces]


def _split_long(unit: str, count_tokens: Callable[[str], int], budget: int) -> list[str]:
    """A paragraph over budget, split between sentences; a single huge sentence is cut by words."""
    out: list[str] = []
    current = ""
    for sentence in split_sentences(unit):
        while sentence and count_tokens(sentence) > budget:  # a 'sentence' longer than the window: cut on words
            words = sentence.split()
            cut = max(1, len(words) // 2)
            while cut > 1 and count_tokens(" ".join(words[:cut])) > budget:
                cut //= 2
            if current:
                out.append(current)
                current = ""
            out.append(" ".join(words[:cut]))
            sentence = " ".join(words[cut:])
        candidate = f"{current} {sentence}".strip()
        if current and count_tokens(candidate) > budget:
            out.append(current)
            current = sentence
        else:
            current = candidate
    if current:
        out.append(current)
    return out
