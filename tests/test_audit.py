"""The audit trail: one event per change, chained; tampering is found and named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import col, select

from tests.conftest import NOW, Run, add_partner, sql
from wegings.audit import canonical, event_hash, record_change, snapshot
from wegings.config import Location
from wegings.models import AuditEvent, Partner
from wegings.store import session_scope


@pytest.fixture
def populated(run: Run) -> Run:
    add_partner(run, "rvd", "--group", "CTG")
    add_partner(run, "sdv", "--group", "CTG")
    add_partner(run, "bor")
    return run


def test_every_change_has_an_event(populated: Run) -> None:
    events = json.loads(populated("audit", "log", "--json").stdout)
    assert [e["seq"] for e in events] == [6, 5, 4, 3, 2, 1]
    assert [e["action"] for e in reversed(events)] == [
        "partner.create",
        "group.create",
        "membership.create",
        "partner.create",
        "membership.create",
        "partner.create",
    ]
    assert events[-1]["change"]["short"] == "rvd"
    assert events[-1]["prev_hash"] == "0" * 64
    assert events[-2]["prev_hash"] == events[-1]["hash"]
    assert all(e["actor"] == "tester" for e in events)


def test_log_filters_and_limits(populated: Run) -> None:
    events = json.loads(
        populated("audit", "log", "--entity", "partner", "--limit", "2", "--json").stdout
    )
    assert [(e["seq"], e["entity"]) for e in events] == [(6, "partner"), (4, "partner")]
    table = populated("audit", "log")
    assert "partner.create" in table.stdout


def test_verify_counts_an_intact_trail(populated: Run) -> None:
    result = populated("audit", "verify")
    assert result.exit_code == 0
    head = json.loads(populated("audit", "log", "--limit", "1", "--json").stdout)[0]["hash"]
    assert result.stdout == (
        f"Audit trail intact: 6 events and 6 records checked. Head 6:{head[:16]} "
        "(write it down; check later with --expect).\n"
    )
    data = json.loads(populated("audit", "verify", "--json").stdout)
    assert data == {
        "intact": True,
        "events": 6,
        "records": 6,
        "head": f"6:{head[:16]}",
        "head_hash": head,
    }


def test_anchor_catches_events_cut_off_the_end(populated: Run, db_path: Path) -> None:
    anchor = json.loads(populated("audit", "verify", "--json").stdout)["head"]
    assert populated("audit", "verify", "--expect", anchor).exit_code == 0
    # Remove the newest record and its event together: the chain alone cannot see it.
    sql(db_path, "DELETE FROM partner WHERE short = 'bor'")
    sql(db_path, "DELETE FROM audit_event WHERE seq = 6")
    assert populated("audit", "verify").exit_code == 0
    result = populated("audit", "verify", "--expect", anchor)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 6: the trail ends at event 5, before this anchor "
        "(events removed).\n"
    )


def test_anchor_with_another_hash_is_refused(populated: Run) -> None:
    result = populated("audit", "verify", "--expect", "3:0000000000000000")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 3: its hash differs from the anchor given "
        "(rewritten).\n"
    )


def test_malformed_anchor_is_a_usage_error(populated: Run) -> None:
    result = populated("audit", "verify", "--expect", "six")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --expect 'six' is not an anchor; give SEQ:HASH as printed by "
        "`wegings audit verify`, e.g. 12:3fa9c2d1e07b4a55.\n"
    )


def test_unknown_entity_in_log_is_named(populated: Run) -> None:
    result = populated("audit", "log", "--entity", "partners")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: No kind of record 'partners'. Known: ")
    assert "partner" in result.stderr


def test_altered_event_is_named(populated: Run, db_path: Path) -> None:
    sql(db_path, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 4")
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 4: its content does not match its hash (altered).\n"
    )


def test_removed_event_is_named(populated: Run, db_path: Path) -> None:
    sql(db_path, "DELETE FROM audit_event WHERE seq = 3")
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert (
        result.stderr == "Error: Audit trail broken at event 3: the event is missing (removed).\n"
    )


def test_reordered_events_are_named(populated: Run, db_path: Path) -> None:
    sql(db_path, "UPDATE audit_event SET seq = 100 WHERE seq = 2")
    sql(db_path, "UPDATE audit_event SET seq = 2 WHERE seq = 3")
    sql(db_path, "UPDATE audit_event SET seq = 3 WHERE seq = 100")
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 2: it does not follow event 1 (removed or reordered).\n"
    )


def test_rehashed_forgery_is_still_found_through_the_records(populated: Run, db_path: Path) -> None:
    """Changing a record itself (not its event) is found by comparing it with its last event."""
    sql(db_path, "UPDATE partner SET country = 'XQ' WHERE short = 'sdv'")
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 4: partner #2 no longer matches this event "
        "(changed outside wegings).\n"
    )


def test_record_inserted_behind_our_back_is_found(populated: Run, db_path: Path) -> None:
    sql(
        db_path,
        "INSERT INTO partner (short, name, country, kind, notes, created_at, created_by) "
        "VALUES ('zz', 'Z', 'XZ', 'civil', '', '2026-01-01 00:00:00', 'x')",
    )
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken in the records: partner #4 has no audit event "
        "(written outside wegings).\n"
    )


def test_record_deleted_behind_our_back_is_found(populated: Run, db_path: Path) -> None:
    sql(db_path, "DELETE FROM partner WHERE short = 'bor'")
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 6: partner #3 of this event no longer exists "
        "(deleted outside wegings).\n"
    )


def test_failed_command_leaves_no_event(populated: Run, db_path: Path) -> None:
    before = sql(db_path, "SELECT count(*) FROM audit_event")
    result = populated("new-partner", "X", "--short", "rvd", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 1
    assert sql(db_path, "SELECT count(*) FROM audit_event") == before


def test_a_record_changed_in_place_with_a_forged_event_is_found(
    populated: Run, location: Location
) -> None:
    """Even a correctly chained second event for one record betrays an in-place change."""
    with session_scope(location, write=True) as session:
        partner = session.exec(select(Partner).where(Partner.short == "sdv")).one()
        partner.country = "XQ"
        session.add(partner)
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc())).first()
        assert last is not None
        forged = AuditEvent(
            seq=last.seq + 1,
            at=NOW,
            actor="mallory",
            action="partner.update",
            entity="partner",
            entity_id=str(partner.id),
            change=canonical(snapshot(partner)),
            prev_hash=last.hash,
            hash="",
        )
        forged.hash = event_hash(forged)
        session.add(forged)
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 7: partner #2 was recorded before, at event 4: "
        "records are never changed in place.\n"
    )


def test_record_change_refuses_a_stored_record(populated: Run, location: Location) -> None:
    with session_scope(location, write=True) as session:
        partner = session.exec(select(Partner).where(Partner.short == "sdv")).one()
        with pytest.raises(RuntimeError, match="append-only"):
            record_change(session, actor="x", action="partner.update", record=partner, now=NOW)
