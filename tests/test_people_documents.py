"""Documents name who wrote and who established a note by full name and function, with room for
both to sign; without a people register they show the recorded login, as before."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import Run
from tests.people_world import as_, register_team
from tests.sharing_world import DEMO, world
from wegings.config import Location
from wegings.render.strings import STRINGS
from wegings.timeutil import utcnow

pytestmark = pytest.mark.sqlite_only(
    reason="the register grants its own roles there; on a server they are database roles "
    "(tests/test_people_postgres.py)"
)

ANSWERS = str(DEMO / "rvd-standaard.toml")


def _text(data: bytes, fmt: str) -> str:
    if fmt == "pdf":
        pages = PdfReader(io.BytesIO(data)).pages
        return " ".join(" ".join(page.extract_text() for page in pages).split())
    return data.decode("utf-8")


def _render(run: Run, tmp_path: Path, fmt: str, lang: str) -> str:
    target = tmp_path / f"bsv-{lang}.{fmt}"
    result = run("render", "bsv", "--lang", lang, "-o", str(target), "--force")
    assert result.exit_code == 0, result.output
    return _text(target.read_bytes(), fmt)


@pytest.fixture
def weighed(run: Run, location: Location, migrated_db: Location) -> Location:
    """bsv's note written by the assessor and established by the DG, all registered."""
    world(location, utcnow() - timedelta(days=1))
    register_team(run)
    assert run(*as_("a.analist", "score", "bsv", "--answers", ANSWERS)).exit_code == 0
    assert run(*as_("h.de.boer", "establish", "bsv", "--role", "dg")).exit_code == 0
    return location


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_format_names_author_and_establisher_with_their_functions(
    run: Run, weighed: Location, tmp_path: Path, fmt: str, lang: str
) -> None:
    text = _render(run, tmp_path, fmt, lang)
    strings = STRINGS[lang]
    for label in ("signature_author", "signature_establisher"):
        assert strings[label] in text
    for name, function in (("drs. A. Analist", "senior analist"),
                           ("mr. H. de Boer", "directeur-generaal")):  # fmt: skip
        assert name in text
        assert function in text
    # Under each signature line, the signer's name and function.
    author_sign = text.index(strings["signature_author"])
    establisher_sign = text.index(strings["signature_establisher"])
    assert "drs. A. Analist" in text[author_sign:establisher_sign]
    assert "mr. H. de Boer" in text[establisher_sign:]
    assert "a.analist" not in text
    assert "h.de.boer" not in text


def test_a_draft_has_room_for_who_will_establish_it(
    run: Run, location: Location, migrated_db: Location, tmp_path: Path
) -> None:
    world(location, utcnow() - timedelta(days=1))
    register_team(run)
    assert run(*as_("a.analist", "score", "bsv", "--answers", ANSWERS)).exit_code == 0
    text = _render(run, tmp_path, "md", "nl")
    assert "- **Opgesteld door:** drs. A. Analist, senior analist\n" in text
    assert "**Handtekening vaststeller:** ....." in text
    assert "- **Naam:** ....." in text


def test_the_function_is_the_one_on_record_when_they_acted(
    run: Run, weighed: Location, tmp_path: Path
) -> None:
    promoted = run(*as_("h.de.boer", "person", "edit", "a.analist", "--function",
                        "hoofd analyse", "--reason", "Bevorderd."))  # fmt: skip
    assert promoted.exit_code == 0, promoted.output
    text = _render(run, tmp_path, "md", "en")
    assert "- **Drawn up by:** drs. A. Analist, senior analist\n" in text
    assert "hoofd analyse" not in text


def test_without_a_register_the_login_is_shown_as_before(
    run: Run, location: Location, migrated_db: Location, tmp_path: Path
) -> None:
    world(location, utcnow() - timedelta(days=1))
    assert run(*as_("a.analist", "score", "bsv", "--answers", ANSWERS)).exit_code == 0
    assert run(*as_("h.de.boer", "establish", "bsv", "--role", "dg")).exit_code == 0
    text = _render(run, tmp_path, "md", "nl")
    assert "- **Opgesteld door:** a.analist\n" in text
    assert "- **Vastgesteld door:** h.de.boer\n" in text
    assert "- **Functie:**" not in text
    html = _render(run, tmp_path, "html", "en")
    assert "<dt>Drawn up by</dt><dd><bdi>a.analist</bdi></dd>" in html
