"""The operating-system login beside the acting person in every audit event on SQLite.

On SQLite the acting person is a name given (`--as`, WEGINGS_USER), so each event also records
the account of the process that wrote it, and a typed name shows as such; on a server, which
authenticates the acting person itself, the column stays NULL. The login is a ninth element of
the event's canonical bytes when present, so events recorded before it keep their hashes.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import pwd
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine

from tests.conftest import Run, add_partner, sql
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.store import audit
from wegings.store.audit import event_hash, record_change
from wegings.store.chain import canonical, chain_hash, event_bytes
from wegings.store.engine import HEAD_REVISION, MIGRATIONS_DIR, session_scope
from wegings.store.models import Partner
from wegings.timeutil import utcnow

OS_LOGIN = pwd.getpwuid(os.getuid()).pw_name
"""The account these tests run as, as the system's user database has it."""

HINT = "run `wegings audit verify`."


@pytest.fixture(autouse=True)
def fresh_login() -> Iterator[None]:
    """Every test asks for the process's login anew (it is kept once per process)."""
    audit._process_os_login.cache_clear()
    yield
    audit._process_os_login.cache_clear()


def recorded_login(backend: str) -> str | None:
    """What an event written by these tests records as its OS login on this backend."""
    return None if backend == "postgres" else OS_LOGIN


def log_rows(run: Run) -> dict[str, list[str]]:
    """The rows of `audit log`'s table by event number, each row's cells stripped."""
    result = run("audit", "log")
    assert result.exit_code == 0, result.output
    rows = {}
    for line in result.stdout.splitlines():
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.split("│")[1:-1]]
            rows[cells[0]] = cells
    return rows


