"""Role names and short forms, looked up once per snapshot."""

from __future__ import annotations

from chatbot.roles import Roles, role_aliases
from chatbot.text import stem, words

ML = "Machine Learning Engineer"
ROLES = Roles([ML, "Registered Nurse", "Software Engineer", "Mechanical Engineer", "Data Scientist"])


def test_role_aliases() -> None:
    assert role_aliases(ML) == {"machine learning engineer", "mle", "ml engineer"}
    assert role_aliases("Nurse") == {"nurse"}
    assert role_aliases("") == set()


def test_an_acronym_that_is_an_ordinary_word_is_no_alias() -> None:
    # "tell me about the pay" must not be read as a question about a Mechanical Engineer.
    assert role_aliases("Mechanical Engineer") == {"mechanical engineer", "m engineer"}
    assert ROLES.mentioned("Tell me about the pay") is None
    assert expand("tell me about it") == "tell me about it"


def test_mentioned_takes_the_first_role_in_order() -> None:
    assert ROLES.mentioned("ML engineers and data scientists") == ML
    assert Roles(["Data Scientist", ML]).mentioned("ML engineers and data scientists") == "Data Scientist"
    assert ROLES.mentioned("What do nurses earn?") == "Registered Nurse"  # the only role ending in nurse
    assert ROLES.mentioned("What do engineers earn?") is None  # three roles end in engineer
    assert ROLES.mentioned("What do nurses earn?", by_head_noun=False) is None


def test_named_lists_every_role_a_text_could_mean() -> None:
    assert ROLES.named("how do engineers get promoted") == {ML, "Software Engineer", "Mechanical Engineer"}
    assert ROLES.named("an RN or a ds") == {"Registered Nurse", "Data Scientist"}
    assert ROLES.named("what is the weather") == set()


def test_covers_needs_one_role_using_every_stem() -> None:
    assert ROLES.covers({stem("engineer")})
    assert ROLES.covers({stem("machine"), stem("learning")})
    assert not ROLES.covers({stem("machine"), stem("nurse")})  # two roles' words, no single role
    assert not ROLES.covers({stem("dentist")})


def expand(text: str) -> str:
    return " ".join(ROLES.expand(words(text)))


def test_expand_writes_short_names_out_and_keeps_plurals() -> None:
    assert expand("how do ml engineers start") == "how do machine learning engineers start"
    assert expand("mles and rns") == "machine learning engineers and registered nurses"
    # A role's full name is never rewritten into another role's.
    assert Roles(["Ml Engineer", ML]).expand(["ml", "engineer"]) == ["ml", "engineer"]
