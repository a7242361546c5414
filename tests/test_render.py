"""Answer Markdown becomes safe HTML: raw tags inert, no images, no javascript: links."""

from chatbot.render import to_safe_html


def test_markdown_lists_and_emphasis_render() -> None:
    html = to_safe_html("Intro **bold** [1]\n\n- one\n- two")
    assert "<strong>bold</strong>" in html
    assert html.count("<li>") == 2


def test_raw_html_is_shown_as_text_not_markup() -> None:
    html = to_safe_html('<script>alert(1)</script> <img src=x onerror=alert(1)> <iframe src="x"></iframe>')
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert "&lt;script&gt;" in html  # the user sees what the guide literally says


def test_markdown_images_and_javascript_links_are_dropped() -> None:
    html = to_safe_html("![x](http://evil.example/?q=secret) [click](javascript:alert(3)) [ok](https://example.org)")
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert 'href="https://example.org"' in html
    assert "noopener" in html


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    from html.parser import HTMLParser

    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collect().feed(html)
    return found


def test_event_handler_attributes_never_survive() -> None:
    html = to_safe_html('<a href="https://x.org" onclick="evil()">x</a> [y](https://y.org "t" ) <b onmouseover=x>')
    tags = _tags(html)
    assert [t for t, _ in tags] == ["p", "a"]  # only the Markdown link became a tag
    assert not [name for _, attrs in tags for name, _ in attrs if name.startswith("on")]
