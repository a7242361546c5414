"""The roles the guides cover and the short names people use for them, looked up by word n-grams."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from chatbot import catalog
from chatbot.catalog import singular
from chatbot.text import STOPWORDS, stem, words

if TYPE_CHECKING:
    from chatbot.store import GuideRow

__all__ = ["FIELDS", "Roles", "field_names", "role_aliases", "singular"]

# The field a role's last word works in: "Data Scientist" works in "data science", "UX Designer" in "ux design".
# People name the field when they mean the role ("how much math for data science?"). Kept as data: each entry is
# checked by the tests against the examples below.
FIELDS: dict[str, str] = {
    "scientist": "science", "engineer": "engineering", "designer": "design", "developer": "development",
    "analyst": "analytics", "manager": "management", "accountant": "accounting", "nurse": "nursing",
    "teacher": "teaching", "architect": "architecture", "programmer": "programming", "consultant": "consulting",
    "marketer": "marketing", "writer": "writing", "researcher": "research", "economist": "economics",
    "statistician": "statistics", "physicist": "physics", "chemist": "chemistry", "biologist": "biology",
    "psychologist": "psychology", "pharmacist": "pharmacy", "journalist": "journalism",
    "photographer": "photography", "therapist": "therapy", "dentist": "dentistry", "lawyer": "law",
    "administrator": "administration", "plumber": "plumbing", "carpenter": "carpentry", "pilot": "aviation",
    "translator": "translation", "illustrator": "illustration", "animator": "animation", "editor": "editing",
    "auditor": "auditing", "banker": "banking", "recruiter": "recruiting", "trader": "trading",
}
FIELD_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("Data Scientist", "data science"), ("UX Designer", "ux design"), ("DevOps Engineer", "devops engineering"),
    ("Registered Nurse", "nursing"), ("Software Developer", "software development"),
)


def field_names(role: str) -> set[str]:
    """The names of the field a role works in: 'Data Scientist' -> 'data science'; a one-word head alone too
    ('nursing' for Registered Nurse) when the role's other words only qualify it."""
    parts = words(role)
    field = FIELDS.get(singular(parts[-1])) if parts else None
    if not field:
        return set()
    names = {" ".join([*parts[:-1], field])}
    if len(parts) == 1 or field in {"nursing", "dentistry", "pharmacy", "law", "plumbing", "carpentry"}:
        names.add(field)
    return names


def role_aliases(role: str) -> set[str]:
    """Short names people use for a role: 'Machine Learning Engineer' -> 'ml engineer', 'mle'."""
    parts = words(role)
    aliases = {" ".join(parts)} if parts else set()
    if len(parts) >= 2:
        initials, short = "".join(p[0] for p in parts), "".join(p[0] for p in parts[:-1])
        # An ordinary word ("me" for Mechanical Engineer) would turn up in every other question.
        if initials not in STOPWORDS:
            aliases.add(initials)
        if short not in STOPWORDS:
            aliases.add(f"{short} {parts[-1]}")
    return aliases


