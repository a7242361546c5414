"""Job titles from the O*NET occupation lexicon: the role a guide names, its usual short forms, and job lookup.

The lexicon (`chatbot/data/onet-titles.tsv`, built by `scripts/build_titles.py`) is read on first use, once.
O*NET 29.3 Database by the U.S. Department of Labor, Employment and Training Administration (USDOL/ETA).
Used under the CC BY 4.0 license.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from chatbot.errors import CareerBotError
from chatbot.formats import Kind, format_of
from chatbot.text import STOPWORDS, normalize, words

DATA_FILE = "onet-titles.tsv"
MAX_ROLE_CHARS = 80

# Lexicon titles that, alone, name the document rather than a job: "Guide" in "Registered Nurse Career Guide".
DOCUMENT_WORDS = frozenset(["guide"])
# Words before a bare head noun that are not part of the job: "How to Become Engineer", "Complete Engineer Guide".
FILLER_WORDS = frozenset(["become", "becoming", "complete", "ultimate", "career", "careers", "guide", "junior",
                          "senior", "entry", "level", "professional", "certified", "successful", "good", "great"])

# Where a guide title's parts split: "Lifeguard | Explore careers", "Machine Learning Engineer: A Career Path".
_SEGMENTS = re.compile(r"\s*[:|\u2013\u2014]\s*|\s+-\s+")
# A leading list number: "5. Data Scientist", "6) DevOps Engineer"; not a year ("2024 Salary Guide").
_NUMBERING = re.compile(r"^\s*\d{1,2}\s*[.)]\s+")
# Written-out phrasing around a role when the lexicon knows no title in it.
_FILLER = re.compile(
    r"^(?:(?:how|why)\s+to\s+(?:become|be)\s+(?:an?\s+)?|becoming\s+(?:an?\s+)?)|\s+(?:career\s+)?guide$", re.I
)
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]+$")
_WORD = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")  # as chatbot.text.words splits (tested)
_WRITTEN = re.compile(r"[A-Za-z0-9]+(?:[.,'][A-Za-z0-9]+)*")  # the words of chatbot.text.words, case kept


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    """A crude singular ('engineers' -> 'engineer', 'secretaries' -> 'secretary'), enough to match titles."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def key(text: str) -> tuple[str, ...]:
    """A title's lookup key: its lower-cased words, singular."""
    # Plain ASCII needs no Unicode folding: this keeps reading 57,000 titles well under a second.
    said = [w.strip("'") for w in _WORD.findall(text.lower())] if text.isascii() else words(text)
    return tuple(singular(w) for w in said)


@dataclass(frozen=True)
class Title:
    """One lexicon row: a job title, its short form ('UX Designer', 'RN') if any, and its O*NET-SOC code."""

    name: str
    short: str
    code: str

    @property
    def display(self) -> str:
        """The form a reader names: a short form with an acronym in it ('UX Designer'), else the full title
        ('Veterinary Nurse', not 'Vet Nurse'; 'Registered Nurse', not 'RN')."""
        parts = self.short.split()
        return self.short if len(parts) >= 2 and any(_ACRONYM.match(p) for p in parts) else self.name


@dataclass(frozen=True)
class Match:
    """A job title found in a text: its display name, and where it sits in the text's words."""

    role: str
    start: int
    end: int


