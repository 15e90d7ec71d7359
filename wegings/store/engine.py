"""Opening the store: location, SQLite settings, migrations on open, one transaction a command.

Two backends. A SQLite file is created by the first write and migrated whenever it is opened;
writers queue on SQLite's write lock (BEGIN IMMEDIATE). A PostgreSQL server is set up and
migrated only by `wegings db upgrade` (never by a read); writers serialize on one
transaction-level advisory lock taken first (`WRITE_LOCK_KEY`), and readers read one snapshot
(REPEATABLE READ, READ ONLY). Either way a command is one transaction and a database error is
one line.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wegings import timeutil
from wegings.config import Location
from wegings.errors import InvalidInput, StoreError
from wegings.timeutil import as_utc

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

REVISIONS = (
    "0001_foundation",
    "0002_weighing_notes",
    "0003_third_party_rule",
    "0004_audit_record_lookup",
    "0005_corrections",
    "0006_people",
    "0007_audit_tree",
    "0008_event_os_login",
)
"""Every schema revision this version ships, oldest first: known without loading Alembic, so
that opening a database costs no migration machinery; a test keeps it equal to Alembic's."""

HEAD_REVISION = REVISIONS[-1]
"""The newest schema revision this version knows; a test keeps it equal to Alembic's head."""

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a command waits for another writer before it gives up."""

CONNECT_TIMEOUT_SECONDS = 10
"""How long a command waits for a PostgreSQL server to answer a connection."""

WRITE_LOCK_KEY = 0x77656769_6E6773
"""The advisory lock ("wegings" in ASCII) every writer on a server holds for its transaction.

It is the server's counterpart of SQLite's write lock: the audit sequence, the chain's hashes
and the recorded times are read and extended by one writer at a time. A read takes it shared
for a moment before its snapshot (see `read_now`); `db upgrade` holds it while it migrates.
"""

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_SIDE_FILES = ("-wal", "-shm", "-journal")


def stored_json(text: str, what: str) -> Any:
    """JSON kept in a column; a corrupt value is a store fault, never a crash or a guess."""
    import json

    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError):
        raise StoreError(
            f"The database holds invalid JSON in the {what}: it was changed outside wegings. "
            "Run `wegings audit verify`."
        ) from None


@dataclass(frozen=True)
class SchemaState:
    """What the database says about its schema."""

    revision: str | None
    has_tables: bool


def _sqlite_uri(path: Path, *, readonly: bool) -> str:
    """A SQLite URI for `path`; `rw` never creates a file, so creation stays in our hands."""
    return f"file:{_path_url(path)}?mode={'ro' if readonly else 'rw'}"


def _path_url(path: Path) -> str:
    """`urllib.request.pathname2url(str(path))`, without loading urllib.request: it brings
    http.client, email and ssl, a good part of a read's start-up."""
    if os.name == "nt":
        from nturl2path import pathname2url

        return pathname2url(str(path))
    from urllib.parse import quote

    return quote(str(path))


