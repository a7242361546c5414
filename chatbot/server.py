"""Chroma server mode: the record of what is indexed lives in the server, where every app process sees it.

Same contract as the SQLite record: the live chunks of a version sit in their own record collection, and
one upsert of the `state` item switches versions, so readers see the old state or the new, never a mix.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from chatbot.errors import IndexMissingError
from chatbot.store import ChunkRow, GuideRow, State, decode_vector, encode_vector, http_client

META = "careerbot-meta"
SENTENCES = "careerbot-sentences"
RECORD_PREFIX = "careerbot-record-"
PAGE = 1000
_DUMMY = [0.0]  # Chroma stores a vector with every item; record rows need none


KEPT_ACROSS_COMMITS = frozenset({"calibration"})  # set_meta values that outlive a version switch


class ServerRecord:
    """The record kept in Chroma collections on a server (implements `chatbot.store.Record`)."""

    def __init__(self, chroma_url: str) -> None:
        self.chroma_url = chroma_url
        self._lock = threading.Lock()
        self._connection: Any = None

    def _client(self) -> Any:
        if self._connection is None:
            self._connection = http_client(self.chroma_url)
        return self._connection

    def _collection(self, name: str, space: str = "l2") -> Any:
        return self._client().get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": space}}
        )

    def _meta(self) -> dict[str, Any]:
        got = self._collection(META).get(ids=["state"], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] else {}

    def meta(self, key: str, default: str = "") -> str:
        """One value of the state item."""
        return str(self._meta().get(key, default))

    def set_meta(self, key: str, value: str) -> None:
        """Keep a value in the state item (a commit carries it over)."""
        with self._lock:
            meta = self._meta()
            self._collection(META).upsert(ids=["state"], embeddings=[_DUMMY], metadatas=[{**meta, key: value}])

    def version(self) -> int:
        """The committed version number; 0 when nothing was ever committed."""
        return int(self._meta().get("version", 0))

    def state(self) -> State:
        """The committed state: the state item, then its record collection."""
        meta = self._meta()
        chunks: dict[str, ChunkRow] = {}
        if meta.get("record"):
            try:
                record = self._client().get_collection(str(meta["record"]), embedding_function=None)
            except Exception as exc:
                raise IndexMissingError("the index record on the Chroma server is missing; run: python ingest.py "
                                        "--rebuild") from exc
            for offset in range(0, record.count(), PAGE):
                got = record.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
                for chunk_id, text, row in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                    chunks[chunk_id] = ChunkRow(chunk_id, str(row["source"]), int(row["position"]), str(row["hash"]),
                                                text, json.loads(str(row["metadata"])))
        guides = {g[0]: GuideRow.from_list(g) for g in json.loads(str(meta.get("guides", "[]")))}
        ordered = dict(sorted(chunks.items(), key=lambda item: (item[1].source, item[1].position)))
        return State(int(meta.get("version", 0)), str(meta.get("collection", "")),
                     str(meta.get("embedding_model", "")), guides, ordered)

    def commit(self, collection: str, embedding_model: str, guides: Sequence[GuideRow],
               chunks: Sequence[ChunkRow]) -> int:
        """Write the new record collection, then switch the state item to it in one upsert."""
        with self._lock:
            meta = self._meta()
            version = int(meta.get("version", 0)) + 1
            name = f"{RECORD_PREFIX}{uuid.uuid4().hex[:12]}"
            record = self._collection(name)
            for start in range(0, len(chunks), PAGE):
                batch = chunks[start : start + PAGE]
                record.add(
                    ids=[c.id for c in batch], embeddings=[_DUMMY] * len(batch), documents=[c.text for c in batch],
                    metadatas=[{"source": c.source, "position": c.position, "hash": c.hash,
                                "metadata": json.dumps(c.metadata, sort_keys=True)} for c in batch],
                )
            kept = {k: v for k, v in meta.items() if k in KEPT_ACROSS_COMMITS}
            self._collection(META).upsert(ids=["state"], embeddings=[_DUMMY], metadatas=[{
                **kept, "version": version, "collection": collection, "embedding_model": embedding_model,
                "record": name, "guides": json.dumps([g.to_list() for g in guides]),
            }])
            for stale in self._client().list_collections():
                stale_name = stale if isinstance(stale, str) else stale.name
                if stale_name.startswith(RECORD_PREFIX) and stale_name != name:
                    self._client().delete_collection(stale_name)
        return version

    def known_sentence_hashes(self) -> set[str]:
        """Chunk hashes whose sentence vectors are stored."""
        sentences = self._collection(SENTENCES)
        hashes: set[str] = set()
        for offset in range(0, sentences.count(), PAGE):
            hashes |= {str(m["hash"]) for m in sentences.get(include=["metadatas"], limit=PAGE, offset=offset)
                       ["metadatas"]}
        return hashes

    def add_sentences(
        self, rows: Sequence[tuple[str, int, str, np.ndarray]], chunk_texts: Mapping[str, str]
    ) -> None:
        """Store sentence vectors (before the switch: unreferenced rows are harmless); texts are kept whole here."""
        sentences = self._collection(SENTENCES, space="cosine")
        for start in range(0, len(rows), PAGE):
            batch = rows[start : start + PAGE]
            sentences.upsert(
                ids=[f"{h}:{i}" for h, i, _, _ in batch],
                # Rounded as the SQLite record stores them, so both records give an answer the same scores.
                embeddings=np.stack([decode_vector(encode_vector(v)) for _, _, _, v in batch]),
                documents=[t for _, _, t, _ in batch], metadatas=[{"hash": h, "idx": i} for h, i, _, _ in batch],
            )

    def sentences(self, hashes: Sequence[str]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Sentence texts and vectors for the given chunk hashes, in order."""
        out: dict[str, list[tuple[str, np.ndarray]]] = {h: [] for h in hashes}
        if not hashes:
            return out
        got = self._collection(SENTENCES, space="cosine").get(
            where={"hash": {"$in": list(hashes)}}, include=["documents", "embeddings", "metadatas"]
        )
        rows = sorted(zip(got["metadatas"], got["documents"], got["embeddings"], strict=True),
                      key=lambda r: (str(r[0]["hash"]), int(r[0]["idx"])))
        for meta, text, vector in rows:
            out[str(meta["hash"])].append((text, np.asarray(vector, dtype=np.float32)))
        return out

    def drop_unused_sentences(self) -> None:
        """Forget sentence vectors no live chunk refers to."""
        live = {c.hash for c in self.state().chunks.values()}
        sentences = self._collection(SENTENCES, space="cosine")
        stale: list[str] = []
        for offset in range(0, sentences.count(), PAGE):
            got = sentences.get(include=["metadatas"], limit=PAGE, offset=offset)
            stale += [i for i, m in zip(got["ids"], got["metadatas"], strict=True) if str(m["hash"]) not in live]
        for start in range(0, len(stale), PAGE):
            sentences.delete(ids=stale[start : start + PAGE])

    def compact(self) -> None:
        """Nothing to do: the server manages its own files."""

    def close(self) -> None:
        """Nothing to close: the client belongs to the store."""
