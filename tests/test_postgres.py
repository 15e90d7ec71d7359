"""PostgreSQL as a backend: a team's flow, schema upgrades, SQLSTATE messages, roles and the
append-only trigger, a standby, and the concurrency and crash suite (also on SQLite).

Every test here gets a fresh database of its own on the tests' server (tests/conftest.py); they
are skipped without one and fail on CI (CI=true) when there is none.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner, Result

from tests.conftest import Run, admin_sql, database_url
from wegings.cli import app
from wegings.config import Location
from wegings.store import engine as store_engine
from wegings.store.engine import HEAD_REVISION, WRITE_LOCK_KEY, session_scope
from wegings.store.server import (
    INSERTS,
    ROLES,
    TRAIL_TABLES,
    group_role,
    server_roles,
    session_login,
)

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "scripts" / "demo"
PASSWORD = "pw-" + uuid.uuid4().hex[:8]


def where(url: str) -> str:
    """How wegings names the database of `url` in its messages."""
    return Location(url=url).describe()


def login_url(url: str, login: str, password: str = PASSWORD) -> str:
    """`url` with another login and its password."""
    return (
        make_url(url).set(username=login, password=password).render_as_string(hide_password=False)
    )


def cli_as(url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """A CLI runner on the database of `url`, acting as the login that URL names."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        monkeypatch.setenv("WEGINGS_DATABASE_URL", url)
        monkeypatch.setenv("WEGINGS_USER", make_url(url).username or "postgres")
        return runner.invoke(app, list(args), input=input)

    return invoke


def ok(result: Result) -> Result:
    """Insist that a command worked."""
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


@dataclass
class Team:
    """Logins of one test, each a member of one wegings group role."""

    url: str
    logins: dict[str, str]

    def url_of(self, role: str) -> str:
        """The URL with which the member of `role` logs in."""
        return login_url(self.url, self.logins[role])


@pytest.fixture
def team(pg_url: str) -> Iterator[Team]:
    """`db init-roles` on the test's database, and one login per role (dropped afterwards)."""
    ok(CliRunner().invoke(app, ["db", "init-roles"], env={"WEGINGS_DATABASE_URL": pg_url}))
    suffix = uuid.uuid4().hex[:8]
    logins = {role: f"{role}_{suffix}" for role in ROLES}
    for role, login in logins.items():
        admin_sql(pg_url, f"CREATE ROLE {login} LOGIN PASSWORD '{PASSWORD}'")
        admin_sql(pg_url, f"GRANT {group_role(role)} TO {login}")
    try:
        yield Team(pg_url, logins)
    finally:
        for login in logins.values():
            admin_sql(pg_url, f"DROP ROLE IF EXISTS {login}")


# ------------------------------------------------------------------------ the whole flow