def _sqlite_connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """A connection with foreign keys on and a busy timeout, in autocommit mode.

    isolation_level=None hands transaction control to the caller: the engine's "begin" hook,
    or the one BEGIN of a read snapshot (`open_sqlite_read`).
    """
    connection = sqlite3.connect(
        _sqlite_uri(path, readonly=readonly),
        uri=True,
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    except BaseException:
        connection.close()
        raise
    return connection


def _sqlite_engine(path: Path, *, readonly: bool) -> Engine:
    """An engine with foreign keys on, WAL, a busy timeout and writers that queue up."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    def connect() -> sqlite3.Connection:
        return _sqlite_connect(path, readonly=readonly)

    engine = create_engine("sqlite+pysqlite://", creator=connect, poolclass=NullPool)

    @event.listens_for(engine, "begin")
    def begin(conn: Connection) -> None:
        # BEGIN IMMEDIATE takes the write lock up front, so two writers wait for each other
        # (busy timeout) instead of one failing when its read lock cannot be upgraded.
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _server_engine(url: str) -> Engine:
    """An engine for the PostgreSQL database at `url`: one connection, opened for the command."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    from sqlalchemy.pool import NullPool

    connect_args: dict[str, object] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    try:
        if "application_name" not in make_url(url).query:
            connect_args["application_name"] = "wegings"
        return create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (NoSuchModuleError, ImportError):
        raise StoreError(
            "A PostgreSQL database needs the psycopg driver: pip install 'wegings[postgres]'."
        ) from None
    except ArgumentError as exc:
        raise InvalidInput(f"WEGINGS_DATABASE_URL is not a usable SQLAlchemy URL: {exc}") from None


def read_schema_state(connection: Connection) -> SchemaState:
    """The schema revision recorded in the database, and whether it has any tables."""
    from sqlalchemy import inspect, text

    if connection.dialect.name == "postgresql":
        # One catalog query instead of the inspector's several: every command asks this.
        has_version, has_tables = connection.exec_driver_sql(
            "SELECT to_regclass('alembic_version') IS NOT NULL, EXISTS (SELECT 1 FROM "
            "pg_catalog.pg_tables WHERE schemaname = current_schema())"
        ).one()
        names = ["alembic_version"] if has_version else (["?"] if has_tables else [])
    else:
        names = inspect(connection).get_table_names()
    if "alembic_version" not in names:
        return SchemaState(revision=None, has_tables=bool(names))
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return SchemaState(revision=str(revision) if revision is not None else None, has_tables=True)


def known_revisions() -> set[str]:
    """Every schema revision this version of wegings ships (`REVISIONS`)."""
    return set(REVISIONS)


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration the database lacks."""
    from alembic import command

    with engine.connect() as connection:
        command.upgrade(_alembic_config(connection), "head")
        connection.commit()


def busy_error(where: str, *, reading: bool, holder: str | None = None) -> StoreError:
    """The busy line: what the command waited for, and who holds the lock when that is known.

    A writer waits for another writer; a read waits only for the write in flight to be
    committed (the fence of `read_now`), so it is never told that someone else is writing.
    """
    waited = (
        "a read waits for the write in flight to be committed, so that its answer includes it"
        if reading
        else "someone else is writing"
    )
    held = f": {holder}" if holder else ""
    return StoreError(
        f"The database {where} stayed busy for {BUSY_TIMEOUT_SECONDS:.0f} s ({waited}){held}; "
        "try again."
    )


def _describe_db_error(
    exc: BaseException, where: str, *, reading: Path | None = None, for_read: bool = False
) -> StoreError:
    """A StoreError that says what went wrong with the database at `where`, in one line.

    `reading`: the SQLite file a read-only open failed on, so that a read is not told about
    writing; `for_read`: the command only reads (a busy line says what a read waits for).
    """
    text = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    lowered = text.lower()
    if (
        reading is not None
        and ("readonly" in lowered or "read-only" in lowered or "unable to open" in lowered)
        and os.access(reading, os.R_OK)
        and not os.access(reading.parent, os.W_OK)
    ):
        # A database in write-ahead-log mode is read through its -shm file, which SQLite must
        # be able to create beside it; a read-only directory does not allow that.
        return StoreError(
            f"Cannot read the database {where}: it keeps a write-ahead log, and SQLite cannot "
            f"create {reading.name}-shm in {reading.parent} here. Check against a copy made "
            "with `wegings db backup FILE`, which opens anywhere; nothing was changed."
        )
    if "file is not a database" in lowered or "malformed" in lowered:
        return StoreError(f"{where} is not a wegings database ({text}); nothing was changed.")
    if "locked" in lowered or "busy" in lowered:
        return busy_error(where, reading=for_read or reading is not None)
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(f"The database {where} is read-only here; nothing was changed.")
    if "unable to open" in lowered:
        return StoreError(f"Cannot open the database {where} ({text}).")
    return StoreError(f"Database error at {where}: {text}")


def describe_read_error(exc: BaseException, where: str) -> StoreError:
    """A database error of a read in one line, as `session_scope(write=False)` words it."""
    return _describe_db_error(exc, where, for_read=True)


def _use_wal(engine: Engine) -> None:
    """Switch a wegings database to write-ahead logging (it stays so; a no-op when it is)."""
    raw = engine.raw_connection()
    try:
        # Outside any transaction: SQLite cannot change the journal mode inside one.
        raw.driver_connection.execute("PRAGMA journal_mode = WAL")  # type: ignore[union-attr]
    finally:
        raw.close()


def _check_schema(state: SchemaState, where: str, *, write: bool = True) -> bool:
    """True when migrations must run; raises when the database is foreign, newer or empty."""
    if state.revision == HEAD_REVISION:
        return False
    if state.revision is None:
        if not state.has_tables and not write:
            raise StoreError(
                f"{where} is empty: no wegings database yet. The first command that records "
                "something sets it up, e.g. `wegings new-partner`."
            )
        if state.has_tables:
            raise StoreError(
                f"{where} is a database, but not a wegings one (it has tables and no schema "
                "revision); nothing was changed."
            )
        return True
    if state.revision not in known_revisions():
        from wegings import __version__

        raise StoreError(
            f"The database {where} has schema revision {state.revision!r}, which wegings "
            f"{__version__} does not know: it was written by a newer version. Upgrade wegings; "
            "nothing was changed."
        )
    return True


def _create_file(path: Path, *, make_parents: bool) -> None:
    """Create an empty database file readable by its owner only."""
    parent = path.parent
    if make_parents:
        try:
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the directory {parent}: {exc.strerror}.") from None
    if not parent.is_dir():
        raise StoreError(
            f"Cannot create the database {path}: the directory {parent} does not exist."
        )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"Cannot create the database {path}: {exc.strerror}.") from None
    os.close(fd)


def _remove_created(path: Path) -> None:
    """Remove a database file this command created, with its side files."""
    for suffix in ("", *_SIDE_FILES):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def _prepare_path(location: Location, *, write: bool) -> tuple[Path, bool]:
    """The database path, created when a write needs it; and whether it was created now."""
    assert location.path is not None
    path = location.path
    if path.is_dir():
        raise StoreError(f"{path} is a directory; give a database file with --db.")
    if path.exists():
        return path, False
    if not write:
        raise StoreError(
            f"No database at {path} yet. The first command that records something creates it, "
            "e.g. `wegings new-partner`."
        )
    _create_file(path, make_parents=location.is_default)
    return path, True


def _engine_for(location: Location, *, write: bool) -> tuple[Engine, bool]:
    """An engine on a SQLite file whose schema is current, and whether this call created it."""
    from sqlalchemy.exc import DBAPIError

    where = location.describe()
    path, created = _prepare_path(location, write=write)
    engine = _sqlite_engine(path, readonly=not write)
    try:
        try:
            with engine.connect() as connection:
                needs_upgrade = _check_schema(read_schema_state(connection), where, write=write)
        except DBAPIError as exc:
            reading = location.path if not write else None
            raise _describe_db_error(exc, where, reading=reading) from None
        if write:
            # Only now that the file is known to be ours: never touch a foreign database.
            _use_wal(engine)
        if needs_upgrade:
            if not write:
                engine.dispose()
                engine = _sqlite_engine(path, readonly=False)
            try:
                upgrade(engine)
            except DBAPIError as exc:
                raise _describe_db_error(exc, where) from None
            if not write:
                # The read itself stays read-only: on the writable engine its BEGIN IMMEDIATE
                # would hold the write lock that the fence of `read_now` then waits for.
                engine.dispose()
                engine = _sqlite_engine(path, readonly=True)
    except BaseException:
        engine.dispose()
        if created:
            _remove_created(path)
        raise
    return engine, created


def _sqlite_schema_state(connection: sqlite3.Connection) -> SchemaState:
    """`read_schema_state` on a plain sqlite3 connection, with the inspector's query."""
    names = connection.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite~_%' "
        "ESCAPE '~' ORDER BY name"
    ).fetchall()
    if ("alembic_version",) not in names:
        return SchemaState(revision=None, has_tables=bool(names))
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    revision = row[0] if row is not None else None
    return SchemaState(revision=str(revision) if revision is not None else None, has_tables=True)


