"""`audit verify --json`: a broken trail is a verdict in JSON too, and a read on a standby says
how far behind the primary it is, as `can-share --json` does."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Connection

from tests.conftest import Run, add_partner, sql
from wegings.config import Location
from wegings.store import engine as store_engine
from wegings.store.engine import Standby

BROKEN = "Audit trail broken at event 2: its content does not match its hash (altered)."
REPLAYED_TO = datetime(2026, 11, 29, 14, 30, 0, tzinfo=UTC)
READ_AT = datetime(2026, 11, 29, 14, 30, 2, 400000, tzinfo=UTC)
LAG = {"replayed_to": "2026-11-29T14:30:00Z", "read_at": "2026-11-29T14:30:02.400000Z",
       "behind_seconds": 2.4}  # fmt: skip


def two_partners(run: Run) -> None:
    """Two partners: two audit events."""
    add_partner(run, "rvd")
    add_partner(run, "sdv")


def test_verify_json_of_a_broken_trail_is_json_with_the_finding(
    run: Run, location: Location
) -> None:
    two_partners(run)
    sql(location, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 2")
    result = run("audit", "verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "intact": False,
        "findings": [
            {
                "seq": 2,
                "reason": "its content does not match its hash (altered)",
                "message": BROKEN,
            }
        ],
    }
    assert result.stderr == f"Error: {BROKEN}\n"


def test_verify_json_of_a_trail_broken_in_the_records_names_no_event(
    run: Run, location: Location
) -> None:
    two_partners(run)
    sql(
        location,
        "INSERT INTO partner (short, name, country, kind, notes, created_at, created_by) "
        "VALUES ('zz', 'Z', 'XZ', 'civil', '', '2026-01-01 00:00:00', 'x')",
    )
    result = run("audit", "verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["findings"] == [
        {
            "seq": None,
            "reason": "partner #3 has no audit event (written outside wegings)",
            "message": "Audit trail broken in the records: partner #3 has no audit event "
            "(written outside wegings).",
        }
    ]


def test_verify_without_json_prints_nothing_on_stdout(run: Run, location: Location) -> None:
    two_partners(run)
    sql(location, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 2")
    result = run("audit", "verify")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {BROKEN}\n")


@pytest.fixture
def on_a_standby(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every server session believes it reads on a standby 2.4 s behind the primary."""
    real = store_engine._server_preflight

    def preflight(connection: Connection, where: str) -> Standby | None:
        assert real(connection, where) is None  # the tests' server is a primary
        return Standby(replayed_to=REPLAYED_TO, read_at=READ_AT)

    monkeypatch.setattr(store_engine, "_server_preflight", preflight)


def test_verify_json_on_a_standby_says_how_far_behind_it_is(
    pg_run: Run, on_a_standby: None
) -> None:
    two_partners(pg_run)
    result = pg_run("audit", "verify", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["intact"] is True
    assert answer["standby"] == LAG
    assert result.stderr.startswith("Read on a standby, which has the primary's transactions up")


def test_verify_json_of_a_broken_trail_on_a_standby_says_it_too(
    pg_run: Run, pg_url: str, on_a_standby: None
) -> None:
    two_partners(pg_run)
    sql(Location(url=pg_url), "UPDATE audit_event SET actor = 'mallory' WHERE seq = 2")
    result = pg_run("audit", "verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["standby"] == LAG
    assert result.stderr.endswith(f"Error: {BROKEN}\n")


def test_verify_json_on_a_primary_has_no_standby(pg_run: Run) -> None:
    two_partners(pg_run)
    assert "standby" not in json.loads(pg_run("audit", "verify", "--json").stdout)
