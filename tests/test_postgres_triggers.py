"""PostgreSQL: what a login may insert by hand. Nobody records a row or an audit event in
someone else's name, and no row typed into psql blocks the writers after it (the triggers of
`wegings db init-roles`, wegings/store/server.py).

Every test gets a fresh database of its own on the tests' server (tests/conftest.py); they are
skipped without one and fail on CI (CI=true) when there is none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner, Result

from tests.conftest import admin_sql
from wegings.cli import app
from wegings.store import audit
from wegings.store.audit import AUDITED, record_change
from wegings.store.chain import GENESIS_HASH
from wegings.store.engine import WRITE_LOCK_KEY
from wegings.store.models import Partner
from wegings.store.server import (
    APPEND_ONLY_FUNCTION,
    EVENT_COMPLETE,
    EVENT_GUARD,
    INSERT_GUARD,
    INSERT_TRIGGERS,
    NODE_GUARD,
    OWNER_ROLE,
    RECORD_AUDITED,
    ROLES,
    TRAIL_TABLES,
    group_role,
)

PASSWORD = "pw-" + uuid.uuid4().hex[:8]
HINT = "Record it with wegings, logged in as yourself."
NEW_PARTNER = ("new-partner", "Dienst RVD", "--short", "rvd", "--country", "XR", "--kind", "civil")


@dataclass
class Team:
    """The test's database after `db init-roles`, and one login per role."""

    url: str
    logins: dict[str, str]

    def url_of(self, role: str) -> str:
        """The URL with which the member of `role` logs in."""
        url = make_url(self.url).set(username=self.logins[role], password=PASSWORD)
        return url.render_as_string(hide_password=False)

    def cli(self, role: str, *args: str) -> Result:
        """Run wegings as the member of `role`."""
        environment = {"WEGINGS_DATABASE_URL": self.url_of(role), "WEGINGS_USER": self.logins[role]}
        return CliRunner().invoke(app, list(args), env=environment)


@pytest.fixture
def team(pg_url: str) -> Iterator[Team]:
    """`db init-roles` on the test's database, and one login per role (dropped afterwards)."""
    setup = CliRunner().invoke(app, ["db", "init-roles"], env={"WEGINGS_DATABASE_URL": pg_url})
    assert setup.exit_code == 0, setup.output
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


def ok(result: Result) -> Result:
    """Insist that a command worked."""
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


Statement = tuple[str, dict[str, object]]


def attempt(url: str, *statements: str | Statement) -> tuple[str, str]:
    """Run `statements` in one transaction and commit; the SQLSTATE and the message of the
    error that stopped it (the test fails when none did)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            try:
                for statement in statements:
                    sql, params = (statement, {}) if isinstance(statement, str) else statement
                    connection.execute(text(sql), params)
                connection.commit()
            except DBAPIError as exc:
                diag = getattr(exc.orig, "diag", None)
                return str(getattr(exc.orig, "sqlstate", None)), str(diag and diag.message_primary)
    finally:
        engine.dispose()
    raise AssertionError(f"committed: {statements}")


def committed(url: str, *statements: str | Statement) -> None:
    """Run `statements` in one transaction and commit."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            for statement in statements:
                sql, params = (statement, {}) if isinstance(statement, str) else statement
                connection.execute(text(sql), params)
            connection.commit()
    finally:
        engine.dispose()


def head(url: str) -> tuple[int, str]:
    """The newest event's seq and hash."""
    rows = admin_sql(url, "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
    if not rows:
        return 0, GENESIS_HASH
    seq, hash_ = rows[0]
    assert isinstance(seq, int)
    assert isinstance(hash_, str)
    return seq, hash_


def partner_row(login: str, short: str = "zz", ident: int | None = None) -> Statement:
    """An INSERT of a partner recorded by `login` (with the id `ident`, else the next one)."""
    return (
        "INSERT INTO partner (id, short, name, country, kind, notes, created_at, created_by) "
        "VALUES (coalesce(:id, nextval(pg_get_serial_sequence('partner', 'id'))), :short, "
        "'Dienst Z', 'XZ', 'civil', '', now() AT TIME ZONE 'UTC', :by)",
        {"id": ident, "short": short, "by": login},
    )


def event_row(
    seq: int,
    prev_hash: str,
    actor: str,
    *,
    entity: str = "partner",
    entity_id: str = "1",
    digest: str | None = None,
    at: str | None = None,
) -> Statement:
    """An INSERT of an audit event with these fields; by default a well-formed (if wrong) hash
    and the server's time."""
    return (
        "INSERT INTO audit_event (seq, at, actor, action, entity, entity_id, change, prev_hash, "
        "hash) VALUES (:seq, coalesce(CAST(:at AS timestamp), now() AT TIME ZONE 'UTC'), "
        ":actor, 'partner.create', :entity, :entity_id, '{}', :prev, :hash)",
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "entity": entity,
            "entity_id": entity_id,
            "prev": prev_hash,
            "hash": uuid.uuid4().hex * 2 if digest is None else digest,
        },
    )


