"""Answer Markdown to safe HTML: raw HTML in the source is shown as text, and nh3 allows no images or scripts."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_TAGS = {"p", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote", "br", "a", "h3", "h4", "details",
         "summary", "span", "sup", "table", "thead", "tbody", "tr", "th", "td"}


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    # html=False: any tag inside a guide is escaped and shown as text, never parsed as markup.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")  # role comparisons


def to_safe_html(markdown: str) -> str:
    """Render Markdown and sanitise the HTML: no raw tags, images, event handlers or non-http(s) links."""
    import nh3

    html = _markdown().render(markdown.encode("utf-8", "replace").decode("utf-8"))  # nh3 rejects lone surrogates
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}, "span": {"class"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
