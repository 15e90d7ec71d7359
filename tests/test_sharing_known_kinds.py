"""The trail-completeness check knows every audited kind of event, not only those relied on.

A check counts the events of every kind in `wegings.store.audit.AUDITED` (and transfers): a
table audited later, such as a people register, must not make every check an error once one
of its records is written, while an event of no known kind still does.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import Run, sql
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.sharing.records import RELIED_ON, known_kinds, record_kinds
from wegings.store import audit
from wegings.store.chain import chain_hash
from wegings.store.models import Partner
from wegings.timeutil import utcnow

HINT = "run `wegings audit verify`."


@pytest.fixture
def db(location: Location, migrated_db: Location) -> Location:
    """rvd, smi, bsv and our own item AIVD-1 (no personal data)."""
    base = utcnow() - timedelta(days=1)
    world(location, base)
    add_item(location, "AIVD-1", "self", now=base + timedelta(hours=1))
    return location


def append_event(db: Location, entity: str) -> int:
    """Append one hash-chained event of `entity` at the head, as wegings would write it."""
    last, at, prev = sql(db, "SELECT seq, at, hash FROM audit_event ORDER BY seq DESC LIMIT 1")[0]
    seq, action = int(str(last)) + 1, f"{entity}.create"
    moment = str(at).replace(" ", "T") + "Z"
    change = json.dumps({"id": 1, "login": "j.jansen"}, sort_keys=True, separators=(",", ":"))
    digest = chain_hash(seq, moment, "tester", action, entity, "1", change, str(prev))
    sql(
        db,
        "INSERT INTO audit_event (seq, at, actor, action, entity, entity_id, change, prev_hash, "
        "hash) VALUES (?, ?, 'tester', ?, ?, '1', ?, ?, ?)",
        *(seq, at, action, entity, change, prev, digest),
    )
    return seq


@pytest.fixture
def person_audited(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new audited kind 'person', as the people register adds one (its table is not read)."""
    record_kinds()  # built from the real models first, so the stand-in model is never read
    monkeypatch.setitem(audit.AUDITED, "person", Partner)


def test_known_kinds_are_every_audited_kind(person_audited: None) -> None:
    assert set(known_kinds()) == set(audit.AUDITED)
    assert "person" in known_kinds()
    assert "transfer" in known_kinds()
    assert "person" not in RELIED_ON


def test_known_kinds_are_the_audited_kinds_in_their_order() -> None:
    # Written out in `records.AUDITED_TABLES`; a table audited later must be added there.
    assert known_kinds() == tuple(audit.AUDITED)


def test_an_event_of_a_newly_audited_kind_keeps_the_checks_answering(
    run: Run, db: Location, person_audited: None
) -> None:
    append_event(db, "person")
    single = run("can-share", "self/AIVD-1", "--to", "rvd", "--json")
    assert single.exit_code == 0, single.output
    assert json.loads(single.stdout)["decision"] == "allowed"
    batch = run("can-share", "--batch", "-", "--json", input="item,to\nself/AIVD-1,rvd\n")
    assert batch.exit_code == 0, batch.output
    assert json.loads(batch.stdout)["error"] is None


def test_an_event_of_no_audited_kind_is_still_an_error(run: Run, db: Location) -> None:
    seq = append_event(db, "no_such_kind")
    result = run("can-share", "self/AIVD-1", "--to", "rvd")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Error: The audit trail ends at event {seq} but holds {seq - 1} events of a known "
        f"kind: events were removed or changed outside wegings; {HINT}\n"
    )


def test_a_relied_on_table_is_still_counted_beside_the_new_kinds(
    run: Run, db: Location, person_audited: None
) -> None:
    append_event(db, "person")
    sql(db, "INSERT INTO item_tag (item_id, tag) VALUES (1, 'ct')")
    result = run("can-share", "self/AIVD-1", "--to", "rvd")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "Error: item_tag: 1 record but 0 audit events — a record was added outside wegings; "
        f"{HINT}\n"
    )
