"""One clock: a record's time is read while the write lock is held, a read's moment is fenced.

A writer that waits for the lock must not stamp its record with the time it started waiting,
and a read must never answer for a moment at which a write it cannot see is later recorded.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select
from typer.testing import Result

from tests.conftest import Run, WriteLock, add_partner
from wegings.config import Location
from wegings.errors import StoreError
from wegings.notes.notes import raise_flag
from wegings.register.partners import get_partner
from wegings.store import engine as store
from wegings.store.engine import read_now, recorded_now, session_scope
from wegings.store.models import AuditEvent, Partner, PartnerFlag
from wegings.timeutil import utcnow

DEMO = Path(__file__).resolve().parent / "data"


def flags(session: Session) -> list[PartnerFlag]:
    return list(session.exec(select(PartnerFlag).order_by(col(PartnerFlag.id))))


def events(location: Location) -> list[AuditEvent]:
    with session_scope(location, write=False) as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))))


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


def flag_command(run: Run) -> Callable[[], Result]:
    def invoke() -> Result:
        return run("flag", "rvd", "--reason", "Politieke onrust.")

    return invoke


def result_of(thread: threading.Thread, box: list[Any]) -> Any:
    thread.join(timeout=20)
    assert not thread.is_alive()
    [value] = box
    if isinstance(value, BaseException):
        raise value
    return value


# --------------------------------------------------------------------------- writers


@pytest.mark.sqlite_only(reason="SQLite's write lock, tried as the sqlite3 shell would")
def test_a_write_session_takes_the_write_lock_on_entry(location: Location, run: Run) -> None:
    add_partner(run, "rvd")
    assert location.path is not None
    with session_scope(location, write=True):
        other = sqlite3.connect(location.path, isolation_level=None, timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_a_waiting_writer_is_stamped_after_the_lock_is_released(
    run: Run, location: Location
) -> None:
    add_partner(run, "rvd")
    holder = WriteLock(location)
    try:
        thread, box = in_thread(flag_command(run))
        time.sleep(0.5)  # the flag is now waiting for the lock
        released = utcnow()
    finally:
        holder.release()
    result = result_of(thread, box)
    assert result.exit_code == 0, result.output
    with session_scope(location, write=False) as session:
        [flag] = flags(session)
    assert flag.recorded_at > released
    assert events(location)[-1].at == flag.recorded_at


def test_a_read_during_the_wait_agrees_with_the_flag_written_after_it(
    run: Run, location: Location
) -> None:
    """The issue's case: a read taken while a flag waits; --as-of its moment must agree."""
    add_partner(run, "rvd")

    def read() -> tuple[datetime, list[PartnerFlag]]:
        with session_scope(location, write=False) as session:
            moment = read_now(session)
            return moment, flags(session)

    holder = WriteLock(location)
    try:
        writer, written = in_thread(flag_command(run))
        time.sleep(0.3)
        reader, seen = in_thread(read)
        time.sleep(0.3)
    finally:
        holder.release()
    assert result_of(writer, written).exit_code == 0
    moment, visible = result_of(reader, seen)
    with session_scope(location, write=False) as session:
        [flag] = flags(session)
    # Seen by the read exactly when recorded at or before its moment.
    assert (flag.recorded_at <= moment) == bool(visible)


def test_an_in_flight_write_is_seen_by_a_read_whose_moment_follows_it(
    run: Run, location: Location
) -> None:
    add_partner(run, "rvd")
    holding, go = threading.Event(), threading.Event()

    def write() -> datetime:
        with session_scope(location, write=True) as session:
            now = recorded_now(session)
            partner = get_partner(session, "rvd")
            raise_flag(
                session,
                partner=partner,
                reason="Onrust.",
                observed_on=now.date(),
                actor="tester",
                now=now,
            )
            holding.set()
            go.wait(timeout=10)
        return now

    def read() -> tuple[datetime, list[PartnerFlag]]:
        with session_scope(location, write=False) as session:
            moment = read_now(session)
            return moment, flags(session)

    writer, written = in_thread(write)
    assert holding.wait(timeout=10)
    reader, seen = in_thread(read)
    time.sleep(0.3)  # the read is now waiting at its fence
    go.set()
    stamped = result_of(writer, written)
    moment, visible = result_of(reader, seen)
    assert stamped <= moment
    assert [f.recorded_at for f in visible] == [stamped]


# --------------------------------------------------------------------------- recorded_now


