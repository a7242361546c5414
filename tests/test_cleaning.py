"""Cleaning: every word rule with what it must and must not match; lists, links and sections; prose stays."""

from __future__ import annotations

import pytest

from chatbot.cleaning import (
    INLINE_RULES,
    PROMPT_ITEM,
    RULES,
    TOC_DIRECTIVE,
    Block,
    BlockKind,
    DropReason,
    Item,
    Link,
    Rule,
    clean,
    strip_inline,
)

ALL_RULES = [*RULES, *INLINE_RULES, TOC_DIRECTIVE, PROMPT_ITEM]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.reason.name)
def test_each_rule_matches_its_examples_and_not_its_counter_examples(rule: Rule) -> None:
    assert rule.drops and rule.keeps
    for text in rule.drops:
        assert rule.matches(text), (rule.reason, text)
    for text in rule.keeps:
        assert not rule.matches(text), (rule.reason, text)


def heading(text: str, level: int = 2) -> Block:
    return Block(BlockKind.HEADING, text, level=level)


def para(text: str, *links: Link) -> Block:
    return Block(BlockKind.PARAGRAPH, text, items=(Item(text, links),))


def listing(*items: Item) -> Block:
    return Block(BlockKind.LIST, "\n".join(f"- {i.text}" for i in items), items=items)


def reasons(blocks: list[Block]) -> list[DropReason]:
    return [d.reason for d in clean(blocks)[1]]


def kept_texts(blocks: list[Block]) -> list[str]:
    return [b.text for b in clean(blocks)[0]]


def link_item(text: str, href: str, rest: str = "") -> Item:
    return Item(f"{text}{rest}", (Link(text, href),))


def test_a_list_of_anchor_links_repeating_the_headings_is_a_table_of_contents() -> None:
    toc = listing(link_item("What does a baker do?", "#what"), link_item("How much does a baker earn?", "#pay"))
    blocks = [toc, heading("What does a baker do?"), para("Bakes bread every morning before dawn.")]
    assert reasons(blocks) == [DropReason.TOC_LIST]
    assert kept_texts(blocks) == ["What does a baker do?", "Bakes bread every morning before dawn."]


def test_a_plain_list_that_repeats_every_heading_is_a_table_of_contents() -> None:
    toc = listing(Item("Duties"), Item("Pay and hours"), Item("Training"))
    blocks = [toc, *(b for h in ("Duties", "Pay and hours", "Training") for b in (heading(h), para(f"{h} text.")))]
    assert reasons(blocks) == [DropReason.TOC_LIST]


def test_link_only_lists_and_paragraphs_go_but_prose_with_a_link_stays() -> None:
    links = listing(link_item("Bakery jobs", "https://a.example"), link_item("Flour suppliers", "https://b.example"))
    crumbs = para("Home › Careers › Baker", Link("Home", "/"), Link("Careers", "/c"))
    prose = para("Read the guide to food hygiene before you start.", Link("guide to food hygiene", "/h"))
    skills = listing(Item("Kneading dough"), link_item("Food safety", "/f", " certificate from a local college"),
                     Item("Early starts"))
    blocks = [heading("Links"), links, crumbs, heading("Skills"), prose, skills]
    assert reasons(blocks) == [DropReason.LINK_LIST, DropReason.LINK_ONLY]
    assert kept_texts(blocks)[1:] == ["Skills", prose.text, skills.text]


def test_described_reading_links_are_kept() -> None:
    reading = listing(link_item("Bread Lab", "https://a.example", ": recipes and the science of dough"),
                      link_item("Baker Weekly", "https://b.example", ": news about the baking trade"))
    assert reasons([heading("Further reading"), reading]) == []


def test_prompt_lists_go_under_a_prompts_heading_or_when_every_item_asks_for_writing() -> None:
    prompts = listing(Item("Write a detailed essay on the duties of a baker at each career stage."),
                      Item("Create a roadmap for someone moving into baking from retail work."),
                      Item("Summarize the tools a baker should master in the first year."))
    assert reasons([heading("ChatGPT Prompts"), prompts]) == [DropReason.PROMPT_LIST]
    assert reasons([heading("Ideas"), prompts]) == [DropReason.PROMPT_LIST]


