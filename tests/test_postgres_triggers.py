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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner, Result

from tests.conftest import admin_sql
from wegings.cli import app
from wegings.store import audit
from wegings.store.audit import AUDITED, record_change
from wegings.store.chain import GENESIS_HASH, canonical, chain_hash, event_bytes
from wegings.store.engine import WRITE_LOCK_KEY
from wegings.store.models import Partner
from wegings.store.server import (
    APPEND_ONLY_FUNCTION,
    AUTHORITY_TRIGGERS,
    EVENT_BYTES_FUNCTION,
    EVENT_COMPLETE,
    EVENT_GUARD,
    INSERT_GUARD,
    INSERT_TRIGGERS,
    MAX_EVENT_AGE_SECONDS,
    NODE_GUARD,
    NOTE_PARTNER,
    NOTE_PARTNER_TABLES,
    OWNER_ROLE,
    RECORD_AUDITED,
    ROLES,
    TRAIL_TABLES,
    group_role,
)
from wegings.timeutil import iso

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


def server_now(url: str) -> datetime:
    """The server's clock."""
    ((clock,),) = admin_sql(url, "SELECT clock_timestamp() AT TIME ZONE 'UTC'")
    assert isinstance(clock, datetime)
    return clock.replace(tzinfo=UTC)