class Lexicon:
    """Job titles indexed by their words, for finding the longest title in a text."""

    def __init__(self, titles: list[Title]) -> None:
        self.titles = titles
        self._by_key: dict[tuple[str, ...], list[Title]] = {}
        self._acronyms: dict[str, list[Title]] = {}  # "RN": matched only in capitals ("do" is not "DO")
        self._codes: dict[str, set[str]] = {}  # a title word -> the codes of the titles using it
        for t in titles:
            name = key(t.name)
            self._by_key.setdefault(name, []).append(t)
            if _ACRONYM.match(t.short):
                self._acronyms.setdefault(t.short, []).append(t)
            elif t.short:
                self._by_key.setdefault(key(t.short), []).append(t)
            for w in name:
                self._codes.setdefault(w, set()).add(t.code)
        self._longest = max((len(k) for k in self._by_key), default=0)

    def titles_for(self, text: str) -> list[Title]:
        """The titles a whole text spells, by full or short form ('UX designers' -> User Experience Designer)."""
        return self._by_key.get(key(text)) or self._acronyms.get(text.strip(), [])

    def display(self, said: tuple[str, ...]) -> str | None:
        """The display name for a key, preferring one spelled with exactly these (singular) words."""
        found = self._by_key.get(said)
        if not found:
            return None
        names = [t.display for t in found]
        exact = [n for n in names if tuple(w.lower() for w in n.split()) == said]
        name = (exact or names)[0]
        parts = name.split()
        return " ".join([*parts[:-1], singular_cased(parts[-1])])

    def find(self, text: str) -> Match | None:
        """The longest (then leftmost) job title in a text; a lone document word ('Guide') does not count."""
        said = key(text)
        for n in range(min(self._longest, len(said)), 0, -1):
            for i in range(len(said) - n + 1):
                part = said[i : i + n]
                if n == 1 and part[0] in DOCUMENT_WORDS:
                    continue
                role = self.display(part)
                if role:
                    return Match(role, i, i + n)
        for i, w in enumerate(_WRITTEN.findall(normalize(text))):
            if w in self._acronyms:
                return Match(self._acronyms[w][0].name, i, i + 1)
        return None

    def is_generic(self, word: str) -> bool:
        """True for a bare head noun that titles under many codes use alone ('Engineer', 'Designer')."""
        return len({t.code for t in self._by_key.get((singular(word.lower()),), [])}) >= 3

    def by_initials(self, acronym: str, head: str) -> str | None:
        """The one title whose modifiers' initials spell an acronym before a head ('ML', 'Engineer' -> Machine
        Learning Engineer); None when none or several do."""
        initials, last = tuple(acronym.lower()), singular(head.lower())
        found = {
            self.display(k)
            for k in self._by_key
            if len(k) == len(initials) + 1 and k[-1] == last and tuple(w[0] for w in k[:-1]) == initials
        }
        return found.pop() if len(found) == 1 else None

    def specific_words(self, role: str) -> list[str]:
        """Coined words among a role's modifiers that only its own titles' codes use ('devops' in DevOps
        Engineer); an ordinary word ('jail' in Jail Officer) is no name for the job, so a coined word is one
        written with a capital inside it (DevOps, WordPress)."""
        codes = {t.code for t in self.titles_for(role)}
        written = _WRITTEN.findall(normalize(role))
        return [
            w.lower()
            for w in written[:-1]
            if codes and len(w) >= 3 and any(c.isupper() for c in w[1:]) and w.lower() not in STOPWORDS
            and self._codes.get(singular(w.lower()), set()) <= codes
        ]


def singular_cased(word: str) -> str:
    """The singular of a word as written ('Scientists' -> 'Scientist')."""
    low = singular(word.lower())
    return word[: len(low)] if word.lower().startswith(low) else low


@cache
def lexicon() -> Lexicon:
    """The packaged O*NET titles, read once."""
    text = resources.files("chatbot").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    rows = csv.reader(text.splitlines()[1:], delimiter="\t", quoting=csv.QUOTE_NONE)  # title, short, code
    return Lexicon([Title(name, short, code) for name, short, code in rows])


def segments(text: str) -> list[str]:
    """A title's parts, numbering dropped: '5. Data Scientist: A Guide' -> ['Data Scientist', 'A Guide']."""
    return [s for s in (_NUMBERING.sub("", p).strip() for p in _SEGMENTS.split(text)) if s]


def name_role(title: str, first_heading: str = "") -> str:
    """The role a reader would name from a guide's title and first heading ('How to Become a UX Designer' -> 'UX
    Designer')."""
    for text in (title, first_heading):
        for part in segments(text):
            found = _role_in(part)
            if found:
                return found
    for text in (title, first_heading):
        parts = segments(text)
        if parts:
            return _FILLER.sub("", parts[0]).strip() or parts[0]
    return title.strip()


