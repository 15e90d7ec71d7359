"""Shared fixtures: every test gets its own database and user directories, never the real ones.

The tests run on either backend: `--backend=sqlite` (the default; WEGINGS_TEST_BACKEND sets
another) gives each test a SQLite file, `--backend=postgres` a fresh database of its own on the
server WEGINGS_TEST_DATABASE_URL names, copied from a migrated template. A test reaches its
database through `location`, `run` and `sql(location, ...)`, which work on both; a test about
SQLite itself (its file, WAL, the file-based fence) is marked `sqlite_only`, and one that asks
for the file (`db_path`) runs on SQLite only as well. On PostgreSQL only the tests that use a
database run: the others would only repeat the SQLite pass.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import typer
import typer.main
import typer.testing
from hypothesis import settings
from typer.testing import CliRunner, Result

from wegings.cli import app
from wegings.config import Location

if TYPE_CHECKING:
    from sqlmodel import Session

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

Run = Callable[..., Result]

# Hypothesis: more examples and a fixed order on CI (CI=true), fewer for a quick local run;
# HYPOTHESIS_PROFILE picks one by name. The property tests take their number of examples from
# the profile: thorough in CI, quick while working.
settings.register_profile("ci", max_examples=200, derandomize=True, deadline=None)
settings.register_profile("dev", max_examples=25, deadline=None)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "dev"))

PG_URL_VARIABLE = "WEGINGS_TEST_DATABASE_URL"
"""Names the PostgreSQL server the tests use (a database on it they may connect to).

`make unit` and CI set it (scripts/with-postgres.sh starts a throwaway cluster). Without it the
PostgreSQL tests are skipped, and on CI (CI=true) they fail: there a missing server is a fault.
"""

BACKENDS = ("sqlite", "postgres")
BACKEND_VARIABLE = "WEGINGS_TEST_BACKEND"
"""Which backend the tests' own databases are on when `--backend` is not given."""


# ------------------------------------------------------------------------------ the backend


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=BACKENDS,
        default=None,
        help=(
            "where each test's database is: sqlite (a file; the default, or "
            f"${BACKEND_VARIABLE}) or postgres (a fresh database on the server "
            f"${PG_URL_VARIABLE} names)"
        ),
    )


def backend_of(config: pytest.Config) -> str:
    """The backend this run's databases are on."""
    chosen = config.getoption("--backend") or os.environ.get(BACKEND_VARIABLE, "").strip()
    if chosen and chosen not in BACKENDS:
        raise pytest.UsageError(f"{BACKEND_VARIABLE}={chosen!r}: give sqlite or postgres.")
    return str(chosen or "sqlite")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): the test is about SQLite itself (its file, WAL, its locks); "
        "skipped on --backend=postgres, with the reason",
    )
    config.addinivalue_line(
        "markers",
        "postgres_xfail(reason): a known fault on PostgreSQL, expected to fail there (strict)",
    )
    if backend_of(config) == "postgres" and not os.environ.get(PG_URL_VARIABLE, "").strip():
        raise pytest.UsageError(
            f"--backend=postgres needs a server: set {PG_URL_VARIABLE} to its "
            "postgresql+psycopg:// URL, or run `make unit`, which starts a throwaway cluster."
        )


STORE_FIXTURE = "location"
"""The fixture through which a test has a database of the chosen backend (`run` uses it)."""


def _reason(item: pytest.Item, name: str) -> str:
    mark = item.get_closest_marker(name)
    assert mark is not None
    reason = mark.kwargs.get("reason") or (mark.args[0] if mark.args else "")
    if not reason:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{name} needs a reason=")
    return str(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for name in ("sqlite_only", "postgres_xfail"):
            if item.get_closest_marker(name) is not None:
                _reason(item, name)  # a mark without a reason is refused on every backend
    if backend_of(config) != "postgres":
        return
    kept: list[pytest.Item] = []
    independent: list[pytest.Item] = []
    for item in items:
        if STORE_FIXTURE not in getattr(item, "fixturenames", ()):
            independent.append(item)
            continue
        kept.append(item)
        if item.get_closest_marker("sqlite_only") is not None:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {_reason(item, 'sqlite_only')}"))
        elif "db_path" in getattr(item, "fixturenames", ()):
            item.add_marker(
                pytest.mark.skip(reason="SQLite only: the test works on the file itself (db_path)")
            )
        elif item.get_closest_marker("postgres_xfail") is not None:
            reason = _reason(item, "postgres_xfail")
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"on PostgreSQL: {reason}"))
    if independent:
        config.hook.pytest_deselected(items=independent)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> str:
    backend = backend_of(config)
    if backend == "postgres":
        return "backend: postgres (only the tests with a database of their own)"
    return "backend: sqlite"


