"""Countries named in a question or in a guide's figures, so a figure for one place is never passed off as another's."""

from __future__ import annotations

import re
from functools import lru_cache

from chatbot.text import normalize

UNITED_STATES = "United States"
# Names people use that ISO does not list, and the U.S. sources whose figures are national U.S. figures.
_OTHER_NAMES = {
    "us": UNITED_STATES, "u.s": UNITED_STATES, "usa": UNITED_STATES, "u.s.a": UNITED_STATES, "america": UNITED_STATES,
    "the states": UNITED_STATES, "bls": UNITED_STATES, "bureau of labor statistics": UNITED_STATES,
    "uk": "United Kingdom", "u.k": "United Kingdom", "britain": "United Kingdom", "great britain": "United Kingdom",
    "england": "United Kingdom", "scotland": "United Kingdom", "wales": "United Kingdom",
    "uae": "United Arab Emirates", "south korea": "Korea, Republic of", "korea": "Korea, Republic of",
    "russia": "Russian Federation", "vietnam": "Viet Nam", "iran": "Iran, Islamic Republic of",
}
# Words that are also country codes or names in ordinary text: "IN", "IT", "US" in lower case are read only as above.
_NOT_NAMES = frozenset({"in", "it", "is", "am", "at", "be", "by", "do", "go", "me", "my", "no", "so", "to", "us",
                        "id", "as", "an", "or", "pa", "tv", "jordan", "chad", "georgia", "turkey", "guinea"})
_WORD = re.compile(r"[a-z]+(?:\.[a-z]+)*\.?")


@lru_cache(maxsize=1)
def _names() -> dict[tuple[str, ...], str]:
    import pycountry

    names: dict[tuple[str, ...], str] = {}
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)):
            if name:
                key = tuple(_WORD.findall(name.lower().split(",")[0]))
                if key and " ".join(key) not in _NOT_NAMES:
                    names.setdefault(key, country.name)
    for other, name in _OTHER_NAMES.items():
        names[tuple(_WORD.findall(other))] = name
    return names


@lru_cache(maxsize=1)
def _longest() -> int:
    return max(len(k) for k in _names())


def places_in(text: str) -> list[str]:
    """The countries a text names, in order, each once ('in sri lanka' -> ['Sri Lanka']; 'BLS' -> United States)."""
    said = [w.rstrip(".") for w in _WORD.findall(normalize(text).lower())]
    names = _names()
    longest = _longest()
    found: dict[str, None] = {}
    i = 0
    while i < len(said):
        for n in range(min(longest, len(said) - i), 0, -1):
            name = names.get(tuple(said[i : i + n]))
            if name and not (n == 1 and said[i] == "us" and not _CAPITAL_US.search(text)):
                found[name] = None
                i += n
                break
        else:
            i += 1
    return list(found)


# "us" is a country only when written as one: "US", "U.S." ("tell us" is not).
_CAPITAL_US = re.compile(r"\bU\.?S\.?(?![a-z])")