def _role_in(part: str) -> str | None:
    """The job title in one part of a title; a lone head noun takes the word before it ('ML Engineer',
    'Prompt Engineer'), written out when the lexicon knows the acronym."""
    lex = lexicon()
    found = lex.find(part)
    if found is None:
        return None
    written = _WRITTEN.findall(normalize(part))
    if found.end - found.start != 1 or found.start == 0 or len(written) != len(key(part)) or part.isupper():
        return found.role
    before, head = written[found.start - 1], written[found.start]
    if not lex.is_generic(head) or before.lower() in STOPWORDS or before.lower() in FILLER_WORDS:
        return found.role
    if _ACRONYM.match(before):
        return lex.by_initials(before, head) or f"{before} {found.role}"
    return f"{before[0].upper()}{before[1:]} {found.role}"


def aliases(role: str, given: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Other names for a role: given ones (front matter) first, then the lexicon's full and short forms and
    the role's own specific words ('Registered Nurse' -> 'RN'; 'DevOps Engineer' -> 'devops')."""
    found: dict[str, None] = {a.strip(): None for a in given if a.strip()}
    lex = lexicon()
    for t in lex.titles_for(role):
        for form in (t.name, t.short):
            if form:
                found[form] = None
    found.update(dict.fromkeys(lex.specific_words(role)))
    own = key(role)
    # An acronym that is an ordinary word ("DO" for Osteopathy Doctor) would turn up in every other question.
    return tuple(a for a in found if key(a) != own and not set(words(a)) <= STOPWORDS)


def is_occupation(text: str) -> bool:
    """True when the whole text is a job title in the lexicon ('dentist', 'registered nurses')."""
    return bool(lexicon().titles_for(text))


def occupation_in(text: str) -> str | None:
    """The longest job title a text names, if any ('how do I become a dentist' -> 'Dentist')."""
    found = lexicon().find(text)
    return found.role if found else None


def clean_role(role: str) -> str:
    """A role name as an admin typed it, checked: one line, a letter at least, at most MAX_ROLE_CHARS."""
    cleaned = " ".join(normalize(role or "").split())
    if not re.search(r"[^\W\d_]", cleaned):
        raise CareerBotError("Type the role's name, e.g. Data Scientist.")
    if len(cleaned) > MAX_ROLE_CHARS:
        raise CareerBotError(f"A role name has at most {MAX_ROLE_CHARS} characters.")
    return cleaned


def write_role(path: Path, role: str) -> None:
    """Set a Markdown guide's front matter `role` (other keys and the text stay), written atomically.

    Only Markdown has a place for it: other formats are refused with a message saying so.
    """
    from frontmatter.default_handlers import YAMLHandler

    found = format_of(path.name)
    if found is None or found.kind is not Kind.MARKDOWN:
        raise CareerBotError(
            "A role can only be set for Markdown guides (.md): it is written into the guide's front matter. "
            "For other formats, give the guide a title that names the job, or convert it to Markdown."
        )
    if path.is_symlink() or not path.is_file():
        raise CareerBotError(f"{path.name} is not a regular file in the knowledge folder; edit it by hand.")
    text = path.read_text(encoding="utf-8")
    handler = YAMLHandler()
    meta: object = {}
    body = "\n" + text
    if handler.detect(text):
        front, _ = handler.split(text)
        meta = handler.load(front) or {}
        closing = text.index(front) + len(front)  # the split drops blank lines after the closing "---": keep them
        end = text.find("\n", closing)
        body = text[end:] if end >= 0 else "\n"
    if not isinstance(meta, dict):
        raise CareerBotError(f"The front matter of {path.name} is not a set of keys; fix it by hand first.")
    meta["role"] = role
    updated = f"---\n{handler.export(meta, sort_keys=False)}\n---{body}"
    fd, tmp = tempfile.mkstemp(prefix=".role-", dir=path.parent)  # hidden: never read as a guide
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(updated)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
