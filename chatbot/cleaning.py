"""Drop what a guide copied from the web carries that is not guide content, and say what and why."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum, StrEnum


class DropReason(StrEnum):
    """Why a block of a guide was left out."""

    TOC_DIRECTIVE = "toc directive"
    TOC_LIST = "table of contents"
    LINK_LIST = "link-only list"
    LINK_ONLY = "link-only paragraph"
    EMPTY_HEADING = "empty heading"
    SHARE = "share/social block"
    AUTHOR_BIO = "author bio"
    PROMPT_LIST = "prompt list"
    UNKNOWN_TAG = "unknown tag"
    BARE_URL = "bare url"
    COOKIES = "cookie banner"
    FEEDBACK = "feedback form"
    NAVIGATION = "site navigation"
    RELATED = "related links"
    JOB_ADS = "job ads"
    RUNNING_HEADER = "running header/footer"


@dataclass(frozen=True)
class Dropped:
    """One block left out of a guide: why, and its first words."""

    reason: DropReason
    words: str


class BlockKind(Enum):
    """What a block of a guide is."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST = "list"
    TABLE = "table"
    CODE = "code"
    HTML = "html"


@dataclass(frozen=True)
class Link:
    """A link's visible text and its target."""

    text: str
    href: str


@dataclass(frozen=True)
class Item:
    """A list item (or a paragraph's single line of text) with the links it holds."""

    text: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Block:
    """A heading, paragraph, list, table or code block, as it will read in a section."""

    kind: BlockKind
    text: str
    level: int = 0  # heading level
    items: tuple[Item, ...] = ()
    source: str = ""  # the block as written, for directives a renderer hides
    tight: bool = False  # directly under the previous block in the source (no blank line between)
    page: int | None = None


@dataclass(frozen=True)
class Rule:
    """A word rule: a short block (or a heading, with its whole section) it matches is not guide content."""

    reason: DropReason
    pattern: re.Pattern[str]
    drops: tuple[str, ...]  # examples that must match
    keeps: tuple[str, ...]  # examples that must not
    max_words: int = 12  # longer blocks are prose that merely mentions the words
    whole_section: bool = False
    raw: bool = False  # match the text as written, Markdown markers included

    def matches(self, text: str) -> bool:
        """Whether the rule drops this text."""
        plain = text if self.raw else _plain(text)
        return len(plain.split()) <= self.max_words and bool(self.pattern.search(plain))


_SOCIAL = r"(social media|facebook|twitter|x|linkedin|instagram|whatsapp|pinterest|reddit|email|youtube|tiktok)"