def node_row(level: int, idx: int, digest: str = "ab" * 32) -> Statement:
    """An INSERT of an audit tree node."""
    return (
        "INSERT INTO audit_node (level, idx, hash) VALUES (:level, :idx, :hash)",
        {"level": level, "idx": idx, "hash": digest},
    )


FLAG = ("flag", "rvd", "--reason", "Politieke onrust")


def still_writable(team: Team, short: str, role: str = "desk") -> None:
    """The tool's next write succeeds (as the desk: partner `short`; as the assessor: a flag on
    rvd), and the trail is intact."""
    if role == "desk":
        name = f"Dienst {short.upper()}"
        ok(
            team.cli(
                role, "new-partner", name, "--short", short, "--country", "XR", "--kind", "civil"
            )
        )
    else:
        ok(team.cli(role, *FLAG))
    verified = json.loads(ok(team.cli("overseer", "audit", "verify", "--json")).stdout)
    assert verified["intact"] is True, verified
    seqs = [row[0] for row in admin_sql(team.url, "SELECT seq FROM audit_event ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))


def refused_as_privilege(message: str) -> tuple[str, str]:
    return "42501", message


def refused_as_integrity(message: str) -> tuple[str, str]:
    return "23000", message


# ------------------------------------------------------------------------ in whose name


def test_a_record_in_someone_elses_name_is_refused(team: Team) -> None:
    desk, minister = team.logins["desk"], team.logins["minister"]
    assert attempt(team.url_of("desk"), partner_row(minister)) == refused_as_privilege(
        f"wegings records name who recorded them: created_by in partner names '{minister}', "
        f"but this login is '{desk}'"
    )
    ok(team.cli("desk", *NEW_PARTNER))
    flag: Statement = (
        "INSERT INTO partner_flag (partner_id, reason, observed_on, recorded_at, recorded_by) "
        "VALUES (1, 'Onrust', '2026-01-01', now() AT TIME ZONE 'UTC', :by)",
        {"by": minister},
    )
    assert attempt(team.url_of("desk"), flag) == refused_as_privilege(
        f"wegings records name who recorded them: recorded_by in partner_flag names "
        f"'{minister}', but this login is '{desk}'"
    )
    still_writable(team, "bsv")
    assert admin_sql(team.url, "SELECT count(*) FROM partner_flag") == [(0,)]


def test_an_event_in_someone_elses_name_is_refused_even_to_the_owner(team: Team) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    seq, last = head(team.url)
    desk, minister = team.logins["desk"], team.logins["minister"]
    row = event_row(seq + 1, last, minister)
    assert attempt(team.url_of("desk"), row) == refused_as_privilege(
        f"an audit event names who acted: actor '{minister}' refused, this login is '{desk}'"
    )
    superuser = make_url(team.url).username
    for statements in ((row,), (f"SET ROLE {OWNER_ROLE}", row)):
        assert attempt(team.url, *statements) == refused_as_privilege(
            f"an audit event names who acted: actor '{minister}' refused, this login is "
            f"'{superuser}'"
        )
    still_writable(team, "", role="assessor")


def test_a_record_by_the_owner_in_someone_elses_name_is_refused(team: Team) -> None:
    minister = team.logins["minister"]
    superuser = make_url(team.url).username
    assert attempt(team.url, f"SET ROLE {OWNER_ROLE}", partner_row(minister)) == (
        refused_as_privilege(
            f"wegings records name who recorded them: created_by in partner names '{minister}', "
            f"but this login is '{superuser}'"
        )
    )


# ------------------------------------------------------------------------ in turn


def test_an_event_out_of_turn_is_refused_and_blocks_nobody(team: Team) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    desk = team.logins["desk"]
    seq, last = head(team.url)
    assert (seq, len(last)) == (1, 64)
    url = team.url_of("desk")
    assert attempt(url, event_row(seq + 2, last, desk)) == refused_as_integrity(
        "audit event 3 refused: the next event on the trail is 2"
    )
    assert attempt(url, event_row(seq, last, desk)) == refused_as_integrity(
        "audit event 1 refused: the next event on the trail is 2"
    )
    assert attempt(url, event_row(seq + 1, "0" * 64, desk)) == refused_as_integrity(
        f"audit event 2 refused: its prev_hash must be {last}, the hash of event 1"
    )
    not_hex = event_row(seq + 1, last, desk, digest="x")
    assert attempt(url, not_hex) == refused_as_integrity(
        "audit event 2 refused: its hash is not 64 lowercase hex digits"
    )
    # The last moment there is: the next writer's time, just after it, could not be had.
    future = event_row(seq + 1, last, desk, at="9999-12-31 23:59:59.999999")
    assert attempt(url, future) == refused_as_integrity(
        "audit event 2 refused: its time 9999-12-31 23:59:59.999999 is before the newest event "
        "or after now"
    )
    past = event_row(seq + 1, last, desk, at="2000-01-01 00:00:00")
    assert attempt(url, past) == refused_as_integrity(
        "audit event 2 refused: its time 2000-01-01 00:00:00 is before the newest event or after "
        "now"
    )
    still_writable(team, "bsv")


def test_an_insert_by_hand_waits_for_the_writer_in_flight(team: Team) -> None:
    """Each insert takes the writers' lock first, so it queues behind a writer (here: the lock
    held by another connection, and a short lock timeout to see the wait)."""
    ok(team.cli("desk", *NEW_PARTNER))
    desk = team.logins["desk"]
    seq, last = head(team.url)
    holder = create_engine(team.url, poolclass=NullPool)
    try:
        with holder.connect() as connection:
            connection.execute(text(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"))
            for row in (partner_row(desk), event_row(seq + 1, last, desk), node_row(0, 1)):
                assert attempt(team.url_of("desk"), "SET lock_timeout = '100ms'", row) == (
                    "55P03",
                    "canceling statement due to lock timeout",
                ), row
            connection.rollback()
    finally:
        holder.dispose()
    still_writable(team, "bsv")


def test_the_first_event_follows_the_genesis_hash(team: Team) -> None:
    desk = team.logins["desk"]
    assert attempt(team.url_of("desk"), event_row(1, "f" * 64, desk)) == refused_as_integrity(
        f"audit event 1 refused: its prev_hash must be {GENESIS_HASH}, the hash of event 0"
    )
    still_writable(team, "bsv")


def test_a_node_no_event_completes_is_refused(team: Team) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    url = team.url_of("desk")
    for row, message in (
        (node_row(0, 1), "audit tree node (0, 1) refused: event 2, which completes it, is not "),
        (node_row(1, 0), "audit tree node (1, 0) refused: event 2, which completes it, is not "),
        (node_row(62, 1), "audit tree node (62, 1) refused: event 9223372036854775808, which "),
        (node_row(63, 0), "audit tree node (63, 0) refused: its level runs from 0 to 62, its "),
        (node_row(0, -1), "audit tree node (0, -1) refused: its level runs from 0 to 62, its "),
        (node_row(0, 1, "A" * 64), "audit tree node (0, 1) refused: its hash is not 64 lowercase"),
    ):
        state, primary = attempt(url, row)
        assert state == "23000", row
        assert primary.startswith(message), primary
    assert attempt(url, node_row(0, 0)) == ("23505", _duplicate_node_message())
    still_writable(team, "bsv")
    assert admin_sql(team.url, "SELECT level, idx FROM audit_node ORDER BY level, idx") == [
        (0, 0),
        (0, 1),
        (1, 0),
    ]


def _duplicate_node_message() -> str:
    return 'duplicate key value violates unique constraint "audit_node_pkey"'


def test_an_event_without_its_nodes_does_not_commit(team: Team) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    desk = team.logins["desk"]
    url = team.url_of("desk")
    seq, last = head(team.url)
    record = partner_row(desk, "zz", ident=2)
    # Event 2 completes the nodes (0, 1) and (1, 0); with only one of them it is incomplete.
    for nodes, missing in (((), "(0, 1)"), ((node_row(0, 1),), "(1, 0)")):
        assert attempt(
            url, record, event_row(seq + 1, last, desk, entity_id="2"), *nodes
        ) == refused_as_integrity(
            f"audit event 2 lacks the node {missing} of the audit tree it completes"
        )
    # Nor when the check is asked for at once: it then comes before the nodes could.
    assert attempt(
        url,
        "SET CONSTRAINTS ALL IMMEDIATE",
        event_row(seq + 1, last, desk, entity_id="2"),
        record,
        node_row(0, 1),
        node_row(1, 0),
    ) == refused_as_integrity("audit event 2 lacks the node (0, 1) of the audit tree it completes")
    still_writable(team, "bsv")
    assert admin_sql(team.url, "SELECT short FROM partner ORDER BY id") == [("rvd",), ("bsv",)]


# ------------------------------------------------------------------------ one record, one event


def test_a_record_without_its_event_does_not_commit(team: Team) -> None:
    desk = team.logins["desk"]
    state, message = attempt(team.url_of("desk"), partner_row(desk))
    assert (state, message.split(" ", 2)[2]) == (
        "23000",
        "refused: a record is committed with its audit event, and it has none",
    )
    assert message.startswith("partner ")
    still_writable(team, "bsv")
    assert admin_sql(team.url, "SELECT short FROM partner") == [("bsv",)]


def test_an_event_must_name_a_record_of_its_own(team: Team) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    desk = team.logins["desk"]
    url = team.url_of("desk")
    seq, last = head(team.url)
    nodes = (node_row(0, 1), node_row(1, 0))
    for entity, entity_id, message in (
        ("partner", "1", "audit event 2 names partner '1', which has its audit event already"),
        ("partner", "99", "audit event 2 names partner '99', which is not recorded"),
        ("partner", "x", "audit event 2 names partner 'x', which is not recorded"),
        ("checkpoint", "1", "audit event 2 names no kind of wegings record (entity 'checkpoint')"),
    ):
        row = event_row(seq + 1, last, desk, entity=entity, entity_id=entity_id)
        assert attempt(url, row, *nodes) == refused_as_integrity(message), entity_id
    still_writable(team, "bsv")


# ------------------------------------------------------------------------ written by hand


def _write_by_hand(team: Team, role: str, short: str) -> None:
    """A partner and its event and nodes, inserted as the member of `role` with the library's
    functions but not the CLI: no write lock taken first, no checks of the register."""
    engine = create_engine(team.url_of(role), poolclass=NullPool)
    try:
        with Session(engine) as session:
            partner = Partner(
                short=short,
                name=f"Dienst {short}",
                country="XZ",
                kind="civil",
                notes="",
                created_at=datetime.now(UTC),
                created_by=team.logins[role],
            )
            now = datetime.now(UTC)
            record_change(
                session, actor=team.logins[role], action="partner.create", record=partner, now=now
            )
            session.commit()
    finally:
        engine.dispose()


def test_an_own_write_by_hand_blocks_nobody(team: Team) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    _write_by_hand(team, "desk", "zz")
    still_writable(team, "", role="assessor")
    assert admin_sql(team.url, "SELECT actor FROM audit_event ORDER BY seq") == [
        (team.logins["desk"],),
        (team.logins["desk"],),
        (team.logins["assessor"],),
    ]


def test_a_wrong_hash_by_hand_is_found_by_verify_and_blocks_nobody(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    with monkeypatch.context() as patched:
        patched.setattr(audit, "event_hash", lambda event: "e" * 64)
        _write_by_hand(team, "desk", "zz")
    ok(team.cli("assessor", *FLAG))
    verified = team.cli("overseer", "audit", "verify", "--json")
    assert (verified.exit_code, verified.stdout) == (1, "")
    assert verified.stderr == (
        "Error: Audit trail broken at event 2: its content does not match its hash (altered).\n"
    )
    assert admin_sql(
        team.url, "SELECT seq, actor FROM audit_event WHERE hash = :h", h="e" * 64
    ) == [(2, team.logins["desk"])]


def test_writers_and_a_hand_at_once_lose_nothing(team: Team) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WEGINGS_")}
    environment["WEGINGS_DATABASE_URL"] = team.url_of("desk")
    environment["WEGINGS_USER"] = team.logins["desk"]
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from wegings.cli import app\n"
        "for n in range(3):\n"
        "    result = CliRunner().invoke(app, ['new-item', f'{sys.argv[1]}-{n}', '--originator',"
        " 'self', '--subject', 'Stuk'])\n"
        "    if result.exit_code != 0:\n"
        "        sys.exit(result.stderr)\n"
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, f"W{n}"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for n in range(3):
        _write_by_hand(team, "desk", f"h{n}")
    results = [(w.wait(timeout=300), w.communicate()[1]) for w in writers]
    assert results == [(0, "")] * 3
    assert admin_sql(team.url, "SELECT count(*) FROM item") == [(9,)]
    still_writable(team, "bsv")
    assert admin_sql(team.url, "SELECT count(*) FROM audit_event") == [(13,)]


# ------------------------------------------------------------------------ installed once


def _triggers(url: str) -> list[tuple[object, ...]]:
    return admin_sql(
        url,
        "SELECT tgrelid::regclass::text, tgname, count(*) FROM pg_trigger WHERE NOT tgisinternal "
        "GROUP BY 1, 2 ORDER BY 1, 2",
    )


def _expected_triggers() -> list[tuple[object, ...]]:
    import wegings.store.models  # noqa: F401  (registers the tables)

    audited = {str(model.__tablename__) for model in AUDITED.values()}
    expected: list[tuple[str, str]] = []
    for table in (t.name for t in SQLModel.metadata.sorted_tables):
        expected.append((table, APPEND_ONLY_FUNCTION))
        if table not in TRAIL_TABLES:
            expected.append((table, INSERT_GUARD))
        if table in audited:
            expected.append((table, RECORD_AUDITED))
    expected += [("audit_event", EVENT_GUARD), ("audit_event", EVENT_COMPLETE)]
    expected.append(("audit_node", NODE_GUARD))
    return [(table, name, 1) for table, name in sorted(expected)]


def test_init_roles_twice_leaves_one_of_each_trigger(team: Team) -> None:
    assert _triggers(team.url) == _expected_triggers()
    again = CliRunner().invoke(app, ["db", "init-roles"], env={"WEGINGS_DATABASE_URL": team.url})
    assert again.exit_code == 0, again.output
    assert _triggers(team.url) == _expected_triggers()
    owners = admin_sql(
        team.url,
        "SELECT proname, proowner::regrole::text, prosecdef FROM pg_proc "
        "WHERE pronamespace = current_schema()::regnamespace ORDER BY proname",
    )
    names = sorted((APPEND_ONLY_FUNCTION, *INSERT_TRIGGERS))
    assert owners == [(name, OWNER_ROLE, name != APPEND_ONLY_FUNCTION) for name in names]


def test_db_upgrade_migrates_a_database_with_the_triggers(team: Team) -> None:
    """A migration runs under the triggers (here 0007, which fills audit_node anew)."""
    from alembic import command

    from wegings.store import engine as store_engine

    ok(team.cli("desk", *NEW_PARTNER))
    _write_by_hand(team, "desk", "zz")
    engine = create_engine(team.url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            command.downgrade(store_engine._alembic_config(connection), "0006_people")
            connection.commit()
    finally:
        engine.dispose()
    upgraded = CliRunner().invoke(
        app, ["db", "upgrade", "--json"], env={"WEGINGS_DATABASE_URL": team.url}
    )
    assert upgraded.exit_code == 0, upgraded.output
    assert json.loads(upgraded.stdout)["before"] == "0006_people"
    assert _triggers(team.url) == _expected_triggers()
    still_writable(team, "bsv")
    assert admin_sql(team.url, "SELECT count(*) FROM audit_node") == [(4,)]


def test_a_trigger_refusal_reads_as_what_it_is_not_as_a_missing_grant(team: Team) -> None:
    from wegings.store.engine import describe_server_error

    minister = team.logins["minister"]
    engine = create_engine(team.url_of("desk"), poolclass=NullPool)
    try:
        sql, params = partner_row(minister)
        with engine.connect() as connection, pytest.raises(DBAPIError) as caught:
            connection.execute(text(sql), params)
    finally:
        engine.dispose()
    message = describe_server_error(caught.value, "the server").message
    assert message.startswith("The database at the server refused this: wegings records name ")
    assert "init-roles" not in message
    assert "GRANT" not in message
    assert message.endswith("nothing was changed.")
