"""The loader's strict reading and its rebuilt snapshots agree with the store and the trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from tests.conftest import Run, sql
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.notes.notes import withdraw
from wegings.register.partners import create_partner, get_partner
from wegings.sharing.records import RELIED_ON, record_kinds
from wegings.store.audit import AUDITED, record_change, snapshot
from wegings.store.chain import canonical
from wegings.store.engine import recorded_now, session_scope
from wegings.store.models import (
    AuditEvent,
    Consent,
    FlagRetraction,
    ItemCorrection,
    MembershipChange,
    PartnerCorrection,
    PermissionRevocation,
    Person,
    PersonCorrection,
    RoleGrant,
    RoleRevocation,
)
from wegings.store.stored import (
    Unreadable,
    read_bool,
    read_date,
    read_datetime,
    stored_datetime_text,
)
from wegings.timeutil import utcnow


def until() -> str:
    return (utcnow() + timedelta(days=90)).date().isoformat()


@pytest.fixture
def full(location: Location, run: Run, migrated_db: Location) -> Location:
    """A store with at least one row in every audited table."""
    base = utcnow() - timedelta(days=2)
    world(location, base)
    with session_scope(location, write=True) as session:
        create_partner(
            session, actor="registrar", now=base + timedelta(hours=1), name="Dienst OUD",
            short="oud", country="XR", kind="military", groups=["CTG"], notes="Oude dienst",
        )  # fmt: skip
    later = base + timedelta(hours=2)
    add_item(location, "RVD-1", "rvd", now=later, tags=["ct", "cyber"], subject="Onderwerp")
    add_item(location, "AIVD-1", "self", now=later, personal_data=True, classification="GEHEIM")
    add_item(location, "AIVD-2", "self", now=later, unevaluated=True)
    assert run("consent", "RVD-1", "--to", "smi", "--until", until(), "--condition", "Parafraseren",
               "--purpose", "CT").exit_code == 0  # fmt: skip
    assert run("consent", "--tag", "ct", "--originator", "rvd", "--to", "ctg",
               "--until", until()).exit_code == 0  # fmt: skip
    assert run("revoke", "#1", "--reason", "Brief").exit_code == 0
    permit = ("permit", "AIVD-2", "--to", "rvd", "--role", "minister", "--until", until(),
              "--granted-by", "mr. A. Minister")  # fmt: skip
    assert run("--as", "minister.bz", *permit, "--reason", "B", "--ctivd-notified").exit_code == 0
    shared = run("share", "AIVD-1", "--to", "rvd", "--reliability", "B2", "--age", "2025")
    assert shared.exit_code == 0, shared.output
    with session_scope(location, write=True) as session:
        withdraw(session, partner=get_partner(session, "smi"), reason="Opgeschort", actor="dg",
                 now=utcnow())  # fmt: skip
    with session_scope(location, write=True) as session:
        now = recorded_now(session)
        for record in (
            PartnerCorrection(partner_id=1, name="Dienst R", reason="Naam", recorded_at=now,
                              recorded_by="registrar"),
            MembershipChange(group_id=1, partner_id=1, change="leave", valid_from=now,
                             reason="Uitgetreden", recorded_at=now, recorded_by="registrar"),
            ItemCorrection(item_id=1, personal_data=True, add_tags='["x"]', reason="Fout",
                           recorded_at=now, recorded_by="analist"),
            PermissionRevocation(permission_id=1, reason="Ingetrokken", recorded_at=now,
                                 recorded_by="analist"),
            FlagRetraction(flag_id=1, reason="Vergissing", recorded_at=now, recorded_by="dg"),
            Person(login="h.de.boer", name="mr. H. de Boer", function="directeur-generaal",
                   recorded_at=now, recorded_by="h.de.boer"),
            PersonCorrection(person_id=1, function="dg", reason="Kort", recorded_at=now,
                             recorded_by="h.de.boer"),
            RoleGrant(person_id=1, role="dg", reason="", recorded_at=now,
                      recorded_by="h.de.boer"),
            RoleRevocation(grant_id=1, reason="Vertrokken", recorded_at=now,
                           recorded_by="h.de.boer"),
        ):  # fmt: skip
            record_change(session, actor="tester", action="test.record", record=record, now=now)
    return location


def test_rebuilt_snapshots_equal_audit_snapshots_for_every_audited_table(full: Location) -> None:
    kinds = record_kinds()
    assert set(kinds) == set(AUDITED)
    with session_scope(full, write=False) as session:
        raw = session.connection()  # rows as the driver gives them, as the loader reads them
        changes = {(e.entity, e.entity_id): e.change for e in session.exec(select(AuditEvent))}
        for entity, model in AUDITED.items():
            kind = kinds[entity]
            query = f"SELECT {kind.select('t')} FROM {kind.table} t"  # noqa: S608
            rows = raw.exec_driver_sql(query).fetchall()
            assert rows, f"no {entity} rows in the fixture"
            records = {r.id: r for r in session.exec(select(model))}  # type: ignore[attr-defined]
            for values in rows:
                typed = kind.read(values, lambda: entity)  # noqa: B023
                rebuilt = kind.snapshot_text(typed)
                assert rebuilt == canonical(snapshot(records[values[0]])), entity
                assert rebuilt == changes[(entity, str(values[0]))], entity


def test_every_relied_on_table_is_audited() -> None:
    # Transfers are records of decisions; the people register says who acted, which no
    # decision of the third-party rule relies on.
    people = {"person", "person_correction", "role_grant", "role_revocation"}
    assert set(RELIED_ON) == set(AUDITED) - {"transfer"} - people


@pytest.mark.sqlite_only(reason="SQLite keeps times as text, in the format tested here")
def test_the_stored_datetime_format_is_what_sqlalchemy_writes(location: Location) -> None:
    moment = datetime(2026, 11, 29, 11, 5, 7, 120, tzinfo=UTC)
    round_moment = datetime(2026, 11, 29, 11, 5, 7, tzinfo=UTC)
    with session_scope(location, write=True) as session:
        for n, at in enumerate((moment, round_moment)):
            session.add(
                Consent(originator="rvd", holder="self", recipient="smi", item_id=None,
                        tag=f"t{n}", valid_from=at, valid_until=at, recorded_at=at,
                        recorded_by="x")
            )  # fmt: skip
    stored = [row[0] for row in sql(location, "SELECT recorded_at FROM consent")]
    assert stored == [stored_datetime_text(moment), stored_datetime_text(round_moment)]
    assert [read_datetime(text) for text in stored] == [moment, round_moment]


@pytest.mark.parametrize(
    "value",
    ["", "2026-11-29", "2026-11-29 11:05:07", "2026-11-29T11:05:07.000000", "2026-02-30 "
     "00:00:00.000000", " 2026-11-29 11:05:07.000000", "2026-11-29 11:05:07.000000Z", 5, None],
)  # fmt: skip
def test_read_datetime_refuses_every_other_form(value: object) -> None:
    with pytest.raises(Unreadable):
        read_datetime(value)


@pytest.mark.parametrize("value", ["", "0", "1", "false", "true", 2, -1, 1.0, None, b"1"])
def test_read_bool_takes_only_0_1_and_real_bools(value: object) -> None:
    with pytest.raises(Unreadable):
        read_bool(value)
    assert (read_bool(0), read_bool(1), read_bool(True), read_bool(False)) == (
        False, True, True, False,
    )  # fmt: skip


@pytest.mark.parametrize("value", ["2026-1-29", "20261129", "2026-11-29 ", 20261129, None])
def test_read_date_refuses_every_other_form(value: object) -> None:
    with pytest.raises(Unreadable):
        read_date(value)