RULES = (
    Rule(
        DropReason.TOC_LIST,
        re.compile(r"^\W*(table of contents|contents|in this (article|guide|post|page)|on this page|jump to)\W*$",
                   re.I),
        drops=("Table of Contents", "In this article", "On this page:"),
        keeps=("Contents of a first-aid kit", "What is in this guide for nurses?"),
        max_words=5,
        whole_section=True,
    ),
    Rule(
        DropReason.PROMPT_LIST,
        re.compile(r"^\W*((chat)?gpt |ai |chatbot |example |sample |useful )?prompts?"
                   r"( to try| for (chatgpt|gpt|ai|a chatbot)| you can use)?\W*$", re.I),
        drops=("Prompts", "GPT Prompts", "ChatGPT prompts to try", "Useful prompts:"),
        keeps=("Prompt engineering", "What does a Prompt Engineer do?", "Prompts and cues in stage management"),
        max_words=6,
        whole_section=True,
    ),
    Rule(
        DropReason.SHARE,
        re.compile(
            rf"^\W*share( this)?( (article|post|page|guide|story))?\W*(( on| via| to)? {_SOCIAL})?\W*$"
            rf"|^\W*(share|follow us|tweet)( (this|us))?( on| via)? {_SOCIAL}\b"
            rf"|^(\W*{_SOCIAL}\W*){{2,}}$",
            re.I,
        ),
        drops=("Share on Social Media", "Share this article:", "Share", "Follow us on Twitter and LinkedIn",
               "Facebook Twitter LinkedIn Email"),
        keeps=("Share your work on GitHub so employers can see it.",
               "Share your portfolio with recruiters on LinkedIn.", "Social media managers plan campaigns."),
        whole_section=True,
    ),
    Rule(
        DropReason.AUTHOR_BIO,
        re.compile(
            r"^\W*(about the author|author bio|meet the author|written by|posted by|author:)"
            r"|^(?-i:By [A-Z][a-z]+ [A-Z][a-z]+)\W*$"
            r"|^(?!(a|an|the|every|each|our|this|your)\b)(?-i:[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}) is an? "
            r"(\w+ ){0,2}(writer|author|editor|journalist|blogger|copywriter|content (creator|strategist))\b",
            re.I,
        ),
        drops=("About the Author", "Written by Jane Doe, career coach",
               "Jane Doe is a freelance writer who covers careers in tech.", "By Sam Lee"),
        keeps=("A Technical Writer is a professional writer who explains products.",
               "Authors of the study found that salaries rose 5%.", "Jane is a nurse with ten years of experience.",
               "By the end of the course you can build a model."),
        max_words=80,
        whole_section=True,
    ),
    Rule(
        DropReason.COOKIES,
        re.compile(r"\b(we use (some )?(essential )?cookies|this (site|website) uses cookies|accept (all )?cookies"
                   r"|reject (all )?(additional )?cookies|cookie (settings|preferences|policy))\b", re.I),
        drops=("We use cookies to make this site work. Accept all cookies", "Cookie settings"),
        keeps=("Bakers make cookies, cakes and bread for shops.",),
        max_words=80,
        whole_section=True,
    ),
    Rule(
        DropReason.FEEDBACK,
        re.compile(r"^\W*(was this (page|article|information|guide) (helpful|useful)|is this page useful"
                   r"|give (us )?(your )?feedback( on| about)? (this|the|our) (page|site|website|service)"
                   r"|tell us what you think|help us improve (this|our) (page|site|website|service)"
                   r"|rate this (page|article))", re.I),
        drops=("Was this page helpful?", "Give us feedback on this page", "Tell us what you think of this page"),
        keeps=("Give feedback to junior colleagues every week.", "Nurses tell patients what they think will help."),
        max_words=40,
        whole_section=True,
    ),
    Rule(
        DropReason.NAVIGATION,
        re.compile(r"^\W*(home\s*(>|›|»|/)\s*\w.*|skip to (main )?content|search( this site| careers)?|menu"
                   r"|sign in|log in|back to top|print this page)\W*$", re.I),
        drops=("Home > Explore careers > Lifeguard", "Skip to main content", "Search careers", "Back to top"),
        keeps=("Search engines index web pages.", "Home care workers visit people in their homes."),
    ),
    Rule(
        DropReason.RELATED,
        re.compile(r"^\W*(related (careers|jobs|articles|posts|guides|roles|content|reading)"
                   r"|you (may|might) also (like|be interested in)|read next|more (articles|guides|from \w+)"
                   r"|see also|explore (more|other) careers|similar careers)\W*$", re.I),
        drops=("Related careers", "You might also like", "Read next"),
        keeps=("Related careers include nursing and midwifery, which share skills.",),
        max_words=8,
        whole_section=True,
    ),
    Rule(
        DropReason.JOB_ADS,
        re.compile(r"^\W*((current|latest|live|recent) (jobs?|vacanc\w+)( ads| listings)?( near you)?"
                   r"|jobs near you|find (a job|jobs|vacancies) near you|job (ads|adverts|listings|vacancies)"
                   r"|apply now)\W*$", re.I),
        drops=("Current vacancies", "Latest jobs near you", "Apply now"),
        keeps=("Find a job as an apprentice first, then study part-time.", "Current salaries are rising."),
        max_words=10,
        whole_section=True,
    ),
)

# Inline noise inside kept blocks: removed, the surrounding text stays.
INLINE_RULES = (
    Rule(
        DropReason.UNKNOWN_TAG,
        re.compile(r"<!--.*?-->|</?[A-Za-z][\w:.-]*(\s[^<>]*)?/?>", re.S),
        drops=('<call-to-action title="Get started" />', "<br>", "</div>", "<!-- ad -->"),
        keeps=("a < b and c > d", "salaries <$50k> are rare", "5 <= 6"),
        max_words=10_000,
        raw=True,
    ),
    Rule(
        DropReason.BARE_URL,
        re.compile(r"<?\b(https?://|www\.)[^\s<>]*[^\s<>.,;:!?)\]'\"]>?", re.I),
        drops=("https://example.com/jobs?utm_source=newsletter", "www.example.org/page", "<https://example.com>"),
        keeps=("Python 3.11 and scikit-learn", "e.g. the U.S. market", "see the www directory"),
        max_words=10_000,
        raw=True,
    ),
)

TOC_DIRECTIVE = Rule(
    DropReason.TOC_DIRECTIVE,
    re.compile(r"^\s*([-*+]\s*)?(toc|\{:\s*\.?toc\s*\}|\[\[?_?toc_?\]\]?|<!--\s*toc\s*-->|\$\{toc\})\s*$", re.I),
    drops=("* TOC", "{:toc}", "[[_TOC_]]", "[TOC]", "<!-- toc -->"),
    keeps=("TOC stands for total cost of ownership.", "- TOC analysis"),
    raw=True,
)

