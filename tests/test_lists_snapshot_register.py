"""`wegings due`, `partners`, `groups` and `people` on a SQLite file read without the ORM
(`notes.due_listing`, `register.snapshot_lists`), and answer what the ORM path answers: the same
rows at every moment, the same tables, JSON, messages and exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, sql
from tests.people_world import as_, register_team
from tests.sharing_world import DEMO, world
from tests.test_notes_core import VERHOOGD as VERHOOGD_FILE
from tests.test_notes_core import add_partner, answers, draft, establish_note
from tests.test_read_snapshot import assert_no_orm, loaded_by
from wegings.config import Location
from wegings.domain import Role
from wegings.errors import WegingsError
from wegings.notes.due_listing import read_due, snapshot_due
from wegings.register.listing import group_json, partner_json
from wegings.register.roster import people_json
from wegings.register.snapshot_lists import read_groups, read_partners, read_people
from wegings.store import snapshot as snapshots
from wegings.store.engine import session_scope, stored_utc
from wegings.store.snapshot import ReadSnapshot, SessionSnapshot, SqliteSnapshot, read_snapshot
from wegings.timeutil import iso, utcnow

STANDAARD = str(DEMO / "rvd-standaard.toml")
VERHOOGD = str(DEMO / "smi-verhoogd.toml")


def ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout.strip()


@pytest.fixture
def register(run: Run, location: Location, migrated_db: Location) -> Location:
    """Notes in every state and a register that changed: ovd overdue for review; vic due within
        a month (verhoogd); rvd superseded and established again, with a cleared, an open and a
        retracted flag, corrected twice, in two groups (one left); smi withdrawn; bsv a draft by
        registered people; ndl without a note, in the CTG from a day in the past; j.jansen renamed
    and granted a role that was revoked again."""
    now = utcnow()
    past = now - timedelta(days=800)
    add_partner(location, "ovd", now=past)
    draft(location, "ovd", answers(), now=past)
    establish_note(location, "ovd", now=past + timedelta(hours=1))
    add_partner(location, "vic", now=now - timedelta(days=350))
    draft(location, "vic", answers(VERHOOGD_FILE), now=now - timedelta(days=345))
    establish_note(location, "vic", now=now - timedelta(days=340), role=Role.minister)
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
    ok(run, "edit-partner", "rvd", "--country", "XS", "--kind", "military", "--reason", "Land")
    ok(run, "join", "rvd", "BIG", "--name", "Grote groep")
    ok(run, "join", "smi", "CTG")
    ok(run, "join", "ndl", "CTG", "--from", "2025-06-01", "--reference", "CTG-brief")
    ok(run, "leave", "rvd", "CTG", "--reason", "Uitgetreden")
    ok(run, "score", "smi", "--answers", VERHOOGD)
    ok(run, "--as", "minister.bz", "establish", "smi", "--role", "minister")
    ok(run, "withdraw", "smi", "--reason", "Samenwerking opgeschort.")
    ok(run, "flag", "smi", "--reason", "Opgeschort en onrustig.")
    register_team(run)
    ok(run, *as_("h.de.boer", "person", "edit", "a.analist", "--function", "hoofd analyse",
                 "--reason", "Bevorderd"))  # fmt: skip
    ok(run, *as_("a.analist", "score", "bsv", "--answers", STANDAARD))
    ok(run, *as_("h.de.boer", "person", "grant", "j.jansen", "assessor", "--reason", "Ook dat"))
    ok(run, *as_("h.de.boer", "person", "edit", "j.jansen", "--name", "J. P. Jansen",
                 "--reason", "Voorletters"))  # fmt: skip
    ok(run, *as_("m.minister", "person", "revoke", "j.jansen", "assessor", "--reason", "Niet meer"))
    return location


def moments(location: Location) -> list[datetime]:
    """Just before and at every recorded event, long before everything, and long after."""
    recorded = [stored_utc(at, "time") for (at,) in sql(location, "SELECT at FROM audit_event")]
    around = {m + delta for m in recorded for delta in (-timedelta(microseconds=1), timedelta())}
    now = utcnow()
    return sorted(around | {now - timedelta(days=1000), now, now + timedelta(days=800)})


@contextmanager
def both(location: Location) -> Iterator[tuple[ReadSnapshot, ReadSnapshot]]:
    """A read through a session (the ORM path) and one of the file without the ORM."""
    with session_scope(location, write=False) as session, read_snapshot(location) as raw:
        assert isinstance(raw, SqliteSnapshot)
        yield SessionSnapshot(session), raw


GROUPS = [None, "ctg", "CTG ", "big", "Grote groep", " grote   GROEP", "nope", "ctgg", "grote"]


def listed(
    snapshot: ReadSnapshot, at: datetime, group: str | None, known_at: datetime | None
) -> Any:
    """What `wegings partners` shows of the listing, or the refusal."""
    try:
        rows = read_partners(snapshot, at=at, group=group, known_at=known_at)
    except WegingsError as exc:
        return f"{type(exc).__name__}: {exc.message}"
    return [(partner_json(r), r.partner.short, r.values) for r in rows]


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_the_partners_are_those_listed_through_a_session(register: Location) -> None:
    seen: set[str] = set()
    with both(register) as (orm, raw):
        every = moments(register)
        for at in every:
            # Every moment for the whole list and one group; a few for the other names.
            for group in GROUPS if at in every[::10] else GROUPS[:3]:
                for known_at in (at, None):
                    expected = listed(orm, at, group, known_at)
                    assert listed(raw, at, group, known_at) == expected, (at, group, known_at)
                    seen.add(str(expected))
    everything = " ".join(seen)
    # Corrections (as on record then), joins and leaves, a past valid-from, and refusals.
    for shown in ("Dienst R. (nieuw)", "'XS'", "military", "Grote groep", "'ndl'"):
        assert shown in everything
    assert "NotFound: No group 'nope'. Known: CTG, Grote groep. See `wegings groups`." in seen
    assert "NotFound: No group 'grote'. Did you mean: Grote groep? See `wegings groups`." in seen
    assert "[]" in seen


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_the_groups_are_those_listed_through_a_session(register: Location) -> None:
    seen: set[str] = set()
    with both(register) as (orm, raw):
        for at in moments(register):
            for known_at in (at, None):
                expected = [group_json(r) for r in read_groups(orm, at=at, known_at=known_at)]
                got = [group_json(r) for r in read_groups(raw, at=at, known_at=known_at)]
                assert got == expected, (at, known_at)
                seen.add(repr([(g["key"], g["members"]) for g in expected]))
    # Membership changed over time: rvd in the CTG, then not; ndl in from a day in the past.
    assert "[('ctg', ['rvd'])]" in seen
    assert "[('big', ['rvd']), ('ctg', ['ndl', 'rvd', 'smi'])]" in seen
    assert "[('big', ['rvd']), ('ctg', ['ndl', 'smi'])]" in seen
    assert len(seen) > 4


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_what_is_due_is_what_a_session_finds(register: Location) -> None:
    seen: set[str] = set()
    with both(register) as (orm, raw):
        every = moments(register)
        for now in every:
            for within in (0, 30, 90, 400) if now in every[::5] else (0, 90):
                expected = read_due(orm, now=now, within_days=within)
                assert read_due(raw, now=now, within_days=within) == expected, (now, within)
                seen.update(reason for row in expected for reason in row["reasons"])
        with pytest.raises(WegingsError, match=r"^--within must be 0 or more days\.$"):
            snapshot_due(raw, now=utcnow(), within_days=-1)
    texts = " | ".join(sorted(seen))
    for reason in (
        "review of v1 overdue by",
        "review of v1 due in",
        "note v1 withdrawn: cooperation suspended",
        "no established note",
        "draft v1 awaits establishment",
        "flagged 2026-01-02: Onrust in de hoofdstad.",
        "flagged",
    ):
        assert reason in texts
    assert "Vergissing." in texts  # open until it was retracted
    assert sum("Vergissing." in reason for reason in seen) == 1


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_the_people_are_those_listed_through_a_session(register: Location) -> None:
    seen: set[str] = set()
    with both(register) as (orm, raw):
        for at in [*moments(register), None]:
            expected_rows, expected_roles = read_people(orm, at=at)
            rows, roles = read_people(raw, at=at)
            expected = people_json(expected_rows, expected_roles)
            assert (people_json(rows, roles), roles) == (expected, expected_roles), at
            assert [r.login for r in rows] == [r.login for r in expected_rows]
            seen.update(
                f"{p['login']}: {p['name']}, {p['function']}, {p['roles']}" for p in expected
            )
    assert "a.analist: drs. A. Analist, senior analist, ['assessor']" in seen
    assert "a.analist: drs. A. Analist, hoofd analyse, ['assessor']" in seen
    assert "j.jansen: J. Jansen, medewerker liaisonbureau, ['desk', 'assessor']" in seen
    assert "j.jansen: J. P. Jansen, medewerker liaisonbureau, ['desk']" in seen


@contextmanager
def session_snapshot(location: Location) -> Iterator[ReadSnapshot]:
    """`read_snapshot` as it reads a server: through a read session (the ORM path)."""
    with session_scope(location, write=False) as session:
        yield SessionSnapshot(session)


def command_args(location: Location) -> list[list[str]]:
    [(first,)] = sql(location, "SELECT min(at) FROM audit_event WHERE action = 'partner.correct'")
    corrected = iso(stored_utc(first, "time"))
    assert corrected is not None
    return [
        ["due"],
        ["due", "--json"],
        ["due", "--within", "0"],
        ["due", "--within", "400", "--json"],
        ["partners"],
        ["partners", "--json"],
        ["partners", "--group", "ctg"],
        ["partners", "--group", "Grote groep", "--json"],
        ["partners", "--group", "ctg", "--as-of", "2025-07-01"],
        ["partners", "--as-of", corrected, "--json"],
        ["partners", "--as-of", "2020-01-01"],
        ["partners", "--group", "ctg", "--as-of", "2020-01-01"],
        ["partners", "--group", "nope"],
        ["partners", "--group", "grote"],
        ["partners", "--as-of", "gisteren"],
        ["partners", "--as-of", "2999-01-01"],
        ["groups"],
        ["groups", "--json"],
        ["groups", "--as-of", corrected],
        ["groups", "--as-of", "2020-01-01"],
        ["groups", "--as-of", "2025-07-01", "--json"],
        ["groups", "--as-of", "1-1-2026"],
        ["people"],
        ["people", "--json"],
        ["people", "--as-of", corrected],
        ["people", "--as-of", "2020-01-01"],
        ["people", "--as-of", "2020-01-01", "--json"],
        ["people", "--as-of", "morgen"],
    ]


def both_paths(
    run: Run, monkeypatch: pytest.MonkeyPatch, location: Location, args: list[str]
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(exit code, stdout, stderr) of `args` without the ORM, then through a session."""
    raw = run(*args)
    with monkeypatch.context() as patch:
        patch.setattr(snapshots, "read_snapshot", session_snapshot)
        orm = run(*args)
    return (raw.exit_code, raw.stdout, raw.stderr), (orm.exit_code, orm.stdout, orm.stderr)


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_every_command_prints_what_the_orm_path_prints(
    register: Location, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = set()
    for args in command_args(register):
        raw, orm = both_paths(run, monkeypatch, register, args)
        assert raw == orm, args
        codes.add(raw[0])
    assert codes == {0, 2}


EMPTY = [
    *(["due"], ["due", "--json"], ["partners"], ["partners", "--json"], ["groups"]),
    *(["groups", "--json"], ["people"], ["people", "--json"], ["partners", "--group", "ctg"]),
]


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_an_empty_register_is_listed_as_the_orm_path_lists_it(
    migrated_db: Location, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    for args in EMPTY:
        raw, orm = both_paths(run, monkeypatch, migrated_db, args)
        assert raw == orm, args
    assert run("partners").stderr.startswith("No partners registered yet.")


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_no_database_is_refused_as_the_orm_path_refuses_it(
    location: Location, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    for args in EMPTY:
        raw, orm = both_paths(run, monkeypatch, location, args)
        assert raw == orm, args
        assert raw[0] != 0, args


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_the_refusals_are_the_orm_path_s(register: Location, run: Run) -> None:
    unknown = run("partners", "--group", "ctgg")
    assert (unknown.exit_code, unknown.stderr) == (
        2,
        "Error: No group 'ctgg'. Did you mean: CTG? See `wegings groups`.\n",
    )
    future = run("groups", "--as-of", "2999-01-01")
    assert future.exit_code == 2
    assert future.stderr.startswith("Error: --as-of '2999-01-01' lies in the future;")
    assert run("due", "--within", "-1").exit_code == 2


@pytest.mark.sqlite_only(reason="a value rewritten in the file behind wegings' back")
@pytest.mark.parametrize(
    ("statement", "args", "shown"),
    [
        ("UPDATE partner_flag SET recorded_at = 'garbage'", ["due"], "'garbage'"),
        ("UPDATE partner_correction SET recorded_at = 'x'", ["partners", "--json"], "'x'"),
        ("UPDATE membership_change SET valid_from = 'x'", ["groups"], "'x'"),
        ("UPDATE group_membership SET added_at = ''", ["partners", "--group", "ctg"], "''"),
    ],
)
def test_a_damaged_value_is_a_one_line_store_fault(
    register: Location,
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    statement: str,
    args: list[str],
    shown: str,
) -> None:
    sql(register, statement)
    raw, orm = both_paths(run, monkeypatch, register, args)
    # The ORM path fails with the same exit code, but on a traceback of the driver's parser.
    assert raw[0] == orm[0] == 1
    assert raw[1:] == (
        "",
        f"Error: The database holds an unreadable time ({shown}): it was changed outside "
        "wegings. Run `wegings audit verify`.\n",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["due"],
        ["due", "--json", "--within", "400"],
        ["partners"],
        ["partners", "--group", "Grote groep", "--json"],
        ["partners", "--group", "ctg", "--as-of", "2025-07-01"],
        ["partners", "--group", "nope"],
        ["groups"],
        ["groups", "--as-of", "2025-07-01", "--json"],
        ["people"],
        ["people", "--json", "--as-of", "2026-01-01"],
    ],
)
def test_a_listing_on_a_file_loads_no_orm(
    register: Location, db_path: Path, args: list[str]
) -> None:
    assert_no_orm(loaded_by(["--db", str(db_path), *args]))


def test_a_server_is_read_through_the_session(
    location: Location, migrated_db: Location, backend: str
) -> None:
    world(location, utcnow() - timedelta(days=1))
    with read_snapshot(location) as snapshot:
        expected = SqliteSnapshot if backend == "sqlite" else SessionSnapshot
        assert type(snapshot) is expected
        now = snapshot.now()
        partners = [r.partner.short for r in read_partners(snapshot, at=now, known_at=now)]
        members = [r.partner.short for r in read_partners(snapshot, at=now, group="ctg")]
        groups = [(g.group.key, g.members) for g in read_groups(snapshot, at=now, known_at=now)]
        due = [
            (row["partner"], row["reasons"]) for row in read_due(snapshot, now=now, within_days=0)
        ]
        people, held = read_people(snapshot, at=now)
    assert (partners, members) == (["bsv", "rvd", "smi"], ["rvd", "smi"])
    assert groups == [("ctg", ("rvd", "smi"))]
    assert [short for short, _ in due] == ["bsv"]
    assert (list(people), held) == ([], None if backend == "sqlite" else {})