@pytest.fixture(scope="session")
def backend(pytestconfig: pytest.Config) -> str:
    """The backend of the tests' own databases: "sqlite" or "postgres"."""
    return backend_of(pytestconfig)


# ------------------------------------------------------------------------------ every test


@pytest.fixture(scope="session", autouse=True)
def built_commands() -> Iterator[None]:
    """Build the Click command of a Typer app once per session, not on every CliRunner call.

    Typer rebuilds every command from its function's signature on each `CliRunner.invoke`;
    the installed tool does that once per process, so one build per test session is the same.
    """
    built: dict[int, tuple[typer.Typer, object]] = {}

    def get_command(typer_app: typer.Typer) -> object:
        entry = built.get(id(typer_app))
        if entry is None or entry[0] is not typer_app:
            entry = built[id(typer_app)] = (typer_app, typer.main.get_command(typer_app))
        return entry[1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", get_command)
        yield


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every location wegings could use at the test's own temporary directory."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("WEGINGS_USER", DEFAULT_ACTOR)
    monkeypatch.setenv("COLUMNS", "200")
    for variable in (
        "WEGINGS_DB",
        "WEGINGS_DATABASE_URL",
        "WEGINGS_CLASSIFICATION",
        "WEGINGS_SERVICE",
        "EDITOR",
        "VISUAL",
    ):
        monkeypatch.delenv(variable, raising=False)
    # Whatever the platform's notion of a data directory, never the real one.
    monkeypatch.setattr(
        "wegings.config.default_db_path", lambda: home / "data" / "wegings" / "wegings.db"
    )
    return home


DEFAULT_ACTOR = "tester"
"""Who acts in a test that does not say (WEGINGS_USER); on PostgreSQL a login of that name."""


# ------------------------------------------------------------------------------ the database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A SQLite database file path that does not exist yet (a test asking for it is SQLite's)."""
    return tmp_path / "wegings.db"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of an empty, fully migrated database, as the first write leaves one.

    Built once per session by the tool's own code (a write session on a new file), with the
    write-ahead log checkpointed into the file, so a copy needs no side files.
    """
    from wegings.store.engine import session_scope

    path = tmp_path_factory.mktemp("template") / "wegings.db"
    with session_scope(Location(path=path), write=True):
        pass
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert leftovers == [], f"side files after the checkpoint: {leftovers}"
    return path.read_bytes()


@pytest.fixture
def location(request: pytest.FixtureRequest, backend: str) -> Location:
    """The test's own store: `db_path` on SQLite (created by the first write), or on PostgreSQL
    a fresh database of its own, migrated and empty (the server is set up with `db upgrade`)."""
    if backend == "postgres":
        return Location(url=request.getfixturevalue("pg_store_url"))
    return Location(path=request.getfixturevalue("db_path"))


@pytest.fixture
def migrated_db(request: pytest.FixtureRequest, location: Location) -> Location:
    """`location` holding an empty, migrated database, as if a first command ran (on SQLite a
    file of mode 0600); a server database is migrated from the start.

    Only for fixtures that would create the database anyway and tests that do not look at
    how it was created; copying a template is much cheaper than running the migrations.
    """
    if location.path is not None:
        template: bytes = request.getfixturevalue("migrated_template")
        fd = os.open(location.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(template)
    return location


class _TestDatabase:
    """`run`'s default: the test's own store, whichever backend it is on."""


THE_TEST_DATABASE = _TestDatabase()


@pytest.fixture
def run(location: Location) -> Run:
    """Invoke the CLI on the test's database: run("partners", "--json").

    `db=PATH` runs it on another SQLite file, `db=None` on none named (the environment's).
    On PostgreSQL the command logs in as whoever acts (`--as`, else WEGINGS_USER): there the
    server's login is the acting person, so each name a test acts under is a login of its own.
    """
    runner = CliRunner()

    def invoke(
        *args: str, input: str | None = None, db: Path | _TestDatabase | None = THE_TEST_DATABASE
    ) -> Result:
        if isinstance(db, _TestDatabase):
            if location.url is not None:
                url = login_url(location.url, ensure_login(acting_login(args)))
                return runner.invoke(
                    app, list(args), input=input, env={"WEGINGS_DATABASE_URL": url}
                )
            db = location.path
        prefix = ["--db", str(db)] if db is not None else []
        return runner.invoke(app, [*prefix, *args], input=input)

    return invoke


def exists(location: Location) -> bool:
    """Whether the store is there: a SQLite file once written; a server database always."""
    return location.path is None or location.path.exists()


def sql(db: Path | Location, statement: str, *params: object) -> list[tuple[object, ...]]:
    """Run raw SQL on the database as someone with its shell (sqlite3, psql) would.

    `db` is the test's `location` (either backend) or a SQLite file. Parameters are SQLite's
    `?`, and values come back as SQLite gives them (booleans 0 and 1, times as the text SQLite
    keeps), so a test compares them alike on both; on PostgreSQL the statement runs as the
    server's superuser, outside wegings. SQL that relies on SQLite's loose typing (a '' in a
    boolean column) is SQLite's: such a test is `sqlite_only`.
    """
    if isinstance(db, Location) and db.url is not None:
        return _server_sql(db.url, statement, params)
    path = db.path if isinstance(db, Location) else db
    assert path is not None
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(statement, params).fetchall()
        connection.commit()
        return rows
    finally:
        connection.close()


def _server_sql(url: str, statement: str, params: Sequence[object]) -> list[tuple[object, ...]]:
    import psycopg
    from sqlalchemy.engine import make_url

    superuser = make_url(os.environ[PG_URL_VARIABLE]).set(
        drivername="postgresql", database=make_url(url).database
    )
    query = statement.replace("%", "%%").replace("?", "%s") if params else statement
    with psycopg.connect(superuser.render_as_string(hide_password=False)) as connection:
        cursor = connection.execute(query, list(params) if params else None)
        rows = (
            [tuple(map(_as_sqlite, row)) for row in cursor.fetchall()] if cursor.description else []
        )
        connection.commit()
    return rows


def _as_sqlite(value: object) -> object:
    """A value read from PostgreSQL as SQLite gives it back to wegings' models."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


class WriteLock:
    """Another user's transaction holding the store's write lock, until `release()`."""

    def __init__(self, location: Location) -> None:
        from wegings.store.engine import WRITE_LOCK_KEY

        self._release: Callable[[], None]
        if location.url is not None:
            import psycopg
            from sqlalchemy.engine import make_url

            conninfo = make_url(location.url).set(drivername="postgresql")
            server = psycopg.connect(conninfo.render_as_string(hide_password=False))
            server.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])

            def release_server() -> None:
                server.rollback()
                server.close()

            self._release = release_server
        else:
            assert location.path is not None
            connection = sqlite3.connect(
                location.path, isolation_level=None, check_same_thread=False
            )
            connection.execute("BEGIN IMMEDIATE")

            def release_file() -> None:
                connection.execute("ROLLBACK")
                connection.close()

            self._release = release_file

    def release(self) -> None:
        """End the transaction (nothing was written in it)."""
        self._release()


