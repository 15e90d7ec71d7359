"""A read without the ORM (`wegings.store.snapshot`): the same answers, refusals and moment.

A can-share check on a SQLite file reads through a plain `sqlite3` connection; every refusal,
its moment (`read_now`'s fence), a basis's cutoff and every answer must be those of a read
session, and what it reads without the ORM (the schema revisions, the record kinds) must stay
equal to what Alembic and the models say.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, WriteLock, sql
from tests.sharing_world import add_consent, add_item, world
from wegings.config import Location
from wegings.errors import StoreError, WegingsError
from wegings.notes.notes import raise_flag
from wegings.register.partners import get_partner
from wegings.sharing.records import known_kinds, record_kinds
from wegings.sharing.result import decision_json
from wegings.sharing.store import SharingReader
from wegings.store import engine
from wegings.store.audit import AUDITED, basis_cutoff
from wegings.store.engine import HEAD_REVISION, MIGRATIONS_DIR, REVISIONS, session_scope
from wegings.store.snapshot import SessionSnapshot, SqliteSnapshot, read_snapshot
from wegings.timeutil import utcnow

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "pydantic")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(location: Location, migrated_db: Location) -> Location:
    """rvd, smi (CTG), bsv (flagged); our item AIVD-1 (personal data) and rvd's RVD-1 with a
    consent to smi."""
    base = utcnow() - timedelta(days=1)
    world(location, base)
    add_item(location, "AIVD-1", "self", now=base + timedelta(hours=1), personal_data=True)
    add_item(location, "RVD-1", "rvd", now=base + timedelta(hours=1))
    add_consent(
        location,
        now=base + timedelta(hours=2),
        to="smi",
        item="RVD-1",
        valid_until=base + timedelta(days=30),
    )
    return location


def message(action: Callable[[], object]) -> str:
    """The one-line message of the WegingsError that `action` raises."""
    with pytest.raises(WegingsError) as caught:
        action()
    return caught.value.message


def raw_read(location: Location) -> None:
    with read_snapshot(location) as snapshot:
        snapshot.now()


def session_read(location: Location) -> None:
    with session_scope(location, write=False) as session:
        engine.read_now(session)


# ----------------------------------------------------------------- kept equal to Alembic, models


def test_the_revisions_are_alembic_s_in_order() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    newest_first = [revision.revision for revision in script.walk_revisions()]
    assert tuple(reversed(newest_first)) == REVISIONS
    assert script.get_current_head() == HEAD_REVISION == REVISIONS[-1]


def _stored_kind(column: Any) -> str:
    """What a model column holds, as `records.AUDITED_TABLES` names it."""
    from sqlalchemy import Boolean, Date, DateTime, Integer, String, TypeDecorator

    from wegings.store.models import UTCDateTime

    kind = column.type
    if not isinstance(kind, UTCDateTime) and isinstance(kind, TypeDecorator):
        kind = kind.impl_instance  # sqlmodel's AutoString is text underneath
    if isinstance(kind, UTCDateTime | DateTime):
        return "datetime"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, String):
        return "text"
    raise AssertionError(f"no stored kind for column {column.name} ({kind!r})")


def test_the_record_kinds_are_what_the_models_say() -> None:
    kinds = record_kinds()
    assert list(kinds) == list(AUDITED)
    assert known_kinds() == tuple(AUDITED)
    for entity, model in AUDITED.items():
        table: Any = model.__table__  # type: ignore[attr-defined]
        fields = list(model.model_fields)
        columns = [table.columns[name] for name in fields]
        kind = kinds[entity]
        assert kind.table == table.name, entity
        assert kind.columns == tuple(fields), entity
        assert kind.stored == tuple(_stored_kind(c) for c in columns), entity
        assert kind.nullable == tuple(bool(c.nullable) and not c.primary_key for c in columns)


@pytest.mark.parametrize("path", ["/tmp/a b/c?d#e%f.db", "/data/ü/é.db", "relative/w.db"])
def test_the_sqlite_uri_quotes_a_path_as_urllib_does(path: str) -> None:
    assert engine._path_url(Path(path)) == urllib.request.pathname2url(path)


# ------------------------------------------------------------------ what a check loads

_PROBE = """
import atexit, sys, traceback
heavy = %r
importers = {}

