"""The rendering layer: every format and language, literal free text, sandboxed templates."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from wegings.domain import FORMS, NoteStatus, PartnerKind, RiskProfile, Role
from wegings.errors import InvalidInput, StoreError, WegingsError
from wegings.register.countries import country_name
from wegings.render import (
    CriterionAssessment,
    Flag,
    InterestWeighing,
    NoteDocument,
    PartnerInfo,
    render,
    templates_dir,
    write_atomically,
)
from wegings.render.engine import render_source
from wegings.render.escape import (
    ZERO_WIDTH_SPACE,
    breakable,
    escape_markdown,
    isolate,
    needs_isolation,
)
from wegings.render.strings import STRINGS

HOSTILE = (
    '<script>alert(1)</script> {{ 7*7 }} {% raw %} #set page(width: 1cm) #import "evil.typ" '
    "*bold* _x_ $x$ \\ `rm -rf` @label <ref> [link](http://x) &amp; ~~strike~~\n"
    "# heading\n"
    "| a | b |\n"
    "1. not a list\n"
    "    indented code?\n"
    "مرحبا بالعالم שלום עולם \u202eabc"
)
"""Markup for every format we emit, Jinja syntax and right-to-left text with an override."""

MOTIVATIONS = {
    "democratic_embedding": "Wettelijke basis in het BVerfSchG; toezicht door het PKGr.",
    "human_rights": "Het land is partij bij het EVRM en leeft dit aantoonbaar na.",
    "professionalism": "Jarenlange goede ervaringen; afspraken worden steeds nagekomen.",
    "legal_powers": "Vergelijkbare bevoegdheden, zonder executieve bevoegdheden.",
    "data_protection": "Bewaartermijnen en vernietiging zijn wettelijk geregeld en getoetst.",
}
SCORES = {
    "democratic_embedding": 5,
    "human_rights": 5,
    "professionalism": 4,
    "legal_powers": 4,
    "data_protection": 4,
}


def _criteria(
    motivations: dict[str, str], scores: dict[str, int]
) -> tuple[CriterionAssessment, ...]:
    return tuple(
        CriterionAssessment(key, scores[key], text, ("Jaarverslag 2025",))
        for key, text in motivations.items()
    )


@pytest.fixture
def standard_note() -> NoteDocument:
    """An established note with a `standaard` profile, for the BfV in Germany."""
    return NoteDocument(
        partner=PartnerInfo(
            "Bundesamt für Verfassungsschutz", "BfV", "DE", PartnerKind.civil, ("CTG",)
        ),
        own_service="AIVD",
        classification="STG. CONFIDENTIEEL",
        version=3,
        status=NoteStatus.established,
        profile=RiskProfile.standaard,
        created_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        author="J. de Vries",
        context="Langdurige samenwerking binnen de CTG.",
        criteria=_criteria(MOTIVATIONS, SCORES),
        interest=InterestWeighing(
            "Unieke informatie over jihadistische netwerken.",
            "Lidmaatschap van de CTG.",
            "Wederkerige uitwisseling.",
        ),
        forms=("knowledge_exchange", "evaluated_data", "personal_data", "unevaluated_data"),
        conditions=("Geen doorgifte aan derden zonder toestemming.",),
        established_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
        established_by="M. Jansen",
        established_role=Role.dg,
        decision_text="Vastgesteld conform voorstel.",
        review_due=datetime(2028, 11, 29, 12, 0, tzinfo=UTC),
    )


@pytest.fixture
def elevated_draft() -> NoteDocument:
    """A draft with a `verhoogd` profile for a service in a fictitious country, with a flag."""
    scores = {**SCORES, "human_rights": 2, "data_protection": 3}
    return NoteDocument(
        partner=PartnerInfo("Servicio Ficticio de Inteligencia", "SFI", "XR", PartnerKind.military),
        own_service="AIVD",
        classification="STG. GEHEIM",
        version=1,
        status=NoteStatus.draft,
        profile=RiskProfile.verhoogd,
        profile_causes=("human_rights", "data_protection"),
        created_at=datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
        author="A. Bakker",
        context="Nieuwe relatie.",
        criteria=_criteria(MOTIVATIONS, scores),
        interest=InterestWeighing(
            "Informatie over regionale dreiging.",
            operational_interest="Lopend onderzoek naar een concrete dreiging.",
        ),
        forms=("knowledge_exchange",),
        conditions=("Alleen na parafrase.", "Geen persoonsgegevens zonder toestemming."),
        flags=(Flag("Politieke onrust na verkiezingen.", datetime(2026, 10, 1, tzinfo=UTC)),),
    )


def _with_text_everywhere(doc: NoteDocument, text: str) -> NoteDocument:
    """`doc` with `text` in the last motivation and in every other free-text field."""
    criteria = tuple(
        dataclasses.replace(c, motivation=text, sources=(text,))
        if c.key == "data_protection"
        else c
        for c in doc.criteria
    )
    return dataclasses.replace(
        doc,
        partner=dataclasses.replace(doc.partner, short="B|f*V", groups=("<CTG>",)),
        context=text,
        author="#author <b>",
        criteria=criteria,
        conditions=(text,),
        decision_text=text,
        flags=(Flag(text, datetime(2026, 11, 1, tzinfo=UTC)),),
    )


@pytest.fixture
def hostile_note(standard_note: NoteDocument) -> NoteDocument:
    """The standard note with hostile text in the motivation and in every other free-text field."""
    return _with_text_everywhere(standard_note, HOSTILE)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _squash(text: str) -> str:
    # PDF extraction breaks lines where the layout wrapped them.
    return " ".join(text.split())


class _TextCollector(HTMLParser):
    """Collects the text of elements with a given class, and every tag name seen."""

    def __init__(self, css_class: str) -> None:
        super().__init__(convert_charrefs=True)
        self.css_class = css_class
        self.depth = 0
        self.texts: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        classes = (dict(attrs).get("class") or "").split()
        if self.depth:
            self.depth += 1
        elif self.css_class in classes:
            self.depth = 1
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.texts[-1] += data


def _html_texts(html: str, css_class: str) -> tuple[list[str], set[str]]:
    parser = _TextCollector(css_class)
    parser.feed(html)
    parser.close()
    return parser.texts, parser.tags


# --- every format, both languages -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("which", ["standard_note", "elevated_draft"])
def test_renders_every_format_and_language(
    fmt: Any, lang: Any, which: str, request: pytest.FixtureRequest
) -> None:
    doc: NoteDocument = request.getfixturevalue(which)
    data = render(doc, fmt=fmt, lang=lang)
    if fmt == "pdf":
        assert data.startswith(b"%PDF-")
        text = _squash(_pdf_text(data))
    else:
        text = data.decode("utf-8")
    assert doc.partner.name in text
    assert doc.classification in text
    title = STRINGS[lang]["doc_title"]
    assert f"{title} {doc.partner.name} (" in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_pdf_holds_partner_motivations_and_decision(standard_note: NoteDocument, lang: Any) -> None:
    text = _squash(_pdf_text(render(standard_note, fmt="pdf", lang=lang)))
    assert "Bundesamt für Verfassungsschutz" in text
    for motivation in MOTIVATIONS.values():
        assert motivation in text
    assert "M. Jansen" in text
    role = "de directeur-generaal (onder mandaat)" if lang == "nl" else "the director-general"
    assert role in text
    assert STRINGS[lang]["signature"] in text


def test_pdf_is_a4_with_page_numbers_and_marking_on_every_page(
    standard_note: NoteDocument,
) -> None:
    reader = PdfReader(io.BytesIO(render(standard_note, fmt="pdf", lang="nl")))
    pages = reader.pages
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert round(float(page.mediabox.width)) == 595
        assert round(float(page.mediabox.height)) == 842
        text = page.extract_text()
        assert text.count("STG. CONFIDENTIEEL") >= 2  # header and footer
        assert f"Pagina {number} van {len(pages)}" in text
    assert reader.metadata is not None
    assert reader.metadata.title == "Wegingsnotitie Bundesamt für Verfassungsschutz (Duitsland)"


def test_classification_marks_top_and_bottom(standard_note: NoteDocument) -> None:
    md = render(standard_note, fmt="md", lang="nl").decode().strip().splitlines()
    assert md[0] == md[-1] == "**STG. CONFIDENTIEEL**"
    html = render(standard_note, fmt="html", lang="nl").decode()
    # In the repeated header and footer of the print frame.
    assert re.search(r"<thead>.*STG\. CONFIDENTIEEL.*</thead>", html)
    assert re.search(r"<tfoot>.*STG\. CONFIDENTIEEL.*</tfoot>", html)
    assert "@page" in html
    assert "size: A4" in html


def test_pdf_accepts_timestamps_with_microseconds(elevated_draft: NoteDocument) -> None:
    precise = dataclasses.replace(
        elevated_draft, created_at=datetime(2026, 11, 29, 9, 0, 1, 123456, tzinfo=UTC)
    )
    assert render(precise, fmt="pdf", lang="nl").startswith(b"%PDF-")


def test_same_note_gives_the_same_pdf(standard_note: NoteDocument) -> None:
    assert render(standard_note, fmt="pdf", lang="nl") == render(
        standard_note, fmt="pdf", lang="nl"
    )


# --- language: dates, countries, labels -------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_dutch_dates_and_country_names(standard_note: NoteDocument, fmt: Any) -> None:
    data = render(standard_note, fmt=fmt, lang="nl")
    text = _squash(_pdf_text(data)) if fmt == "pdf" else data.decode()
    assert "29 november 2026" in text
    assert "29 november 2028" in text
    assert "Duitsland" in text
    assert "Wegingsnotitie Bundesamt für Verfassungsschutz (Duitsland)" in text
    assert "Germany" not in text


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_english_dates_and_country_names(standard_note: NoteDocument, fmt: Any) -> None:
    data = render(standard_note, fmt=fmt, lang="en")
    text = _squash(_pdf_text(data)) if fmt == "pdf" else data.decode()
    assert "29 November 2026" in text
    assert "Germany" in text
    assert "Weighing note Bundesamt für Verfassungsschutz (Germany)" in text
    assert "Duitsland" not in text
    assert "Democratic embedding" in text


def test_country_names_come_from_babel_and_fictitious_codes_say_so() -> None:
    assert country_name("DE", "nl") == "Duitsland"
    assert country_name("DE", "en") == "Germany"
    assert country_name("XR", "nl") == "fictief land XR"
    assert country_name("XR", "en") == "fictitious country XR"
    assert country_name("XK", "nl") == "Kosovo"
    # CLDR names XA a pseudo-locale; it is no country.
    assert country_name("XA", "en") == "fictitious country XA"


def test_both_languages_have_the_same_labels() -> None:
    assert set(STRINGS["nl"]) == set(STRINGS["en"])


# --- markings, forms, profile ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_draft_carries_concept_marking(
    elevated_draft: NoteDocument, standard_note: NoteDocument, fmt: Any
) -> None:
    def text(doc: NoteDocument, lang: Any) -> str:
        data = render(doc, fmt=fmt, lang=lang)
        return _pdf_text(data) if fmt == "pdf" else data.decode()

    assert "CONCEPT" in text(elevated_draft, "nl")
    assert "DRAFT" in text(elevated_draft, "en")
    assert "CONCEPT" not in text(standard_note, "nl")


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_withdrawn_note_is_marked(standard_note: NoteDocument, fmt: Any) -> None:
    withdrawn = dataclasses.replace(
        standard_note,
        status=NoteStatus.withdrawn,
        withdrawn_at=datetime(2027, 1, 5, 12, tzinfo=UTC),
        withdrawn_reason="Politieke onrust.",
    )
    data = render(withdrawn, fmt=fmt, lang="nl")
    text = _squash(_pdf_text(data)) if fmt == "pdf" else data.decode()
    assert "INGETROKKEN" in text
    assert "5 januari 2027" in text
    assert "Politieke onrust." in text


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_form_is_listed_as_permitted_or_not(
    elevated_draft: NoteDocument, fmt: Any, lang: Any
) -> None:
    data = render(elevated_draft, fmt=fmt, lang=lang)
    text = _squash(_pdf_text(data)) if fmt == "pdf" else data.decode()
    for form in FORMS:
        assert form.label(lang) in text
    strings = STRINGS[lang]
    if fmt == "html":
        html = data.decode()
        for form in FORMS:
            row = re.search(rf'<tr id="form-{form.key}">(.*?)</tr>', html)
            assert row is not None
            expected = "permitted" if form.key in elevated_draft.forms else "not-permitted"
            assert f'class="{expected}"' in row.group(1)
    else:
        permitted = text.count(strings["permitted"]) - text.count(strings["not_permitted"])
        assert text.count(strings["not_permitted"]) >= len(FORMS) - 1
        assert permitted >= 1


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_elevated_profile_explains_risk_service_and_operational_interest(
    elevated_draft: NoteDocument, fmt: Any
) -> None:
    data = render(elevated_draft, fmt=fmt, lang="nl")
    text = _squash(_pdf_text(data)) if fmt == "pdf" else data.decode()
    assert "risicodienst" in text
    assert "Lopend onderzoek naar een concrete dreiging." in text
    assert "Politieke onrust na verkiezingen." in text
    assert "1 oktober 2026" in text
    assert "de minister; niet door de opsteller" in text


# --- free text comes out literally -----------------------------------------------------------


def test_markdown_escapes_hostile_text_but_keeps_it_readable(hostile_note: NoteDocument) -> None:
    md = render(hostile_note, fmt="md", lang="nl").decode()
    # Every `<` and `&` in the document is escaped: no raw HTML, no entities.
    assert re.search(r"(?<!\\)[<&]", md) is None
    assert "\\<script>alert(1)\\</script>" in md
    assert "{{ 7\\*7 }}" in md  # data, never evaluated
    assert "\\# heading" in md
    assert "\\| a \\| b \\|" in md
    assert "1\\. not a list" in md
    assert "\\[link\\](http://x)" in md
    assert "\\`rm -rf\\`" in md
    assert "\\$x\\$" in md
    # No line of the document starts with text from the user that Markdown would read as a
    # heading, quote, list or table row.
    assert "\n# heading" not in md
    assert "\n| a | b |" not in md


def test_markdown_viewer_shows_hostile_text_literally(
    hostile_note: NoteDocument, standard_note: NoteDocument
) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    viewer = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    html = viewer.render(render(hostile_note, fmt="md", lang="nl").decode())
    harmless = _with_text_everywhere(standard_note, "Gewone tekst.")
    plain = viewer.render(render(harmless, fmt="md", lang="nl").decode())
    for tag in ("<script", "<ref>", "<a ", "<code>", "<s>", "<pre>"):
        assert tag not in html
    # The hostile text adds no markup: the same elements as the harmless note, as often.
    for tag in ("<em>", "<strong>", "<h1>", "<h2>", "<h3>", "<li>", "<table>", "<blockquote>"):
        assert html.count(tag) == plain.count(tag), tag
    for line in HOSTILE.split("\n"):
        shown = line.strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        shown = shown.replace('"', "&quot;")
        assert shown in html.replace("\u00a0", " ")


@settings(deadline=None)
@given(st.text(alphabet=st.characters(exclude_characters="\t\r\u00a0\u2068\u2069")))
def test_markdown_escape_round_trips(text: str) -> None:
    # A line of only spaces and an empty line both become one no-break space: they look alike.
    assume(all(line.strip(" ") or not line for line in text.split("\n")))
    assert _unescape_markdown(escape_markdown(text)) == text


_MARKDOWN_SYNTAX = list("#>-+=*_`[]()<>&|~$\\!:1.) \n\t@{}%")


@settings(deadline=None)
@given(
    st.text(
        alphabet=st.one_of(st.sampled_from(_MARKDOWN_SYNTAX), st.characters(codec="utf-8")),
        max_size=60,
    )
)
def test_markdown_escape_never_creates_markup(text: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    # After a label, and at the start of a block (as a motivation paragraph is).
    _, tags = _html_texts(parser.render("**Label:** " + escape_markdown(text) + "\n"), "none")
    assert tags <= {"p", "strong", "br"}
    _, tags = _html_texts(parser.render(escape_markdown(text) + "\n"), "none")
    assert tags <= {"p", "br"}


def _unescape_markdown(md: str) -> str:
    if md.startswith("\u2068") and md.endswith("\u2069"):
        md = md[1:-1]
    lines = []
    for line in md.split("  \n"):
        if line == "\u00a0":
            lines.append("")
            continue
        stripped = line.lstrip("\u00a0")
        line = " " * (len(line) - len(stripped)) + stripped
        lines.append(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", line))
    return "\n".join(lines)


def test_html_escapes_hostile_text(hostile_note: NoteDocument) -> None:
    html = render(hostile_note, fmt="html", lang="nl").decode()
    assert "<script" not in html
    assert "<ref>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    motivations, tags = _html_texts(html, "motivation")
    assert HOSTILE in motivations
    assert motivations[-1] == HOSTILE
    assert "script" not in tags
    assert "ref" not in tags
    contexts, _ = _html_texts(html, "context")
    assert contexts == [HOSTILE]
    conditions, _ = _html_texts(html, "condition")
    assert conditions == [HOSTILE]
    flags, _ = _html_texts(html, "flag")
    assert flags == [HOSTILE]


def test_typst_source_never_contains_user_text(hostile_note: NoteDocument) -> None:
    source = render_source(hostile_note, fmt="pdf", lang="nl")
    for fragment in ("alert(1)", "#set page(width: 1cm)", "#import", "<ref>", "rm -rf"):
        assert fragment not in source
    # Nor the partner's name: all text reaches Typst as data.
    assert "Bundesamt" not in source


def test_pdf_shows_hostile_text_literally(hostile_note: NoteDocument) -> None:
    data = render(hostile_note, fmt="pdf", lang="nl")
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:  # `#set page(width: 1cm)` was printed, not obeyed
        assert round(float(page.mediabox.width)) == 595
    text = _pdf_text(data)
    squashed = _squash(text)
    first_line, *_ = HOSTILE.split("\n")
    assert _squash(first_line) in squashed
    for line in ("# heading", "| a | b |", "1. not a list", "indented code?"):
        assert line in squashed
    for word in ("مرحبا", "بالعالم", "שלום", "עולם"):
        assert word in text
    visible = {ch for ch in HOSTILE if not ch.isspace() and unicodedata.category(ch) != "Cf"}
    assert visible <= set(text)
    assert "#author <b>" in squashed
    assert "B|f*V" in squashed


def test_a_word_too_long_for_a_line_breaks_inside_the_page(standard_note: NoteDocument) -> None:
    word = "B" * 250 + "0123456789" * 25  # a reference or hash without a space, 500 long
    data = render(_with_text_everywhere(standard_note, word), fmt="pdf", lang="nl")
    text = _pdf_text(data)
    # The word reached the PDF with where it may break, and whole: the lines broke inside it,
    # at marks that show nothing, instead of running off the page.
    assert max(len(run) for run in re.findall(r"[B0-9]+", text)) < 120  # a line's width
    assert word in "".join(text.replace(ZERO_WIDTH_SPACE, "").split())
    assert breakable("short words stay as they are") == "short words stay as they are"
    broken = breakable(word)
    assert broken.replace(ZERO_WIDTH_SPACE, "") == word
    assert max(len(piece) for piece in broken.split(ZERO_WIDTH_SPACE)) == 20
    assert breakable("x" * 40) == "x" * 40


def test_right_to_left_text_is_isolated() -> None:
    assert not needs_isolation("gewoon Nederlands")
    assert needs_isolation("abc \u202e def")
    assert needs_isolation("שלום")
    assert isolate("שלום") == "\u2068שלום\u2069"
    assert isolate("abc") == "abc"


# --- custom templates and the sandbox ----------------------------------------------------------


def _template(tmp_path: Path, text: str, name: str = "note.md.j2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_template_renders_and_escapes(tmp_path: Path, hostile_note: NoteDocument) -> None:
    path = _template(tmp_path, "Partner: {{ note.partner_name }}\nM: {{ doc.context }}\n")
    out = render(hostile_note, fmt="md", lang="nl", template=path).decode()
    assert out.startswith("Partner: Bundesamt für Verfassungsschutz\n")
    assert "\\<script>" in out


def test_custom_template_can_extend_the_builtin(
    tmp_path: Path, standard_note: NoteDocument
) -> None:
    path = _template(tmp_path, '{% extends "builtin/note.html.j2" %}', "mine.html.j2")
    assert render(standard_note, fmt="html", lang="nl", template=path) == render(
        standard_note, fmt="html", lang="nl"
    )


def test_custom_typst_template_compiles(tmp_path: Path, hostile_note: NoteDocument) -> None:
    path = _template(
        tmp_path,
        "#set document(title: {{ note.title | typst_str }})\n"
        "= {{ note.title }}\n\n{{ doc.context }}\n",
        "mine.typ.j2",
    )
    text = _squash(_pdf_text(render(hostile_note, fmt="pdf", lang="en", template=path)))
    assert "Weighing note Bundesamt für Verfassungsschutz (Germany)" in text
    assert "#set page(width: 1cm)" in text


def test_broken_template_names_file_and_line(tmp_path: Path, standard_note: NoteDocument) -> None:
    path = _template(tmp_path, "# {{ note.title }}\n\n{{ note.partner_name }\n")
    with pytest.raises(InvalidInput) as caught:
        render(standard_note, fmt="md", lang="nl", template=path)
    message = caught.value.message
    assert message.startswith(f"Template {path}, line 3: ")
    assert "'}'" in message
    assert "\n" not in message


def test_template_runtime_error_names_line(tmp_path: Path, standard_note: NoteDocument) -> None:
    path = _template(tmp_path, "ok\n{{ note.title }}\n{{ note.no_such_field }}\n")
    with pytest.raises(InvalidInput, match=r"line 3: .*no_such_field"):
        render(standard_note, fmt="md", lang="nl", template=path)


def test_template_in_a_bad_typst_template_is_invalid_input(
    tmp_path: Path, standard_note: NoteDocument
) -> None:
    path = _template(tmp_path, "#let x = (\n", "bad.typ.j2")
    with pytest.raises(InvalidInput, match=r"Template .*bad\.typ\.j2: Typst cannot compile"):
        render(standard_note, fmt="pdf", lang="nl", template=path)


@pytest.mark.parametrize(
    "expression",
    [
        "''.__class__.__mro__",
        "''.__class__",
        "doc.__class__.__init__.__globals__",
        "note.criteria.__class__.__base__.__subclasses__()",
        "t.update({'doc_title': 'x'})",
        "t.clear()",
    ],
)
def test_sandbox_blocks_python_internals(
    tmp_path: Path, standard_note: NoteDocument, expression: str
) -> None:
    path = _template(tmp_path, "x\n{{ " + expression + " }}\n")
    with pytest.raises(InvalidInput, match=r"^Template .*, line 2: .*(unsafe|not safely)"):
        render(standard_note, fmt="md", lang="nl", template=path)
    # The labels of later renders are untouched.
    assert STRINGS["nl"]["doc_title"] == "Wegingsnotitie"


def test_missing_template_is_invalid_input(tmp_path: Path, standard_note: NoteDocument) -> None:
    with pytest.raises(InvalidInput, match="not found"):
        render(standard_note, fmt="md", lang="nl", template=tmp_path / "nope.md.j2")


def test_unknown_format_or_language_is_invalid_input(standard_note: NoteDocument) -> None:
    with pytest.raises(InvalidInput, match="Unknown format 'docx'"):
        render(standard_note, fmt="docx", lang="nl")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="Unknown language 'de'"):
        render(standard_note, fmt="md", lang="de")  # type: ignore[arg-type]


# --- the view model ----------------------------------------------------------------------------


def test_note_document_keeps_criteria_in_fixed_order(standard_note: NoteDocument) -> None:
    shuffled = dataclasses.replace(standard_note, criteria=standard_note.criteria[::-1])
    assert [c.key for c in shuffled.criteria] == list(MOTIVATIONS)


def test_note_document_rejects_bad_data(standard_note: NoteDocument) -> None:
    with pytest.raises(InvalidInput, match="exactly once"):
        dataclasses.replace(standard_note, criteria=standard_note.criteria[:4])
    with pytest.raises(InvalidInput, match="timezone-aware"):
        dataclasses.replace(standard_note, created_at=datetime(2026, 1, 1))
    with pytest.raises(InvalidInput, match="Unknown form"):
        dataclasses.replace(standard_note, forms=("telepathy",))
    with pytest.raises(InvalidInput, match="Score of human_rights"):
        CriterionAssessment("human_rights", 6, "Te hoog.")


def test_templates_dir_holds_the_builtin_templates() -> None:
    for name in ("note.md.j2", "note.html.j2", "note.typ.j2"):
        assert (templates_dir() / name).is_file()


def test_importing_render_does_not_load_jinja_or_typst() -> None:
    code = (
        "import sys, wegings.render\n"
        "loaded = [m for m in ('jinja2', 'typst', 'babel') if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


# --- writing -----------------------------------------------------------------------------------


def _empty_dir(tmp_path: Path) -> Path:
    # A directory of our own: other fixtures may put files in tmp_path.
    out = tmp_path / "out"
    out.mkdir()
    return out


def test_write_atomically_writes_and_replaces(tmp_path: Path) -> None:
    tmp_path = _empty_dir(tmp_path)
    target = tmp_path / "note.pdf"
    write_atomically(target, b"one")
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["note.pdf"]


def test_write_atomically_leaves_nothing_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = _empty_dir(tmp_path)
    target = tmp_path / "note.pdf"

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StoreError, match=r"Cannot write .*note\.pdf: No space left on device"):
        write_atomically(target, b"data")
    assert list(tmp_path.iterdir()) == []


def test_write_atomically_keeps_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = _empty_dir(tmp_path)
    target = tmp_path / "note.md"
    target.write_bytes(b"old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StoreError):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["note.md"]


def test_write_atomically_reports_missing_or_unwritable_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = _empty_dir(tmp_path)
    with pytest.raises(StoreError, match="does not exist"):
        write_atomically(tmp_path / "missing" / "note.pdf", b"x")

    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", denied)
    with pytest.raises(StoreError, match="is not writable"):
        write_atomically(tmp_path / "note.pdf", b"x")
    assert list(tmp_path.iterdir()) == []


def test_store_error_is_a_wegings_error() -> None:
    assert issubclass(StoreError, WegingsError)