class SteppingClock:
    """A clock set by the test; every reading is counted."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.readings = 0

    def __call__(self) -> datetime:
        self.readings += 1
        self.now += timedelta(milliseconds=1)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SteppingClock:
    fixed = SteppingClock(utcnow())
    monkeypatch.setattr("wegings.timeutil.utcnow", fixed)
    return fixed


def test_recorded_now_is_one_value_per_transaction(
    run: Run, location: Location, clock: SteppingClock
) -> None:
    add_partner(run, "rvd")
    with session_scope(location, write=True) as session:
        first = recorded_now(session)
        assert recorded_now(session) == first
        assert recorded_now(session) == first
    assert first > events(location)[-1].at - timedelta(microseconds=1)
    with session_scope(location, write=True) as session:
        assert recorded_now(session) > first


def test_recorded_now_follows_the_trail_when_the_clock_steps_back(
    run: Run, location: Location, clock: SteppingClock
) -> None:
    add_partner(run, "rvd")
    last = events(location)[-1].at
    clock.now = last - timedelta(hours=1)
    result = run("flag", "rvd", "--reason", "Onrust.", "--date", "2026-01-02")
    assert result.exit_code == 0, result.output
    newest = events(location)[-1]
    assert newest.at == last + timedelta(microseconds=1)
    with session_scope(location, write=False) as session:
        assert [f.recorded_at for f in flags(session)] == [newest.at]


def test_recorded_now_on_a_read_session_is_a_programming_error(
    run: Run, location: Location
) -> None:
    add_partner(run, "rvd")
    with (
        session_scope(location, write=False) as session,
        pytest.raises(RuntimeError, match="recorded_now needs a write session"),
    ):
        recorded_now(session)


def test_every_writing_command_stamps_its_records_in_trail_order(
    run: Run, location: Location, clock: SteppingClock, tmp_path: Path
) -> None:
    """A frozen clock: every command still gets its own time, later than the one before."""
    until = (utcnow() + timedelta(days=90)).date().isoformat()
    commands = [
        ("new-partner", "Dienst RVD", "--short", "rvd", "--country", "XR", "--kind", "civil"),
        ("new-partner", "Dienst SMI", "--short", "smi", "--country", "XS", "--kind", "civil"),
        ("score", "rvd", "--answers", str(DEMO / "rvd-standaard.toml")),
        ("--as", "h.de.boer", "establish", "rvd", "--role", "dg"),
        ("flag", "rvd", "--reason", "Onrust."),
        ("new-item", "RVD-1", "--originator", "rvd", "--received-from", "rvd"),
        ("new-item", "AIVD-1", "--originator", "self", "--unevaluated"),
        ("consent", "RVD-1", "--to", "smi", "--until", until),
        ("revoke", "1", "--reason", "Brief van RVD."),
        (
            "permit",
            "--granted-by",
            "mr. A. Minister",
            "AIVD-1",
            "--to",
            "rvd",
            "--role",
            "minister",
            "--until",
            until,
            "--reason",
            "Besluit M-1.",
            "--ctivd-notified",
        ),
        ("withdraw", "rvd", "--reason", "Samenwerking opgeschort."),
    ]
    stamps: list[set[datetime]] = []
    seen = 0
    for command in commands:
        clock.now = clock.now - timedelta(minutes=1)  # the clock steps back every time
        result = run(*command)
        assert result.exit_code == 0, (command, result.output)
        trail = events(location)
        stamps.append({event.at for event in trail[seen:]})
        seen = len(trail)
    assert all(len(one) == 1 for one in stamps), stamps
    times = [next(iter(one)) for one in stamps]
    assert times == sorted(times)
    assert len(set(times)) == len(commands)
    assert run("audit", "verify").exit_code == 0


# --------------------------------------------------------------------------- read_now


def test_read_now_is_one_moment_per_session(run: Run, location: Location) -> None:
    add_partner(run, "rvd")
    with session_scope(location, write=False) as session:
        moment = read_now(session)
        time.sleep(0.01)
        assert read_now(session) == moment
    assert moment >= events(location)[-1].at


def test_read_now_after_the_snapshot_is_a_programming_error(run: Run, location: Location) -> None:
    add_partner(run, "rvd")
    with session_scope(location, write=False) as session:
        session.exec(select(Partner)).all()
        with pytest.raises(RuntimeError, match="read_now must come before"):
            read_now(session)


def test_read_now_in_a_write_session_is_its_recorded_time(run: Run, location: Location) -> None:
    add_partner(run, "rvd")
    with session_scope(location, write=True) as session:
        assert read_now(session) == recorded_now(session)


def test_read_now_is_never_before_the_newest_event(
    run: Run, location: Location, clock: SteppingClock
) -> None:
    add_partner(run, "rvd")
    last = events(location)[-1].at
    clock.now = last - timedelta(hours=1)
    with session_scope(location, write=False) as session:
        assert read_now(session) == last


@pytest.mark.sqlite_only(reason="the fence of a read on a file that cannot take the write lock")
def test_read_now_on_a_file_that_cannot_take_the_lock(
    run: Run, location: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root writes through any file mode, so the refusal of the write lock is simulated."""
    add_partner(run, "rvd")

    def refuse(path: Path) -> sqlite3.Connection:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store, "_begin_fence", refuse)
    with session_scope(location, write=False) as session:
        moment = read_now(session)
        assert session.exec(select(Partner.short)).all() == ["rvd"]
    assert events(location)[-1].at <= moment <= utcnow()


def test_read_now_waits_no_longer_than_the_busy_timeout(
    run: Run, location: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_partner(run, "rvd")
    monkeypatch.setattr(store, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = WriteLock(location)
    try:
        with (
            session_scope(location, write=False) as session,
            pytest.raises(StoreError) as caught,
        ):
            read_now(session)
    finally:
        holder.release()
    assert caught.value.message.startswith(f"The database {location.describe()} stayed busy for ")


def test_read_now_on_a_server_reads_after_the_snapshot(pg_run: Run, pg_url: str) -> None:
    result = pg_run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 0, result.output
    with session_scope(Location(url=pg_url), write=False) as session:
        moment = read_now(session)
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc())).first()
    assert last is not None
    assert last.at <= moment <= utcnow()


@pytest.fixture(autouse=True)
def no_thread_left() -> Iterator[None]:
    before = threading.active_count()
    yield
    assert threading.active_count() <= before