class Spy:
    def find_spec(self, name, path=None, target=None):
        top = name.split('.')[0]
        if top in heavy and top not in importers:
            frames = [f for f in traceback.extract_stack()[:-1]
                      if not f.filename.startswith('<frozen')]
            importers[top] = frames[-1].filename
        return None

sys.meta_path.insert(0, Spy())

def report():
    loaded = sorted({m.split('.')[0] for m in sys.modules} & set(heavy))
    sys.stderr.write('LOADED=' + repr({m: importers.get(m, '?') for m in loaded}) + '\\n')

atexit.register(report)
sys.argv = ['wegings'] + %r
from wegings.cli import main
main()
"""


def loaded_by(args: list[str]) -> dict[str, str]:
    """The heavy packages a `wegings` process loads, each with the file that imported it."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE % (HEAVY, args)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("LOADED=")]
    assert lines, result.stderr
    loaded: dict[str, str] = eval(lines[-1].removeprefix("LOADED="))  # noqa: S307 (our repr)
    return loaded


def assert_no_orm(loaded: dict[str, str]) -> None:
    """None of SQLAlchemy, SQLModel, Alembic; pydantic only as Typer's own parameter parsing."""
    pydantic = loaded.pop("pydantic", None)
    assert loaded == {}
    if pydantic is not None:
        assert f"{os.sep}typer{os.sep}" in pydantic, pydantic


@pytest.mark.parametrize(
    "args",
    [
        ["can-share", "AIVD-1", "--to", "smi", "--json"],
        ["can-share", "RVD-1", "--to", "ctg"],
        ["can-share", "RVD-1", "--to", "smi", "--as-of", "2099-01-01", "--hindsight"],
    ],
)
def test_a_check_on_a_file_loads_no_orm(db: Location, db_path: Path, args: list[str]) -> None:
    assert_no_orm(loaded_by(["--db", str(db_path), *args]))


def test_a_replay_with_its_basis_loads_no_orm(db: Location, db_path: Path) -> None:
    seq, digest, at = sql(db, "SELECT seq, hash, at FROM audit_event ORDER BY seq DESC LIMIT 1")[0]
    when = str(at).replace(" ", "T") + "Z"
    args = ["can-share", "RVD-1", "--to", "smi", "--as-of", when, "--basis", f"{seq}:{digest}"]
    assert_no_orm(loaded_by(["--db", str(db_path), *args]))


def test_a_batch_on_a_file_loads_no_orm(db: Location, db_path: Path, tmp_path: Path) -> None:
    rows = tmp_path / "checks.csv"
    rows.write_text("item,to,as_of\nAIVD-1,smi,\nRVD-1,ctg,\nRVD-1,smi,2099-01-01\nNOPE,smi,\n")
    assert_no_orm(loaded_by(["--db", str(db_path), "can-share", "--batch", str(rows), "--json"]))


# ------------------------------------------------------------------ the same refusals


def _missing(path: Path) -> None:
    pass


def _directory(path: Path) -> None:
    path.mkdir()


def _empty_file(path: Path) -> None:
    path.write_bytes(b"")


def _not_a_database(path: Path) -> None:
    path.write_bytes(b"this is not a database at all" * 200)


def _foreign(path: Path) -> None:
    sql(path, "CREATE TABLE recipes (id INTEGER PRIMARY KEY)")


def _newer(path: Path) -> None:
    sql(path, "UPDATE alembic_version SET version_num = '9999_from_the_future'")


def _no_revision(path: Path) -> None:
    sql(path, "DELETE FROM alembic_version")


REFUSED: dict[str, tuple[Callable[[Path], None], bool]] = {
    # what makes the file, and whether it starts as a migrated wegings database
    "missing": (_missing, False),
    "directory": (_directory, False),
    "empty file": (_empty_file, False),
    "not a database": (_not_a_database, False),
    "foreign database": (_foreign, False),
    "newer schema": (_newer, True),
    "no revision": (_no_revision, True),
}