def stored_utc(value: Any, what: str) -> datetime:
    """A UTC time read through a plain sqlite3 connection, as the model reads it there
    (`models.UTCDateTime`); anything else, null included, is a store fault naming `what`."""
    if type(value) is str:
        with contextlib.suppress(ValueError):
            return as_utc(datetime.fromisoformat(value).replace(tzinfo=UTC))
    raise StoreError(
        f"The database holds an unreadable {what} ({value!r:.60}): it was changed outside "
        "wegings. Run `wegings audit verify`."
    )


def open_sqlite_read(location: Location) -> tuple[sqlite3.Connection, datetime]:
    """A read of a SQLite file without the ORM, as `session_scope(write=False)` and `read_now`
    give it: a read-only connection in one read transaction (its snapshot, fenced), and the
    moment it answers for; the caller closes the connection. The same refusals (no file, not
    a database, an empty, foreign or newer schema, a location SQLite cannot read); an older
    schema is first brought up to date as any command's open does (with Alembic).
    """
    where = location.describe()
    path, _ = _prepare_path(location, write=False)
    connection, older = _sqlite_read_connection(path, where)
    if older:
        connection.close()
        engine, _ = _engine_for(location, write=False)
        engine.dispose()
        connection, older = _sqlite_read_connection(path, where)
        if older:
            connection.close()
            raise RuntimeError(f"{where} is still older than {HEAD_REVISION} after its upgrade")
    try:
        connection.execute("BEGIN")
        clock, newest = _fenced_sqlite_read(path, lambda: _newest_raw_event_at(connection))
    except sqlite3.Error as exc:
        connection.close()
        raise _describe_db_error(exc, where, for_read=True) from None
    except BaseException:
        connection.close()
        raise
    return connection, _read_moment(clock, newest)


def _sqlite_read_connection(path: Path, where: str) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection to a wegings database (refused as `_engine_for` refuses), and
    whether its schema is older than this version's."""
    try:
        connection = _sqlite_connect(path, readonly=True)
    except sqlite3.Error as exc:
        raise _describe_db_error(exc, where, reading=path) from None
    try:
        state = _sqlite_schema_state(connection)
        return connection, _check_schema(state, where, write=False)
    except sqlite3.Error as exc:
        connection.close()
        raise _describe_db_error(exc, where, reading=path) from None
    except BaseException:
        connection.close()
        raise


