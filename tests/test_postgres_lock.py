"""The writers' lock on a server: who may connect at all (`db init-roles`), and what a writer
and a reader are told when the lock stays taken, naming who holds it when the server shows it.

Every test here gets a fresh database of its own on the tests' server (tests/conftest.py); they
are skipped without one and fail on CI (CI=true) when there is none. One test checks a
reader's busy line on a SQLite file, beside its server counterpart.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from tests.conftest import admin_sql
from wegings.cli import app
from wegings.config import Location
from wegings.store import engine as store_engine
from wegings.store.engine import WRITE_LOCK_KEY, session_scope
from wegings.store.server import OWNER_ROLE, ROLES, group_role

PASSWORD = "pw-" + uuid.uuid4().hex[:8]
NEW_PARTNER = ("new-partner", "Dienst X", "--short", "xx", "--country", "XR", "--kind", "civil")
WRITER_WAITS = "(someone else is writing)"
READER_WAITS = (
    "(a read waits for the write in flight to be committed, so that its answer includes it)"
)


def where(url: str) -> str:
    """How wegings names the database of `url` in its messages."""
    return Location(url=url).describe()


def login_url(url: str, login: str) -> str:
    """`url` logging in as `login`, with the tests' password."""
    return make_url(url).set(username=login, password=PASSWORD).render_as_string(False)


