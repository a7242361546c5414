"""Bring the index in line with the knowledge folder: diff, embed only what changed, switch, clean up."""

from __future__ import annotations

import contextlib
import ctypes
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from chatbot import tagging
from chatbot.catalog import aliases
from chatbot.chunking import CHUNKER_VERSION, Chunk, chunk_guide, sentence_spans
from chatbot.cleaning import Dropped
from chatbot.documents import PARSER_VERSION, find_guides, load_guide, source_of
from chatbot.embeddings import Embedder, embed_with_sentences
from chatbot.errors import GuideError
from chatbot.store import CHROMA_BATCH, ChunkRow, GuideRow, State, Store, chroma_vectors

Progress = Callable[[int, int, str], None]
BATCH = 256  # texts per model call: large enough for sentence-transformers' length sorting to cut padding
# What a guide row records as the way it was read: a new parser or chunker re-reads every guide.
PIPELINE = f"{CHUNKER_VERSION}.{PARSER_VERSION}"


@dataclass
class GuideChange:
    """One guide in an ingest: what cleaning left out, and its sections added, changed or removed, by heading."""

    source: str
    dropped: tuple[Dropped, ...] = ()
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    new: bool = False  # not indexed before

    def dropped_counts(self) -> dict[str, int]:
        """Dropped blocks counted by reason."""
        return dict(Counter(d.reason.value for d in self.dropped))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: counts by reason and each dropped block's first words, sections by heading."""
        return {
            "source": self.source,
            "dropped": self.dropped_counts(),
            "dropped_blocks": [{"reason": d.reason.value, "words": d.words} for d in self.dropped],
            "new": self.new,
            "sections": {"added": self.added, "changed": self.changed, "removed": self.removed},
        }

    def lines(self, dry_run: bool) -> list[str]:
        """Human lines for the summary (none when nothing was dropped or changed)."""
        out = []
        if self.dropped:
            counts = ", ".join(f"{reason} {n}" for reason, n in self.dropped_counts().items())
            out.append(f"{self.source}: left out {len(self.dropped)} block(s) that are not guide content ({counts})")
            out += [f"  - {d.reason.value}: {d.words}" for d in self.dropped[:SHOWN]]
            if len(self.dropped) > SHOWN:
                out.append(f"  - … and {len(self.dropped) - SHOWN} more")
        verb = "would be " if dry_run else ""
        if self.new:
            return [*out, f"{self.source}: new guide, {len(self.added)} section(s) {verb}added"]
        for label, headings in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            if headings:
                out.append(f"{self.source}: sections {verb}{label}: " + "; ".join(headings))
        return out


SHOWN = 10  # dropped blocks listed per guide in the summary


@dataclass
class Report:
    """What an ingest did (or, for a dry run, would do)."""

    guides: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    sentences_embedded: int = 0  # sentence vectors for answer composition, embedded beside the chunks
    seconds: float = 0.0
    errors: list[dict[str, str]] = field(default_factory=list)
    dry_run: bool = False
    version: int = 0
    chunks: int = 0
    per_guide: list[GuideChange] = field(default_factory=list)

    @property
    def chunks_per_second(self) -> float:
        """Embedded chunks per second of the whole run."""
        return self.embedded / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        plain = {k: v for k, v in asdict(self).items() if k != "per_guide"}
        return {
            **plain,
            "chunks_per_second": round(self.chunks_per_second, 1),
            "per_guide": [g.to_dict() for g in self.per_guide],
        }

    def summary(self) -> str:
        """A few human lines."""
        verb = "would be" if self.dry_run else "were"
        lines = [
            f"{self.guides} guide(s), {self.chunks} chunk(s) live."
            if not self.dry_run
            else f"Dry run over {self.guides} guide(s): nothing was written.",
            f"Chunks that {verb} added {self.added}, updated {self.updated}, removed {self.removed}; "
            f"unchanged {self.unchanged}.",
            f"Embeddings {'to compute' if self.dry_run else 'computed'}: {self.embedded} chunk(s)"
            + ("" if self.dry_run else f" and {self.sentences_embedded} sentence(s)")
            + f" in {self.seconds:.1f}s ({self.chunks_per_second:.1f} chunks/s).",
        ]
        lines += [f"Skipped {e['source']}: {e['reason']}" for e in self.errors]
        lines += [line for g in self.per_guide for line in g.lines(self.dry_run)]
        return "\n".join(lines)