def _newest_raw_event_at(connection: sqlite3.Connection) -> datetime | None:
    """`_newest_event_at` through a plain sqlite3 connection."""
    row = connection.execute("SELECT at FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None or row[0] is None:  # a null time reads as none through the model too
        return None
    return stored_utc(row[0], "recorded time of an audit event")


# ---------------------------------------------------------------------------- PostgreSQL


_TRIGGER_REFUSALS = (
    "wegings records ",
    "an audit event names who acted",
    "a note is established ",
    "a permission is granted ",
)
"""How the refusals of the server's triggers begin (wegings.store.server), by SQLSTATE 42501."""


def describe_server_error(exc: BaseException, where: str) -> StoreError:
    """One line for a PostgreSQL error, chosen by its SQLSTATE (or, without one, its kind)."""
    orig = getattr(exc, "orig", None) or exc
    sqlstate = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = " ".join((primary or str(orig) or type(orig).__name__).splitlines()[0].split())
    lowered = text.lower()
    unchanged = "nothing was changed"
    if sqlstate == "55P03":
        return busy_error(where, reading=False)
    if sqlstate in ("40001", "40P01"):
        return StoreError(
            f"The database {where} could not run this command alongside another one ({text}); "
            f"{unchanged}; try again."
        )
    if sqlstate == "25006":
        return read_only_error(where)
    if sqlstate is None and _is_operational(orig):
        # libpq reports a refusal at connection time without a SQLSTATE: tell the login and
        # the database refused apart from a server that cannot be reached.
        if _NO_SUCH_DATABASE.search(text):
            sqlstate = "3D000"
        elif any(sign in lowered for sign in _LOGIN_REFUSED) or _LOGIN_REFUSED_ROLE.search(text):
            sqlstate = "28000"
    if sqlstate in ("28P01", "28000") or "authentication failed" in lowered:
        return StoreError(
            f"The server refused the login for {where} ({text}): check the user and password "
            f"(in the URL, PGPASSWORD or ~/.pgpass); {unchanged}."
        )
    if sqlstate == "3D000":
        return StoreError(
            f"The server has no database {where} names ({text}): create it, then run "
            "`wegings db upgrade`."
        )
    denied = lowered.find("permission denied for database")
    if sqlstate is None and denied >= 0:
        # libpq reports a refused CONNECT (`db init-roles` lets only the wegings roles connect)
        # as a failed connection, without a SQLSTATE: it is a refused login, not a lost server.
        sqlstate, text = "42501", text[denied:]
    if sqlstate == "42501" and text.startswith(_TRIGGER_REFUSALS):
        # One of the server's own triggers (wegings.store.server): not a missing grant.
        return StoreError(f"The database at {where} refused this: {text}; {unchanged}.")
    if sqlstate == "42501":
        return StoreError(
            f"The database refused this login at {where}: {text}; {unchanged}. The wegings roles "
            "are granted by the database owner (`wegings db init-roles`, then GRANT)."
        )
    if sqlstate == "42P01":
        return StoreError(
            f"The database {where} lacks a table wegings needs ({text}): run "
            f"`wegings db upgrade`; {unchanged}."
        )
    connection_failed = (sqlstate or "").startswith("08") or sqlstate in ("57P01", "57P03")
    if connection_failed or (sqlstate is None and _is_operational(orig)):
        return StoreError(f"Cannot reach the database server of {where}: {text}; {unchanged}.")
    code = f" (SQLSTATE {sqlstate})" if sqlstate else ""
    return StoreError(f"Database error at {where}: {text}{code}; {unchanged}.")


_NO_SUCH_DATABASE = re.compile(r'database "[^"]*" does not exist')
_LOGIN_REFUSED = (
    "no password supplied",
    "password authentication failed",
    "peer authentication failed",
    "no pg_hba.conf entry",
)
_LOGIN_REFUSED_ROLE = re.compile(r'role "[^"]*" does not exist')


def _is_operational(error: BaseException) -> bool:
    """Whether a driver error is an OperationalError (a connection that failed or broke)."""
    return any(kind.__name__ == "OperationalError" for kind in type(error).__mro__)


def read_only_error(where: str) -> StoreError:
    """A write on a read-only server: a standby, or a login whose transactions are read-only."""
    return StoreError(
        f"The database {where} is read-only (a standby, or read-only for this login); nothing "
        "was changed. Record it on the primary."
    )


@dataclass(frozen=True)
class Standby:
    """A read on a standby: how far it has replayed the primary's transactions."""

    replayed_to: datetime | None
    """When the last transaction it replayed was committed on the primary (None: none yet)."""
    read_at: datetime

    @property
    def behind_seconds(self) -> float | None:
        """How long before this read the last replayed transaction was committed (None: none
        replayed yet, so the lag is unknown)."""
        if self.replayed_to is None:
            return None
        return max((self.read_at - self.replayed_to).total_seconds(), 0.0)

    def as_json(self) -> dict[str, object]:
        """The lag as `--json` gives it beside an answer read on a standby."""
        behind = self.behind_seconds
        return {
            "replayed_to": timeutil.iso(self.replayed_to) if self.replayed_to else None,
            "read_at": timeutil.iso(self.read_at),
            "behind_seconds": None if behind is None else round(behind, 3),
        }

    @property
    def note(self) -> str:
        """What the person is told about the answer's age."""
        if self.replayed_to is None:
            return (
                "Read on a standby that has replayed no transaction of the primary since it "
                "started: anything recorded on the primary since its copy was made may be "
                "missing from this answer."
            )
        behind = self.behind_seconds or 0.0
        return (
            f"Read on a standby, which has the primary's transactions up to "
            f"{timeutil.iso(self.replayed_to)} ({behind:.0f} s before this read): anything "
            "recorded on the primary since may be missing from this answer."
        )


def _check_server_schema(state: SchemaState, where: str) -> None:
    """Raises unless a server database is at this version's schema: never migrated in passing."""
    if state.revision == HEAD_REVISION:
        return
    if state.revision is None and not state.has_tables:
        raise StoreError(
            f"The database {where} has no wegings schema yet: run `wegings db upgrade` (once, "
            "as the database's owner); nothing was changed."
        )
    _check_schema(state, where)  # a foreign or a newer database: refused as on SQLite
    raise StoreError(
        f"The database {where} has schema revision {state.revision!r}, older than this "
        f"version's {HEAD_REVISION!r}: run `wegings db upgrade`; nothing was changed."
    )


def _server_preflight(connection: Connection, where: str) -> Standby | None:
    """Check the schema in a short transaction of its own; and whether this is a standby."""
    try:
        _check_server_schema(read_schema_state(connection), where)
        in_recovery, replayed_to, clock = connection.exec_driver_sql(
            "SELECT pg_is_in_recovery(), pg_last_xact_replay_timestamp(), clock_timestamp()"
        ).one()
    finally:
        connection.rollback()
    if not in_recovery:
        return None
    return Standby(
        replayed_to=as_utc(replayed_to) if replayed_to is not None else None,
        read_at=as_utc(clock),
    )


def _lock_timeout_sql() -> str:
    return f"SET LOCAL lock_timeout = '{int(BUSY_TIMEOUT_SECONDS * 1000)}ms'"


_LOCK_HOLDER_SQL = """
SELECT a.usename, l.pid, a.xact_start, a.backend_start, clock_timestamp()
FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND l.classid = CAST(:high AS oid) AND l.objid = CAST(:low AS oid) AND l.objsubid = 1
  AND (l.mode = 'ExclusiveLock' OR NOT :reading)
ORDER BY l.mode = 'ExclusiveLock' DESC, coalesce(a.xact_start, a.backend_start) NULLS LAST
LIMIT 1
"""
# PostgreSQL shows a bigint advisory key as its high 32 bits in classid, its low 32 bits in
# objid, and objsubid 1. A read waits only for an exclusive holder (a writer), a write for any.


def _clock_time(moment: datetime, now: datetime) -> str:
    """A moment as The Hague's clock shows it: 11:02:13 today, else its date and minute."""
    if timeutil.local_day(moment) != timeutil.local_day(now):
        return timeutil.display_minute(moment)
    return as_utc(moment).astimezone(timeutil.display_zone()).strftime("%H:%M:%S")


def _lock_holder(connection: Connection, *, reading: bool) -> str | None:
    """Who holds the writer lock that kept this command waiting, in words; None when unseen.

    Asked on a connection of its own, since the wait's transaction ended with the timeout.
    Every login sees the locks and the login and pid of each session; a session's times only
    its own login's members and pg_read_all_stats see, so without them no time is given.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with connection.engine.connect() as probe:
            row = probe.execute(
                text(_LOCK_HOLDER_SQL),
                {
                    "high": WRITE_LOCK_KEY >> 32,
                    "low": WRITE_LOCK_KEY & 0xFFFFFFFF,
                    "reading": reading,
                },
            ).first()
    except SQLAlchemyError:
        return None
    if row is None or row[0] is None:
        return None
    login, pid, in_transaction_since, connected_since, now = row
    if in_transaction_since is not None:
        since = f", in a transaction since {_clock_time(in_transaction_since, now)}"
    elif connected_since is not None:
        since = f", connected since {_clock_time(connected_since, now)}"
    else:
        since = ""
    return f"{login} holds the write lock (pid {pid}{since})"


def _lock_wait_error(
    exc: BaseException, connection: Connection, where: str, *, reading: bool
) -> StoreError:
    """The error of a wait for the writer lock: busy, naming its holder when it can be seen."""
    if getattr(getattr(exc, "orig", None), "sqlstate", None) != "55P03":
        return describe_server_error(exc, where)
    return busy_error(where, reading=reading, holder=_lock_holder(connection, reading=reading))


def _take_write_lock(connection: Connection, where: str) -> None:
    """Wait for the writer lock (busy after the timeout); refuse a read-only server."""
    from sqlalchemy.exc import DBAPIError

    connection.exec_driver_sql(_lock_timeout_sql())
    try:
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
    except DBAPIError as exc:
        raise _lock_wait_error(exc, connection, where, reading=False) from None
    if connection.exec_driver_sql("SHOW transaction_read_only").scalar() == "on":
        raise read_only_error(where)


@contextlib.contextmanager
def _server_session(location: Location, *, write: bool) -> Iterator[Session]:
    """`session_scope` on PostgreSQL: a writer holds the lock, a reader reads one snapshot."""
    from sqlalchemy import event
    from sqlalchemy.exc import DBAPIError
    from sqlmodel import Session

    assert location.url is not None
    where = location.describe()
    engine = _server_engine(location.url)
    try:
        connection = engine.connect()
        try:
            if write:
                # Read committed: after the lock, every statement sees every earlier writer.
                connection.execution_options(isolation_level="READ COMMITTED")
            else:
                connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            standby = _server_preflight(connection, where)
            if standby is not None and location.notify is not None and not write:
                location.notify(standby.note)
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                session.info[_WRITE] = write
                session.info[_SQLITE_PATH] = None
                session.info[_SERVER_CONNECTION] = connection
                session.info[_STANDBY] = standby
                session.info[_WHERE] = where
                if write:
                    _take_write_lock(session.connection(), where)
                else:
                    event.listen(session, "after_begin", _note_snapshot)
                yield session
        finally:
            connection.close()
    except DBAPIError as exc:
        raise describe_server_error(exc, where) from None
    finally:
        engine.dispose()


def standby(session: Session) -> Standby | None:
    """How far a read on a standby lags the primary; None on a primary or a SQLite file."""
    value = session.info.get(_STANDBY)
    return value if isinstance(value, Standby) else None


@dataclass(frozen=True)
class UpgradeResult:
    """What `wegings db upgrade` did."""

    location: str
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        """Whether a migration ran."""
        return self.before != self.after


def upgrade_location(location: Location) -> UpgradeResult:
    """Bring the database's schema to this version's head: on a server, the only way.

    On a server the migration runs in one transaction holding the writer lock, so four first
    uses at once migrate once and the others find it done; a newer or foreign database is
    refused. A SQLite file is created and migrated as the first write would.
    """
    from sqlalchemy.exc import DBAPIError

    where = location.describe()
    if location.url is None:
        before = status(location).revision
        engine, _ = _engine_for(location, write=True)
        engine.dispose()
        return UpgradeResult(where, before, HEAD_REVISION)
    from sqlmodel import Session

    from wegings.store import server

    engine = _server_engine(location.url)
    try:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="READ COMMITTED")
            with Session(bind=connection) as session, session.begin():
                connection = session.connection()  # joins the session's transaction
                _take_write_lock(connection, where)
                state = read_schema_state(connection)
                if _check_schema(state, where):
                    from alembic import command

                    # Once `db init-roles` ran, new tables belong to the owner role too and get
                    # their privileges and the append-only trigger in the same transaction.
                    as_owner = server.roles_initialised(session) and server.is_owner_member(session)
                    if as_owner:
                        connection.exec_driver_sql(f"SET LOCAL ROLE {server.OWNER_ROLE}")
                    command.upgrade(_alembic_config(connection), "head")
                    if as_owner:
                        connection.exec_driver_sql("RESET ROLE")
                        server.apply_privileges(session)
    except DBAPIError as exc:
        raise describe_server_error(exc, where) from None
    finally:
        engine.dispose()
    return UpgradeResult(where, state.revision, HEAD_REVISION)


# What session_scope notes in `session.info` for the clock below.
_WRITE = "wegings.write"
_SQLITE_PATH = "wegings.sqlite_path"
_SERVER_CONNECTION = "wegings.server_connection"
_STANDBY = "wegings.standby"
_WHERE = "wegings.where"
_SNAPSHOT_TAKEN = "wegings.snapshot_taken"
_RECORDED_NOW = "wegings.recorded_now"
_READ_NOW = "wegings.read_now"


class WrongSession(RuntimeError):
    """A clock function was called on a session it does not fit: a bug in wegings."""


def _note_snapshot(session: Session, transaction: Any, connection: Any) -> None:
    # Called when a read session first touches its connection: from here on its snapshot
    # may be fixed, so a fence taken later would no longer cover it.
    session.info[_SNAPSHOT_TAKEN] = True


@contextlib.contextmanager
def session_scope(location: Location, *, write: bool) -> Iterator[Session]:
    """One transaction on an up-to-date store; rolled back (and a new file removed) on error.

    A write session holds the write lock from its start (BEGIN IMMEDIATE on SQLite, the
    advisory lock on PostgreSQL), so `recorded_now` reads the clock only once no other writer
    can come between. A read session on PostgreSQL is one REPEATABLE READ, READ ONLY snapshot;
    a server whose schema is missing or older is refused (`wegings db upgrade`).
    """
    from sqlalchemy import event
    from sqlalchemy.exc import DBAPIError
    from sqlmodel import Session

    if location.url is not None:
        with _server_session(location, write=write) as server_session:
            yield server_session
        return
    engine, created = _engine_for(location, write=write)
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            session.info[_WRITE] = write
            session.info[_SQLITE_PATH] = location.path
            if write:
                # SQLAlchemy begins lazily, at the first statement; begin now, so the wait
                # for another writer happens here and not after the command read the clock.
                session.connection().exec_driver_sql("SELECT 1")
            else:
                event.listen(session, "after_begin", _note_snapshot)
            yield session
    except DBAPIError as exc:
        if created and location.path is not None:
            _remove_created(location.path)
        raise _describe_db_error(exc, location.describe(), for_read=not write) from None
    except BaseException:
        if created and location.path is not None:
            _remove_created(location.path)
        raise
    finally:
        engine.dispose()


def _newest_event_at(session: Session) -> datetime | None:
    """The recorded time of the newest audit event, or None for an empty trail."""
    from sqlmodel import col, select

    from wegings.store.models import AuditEvent

    at = session.exec(select(AuditEvent.at).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    return as_utc(at) if at is not None else None


def _server_clock_and_newest(session: Session) -> tuple[datetime, datetime | None]:
    """The server's clock and the recorded time of the newest audit event, in one query."""
    from sqlalchemy import text

    clock, newest = session.execute(
        text(
            "SELECT clock_timestamp(), "
            "(SELECT at FROM audit_event ORDER BY seq DESC LIMIT 1) AS newest"
        )
    ).one()
    # audit_event.at is naive UTC (models.UTCDateTime); the clock is a timestamptz.
    return as_utc(clock), (newest.replace(tzinfo=UTC) if newest is not None else None)


def recorded_now(session: Session) -> datetime:
    """The recorded time of this write transaction: one value for all its records.

    The clock is read once, under the write lock, and the value is kept strictly later than
    the newest audit event, so recorded times follow the audit trail even when the wall clock
    steps back. Only for write sessions: a read has no recorded time (see `read_now`).
    """
    if session.info.get(_WRITE) is not True:
        raise WrongSession(
            "recorded_now needs a write session (session_scope(..., write=True)): a record's "
            "time is read while the write lock is held"
        )
    cached = session.info.get(_RECORDED_NOW)
    if isinstance(cached, datetime):
        return cached
    if session.info.get(_SERVER_CONNECTION) is not None:
        # The server's clock, so that client hosts with skewed clocks cannot disorder the trail.
        clock, newest = _server_clock_and_newest(session)
    else:
        clock = as_utc(timeutil.utcnow())
        newest = _newest_event_at(session)
    moment = clock if newest is None or clock > newest else newest + timedelta(microseconds=1)
    session.info[_RECORDED_NOW] = moment
    return moment


def read_now(session: Session) -> datetime:
    """The moment a read answers for, consistent with the session's snapshot.

    Every write recorded at or before it is visible in the snapshot, and no write the snapshot
    misses can later be recorded at or before it; so an answer "now" equals the answer
    `--as-of` this moment, then and later. Call it before the session's first query (it
    takes the snapshot); in a write session it is `recorded_now`. The same value on every call.

    On a SQLite file a fence makes this exact: a second connection takes the write lock
    (waiting for a writer in flight to commit), the clock is read, the snapshot is taken, and
    the fence is released; a writer after it reads the clock later. A file that cannot take the
    write lock (read-only) is read snapshot first, clock second: a write that had read its time
    but not committed when the snapshot was taken is then missed although recorded before this
    moment. That window is a commit's length, and only on a file someone else can write.
    """
    if session.info.get(_WRITE) is True:
        return recorded_now(session)
    cached = session.info.get(_READ_NOW)
    if isinstance(cached, datetime):
        return cached
    if _WRITE not in session.info:
        raise WrongSession("read_now needs a session from session_scope")
    if session.info.get(_SNAPSHOT_TAKEN):
        raise WrongSession(
            "read_now must come before the session's first query: the snapshot it describes "
            "is taken then"
        )
    server = session.info.get(_SERVER_CONNECTION)
    if server is not None:
        clock, newest = _fenced_server_read(session, server)
    else:
        path = session.info.get(_SQLITE_PATH)
        clock, newest = _fenced_sqlite_read(
            path if isinstance(path, Path) else None, lambda: _newest_event_at(session)
        )
    moment = _read_moment(clock, newest)
    session.info[_READ_NOW] = moment
    return moment


def _read_moment(clock: datetime, newest: datetime | None) -> datetime:
    """The moment a read answers for: the clock, but never before the newest visible event."""
    # A clock that stepped back must not answer for a moment before what is visible.
    return clock if newest is None or clock > newest else newest


def _fenced_sqlite_read(
    path: Path | None, newest_event_at: Callable[[], datetime | None]
) -> tuple[datetime, datetime | None]:
    """The clock and the newest event of a SQLite read, fenced against writers (`read_now`).

    `newest_event_at` is the read's first query, which fixes its snapshot; the fence holds the
    write lock from before the clock is read until then (none when `path` is None).
    """
    fence = _fence(path) if path is not None else None
    try:
        clock = timeutil.utcnow()
        newest = newest_event_at()  # this query fixes the read's snapshot
    finally:
        if fence is not None:
            fence.execute("ROLLBACK")
            fence.close()
    return as_utc(clock), newest


def _fenced_server_read(
    session: Session, connection: Connection
) -> tuple[datetime, datetime | None]:
    """The clock and the newest event, read as the snapshot is taken, fenced against writers.

    In a short transaction of its own, before the snapshot, the connection takes the writer
    lock shared at session level: that waits for a writer in flight to commit, and keeps the
    next one from reading its clock until the snapshot and this clock are taken; then the
    lock is released. So every write recorded at or before this moment is in the snapshot.
    A writer that holds the lock past the busy timeout is the busy error, as on SQLite, told
    as what a read waits for.
    """
    from sqlalchemy.exc import DBAPIError

    where = str(session.info[_WHERE])
    try:
        connection.exec_driver_sql(_lock_timeout_sql())
        connection.exec_driver_sql(f"SELECT pg_advisory_lock_shared({WRITE_LOCK_KEY})")
    except DBAPIError as exc:
        raise _lock_wait_error(exc, connection, where, reading=True) from None
    connection.commit()
    result = _server_clock_and_newest(session)  # this query fixes the read's snapshot
    connection.exec_driver_sql(f"SELECT pg_advisory_unlock_shared({WRITE_LOCK_KEY})")
    return result


def _begin_fence(path: Path) -> sqlite3.Connection:
    """A connection to `path` holding the write lock (it waits for a writer in flight)."""
    connection = _sqlite_connect(path, readonly=False)
    try:
        connection.execute("BEGIN IMMEDIATE")
    except BaseException:
        connection.close()
        raise
    return connection


def _fence(path: Path) -> sqlite3.Connection | None:
    """The fence for a read of `path`, or None when the file cannot take the write lock."""
    try:
        return _begin_fence(path)
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        text = str(exc).lower()
        if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN) or "readonly" in text:
            return None
        raise _describe_db_error(exc, str(path), for_read=True) from None


