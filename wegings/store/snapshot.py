"""A read snapshot: one consistent read of the store, as the raw-SQL readers need it.

The can-share reader reads through the driver's cursor, not the ORM; all it needs of the
store is a `ReadSnapshot`: that cursor (with the driver's error class, placeholder style and
dialect), the moment the read answers for (`engine.read_now`), a basis's cutoff
(`basis.cutoff`) and, on a server, how far a standby lags.

`read_snapshot` opens one. A SQLite file is read with `sqlite3` alone (`SqliteSnapshot`, from
`engine.open_sqlite_read`: the engine's read-only URI, pragmas, fence and refusals), so a check
loads neither SQLAlchemy nor SQLModel; only an older file loads them once, to be migrated
first. A server is read through a read session of `engine.session_scope`, which
`SessionSnapshot` wraps, as it wraps a session a caller already holds (a write that checks
first, a sweep).
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wegings.store import basis, engine

if TYPE_CHECKING:
    from sqlmodel import Session

    from wegings.config import Location
    from wegings.store.engine import Standby


_EVENT_TIME = "recorded time of an audit event"


class ReadSnapshot(ABC):
    """One read transaction of the store, for readers that run their own SQL."""

    @property
    @abstractmethod
    def dialect(self) -> str:
        """The backend: "sqlite" or "postgresql"."""

    @property
    @abstractmethod
    def paramstyle(self) -> str:
        """The driver's placeholder style (DB-API `paramstyle`: "qmark", "format", ...)."""

    @property
    @abstractmethod
    def errors(self) -> type[Exception]:
        """The driver's base error class (DB-API `Error`)."""

    @abstractmethod
    def cursor(self) -> Any:
        """A DB-API cursor reading this snapshot."""

    @abstractmethod
    def now(self) -> datetime:
        """The moment this read answers for (`engine.read_now`); the same on every call.

        On a session, call it before the first query, which takes the snapshot.
        """

    @abstractmethod
    def basis_cutoff(self, seq: int, hash_prefix: str) -> datetime:
        """The recorded time a replay with basis SEQ:HASH counts to (`basis.cutoff`)."""

    @abstractmethod
    def standby(self) -> Standby | None:
        """How far a read on a standby lags the primary; None elsewhere."""


class SqliteSnapshot(ReadSnapshot):
    """A read of a SQLite file through a plain `sqlite3` connection in one read transaction."""

    def __init__(self, connection: sqlite3.Connection, now: datetime) -> None:
        """`connection` has begun the read (its snapshot is taken); `now` is its moment."""
        self._connection = connection
        self._now = now
        self._times_checked = False
        self._out_of_order: tuple[int, int] | None = None

    @property
    def dialect(self) -> str:
        """SQLite."""
        return "sqlite"

    @property
    def paramstyle(self) -> str:
        """The sqlite3 module's placeholders (?)."""
        return sqlite3.paramstyle

    @property
    def errors(self) -> type[Exception]:
        """The sqlite3 module's base error class."""
        return sqlite3.Error

    def cursor(self) -> sqlite3.Cursor:
        """A cursor of the read transaction."""
        return self._connection.cursor()

    def now(self) -> datetime:
        """The moment taken as the snapshot was, under the fence (`engine.open_sqlite_read`)."""
        return self._now

    def basis_cutoff(self, seq: int, hash_prefix: str) -> datetime:
        """`basis.cutoff` on this snapshot's audit trail."""
        return basis.cutoff(self, seq, hash_prefix)

    def standby(self) -> Standby | None:
        """A SQLite file has no standby."""
        return None

    def close(self) -> None:
        """End the read transaction and close the connection."""
        try:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
        finally:
            self._connection.close()

    # The audit trail as `basis.cutoff` reads it (a `basis.BasisTrail`).

    def event(self, seq: int) -> tuple[object, datetime] | None:
        """Event `seq`'s stored hash and recorded time; None when there is none."""
        row = self._connection.execute(
            "SELECT hash, at FROM audit_event WHERE seq = ?", (seq,)
        ).fetchone()
        return None if row is None else (row[0], engine.stored_utc(row[1], _EVENT_TIME))

    def head_seq(self) -> int:
        """The newest event's sequence number; 0 for an empty trail."""
        row = self._connection.execute(
            "SELECT seq FROM audit_event ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return int(row[0]) if row is not None else 0

    def first_out_of_time_order(self) -> tuple[int, int] | None:
        """The first neighbouring events whose recorded times go back; read once a snapshot."""
        if not self._times_checked:
            row = self._connection.execute(
                "SELECT e.seq, n.seq FROM audit_event e JOIN audit_event n ON n.seq = e.seq + 1 "
                "WHERE n.at < e.at ORDER BY e.seq LIMIT 1"
            ).fetchone()
            self._out_of_order = (row[0], row[1]) if row is not None else None
            self._times_checked = True
        return self._out_of_order


class SessionSnapshot(ReadSnapshot):
    """A read through a SQLAlchemy session (a server; a write that checks first; a sweep).

    Lazy: nothing touches the session before the reader asks, so `now()` can still come
    before the first query, as `engine.read_now` requires.
    """

    def __init__(self, session: Session) -> None:
        """Wrap `session` (from `engine.session_scope`)."""
        self.session = session

    def _dialect(self) -> Any:
        return self.session.connection().dialect

    @property
    def dialect(self) -> str:
        """The session's dialect name."""
        name: str = self._dialect().name
        return name

    @property
    def paramstyle(self) -> str:
        """The session's driver's placeholder style."""
        style: str = self._dialect().paramstyle
        return style

    @property
    def errors(self) -> type[Exception]:
        """The session's driver's base error class."""
        error: type[Exception] = self._dialect().loaded_dbapi.Error
        return error

    def cursor(self) -> Any:
        """A cursor on the session's own driver connection (its transaction)."""
        driver = self.session.connection().connection.driver_connection
        assert driver is not None
        return driver.cursor()

    def now(self) -> datetime:
        """`engine.read_now` of the session."""
        return engine.read_now(self.session)

    def basis_cutoff(self, seq: int, hash_prefix: str) -> datetime:
        """`audit.basis_cutoff` through the session."""
        from wegings.store.audit import basis_cutoff

        return basis_cutoff(self.session, seq, hash_prefix)

    def standby(self) -> Standby | None:
        """`engine.standby` of the session."""
        return engine.standby(self.session)


def as_snapshot(source: ReadSnapshot | Session) -> ReadSnapshot:
    """`source` as a read snapshot: a session is wrapped (`SessionSnapshot`)."""
    if isinstance(source, ReadSnapshot):
        return source
    return SessionSnapshot(source)


@contextmanager
def read_snapshot(location: Location) -> Iterator[ReadSnapshot]:
    """One consistent read of the store at `location`, opened read-only; closed at the end.

    Refused as `engine.session_scope(location, write=False)` refuses; a SQLite file is read
    without the ORM (`SqliteSnapshot`).
    """
    if location.path is None:
        with engine.session_scope(location, write=False) as session:
            yield SessionSnapshot(session)
        return
    snapshot = SqliteSnapshot(*engine.open_sqlite_read(location))
    try:
        yield snapshot
    except sqlite3.Error as exc:
        # As session_scope words a database error of a read.
        raise engine.describe_read_error(exc, location.describe()) from None
    finally:
        snapshot.close()