def add_partner(run: Run, short: str = "rvd", *extra: str) -> Result:
    """Register a fictitious partner through the CLI and insist that it worked."""
    result = run(
        "new-partner",
        f"Dienst {short.upper()}",
        "--short",
        short,
        "--country",
        "XR",
        "--kind",
        "civil",
        *extra,
    )
    assert result.exit_code == 0, result.output
    return result


# ------------------------------------------------------------------------------ PostgreSQL
# Every test gets a fresh database of its own, copied from a migrated template that each xdist
# worker builds once; both are dropped afterwards.


def _admin_engine(url: str) -> object:
    """An engine on `url` outside any transaction (CREATE and DROP DATABASE need that)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def admin_sql(url: str, statement: str, **params: object) -> list[tuple[object, ...]]:
    """Run one statement on the server of `url` as the tests' superuser, outside a transaction."""
    from sqlalchemy import text
    from sqlalchemy.engine import Engine

    engine = _admin_engine(url)
    assert isinstance(engine, Engine)
    try:
        with engine.connect() as connection:
            result = connection.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def database_url(url: str, database: str) -> str:
    """`url` naming another database on the same server, password kept."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _no_server(reason: str) -> None:
    message = f"{reason}; the PostgreSQL tests need one (`make unit` starts a throwaway cluster)"
    if IN_CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The URL of the tests' PostgreSQL server; skipped without one (a failure on CI)."""
    url = os.environ.get(PG_URL_VARIABLE, "").strip()
    if not url:
        _no_server(f"no PostgreSQL server: {PG_URL_VARIABLE} is not set")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _no_server("psycopg is not installed (pip install -e '.[test]')")
    # A server that was named but cannot be used is a fault everywhere, never a skip.
    admin_sql(url, "SELECT 1")
    return url


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_template(pg_server: str) -> Iterator[str]:
    """A migrated, empty wegings database on the server, this worker's template; its name.

    The wegings group roles exist from the start: they are the cluster's, so a test's
    `db init-roles` would otherwise make them appear for every later test, and the superuser
    the tests connect as (who holds every role there is) act with or without them by the order
    the tests happen to run in.
    """
    from wegings.store.engine import upgrade_location
    from wegings.store.server import ROLES as WEGINGS_ROLES
    from wegings.store.server import group_role

    for role in WEGINGS_ROLES:
        _create_role(pg_server, group_role(role), "NOLOGIN")
    name = f"wegings_tpl_{_worker()}_{os.getpid()}"
    admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{name}"')
    admin_sql(pg_server, f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        upgrade_location(Location(url=database_url(pg_server, name)))
        yield name
    finally:
        admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@functools.cache
def _copy_strategy(pg_server: str) -> str:
    """How CREATE DATABASE copies a template: file by file (PostgreSQL 15 or newer), which for a
    database as small as a test's is about three times as fast as the default WAL_LOG."""
    (version,) = admin_sql(pg_server, "SHOW server_version_num")[0]
    return " STRATEGY FILE_COPY" if int(str(version)) >= 150000 else ""


def _fresh_database(pg_server: str, template: str) -> Iterator[str]:
    name = f"wegings_t_{_worker()}_{uuid.uuid4().hex[:12]}"
    strategy = _copy_strategy(pg_server)
    admin_sql(pg_server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}')
    try:
        yield database_url(pg_server, name)
    finally:
        admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_server: str, pg_template: str) -> Iterator[str]:
    """The URL of a fresh, migrated, empty wegings database of this test's own."""
    yield from _fresh_database(pg_server, pg_template)