@pytest.fixture(params=sorted(REFUSED))
def refused(request: pytest.FixtureRequest, db_path: Path) -> Location:
    make, migrated = REFUSED[request.param]
    if migrated:
        request.getfixturevalue("migrated_db")
    make(db_path)
    return Location(path=db_path)


def test_a_raw_read_is_refused_as_a_read_session_is(refused: Location, run: Run) -> None:
    assert refused.path is not None
    expected = message(lambda: session_read(refused))
    assert message(lambda: raw_read(refused)) == expected
    for args in (("can-share", "RVD-1", "--to", "smi"), ("can-share", "--batch", "-")):
        result = run(*args, input="item,to\nRVD-1,smi\n")
        assert result.exit_code == 2, result.output
        assert result.stderr == f"Error: {expected}\n"
        assert result.stdout == ""


def test_a_read_only_location_is_told_as_a_read_session_tells_it(
    db: Location, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root opens anything, so SQLite's refusal and the read-only directory are simulated."""
    connect = engine._sqlite_connect

    def refuse(path: Path, *, readonly: bool) -> sqlite3.Connection:
        if readonly:
            raise sqlite3.OperationalError("unable to open database file")
        return connect(path, readonly=readonly)

    monkeypatch.setattr(engine, "_sqlite_connect", refuse)
    monkeypatch.setattr(
        "wegings.store.engine.os.access",
        lambda path, mode: mode == os.R_OK or Path(path) != db_path.parent,
    )
    expected = message(lambda: session_read(db))
    assert expected.startswith(f"Cannot read the database {db_path}: it keeps a write-ahead log")
    assert message(lambda: raw_read(db)) == expected


def _older(path: Path, revision: str) -> None:
    """A new SQLite file at `revision`, as an older wegings left it."""
    from alembic import command

    path.touch()
    sqlalchemy_engine = engine._sqlite_engine(path, readonly=False)
    try:
        with sqlalchemy_engine.connect() as connection:
            command.upgrade(engine._alembic_config(connection), revision)
            connection.commit()
    finally:
        sqlalchemy_engine.dispose()


@pytest.mark.parametrize("read", ["raw", "session", "cli"])
def test_an_older_file_is_migrated_by_a_read_and_then_read(
    db_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch, read: str
) -> None:
    _older(db_path, REVISIONS[-2])
    # A read that took the write lock for itself would wait out its own fence: fail fast.
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_SECONDS", 1.0)
    location = Location(path=db_path)
    if read == "raw":
        with read_snapshot(location) as snapshot:
            assert isinstance(snapshot, SqliteSnapshot)
            assert snapshot.now() <= utcnow()
    elif read == "session":
        session_read(location)
    else:
        result = run("can-share", "RVD-1", "--to", "smi")
        assert result.exit_code == 2, result.output
        assert result.stderr == "Error: No item 'RVD-1'. See `wegings items`.\n"
    assert sql(db_path, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]


# ------------------------------------------------------------------ one snapshot, its moment


@pytest.mark.sqlite_only(reason="the raw snapshot of a SQLite file")
def test_the_snapshot_is_one_read_transaction(db: Location, run: Run) -> None:
    with read_snapshot(db) as snapshot:
        moment = snapshot.now()
        cursor = snapshot.cursor()
        cursor.execute("SELECT count(*) FROM partner")
        assert cursor.fetchall() == [(3,)]
        written = run("new-partner", "Dienst NEU", "--short", "neu", "--country", "XR",
                      "--kind", "civil")  # fmt: skip
        assert written.exit_code == 0, written.output
        cursor.execute("SELECT count(*) FROM partner")
        assert cursor.fetchall() == [(3,)]
        assert snapshot.now() == moment
    [(at,)] = sql(db, "SELECT at FROM audit_event ORDER BY seq DESC LIMIT 1")
    assert engine.stored_utc(at, "time") > moment
    with read_snapshot(db) as later:
        later.cursor().execute("SELECT 1")
        assert later.now() >= engine.stored_utc(at, "time")


@pytest.mark.sqlite_only(reason="the raw snapshot of a SQLite file")
def test_the_moment_is_never_before_the_newest_event(
    db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    [(at,)] = sql(db, "SELECT at FROM audit_event ORDER BY seq DESC LIMIT 1")
    newest = engine.stored_utc(at, "time")
    monkeypatch.setattr("wegings.timeutil.utcnow", lambda: newest - timedelta(hours=1))
    with read_snapshot(db) as snapshot:
        assert snapshot.now() == newest


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run `target` in a thread; its result (or exception) lands in the returned list."""
    box: list[Any] = []

    def body() -> None:
        try:
            box.append(target())
        except BaseException as exc:  # the test re-raises it
            box.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, box


def result_of(thread: threading.Thread, box: list[Any]) -> Any:
    thread.join(timeout=20)
    assert not thread.is_alive()
    [value] = box
    if isinstance(value, BaseException):
        raise value
    return value


@pytest.mark.sqlite_only(reason="the fence of the raw snapshot of a SQLite file")
def test_a_write_in_flight_is_in_the_snapshot_whose_moment_follows_it(db: Location) -> None:
    assert db.path is not None
    holding, go = threading.Event(), threading.Event()

    def write() -> datetime:
        with session_scope(db, write=True) as session:
            now = engine.recorded_now(session)
            partner = get_partner(session, "rvd")
            raise_flag(
                session, partner=partner, reason="Onrust.", observed_on=now.date(),
                actor="tester", now=now,
            )  # fmt: skip
            holding.set()
            go.wait(timeout=10)
        return now

    def read() -> tuple[datetime, int]:
        with read_snapshot(db) as snapshot:
            cursor = snapshot.cursor()
            cursor.execute("SELECT count(*) FROM partner_flag")
            return snapshot.now(), cursor.fetchall()[0][0]

    before = int(str(sql(db, "SELECT count(*) FROM partner_flag")[0][0]))
    writer, written = in_thread(write)
    assert holding.wait(timeout=10)
    reader, seen = in_thread(read)
    time.sleep(0.3)  # the read now waits at its fence
    assert reader.is_alive()
    go.set()
    stamped = result_of(writer, written)
    moment, events = result_of(reader, seen)
    assert stamped <= moment
    assert events == before + 1


@pytest.mark.sqlite_only(reason="the fence of the raw snapshot of a SQLite file")
def test_a_raw_read_waits_no_longer_than_the_busy_timeout(
    db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = WriteLock(db)
    try:
        raw = message(lambda: raw_read(db))
        session = message(lambda: session_read(db))
    finally:
        holder.release()
    assert raw == session
    assert raw.startswith(f"The database {db.describe()} stayed busy for ")


@pytest.mark.sqlite_only(reason="a SQLite file that cannot take the write lock")
def test_a_file_that_cannot_take_the_lock_is_read_unfenced(
    db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path) -> sqlite3.Connection:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(engine, "_begin_fence", refuse)
    with read_snapshot(db) as snapshot:
        moment = snapshot.now()
        cursor = snapshot.cursor()
        cursor.execute("SELECT short FROM partner ORDER BY id")
        assert cursor.fetchall() == [("rvd",), ("smi",), ("bsv",)]
    assert moment <= utcnow()


# ------------------------------------------------------------------ the same answers


@pytest.fixture
def snapshot(db: Location) -> Iterator[Any]:
    """The read snapshot of `db` (raw on SQLite, a session on a server) beside a read session."""
    with read_snapshot(db) as raw, session_scope(db, write=False) as session:
        yield raw, session


def test_a_server_is_read_through_a_session(snapshot: Any, backend: str) -> None:
    raw, _ = snapshot
    expected = SqliteSnapshot if backend == "sqlite" else SessionSnapshot
    assert type(raw) is expected
    assert raw.standby() is None


def outcome(action: Callable[[], Any]) -> Any:
    """What `action` returns, or the message of the WegingsError it raises."""
    try:
        return action()
    except WegingsError as exc:
        return f"{type(exc).__name__}: {exc.message}"


def test_every_basis_cuts_off_as_through_the_session(snapshot: Any, db: Location) -> None:
    raw, session = snapshot
    trail = sql(db, "SELECT seq, hash FROM audit_event ORDER BY seq")
    bases = [(0, "0" * 8), (0, "1" * 8), (len(trail) + 1, "0" * 8)]
    for seq, digest in trail:
        bases += [(int(str(seq)), str(digest)[:8]), (int(str(seq)), "f" * 8)]
    for seq, prefix in bases:
        expected = outcome(lambda: basis_cutoff(session, seq, prefix))  # noqa: B023
        assert outcome(lambda: raw.basis_cutoff(seq, prefix)) == expected, (seq, prefix)  # noqa: B023


@pytest.mark.sqlite_only(reason="recorded times rewritten out of order in the file")
def test_a_trail_out_of_time_order_is_refused_as_through_the_session(db: Location) -> None:
    sql(db, "UPDATE audit_event SET at = '2020-01-01 00:00:00.000000' WHERE seq = 3")
    [(digest,)] = sql(db, "SELECT hash FROM audit_event WHERE seq = 5")
    with read_snapshot(db) as raw, session_scope(db, write=False) as session:
        expected = outcome(lambda: basis_cutoff(session, 5, str(digest)))
        assert "recorded times out of order" in expected
        assert outcome(lambda: raw.basis_cutoff(5, str(digest))) == expected


CHECKS: list[tuple[str, str, dict[str, Any]]] = [
    ("AIVD-1", "smi", {}),
    ("AIVD-1", "rvd", {}),
    ("RVD-1", "smi", {}),
    ("RVD-1", "ctg", {"purpose": "CT"}),
    ("RVD-1", "bsv", {}),
    ("RVD-1", "smi", {"hindsight": True}),
    ("RVD-1", "smi", {"holder": "rvd"}),
    ("NOPE", "smi", {}),
    ("RVD-1", "nope", {}),
]


def answers(source: Any, at: datetime) -> list[Any]:
    """The answer (or error) of every one of `CHECKS` at `at`, read from `source`; a hindsight
    answer without its `known_at`, which is the read's own moment."""
    reader = SharingReader(source, service_name="AIVD")
    found = []
    for item, to, extra in CHECKS:
        answer = outcome(lambda: decision_json(reader.check(item, to, at=at, **extra)))  # noqa: B023
        if isinstance(answer, dict) and answer.get("hindsight"):
            answer.pop("known_at")
        found.append(answer)
    return found


def test_the_answers_are_those_read_through_a_session(db: Location) -> None:
    with session_scope(db, write=False) as session:
        at = engine.read_now(session)
        expected = answers(session, at)
    with read_snapshot(db) as raw:
        known = raw.now()
        got = answers(raw, at)
    assert got == expected
    assert known >= at
    assert any(isinstance(a, dict) and a["decision"] == "allowed" for a in got)


@pytest.mark.sqlite_only(reason="records changed in the file behind wegings' back")
@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE item SET personal_data = 0 WHERE ref = 'AIVD-1'",
        "DELETE FROM audit_event WHERE seq = 2",
        "UPDATE audit_event SET hash = 'ab' || substr(hash, 3) "
        "WHERE seq = (SELECT max(seq) FROM audit_event)",
        "UPDATE consent SET recipient = 'bsv'",
    ],
)
def test_tampered_records_are_errors_as_through_a_session(db: Location, tamper: str) -> None:
    sql(db, tamper)
    at = utcnow()
    with session_scope(db, write=False) as session:
        engine.read_now(session)
        expected = outcome(lambda: answers(session, at))
    with read_snapshot(db) as raw:
        got = outcome(lambda: answers(raw, at))
    assert got == expected
    assert "outside wegings" in json.dumps(got)


@pytest.mark.sqlite_only(reason="an audit time rewritten in the file")
def test_an_unreadable_recorded_time_is_a_store_fault(db: Location) -> None:
    sql(db, "UPDATE audit_event SET at = 'garbage' WHERE seq = (SELECT max(seq) FROM audit_event)")
    error = message(lambda: raw_read(db))
    assert error == (
        "The database holds an unreadable recorded time of an audit event ('garbage'): it was "
        "changed outside wegings. Run `wegings audit verify`."
    )
    with pytest.raises(StoreError):
        raw_read(db)
