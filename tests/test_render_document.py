"""The document as people read it: wording, version lineage, the watermark and a clean PDF."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from wegings.domain import (
    CRITERIA_BY_KEY,
    CRITERION_KEYS,
    NoteStatus,
    PartnerKind,
    RiskProfile,
    Role,
)
from wegings.notes.answers import Answers, CriterionAnswer
from wegings.render import (
    CriterionAssessment,
    InterestWeighing,
    NoteDocument,
    PartnerInfo,
    render,
)
from wegings.render.document import (
    CriterionRevision,
    ReplacedVersion,
    VersionChanges,
    version_changes,
)
from wegings.render.strings import STRINGS

SCORES = dict.fromkeys(CRITERION_KEYS, 4)
WATERMARK_FILL = "0.95686275 0.8627451 0.8627451 scn"
"""The light red (#f4dcdc) the watermark is drawn in, as Typst writes it in a page's content."""


def _note(**changes: Any) -> NoteDocument:
    """An established `standaard` note, version 2, with `changes` applied."""
    note = NoteDocument(
        partner=PartnerInfo("Dienst Fictief", "DF", "XR", PartnerKind.civil),
        own_service="AIVD",
        classification="STG. GEHEIM",
        version=2,
        status=NoteStatus.established,
        profile=RiskProfile.standaard,
        created_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        author="J. de Vries",
        context="Periodieke herbeoordeling.",
        criteria=tuple(
            CriterionAssessment(key, score, f"Motivering bij {key}.")
            for key, score in SCORES.items()
        ),
        interest=InterestWeighing("Unieke informatie.", operational_interest="Lopend onderzoek."),
        forms=("knowledge_exchange",),
        established_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        established_by="M. Jansen",
        established_role=Role.dg,
        review_due=datetime(2028, 12, 3, 9, 0, tzinfo=UTC),
    )
    return dataclasses.replace(note, **changes)


def _elevated(**changes: Any) -> NoteDocument:
    scores = {**SCORES, "human_rights": 2}
    criteria = tuple(
        CriterionAssessment(key, score, f"Motivering bij {key}.") for key, score in scores.items()
    )
    return _note(
        profile=RiskProfile.verhoogd,
        profile_causes=("human_rights",),
        criteria=criteria,
        **changes,
    )


def _md(doc: NoteDocument, lang: Any) -> str:
    return " ".join(render(doc, fmt="md", lang=lang).decode().split())


def _pages(data: bytes) -> list[Any]:
    return list(PdfReader(io.BytesIO(data)).pages)


# The wording


def test_dutch_reads_as_a_lawyer_would_sign_it() -> None:
    every_text = " ".join(STRINGS["nl"].values())
    assert "als toegestaan aangemerkte vormen zijn toegestaan" not in every_text
    # Inflected after the definite article; the bare label keeps its uninflected form.
    assert "Het zwaarwegend operationeel belang" not in every_text
    md = _md(_elevated(), "nl")
    assert "Het zwaarwegende operationele belang dat het verhoogde risico rechtvaardigt:" in md
    assert (
        "Samenwerking is alleen mogelijk in de vormen die hieronder als toegestaan zijn "
        "aangemerkt; voor andere vormen biedt deze notitie geen grondslag." in md
    )


def test_english_reads_naturally() -> None:
    every_text = " ".join(STRINGS["en"].values())
    assert "Only the forms marked as permitted are allowed" not in every_text
    assert "Signature of who establishes" not in every_text
    md = _md(_elevated(), "en")
    assert "The weighty operational interest that outweighs the elevated risk:" in md
    assert "Cooperation may take only the forms marked as permitted below" in md


# Version lineage


def _answers(doc: NoteDocument) -> Answers:
    return Answers(
        context=doc.context,
        criteria={
            c.key: CriterionAnswer(score=c.score, motivation=c.motivation, sources=c.sources)
            for c in doc.criteria
        },
        interest=doc.interest,
        forms=doc.forms,
        conditions=doc.conditions,
    )


def test_version_changes_lists_what_differs() -> None:
    old = _answers(_note(conditions=("Alleen na parafrase.",)))
    new = _answers(_elevated(context="Nieuwe context.", forms=("evaluated_data",)))
    changes = version_changes(
        old, new, profile_from=RiskProfile.standaard, profile_to=RiskProfile.verhoogd
    )
    assert changes.criteria == (CriterionRevision("human_rights", 4, 2),)
    assert changes.texts == ("context",)
    assert (changes.forms_added, changes.forms_removed) == (
        ("evaluated_data",),
        ("knowledge_exchange",),
    )
    assert changes.conditions_removed == ("Alleen na parafrase.",)
    assert changes.any
    same = version_changes(
        old, old, profile_from=RiskProfile.standaard, profile_to=RiskProfile.standaard
    )
    assert not same.any


def _replacing(changes: VersionChanges, **extra: Any) -> NoteDocument:
    replaced = ReplacedVersion(1, datetime(2026, 12, 3, 9, 0, tzinfo=UTC), changes)
    return _elevated(replaces=replaced, **extra)


def test_a_new_version_says_what_it_replaces_and_what_changed() -> None:
    changes = VersionChanges(
        RiskProfile.standaard,
        RiskProfile.verhoogd,
        criteria=(CriterionRevision("human_rights", 4, 2, motivation_changed=True),),
        texts=("context",),
        forms_added=("evaluated_data",),
        conditions_added=("Alleen na parafrase.",),
    )
    nl = _md(_replacing(changes), "nl")
    assert "**Vervangt:** versie 1 (vastgesteld op 3 december 2026)" in nl
    assert "## Wijzigingen ten opzichte van versie 1" in nl
    assert "Deze versie vervangt versie 1, vastgesteld op 3 december 2026." in nl
    assert "- Risicoprofiel gewijzigd van standaard in verhoogd." in nl
    assert (
        "- Mensenrechtensituatie: score gewijzigd van 4 (voldoet grotendeels) in 2 (voldoet "
        "in geringe mate)." in nl
    )
    assert "- Mensenrechtensituatie: motivering herzien." in nl
    assert "- Context: tekst herzien." in nl
    assert "- Nu toegestaan: Verstrekking van geëvalueerde gegevens" in nl
    assert "- Voorwaarde toegevoegd: Alleen na parafrase." in nl
    en = _md(_replacing(changes), "en")
    assert "This version replaces version 1, established on 3 December 2026." in en
    assert "- Risk profile changed from standard to elevated." in en


def test_a_draft_says_what_it_would_replace_and_an_unchanged_copy_says_so() -> None:
    unchanged = VersionChanges(RiskProfile.verhoogd, RiskProfile.verhoogd)
    draft = _replacing(unchanged, status=NoteStatus.draft, established_at=None, established_by=None)
    nl = _md(draft, "nl")
    assert "Na vaststelling vervangt deze versie versie 1, vastgesteld op 3 december 2026." in nl
    assert "De inhoud is ongewijzigd ten opzichte van versie 1." in nl
    assert "Wijzigingen" not in _md(_note(), "nl")  # a first version replaces nothing


def test_a_superseded_version_says_by_which_version_and_since_when() -> None:
    # 23:30 UTC on 2 December is 3 December in The Hague.
    old = _note(
        version=1,
        status=NoteStatus.superseded,
        superseded_by=2,
        superseded_at=datetime(2026, 12, 2, 23, 30, tzinfo=UTC),
    )
    nl = _md(old, "nl")
    assert (
        "> **VERVANGEN**: Deze versie is vervangen door versie 2, vastgesteld op 3 december "
        "2026, en is sinds die datum niet meer van kracht." in nl
    )
    assert "**Vervangen door:** versie 2 (vastgesteld op 3 december 2026)" in nl
    en = _md(old, "en")
    assert (
        "This version was superseded by version 2, established on 3 December 2026, and has not "
        "been in force since that date." in en
    )
    pdf = " ".join(
        " ".join(page.extract_text() for page in _pages(render(old, fmt="pdf", lang="nl"))).split()
    )
    assert "vervangen door versie 2, vastgesteld op 3 december 2026" in pdf


# The PDF


def _rotated_text(page: Any) -> list[str]:
    """Text the page draws at an angle: what the old watermark was, letter by letter."""
    found: list[str] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip() and any(abs(m[1]) > 1e-6 or abs(m[2]) > 1e-6 for m in (cm, tm)):
            found.append(text)

    page.extract_text(visitor_text=visit)
    return found


@pytest.mark.parametrize(("lang", "word"), [("nl", "CONCEPT"), ("en", "DRAFT")])
def test_the_watermark_is_drawn_not_written(lang: Any, word: str) -> None:
    draft = _note(status=NoteStatus.draft, established_at=None, established_by=None)
    pages = _pages(render(draft, fmt="pdf", lang=lang))
    for page in pages:
        # Drawn on every page, as outlines in the watermark's colour ...
        assert WATERMARK_FILL in page.get_contents().get_data().decode("latin-1")
        # ... and not as text: nothing is written at an angle across the page.
        assert _rotated_text(page) == []
    text = "\n".join(page.extract_text() for page in pages)
    # The word is text only where the note says it: the running header and the two banners.
    assert text.count(word) == len(pages) + 2
    assert not re.search(r"^[A-Z]$", text, re.MULTILINE)  # no letters strewn between lines


def test_an_established_note_has_no_watermark() -> None:
    for page in _pages(render(_note(), fmt="pdf", lang="nl")):
        assert WATERMARK_FILL not in page.get_contents().get_data().decode("latin-1")


def test_the_pdf_is_pdf_a_without_what_poppler_warns_about() -> None:
    data = render(_note(status=NoteStatus.superseded), fmt="pdf", lang="nl")
    # Poppler: "Syntax Error: Suspects object is wrong type (boolean)" on `/Suspects false`.
    assert b"/Suspects" not in data
    assert b"/MarkInfo<</Marked true" in data  # still a tagged PDF
    reader = PdfReader(io.BytesIO(data))
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert b"<pdfaid:part>2</pdfaid:part>" in xmp.stream.get_data()
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in xmp.stream.get_data()
    # Blanking the entry kept every offset: a strict reader still finds every object.
    strict = PdfReader(io.BytesIO(data), strict=True)
    assert all(page.extract_text() for page in strict.pages)


@pytest.mark.parametrize("lines", [0, 6, 12, 18, 24, 30])
def test_a_criterion_heading_stays_with_its_motivation(lines: int) -> None:
    # A longer context moves the page breaks through the criteria, one case after another.
    note = _note(context="\n".join(["Regel van de context."] * (lines + 1)))
    for page in _pages(render(note, fmt="pdf", lang="nl")):
        text = page.extract_text()
        for number, key in enumerate(CRITERION_KEYS, start=1):
            if f"3.{number} {CRITERIA_BY_KEY[key].label('nl')}" in text:
                assert f"Motivering bij {key}." in text, (lines, key)
