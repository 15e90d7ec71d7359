"""Shared fixtures: every test gets its own database and user directories, never the real ones."""

from __future__ import annotations

import os
import sqlite3
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
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "dev")
)


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
