"""`wegings items`, `consents`, `permissions` and `transfers` on a SQLite file read without the ORM
(`sharing.snapshot_lists`), and what they give is what the ORM functions give through a session:
the same rows in the same order, the same JSON and tables, the same refusals."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tests.conftest import Run, sql
from tests.sharing_world import DEMO, add_item, world
from tests.test_read_snapshot import assert_no_orm, loaded_by
from wegings.config import Location
from wegings.errors import WegingsError
from wegings.sharing.consents import consent_json, list_consents
from wegings.sharing.items import list_items
from wegings.sharing.listing import ItemRowView, item_json
from wegings.sharing.permissions import list_permissions, permission_json
from wegings.sharing.snapshot_lists import ListReader, SnapshotItemRow, read_items
from wegings.sharing.transfers import list_transfers, transfer_json
from wegings.store import engine
from wegings.store.engine import session_scope
from wegings.store.snapshot import ReadSnapshot, SessionSnapshot, SqliteSnapshot, read_snapshot
from wegings.timeutil import utcnow

VERHOOGD = str(DEMO / "smi-verhoogd.toml")


def ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout.strip()


def until(days: int = 90) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


_built: list[bytes] = []  # the world's SQLite file, built once a worker and copied in after


@pytest.fixture
def lists(run: Run, location: Location, migrated_db: Location) -> Location:
    """rvd and smi (CTG; smi left it at the end, bsv joined), bsv (flagged), ndl (BIG, "Grote
    groep"; a verhoogd note established after a permission); items with corrections and a
    reference two originators use; consents for items and tags, to partners and groups, from a
    partner holder, late, not yet valid and revoked; permissions granted, revoked and no longer
    counting; transfers to partners and to a group."""
    if location.path is not None and _built:
        location.path.write_bytes(_built[0])
        return location
    build(run, location)
    if location.path is not None:
        sql(location, "PRAGMA wal_checkpoint(TRUNCATE)")
        _built.append(location.path.read_bytes())
    return location


def build(run: Run, location: Location) -> None:
    """The records of `lists`, each step as a command at the current time."""
    base = utcnow() - timedelta(days=1)
    world(location, base)
    later = base + timedelta(hours=1)
    add_item(location, "RVD-1", "rvd", now=later, tags=["ct"])
    add_item(location, "RVD-2", "rvd", now=later, tags=["ct", "cyber"], subject="Reizen")
    add_item(location, "AIVD-1", "self", now=later, personal_data=True)
    add_item(location, "AIVD-2", "self", now=later, unevaluated=True, classification="GEHEIM")
    add_item(location, "X-1", "self", now=later)
    add_item(location, "X-1", "smi", now=later, tags=["ct"])
    ok(run, "new-partner", "Dienst NDL", "--short", "ndl", "--country", "XR", "--kind", "civil")
    ok(run, "join", "ndl", "BIG", "--name", "Grote groep")
    ok(run, "correct-item", "RVD-2", "--remove-tag", "ct", "--add-tag", "hum", "--reason", "Fout")
    ok(run, "correct-item", "RVD-2", "--personal-data", "--subject", "Reizen (2)",
       "--reason", "Nb")  # fmt: skip
    ok(run, "correct-item", "AIVD-2", "--add-tag", "ct", "--reason", "Vergeten")
    ok(run, "consent", "RVD-1", "--to", "smi", "--purpose", "CT", "--until", until(),
       "--condition", "Parafraseren", "--condition", "Niet verder",
       "--reference", "RVD-C-1")  # fmt: skip
    ok(run, "consent", "--tag", "ct", "--originator", "rvd", "--to", "ctg", "--until", until())
    ok(run, "consent", "--tag", "hum", "--originator", "rvd", "--to", "bsv", "--until", until(9))
    ok(run, "consent", "AIVD-1", "--holder", "rvd", "--to", "smi", "--until", until(30))
    revoked = ok(run, "consent", "RVD-2", "--to", "bsv", "--until", until())
    ok(run, "revoke", revoked, "--reason", "Ingetrokken bij brief")
    ok(run, "consent", "smi/X-1", "--to", "rvd", "--from", (utcnow() - timedelta(days=3)).date()
       .isoformat(), "--until", until(2), "--reference", "Laat")  # fmt: skip
    ok(run, "consent", "RVD-1", "--to", "bsv", "--from", until(10), "--until", until(20))
    grant = ("--role", "minister", "--until", until(), "--granted-by", "mr. A. de Vries")
    ok(run, "permit", "AIVD-1", "--to", "smi", *grant, "--reason", "Besluit 1")
    ok(run, "permit", "AIVD-2", "--to", "rvd", *grant, "--reason", "Besluit 2", "--ctivd-notified")
    ok(run, "permit", "AIVD-1", "--to", "ctg", *grant, "--reason", "Besluit 3")
    ok(run, "permit", "AIVD-1", "--to", "bsv", *grant, "--reason", "Besluit 4")
    ok(run, "permit", "AIVD-1", "--to", "ndl", *grant, "--reason", "Besluit 5")
    ok(run, "permit", "RVD-1", "--to", "big", *grant, "--reason", "Besluit 6")
    ok(run, "revoke-permission", "#6", "--reason", "Ingetrokken")
    ok(run, "flag", "bsv", "--reason", "Staatsgreep")
    ok(run, "score", "ndl", "--answers", VERHOOGD)
    ok(run, "--as", "minister.bz", "establish", "ndl", "--role", "minister")
    ok(run, "share", "AIVD-1", "--to", "rvd", "--purpose", "CT", "--reliability", "B2",
       "--age", "Oktober 2025")  # fmt: skip
    ok(run, "share", "RVD-1", "--to", "smi", "--purpose", "CT")
    ok(run, "share", "RVD-1", "--to", "ctg")
    ok(run, "join", "bsv", "CTG")
    ok(run, "leave", "smi", "CTG", "--reason", "Uitgetreden")


def outcome(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except WegingsError as exc:
        return f"{type(exc).__name__}: {exc.message}"


def item_view(rows: Sequence[ItemRowView]) -> list[tuple[Any, ...]]:
    """What the CLI shows of items (table and JSON), and what the values rest on."""
    return [(item_json(r), r.tags, r.values, r.item.received_on, len(r.corrections)) for r in rows]


ITEMS = (None, "RVD-1", "rvd/RVD-2", "X-1", "smi/X-1", "self/x-1", "AIVD-1", "AIVD-2", "NOPE")
RECIPIENTS = (None, "rvd", "smi", "SMI ", "ctg", "CTG", "bsv", "ndl", "big", "Grote groep",
              "self", "nope", "smj")  # fmt: skip


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_every_list_is_the_one_read_through_a_session(lists: Location) -> None:
    now = utcnow()
    moments = [now, now - timedelta(days=2), now + timedelta(days=12), now + timedelta(days=100),
               now + timedelta(days=800)]  # fmt: skip
    seen: set[str] = set()
    with session_scope(lists, write=False) as session, read_snapshot(lists) as snapshot:
        assert isinstance(snapshot, SqliteSnapshot)
        reader = ListReader(snapshot)

        def same(expected: Any, got: Any, case: object) -> None:
            assert got == expected, case
            seen.add(expected if isinstance(expected, str) else "rows" if expected else "none")

        for originator in (None, "self", "rvd", " SMI", "ctg", "Grote groep", "nope", "rdv"):
            for tag in (None, "ct", "HUM", "cyber", "not a tag"):
                expected = outcome(
                    lambda: item_view(list_items(session, originator=originator, tag=tag))  # noqa: B023
                )
                got = outcome(lambda: item_view(reader.items(originator=originator, tag=tag)))  # noqa: B023
                same(expected, got, (originator, tag))
        for item in ITEMS:
            for at in moments:
                expected = outcome(
                    lambda: [consent_json(r, at) for r in list_consents(session, item=item)]  # noqa: B023
                )
                got = outcome(lambda: [consent_json(r, at) for r in reader.consents(item=item)])  # noqa: B023
                same(expected, got, (item, at))
        for item in ITEMS[:4]:
            for to in RECIPIENTS:
                for at in moments:
                    expected = outcome(
                        lambda: [
                            permission_json(session, r, at)  # noqa: B023
                            for r in list_permissions(session, now=at, item=item, to=to)  # noqa: B023
                        ]
                    )
                    got = outcome(
                        lambda: [
                            reader.permission_json(r, at)  # noqa: B023
                            for r in reader.permissions(now=at, item=item, to=to)  # noqa: B023
                        ]
                    )
                    same(expected, got, (item, to, at))
        for to in RECIPIENTS:
            expected = outcome(lambda: [transfer_json(r) for r in list_transfers(session, to=to)])  # noqa: B023
            got = outcome(lambda: [transfer_json(r) for r in reader.transfers(to=to)])  # noqa: B023
            same(expected, got, to)
    # Rows and every kind of refusal were compared.
    assert {"rows", "none"} <= seen
    assert "NotFound: No partner 'rdv'. Did you mean: rvd? See `wegings partners`." in seen
    assert (
        "InvalidInput: --originator must be a partner or self, not the group 'grote groep'." in seen
    )
    assert "InvalidInput: Item 'X-1' is ambiguous: self/X-1, smi/X-1. Give ORIGINATOR/REF." in seen
    assert "NotFound: No item 'NOPE'. See `wegings items`." in seen
    assert any(s.startswith("NotFound: No partner or group 'smj'. Did you mean") for s in seen)
    assert any(s.startswith("InvalidInput: Tag 'not a tag' must be") for s in seen)
    assert any(s.startswith("InvalidInput: 'self' is our own service") for s in seen)


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_the_lists_show_what_the_records_say(lists: Location) -> None:
    with read_snapshot(lists) as snapshot:
        reader = ListReader(snapshot)
        now = snapshot.now()
        items = {r.handle: r for r in reader.items()}
        consents = [consent_json(r, now) for r in reader.consents()]
        permissions = [reader.permission_json(r, now) for r in reader.permissions(now=now)]
        to_smi = [r.permission.id for r in reader.permissions(now=now, to="smi")]
        to_bsv = [r.permission.id for r in reader.permissions(now=now, to="bsv")]
        transfers = {
            to: [(r.transfer.id, r.item_handle, r.members) for r in reader.transfers(to=to)]
            for to in ("rvd", "smi", "bsv", "ctg")
        }
    rvd2 = items["rvd/RVD-2"]
    assert (rvd2.tags, rvd2.registered_tags, rvd2.values.subject) == (
        ("cyber", "hum"),
        ("ct", "cyber"),
        "Reizen (2)",
    )
    assert (rvd2.values.personal_data, len(rvd2.corrections)) == (True, 2)
    assert [c["status"] for c in consents] == [
        "valid", "valid", "valid", "valid", "revoked", "valid", "not yet valid",
    ]  # fmt: skip
    assert consents[0]["conditions"] == ["Parafraseren", "Niet verder"]
    assert [(p["id"], p["status"]) for p in permissions] == [
        (1, "valid"), (2, "valid"), (3, "valid"), (4, "no longer counts"),
        (5, "no longer counts"), (6, "revoked"),
    ]  # fmt: skip
    assert str(permissions[4]["status_reason"]).startswith("ndl's verhoogd note v1 was ")
    # smi left the CTG, bsv joined it: a partner's permissions include its groups' now.
    assert (to_smi, to_bsv) == ([1], [3, 4])
    # A transfer to a group reached those that were members then.
    assert transfers == {
        "rvd": [(1, "self/AIVD-1", ()), (3, "rvd/RVD-1", ("rvd", "smi"))],
        "smi": [(2, "rvd/RVD-1", ()), (3, "rvd/RVD-1", ("rvd", "smi"))],
        "bsv": [],
        "ctg": [(3, "rvd/RVD-1", ("rvd", "smi"))],
    }


def test_a_server_list_is_read_through_the_session(
    location: Location, migrated_db: Location, backend: str
) -> None:
    base = utcnow() - timedelta(days=1)
    world(location, base)
    add_item(location, "RVD-1", "rvd", now=base + timedelta(hours=1), tags=["ct"])
    with read_snapshot(location) as snapshot:
        expected = SqliteSnapshot if backend == "sqlite" else SessionSnapshot
        assert type(snapshot) is expected
        rows = read_items(snapshot, tag="CT")
    assert [item_json(r)["handle"] for r in rows] == ["rvd/RVD-1"]
    assert all(isinstance(r, SnapshotItemRow) == (backend == "sqlite") for r in rows)


# --------------------------------------------------------------------------- the commands

COMMANDS = [
    ["items"], ["items", "--json"], ["items", "--originator", "rvd"], ["items", "--tag", "CT"],
    ["items", "--originator", "self", "--tag", "ct", "--json"], ["items", "--tag", "nothing"],
    ["items", "--originator", "rdv"], ["items", "--originator", "ctg"], ["items", "--tag", "a b"],
    ["consents"], ["consents", "--json"], ["consents", "--item", "RVD-1"],
    ["consents", "--item", "rvd/RVD-2", "--json"], ["consents", "--item", "X-1"],
    ["consents", "--item", "AIVD-2"], ["consents", "--item", "NOPE"],
    ["permissions"], ["permissions", "--json"], ["permissions", "--to", "smi"],
    ["permissions", "--to", "bsv", "--json"], ["permissions", "--item", "AIVD-1", "--to", "ctg"],
    ["permissions", "--item", "RVD-2"], ["permissions", "--to", "nobody"],
    ["permissions", "--item", "X-1"], ["permissions", "--as-of", "2026-01-01"],
    ["transfers"], ["transfers", "--json"], ["transfers", "--to", "smi"],
    ["transfers", "--to", "CTG", "--json"], ["transfers", "--to", "bsv"],
    ["transfers", "--to", "smj"], ["transfers", "--to", "self"],
    ["transfers", "--item", "RVD-1"], ["transfers", "--item", "NOPE"],
    ["transfers", "--item", "AIVD-1", "--to", "smi", "--json"],
    ["transfers", "--since", "2020-01-01", "--json"], ["transfers", "--until", "2020-01-01"],
    ["transfers", "--since", "2027-01-01", "--until", "2026-01-01"],
]  # fmt: skip


@contextmanager
def session_read(location: Location) -> Iterator[ReadSnapshot]:
    """`read_snapshot` as on a server: a read session, which the commands read with the ORM."""
    with session_scope(location, write=False) as session:
        yield SessionSnapshot(session)


def through_session(run: Run, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> Result:
    """The command run as it ran before it read the file without the ORM."""
    with monkeypatch.context() as patched:
        patched.setattr("wegings.store.snapshot.read_snapshot", session_read)
        return run(*args)


def printed(result: Result) -> tuple[int, str, str]:
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_the_commands_print_what_they_printed_through_a_session(
    lists: Location, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = set()
    for args in COMMANDS:
        result = run(*args)
        assert printed(result) == printed(through_session(run, monkeypatch, args)), args
        codes.add(result.exit_code)
    assert codes == {0, 2}
    unknown = run("items", "--originator", "rdv")
    assert unknown.stderr == "Error: No partner 'rdv'. Did you mean: rvd? See `wegings partners`.\n"
    assert run("consents", "--item", "NOPE").stderr == (
        "Error: No item 'NOPE'. See `wegings items`.\n"
    )


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_the_commands_read_the_file_without_a_session(
    lists: Location, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_session(*args: object, **kwargs: object) -> None:
        raise AssertionError("a list opened a session on a SQLite file")

    monkeypatch.setattr(engine, "session_scope", no_session)
    for args in (["items"], ["consents"], ["permissions", "--to", "smi"], ["transfers"]):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["items", "--originator", "rvd", "--tag", "ct", "--json"],
        ["consents", "--item", "RVD-1"],
        ["permissions", "--to", "bsv"],
        ["permissions", "--item", "AIVD-1", "--json"],
        ["transfers", "--to", "smi", "--json"],
    ],
)
def test_a_list_on_a_file_loads_no_orm(lists: Location, db_path: Path, args: list[str]) -> None:
    assert_no_orm(loaded_by(["--db", str(db_path), *args]))


# --------------------------------------------------------------------------- damaged values


@pytest.mark.sqlite_only(reason="a value rewritten in the file behind wegings' back")
@pytest.mark.parametrize(
    ("statement", "commands"),
    [
        ("UPDATE item SET recorded_at = 'garbage' WHERE ref = 'RVD-1'",
         ["items", "consents", "permissions", "transfers"]),
        ("UPDATE item SET received_on = 'gisteren' WHERE ref = 'AIVD-1'",
         ["items", "permissions", "transfers"]),
        ("UPDATE consent SET valid_until = 'garbage' WHERE id = 2", ["consents"]),
        ("UPDATE consent_revocation SET revoked_at = 'x'", ["consents"]),
        ("UPDATE permission SET valid_from = 'garbage' WHERE id = 3", ["permissions"]),
        ("UPDATE permission_revocation SET recorded_at = 'x'", ["permissions"]),
        ("UPDATE partner_flag SET recorded_at = 'garbage'", ["permissions"]),
        ("UPDATE note_establishment SET review_due = 'garbage'", ["permissions"]),
        ("UPDATE transfer SET transferred_at = 'garbage' WHERE id = 2", ["transfers"]),
    ],
)  # fmt: skip
def test_an_unreadable_time_is_a_one_line_store_fault(
    lists: Location, run: Run, monkeypatch: pytest.MonkeyPatch, statement: str, commands: list[str]
) -> None:
    sql(lists, statement)
    for command in commands:
        result = run(command)
        # Through the ORM the value is not read either: SQLAlchemy raises a bare ValueError
        # (a traceback, exit 1); the raw read names it in one line, with the same exit code.
        orm = through_session(run, monkeypatch, [command])
        assert isinstance(orm.exception, ValueError), (command, orm.exception)
        assert (result.exit_code, result.stdout, orm.exit_code, orm.stdout) == (1, "", 1, "")
        assert result.stderr.startswith("Error: The database holds an unreadable "), command
        assert result.stderr.endswith(
            ": it was changed outside wegings. Run `wegings audit verify`.\n"
        )
        assert result.stderr.count("\n") == 1


@pytest.mark.sqlite_only(reason="a value rewritten in the file behind wegings' back")
@pytest.mark.parametrize(
    ("statement", "args"),
    [
        ("UPDATE item_correction SET add_tags = 'garbage'", ["items"]),
        ("UPDATE item_correction SET add_tags = 'garbage'", ["transfers", "--json"]),
        ("UPDATE consent SET conditions = '[' WHERE id = 1", ["consents"]),
        ("UPDATE transfer SET decision = 'garbage' WHERE id = 1", ["transfers", "--to", "rvd"]),
        ("UPDATE transfer SET conditions = 'garbage' WHERE id = 3", ["transfers"]),
        ("UPDATE note_version SET answers = '{' WHERE version = 1", ["permissions", "--to", "smi"]),
    ],
)  # fmt: skip
def test_a_damaged_value_reads_as_through_a_session(
    lists: Location, run: Run, monkeypatch: pytest.MonkeyPatch, statement: str, args: list[str]
) -> None:
    sql(lists, statement)
    result = run(*args)
    assert printed(result) == printed(through_session(run, monkeypatch, args))


@pytest.mark.sqlite_only(reason="the raw read of a SQLite file")
def test_an_empty_or_missing_store_reads_as_through_a_session(
    run: Run, migrated_db: Location, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "none.db"
    for args in (["items"], ["consents", "--json"], ["permissions"], ["transfers", "--to", "x"]):
        for db in (migrated_db.path, missing):
            assert db is not None
            result = run(*args, db=db)
            with monkeypatch.context() as patched:
                patched.setattr("wegings.store.snapshot.read_snapshot", session_read)
                expected = run(*args, db=db)
            assert printed(result) == printed(expected), (args, db)
    assert not missing.exists()
    assert run("items").stderr == "No items found. Register one with `wegings new-item`.\n"


@pytest.mark.sqlite_only(reason="a value rewritten in the file behind wegings' back")
@pytest.mark.parametrize(
    ("statement", "args", "says"),
    [
        ("UPDATE item SET personal_data = 2 WHERE ref = 'AIVD-1'", ["permissions", "--json"],
         "an unreadable yes/no value (2)"),
        ("UPDATE permission SET ctivd_notified = '' WHERE id = 2", ["permissions", "--json"],
         "an unreadable yes/no value ('')"),
        ("UPDATE item SET personal_data = 'garbage'", ["items"], "an unreadable yes/no value"),
        ("UPDATE consent SET item_id = 'abc' WHERE id = 1", ["consents"],
         "an unreadable id for the item of consent #1 ('abc')"),
        ("UPDATE transfer SET conditions = '[1, 2]' WHERE id = 1", ["transfers"],
         "conditions of a transfer that are not a list of texts"),
        ("UPDATE consent SET conditions = '{\"a\": 1}' WHERE id = 1", ["consents", "--json"],
         "conditions of a consent that are not a list of texts"),
    ],
)  # fmt: skip
def test_a_damaged_value_is_one_line_never_a_guess(
    lists: Location, run: Run, statement: str, args: list[str], says: str
) -> None:
    sql(lists, statement)
    result = run(*args)
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr.startswith("Error: The database holds "), result.stderr
    assert says in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.sqlite_only(reason="a record deleted from the file behind wegings' back")
def test_a_record_that_refers_to_a_deleted_one_is_one_line(lists: Location, run: Run) -> None:
    (item_id,) = sql(lists, "SELECT item_id FROM permission ORDER BY id LIMIT 1")[0]
    sql(lists, "PRAGMA foreign_keys = OFF")
    sql(lists, "DELETE FROM item_tag WHERE item_id = ?", item_id)
    sql(lists, "DELETE FROM item_correction WHERE item_id = ?", item_id)
    sql(lists, "DELETE FROM item WHERE id = ?", item_id)
    result = run("permissions")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("Error: Permission #")
    assert f"refers to a record #{item_id} that is not on record" in result.stderr
