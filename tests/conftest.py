"""Shared fixtures: every test gets its own database and user directories, never the real ones."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from wegings.cli import app
from wegings.config import Location

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

Run = Callable[..., Result]


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