@dataclass(frozen=True)
class StoreStatus:
    """What `wegings db status` reports."""

    location: str
    exists: bool
    size_bytes: int | None
    revision: str | None
    head: str
    counts: dict[str, int]
    server: bool = False
    standby: Standby | None = field(default=None)

    @property
    def up_to_date(self) -> bool:
        """Whether the schema is at this version's head."""
        return self.revision == HEAD_REVISION

    @property
    def schema_note(self) -> str:
        """The schema's state in words."""
        if self.up_to_date:
            return "up to date"
        if self.revision is None:
            return "empty; run `wegings db upgrade`" if self.server else "empty"
        if self.revision in known_revisions():
            if self.server:
                return "older; run `wegings db upgrade`"
            return "older; upgraded by the next command that opens it"
        return "written by a newer version of wegings"


def status(location: Location) -> StoreStatus:
    """Location, schema revision and record counts, read as they are: nothing is created or
    migrated, so a database of a newer version can still be diagnosed."""
    from sqlalchemy import func, inspect, select
    from sqlalchemy.exc import DBAPIError
    from sqlmodel import SQLModel

    import wegings.store.models  # noqa: F401  (registers the tables)

    where = location.describe()
    if location.path is not None:
        if not location.path.exists():
            return StoreStatus(where, False, None, None, HEAD_REVISION, {})
        engine = _sqlite_engine(location.path, readonly=True)
    else:
        assert location.url is not None
        engine = _server_engine(location.url)
    size: int | None = None
    standby_state: Standby | None = None
    try:
        with engine.connect() as connection:
            if location.url is not None:
                connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
                size, in_recovery, replayed_to, clock = connection.exec_driver_sql(
                    "SELECT pg_database_size(current_database()), pg_is_in_recovery(), "
                    "pg_last_xact_replay_timestamp(), clock_timestamp()"
                ).one()
                if in_recovery:
                    standby_state = Standby(
                        as_utc(replayed_to) if replayed_to is not None else None, as_utc(clock)
                    )
            state = read_schema_state(connection)
            if state.revision is None and state.has_tables:
                _check_schema(state, where)
            present = set(inspect(connection).get_table_names())
            counts = {
                table.name: int(
                    connection.execute(select(func.count()).select_from(table)).scalar_one()
                )
                for table in sorted(SQLModel.metadata.sorted_tables, key=lambda t: t.name)
                if table.name in present
            }
    except DBAPIError as exc:
        if location.url is not None:
            raise describe_server_error(exc, where) from None
        raise _describe_db_error(exc, where) from None
    finally:
        engine.dispose()
    if location.path is not None:
        size = location.path.stat().st_size
    return StoreStatus(
        where,
        True,
        size,
        state.revision,
        HEAD_REVISION,
        counts,
        server=location.url is not None,
        standby=standby_state,
    )