PROMPT_ITEM = Rule(
    DropReason.PROMPT_LIST,
    re.compile(r"^\W*(\d+[.)]\s*)?(write|create|draft|generate|summari[sz]e|develop|compare|explain|describe"
               r"|outline|list|suggest|provide|design|act as|imagine|give me|prepare|produce)\b", re.I),
    drops=("Write a detailed comparison of two careers.", "1. Draft a blog post on junior roles."),
    keeps=("Writing skills matter in every role.", "Python, SQL and Git."),
    max_words=10_000,
)
PROMPT_ARTIFACT = re.compile(r"\b(essays?|articles?|blog posts?|guides?|roadmaps?|frameworks?|comparisons?|summary"
                             r"|outlines?|reports?|cover letters?|stor(y|ies)|scripts?|emails?|lists?)\b", re.I)


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[*_`#]+", " ", text).split())


def first_words(text: str, count: int = 8) -> str:
    """The first words of a block, for reports."""
    words = _plain(text).split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _residue(item: Item) -> int:
    """Words of an item that are not link text."""
    rest = item.text
    for link in item.links:
        rest = rest.replace(link.text, " ", 1)
    return len(re.findall(r"[^\W_]{2,}", rest))


def _is_link_only(item: Item) -> bool:
    return bool(item.links) and _residue(item) <= 2


def _list_reason(block: Block, headings: set[str]) -> DropReason | None:
    """Why a whole list is not guide content: a table of contents, only links, or prompts for a chatbot."""
    items = block.items
    if not items:
        return None
    in_guide = sum(1 for i in items if _key(i.text) in headings)
    if len(items) >= 2 and all(_is_link_only(i) for i in items):
        anchors = sum(1 for i in items if any(link.href.startswith("#") for link in i.links))
        return DropReason.TOC_LIST if max(anchors, in_guide) * 2 >= len(items) else DropReason.LINK_LIST
    if len(items) >= 3 and in_guide == len(items):
        return DropReason.TOC_LIST
    verbs = sum(1 for i in items if PROMPT_ITEM.matches(i.text))
    artifacts = sum(1 for i in items if PROMPT_ARTIFACT.search(i.text))
    long_items = sum(len(i.text.split()) for i in items) >= 10 * len(items)
    if len(items) >= 3 and verbs == len(items) and artifacts * 2 >= len(items) and long_items:
        return DropReason.PROMPT_LIST
    return None


def _block_reason(block: Block, headings: set[str]) -> DropReason | None:
    if block.kind is BlockKind.CODE:
        return None
    lines = [ln for ln in (block.source or block.text).splitlines() if ln.strip()]
    if lines and all(TOC_DIRECTIVE.matches(ln) for ln in lines):
        return DropReason.TOC_DIRECTIVE
    if block.kind is BlockKind.LIST:
        reason = _list_reason(block, headings)
        if reason:
            return reason
    if block.kind is BlockKind.PARAGRAPH and block.items and all(_is_link_only(i) for i in block.items):
        return DropReason.LINK_ONLY
    return next((r.reason for r in RULES if r.matches(block.text)), None)


def strip_inline(text: str) -> tuple[str, list[Dropped]]:
    """Text without unknown tags and bare URLs (link text stays), and what was removed."""
    dropped: list[Dropped] = []
    for rule in INLINE_RULES:

        def note(match: re.Match[str], reason: DropReason = rule.reason) -> str:
            if not match.group(0).startswith("</"):  # a closing tag is the same tag again
                dropped.append(Dropped(reason, match.group(0)[:80]))
            return ""

        text = rule.pattern.sub(note, text)
    if dropped:  # tidy the gaps a removal leaves, line by line (indentation is list structure)
        lines = [re.sub(r"(?<=\S) {2,}", " ", ln).rstrip() for ln in text.split("\n")]
        text = "\n".join(re.sub(r"\s+([.,;:!?])", r"\1", ln) if ln.strip() else "" for ln in lines)
        text = re.sub(r"\(\s*\)|\[\s*\]", "", text).strip("\n")
    return text, dropped


def clean(blocks: Sequence[Block]) -> tuple[list[Block], list[Dropped]]:
    """The blocks that are guide content, and each one left out with its reason."""
    headings = {_key(b.text) for b in blocks if b.kind is BlockKind.HEADING}
    kept: list[Block] = []
    dropped: list[Dropped] = []
    skip_below = 0  # while > 0: inside a section dropped whole, until a heading at this level or above
    for index, block in enumerate(blocks):
        if block.kind is BlockKind.HEADING:
            if skip_below and block.level > skip_below:
                continue
            skip_below = 0
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            rule = next((r for r in RULES if r.whole_section and r.matches(block.text)), None)
            if rule:
                words = first_words(block.text)
                if following is not None and following.kind is not BlockKind.HEADING:
                    words += f": {first_words(following.text or following.source, 6)}"
                dropped.append(Dropped(rule.reason, words))
                skip_below = block.level
                continue
            empty = following is None or (following.kind is BlockKind.HEADING and following.level <= block.level)
            if not block.text.strip() or (empty and block.level > 1):
                if kept or not block.text.strip():  # a bare line above everything is the guide's title
                    dropped.append(Dropped(DropReason.EMPTY_HEADING, first_words(block.text) or "(no text)"))
                continue
            kept.append(block)
            continue
        if skip_below:
            continue
        reason = _block_reason(block, headings)
        if reason:
            dropped.append(Dropped(reason, first_words(block.text or block.source)))
            continue
        if block.kind is BlockKind.CODE:
            kept.append(block)
            continue
        text, removed = strip_inline(block.text)
        if not _plain(text):
            dropped.append(Dropped(removed[0].reason if removed else DropReason.UNKNOWN_TAG, first_words(block.text)))
            continue
        dropped += removed
        kept.append(replace(block, text=text) if removed else block)
    return kept, dropped