class Roles:
    """Role names with their aliases indexed once, so lookups cost the same for 1 role or 20,000.

    Besides the short forms built from a name ('mle'), a role answers to the other names the occupation
    lexicon gives it ('RN', 'User Experience Designer', 'devops') and to names given with it (front matter).
    """

    def __init__(self, names: Iterable[str], given: Mapping[str, Sequence[str]] | None = None) -> None:
        self.names: list[str] = list(dict.fromkeys(n for n in names if n))
        self._order = {name: i for i, name in enumerate(self.names)}
        self._alias: dict[tuple[str, ...], list[str]] = {}  # singular alias words -> roles, in order
        self._expand: dict[tuple[str, ...], tuple[str, ...]] = {}  # short name -> the role's full words
        self._heads: dict[str, list[str]] = {}  # singular last word -> roles ending in it
        self._fields: dict[tuple[str, ...], list[str]] = {}  # the field a role works in -> roles
        self._by_stem: dict[str, set[int]] = {}  # stem of an alias word -> roles using it
        full_names = {tuple(words(n)) for n in self.names}
        alias_words: set[str] = set()
        for i, name in enumerate(self.names):
            full = tuple(words(name))
            if not full:
                continue
            built = role_aliases(name)
            other = {" ".join(words(a)) for a in catalog.aliases(name, tuple((given or {}).get(name, ())))}
            for alias in sorted(built | other - {""}):
                parts = tuple(alias.split())
                self._alias.setdefault(tuple(singular(w) for w in parts), []).append(name)
                if parts != full and parts not in full_names:  # first role wins, as in sorted order
                    self._expand.setdefault(parts, full)
                alias_words.update(parts)
                if alias in built:  # other names' words ("user", "experience") stay ordinary question words
                    for w in parts:
                        self._by_stem.setdefault(stem(w), set()).add(i)
            self._heads.setdefault(singular(full[-1]), []).append(name)
            for field in field_names(name):
                self._fields.setdefault(tuple(field.split()), []).append(name)
        self._full = {tuple(singular(w) for w in f) for f in full_names}
        self._longest = max((len(k) for k in self._alias), default=0)
        self._longest_field = max((len(k) for k in self._fields), default=0)
        self.words = frozenset(alias_words)  # every word of every name and short form
        self.stems = frozenset(self._by_stem)

    @classmethod
    def of_guides(cls, guides: Iterable[GuideRow]) -> Roles:
        """The roles of the guides in the index, with the aliases each guide gives its role."""
        rows = sorted(guides, key=lambda g: g.role)
        given: dict[str, list[str]] = {}
        for g in rows:
            given.setdefault(g.role, []).extend(g.aliases)
        return cls([g.role for g in rows if g.role], given)

    @classmethod
    def of(cls, roles: Roles | Sequence[str]) -> Roles:
        """Roles as given, or indexed from a list of names."""
        return roles if isinstance(roles, Roles) else cls(roles)

    def _said(self, text: str) -> list[str]:
        return [singular(w) for w in words(text)]

    def _by_alias(self, said: list[str]) -> set[str]:
        return self._aliases_in(said)[0]

    def _aliases_in(self, said: list[str]) -> tuple[set[str], set[int]]:
        """The roles named by an alias, and the positions of the words those aliases use.

        The longest name wins: "senior data scientist in retail" names that role alone, not also the Data
        Scientist and Senior Data Scientist whose names lie inside it.
        """
        spans = [(i, i + n, roles) for i in range(len(said)) for n in range(1, min(self._longest, len(said) - i) + 1)
                 if (roles := self._alias.get(tuple(said[i : i + n]), ()))]
        found: set[str] = set()
        used: set[int] = set()
        for start, end, roles in spans:
            if not any(s <= start and end <= e and e - s > end - start for s, e, _ in spans):
                found.update(roles)
                used.update(range(start, end))
        return found, used

    def in_order(self, names: Iterable[str]) -> tuple[str, ...]:
        """Known role names in the role list's order (from the table built once: 16,668 roles at 100k chunks)."""
        return tuple(sorted(names, key=self._order.__getitem__))

    def mentioned(self, text: str, by_head_noun: bool = True) -> str | None:
        """The role a text names, by full name or a short form ('ML engineers' -> 'Machine Learning Engineer')."""
        said = self._said(text)
        found = self._by_alias(said)
        if found:
            return min(found, key=self._order.__getitem__)
        if not by_head_noun:
            return None
        # "nurses" alone names Registered Nurse when no other role ends in "nurse".
        heads = {w for w in said if len(w) > 3 and len(self._heads.get(w, ())) == 1}
        return self._heads[heads.pop()][0] if len(heads) == 1 else None

    def called(self, text: str) -> set[str]:
        """The roles a text calls by a name or short form ('ML engineers'); a shared last word alone is not one."""
        return self._by_alias(self._said(text))

    def named(self, text: str) -> set[str]:
        """Every role a text could mean: by a name or short form, or by a last word of its own ('engineers')."""
        said = self._said(text)
        found, used = self._aliases_in(said)
        # A last word inside a name already found is not another role: "platform engineer" is only the role
        # that alias names, not every engineer.
        return found | {r for i, w in enumerate(said) if len(w) > 3 and i not in used for r in self._heads.get(w, ())}

    def in_fields(self, text: str) -> set[str]:
        """The roles whose field a text names ('how much math for data science?' -> Data Scientist)."""
        said = [w.lower() for w in words(text)]
        return {r for i in range(len(said)) for n in range(1, min(self._longest_field, len(said) - i) + 1)
                for r in self._fields.get(tuple(said[i : i + n]), ())}

    @staticmethod
    def own_stems(role: str) -> set[str]:
        """The stems of a role's name and field ('data', 'scientist', 'scienc'): within its own guides they rank
        nothing."""
        return {stem(w) for w in words(role) + [w for f in field_names(role) for w in f.split()]}

    def covers(self, stems: set[str]) -> bool:
        """True when one role's names use all these stems ('engineer' for Machine Learning Engineer)."""
        common: set[int] | None = None
        for s in stems:
            common = set(self._by_stem.get(s, ())) if common is None else common & self._by_stem.get(s, set())
            if not common:
                return False
        return bool(common)

    def expand(self, said: list[str]) -> list[str]:
        """Short names written out in the guides' own words: 'ml engineers' -> 'machine learning engineers'."""
        out: list[str] = []
        i = 0
        while i < len(said):
            for n in range(min(self._longest, len(said) - i), 0, -1):
                parts = tuple(said[i : i + n])
                if tuple(singular(w) for w in parts) in self._full:  # a role's own name stays as written
                    out += parts
                    i += n
                    break
                full, plural = self._expand.get(parts), ""
                if full is None and parts[-1].endswith("s"):
                    full, plural = self._expand.get((*parts[:-1], parts[-1][:-1])), "s"
                if full:
                    out += [*full[:-1], full[-1] + plural]
                    i += n
                    break
            else:
                out.append(said[i])
                i += 1
        return out