def test_a_list_of_tips_starting_with_verbs_is_guide_content() -> None:
    tips = listing(Item("Create a GitHub repository for each project you finish."),
                   Item("Write clear README files that explain your approach and results."),
                   Item("Develop a personal website to host your portfolio and contact details."),
                   Item("Write a blog post about the hardest bug you fixed and what you learned."))
    blocks = [heading("Portfolio tips"), tips, para("Share your work on GitHub so employers can see it.")]
    assert reasons(blocks) == []
    assert len(kept_texts(blocks)) == 3


def test_a_matching_heading_drops_its_whole_section_down_to_the_next_heading_at_its_level() -> None:
    blocks = [
        heading("Duties"), para("Bakers weigh, mix and shape dough."),
        heading("Related careers"), listing(Item("Pastry chef"), Item("Cook")),
        heading("Pastry chef", 3), para("Sweet things."),
        heading("Pay"), para("About 24,000 a year."),
    ]
    assert reasons(blocks) == [DropReason.RELATED]
    assert kept_texts(blocks) == ["Duties", "Bakers weigh, mix and shape dough.", "Pay", "About 24,000 a year."]


def test_empty_headings_are_reported_but_a_parent_heading_is_not_empty() -> None:
    blocks = [heading("Training"), heading("College", 3), para("A two-year course."), heading("Notes"),
              heading("Pay"), para("About 24,000 a year.")]
    dropped = clean(blocks)[1]
    assert [(d.reason, d.words) for d in dropped] == [(DropReason.EMPTY_HEADING, "Notes")]


def test_a_directive_line_is_found_in_the_source_the_renderer_hid() -> None:
    toc = Block(BlockKind.LIST, "- TOC {:toc}", items=(Item("TOC {:toc}"),), source="* TOC\n{:toc}")
    assert reasons([toc, heading("Duties"), para("Mixing dough.")]) == [DropReason.TOC_DIRECTIVE]


def test_unknown_tags_go_with_their_text_kept_and_bare_urls_go_with_link_text_kept() -> None:
    text, dropped = strip_inline(
        'A <span class="note">portfolio</span> matters. See https://example.com/x?utm_source=mail for more.'
    )
    assert text == "A portfolio matters. See for more."
    assert [d.reason for d in dropped] == [DropReason.UNKNOWN_TAG, DropReason.BARE_URL]
    assert dropped[1].words == "https://example.com/x?utm_source=mail"


def test_a_block_that_is_only_a_tag_is_dropped_and_code_is_left_alone() -> None:
    tag = Block(BlockKind.HTML, '<call-to-action title="Enrol" />')
    code = Block(BlockKind.CODE, "```\n<b>https://example.com</b>\n```")
    kept, dropped = clean([heading("Duties"), tag, code])
    assert [d.reason for d in dropped] == [DropReason.UNKNOWN_TAG]
    assert kept[-1] == code


def test_indentation_of_nested_list_items_survives_inline_cleaning() -> None:
    nested = listing(Item("Pros:"), Item("Good pay"))
    nested = Block(BlockKind.LIST, "- Pros:\n  - Good pay <b>always</b>", items=nested.items)
    assert kept_texts([heading("Pay"), nested])[1] == "- Pros:\n  - Good pay always"


def test_a_title_line_above_the_first_heading_is_not_reported_as_empty() -> None:
    blocks = [heading("Baker Career Guide"), heading("What does a Baker do?"), para("Bakes bread.")]
    kept, dropped = clean(blocks)
    assert dropped == [] and [b.text for b in kept] == ["What does a Baker do?", "Bakes bread."]


def test_a_contents_heading_drops_its_list_even_without_links() -> None:
    blocks = [heading("In this article"), listing(Item("Duties"), Item("Pay")), heading("Duties"), para("Mixing.")]
    assert reasons(blocks) == [DropReason.TOC_LIST]
    assert kept_texts(blocks) == ["Duties", "Mixing."]


def test_a_prompt_engineer_guide_keeps_its_duties_list() -> None:
    duties = listing(Item("Design prompts that make a model answer in a fixed format."),
                     Item("Write evaluation sets to compare prompts."),
                     Item("Develop guardrails against unsafe output."))
    blocks = [heading("What does a Prompt Engineer do?"), duties, heading("Prompt engineering tools"),
              para("Notebooks.")]
    assert reasons(blocks) == []
