"""Opening the store: location, SQLite settings, migrations on open, one transaction a command."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.request import pathname2url

from wegings import timeutil
from wegings.config import Location
from wegings.errors import InvalidInput, StoreError
from wegings.timeutil import as_utc

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

HEAD_REVISION = "0007_audit_tree"
"""The newest schema revision this version knows; a test keeps it equal to Alembic's head."""

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a command waits for another writer before it gives up."""

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
    return f"file:{pathname2url(str(path))}?mode={'ro' if readonly else 'rw'}"


def _sqlite_engine(path: Path, *, readonly: bool) -> Engine:
    """An engine with foreign keys on, WAL, a busy timeout and writers that queue up."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    uri = _sqlite_uri(path, readonly=readonly)

    def connect() -> sqlite3.Connection:
        # isolation_level=None hands transaction control to the "begin" hook below.
        connection = sqlite3.connect(
            uri,
            uri=True,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        return connection

    engine = create_engine("sqlite+pysqlite://", creator=connect, poolclass=NullPool)

    @event.listens_for(engine, "begin")
    def begin(conn: Connection) -> None:
        # BEGIN IMMEDIATE takes the write lock up front, so two writers wait for each other
        # (busy timeout) instead of one failing when its read lock cannot be upgraded.
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _url_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL given in WEGINGS_DATABASE_URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        return create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise InvalidInput(f"WEGINGS_DATABASE_URL is not a usable SQLAlchemy URL: {exc}") from None


def read_schema_state(connection: Connection) -> SchemaState:
    """The schema revision recorded in the database, and whether it has any tables."""
    from sqlalchemy import inspect, text

    names = inspect(connection).get_table_names()
    if "alembic_version" not in names:
        return SchemaState(revision=None, has_tables=bool(names))
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return SchemaState(revision=str(revision) if revision is not None else None, has_tables=True)


def known_revisions() -> set[str]:
    """Every schema revision this version of wegings ships."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return {rev.revision for rev in script.walk_revisions()}


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


def _describe_db_error(
    exc: BaseException, where: str, *, reading: Path | None = None
) -> StoreError:
    """A StoreError that says what went wrong with the database at `where`, in one line.

    `reading`: the SQLite file a read-only open failed on, so that a read is not told about
    writing.
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
        return StoreError(
            f"The database {where} stayed busy for {BUSY_TIMEOUT_SECONDS:.0f} s "
            "(someone else is writing); try again."
        )
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(f"The database {where} is read-only here; nothing was changed.")
    if "unable to open" in lowered:
        return StoreError(f"Cannot open the database {where} ({text}).")
    return StoreError(f"Database error at {where}: {text}")


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
    """An engine whose schema is current, and whether this call created the database file."""
    from sqlalchemy.exc import DBAPIError

    created = False
    where = location.describe()
    if location.url is not None:
        engine = _url_engine(location.url)
    else:
        path, created = _prepare_path(location, write=write)
        engine = _sqlite_engine(path, readonly=not write)
    try:
        try:
            with engine.connect() as connection:
                needs_upgrade = _check_schema(
                    read_schema_state(connection), where, write=write or location.path is None
                )
        except DBAPIError as exc:
            reading = location.path if not write else None
            raise _describe_db_error(exc, where, reading=reading) from None
        if write and location.path is not None:
            # Only now that the file is known to be ours: never touch a foreign database.
            _use_wal(engine)
        if needs_upgrade:
            if location.path is not None and not write:
                engine.dispose()
                engine = _sqlite_engine(location.path, readonly=False)
            try:
                upgrade(engine)
            except DBAPIError as exc:
                raise _describe_db_error(exc, where) from None
    except BaseException:
        engine.dispose()
        if created and location.path is not None:
            _remove_created(location.path)
        raise
    return engine, created


# What session_scope notes in `session.info` for the clock below.
_WRITE = "wegings.write"
_SQLITE_PATH = "wegings.sqlite_path"
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

    A write session holds the write lock from its start (BEGIN IMMEDIATE on SQLite), so
    `recorded_now` reads the clock only once no other writer can come between.
    """
    from sqlalchemy import event
    from sqlalchemy.exc import DBAPIError
    from sqlmodel import Session

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
        raise _describe_db_error(exc, location.describe()) from None
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
    # On PostgreSQL writers do not exclude each other yet (team mode, a later issue): there the
    # order of recorded times across concurrent writers is not yet guaranteed.
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
    path = session.info.get(_SQLITE_PATH)
    fence = _fence(path) if isinstance(path, Path) else None
    try:
        if fence is not None:
            clock = timeutil.utcnow()
            newest = _newest_event_at(session)  # this query fixes the read's snapshot
        else:
            # Not a SQLite file (PostgreSQL): snapshot first, then the clock. Exact only once
            # team mode gives reads a repeatable snapshot and writers a lock to fence on.
            newest = _newest_event_at(session)
            clock = timeutil.utcnow()
    finally:
        if fence is not None:
            fence.execute("ROLLBACK")
            fence.close()
    clock = as_utc(clock)
    # A clock that stepped back must not answer for a moment before what is visible.
    moment = clock if newest is None or clock > newest else newest
    session.info[_READ_NOW] = moment
    return moment


def format_basis(seq: int, hash_text: str) -> str:
    """`audit.format_basis`, here beside the clock (the audit module loads SQLModel)."""
    from wegings.store.audit import format_basis as audit_format_basis

    return audit_format_basis(seq, hash_text)


def basis_cutoff(session: Session, seq: int, hash_prefix: str) -> datetime:
    """`audit.basis_cutoff`: the recorded time a replay with basis SEQ:HASH counts to."""
    from wegings.store.audit import basis_cutoff as audit_basis_cutoff

    return audit_basis_cutoff(session, seq, hash_prefix)


def _begin_fence(path: Path) -> sqlite3.Connection:
    """A connection to `path` holding the write lock (it waits for a writer in flight)."""
    connection = sqlite3.connect(
        _sqlite_uri(path, readonly=False),
        uri=True,
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
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
        raise _describe_db_error(exc, str(path)) from None


@dataclass(frozen=True)
class StoreStatus:
    """What `wegings db status` reports."""

    location: str
    exists: bool
    size_bytes: int | None
    revision: str | None
    head: str
    counts: dict[str, int]

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
            return "empty"
        if self.revision in known_revisions():
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
        engine = _url_engine(location.url)
    try:
        with engine.connect() as connection:
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
        raise _describe_db_error(exc, where) from None
    finally:
        engine.dispose()
    size = location.path.stat().st_size if location.path is not None else None
    return StoreStatus(where, True, size, state.revision, HEAD_REVISION, counts)


def backup(location: Location, target: Path, *, overwrite: bool = False) -> int:
    """Copy the database consistently (even while in use) to `target`; returns its size."""
    if location.path is None:
        raise InvalidInput(
            "db backup copies SQLite files only; back up a server database with its own tools."
        )
    source_path = location.path
    target = target.expanduser().absolute()
    if not source_path.exists():
        raise StoreError(f"No database at {source_path} to back up.")
    if target.exists() and not overwrite:
        raise InvalidInput(f"{target} already exists; choose another file or pass --force.")
    if target.resolve() == source_path.resolve():
        raise InvalidInput("The backup file must differ from the database itself.")
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
