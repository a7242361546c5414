"""A cheaper embedder for building the 10k and 100k benchmark indexes (the real model would take hours).

Every text is split into sentences exactly as ingest splits chunks. A sentence's vector is the real MiniLM
vector of the sentence with the role name and digits neutralised ("A Senior Cloud Specialist ... $115,970" ->
"A the professional ... $000,000"), plus 0.6 x the real vector of the role name, normalised; a text of
several sentences gets the normalised mean of its sentences' vectors. The generated guides reuse their
template sentences across roles, so only a few tens of thousands of distinct texts go through the model.
Retrieval quality on such an index says little; its size, shape and timing behaviour are what it is for.
"""

from __future__ import annotations

import re
from pathlib import Path

import common  # noqa: F401  # first: puts the repository root on sys.path
import numpy as np

# isort: split
from corpus import DOMAINS, INDUSTRIES, SENIORITY

from chatbot.chunking import split_sentences
from chatbot.embeddings import PACKAGED_MODEL, SentenceTransformerEmbedder

_FIELDS = sorted({f for d in DOMAINS.values() for f in d["fields"]}, key=len, reverse=True)
_FAMILIES = sorted({f for d in DOMAINS.values() for f in d["families"]}, key=len, reverse=True)
_SENIORITY = "|".join(s for s in SENIORITY if s)
ROLE = re.compile(
    rf"\b((?:(?:{_SENIORITY}) )?(?:{'|'.join(map(re.escape, _FIELDS))}) (?:{'|'.join(_FAMILIES)}))s?"
    rf"( in (?:{'|'.join(INDUSTRIES)}))?\b"
)
ROLE_WEIGHT = 0.6


def neutral(sentence: str) -> tuple[str, list[str]]:
    """(the sentence with role names and digits neutralised, the role names it mentioned)."""
    roles = [m.group(1) + (m.group(2) or "") for m in ROLE.finditer(sentence)]
    return re.sub(r"\d", "0", ROLE.sub("the professional", sentence)), roles


class TemplateEmbedder:
    """The Embedder protocol over a cache of real vectors; see the module docstring."""

    def __init__(self, real: SentenceTransformerEmbedder, cache_file: Path) -> None:
        self.name = f"{PACKAGED_MODEL} [bench template approximation]"
        self.real = real
        self.cache_file = cache_file
        self.vectors: dict[str, np.ndarray] = {}
        self.model_texts = 0
        if cache_file.is_file():
            data = np.load(cache_file, allow_pickle=False)
            self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def save(self) -> None:
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.vectors)
        np.savez(self.cache_file, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    def embed(self, texts: list[str]) -> np.ndarray:
        split = [[neutral(s) for s in split_sentences(t) or [t]] for t in texts]
        missing = sorted({k for pieces in split for key, roles in pieces for k in [key, *roles]} - set(self.vectors))
        if missing:
            self.vectors.update(zip(missing, self.real.embed(missing), strict=True))
            self.model_texts += len(missing)
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, pieces in enumerate(split):
            for key, roles in pieces:
                v = self.vectors[key] + sum((ROLE_WEIGHT / len(roles) * self.vectors[r] for r in roles), 0.0)
                out[row] += v / np.linalg.norm(v)
            out[row] /= np.linalg.norm(out[row]) or 1.0
        return out
