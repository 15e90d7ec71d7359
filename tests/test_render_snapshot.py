"""A render on a SQLite file reads the note without the ORM (`notes.snapshot_document`), and the
document it builds is the one `documents.note_document` builds through a session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, sql
from tests.people_world import as_, register_team
from tests.sharing_world import DEMO, world
from tests.test_read_snapshot import assert_no_orm, loaded_by
from wegings.config import Location
from wegings.errors import WegingsError
from wegings.notes.documents import note_document, read_note_document
from wegings.notes.snapshot_document import snapshot_note_document
from wegings.store import engine
from wegings.store.engine import session_scope
from wegings.store.snapshot import SessionSnapshot, SqliteSnapshot, read_snapshot
from wegings.timeutil import utcnow

STANDAARD = str(DEMO / "rvd-standaard.toml")
VERHOOGD = str(DEMO / "smi-verhoogd.toml")


def ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout.strip()


@pytest.fixture
def notes(run: Run, location: Location, migrated_db: Location) -> Location:
    """Notes in every state: rvd superseded and established again, with a cleared, an open and a
    retracted flag, corrected and in two groups (one left); smi withdrawn; bsv a draft by
    registered people; ndl without a note."""
    for short, extra in (("rvd", ("--group", "CTG")), ("smi", ()), ("bsv", ()), ("ndl", ())):
        ok(run, "new-partner", f"Dienst {short.upper()}", "--short", short, "--country", "XR",
           "--kind", "civil", *extra)  # fmt: skip
    ok(run, "score", "rvd", "--answers", STANDAARD)
    ok(run, "--as", "dg.een", "establish", "rvd", "--role", "dg", "--decision", "Besluit 1")
    ok(run, "flag", "rvd", "--reason", "Onrust in de hoofdstad.", "--date", "2026-01-02")
    ok(run, "score", "rvd", "--answers", STANDAARD)
    ok(run, "--as", "dg.een", "establish", "rvd", "--role", "dg")
    ok(run, "flag", "rvd", "--reason", "Nieuwe onrust.")
    mistaken = ok(run, "flag", "rvd", "--reason", "Vergissing.")
    ok(run, "retract-flag", mistaken.split()[-1].lstrip("#"), "--reason", "Verkeerde dienst.")
    ok(run, "edit-partner", "rvd", "--name", "Dienst R. (nieuw)", "--reason", "Nieuwe naam")
    ok(run, "edit-partner", "rvd", "--country", "XS", "--reason", "Land")
    ok(run, "join", "rvd", "BIG", "--name", "Grote groep")
    ok(run, "join", "smi", "CTG")
    ok(run, "leave", "rvd", "CTG", "--reason", "Uitgetreden")
    ok(run, "score", "smi", "--answers", VERHOOGD)
    ok(run, "--as", "minister.bz", "establish", "smi", "--role", "minister")
    ok(run, "withdraw", "smi", "--reason", "Samenwerking opgeschort.")
    register_team(run)
    ok(run, *as_("h.de.boer", "person", "edit", "a.analist", "--function", "hoofd analyse",
                 "--reason", "Bevorderd"))  # fmt: skip
    ok(run, *as_("a.analist", "score", "bsv", "--answers", STANDAARD))
    return location


def outcome(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except WegingsError as exc:
        return f"{type(exc).__name__}: {exc.message}"


CASES = [
    (handle, version)
    for handle in ("rvd", "RVD ", "smi", "bsv", "ndl", "nope", "rdv")
    for version in (None, 1, 2, 3)
]


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_every_document_is_the_one_read_through_a_session(notes: Location) -> None:
    moments = [utcnow(), utcnow() - timedelta(days=400), utcnow() + timedelta(days=800)]
    with session_scope(notes, write=False) as session, read_snapshot(notes) as snapshot:
        assert isinstance(snapshot, SqliteSnapshot)
        seen = set()
        for now in moments:
            for handle, version in CASES:
                arguments: dict[str, Any] = {
                    "version": version, "marking": "STG. GEHEIM", "service": "AIVD", "now": now,
                }  # fmt: skip
                expected = outcome(lambda: note_document(session, handle, **arguments))  # noqa: B023
                got = outcome(lambda: snapshot_note_document(snapshot, handle, **arguments))  # noqa: B023
                assert got == expected, (handle, version, now)
                seen.add(expected if isinstance(expected, str) else expected.status.value)
    # Every kind of document and refusal was compared.
    assert {"established", "superseded", "withdrawn", "draft"} <= seen
    assert any(s.startswith("NotFound: No partner 'nope'") for s in seen)
    assert any(s.startswith("NotFound: rvd has no version 3") for s in seen)
    assert "Refused: ndl has no weighing note yet. Score one with `wegings score ndl`." in seen


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_the_document_shows_what_the_records_say(notes: Location) -> None:
    with read_snapshot(notes) as snapshot:
        now = snapshot.now()
        rvd = snapshot_note_document(
            snapshot, "rvd", version=None, marking="X", service="AIVD", now=now
        )
        bsv = snapshot_note_document(
            snapshot, "bsv", version=None, marking="X", service="AIVD", now=now
        )
    assert rvd.version == 2
    assert (rvd.partner.name, rvd.partner.country_code) == ("Dienst R. (nieuw)", "XS")
    assert rvd.partner.groups == ("Grote groep",)
    assert [f.reason for f in rvd.flags] == ["Nieuwe onrust."]
    assert (rvd.established_by, rvd.established_by_function) == ("dg.een", "")
    assert (bsv.author, bsv.author_function) == ("drs. A. Analist", "hoofd analyse")


def test_a_server_document_is_read_through_the_session(
    location: Location, migrated_db: Location, backend: str
) -> None:
    world(location, utcnow() - timedelta(days=1))
    with read_snapshot(location) as snapshot:
        expected = SqliteSnapshot if backend == "sqlite" else SessionSnapshot
        assert type(snapshot) is expected
        document = read_note_document(
            snapshot, "smi", version=None, marking="X", service="AIVD", now=snapshot.now()
        )
    assert (document.version, document.status.value, document.profile.value) == (
        1,
        "established",
        "verhoogd",
    )


@pytest.mark.sqlite_only(reason="a value rewritten in the file behind wegings' back")
def test_an_unreadable_time_is_a_store_fault(notes: Location) -> None:
    sql(notes, "UPDATE note_version SET created_at = 'gisteren' WHERE id = 1")
    with read_snapshot(notes) as snapshot:
        error = outcome(
            lambda: snapshot_note_document(
                snapshot, "rvd", version=None, marking="X", service="AIVD", now=utcnow()
            )
        )
    assert error == (
        "StoreError: The database holds an unreadable time ('gisteren'): it was changed "
        "outside wegings. Run `wegings audit verify`."
    )


@pytest.mark.parametrize("fmt", ["md", "pdf"])
def test_a_render_on_a_file_loads_no_orm(
    notes: Location, db_path: Path, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"rvd.{fmt}"
    args = ["--db", str(db_path), "render", "rvd", "-o", str(target)]
    assert_no_orm(loaded_by(args))
    assert target.stat().st_size > 0


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_the_render_command_reads_the_file_without_a_session(
    notes: Location, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_session(*args: object, **kwargs: object) -> None:
        raise AssertionError("render opened a session on a SQLite file")

    monkeypatch.setattr(engine, "session_scope", no_session)
    result = run("render", "rvd", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Dienst R. (nieuw)" in result.stdout


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_a_version_knows_what_it_replaces_and_what_superseded_it(notes: Location, run: Run) -> None:
    arguments: dict[str, Any] = {"marking": "X", "service": "AIVD"}
    with read_snapshot(notes) as snapshot:
        now = snapshot.now()
        first = snapshot_note_document(snapshot, "rvd", version=1, now=now, **arguments)
        second = snapshot_note_document(snapshot, "rvd", version=2, now=now, **arguments)
    assert (first.superseded_by, first.superseded_at) == (2, second.established_at)
    assert first.replaces is None
    assert second.replaces is not None
    assert (second.replaces.version, second.replaces.established_at) == (1, first.established_at)
    assert not second.replaces.changes.any  # scored from the same answers
    assert "Deze versie is vervangen door versie 2, vastgesteld op " in ok(
        run, "render", "rvd", "--version", "1"
    )

    # A draft that changes the profile says what it would replace and what it changes, and both
    # builders say the same.
    ok(run, *as_("a.analist", "score", "rvd", "--answers", VERHOOGD))
    with session_scope(notes, write=False) as session, read_snapshot(notes) as snapshot:
        now = snapshot.now()
        draft = snapshot_note_document(snapshot, "rvd", version=3, now=now, **arguments)
        assert draft == note_document(session, "rvd", version=3, now=now, **arguments)
    assert draft.replaces is not None
    assert draft.replaces.version == 2
    assert draft.replaces.changes.profile_to.value == "verhoogd"
    md = " ".join(ok(run, "render", "rvd", "--version", "3").split())
    assert "Na vaststelling vervangt deze versie versie 2, vastgesteld op " in md
    assert "- Risicoprofiel gewijzigd van standaard in verhoogd." in md