def test_a_teams_flow_on_postgresql(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = cli_as(team.url_of("desk"), monkeypatch)
    assessor = cli_as(team.url_of("assessor"), monkeypatch)
    dg = cli_as(team.url_of("dg"), monkeypatch)
    overseer = cli_as(team.url_of("overseer"), monkeypatch)
    until = (date.today() + timedelta(days=365)).isoformat()

    ok(desk("new-partner", "Dienst RVD", "--short", "rvd", "--country", "XR", "--kind", "civil"))
    ok(desk("new-partner", "Dienst BSV", "--short", "bsv", "--country", "XB", "--kind", "civil"))
    ok(assessor("score", "rvd", "--answers", str(DEMO / "rvd-standaard.toml")))
    ok(dg("establish", "rvd", "--role", "dg", "--decision", "DG-besluit (test)"))
    ok(desk("new-item", "RVD-1", "--originator", "rvd", "--received-from", "rvd"))
    ok(desk("new-item", "OWN-1", "--originator", "self", "--subject", "Eigen stuk (test)"))
    ok(desk("consent", "RVD-1", "--to", "bsv", "--until", until, "--reference", "brief"))

    allowed = desk("can-share", "OWN-1", "--to", "rvd", "--json")
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["decision"] == "allowed"
    denied = desk("can-share", "OWN-1", "--to", "bsv", "--json")
    assert denied.exit_code == 1, denied.output
    assert json.loads(denied.stdout)["decision"] == "denied"
    no_note = desk("can-share", "RVD-1", "--to", "bsv", "--json")  # consented; bsv has no note
    assert no_note.exit_code == 1, no_note.output
    assert "no_note" in {reason["code"] for reason in json.loads(no_note.stdout)["reasons"]}
    ok(desk("share", "OWN-1", "--to", "rvd"))
    transfers = json.loads(ok(overseer("transfers", "--json")).stdout)
    assert [row["item"] for row in transfers] == ["self/OWN-1"]

    verified = ok(overseer("audit", "verify", "--json"))
    assert json.loads(verified.stdout)["intact"] is True
    # Who acted is who the server authenticated, in the trail.
    events = json.loads(ok(overseer("audit", "log", "--json")).stdout)
    assert {event["actor"] for event in events} == {
        team.logins["desk"],
        team.logins["assessor"],
        team.logins["dg"],
    }


def test_the_server_names_the_login_and_its_roles(team: Team) -> None:
    with session_scope(Location(url=team.url_of("dg")), write=False) as session:
        assert session_login(session) == team.logins["dg"]
        assert server_roles(session) == frozenset({"dg"})
    with session_scope(Location(url=team.url_of("overseer")), write=False) as session:
        assert server_roles(session) == frozenset({"overseer"})


# ------------------------------------------------------------------------ schema


def test_reads_never_create_a_schema(pg_empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    run = cli_as(pg_empty_url, monkeypatch)
    message = (
        f"Error: The database {where(pg_empty_url)} has no wegings schema yet: run "
        "`wegings db upgrade` (once, as the database's owner); nothing was changed.\n"
    )
    for command, code in (
        (["partners"], 1),
        (["audit", "verify"], 1),
        (["can-share", "X", "--to", "y"], 2),  # a check that cannot be made is an error
    ):
        result = run(*command)
        assert (result.exit_code, result.stderr) == (code, message), command
    # A write does not set it up in passing either.
    result = run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil")
    assert (result.exit_code, result.stderr) == (1, message)
    tables = admin_sql(
        pg_empty_url, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
    )
    assert tables == [(0,)]


def test_db_upgrade_sets_up_and_then_has_nothing_to_do(
    pg_empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = cli_as(pg_empty_url, monkeypatch)
    first = ok(run("db", "upgrade", "--json"))
    assert json.loads(first.stdout) == {
        "location": where(pg_empty_url),
        "before": None,
        "after": HEAD_REVISION,
        "changed": True,
    }
    again = ok(run("db", "upgrade"))
    assert again.stderr == (f"Schema of {where(pg_empty_url)} is up to date ({HEAD_REVISION}).\n")
    ok(run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil"))
    status = json.loads(ok(run("db", "status", "--json")).stdout)
    assert status["server"] is True
    assert status["schema_revision"] == HEAD_REVISION
    assert status["counts"]["partner"] == 1
    size = admin_sql(pg_empty_url, "SELECT pg_database_size(current_database())")[0][0]
    assert isinstance(size, int)
    assert abs(status["size_bytes"] - size) < 1_000_000


def test_four_first_upgrades_at_once_migrate_once(pg_empty_url: str) -> None:
    environment = {**os.environ, "WEGINGS_DATABASE_URL": pg_empty_url}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "wegings", "db", "upgrade", "--json"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], results
    changed = [json.loads(out)["changed"] for _, out, _ in results]
    assert sorted(changed) == [False, False, False, True]


def test_an_older_schema_is_refused_until_upgraded(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin_sql(pg_url, "UPDATE alembic_version SET version_num = '0005_corrections'")
    run = cli_as(pg_url, monkeypatch)
    result = run("partners")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: The database {where(pg_url)} has schema revision '0005_corrections', older "
        f"than this version's {HEAD_REVISION!r}: run `wegings db upgrade`; nothing was "
        "changed.\n",
    )


def test_a_newer_schema_is_refused_unchanged(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    admin_sql(pg_url, "UPDATE alembic_version SET version_num = '9999_from_the_future'")
    run = cli_as(pg_url, monkeypatch)
    for command in (["partners"], ["db", "upgrade"]):
        result = run(*command)
        assert result.exit_code == 1, command
        assert "'9999_from_the_future', which wegings" in result.stderr
        assert "written by a newer version. Upgrade wegings; nothing was changed." in (
            result.stderr
        )
    assert admin_sql(pg_url, "SELECT version_num FROM alembic_version") == [
        ("9999_from_the_future",)
    ]


def test_db_backup_on_a_server_explains_pg_dump(pg_run: Run, pg_url: str, tmp_path: Path) -> None:
    target = tmp_path / "w.dump"
    result = pg_run("db", "backup", str(target))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: A server database is backed up with PostgreSQL's pg_dump, not copied: "
        f"pg_dump --format=custom --file={target} 'postgresql://postgres@/"
    )
    assert "pg_restore --no-owner --no-privileges --dbname=URL, run `wegings db init-roles`" in (
        result.stderr
    )
    assert "`wegings audit verify --expect SEQ:HASH`" in result.stderr
    assert not target.exists()


def test_a_reads_now_waits_for_a_writer_in_flight(pg_url: str) -> None:
    """The fence: a read that starts while a writer holds the lock sees that writer's records,
    and answers for a moment after their recorded time."""
    from wegings.register.partners import create_partner
    from wegings.store.engine import read_now, recorded_now

    location = Location(url=pg_url)
    seen: dict[str, object] = {}

    def reader() -> None:
        with session_scope(location, write=False) as session:
            seen["now"] = read_now(session)
            seen["partners"] = session.execute(text("SELECT short FROM partner")).all()

    with session_scope(location, write=True) as session:
        written_at = recorded_now(session)
        create_partner(
            session,
            name="Dienst X",
            short="xx",
            country="XR",
            kind="civil",
            groups=[],
            notes="",
            actor="postgres",
            now=written_at,
        )
        session.flush()
        thread = threading.Thread(target=reader)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # waiting on the fence, not reading around the writer
    thread.join(timeout=30)
    assert seen["partners"] == [("xx",)]
    now = seen["now"]
    assert isinstance(now, datetime)
    assert now > written_at


# ------------------------------------------------------------------------ SQLSTATE messages


def test_a_writer_waits_for_the_lock_then_is_busy(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_SECONDS", 0.3)
    holder = create_engine(pg_url, poolclass=NullPool)
    try:
        with holder.connect() as connection:
            connection.execute(text(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"))
            result = cli_as(pg_url, monkeypatch)(
                "new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil"
            )
            connection.rollback()
    finally:
        holder.dispose()
    assert result.exit_code == 1
    # The line goes on to name who holds the lock: tests/test_postgres_lock.py.
    assert result.stderr.startswith(
        f"Error: The database {where(pg_url)} stayed busy for 0 s (someone else is writing): "
    )
    assert admin_sql(pg_url, "SELECT count(*) FROM partner") == [(0,)]


def test_a_read_only_server_refuses_writes_in_one_line(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = cli_as(pg_url, monkeypatch)
    ok(run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil"))
    name = make_url(pg_url).database
    admin_sql(pg_url, f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    result = run("new-partner", "Y", "--short", "yy", "--country", "XR", "--kind", "civil")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: The database {where(pg_url)} is read-only (a standby, or read-only for this "
        "login); nothing was changed. Record it on the primary.\n",
    )
    assert json.loads(ok(run("partners", "--json")).stdout)[0]["short"] == "xx"


def test_a_wrong_password_is_one_line(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    url = login_url(team.url, team.logins["desk"], "wrong")
    result = cli_as(url, monkeypatch)("partners")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: The server refused the login for {where(url)} (")
    assert 'password authentication failed for user "desk_' in result.stderr
    assert result.stderr.endswith(
        "): check the user and password (in the URL, PGPASSWORD or ~/.pgpass); nothing was "
        "changed.\n"
    )
    assert "wrong" not in where(url)


def test_an_unreachable_server_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql+psycopg://nobody@/wegings?host={tmp_path}"
    result = cli_as(url, monkeypatch)("partners")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: Cannot reach the database server of {where(url)}: ")
    assert result.stderr.endswith("; nothing was changed.\n")
    assert "\n" not in result.stderr.rstrip("\n")


def test_a_missing_driver_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = cli_as("postgresql+psycopg://x@/wegings?host=/nowhere", monkeypatch)("partners")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: A PostgreSQL database needs the psycopg driver: pip install 'wegings[postgres]'.\n",
    )


# ------------------------------------------------------------------------ roles and trigger


def test_every_table_is_given_to_the_roles_that_write_it() -> None:
    from sqlmodel import SQLModel

    import wegings.store.models  # noqa: F401

    written = {table for tables in INSERTS.values() for table in tables}
    tables = {t.name for t in SQLModel.metadata.sorted_tables}
    assert tables - set(TRAIL_TABLES) == written
    assert INSERTS["overseer"] == ()


def test_a_desk_login_inserts_only_where_the_desk_writes(team: Team) -> None:
    desk = create_engine(team.url_of("desk"), poolclass=NullPool)
    try:
        for statement, table in (
            ("INSERT INTO note_establishment (id) VALUES (999)", "note_establishment"),
            ("INSERT INTO permission (id) VALUES (999)", "permission"),
            ("UPDATE partner SET name = 'x'", "partner"),
            ("DELETE FROM audit_event", "audit_event"),
        ):
            with desk.connect() as connection, pytest.raises(DBAPIError) as caught:
                connection.execute(text(statement))
            assert f"permission denied for table {table}" in str(caught.value), statement
    finally:
        desk.dispose()


def test_an_overseer_cannot_write(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    overseer = cli_as(team.url_of("overseer"), monkeypatch)
    result = overseer("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 1
    assert admin_sql(team.url, "SELECT count(*) FROM partner") == [(0,)]
    engine = create_engine(team.url_of("overseer"), poolclass=NullPool)
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError) as caught:
            connection.execute(text("INSERT INTO audit_event (seq) VALUES (1)"))
        assert "permission denied for table audit_event" in str(caught.value)
    finally:
        engine.dispose()


def test_nobody_updates_or_deletes_a_record_not_even_the_owner(team: Team) -> None:
    add = CliRunner().invoke(
        app,
        ["new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil"],
        env={"WEGINGS_DATABASE_URL": team.url_of("desk"), "WEGINGS_USER": team.logins["desk"]},
    )
    ok(add)
    for statement in (
        "UPDATE partner SET name = 'Y'",
        "DELETE FROM audit_event",
        "TRUNCATE transfer",
        "SET ROLE wegings_owner; UPDATE partner SET name = 'Y'",
    ):
        with pytest.raises(DBAPIError) as caught:
            admin_sql(team.url, statement)
        assert "wegings records are append-only" in str(caught.value), statement
    assert admin_sql(team.url, "SELECT name FROM partner") == [("X",)]


def test_init_roles_again_changes_nothing(team: Team) -> None:
    def privileges() -> list[tuple[object, ...]]:
        return admin_sql(
            team.url,
            "SELECT relname, relowner::regrole::text, relacl::text FROM pg_class "
            "WHERE relnamespace = current_schema()::regnamespace ORDER BY relname",
        )

    before = privileges()
    again = CliRunner().invoke(app, ["db", "init-roles"], env={"WEGINGS_DATABASE_URL": team.url})
    assert again.exit_code == 0, again.output
    assert "created none (all existed)" in again.stderr
    assert privileges() == before


@pytest.mark.sqlite_only(reason="on a server db init-roles sets the roles up (the team fixture)")
def test_init_roles_is_for_a_server(run: Run) -> None:
    result = run("db", "init-roles")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: db init-roles sets up the roles of a PostgreSQL")


# ------------------------------------------------------------------------ a standby


@pytest.fixture
def standby(pg_server: str, pg_url: str) -> Iterator[str]:
    """A streaming standby of the tests' cluster (scripts/pg-cluster.sh standby); its URL."""
    if shutil.which("runuser") is None and os.geteuid() == 0:
        pytest.skip("no runuser to start a standby as the postgres user")
    started = subprocess.run(
        ["bash", str(REPO / "scripts" / "pg-cluster.sh"), "standby", pg_server],
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        pytest.skip(f"no standby of this server could be made: {started.stderr.strip()}")
    url = started.stdout.strip()
    try:
        yield database_url(url, make_url(pg_url).database or "")
    finally:
        subprocess.run(
            ["bash", str(REPO / "scripts" / "pg-cluster.sh"), "stop", url],
            capture_output=True,
            check=False,
        )


def test_a_standby_answers_reads_and_refuses_writes(
    pg_url: str, standby: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    primary = cli_as(pg_url, monkeypatch)
    ok(primary("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil"))
    ok(primary("new-item", "OWN-1", "--originator", "self", "--subject", "Eigen stuk (test)"))
    head = admin_sql(pg_url, "SELECT max(seq) FROM audit_event")[0][0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        replayed = admin_sql(standby, "SELECT max(seq) FROM audit_event")
        if replayed and replayed[0][0] == head:
            break
        time.sleep(0.1)  # waiting for replication, not timing anything
    replica = cli_as(standby, monkeypatch)
    verified = ok(replica("audit", "verify"))
    assert verified.stderr.startswith("Read on a standby, which has the primary's transactions up")
    assert "anything recorded on the primary since may be missing from this answer." in (
        verified.stderr
    )
    answer = replica("can-share", "OWN-1", "--to", "xx", "--json")
    assert answer.exit_code == 1, answer.output  # denied: xx has no note
    answered = json.loads(answer.stdout)
    assert answered["decision"] == "denied"
    lag = answered["standby"]
    assert lag["replayed_to"] is not None
    assert lag["behind_seconds"] >= 0
    assert lag["read_at"] >= lag["replayed_to"]
    assert "Read on a standby" in answer.stderr
    on_primary = json.loads(primary("can-share", "OWN-1", "--to", "xx", "--json").stdout)
    assert "standby" not in on_primary
    result = replica("new-partner", "Y", "--short", "yy", "--country", "XR", "--kind", "civil")
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        1,
        f"Error: The database {where(standby)} is read-only (a standby, or read-only for this "
        "login); nothing was changed. Record it on the primary.",
    )
    status = json.loads(ok(replica("db", "status", "--json")).stdout)
    assert status["standby"]["replayed_to"] is not None


# ------------------------------------------------------------------------ concurrency and crash


WRITERS = 8
ITEMS_EACH = 5


def _env_for(location: str, backend: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WEGINGS_")}
    if backend == "postgres":
        environment["WEGINGS_DATABASE_URL"] = location
        environment["WEGINGS_USER"] = make_url(location).username or "postgres"
    else:
        environment["WEGINGS_DB"] = location
        environment["WEGINGS_USER"] = "tester"
    return environment


def _writer_script(prefix: str, count: int) -> str:
    return (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from wegings.cli import app\n"
        "runner = CliRunner()\n"
        f"for n in range({count}):\n"
        "    result = runner.invoke(app, ['new-item', f'"
        + prefix
        + "-{n}', '--originator', 'self', '--subject', 'Stuk'])\n"
        "    if result.exit_code != 0:\n"
        "        sys.exit(result.stderr)\n"
    )


@pytest.fixture(params=["sqlite", "postgres"])
def each_backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """A migrated database on each backend: (backend, its location for the environment)."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        return "postgres", url
    path = tmp_path / "wegings.db"
    with session_scope(Location(path=path), write=True):
        pass
    return "sqlite", str(path)


def _counts(kind: str, location: str) -> tuple[int, int, list[int]]:
    """Items, item events, and the audit sequence numbers."""
    where_ = Location(url=location) if kind == "postgres" else Location(path=Path(location))
    with session_scope(where_, write=False) as session:
        items = session.execute(text("SELECT count(*) FROM item")).scalar_one()
        events = session.execute(
            text("SELECT count(*) FROM audit_event WHERE entity = 'item'")
        ).scalar_one()
        seqs = list(session.execute(text("SELECT seq FROM audit_event ORDER BY seq")).scalars())
    return int(items), int(events), [int(s) for s in seqs]


def test_eight_writers_at_once_lose_nothing_and_verify_never_breaks(
    each_backend: tuple[str, str],
) -> None:
    kind, location = each_backend
    environment = _env_for(location, kind)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _writer_script(f"W{n}", ITEMS_EACH)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    verdicts: list[tuple[int, str]] = []
    while any(w.poll() is None for w in writers) and len(verdicts) < 200:
        check = subprocess.run(
            [sys.executable, "-m", "wegings", "audit", "verify", "--json"],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        verdicts.append((check.returncode, check.stdout + check.stderr))
    failures = [(w.wait(timeout=300), w.communicate()[1]) for w in writers]
    assert [code for code, _ in failures] == [0] * WRITERS, failures
    assert verdicts, "no verify ran alongside the writers"
    assert [v for v in verdicts if v[0] != 0] == []
    items, events, seqs = _counts(kind, location)
    assert items == events == WRITERS * ITEMS_EACH
    assert seqs == list(range(1, len(seqs) + 1))
    final = subprocess.run(
        [sys.executable, "-m", "wegings", "audit", "verify"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert final.returncode == 0, final.stderr


_STALLED_WRITER = """
import os, sys, time
from wegings.config import Location
from pathlib import Path
from wegings.sharing.items import create_item
from wegings.store.engine import recorded_now, session_scope
kind, location = sys.argv[1], sys.argv[2]
where = Location(url=location) if kind == "postgres" else Location(path=Path(location))
with session_scope(where, write=True) as session:
    now = recorded_now(session)
    create_item(session, actor=os.environ["WEGINGS_USER"], now=now, ref="KILLED-1",
                originator="self", received_from=None, received_on=None, subject="Stuk")
    session.flush()
    print("written", flush=True)
    time.sleep(600)  # killed here, mid-transaction, holding the write lock
"""


def test_a_writer_killed_mid_transaction_leaves_the_trail_one_to_one(
    each_backend: tuple[str, str],
) -> None:
    kind, location = each_backend
    environment = _env_for(location, kind)
    stalled = subprocess.Popen(
        [sys.executable, "-c", _STALLED_WRITER, kind, location],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert stalled.stdout is not None
    line = stalled.stdout.readline()
    assert line == "written\n", stalled.communicate()[1]
    others = [
        subprocess.Popen(
            [sys.executable, "-c", _writer_script(f"A{n}", 2)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    os.kill(stalled.pid, signal.SIGKILL)
    stalled.wait(timeout=30)
    stalled.communicate()
    results = [(w.wait(timeout=300), w.communicate()[1]) for w in others]
    assert [code for code, _ in results] == [0, 0, 0], results
    items, events, seqs = _counts(kind, location)
    assert items == events == 6
    assert seqs == list(range(1, len(seqs) + 1))
    final = subprocess.run(
        [sys.executable, "-m", "wegings", "audit", "verify"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert final.returncode == 0, final.stderr