def naive_utc(moment: datetime) -> datetime:
    """`moment` as a `timestamp` column holds it (naive UTC), bound as that type and no other."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def as_text(moment: datetime) -> str:
    """`moment` as PostgreSQL writes a `timestamp` (`::text`): trailing zeros of the fraction
    dropped, and the fraction with them when it is zero."""
    written = naive_utc(moment).isoformat(sep=" ")
    return written.rstrip("0").rstrip(".") if "." in written else written


def partner_row(
    login: str, short: str = "zz", ident: int | None = None, *, at: datetime | None = None
) -> Statement:
    """An INSERT of a partner recorded by `login` (with the id `ident`, else the next one) at
    `at` (else the transaction's start)."""
    return (
        "INSERT INTO partner (id, short, name, country, kind, notes, created_at, created_by) "
        "VALUES (coalesce(:id, nextval(pg_get_serial_sequence('partner', 'id'))), :short, "
        "'Dienst Z', 'XZ', 'civil', '', coalesce(CAST(:at AS timestamp), now() AT TIME ZONE "
        "'UTC'), :by)",
        {"id": ident, "short": short, "by": login, "at": None if at is None else naive_utc(at)},
    )


def event_row(
    seq: int,
    prev_hash: str,
    actor: str,
    *,
    at: datetime,
    entity: str = "partner",
    entity_id: str = "1",
    action: str = "partner.create",
    digest: str | None = None,
    change: str = "{}",
) -> Statement:
    """An INSERT of an audit event with these fields and, unless `digest` says otherwise, the
    hash wegings gives them (`chain.chain_hash`)."""
    if digest is None:
        digest = chain_hash(seq, iso(at), actor, action, entity, entity_id, change, prev_hash)
    return (
        "INSERT INTO audit_event (seq, at, actor, action, entity, entity_id, change, prev_hash, "
        "hash) VALUES (:seq, CAST(:at AS timestamp), :actor, :action, :entity, :entity_id, "
        ":change, :prev, :hash)",
        {
            "change": change,
            "seq": seq,
            "at": naive_utc(at),
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "prev": prev_hash,
            "hash": digest,
        },
    )


def partner_change(login: str, ident: int, at: datetime, short: str = "zz") -> str:
    """The change wegings records for the partner `partner_row` inserts."""
    snapshot = {
        "id": ident,
        "short": short,
        "name": "Dienst Z",
        "country": "XZ",
        "kind": "civil",
        "notes": "",
        "created_at": iso(at),
        "created_by": login,
    }
    return canonical(snapshot)


def node_row(level: int, idx: int, digest: str | None = None) -> Statement:
    """An INSERT of an audit tree node with the hash `digest`, else the one wegings gives it
    (of its event, or its two children, as they are in the transaction; 'ab…' without them)."""
    leaf = (
        "SELECT encode(sha256('\\x00'::bytea || wegings_audit_event_bytes(e.seq, e.at, e.actor, "
        "e.action, e.entity, e.entity_id, e.change, e.prev_hash, e.os_login)), 'hex') "
        "FROM audit_event e WHERE e.seq = :idx + 1"
    )
    inner = (
        "SELECT encode(sha256('\\x01'::bytea || decode(l.hash, 'hex') || decode(r.hash, 'hex')), "
        "'hex') FROM audit_node l, audit_node r WHERE l.level = :level - 1 AND l.idx = 2 * :idx "
        "AND r.level = :level - 1 AND r.idx = 2 * :idx + 1"
    )
    return (
        "INSERT INTO audit_node (level, idx, hash) VALUES (:level, :idx, coalesce(:hash, "  # noqa: S608
        f"CASE WHEN :level = 0 THEN ({leaf}) ELSE ({inner}) END, '{'ab' * 32}'))",
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
    row = event_row(seq + 1, last, minister, at=server_now(team.url))
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
    now = server_now(team.url)
    assert attempt(url, event_row(seq + 2, last, desk, at=now)) == refused_as_integrity(
        "audit event 3 refused: the next event on the trail is 2"
    )
    assert attempt(url, event_row(seq, last, desk, at=now)) == refused_as_integrity(
        "audit event 1 refused: the next event on the trail is 2"
    )
    assert attempt(url, event_row(seq + 1, "0" * 64, desk, at=now)) == refused_as_integrity(
        f"audit event 2 refused: its prev_hash must be {last}, the hash of event 1"
    )
    not_hex = event_row(seq + 1, last, desk, at=now, digest="x")
    assert attempt(url, not_hex) == refused_as_integrity(
        "audit event 2 refused: its hash is not 64 lowercase hex digits"
    )
    # The last moment there is: the next writer's time, just after it, could not be had.
    future = event_row(seq + 1, last, desk, at=datetime(9999, 12, 31, 23, 59, 59, 999999, UTC))
    assert attempt(url, future) == refused_as_integrity(
        "audit event 2 refused: its time 9999-12-31 23:59:59.999999 is before the newest event "
        "or after now"
    )
    past = event_row(seq + 1, last, desk, at=datetime(2000, 1, 1, tzinfo=UTC))
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
            now = server_now(team.url)
            rows = (partner_row(desk), event_row(seq + 1, last, desk, at=now), node_row(0, 1))
            for row in rows:
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
    first = event_row(1, "f" * 64, desk, at=server_now(team.url))
    assert attempt(team.url_of("desk"), first) == refused_as_integrity(
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


def test_a_node_with_another_hash_than_wegings_gives_it_is_refused(team: Team) -> None:
    """A node is its event's leaf hash, or its children's hash: one typed in otherwise would
    break every proof, and `audit verify` for everybody, from then on."""
    ok(team.cli("desk", *NEW_PARTNER))
    desk = team.logins["desk"]
    url = team.url_of("desk")
    seq, last = head(team.url)
    now = server_now(team.url)
    record = partner_row(desk, "zz", ident=2, at=now)
    event = event_row(seq + 1, last, desk, entity_id="2", at=now)
    for nodes, bad in (
        ((node_row(0, 1, "ab" * 32),), "(0, 1)"),
        ((node_row(0, 1), node_row(1, 0, "cd" * 32)), "(1, 0)"),
    ):
        state, message = attempt(url, record, event, *nodes)
        assert (state, message.split(" must be ")[0]) == (
            "23000",
            f"audit tree node {bad} refused: its hash",
        )
    # (partner 2 from its sequence: an id typed in would be handed out again, to the next write)
    change = partner_change(desk, 2, now)
    event = event_row(seq + 1, last, desk, entity_id="2", at=now, change=change)
    committed(url, partner_row(desk, "zz", at=now), event, node_row(0, 1), node_row(1, 0))
    ok(
        team.cli(
            "desk",
            "new-partner",
            "Dienst BSV",
            "--short",
            "bsv",
            "--country",
            "XR",
            "--kind",
            "civil",
        )
    )
    assert admin_sql(team.url, "SELECT count(*) FROM audit_node") == [(4,)]


def test_an_event_whose_change_is_not_its_record_does_not_commit(team: Team) -> None:
    """`audit verify` holds each record to its event's change: an event typed in with any other
    would be a break, for everybody, for good."""
    ok(team.cli("desk", *NEW_PARTNER))
    desk = team.logins["desk"]
    url = team.url_of("desk")
    seq, last = head(team.url)
    now = server_now(team.url)
    right = partner_change(desk, 2, now)
    nodes = (node_row(0, 1), node_row(1, 0))
    for change in ("{}", right.replace("Dienst Z", "Dienst Y"), right + " ", "not json"):
        row = event_row(seq + 1, last, desk, entity_id="2", at=now, change=change)
        assert attempt(url, partner_row(desk, ident=2, at=now), row, *nodes) == (
            refused_as_integrity(
                f"audit event 2 refused: its change is not partner '2' as recorded, which is "
                f"{right}"
            )
        ), change
    row = event_row(seq + 1, last, desk, entity_id="2", at=now, change=right)
    committed(url, partner_row(desk, at=now), row, *nodes)
    still_writable(team, "bsv")


def _duplicate_node_message() -> str:
    return 'duplicate key value violates unique constraint "audit_node_pkey"'


def test_an_event_without_its_nodes_does_not_commit(team: Team) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    desk = team.logins["desk"]
    url = team.url_of("desk")
    seq, last = head(team.url)
    now = server_now(team.url)
    record = partner_row(desk, "zz", ident=2, at=now)
    event = event_row(seq + 1, last, desk, entity_id="2", at=now)
    # Event 2 completes the nodes (0, 1) and (1, 0); with only one of them it is incomplete.
    for nodes, missing in (((), "(0, 1)"), ((node_row(0, 1),), "(1, 0)")):
        assert attempt(url, record, event, *nodes) == refused_as_integrity(
            f"audit event 2 lacks the node {missing} of the audit tree it completes"
        )
    # Nor when the check is asked for at once: it then comes before the nodes could.
    assert attempt(
        url,
        "SET CONSTRAINTS ALL IMMEDIATE",
        event,
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
        now = server_now(team.url)
        row = event_row(seq + 1, last, desk, entity=entity, entity_id=entity_id, at=now)
        assert attempt(url, row, *nodes) == refused_as_integrity(message), entity_id
    still_writable(team, "bsv")


# ------------------------------------------------------------------------ written by hand


def _write_by_hand(
    team: Team,
    role: str,
    short: str,
    *,
    name: str | None = None,
    notes: str = "",
    action: str = "partner.create",
) -> None:
    """A partner and its event and nodes, inserted as the member of `role` with the library's
    functions but not the CLI: no write lock taken first, no checks of the register or of the
    text."""
    now = server_now(team.url)
    engine = create_engine(team.url_of(role), poolclass=NullPool)
    try:
        with Session(engine) as session:
            partner = Partner(
                short=short,
                name=f"Dienst {short}" if name is None else name,
                country="XZ",
                kind="civil",
                notes=notes,
                created_at=now,
                created_by=team.logins[role],
            )
            record_change(session, actor=team.logins[role], action=action, record=partner, now=now)
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


# ------------------------------------------------------------------------ hashed as wegings does


def test_a_wrong_hash_is_refused_and_blocks_nobody(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    desk = team.logins["desk"]
    url = team.url_of("desk")
    seq, last = head(team.url)
    now = server_now(team.url)
    record = partner_row(desk, "zz", ident=2, at=now)
    right = event_row(seq + 1, last, desk, entity_id="2", at=now)
    expected = str(right[1]["hash"])
    off_by_one = expected[:-1] + ("0" if expected[-1] != "0" else "1")
    for digest in ("e" * 64, last, off_by_one):
        wrong = event_row(seq + 1, last, desk, entity_id="2", at=now, digest=digest)
        assert attempt(url, record, wrong) == refused_as_integrity(
            f"audit event 2 refused: its hash must be {expected}, the SHA-256 of its content"
        ), digest
    # The library's own write with a wrong hash (its transaction stops at the event).
    with monkeypatch.context() as patched:
        patched.setattr(audit, "event_hash", lambda event: "e" * 64)
        with pytest.raises(DBAPIError) as caught:
            _write_by_hand(team, "desk", "zz")
    assert getattr(caught.value.orig, "sqlstate", None) == "23000"
    assert "audit event 2 refused: its hash must be " in str(caught.value)
    ok(team.cli("assessor", *FLAG))
    still_writable(team, "bsv")
    assert admin_sql(team.url, "SELECT short FROM partner ORDER BY id") == [("rvd",), ("bsv",)]


TYPED = (
    'Dienst "Q" \\ \\" \\\\u0041 \'s-Gravenhage \u00e9\u00e8 \u0410\u0411 \u03a9 \u4e2d '
    "\U0001f6f0\U0001f1f3\U0001f1f1 </script> {{ 7*7 }} $x %s %% \u00a0 / \t"
)
"""Text the tool takes and JSON has to escape, or must not: quotes, backslashes (one before a
quote, one before what looks like a \\u escape), non-ASCII, emoji beyond the BMP, a no-break
space, a tab, and what templates and format strings take for their own."""

HOSTILE = TYPED + "\u2028\u2029\u007f"
"""`TYPED` with what the tool refuses but the library writes: the line and paragraph
separators, which JavaScript's JSON escapes and Python's does not, and DEL."""

CONTROL = "".join(map(chr, range(1, 32)))
"""Every control character PostgreSQL's text can hold (NUL it cannot), each escaped by JSON."""


def test_the_server_hashes_hostile_text_as_wegings_does(team: Team) -> None:
    """Events with every kind of text JSON treats specially, written by the tool and by the
    library: the trigger recomputes each hash and accepts every one, so its bytes are Python's."""
    ok(
        team.cli(
            "desk",
            "new-partner",
            TYPED,
            "--short",
            "hos",
            "--country",
            "XR",
            "--kind",
            "civil",
            "--notes",
            f"{TYPED}\nRegel twee\n\ttabs\tzijn er ook",
        )
    )
    ok(team.cli("assessor", "flag", "hos", "--reason", f"{TYPED}\nen verder"))
    _write_by_hand(team, "desk", "ctl", name=f"x{CONTROL}x", notes=CONTROL + HOSTILE)
    _write_by_hand(team, "desk", "act", action=CONTROL[:18] + '\u00e9\U0001f6f0"\\')
    actions = admin_sql(team.url, "SELECT action FROM audit_event ORDER BY seq")
    assert actions[-1] == (CONTROL[:18] + '\u00e9\U0001f6f0"\\',)
    verified = json.loads(ok(team.cli("overseer", "audit", "verify", "--json")).stdout)
    assert verified["intact"] is True, verified
    assert admin_sql(team.url, "SELECT count(*) FROM audit_event") == [(4,)]


_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
"""Any text PostgreSQL's text holds: every code point but NUL and the surrogates."""

_EVENT_FIELDS = ("actor", "action", "entity", "entity_id", "change", "prev")


def _server_event_bytes(
    connection: Connection, seq: int, at: datetime, fields: tuple[str, ...], login: str | None
) -> bytes:
    """An event's canonical bytes as the trigger makes them (`EVENT_BYTES_FUNCTION`)."""
    values: dict[str, object] = dict(zip(_EVENT_FIELDS, fields, strict=True))
    values |= {"seq": seq, "at": naive_utc(at), "login": login}
    query = text(
        f"SELECT {EVENT_BYTES_FUNCTION}(:seq, CAST(:at AS timestamp), :actor, :action, :entity, "
        ":entity_id, :change, :prev, :login)"
    )
    return bytes(connection.execute(query, values).scalar_one())


def test_the_servers_event_bytes_are_pythons(team: Team) -> None:
    """For any text, number and time (Hypothesis): `EVENT_BYTES_FUNCTION` gives the bytes of
    `chain.event_bytes`, so the trigger's hash is the hash wegings writes."""
    engine = create_engine(team.url, poolclass=NullPool)
    try:
        with engine.connect() as connection:

            @settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
            @given(
                seq=st.integers(min_value=1, max_value=2**63 - 1),
                at=st.datetimes(timezones=st.just(UTC)),
                fields=st.tuples(*[_TEXT] * len(_EVENT_FIELDS)),
                login=st.none() | _TEXT,
            )
            def same_bytes(
                seq: int, at: datetime, fields: tuple[str, ...], login: str | None
            ) -> None:
                python = event_bytes(seq, iso(at), *fields, os_login=login)
                assert _server_event_bytes(connection, seq, at, fields, login) == python

            same_bytes()
            # The times whose ISO text differs in form: before year 1000, with and without
            # microseconds (one, and a round tenth), and a login or none.
            for moment, login in (
                (datetime(1, 1, 1, tzinfo=UTC), None),
                (datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), CONTROL),
                (datetime(2026, 12, 3, 11, 0, tzinfo=UTC), None),
                (datetime(2026, 12, 3, 11, 0, 0, 1, tzinfo=UTC), HOSTILE),
                (datetime(2026, 12, 3, 11, 0, 0, 100000, tzinfo=UTC), ""),
            ):
                fields = (CONTROL, HOSTILE, CONTROL, HOSTILE, TYPED, GENESIS_HASH)
                python = event_bytes(7, iso(moment), *fields, os_login=login)
                assert _server_event_bytes(connection, 7, moment, fields, login) == python, moment
    finally:
        engine.dispose()


# ------------------------------------------------------------------------ dated now


def test_an_event_dated_back_is_refused(team: Team) -> None:
    """Even on an empty trail, with no event before it to bound it, an event is dated now."""
    desk = team.logins["desk"]
    url = team.url_of("desk")
    back = server_now(team.url) - timedelta(seconds=MAX_EVENT_AGE_SECONDS + 5)
    state, message = attempt(
        url, partner_row(desk, "zz", ident=1, at=back), event_row(1, GENESIS_HASH, desk, at=back)
    )
    assert state == "23000"
    assert message.startswith(
        f"audit event 1 refused: its time {as_text(back)} is more than "
        f"{MAX_EVENT_AGE_SECONDS} seconds before the server clock, "
    ), message
    still_writable(team, "bsv")


def _write_long_ago(team: Team, short: str, moment: datetime) -> None:
    """A partner and its event (hash and nodes as wegings makes them) recorded at `moment` in
    the past, by the superuser with the triggers off: a trail whose newest event is old."""
    engine = create_engine(team.url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            session.execute(text("SET LOCAL session_replication_role = replica"))
            partner = Partner(
                short=short,
                name=f"Dienst {short}",
                country="XZ",
                kind="civil",
                notes="",
                created_at=moment,
                created_by=team.logins["desk"],
            )
            record_change(
                session,
                actor=team.logins["desk"],
                action="partner.create",
                record=partner,
                now=moment,
            )
            session.commit()
    finally:
        engine.dispose()


def test_an_event_cannot_be_dated_between_the_newest_and_now(team: Team) -> None:
    """The newest event an hour old: an event dated half an hour ago (before what anyone read
    since) is refused; one dated now is taken."""
    desk = team.logins["desk"]
    url = team.url_of("desk")
    now = server_now(team.url)
    _write_long_ago(team, "old", now - timedelta(hours=1))
    seq, last = head(team.url)
    back = now - timedelta(minutes=30)
    state, message = attempt(
        url,
        partner_row(desk, "zz", ident=2, at=back),
        event_row(seq + 1, last, desk, entity_id="2", at=back),
    )
    assert (state, message.split(" is more than ")[0]) == (
        "23000",
        f"audit event 2 refused: its time {as_text(back)}",
    )
    _write_by_hand(team, "desk", "zz")
    still_writable(team, "bsv")


def test_a_record_is_dated_as_its_event(team: Team) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    desk = team.logins["desk"]
    url = team.url_of("desk")
    seq, last = head(team.url)
    now = server_now(team.url)
    earlier = now - timedelta(seconds=1)
    nodes = (node_row(0, 1), node_row(1, 0))
    record = partner_row(desk, "zz", ident=2, at=earlier)
    event = event_row(seq + 1, last, desk, entity_id="2", at=now)
    assert attempt(url, record, event, *nodes) == refused_as_integrity(
        f"partner 2 refused: its created_at {as_text(earlier)} is not "
        f"{as_text(now)}, the time of its audit event"
    )
    still_writable(team, "bsv")


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


# ------------------------------------------------------------------------ with the authority


ANSWERS = Path(__file__).resolve().parent / "data"
STANDAARD, VERHOOGD = ANSWERS / "rvd-standaard.toml", ANSWERS / "smi-verhoogd.toml"


def establishment_row(note_id: int, role: str, login: str, at: datetime) -> Statement:
    """An INSERT of the establishment of note `note_id` in `role`, by `login` at `at`."""
    return (
        "INSERT INTO note_establishment (note_id, partner_id, role, established_by, "
        "established_at, review_due, decision) SELECT id, partner_id, :role, :by, "
        "CAST(:at AS timestamp), CAST(:at AS timestamp) + interval '1 year', '' "
        "FROM note_version WHERE id = :note",
        {"note": note_id, "role": role, "by": login, "at": naive_utc(at)},
    )


def permission_row(item_id: int, role: str, login: str, at: datetime) -> Statement:
    """An INSERT of a higher permission in `role` for item `item_id` to rvd, by `login`."""
    return (
        "INSERT INTO permission (item_id, recipient, role, valid_from, valid_until, reason, "
        "ctivd_notified, recorded_at, recorded_by) VALUES (:item, 'rvd', :role, "
        "CAST(:at AS timestamp), CAST(:at AS timestamp) + interval '30 days', 'Besluit', "
        "true, CAST(:at AS timestamp), :by)",
        {"item": item_id, "role": role, "by": login, "at": naive_utc(at)},
    )


def test_a_note_is_established_only_in_a_role_that_may(team: Team) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    ok(team.cli("assessor", "score", "rvd", "--answers", str(VERHOOGD)))
    dg = team.logins["dg"]
    url = team.url_of("dg")
    now = server_now(team.url)
    assert attempt(url, establishment_row(1, "dg", dg, now)) == refused_as_privilege(
        "a note is established by the minister unless it is standaard: note 1 is 'verhoogd', "
        "the role 'dg' refused"
    )
    assert attempt(url, establishment_row(1, "minister", dg, now)) == refused_as_privilege(
        f"a note is established in a role its login holds: '{dg}' is not a member of "
        "wegings_minister"
    )
    for role in ("desk", "overseer", "Minister", ""):
        assert attempt(url, establishment_row(1, role, dg, now)) == refused_as_privilege(
            f"a note is established in the role minister or dg: the role '{role}' refused"
        ), role
    assert admin_sql(team.url, "SELECT count(*) FROM note_establishment") == [(0,)]
    ok(team.cli("minister", "establish", "rvd", "--role", "minister"))
    assert admin_sql(team.url, "SELECT role, established_by FROM note_establishment") == [
        ("minister", team.logins["minister"])
    ]
    still_writable(team, "bsv")


def test_a_note_is_not_established_by_its_author_even_by_hand(team: Team) -> None:
    """Four eyes: a login that is both assessor and minister writes a note; it may not
    establish it, neither with wegings nor by hand; the DG may (a standaard note)."""
    both = team.logins["assessor+minister"] = f"both_{uuid.uuid4().hex[:8]}"
    admin_sql(team.url, f"CREATE ROLE {both} LOGIN PASSWORD '{PASSWORD}'")
    admin_sql(team.url, f"GRANT {group_role('assessor')}, {group_role('minister')} TO {both}")
    ok(team.cli("desk", *NEW_PARTNER))
    ok(team.cli("assessor+minister", "score", "rvd", "--answers", str(STANDAARD)))
    refused = team.cli("assessor+minister", "establish", "rvd", "--role", "minister")
    assert refused.exit_code != 0
    now = server_now(team.url)
    assert attempt(
        team.url_of("assessor+minister"), establishment_row(1, "minister", both, now)
    ) == refused_as_privilege(
        f"a note is established by another login than its author (four eyes): '{both}' wrote note 1"
    )
    ok(team.cli("dg", "establish", "rvd", "--role", "dg"))
    assert admin_sql(team.url, "SELECT role, established_by FROM note_establishment") == [
        ("dg", team.logins["dg"])
    ]


def test_a_note_is_established_and_withdrawn_only_as_its_own_partners(team: Team) -> None:
    """The DG may establish rvd's standaard note; not as the established note of smi, whose
    own note is verhoogd (the minister's), nor withdraw a note in the name of another partner."""
    ok(team.cli("desk", *NEW_PARTNER))
    ok(
        team.cli(
            "desk",
            "new-partner",
            "Dienst SMI",
            "--short",
            "smi",
            "--country",
            "XR",
            "--kind",
            "civil",
        )
    )
    ok(team.cli("assessor", "score", "rvd", "--answers", str(STANDAARD)))
    ok(team.cli("assessor", "score", "smi", "--answers", str(VERHOOGD)))
    dg = team.logins["dg"]
    url = team.url_of("dg")
    now = naive_utc(server_now(team.url))
    establishment = (
        "INSERT INTO note_establishment (note_id, partner_id, role, established_by, "
        "established_at, review_due, decision) VALUES (1, 2, 'dg', :by, CAST(:at AS timestamp), "
        "CAST(:at AS timestamp) + interval '1 year', '')",
        {"by": dg, "at": now},
    )
    assert attempt(url, establishment) == refused_as_integrity(
        "note_establishment of note 1 refused: it is a note of partner 1, not of partner 2"
    )
    withdrawal = (
        "INSERT INTO note_withdrawal (note_id, partner_id, withdrawn_by, withdrawn_at, reason) "
        "VALUES (2, 1, :by, CAST(:at AS timestamp), 'Ingetrokken')",
        {"by": dg, "at": now},
    )
    assert attempt(url, withdrawal) == refused_as_integrity(
        "note_withdrawal of note 2 refused: it is a note of partner 2, not of partner 1"
    )
    ok(team.cli("dg", "establish", "rvd", "--role", "dg"))
    assert admin_sql(team.url, "SELECT note_id, partner_id FROM note_establishment") == [(1, 1)]


def test_nobody_but_the_owner_creates_objects_in_the_schema(team: Team) -> None:
    """PostgreSQL before 15 lets PUBLIC create in the public schema: `db init-roles` takes that
    back, so no login's function or operator can stand in for the catalog's in others' queries."""
    admin_sql(team.url, "GRANT CREATE ON SCHEMA public TO PUBLIC")
    again = CliRunner().invoke(app, ["db", "init-roles"], env={"WEGINGS_DATABASE_URL": team.url})
    assert again.exit_code == 0, again.output
    for role in ROLES:
        for sql in (
            "CREATE TABLE public.mine (a int)",
            "CREATE FUNCTION public.lower(varchar) RETURNS text LANGUAGE sql AS 'SELECT 1::text'",
        ):
            assert attempt(team.url_of(role), sql) == (
                "42501",
                "permission denied for schema public",
            ), (role, sql)


def test_a_permission_is_granted_only_in_a_role_that_may(team: Team) -> None:
    ok(team.cli("desk", *NEW_PARTNER))
    ok(team.cli("desk", "new-item", "AIVD-1", "--originator", "self", "--subject", "Stuk"))
    dg = team.logins["dg"]
    url = team.url_of("dg")
    now = server_now(team.url)
    assert attempt(url, permission_row(1, "minister", dg, now)) == refused_as_privilege(
        f"a permission is granted in a role its login holds: '{dg}' is not a member of "
        "wegings_minister"
    )
    for role in ("desk", "assessor", "overseer", "DG"):
        assert attempt(url, permission_row(1, role, dg, now)) == refused_as_privilege(
            f"a permission is granted in the role minister or dg: the role '{role}' refused"
        ), role
    assert admin_sql(team.url, "SELECT count(*) FROM permission") == [(0,)]
    permit = ("permit", "AIVD-1", "--to", "rvd", "--until", "2099-06-30", "--reason", "Besluit")
    ok(team.cli("dg", *permit, "--role", "dg", "--granted-by", "H. de Boer"))
    ok(team.cli("minister", *permit, "--role", "minister", "--granted-by", "De minister"))
    assert admin_sql(team.url, "SELECT role, recorded_by FROM permission ORDER BY id") == [
        ("dg", dg),
        ("minister", team.logins["minister"]),
    ]
    still_writable(team, "bsv")


def test_an_authority_refusal_reads_as_one_line(team: Team) -> None:
    from wegings.store.engine import describe_server_error

    ok(team.cli("desk", *NEW_PARTNER))
    ok(team.cli("desk", "new-item", "AIVD-1", "--originator", "self", "--subject", "Stuk"))
    ok(team.cli("assessor", "score", "rvd", "--answers", str(VERHOOGD)))
    dg = team.logins["dg"]
    now = server_now(team.url)
    engine = create_engine(team.url_of("dg"), poolclass=NullPool)
    try:
        for statement, says in (
            (establishment_row(1, "dg", dg, now), "a note is established by the minister unless"),
            (permission_row(1, "minister", dg, now), "a permission is granted in a role its "),
        ):
            sql, params = statement
            with engine.connect() as connection, pytest.raises(DBAPIError) as caught:
                connection.execute(text(sql), params)
            message = describe_server_error(caught.value, "the server").message
            assert message.startswith(f"The database at the server refused this: {says}")
            assert message.endswith("; nothing was changed.")
            assert "\n" not in message
            assert "GRANT" not in message
    finally:
        engine.dispose()


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
        if table in AUTHORITY_TRIGGERS:
            expected.append((table, AUTHORITY_TRIGGERS[table]))
        if table in NOTE_PARTNER_TABLES:
            expected.append((table, NOTE_PARTNER))
    expected += [("audit_event", EVENT_GUARD), ("audit_event", EVENT_COMPLETE)]
    expected.append(("audit_node", NODE_GUARD))
    return [(table, name, 1) for table, name in sorted(expected)]


def test_init_roles_twice_leaves_one_of_each_trigger(team: Team) -> None:
    assert _triggers(team.url) == _expected_triggers()
    again = CliRunner().invoke(app, ["db", "init-roles"], env={"WEGINGS_DATABASE_URL": team.url})
    assert again.exit_code == 0, again.output
    assert _triggers(team.url) == _expected_triggers()
    assert _functions(team.url) == _expected_functions()


def _functions(url: str) -> list[tuple[object, ...]]:
    return admin_sql(
        url,
        "SELECT proname, proowner::regrole::text, prosecdef FROM pg_proc "
        "WHERE pronamespace = current_schema()::regnamespace ORDER BY proname",
    )


def _expected_functions() -> list[tuple[object, ...]]:
    """Every function belongs to the owner role; the triggers' run with its rights."""
    plain = (APPEND_ONLY_FUNCTION, EVENT_BYTES_FUNCTION)
    names = sorted((*plain, *INSERT_TRIGGERS))
    return [(name, OWNER_ROLE, name not in plain) for name in names]


def test_init_roles_again_brings_the_triggers_of_an_older_version_up_to_date(team: Team) -> None:
    """A database set up by a version without some of the checks gets them from `db init-roles`
    (here: the authority triggers and the hash's function are gone, and the event trigger is an
    older one that takes any hash)."""
    ok(team.cli("desk", *NEW_PARTNER))
    for table, name in AUTHORITY_TRIGGERS.items():
        admin_sql(team.url, f"DROP TRIGGER {name} ON {table}")
        admin_sql(team.url, f"DROP FUNCTION {name}()")
    admin_sql(team.url, f"DROP FUNCTION {EVENT_BYTES_FUNCTION}")
    admin_sql(
        team.url,
        f"CREATE OR REPLACE FUNCTION {EVENT_GUARD}() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN NEW; END $$",
    )
    again = CliRunner().invoke(app, ["db", "init-roles"], env={"WEGINGS_DATABASE_URL": team.url})
    assert again.exit_code == 0, again.output
    assert _triggers(team.url) == _expected_triggers()
    assert _functions(team.url) == _expected_functions()
    desk = team.logins["desk"]
    seq, last = head(team.url)
    now = server_now(team.url)
    wrong = event_row(seq + 1, last, desk, entity_id="2", at=now, digest="e" * 64)
    state, message = attempt(team.url_of("desk"), partner_row(desk, ident=2, at=now), wrong)
    assert (state, message.split(" must be ")[0]) == ("23000", "audit event 2 refused: its hash")
    still_writable(team, "bsv")


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