def ingest(
    knowledge_dir: Path,
    store: Store,
    embedder: Embedder,
    *,
    max_bytes: int,
    dry_run: bool = False,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Ingest the knowledge folder into the index, touching only what changed."""
    started = time.perf_counter()
    if dry_run:
        report = _run(knowledge_dir, store, embedder, max_bytes, True, rebuild, progress)
    else:
        with store.writer_lock():
            report = _run(knowledge_dir, store, embedder, max_bytes, False, rebuild, progress)
    report.seconds = time.perf_counter() - started
    return report


def _slot(meta: dict[str, Any]) -> tuple[str, str, int]:
    return (str(meta["source"]), str(meta["heading"]), int(meta["part"]))


def _run(
    knowledge_dir: Path,
    store: Store,
    embedder: Embedder,
    max_bytes: int,
    dry_run: bool,
    rebuild: bool,
    progress: Progress | None,
) -> Report:
    old = store.record.state()
    rebuild = rebuild or bool(old.embedding_model and old.embedding_model != embedder.name)
    # Vectors can only be reused from a collection that is really there.
    rebuild = rebuild or bool(old.collection and old.collection not in store.collection_names())
    if not dry_run:
        _sweep(store, old.collection, old.chunks.keys())
    report = Report(dry_run=dry_run)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    guides: list[GuideRow] = []
    rows: list[ChunkRow] = []
    fresh: list[Chunk] = []
    for path in find_guides(knowledge_dir):
        source = source_of(path, knowledge_dir)
        report.guides += 1
        before = old.guides.get(source)
        try:
            guide = load_guide(path, knowledge_dir, max_bytes)
        except Exception as exc:  # one unreadable file never stops the others (pypdf's DependencyError, for one)
            reason = exc.reason if isinstance(exc, GuideError) else f"the file cannot be read ({type(exc).__name__})"
            report.errors.append({"source": source, "reason": reason})
            if before is not None:  # keep what was indexed: a broken edit loses nothing
                guides.append(before)
                kept = [c for c in old.chunks.values() if c.source == source]
                rows += kept
                if rebuild:  # a fresh collection needs these rows too: embed them again from the record
                    fresh += [Chunk(c.id, c.text, c.metadata) for c in kept]
            continue
        change = GuideChange(source, guide.dropped, new=before is None)
        report.per_guide.append(change)
        if before and not rebuild and before.sha256 == guide.sha256 and before.chunker == PIPELINE:
            guides.append(before)
            rows += [c for c in old.chunks.values() if c.source == source]
            continue
        chunks = chunk_guide(guide, embedder.count_tokens)
        _diff_sections(change, [c for c in old.chunks.values() if c.source == source], chunks)
        fresh += chunks
        rows += [
            ChunkRow(c.id, guide.source, int(c.metadata["position"]), c.content_hash, c.text, c.metadata)
            for c in chunks
        ]
        guides.append(
            GuideRow(
                guide.source,
                guide.title,
                guide.role,
                guide.sha256,
                PIPELINE,
                len(guide.sections),
                len(chunks),
                now,
                aliases(guide.role, guide.aliases),
                len(guide.dropped),
                str(guide.meta.get("last_reviewed") or ""),
            )
        )

    found = {g.source for g in guides} | {e["source"] for e in report.errors}
    for source in sorted(set(old.guides) - found):  # deleted files: every section goes
        gone = GuideChange(source)
        _diff_sections(gone, [c for c in old.chunks.values() if c.source == source], [])
        report.per_guide.append(gone)
    new_ids = {r.id for r in rows}
    if not rebuild and new_ids == set(old.chunks) and {g.source for g in guides} == set(old.guides):
        report.unchanged, report.chunks, report.version = len(rows), len(rows), old.version
        untagged = not dry_run and _tag_rows(store, old.collection, embedder, rows, old)
        if not dry_run and (untagged or any(g != old.guides[g.source] for g in guides)):
            report.version = store.record.commit(old.collection, embedder.name, guides, rows)
        return report

    old_slots = {_slot(c.metadata): c for c in old.chunks.values()} if not rebuild else {}
    new_slots = {_slot(r.metadata) for r in rows}
    for r in rows:
        before_row = old_slots.get(_slot(r.metadata))
        if before_row is None:
            report.added += 1
        elif before_row.id == r.id:
            report.unchanged += 1
        else:
            report.updated += 1
    report.removed = sum(1 for s in old_slots if s not in new_slots)
    report.chunks = len(rows)

    to_write = [c for c in fresh if rebuild or c.id not in old.chunks]
    reusable = {} if rebuild else {c.hash: c.id for c in old.chunks.values()}
    need_embedding = sorted({c.content_hash for c in to_write if c.content_hash not in reusable})
    known_sentences = set() if rebuild else store.record.known_sentence_hashes()
    need_sentences = sorted({c.content_hash for c in to_write if c.content_hash not in known_sentences})
    report.embedded = len(need_embedding)
    if dry_run:
        report.version = old.version
        return report

    collection_name = store.new_collection_name() if rebuild or not old.collection else old.collection
    collection = store.collection(collection_name, create=True)
    by_hash: dict[str, list[Chunk]] = {}
    for c in to_write:
        by_hash.setdefault(c.content_hash, []).append(c)
    hashes = sorted(by_hash)
    wanted = set(need_sentences)
    # Batch by batch: vectors and sentence rows are written as they are computed and then dropped, so memory
    # holds one batch, not the corpus. Everything lands before the switch (`commit`) below.
    for start in range(0, len(hashes), BATCH):
        report.sentences_embedded += _write_batch(
            store, collection, embedder, old, hashes[start : start + BATCH], by_hash, reusable, wanted
        )
        _release_freed_memory()
        if progress:
            progress(min(start + BATCH, len(hashes)), len(hashes), "chunks")
    _tag_rows(store, collection_name, embedder, rows, old)
    # The switch: from here on readers see the new state only.
    report.version = store.written_version = store.record.commit(collection_name, embedder.name, guides, rows)
    if collection_name == old.collection:
        stale = [i for i in old.chunks if i not in new_ids]
        for start in range(0, len(stale), CHROMA_BATCH):
            collection.delete(ids=stale[start : start + CHROMA_BATCH])
    _sweep(store, collection_name, new_ids)  # the committed state's, without reading 100k rows back
    store.record.drop_unused_sentences()
    store.record.compact()
    return report


def _tag_rows(store: Store, collection_name: str, embedder: Embedder, rows: list[ChunkRow], old: State) -> bool:
    """Tag each row's section with its topic (kept in its metadata): from the old row when it was tagged the same
    way, else from its vector in Chroma, a batch at a time. True when any row needed a new tag."""
    current = tagging.version(embedder.name)
    need = []
    for row in rows:
        if tagging.stored(row.metadata, current) is not False:
            continue
        before = old.chunks.get(row.id)
        if before is not None and tagging.stored(before.metadata, current) is not False:
            row.metadata["topic"], row.metadata["tagged"] = before.metadata.get("topic", ""), current
        else:
            need.append(row)
    if not need:
        return False
    collection, descriptions = store.collection(collection_name), tagging.described(embedder)
    for start in range(0, len(need), CHROMA_BATCH):
        batch = need[start : start + CHROMA_BATCH]
        found = chroma_vectors(collection, [r.id for r in batch])
        have = [r for r in batch if r.id in found]
        for row, topic in zip(have, tagging.tag([found[r.id] for r in have], descriptions), strict=True):
            row.metadata["topic"], row.metadata["tagged"] = topic.name if topic else "", current
    return True


def _write_batch(
    store: Store,
    collection: Any,
    embedder: Embedder,
    old: State,
    hashes: list[str],
    by_hash: dict[str, list[Chunk]],
    reusable: dict[str, str],
    wanted: set[str],
) -> int:
    """Vectors for one batch of chunk hashes into Chroma, their sentences into the record; returns sentences written.

    One model pass per chunk gives its vector and its sentences' vectors (for composing answers). A reused
    vector stays: it is the one Chroma holds (one the old collection should have held but did not is computed).
    """
    reused = _reused_vectors(store, old, [reusable[h] for h in hashes if h in reusable])
    vectors = {old.chunks[i].hash: v for i, v in reused.items()}
    need_text = [h for h in hashes if h not in vectors or h in wanted]
    spans = {h: sentence_spans(by_hash[h][0].text, by_hash[h][0].embed_text) for h in need_text if h in wanted}
    rows: list[tuple[str, int, str, np.ndarray]] = []
    if need_text:
        whole, parts = embed_with_sentences(
            embedder, [by_hash[h][0].embed_text for h in need_text], [spans.get(h, []) for h in need_text]
        )
        for h, vector, rows_of in zip(need_text, whole, parts, strict=True):
            vectors.setdefault(h, vector)
            rows += [(h, i, s, v) for i, ((s, *_), v) in enumerate(zip(spans.get(h, []), rows_of, strict=True))]
    if rows:
        store.record.add_sentences(rows, {h: by_hash[h][0].text for h in spans})
    chunks = [c for h in hashes for c in by_hash[h]]
    # Ids and vectors only: the record keeps texts and metadata, and Chroma's own copy (with its full-text
    # index) was most of its disk use.
    collection.add(ids=[c.id for c in chunks], embeddings=np.stack([vectors[c.content_hash] for c in chunks]))
    return len(rows)


def _release_freed_memory() -> None:
    """Hand the heap pages freed by a batch back to the system (glibc only; elsewhere nothing happens).

    glibc keeps freed memory for reuse, and the model's tensors, a different size every batch, fragment it:
    without this the ingest's RSS kept growing batch after batch (measured at 1k chunks: 922 MB -> 681 MB
    after a batch with it).
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _sections_of(chunks: Iterable[tuple[dict[str, Any], str]]) -> dict[str, list[str]]:
    """Chunk ids by section heading (the trail below the guide's root), in document order."""
    out: dict[str, list[str]] = {}
    for meta, chunk_id in chunks:
        trail, root = str(meta["heading"]), str(meta.get("role") or meta.get("title") or "")
        name = trail[len(root) + 3 :] if trail.startswith(f"{root} > ") else str(meta.get("section") or trail)
        out.setdefault(name, []).append(chunk_id)
    return out