def cli_on(url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """A CLI runner on the database of `url`, acting as the login that URL names."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        monkeypatch.setenv("WEGINGS_DATABASE_URL", url)
        monkeypatch.setenv("WEGINGS_USER", make_url(url).username or "postgres")
        return runner.invoke(app, list(args))

    return invoke


def ok(result: Result) -> Result:
    """Insist that a command worked."""
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def busy(url: str, waits: str, holder: str = "") -> tuple[int, str]:
    """The exit code and stderr of a command that found the lock taken past the timeout."""
    held = f": {holder}" if holder else ""
    return 1, f"Error: The database {where(url)} stayed busy for 0 s {waits}{held}; try again.\n"


def hague_clock(moment: datetime) -> str:
    """A moment of today as the busy line shows it: The Hague's time to the second."""
    return moment.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%H:%M:%S")


@dataclass
class Team:
    """`db init-roles` on the test's database, one login per role, and one login with none."""

    url: str
    logins: dict[str, str]
    outsider: str

    def url_of(self, role: str) -> str:
        """The URL with which the member of `role` logs in."""
        return login_url(self.url, self.logins[role])


@pytest.fixture
def team(pg_url: str) -> Iterator[Team]:
    """The test's database set up for a team; its logins are dropped afterwards."""
    ok(CliRunner().invoke(app, ["db", "init-roles"], env={"WEGINGS_DATABASE_URL": pg_url}))
    suffix = uuid.uuid4().hex[:8]
    logins = {role: f"{role}_{suffix}" for role in ROLES}
    outsider = f"nobody_{suffix}"
    for role, login in logins.items():
        admin_sql(pg_url, f"CREATE ROLE {login} LOGIN PASSWORD '{PASSWORD}'")
        admin_sql(pg_url, f"GRANT {group_role(role)} TO {login}")
    admin_sql(pg_url, f"CREATE ROLE {outsider} LOGIN PASSWORD '{PASSWORD}'")
    try:
        yield Team(pg_url, logins, outsider)
    finally:
        for login in (*logins.values(), outsider):
            admin_sql(pg_url, f"DROP ROLE IF EXISTS {login}")


def holding(url: str, *, session_level: bool = False) -> tuple[psycopg.Connection, int, datetime]:
    """A connection of `url`'s login holding the writers' lock (in a transaction, or at session
    level and then idle, as anyone who may connect could); its pid, and when its transaction
    began (or, at session level, when it connected)."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
    connection = psycopg.connect(conninfo, autocommit=session_level)
    function = "pg_advisory_lock" if session_level else "pg_advisory_xact_lock"
    start = "backend_start" if session_level else "xact_start"
    row = connection.execute(
        f"SELECT pid, {start}, {function}(%s)::text FROM pg_stat_activity "  # noqa: S608
        "WHERE pid = pg_backend_pid()",
        [WRITE_LOCK_KEY],
    ).fetchone()
    assert row is not None
    return connection, int(row[0]), row[1]


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 30 s a command waits for the lock, cut to 0.3 s."""
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_SECONDS", 0.3)


# ------------------------------------------------------------------------ who may connect


def database_privileges(url: str) -> set[tuple[str, str]]:
    """Who holds which privilege on the database of `url` (PUBLIC by that name)."""
    rows = admin_sql(
        url,
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, "
        "a.privilege_type FROM pg_database d, aclexplode(d.datacl) a "
        "WHERE d.datname = current_database()",
    )
    return {(str(grantee), str(privilege)) for grantee, privilege in rows}


def test_init_roles_lets_only_the_owner_and_the_wegings_roles_connect(team: Team) -> None:
    owner = str(admin_sql(team.url, "SELECT pg_get_userbyid(datdba) FROM pg_database "
                          "WHERE datname = current_database()")[0][0])  # fmt: skip
    expected = {(owner, "CONNECT"), (owner, "CREATE"), (owner, "TEMPORARY")} | {
        (role, "CONNECT") for role in (OWNER_ROLE, *map(group_role, ROLES))
    }
    assert database_privileges(team.url) == expected
    again = CliRunner().invoke(app, ["db", "init-roles"], env={"WEGINGS_DATABASE_URL": team.url})
    assert again.exit_code == 0, again.output
    assert database_privileges(team.url) == expected


def test_a_login_without_a_wegings_role_cannot_connect(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = login_url(team.url, team.outsider)
    result = cli_on(url, monkeypatch)("partners")
    database = make_url(team.url).database
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: The database refused this login at {where(url)}: permission denied for "
        f'database "{database}"; nothing was changed. The wegings roles are granted by the '
        "database owner (`wegings db init-roles`, then GRANT).\n",
    )
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        holding(url, session_level=True)


def test_every_role_connects_and_makes_no_temporary_tables(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    for role in ROLES:
        ok(cli_on(team.url_of(role), monkeypatch)("partners"))
    conninfo = make_url(team.url_of("desk")).set(drivername="postgresql")
    with (
        psycopg.connect(conninfo.render_as_string(False)) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="temporary tables"),
    ):
        connection.execute("CREATE TEMPORARY TABLE partner (id integer)")


def test_init_roles_by_a_login_that_does_not_own_the_database_is_refused(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = f"admin_{uuid.uuid4().hex[:8]}"
    admin_sql(pg_url, f"CREATE ROLE {login} LOGIN CREATEROLE PASSWORD '{PASSWORD}'")
    before = database_privileges(pg_url)
    try:
        admin_sql(pg_url, f"GRANT SELECT ON alembic_version TO {login}")
        result = cli_on(login_url(pg_url, login), monkeypatch)("db", "init-roles")
    finally:
        admin_sql(pg_url, f"REVOKE ALL ON alembic_version FROM {login}")
        admin_sql(pg_url, f"DROP ROLE {login}")
    database, owner = make_url(pg_url).database, make_url(pg_url).username
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: db init-roles decides who may connect to the database {database}, which only "
        f"its owner {owner} may: run it as {owner} (or a superuser); nothing was changed.\n",
    )
    assert database_privileges(pg_url) == before


# ------------------------------------------------------------------------ who holds the lock


def test_a_busy_writer_is_told_who_holds_the_lock_and_since_when(
    pg_url: str, short_wait: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection, pid, since = holding(pg_url)
    try:
        result = cli_on(pg_url, monkeypatch)(*NEW_PARTNER)
    finally:
        connection.close()
    holder = make_url(pg_url).username
    assert (result.exit_code, result.stderr) == busy(
        pg_url,
        WRITER_WAITS,
        f"{holder} holds the write lock (pid {pid}, in a transaction since {hague_clock(since)})",
    )
    assert admin_sql(pg_url, "SELECT count(*) FROM partner") == [(0,)]


def test_a_member_holding_the_lock_is_named_to_another_without_its_times(
    team: Team, short_wait: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `db init-roles` cannot take from a member: the lock held at session level by an
    idle connection. Whoever waits learns who and which pid; only the login's own members see
    since when."""
    connection, pid, connected = holding(team.url_of("desk"), session_level=True)
    try:
        own = cli_on(team.url_of("desk"), monkeypatch)(*NEW_PARTNER)
        other = cli_on(team.url_of("dg"), monkeypatch)(
            "person", "add", team.logins["dg"], "--name", "mr. H. de Boer", "--function", "DG"
        )
    finally:
        connection.close()
    desk = team.logins["desk"]
    assert (own.exit_code, own.stderr) == busy(
        team.url_of("desk"),
        WRITER_WAITS,
        f"{desk} holds the write lock (pid {pid}, connected since {hague_clock(connected)})",
    )
    assert (other.exit_code, other.stderr) == busy(
        team.url_of("dg"), WRITER_WAITS, f"{desk} holds the write lock (pid {pid})"
    )


def test_a_busy_read_is_told_what_a_read_waits_for(
    pg_url: str, short_wait: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection, pid, since = holding(pg_url)
    try:
        result = cli_on(pg_url, monkeypatch)("partners")
    finally:
        connection.close()
    holder = make_url(pg_url).username
    assert (result.exit_code, result.stderr) == busy(
        pg_url,
        READER_WAITS,
        f"{holder} holds the write lock (pid {pid}, in a transaction since {hague_clock(since)})",
    )


def test_a_read_does_not_wait_for_a_reader(pg_url: str, short_wait: None) -> None:
    """A shared holder (a read's fence) keeps a writer waiting but not another read."""
    conninfo = make_url(pg_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo) as connection:
        connection.execute("SELECT pg_advisory_xact_lock_shared(%s)", [WRITE_LOCK_KEY])
        with session_scope(Location(url=pg_url), write=False) as session:
            store_engine.read_now(session)


def test_without_sight_of_the_locks_the_busy_line_is_plain(
    team: Team, short_wait: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin_sql(team.url, "REVOKE SELECT ON pg_catalog.pg_locks FROM PUBLIC")  # this database's
    connection, _, _ = holding(team.url)
    try:
        write = cli_on(team.url_of("desk"), monkeypatch)(*NEW_PARTNER)
        read = cli_on(team.url_of("overseer"), monkeypatch)("partners")
    finally:
        connection.close()
    assert (write.exit_code, write.stderr) == busy(team.url_of("desk"), WRITER_WAITS)
    assert (read.exit_code, read.stderr) == busy(team.url_of("overseer"), READER_WAITS)


def test_a_busy_read_of_a_file_is_told_what_a_read_waits_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wegings.db"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", str(path), *NEW_PARTNER]).exit_code == 0
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_SECONDS", 0.2)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        result = runner.invoke(app, ["--db", str(path), "partners"])
    finally:
        writer.close()
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: The database {path} stayed busy for 0 s {READER_WAITS}; try again.\n",
    )
