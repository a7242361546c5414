"""Loading guides: Markdown, plain text, HTML and PDF, and every kind of bad file."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from conftest import DATA, SEED, copy_guides

from chatbot.config import Settings
from chatbot.documents import find_guides, load_guide, parse_guide
from chatbot.errors import GuideError

MAX = Settings().max_guide_bytes

SEED_HEADINGS = [
    "What does a Machine Learning Engineer do?",
    "How to become a Machine Learning Engineer?",
    "How long does it take to become a Machine Learning Engineer?",
    "Machine Learning Engineer Job Description Sample",
    "Is becoming a Machine Learning Engineer a good career path?",
    "What is the job outlook for a Machine Learning Engineer?",
]


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A small valid PDF, written by hand: one Helvetica text line per entry, one page per list."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (" ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages))).encode(), len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)
        )
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    info = ""
    if title:
        objects.append(b"<< /Title (%s) >>" % title.encode("latin-1"))
        info = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


ELECTRICIAN_PDF_PAGES = [
    [
        "What does an Electrician do?",
        "An Electrician installs and repairs wiring in homes and factories.",
        "They read blueprints and follow the electrical code.",
    ],
    [
        "What is the salary of an Electrician?",
        "The median pay for an Electrician is $61,590 a year.",
    ],
]


def guide_error(path: Path, knowledge: Path, max_bytes: int = MAX) -> GuideError:
    """Load a guide that must fail, and check the message names the file."""
    with pytest.raises(GuideError) as info:
        load_guide(path, knowledge, max_bytes)
    error = info.value
    assert error.source == path.name
    assert str(error).startswith(f"{path.name}: ")
    assert error.reason and error.reason in str(error)
    return error


# --- Markdown ---------------------------------------------------------------------------------------------------


def test_seed_guide_has_its_six_sections_with_title_and_role_from_front_matter() -> None:
    guide = load_guide(SEED, SEED.parent, MAX)
    assert guide.source == "machine-learning-engineer.md"
    assert guide.title == "Machine Learning Engineer Career Guide"
    assert guide.role == "Machine Learning Engineer"
    assert guide.meta["last_reviewed"] == "2026-11-23"
    assert [s.path for s in guide.sections] == [(h,) for h in SEED_HEADINGS]
    assert all(s.page is None for s in guide.sections)
    # Front matter and the H1 title are not section text; "Responsibilities:" stays body text.
    everything = "\n".join(s.text for s in guide.sections)
    assert "last_reviewed" not in everything
    assert "# Machine Learning Engineer Career Guide" not in everything
    job = guide.sections[3].text
    assert "Responsibilities:" in job and "Qualifications" in job
    assert "$112,430" in guide.sections[5].text
    assert len(guide.sha256) == 64


def test_markdown_nested_headings_make_a_trail_and_code_fences_are_not_headings() -> None:
    text = (
        "# Chef Guide\n\n## Skills\n\nKnife work.\n\n### Baking\n\nBread and pastry.\n\n"
        "```\n## not a heading\n```\n\n## Salary\n\nAbout $50,000.\n"
    )
    guide = parse_guide("chef.md", text.encode())
    assert guide.title == "Chef Guide"
    assert guide.role == "Chef"
    assert [s.path for s in guide.sections] == [("Skills",), ("Skills", "Baking"), ("Salary",)]
    assert "## not a heading" in guide.sections[1].text


def test_fixture_markdown_guide_loads_with_nested_pros_and_cons() -> None:
    guide = load_guide(DATA / "data-scientist.md", DATA, MAX)
    assert guide.title == "Data Scientist Career Guide"
    assert guide.role == "Data Scientist"
    assert [s.path[-1] for s in guide.sections] == [
        "What does a Data Scientist do?",
        "How long does it take to become a Data Scientist?",
        "What is the salary of a Data Scientist?",
        "What are the pros and cons of being a Data Scientist?",
    ]
    assert "$103,500" in guide.sections[2].text
    assert "  - Remote work is common in this field." in guide.sections[3].text


# --- Plain text ----------------------------------------------------------------------------------------------------


def test_plain_text_question_lines_and_title_lines_are_headings_but_labels_are_not() -> None:
    text = (
        "Electrician Career Guide\n"
        "\n"
        "What does an Electrician do?\n"
        "An Electrician installs wiring.\n"
        "Responsibilities:\n"
        "- Read blueprints.\n"
        "- Test circuits.\n"
        "Pros\n"
        "Training and Licensing Requirements\n"
        "Most states require a license after an apprenticeship of four to five years.\n"
        "this line is short but lower case\n"
    )
    guide = parse_guide("electrician.txt", text.encode())
    assert [s.path for s in guide.sections] == [
        ("What does an Electrician do?",),
        ("Training and Licensing Requirements",),
    ]
    first = guide.sections[0].text
    assert "Responsibilities:" in first and "- Read blueprints." in first and "Pros" in first
    assert "this line is short but lower case" in guide.sections[1].text
    # No front matter or HTML title: the title comes from the file name.
    assert guide.title == "Electrician"


def test_fixture_plain_text_guide_in_the_seed_format() -> None:
    guide = load_guide(DATA / "registered-nurse.txt", DATA, MAX)
    assert guide.role == "Registered Nurse"
    assert [s.path for s in guide.sections] == [
        ("What does a Registered Nurse do?",),
        ("How long does it take to become a Registered Nurse?",),
        ("What is the job outlook for a Registered Nurse?",),
    ]
    assert "Daily duties often include:" in guide.sections[0].text
    assert "- Working with physicians to plan patient care." in guide.sections[0].text
    outlook = guide.sections[2].text
    assert "$86,070 a year" in outlook and "6%" in outlook


# --- HTML ----------------------------------------------------------------------------------------------------------


def test_fixture_html_guide_drops_script_and_style() -> None:
    guide = load_guide(DATA / "web-developer.html", DATA, MAX)
    assert guide.title == "Web Developer Career Guide"
    assert guide.role == "Web Developer"
    assert [s.path for s in guide.sections] == [
        ("What does a Web Developer do?",),
        ("How to become a Web Developer?",),
        ("What is the salary of a Web Developer?",),
    ]
    everything = "\n".join(s.text for s in guide.sections)
    for leaked in ("SCRIPT_SHOULD_NEVER_APPEAR", "trackingMarker", "console.log", "style-marker", "font-family"):
        assert leaked not in everything
    assert "- Turn designs into responsive pages that work on phones and desktops." in guide.sections[0].text
    assert "$78,580" in guide.sections[2].text


def test_html_h1_to_h3_make_the_trail_and_entities_are_decoded() -> None:
    html = (
        "<html><head><title>Plumber Guide</title></head><body>"
        "<h1>Plumber Guide</h1><h2>What does a Plumber do?</h2><p>Fixes pipes &amp; drains.</p>"
        "<h3>Tools</h3><p>Wrenches.</p><h2>Salary</h2><p>About $59,880.</p>"
        "<noscript>enable javascript</noscript></body></html>"
    )
    guide = parse_guide("plumber.html", html.encode())
    assert guide.title == "Plumber Guide"
    assert [s.path for s in guide.sections] == [
        ("What does a Plumber do?",),
        ("What does a Plumber do?", "Tools"),
        ("Salary",),
    ]
    assert guide.sections[0].text == "Fixes pipes & drains."
    assert "javascript" not in guide.sections[2].text


def test_html_without_a_closing_head_tag_still_reads_the_body() -> None:
    html = "<html><head><title>Plumber Guide</title><body><h2>What does a Plumber do?</h2><p>Fixes pipes.</p>"
    guide = parse_guide("plumber.html", html.encode())
    assert [s.path for s in guide.sections] == [("What does a Plumber do?",)]
    assert guide.sections[0].text == "Fixes pipes."


# --- PDF -----------------------------------------------------------------------------------------------------------


def test_pdf_sections_carry_page_numbers_and_the_pdf_title(knowledge: Path) -> None:
    path = knowledge / "electrician.pdf"
    path.write_bytes(make_pdf(ELECTRICIAN_PDF_PAGES, title="Electrician Career Guide"))
    guide = load_guide(path, knowledge, MAX)
    assert guide.title == "Electrician Career Guide"
    assert guide.role == "Electrician"
    assert [(s.path, s.page) for s in guide.sections] == [
        (("What does an Electrician do?",), 1),
        (("What is the salary of an Electrician?",), 2),
    ]
    assert "They read blueprints" in guide.sections[0].text
    assert "$61,590" in guide.sections[1].text


def test_encrypted_pdf_is_rejected(knowledge: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(ELECTRICIAN_PDF_PAGES))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    path = knowledge / "locked.pdf"
    path.write_bytes(buffer.getvalue())
    assert "password-protected" in guide_error(path, knowledge).reason


def test_truncated_pdf_is_rejected(knowledge: Path) -> None:
    data = make_pdf(ELECTRICIAN_PDF_PAGES)
    path = knowledge / "cut.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert "damaged" in guide_error(path, knowledge).reason


def test_non_pdf_named_pdf_is_rejected(knowledge: Path) -> None:
    path = knowledge / "notes.pdf"
    path.write_text("## What does a Baker do?\n\nBakes bread.\n")
    assert "not a PDF" in guide_error(path, knowledge).reason


# --- Bad input -----------------------------------------------------------------------------------------------------


def test_empty_file_is_rejected(knowledge: Path) -> None:
    path = knowledge / "empty.md"
    path.write_bytes(b"")
    assert "empty" in guide_error(path, knowledge).reason


def test_binary_file_named_md_is_rejected(knowledge: Path) -> None:
    path = knowledge / "photo.md"
    path.write_bytes(random.Random(7).randbytes(4000))
    assert "binary" in guide_error(path, knowledge).reason


def test_binary_with_nul_bytes_that_decodes_as_utf8_is_rejected(knowledge: Path) -> None:
    path = knowledge / "blob.txt"
    path.write_bytes(b"What does a Baker do?\n" + b"\x00\x01\x02\x03" * 500)
    assert "binary" in guide_error(path, knowledge).reason


def test_latin1_text_is_decoded(knowledge: Path) -> None:
    text = (
        "## What does a Pastry Chef do?\n\nA Pastry Chef prepares desserts, breads and cakes for restaurants, "
        "hotels and a café or two. They plan menus, order ingredients and keep the kitchen clean. "
        "Many start by sending a résumé to a local bakery.\n\n"
        "## What is the salary of a Pastry Chef?\n\nThe median salary is about £28,000 a year, "
        "and crème brûlée is a classic naïve test.\n"
    )
    path = knowledge / "pastry-chef.md"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    guide = load_guide(path, knowledge, MAX)
    assert "café" in guide.sections[0].text and "résumé" in guide.sections[0].text
    assert "£28,000" in guide.sections[1].text and "crème brûlée" in guide.sections[1].text


def test_file_over_the_size_cap_is_rejected(knowledge: Path) -> None:
    path = knowledge / "huge.md"
    with path.open("wb") as handle:  # 50 MB, sparse: the cap must be checked before reading
        handle.truncate(50 * 1024 * 1024)
    assert Settings().max_guide_bytes == 10 * 1024 * 1024
    reason = guide_error(path, knowledge).reason
    assert "50.0 MB" in reason and "10 MB limit" in reason


def test_size_cap_follows_settings(knowledge: Path) -> None:
    path = knowledge / "data-scientist.md"
    copy_guides(knowledge, "data-scientist.md")
    small = Settings(max_guide_mb=0.001).max_guide_bytes
    assert "limit" in guide_error(path, knowledge, small).reason
    assert load_guide(path, knowledge, MAX).role == "Data Scientist"


def test_guide_without_headings_is_rejected(knowledge: Path) -> None:
    path = knowledge / "notes.md"
    path.write_text("Just a paragraph about careers, with no headings at all.\n\nAnother paragraph.\n")
    assert "no headings" in guide_error(path, knowledge).reason


def test_headings_without_text_are_rejected(knowledge: Path) -> None:
    path = knowledge / "outline.md"
    path.write_text("# Outline\n\n## What does a Baker do?\n\n## Salary\n")
    assert "no headings" in guide_error(path, knowledge).reason


def test_symlink_outside_the_knowledge_folder_is_rejected(tmp_path: Path, knowledge: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("## What does a Baker do?\n\nBakes bread.\n")
    link = knowledge / "linked.md"
    link.symlink_to(outside)
    assert "outside the knowledge folder" in guide_error(link, knowledge).reason


def test_symlink_inside_the_knowledge_folder_is_allowed(knowledge: Path) -> None:
    copy_guides(knowledge, "data-scientist.md")
    link = knowledge / "ds-link.md"
    link.symlink_to(knowledge / "data-scientist.md")
    guide = load_guide(link, knowledge, MAX)
    assert guide.source == "ds-link.md"
    assert guide.role == "Data Scientist"


def test_broken_symlink_is_rejected(knowledge: Path) -> None:
    link = knowledge / "gone.md"
    link.symlink_to(knowledge / "missing.md")
    assert "cannot be opened" in guide_error(link, knowledge).reason


def test_find_guides_lists_known_suffixes_and_skips_hidden_files(knowledge: Path) -> None:
    copy_guides(knowledge, "data-scientist.md", "registered-nurse.txt", "web-developer.html")
    (knowledge / "sub").mkdir()
    (knowledge / "sub" / "electrician.pdf").write_bytes(make_pdf(ELECTRICIAN_PDF_PAGES))
    (knowledge / ".upload-123.md").write_text("## In flight\n\nnot yet\n")
    (knowledge / ".hidden").mkdir()
    (knowledge / ".hidden" / "x.md").write_text("## X\n\ny\n")
    (knowledge / "image.png").write_bytes(b"\x89PNG")
    names = [p.relative_to(knowledge).as_posix() for p in find_guides(knowledge)]
    assert names == ["data-scientist.md", "registered-nurse.txt", "sub/electrician.pdf", "web-developer.html"]
    assert load_guide(knowledge / "sub" / "electrician.pdf", knowledge, MAX).source == "sub/electrician.pdf"
    assert find_guides(knowledge / "missing") == []


# --- Guides as they come from the web --------------------------------------------------------------------------


def test_front_matter_is_yaml_folded_titles_lists_and_nested_keys() -> None:
    guide = load_guide(DATA / "ux-designer-web.md", DATA, MAX)
    assert guide.title == "How to Become a UX Designer in 2031: In-depth Guide"  # folded over two lines
    assert guide.role == "UX Designer"  # no role in the front matter: the one a reader would name
    assert guide.aliases == ("User Experience Designer", "UX Designer")
    assert guide.meta["seo.keywords"] == "ux, design, careers"
    assert guide.meta["last_reviewed"] == "2031-02-14"
    text = "---\ntitle: Baker Guide\nrole: Baker\naliases: bread baker, artisan baker\n---\n\n## Duties\n\nBakes.\n"
    baker = parse_guide("baker.md", text.encode())
    assert (baker.role, baker.aliases) == ("Baker", ("bread baker", "artisan baker"))


def test_front_matter_that_is_not_yaml_is_reported_with_its_line() -> None:
    with pytest.raises(GuideError) as info:
        parse_guide("bad.md", b"---\ntitle: [unclosed\nrole: Baker\n---\n\n## Duties\n\nBakes.\n")
    assert "not valid YAML" in info.value.reason


def test_web_markdown_keeps_the_answers_and_drops_the_noise_with_reasons() -> None:
    guide = load_guide(DATA / "ux-designer-web.md", DATA, MAX)
    assert [s.path for s in guide.sections] == [
        ("FAQ", "What does a UX designer do?"),
        ("FAQ", "How much does a UX designer earn?"),
        ("FAQ", "How long does it take to become a UX designer?"),
        ("1. Build a portfolio",),
    ]
    everything = "\n".join(s.text for s in guide.sections)
    for noise in ("TOC", "{:toc}", "Twitter", "call-to-action", "utm_", "https://", "Write a detailed comparison",
                  "Jordan Vale", "<span", "(#"):
        assert noise not in everything, noise
    does, pay, _, portfolio = (s.text for s in guide.sections)
    assert "Read our guide to usability testing before your first interview." in does  # link text kept
    assert "- Running interviews with users (a starter kit)" in does
    assert "- Location: Top tech hubs; Salary: Up to $200,000+" in pay
    assert "- Location: Smaller cities; Salary: Around $85,000" in pay
    assert portfolio.startswith("Share your work on GitHub")
    reasons = [d.reason.value for d in guide.dropped]
    assert reasons == [
        "toc directive", "table of contents", "share/social block", "unknown tag", "bare url", "unknown tag",
        "prompt list", "empty heading", "author bio",
    ]
    assert guide.dropped[6].words == "ChatGPT Prompts: 1. Write a detailed comparison of …"


def test_markdown_headings_at_any_level_from_tokens_and_emphasis_kept_in_text() -> None:
    text = (
        "# Florist Guide\n\nSetext Title\n============\n\n#### Deep question?\n\nIt **is** deep.\n\n"
        "Wrapped paragraph line one\nand line two.\n"
    )
    guide = parse_guide("florist.md", text.encode())
    assert guide.title == "Florist Guide"
    assert [s.path for s in guide.sections] == [("Setext Title", "Deep question?")]
    assert guide.sections[0].text == "It **is** deep.\n\nWrapped paragraph line one and line two."


def test_saved_career_service_page_is_read_from_its_main_content() -> None:
    guide = load_guide(DATA / "lifeguard.html", DATA, MAX)
    assert guide.title == guide.role == "Lifeguard"  # the '| Explore careers' site name is gone
    assert [s.path for s in guide.sections] == [
        (),  # the introduction under the page's h1
        ("How to become a lifeguard",),
        ("How to become a lifeguard", "Entry requirements"),
        ("How to become a lifeguard", "Volunteering"),
        ("Salary",),
        ("Working hours",),
    ]
    everything = "\n".join(s.text for s in guide.sections)
    for noise in ("cookies", "Skip to", "Skills assessment", "Search", "Swimming teacher", "useful", "Copyright",
                  "Leisure Assistant", "13.20"):
        assert noise not in everything, noise
    assert guide.sections[0].text.startswith("Lifeguards supervise swimming pools")
    assert "at least 16 years old" in guide.sections[2].text  # an h4 section of its own
    assert "up to 24,000 a year" in guide.sections[4].text
    assert [d.reason.value for d in guide.dropped] == ["job ads"]


def test_site_names_after_a_separator_leave_the_page_title() -> None:
    from chatbot.documents import site_title

    assert site_title("Lifeguard | Explore careers") == "Lifeguard"
    assert site_title("Plumber - Careers Wales") == "Plumber"
    assert site_title("Data-driven Marketer") == "Data-driven Marketer"


TRADE_PDF_PAGES = [
    [],  # a cover page with no text
    [
        "Electrician Trade Profile",
        "What does an Electrician do?",
        "Construction electricians install wiring in new homes and",
        "offices. Construction electricians may also",
        "repair lighting systems and test circuits in older electri-",
        "cal installations.",
        "Example Trade Board 2031 - Page 2",
    ],
    [
        "Typical Tasks",
        "Task Name",
        "How Often",
        "Install Wiring",
        "Every Day",
        "Test Circuits",
        "Every Week",
        "What is the salary of an Electrician?",
        "The median pay for an Electrician is $61,590 a",
        "year before overtime.",
        "Example Trade Board 2031 - Page 3",
    ],
]


def test_pdf_lines_join_into_paragraphs_without_footers_cover_or_cell_headings() -> None:
    guide = parse_guide("trade-profile.pdf", make_pdf(TRADE_PDF_PAGES))  # no title in the metadata
    assert guide.title == "Electrician Trade Profile"  # the first page's heading, not the file name
    assert guide.role == "Electrician"
    assert [(s.path, s.page) for s in guide.sections] == [
        (("What does an Electrician do?",), 2),
        (("Typical Tasks",), 3),
        (("What is the salary of an Electrician?",), 3),
    ]
    assert guide.sections[0].text == (
        "Construction electricians install wiring in new homes and offices. Construction electricians may also "
        "repair lighting systems and test circuits in older electrical installations."
    )
    assert guide.sections[1].text == "Task Name; How Often; Install Wiring; Every Day; Test Circuits; Every Week"
    assert guide.sections[2].text == "The median pay for an Electrician is $61,590 a year before overtime."
    assert [(d.reason.value, d.words) for d in guide.dropped] == [
        ("running header/footer", "Example Trade Board 2031 - Page 3")
    ]


def test_the_formats_table_names_every_suffix_loading_and_uploads_accept() -> None:
    from chatbot.formats import SUFFIXES, UPLOAD_HINT, UPLOAD_SUFFIXES, Kind, format_of

    assert SUFFIXES == (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
    assert set(UPLOAD_SUFFIXES) == set(SUFFIXES)
    assert UPLOAD_HINT == ".md, .txt, .html or .pdf"
    assert format_of("Guide.HTM").kind is Kind.HTML  # type: ignore[union-attr]
    assert format_of("notes.docx") is None