def _diff_sections(change: GuideChange, old: list[ChunkRow], new: list[Chunk]) -> None:
    """Fill in which sections an ingest adds, changes or removes."""
    before = _sections_of((c.metadata, c.id) for c in sorted(old, key=lambda c: c.position))
    after = _sections_of((c.metadata, c.id) for c in new)
    change.added = [h for h in after if h not in before]
    change.changed = [h for h in after if h in before and after[h] != before[h]]
    change.removed = [h for h in before if h not in after]


def _reused_vectors(store: Store, old: State, ids: list[str]) -> dict[str, np.ndarray]:
    """Vectors already in the index, so moved or re-ordered chunks are never embedded again."""
    if not ids:
        return {}
    return chroma_vectors(store.collection(old.collection), ids)


def _sweep(store: Store, live: str, ids: Collection[str]) -> None:
    """Remove what a crashed or finished ingest left that the record does not list (its live collection, ids)."""
    if not live:
        return
    for name in store.collection_names():
        if name.startswith("chunks-") and name != live:
            store.drop_collection(name)
    collection = store.collection(live, create=True)
    if collection.count() == len(ids):
        return
    extra = [i for i in collection.get(include=[])["ids"] if i not in ids]
    for start in range(0, len(extra), CHROMA_BATCH):
        collection.delete(ids=extra[start : start + CHROMA_BATCH])
