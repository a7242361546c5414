"""Countries in questions and in guides' figures."""

from __future__ import annotations

import pytest

from chatbot.places import UNITED_STATES, places_in


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("how much do devops engineers earn in sri lanka?", ["Sri Lanka"]),
        ("what do nurses earn in the UK?", ["United Kingdom"]),
        ("and in germany?", ["Germany"]),
        ("The BLS reports an average national salary", [UNITED_STATES]),
        ("In the US, starting salaries can range", [UNITED_STATES]),
        ("pay in the U.S. versus India", [UNITED_STATES, "India"]),
        ("tell us about the pay", []),  # "us" in lower case is a pronoun
        ("is it in demand?", []),
        ("what does Jordan earn in Georgia?", []),  # names that are also people or U.S. states are not read
    ],
)
def test_places_in(text: str, places: list[str]) -> None:
    assert places_in(text) == places
