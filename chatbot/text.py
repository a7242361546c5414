"""Small text helpers shared by retrieval, answering and evaluation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Question and filler words that say nothing about the topic.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "either",
        "else",
        "ever",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "like",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "myself",
        "need",
        "needs",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "please",
        "same",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "such",
        "tell",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "very",
        "want",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "whats",
        "what's",
        "i'm",
        "im",
        "ok",
        "okay",
        "really",
        "thing",
        "things",
    ]
)

_WORD = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # category C in ASCII, but for newline and tab


def normalize(text: str) -> str:
    """Unicode-fold, straighten quotes and dashes, drop control and zero-width characters."""
    if text.isascii():  # NFKC and the quote map leave ASCII as it is; the per-character scan is 80% of a build
        return _ASCII_CONTROL.sub("", text).strip()
    text = unicodedata.normalize("NFKC", text)
    text = text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-"})
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()


def words(text: str) -> list[str]:
    """Lower-cased word tokens, keeping numbers like 112,430 and 9.7 whole."""
    return _WORD.findall(normalize(text).lower())  # (a match starts and ends with a letter or digit)


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Snowball English stem of one lower-cased word."""
    return _stemmer().stemWord(word)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning (no stopwords)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


@lru_cache(maxsize=1)
def _english():  # type: ignore[no-untyped-def]
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


def is_english(word: str) -> bool:
    """True for a word of everyday English ('highest', 'exec'): such a word is what the asker meant, not a typo."""
    return word in _english()
