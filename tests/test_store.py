"""The store: file creation, SQLite settings, migrations on open, and refusing bad databases."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel, text

import wegings.store.models  # noqa: F401
from tests.conftest import Run, add_partner, sql
from wegings.config import Location
from wegings.store.engine import HEAD_REVISION, MIGRATIONS_DIR, session_scope


def test_head_revision_constant_matches_alembic() -> None:
    assert ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head() == HEAD_REVISION


def test_migrations_build_exactly_the_models(location: Location) -> None:
    with session_scope(location, write=True) as session:
        context = MigrationContext.configure(session.connection())
        assert compare_metadata(context, SQLModel.metadata) == []


def test_new_database_is_private_wal_with_foreign_keys(run: Run, db_path: Path) -> None:
    add_partner(run)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert sql(db_path, "PRAGMA journal_mode") == [("wal",)]
    with session_scope(Location(path=db_path), write=False) as session:
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_up_to_date_open_does_not_load_alembic(db_path: Path, run: Run) -> None:
    add_partner(run)
    code = (
        "import sys; from wegings.config import Location\n"
        "from wegings.store.engine import session_scope\n"
        f"with session_scope(Location(path=__import__('pathlib').Path({str(db_path)!r})), "
        "write=False): pass\n"
        "print(any(m.startswith('alembic') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_corrupt_file_is_refused_unchanged(run: Run, db_path: Path) -> None:
    db_path.write_bytes(b"this is not a database at all" * 200)
    before = db_path.read_bytes()
    result = run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {db_path} is not a wegings database (file is not a database); "
        "nothing was changed.\n"
    )
    assert db_path.read_bytes() == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["home", db_path.name]


def test_foreign_sqlite_database_is_refused(run: Run, db_path: Path) -> None:
    sql(db_path, "CREATE TABLE recipes (id INTEGER PRIMARY KEY)")
    result = run("partners")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {db_path} is a database, but not a wegings one (it has tables and no schema "
        "revision); nothing was changed.\n"
    )


def test_newer_schema_is_refused_unchanged(run: Run, location: Location) -> None:
    add_partner(run)
    sql(location, "UPDATE alembic_version SET version_num = '9999_from_the_future'")
    result = run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 1
    assert "has schema revision '9999_from_the_future', which wegings" in result.stderr
    assert result.stderr.endswith(
        "it was written by a newer version. Upgrade wegings; nothing was changed.\n"
    )
    assert sql(location, "SELECT count(*) FROM partner") == [(1,)]


def test_missing_directory_is_refused(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "w.db"
    result = run(
        "new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil", db=target
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: Cannot create the database {target}: the directory {target.parent} "
        "does not exist.\n"
    )
    assert not target.parent.exists()


def test_parent_that_is_a_file_is_refused(run: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(
        "new-partner",
        "X",
        "--short",
        "xx",
        "--country",
        "XR",
        "--kind",
        "civil",
        db=blocker / "w.db",
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Cannot create the database")
    assert blocker.read_text() == "x"


def test_directory_as_database_is_refused(run: Run, tmp_path: Path) -> None:
    result = run("partners", db=tmp_path)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path} is a directory; give a database file with --db.\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only directory")
def test_read_only_directory_is_refused(run: Run, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run(
        "new-partner",
        "X",
        "--short",
        "xx",
        "--country",
        "XR",
        "--kind",
        "civil",
        db=locked / "w.db",
    )
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: Cannot create the database {locked / 'w.db'}: Permission denied.\n"
    )


def test_unwritable_location_reported_even_for_root(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulate EACCES at creation (root ignores directory modes) and check nothing remains."""
    real_open = os.open

    def deny(path: str | os.PathLike[str], flags: int, mode: int = 0o777) -> int:
        if str(path).endswith("w.db"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", deny)
    target = tmp_path / "w.db"
    result = run(
        "new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil", db=target
    )
    assert result.exit_code == 1
    assert result.stderr == f"Error: Cannot create the database {target}: Permission denied.\n"
    assert not target.exists()


def test_default_location_is_in_user_data_dir(run: Run, isolated_env: Path) -> None:
    result = run("db", "path", db=None)
    assert result.exit_code == 0
    assert result.stdout.strip().startswith(str(isolated_env))
    assert result.stdout.strip().endswith("wegings.db")
    add_partner_default = run(
        "new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil", db=None
    )
    assert add_partner_default.exit_code == 0
    assert Path(result.stdout.strip()).exists()


def test_env_variable_chooses_database(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEGINGS_DB", str(tmp_path / "env.db"))
    assert run("db", "path", db=None).stdout.strip() == str(tmp_path / "env.db")


def test_database_url_is_used(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "url.db"
    monkeypatch.setenv("WEGINGS_DATABASE_URL", f"sqlite:///{target}")
    result = run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil", db=None)
    assert result.exit_code == 0, result.output
    assert sql(target, "SELECT short FROM partner") == [("xx",)]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://j@db.example/wegings", "postgresql+psycopg://j@db.example/wegings"),
        ("postgres://j:secret@db.example/w", "postgresql+psycopg://j:***@db.example/w"),
        (
            "postgresql+psycopg://j@/w?host=/run/postgresql",
            "postgresql+psycopg://j@/w?host=/run/postgresql",
        ),
    ],
)
def test_a_postgresql_url_means_psycopg(
    run: Run, monkeypatch: pytest.MonkeyPatch, url: str, shown: str
) -> None:
    monkeypatch.setenv("WEGINGS_DATABASE_URL", url)
    result = run("db", "path", db=None)
    assert (result.exit_code, result.stdout) == (0, f"{shown}\n")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://j@db.example/wegings",
            "WEGINGS_DATABASE_URL names a mysql database; wegings keeps its records in a SQLite "
            "file or on PostgreSQL (postgresql+psycopg://user@host/wegings).",
        ),
        (
            "postgresql+psycopg2://j@db.example/wegings",
            "WEGINGS_DATABASE_URL asks for the psycopg2 driver; wegings speaks to PostgreSQL "
            "through psycopg 3: write postgresql+psycopg://...",
        ),
    ],
)
def test_other_databases_and_drivers_are_refused(
    run: Run, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("WEGINGS_DATABASE_URL", url)
    result = run("partners", db=None)
    assert (result.exit_code, result.stderr) == (2, f"Error: {message}\n")


def test_status_reports_revision_and_counts(run: Run, location: Location) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    data = json.loads(run("db", "status", "--json").stdout)
    assert data["location"] == location.describe()
    assert data["schema_revision"] == HEAD_REVISION
    assert data["up_to_date"] is True
    assert data["counts"]["partner"] == 1
    assert data["counts"]["audit_event"] == 3
    table = run("db", "status")
    assert f"{HEAD_REVISION} (up to date)" in table.stdout


def test_status_of_missing_database_creates_nothing(run: Run, db_path: Path) -> None:
    data = json.loads(run("db", "status", "--json").stdout)
    assert data["exists"] is False
    assert not db_path.exists()


def test_backup_is_a_consistent_readable_copy(run: Run, db_path: Path, tmp_path: Path) -> None:
    add_partner(run, "rvd")
    target = tmp_path / "copy.db"
    # A reader holding a transaction open must not stop the backup.
    holder = sqlite3.connect(db_path)
    holder.execute("BEGIN")
    holder.execute("SELECT count(*) FROM partner").fetchall()
    result = run("db", "backup", str(target))
    holder.rollback()
    holder.close()
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Backup written to {target} (")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sql(target, "SELECT short FROM partner") == [("rvd",)]
    verify = run("audit", "verify", db=target)
    assert verify.exit_code == 0


@pytest.mark.sqlite_only(reason="db backup copies a file; a server is backed up with pg_dump")
def test_backup_does_not_overwrite_without_force(run: Run, tmp_path: Path) -> None:
    add_partner(run)
    target = tmp_path / "copy.db"
    target.write_text("keep me")
    result = run("db", "backup", str(target))
    assert result.exit_code == 2
    assert (
        result.stderr == f"Error: {target} already exists; choose another file or pass --force.\n"
    )
    assert target.read_text() == "keep me"
    assert run("db", "backup", str(target), "--force").exit_code == 0
    assert sql(target, "SELECT count(*) FROM partner") == [(1,)]


def test_writers_wait_for_each_other(run: Run, db_path: Path) -> None:
    """A second writer waits for the first to commit instead of failing."""
    add_partner(run, "rvd")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(db_path)!r}, isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True)\n"
            "time.sleep(1.5); c.execute('COMMIT')\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    result = run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil")
    holder.wait(timeout=10)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started > 0.5  # it did wait for the lock
    assert sql(db_path, "SELECT count(*) FROM partner") == [(2,)]


def test_a_read_in_a_read_only_directory_is_told_about_the_log_not_about_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3 as sqlite

    from wegings.store import engine

    database = tmp_path / "wegings.db"
    database.write_bytes(b"")
    # Root may write anywhere, so the read-only directory is simulated where it is asked about.
    monkeypatch.setattr(
        "wegings.store.engine.os.access",
        lambda path, mode: mode == os.R_OK or Path(path) != tmp_path,
    )
    error = engine._describe_db_error(
        sqlite.OperationalError("attempt to write a readonly database"),
        str(database),
        reading=database,
    )
    assert error.message == (
        f"Cannot read the database {database}: it keeps a write-ahead log, and SQLite cannot "
        f"create wegings.db-shm in {tmp_path} here. Check against a copy made with "
        "`wegings db backup FILE`, which opens anywhere; nothing was changed."
    )
    writing = engine._describe_db_error(
        sqlite.OperationalError("attempt to write a readonly database"), str(database)
    )
    assert writing.message == f"The database {database} is read-only here; nothing was changed."
