"""The audit trail: one event per change, chained; tampering is found and named."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import col, select

from tests.conftest import NOW, Run, add_partner, sql
from wegings.config import Location
from wegings.store.audit import (
    BasisMismatch,
    audit_head,
    basis_cutoff,
    event_hash,
    format_basis,
    parse_basis,
    record_change,
    snapshot,
)
from wegings.store.chain import GENESIS_HASH, canonical
from wegings.store.engine import session_scope
from wegings.store.models import AuditEvent, Partner


@pytest.fixture
def populated(run: Run, migrated_db: Location) -> Run:
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
        "tree_size": 6,
        "root": data["root"],
        "checkpoint": None,
    }


def test_anchor_catches_events_cut_off_the_end(populated: Run, location: Location) -> None:
    anchor = json.loads(populated("audit", "verify", "--json").stdout)["head"]
    assert populated("audit", "verify", "--expect", anchor).exit_code == 0
    # Remove the newest record and its event together: the chain alone cannot see it.
    sql(location, "DELETE FROM partner WHERE short = 'bor'")
    sql(location, "DELETE FROM audit_event WHERE seq = 6")
    # A stray node of the tree gives it away ...
    assert populated("audit", "verify").exit_code == 1
    # ... so remove the nodes event 6 made too (those whose last leaf is its, index 5).
    sql(location, "DELETE FROM audit_node WHERE (idx + 1) * (1 << level) - 1 = 5")
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


def test_altered_event_is_named(populated: Run, location: Location) -> None:
    sql(location, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 4")
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 4: its content does not match its hash (altered).\n"
    )


def test_removed_event_is_named(populated: Run, location: Location) -> None:
    sql(location, "DELETE FROM audit_event WHERE seq = 3")
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert (
        result.stderr == "Error: Audit trail broken at event 3: the event is missing (removed).\n"
    )


def test_reordered_events_are_named(populated: Run, location: Location) -> None:
    sql(location, "UPDATE audit_event SET seq = 100 WHERE seq = 2")
    sql(location, "UPDATE audit_event SET seq = 2 WHERE seq = 3")
    sql(location, "UPDATE audit_event SET seq = 3 WHERE seq = 100")
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 2: it does not follow event 1 (removed or reordered).\n"
    )


def test_rehashed_forgery_is_still_found_through_the_records(
    populated: Run, location: Location
) -> None:
    """Changing a record itself (not its event) is found by comparing it with its last event."""
    sql(location, "UPDATE partner SET country = 'XQ' WHERE short = 'sdv'")
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 4: partner #2 no longer matches this event "
        "(changed outside wegings).\n"
    )


def test_record_inserted_behind_our_back_is_found(populated: Run, location: Location) -> None:
    sql(
        location,
        "INSERT INTO partner (short, name, country, kind, notes, created_at, created_by) "
        "VALUES ('zz', 'Z', 'XZ', 'civil', '', '2026-01-01 00:00:00', 'x')",
    )
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken in the records: partner #4 has no audit event "
        "(written outside wegings).\n"
    )


def test_record_deleted_behind_our_back_is_found(populated: Run, location: Location) -> None:
    sql(location, "DELETE FROM partner WHERE short = 'bor'")
    result = populated("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Audit trail broken at event 6: partner #3 of this event no longer exists "
        "(deleted outside wegings).\n"
    )


def test_failed_command_leaves_no_event(populated: Run, location: Location) -> None:
    before = sql(location, "SELECT count(*) FROM audit_event")
    result = populated("new-partner", "X", "--short", "rvd", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 1
    assert sql(location, "SELECT count(*) FROM audit_event") == before


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


# --------------------------------------------------------------------------- basis


def test_the_basis_of_an_empty_trail_is_genesis(location: Location) -> None:
    with session_scope(location, write=True):
        pass  # creates the database, with no events yet
    with session_scope(location, write=False) as session:
        assert audit_head(session) == (0, GENESIS_HASH)
        assert basis_cutoff(session, 0, GENESIS_HASH[:8]) < NOW - timedelta(days=365_000)


def test_the_basis_is_the_newest_event(populated: Run, location: Location) -> None:
    newest = json.loads(populated("audit", "log", "--limit", "1", "--json").stdout)[0]
    verified = json.loads(populated("audit", "verify", "--json").stdout)
    with session_scope(location, write=False) as session:
        seq, full = audit_head(session)
        assert (seq, full) == (6, newest["hash"])
        assert format_basis(seq, full) == verified["head"] == f"6:{full[:16]}"
        assert basis_cutoff(session, seq, full[:8]) == basis_cutoff(session, seq, full)
        cutoff = basis_cutoff(session, *parse_basis(format_basis(seq, full)))
        older = basis_cutoff(session, 3, sql_hash(session, 3)[:8])
    assert cutoff.isoformat().replace("+00:00", "Z") == newest["at"]
    assert older < cutoff


def sql_hash(session: object, seq: int) -> str:
    from sqlmodel import Session

    assert isinstance(session, Session)
    event = session.get(AuditEvent, seq)
    assert event is not None
    return event.hash


def test_a_basis_with_another_hash_is_refused(populated: Run, location: Location) -> None:
    with session_scope(location, write=False) as session, pytest.raises(BasisMismatch) as caught:
        basis_cutoff(session, 3, "3fa9c2d1")
    assert caught.value.message == (
        "Basis 3:3fa9c2d1 does not match the audit trail: event 3 has another hash (rewritten?)"
    )
    assert caught.value.exit_code == 2


def test_a_basis_beyond_the_trail_is_refused(populated: Run, location: Location) -> None:
    with session_scope(location, write=False) as session:
        with pytest.raises(BasisMismatch) as caught:
            basis_cutoff(session, 12, "3fa9c2d1")
        with pytest.raises(BasisMismatch) as genesis:
            basis_cutoff(session, 0, "3fa9c2d1")
    assert caught.value.message == (
        "Basis 12:3fa9c2d1 does not match the audit trail: there is no event 12, the trail "
        "ends at event 6 (removed?)"
    )
    assert genesis.value.message == (
        "Basis 0:3fa9c2d1 does not match the audit trail: the empty trail has another hash"
    )


def test_a_basis_whose_later_events_are_not_later_in_time_is_refused(
    populated: Run, location: Location
) -> None:
    """Records stamped before the clock was read under the lock cannot be replayed by time."""
    with session_scope(location, write=False) as session:
        third = sql_hash(session, 3)
    sql(
        location,
        "UPDATE audit_event SET at = (SELECT at FROM audit_event WHERE seq = 2) WHERE seq = 5",
    )
    with session_scope(location, write=False) as session, pytest.raises(BasisMismatch) as caught:
        basis_cutoff(session, 3, third[:8])
    assert caught.value.message == (
        f"Basis 3:{third[:8]} cannot be replayed by time: event 5 is recorded before event 4 "
        "(recorded times out of order)"
    )


def test_a_malformed_basis_is_a_usage_error() -> None:
    from wegings.errors import InvalidInput

    for text in ("12", "12:3fa9c2d", "x:3fa9c2d1", "12:3fa9c2dz"):
        with pytest.raises(InvalidInput) as caught:
            parse_basis(text)
        assert caught.value.message == (
            f"--basis {text!r} is not a basis; give SEQ:HASH as printed with the decision, "
            "e.g. 12:3fa9c2d1e07b4a55."
        )
    assert parse_basis(" 12:3FA9C2D1 ") == (12, "3fa9c2d1")