def add_partner_as(run: Run, actor: str, short: str) -> None:
    """Register a partner with `--as ACTOR` typed, and insist that it worked."""
    result = run(
        "--as", actor, "new-partner", f"Dienst {short.upper()}", "--short", short,
        "--country", "XR", "--kind", "civil",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------------------ the bytes


def test_event_bytes_with_an_os_login_are_the_nine_element_canonical_list() -> None:
    fields = (1, "2026-12-02T10:00:00Z", "bob", "partner.create", "partner", "1", "{}", "0" * 64)
    assert event_bytes(*fields, os_login="root") == (
        b'[1,"2026-12-02T10:00:00Z","bob","partner.create","partner","1","{}","'
        + b"0" * 64
        + b'","root"]'
    )
    assert event_bytes(*fields) == (
        b'[1,"2026-12-02T10:00:00Z","bob","partner.create","partner","1","{}","' + b"0" * 64 + b'"]'
    )
    assert event_bytes(*fields, os_login=None) == event_bytes(*fields)
    assert (
        chain_hash(*fields, os_login="root")
        == hashlib.sha256(event_bytes(*fields, os_login="root")).hexdigest()
    )


@given(
    st.integers(0, 2**62),
    st.one_of(st.none(), st.text()),
    st.text(),
    st.text(),
    st.one_of(st.none(), st.text()),
)
def test_event_bytes_are_the_canonical_list_with_the_login_last(
    seq: int, at: str | None, actor: str, change: str, os_login: str | None
) -> None:
    fields = [seq, at, actor, "partner.create", "partner", "7", change, "ab" * 32]
    expected = canonical(fields if os_login is None else [*fields, os_login])
    assert event_bytes(
        seq, at, actor, "partner.create", "partner", "7", change, "ab" * 32, os_login=os_login
    ) == expected.encode("utf-8")


# ------------------------------------------------------------------------------ the account


def test_the_os_account_is_the_user_database_s_not_the_environment_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME", "WEGINGS_USER"):
        monkeypatch.setenv(variable, "mallory")
    monkeypatch.setattr(getpass, "getuser", lambda: "mallory")
    assert audit.os_account() == OS_LOGIN


def test_without_pwd_the_os_account_is_getpass_s(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pwd", None)  # `import pwd` fails, as on Windows
    monkeypatch.setattr(getpass, "getuser", lambda: "winuser")
    assert audit.os_account() == "winuser"

    def no_user() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", no_user)
    assert audit.os_account() is None


def test_a_user_id_without_an_account_has_no_os_login(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_account(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_account)
    monkeypatch.setattr(getpass, "getuser", lambda: "mallory")
    assert audit.os_account() is None


# ------------------------------------------------------------------------------ recorded


def test_a_typed_as_is_recorded_beside_the_os_login(
    run: Run, migrated_db: Location, backend: str
) -> None:
    add_partner_as(run, "bob", "rvd")
    add_partner(run, "sdv")
    events = json.loads(run("audit", "log", "--json").stdout)
    assert [(e["seq"], e["actor"], e["os_login"]) for e in events] == [
        (2, "tester", recorded_login(backend)),
        (1, "bob", recorded_login(backend)),
    ]
    rows = log_rows(run)
    typed = "bob" if backend == "postgres" else f"bob (OS login: {OS_LOGIN})"
    given_name = "tester" if backend == "postgres" else f"tester (OS login: {OS_LOGIN})"
    assert [rows["1"][2:], rows["2"][2:]] == [
        [typed, "partner.create", "partner #1", "rvd (Dienst RVD)"],
        [given_name, "partner.create", "partner #2", "sdv (Dienst SDV)"],
    ]
    assert run("audit", "verify").exit_code == 0


@pytest.mark.sqlite_only("a server records no OS login, so there is none to equal the actor")
def test_an_actor_who_is_the_os_login_is_shown_once(
    run: Run, migrated_db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEGINGS_USER", OS_LOGIN)
    add_partner(run, "rvd")
    assert log_rows(run)["1"][2:] == [OS_LOGIN, "partner.create", "partner #1", "rvd (Dienst RVD)"]


def test_the_environment_does_not_change_the_os_login(
    run: Run, migrated_db: Location, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, "mallory")
    monkeypatch.setenv("WEGINGS_USER", "mallory")
    monkeypatch.setattr(getpass, "getuser", lambda: "mallory")
    add_partner(run, "rvd")
    events = json.loads(run("audit", "log", "--json").stdout)
    assert [(e["actor"], e["os_login"]) for e in events] == [("mallory", recorded_login(backend))]


def test_the_stored_column_holds_the_os_login_on_sqlite_and_null_on_a_server(
    run: Run, migrated_db: Location, backend: str
) -> None:
    add_partner_as(run, "bob", "rvd")
    rows = sql(migrated_db, "SELECT actor, os_login FROM audit_event")
    assert rows == [("bob", None if backend == "postgres" else OS_LOGIN)]


def test_record_change_fills_the_os_login_on_sqlite_only(
    location: Location, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "mallory")
    monkeypatch.setenv("USER", "mallory")
    now = utcnow()
    with session_scope(location, write=True) as session:
        partner = Partner(
            short="rvd", name="Dienst RVD", country="XR", kind="civil",
            created_at=now, created_by="bob",
        )  # fmt: skip
        event = record_change(
            session, actor="bob", action="partner.create", record=partner, now=now
        )
        assert (event.actor, event.os_login) == ("bob", recorded_login(backend))
        assert event.hash == event_hash(event)
    with session_scope(location, write=False) as session:
        assert audit.verify(session).events == 1


# ------------------------------------------------------------------------------ tampering


@pytest.fixture
def two_events(run: Run, migrated_db: Location) -> Run:
    add_partner(run, "rvd")
    add_partner(run, "sdv")
    return run


def test_an_altered_os_login_is_named(two_events: Run, location: Location) -> None:
    sql(location, "UPDATE audit_event SET os_login = 'x' WHERE seq = 2")
    result = two_events("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 2: its content does not match its hash (altered).\n"
    )


@pytest.mark.sqlite_only("a server records no OS login to remove")
def test_a_removed_os_login_is_named(two_events: Run, location: Location) -> None:
    sql(location, "UPDATE audit_event SET os_login = NULL WHERE seq = 2")
    result = two_events("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 2: its content does not match its hash (altered).\n"
    )


@pytest.fixture
def shared_world(location: Location, migrated_db: Location) -> Location:
    """rvd, smi, bsv and our own item AIVD-1 (no personal data), written by wegings."""
    base = utcnow() - timedelta(days=1)
    world(location, base)
    add_item(location, "AIVD-1", "self", now=base + timedelta(hours=1))
    return location


def _item_event(db: Location) -> int:
    (seq,) = sql(db, "SELECT seq FROM audit_event WHERE entity = 'item' AND entity_id = '1'")[0]
    return int(str(seq))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("'x'", id="altered"),
        pytest.param("NULL", id="removed", marks=pytest.mark.sqlite_only("none to remove")),
        pytest.param("5", id="a number", marks=pytest.mark.sqlite_only("SQLite's loose types")),
    ],
)
def test_can_share_refuses_an_event_whose_os_login_was_changed(
    run: Run, shared_world: Location, value: str
) -> None:
    assert run("can-share", "self/AIVD-1", "--to", "smi").exit_code == 0
    seq = _item_event(shared_world)
    sql(shared_world, f"UPDATE audit_event SET os_login = {value} WHERE seq = ?", seq)  # noqa: S608
    result = run("can-share", "self/AIVD-1", "--to", "smi")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Error: Audit event {seq} (item #1) does not match its hash — the audit trail was "
        f"changed outside wegings; {HINT}\n"
    )


# ------------------------------------------------------------------------------ migration


def _migrate(path: Path, revision: str) -> None:
    """Bring the SQLite file at `path` down to `revision`, as an older wegings left it."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
            connection.commit()
    finally:
        engine.dispose()


@pytest.fixture
def old_events(run: Run, migrated_db: Location, monkeypatch: pytest.MonkeyPatch) -> str:
    """Three events as a wegings before the OS login wrote them (no login, eight-element
    bytes); the head as `audit verify` prints it."""
    with monkeypatch.context() as before:
        before.setattr(audit, "_process_os_login", lambda: None)
        add_partner(run, "rvd", "--group", "CTG")
    assert sql(migrated_db, "SELECT count(*), count(os_login) FROM audit_event") == [(3, 0)]
    verified = json.loads(run("audit", "verify", "--json").stdout)
    assert verified["intact"] is True
    return str(verified["head"])


def test_old_events_without_an_os_login_verify(old_events: str, run: Run) -> None:
    result = run("audit", "verify")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        f"Audit trail intact: 3 events and 3 records checked. Head {old_events} "
    )
    events = json.loads(run("audit", "log", "--json").stdout)
    assert [e["os_login"] for e in events] == [None, None, None]
    assert log_rows(run)["1"][2] == "tester"


@pytest.mark.sqlite_only("migrates a SQLite file of an older revision on open")
@pytest.mark.parametrize("revision", ["0007_audit_tree", "0006_people"])
def test_an_older_database_with_events_migrates_and_stays_intact(
    old_events: str, run: Run, db_path: Path, revision: str
) -> None:
    _migrate(db_path, revision)
    assert sql(db_path, "SELECT version_num FROM alembic_version") == [(revision,)]
    columns = [row[1] for row in sql(db_path, "PRAGMA table_info(audit_event)")]
    assert "os_login" not in columns

    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Audit trail intact: 3 events and 3 records checked. Head {old_events} "
        "(write it down; check later with --expect).\n"
    )
    assert sql(db_path, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]

    add_partner(run, "sdv")
    events = json.loads(run("audit", "log", "--json").stdout)
    assert [(e["seq"], e["os_login"]) for e in events] == [
        (4, OS_LOGIN),
        (3, None),
        (2, None),
        (1, None),
    ]
    again = run("audit", "verify", "--expect", old_events)
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("Audit trail intact: 4 events and 4 records checked. ")
