"""Shared fixtures: every test gets its own database and user directories, never the real ones."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
import typer.main
import typer.testing
from hypothesis import settings
from typer.testing import CliRunner, Result

from wegings.cli import app
from wegings.config import Location

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
    monkeypatch.setenv("WEGINGS_USER", "tester")
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


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database file path that does not exist yet."""
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
def migrated_db(db_path: Path, migrated_template: bytes) -> Path:
    """`db_path` holding an empty, migrated database (mode 0600), as if a first command ran.

    Only for fixtures that would create the database anyway and tests that do not look at
    how it was created; copying a template is much cheaper than running the migrations.
    """
    fd = os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(migrated_template)
    return db_path


@pytest.fixture
def location(db_path: Path) -> Location:
    """The Location of `db_path`."""
    return Location(path=db_path)


@pytest.fixture
def run(db_path: Path) -> Run:
    """Invoke the CLI on the test database: run("partners", "--json")."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, db: Path | None = db_path) -> Result:
        prefix = ["--db", str(db)] if db is not None else []
        return runner.invoke(app, [*prefix, *args], input=input)

    return invoke


def sql(path: Path, statement: str, *params: object) -> list[tuple[object, ...]]:
    """Run raw SQL on the database file as someone with the sqlite3 shell would."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(statement, params).fetchall()
        connection.commit()
        return rows
    finally:
        connection.close()


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


# PostgreSQL: every test gets a fresh database of its own, copied from a migrated template that
# each xdist worker builds once; both are dropped afterwards.


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
    """A migrated, empty wegings database on the server, this worker's template; its name."""
    from wegings.store.engine import upgrade_location

    name = f"wegings_tpl_{_worker()}_{os.getpid()}"
    admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{name}"')
    admin_sql(pg_server, f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        upgrade_location(Location(url=database_url(pg_server, name)))
        yield name
    finally:
        admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_database(pg_server: str, template: str) -> Iterator[str]:
    name = f"wegings_t_{_worker()}_{uuid.uuid4().hex[:12]}"
    admin_sql(pg_server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
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
