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
    # A last word inside a name already found names no other role.
    assert ROLES.named("how do ML engineers get promoted") == {ML}
    assert ROLES.named("ML engineers or other engineers") == {ML, "Software Engineer", "Mechanical Engineer"}


def test_the_longest_name_in_a_text_wins() -> None:
    nested = Roles(["Data Scientist", "Senior Data Scientist", "Senior Data Scientist in Retail", ML])
    assert nested.called("What does a senior data scientist in retail earn?") == {"Senior Data Scientist in Retail"}
    assert nested.called("senior data scientists") == {"Senior Data Scientist"}
    assert nested.mentioned("How do I become a senior data scientist?") == "Senior Data Scientist"
    # Names side by side are all kept: only a name inside a longer one gives way.
    assert nested.called("data scientist vs senior data scientist") == {"Data Scientist", "Senior Data Scientist"}
    assert nested.called("senior data scientist or ML engineer") == {"Senior Data Scientist", ML}


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


def test_other_names_from_the_occupation_lexicon_resolve() -> None:
    roles = Roles(["DevOps Engineer", ML, "Registered Nurse", "UX Designer"])
    assert roles.mentioned("What does a User Experience Designer earn?") == "UX Designer"
    assert roles.mentioned("how do ux designers start") == "UX Designer"
    assert roles.mentioned("how long to become an RN") == "Registered Nurse"
    assert roles.mentioned("is MLE a good job") == ML
    assert roles.mentioned("ML engineer salary") == ML
    assert roles.mentioned("how do I get into devops") == "DevOps Engineer"
    assert roles.named("devops or ux designer") == {"DevOps Engineer", "UX Designer"}


def test_other_names_are_expanded_but_a_role_name_is_kept_whole() -> None:
    roles = Roles(["DevOps Engineer", "Registered Nurse"])
    assert roles.expand(words("devops tools")) == ["devops", "engineer", "tools"]
    assert roles.expand(words("devops engineers earn")) == ["devops", "engineers", "earn"]
    assert roles.expand(words("an rn")) == ["an", "registered", "nurse"]


def test_other_names_words_stay_ordinary_question_words() -> None:
    # "experience" in "how much experience do I need" must still count as a content word.
    roles = Roles(["UX Designer"])
    assert stem("experience") not in roles.stems
    assert not roles.covers({stem("experience")})


def test_roles_of_guides_take_their_given_aliases() -> None:
    from chatbot.store import GuideRow

    def row(source: str, role: str, aliases: tuple[str, ...] = ()) -> GuideRow:
        return GuideRow(source, role, role, "sha", "v", 1, 1, "now", aliases)

    roles = Roles.of_guides([row("b.md", "Data Scientist", ("numbers wizard",)), row("a.md", ML),
                             row("c.md", "Data Scientist")])
    assert roles.names == ["Data Scientist", ML]  # two guides for one role: one role
    assert roles.mentioned("what does a numbers wizard do") == "Data Scientist"


def test_every_field_example_is_derived() -> None:
    from chatbot.roles import FIELD_EXAMPLES, field_names

    for role, field in FIELD_EXAMPLES:
        assert field in field_names(role), role
    assert field_names("Cashier") == set()  # no field known: nothing made up


def test_a_field_names_its_role() -> None:
    roles = Roles(["Data Scientist", "DevOps Engineer", ML])
    assert roles.in_fields("how much math do I need for data science?") == {"Data Scientist"}
    assert roles.in_fields("is machine learning engineering hard?") == {ML}
    assert roles.in_fields("what is science?") == set()  # the field word alone names no role with modifiers
    assert {"data", "scientist", "scienc"} <= roles.own_stems("Data Scientist")


def test_in_order_sorts_known_roles_by_the_role_list() -> None:
    roles = Roles(["Registered Nurse", "Data Scientist", "DevOps Engineer"])
    assert roles.in_order({"DevOps Engineer", "Registered Nurse"}) == ("Registered Nurse", "DevOps Engineer")
    assert roles.in_order([]) == ()