def pg_dump_hint(location: Location, target: Path) -> str:
    """How a server database is backed up to `target` and restored, instead of copied."""
    import shlex

    from sqlalchemy.engine import make_url

    assert location.url is not None
    libpq = make_url(location.url).set(drivername="postgresql", password=None)
    url = libpq.render_as_string(hide_password=True)
    return (
        "A server database is backed up with PostgreSQL's pg_dump, not copied: "
        f"pg_dump --format=custom --file={shlex.quote(str(target))} {shlex.quote(url)}; "
        "restore it into a new database with pg_restore --no-owner --no-privileges "
        "--dbname=URL, run `wegings db init-roles` there, and check it with "
        "`wegings audit verify --expect SEQ:HASH`, the head written down with the dump."
    )


def backup(location: Location, target: Path, *, overwrite: bool = False) -> int:
    """Copy the database consistently (even while in use) to `target`; returns its size."""
    if location.path is None:
        raise InvalidInput(pg_dump_hint(location, target))
    source_path = location.path
    target = target.expanduser().absolute()
    if not source_path.exists():
        raise StoreError(f"No database at {source_path} to back up.")
    if target.exists() and not overwrite:
        raise InvalidInput(f"{target} already exists; choose another file or pass --force.")
    if target.resolve() == source_path.resolve():
        raise InvalidInput("The backup file must differ from the database itself.")
    from wegings.store.logkey import refuse_log_key

    refuse_log_key(target)
    if not target.parent.is_dir():
        raise StoreError(f"Cannot write {target}: the directory {target.parent} does not exist.")
    # The copy is taken as the database is, never migrated first: a backup before an upgrade
    # (or of a newer version's database) is exactly when one is wanted.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        source = sqlite3.connect(_sqlite_uri(source_path, readonly=True), uri=True)
        try:
            destination = sqlite3.connect(temporary)
            try:
                source.backup(destination)
                check = destination.execute("PRAGMA quick_check").fetchone()
                # The copy is a standalone file: no WAL side files to carry around.
                destination.execute("PRAGMA journal_mode = DELETE")
            finally:
                destination.close()
        finally:
            source.close()
        if check is None or check[0] != "ok":
            raise StoreError(f"The backup copy failed its integrity check: {check}.")
        os.replace(temporary, target)
    except OSError as exc:
        raise StoreError(f"Cannot write {target}: {exc.strerror}.") from None
    except sqlite3.Error as exc:
        raise _describe_db_error(exc, str(source_path)) from None
    finally:
        _remove_created(temporary)
    return target.stat().st_size