@pytest.fixture
def pg_empty_url(pg_server: str) -> Iterator[str]:
    """The URL of a fresh database without any schema (a server database nobody set up)."""
    yield from _fresh_database(pg_server, "template0")


@pytest.fixture
def pg_run(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Invoke the CLI on this test's PostgreSQL database: pg_run("partners", "--json").

    The acting person is the login of the URL: on a server nobody acts as anyone else.
    """
    from sqlalchemy.engine import make_url

    monkeypatch.setenv("WEGINGS_DATABASE_URL", pg_url)
    monkeypatch.setenv("WEGINGS_USER", make_url(pg_url).username or "postgres")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input)

    return invoke


def four_eyes_tail(backend: str) -> str:
    """How a four-eyes refusal ends: on a server `--as` cannot name another person."""
    if backend == "postgres":
        return (
            "(four eyes): they connect to the server as their own login to establish it; --as "
            "cannot name another person there."
        )
    return "(four eyes). Use --as NAME."


# The suite on PostgreSQL (--backend=postgres). On a server the acting person is the login, so
# every name a test acts under is a login: a member of SUITE_ROLE, which may read and write
# every table of the suite's template (and so of each test's copy), and holds every wegings
# role: the suite's logins stand for the one user of an empty register (tests of the roles
# make logins of their own).

SUITE_ROLE = "wegings_suite"
SUITE_PASSWORD = "wegings-suite"
"""The password of the suite's logins: they exist only on a server meant for the tests."""

MAX_LOGIN_BYTES = 63
"""PostgreSQL's longest name; a longer one would be cut short, and then name someone else."""

_logins: set[str] = set()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _create_role(server: str, name: str, options: str, existing: str = "") -> None:
    """CREATE ROLE, or run `existing` on the role that exists (roles are the cluster's: another
    worker, an earlier run or the demo may have made it); a concurrent change is taken as is."""
    literal = name.replace("'", "''")
    admin_sql(
        server,
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{literal}') THEN "
        f"CREATE ROLE {_ident(name)} {options}; ELSE {existing or 'NULL'}; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation OR internal_error THEN NULL; END $$",
    )


def ensure_login(name: str) -> str:
    """`name` as a login of the suite's server with the suite's password (made so the first
    time this process acts under it); returns it."""
    if name not in _logins:
        role, suite = _ident(name), _ident(SUITE_ROLE)
        _create_role(
            os.environ[PG_URL_VARIABLE],
            name,
            f"LOGIN PASSWORD '{SUITE_PASSWORD}' IN ROLE {suite}",
            f"ALTER ROLE {role} LOGIN PASSWORD '{SUITE_PASSWORD}'; GRANT {suite} TO {role}",
        )
        _logins.add(name)
    return name


def login_url(url: str, login: str) -> str:
    """`url` logging in as `login` of the suite, with its password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(username=login, password=SUITE_PASSWORD)
    return parsed.render_as_string(hide_password=False)


def acting_login(args: Sequence[str]) -> str:
    """Who a command with `args` acts as (`--as`, else WEGINGS_USER, else the login name), as
    the login to connect with; a name wegings refuses leaves the default login to refuse it."""
    from wegings.config import resolve_actor
    from wegings.errors import WegingsError

    claimed: str | None = None
    for index, arg in enumerate(args):
        if arg == "--as" and index + 1 < len(args):
            claimed = args[index + 1]
            break
        if arg.startswith("--as="):
            claimed = arg.removeprefix("--as=")
            break
    try:
        name = resolve_actor(claimed)
    except WegingsError:
        return DEFAULT_ACTOR
    if len(name.encode()) > MAX_LOGIN_BYTES:
        return DEFAULT_ACTOR
    return name


@pytest.fixture(scope="session")
def pg_suite_template(pg_server: str, pg_template: str) -> Iterator[str]:
    """This worker's template for the suite: `pg_template` whose tables the suite's logins may
    read and write (the tests' own privileges; the product's are `db init-roles`')."""
    from wegings.store.server import ROLES as WEGINGS_ROLES
    from wegings.store.server import group_role

    _create_role(pg_server, SUITE_ROLE, "NOLOGIN")
    # On a server the database roles gate every writing command, also while the register is
    # empty: the suite's logins hold them all.
    for role in WEGINGS_ROLES:
        group = group_role(role)
        _create_role(pg_server, group, "NOLOGIN")
        admin_sql(
            pg_server,
            f"DO $$ BEGIN GRANT {_ident(group)} TO {_ident(SUITE_ROLE)}; EXCEPTION WHEN "
            "unique_violation OR internal_error THEN NULL; END $$",
        )
    ensure_login(DEFAULT_ACTOR)
    name = f"wegings_suite_{_worker()}_{os.getpid()}"
    admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{name}"')
    admin_sql(pg_server, f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        url = database_url(pg_server, name)
        role = _ident(SUITE_ROLE)
        admin_sql(url, f"GRANT USAGE ON SCHEMA public TO {role}")
        admin_sql(url, f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        admin_sql(url, f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        yield name
    finally:
        admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _client_clock_and_newest(session: Session) -> tuple[datetime, datetime | None]:
    """`engine._server_clock_and_newest` with the test's clock in place of the server's."""
    from sqlalchemy import text

    from wegings import timeutil

    clock = timeutil.as_utc(timeutil.utcnow())
    newest = session.execute(text("SELECT at FROM audit_event ORDER BY seq DESC LIMIT 1")).scalar()
    return clock, (newest.replace(tzinfo=UTC) if newest is not None else None)


@pytest.fixture
def pg_store_url(
    pg_server: str, pg_suite_template: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The test's own database on the server, as the default actor's login.

    Recorded times and a read's moment come from the test's clock (`wegings.timeutil.utcnow`,
    which a test may set) instead of the server's, read at the same point: the suite's tests
    set the time they record at. That the server's clock is used is tested in test_postgres.py.
    """
    monkeypatch.setattr("wegings.store.engine._server_clock_and_newest", _client_clock_and_newest)
    for url in _fresh_database(pg_server, pg_suite_template):
        yield login_url(url, DEFAULT_ACTOR)
