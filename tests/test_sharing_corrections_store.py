"""Corrections and changes through the database: replay keeps the old answer, hindsight the new.

Records are written as the commands will write them: one audited record per change
(`audit.record_change`), at explicit moments after the sharing world's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import SQLModel

from tests.conftest import sql
from tests.sharing_world import add_consent, add_item, flag, world
from wegings.config import Location
from wegings.domain import Role
from wegings.errors import InvalidInput
from wegings.register.partners import get_partner
from wegings.sharing.consents import record_permission
from wegings.sharing.facts import GroupFacts
from wegings.sharing.outcome import Outcome
from wegings.sharing.records import UnreadableRecord
from wegings.sharing.result import CheckResult, decision_json
from wegings.sharing.store import SharingReader, live_now
from wegings.store.audit import record_change
from wegings.store.engine import session_scope
from wegings.store.models import (
    FlagRetraction,
    ItemCorrection,
    MembershipChange,
    PartnerFlag,
    PermissionRevocation,
)
from wegings.timeutil import end_of_day

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ITEMS_AT = T0 + timedelta(hours=1)
CONSENTS_AT = T0 + timedelta(hours=2)
CHECK_AT = T0 + timedelta(days=1)
CHANGED_AT = T0 + timedelta(days=2)  # when a correction is recorded
AFTER = T0 + timedelta(days=3)


@pytest.fixture
def db(location: Location, migrated_db: object) -> Location:
    """rvd (CTG, standaard), smi (CTG, verhoogd, a risicodienst), bsv (flagged, no note)."""
    world(location, T0)
    return location


def record(location: Location, row: SQLModel, *, now: datetime) -> int:
    """Write one audited record at `now` and return its id."""
    with session_scope(location, write=True) as session:
        record_change(session, actor="analist", action="correction", record=row, now=now)
        identity = getattr(row, "id", None)
    assert isinstance(identity, int)
    return identity


def check(
    location: Location,
    item: str,
    to: str,
    *,
    at: datetime = CHECK_AT,
    hindsight: bool = False,
    basis: str | None = None,
) -> CheckResult:
    """One check at `at`; in hindsight with everything on record now (the read moment)."""
    with session_scope(location, write=False) as session:
        live_now(session)  # the read moment, before the snapshot is taken
        reader = SharingReader(session)
        return reader.check(item, to, at=at, hindsight=hindsight, basis=basis)


def codes(result: CheckResult) -> list[str]:
    return [reason.code.value for reason in result.decision.reasons]


def group_id(location: Location, key: str) -> int:
    rows = sql(location, f"SELECT id FROM partner_group WHERE key = '{key}'")  # noqa: S608
    value = rows[0][0]
    assert isinstance(value, int)
    return value


def partner_id(location: Location, short: str) -> int:
    with session_scope(location, write=False) as session:
        found = get_partner(session, short).id
    assert found is not None
    return found


def item_id(location: Location, ref: str) -> int:
    value = sql(location, f"SELECT id FROM item WHERE ref = '{ref}'")[0][0]  # noqa: S608
    assert isinstance(value, int)
    return value


def permit(location: Location, item: str, to: str, *, now: datetime) -> int:
    """A minister's permission for `item` to `to` from `now` for 30 days; its id."""
    with session_scope(location, write=True) as session:
        permission, _ = record_permission(
            session,
            actor="minister.bz",
            now=now,
            item=item,
            to=to,
            role=Role.minister,
            valid_until=end_of_day((now + timedelta(days=30)).date()),
            reason="Besluit",
            granted_by="mr. A. Minister",
            ctivd_notified=True,
        )
    assert permission.id is not None
    return permission.id


def members(result: CheckResult) -> list[str]:
    return [short for short, _ in result.decision.member_outcomes]


# --------------------------------------------------------------------------- item corrections


def correct_to_personal_data(location: Location, ref: str, *, now: datetime = CHANGED_AT) -> int:
    return record(
        location,
        ItemCorrection(
            item_id=item_id(location, ref),
            personal_data=True,
            reason="Bevat toch persoonsgegevens",
            recorded_at=now,
            recorded_by="analist",
        ),
        now=now,
    )


def test_an_item_correction_holds_from_registration_but_is_on_record_only_from_then(
    db: Location,
) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    add_consent(db, now=CONSENTS_AT, item="RVD-1", to="smi")
    before = check(db, "RVD-1", "smi")
    assert before.decision.outcome is Outcome.allowed
    correct_to_personal_data(db, "RVD-1")

    replay = check(db, "RVD-1", "smi", at=CHECK_AT)
    assert decision_json(replay) | {"basis": ""} == decision_json(before) | {"basis": ""}
    after = check(db, "RVD-1", "smi", at=AFTER)
    assert after.decision.outcome is Outcome.needs_permission
    assert "permission_required_risk" in codes(after)
    assert after.item.personal_data is True
    hindsight = check(db, "RVD-1", "smi", at=CHECK_AT, hindsight=True)
    assert hindsight.decision.outcome is Outcome.needs_permission
    assert hindsight.hindsight is True
    assert hindsight.known_at is not None
    assert hindsight.known_at > AFTER
    data = decision_json(hindsight)
    assert data["hindsight"] is True
    assert data["known_at"] is not None
    assert "hindsight" not in decision_json(replay)


def test_corrected_tags_decide_which_standing_consents_cover(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT, tags=["ct"])
    add_consent(
        db,
        now=CONSENTS_AT,
        tag="ct",
        originator="rvd",
        to="smi",
        valid_until=end_of_day((AFTER + timedelta(days=30)).date()),
    )
    assert check(db, "RVD-1", "smi").decision.outcome is Outcome.allowed
    record(
        db,
        ItemCorrection(
            item_id=item_id(db, "RVD-1"),
            add_tags=json.dumps(["cyber"]),
            remove_tags=json.dumps(["ct"]),
            reason="Verkeerd onderwerp",
            recorded_at=CHANGED_AT,
            recorded_by="analist",
        ),
        now=CHANGED_AT,
    )
    assert check(db, "RVD-1", "smi").decision.outcome is Outcome.allowed
    corrected = check(db, "RVD-1", "smi", at=AFTER)
    assert corrected.item.tags == frozenset({"cyber"})
    assert codes(corrected)[0] == "no_consent"


# --------------------------------------------------------------------------- groups over time


def leave(location: Location, short: str, group: str, *, since: datetime, now: datetime) -> int:
    return record(
        location,
        MembershipChange(
            group_id=group_id(location, group),
            partner_id=partner_id(location, short),
            change="leave",
            valid_from=since,
            reason="Uitgetreden",
            recorded_at=now,
            recorded_by="registrar",
        ),
        now=now,
    )


def join(location: Location, short: str, group: str, *, since: datetime, now: datetime) -> int:
    return record(
        location,
        MembershipChange(
            group_id=group_id(location, group),
            partner_id=partner_id(location, short),
            change="join",
            valid_from=since,
            recorded_at=now,
            recorded_by="registrar",
        ),
        now=now,
    )


def test_a_member_that_left_is_no_longer_provided_to_nor_covered(db: Location) -> None:
    add_item(db, "BSV-1", "bsv", now=ITEMS_AT)
    add_consent(db, now=CONSENTS_AT, item="BSV-1", to="ctg")
    assert members(check(db, "BSV-1", "ctg")) == ["rvd", "smi"]
    leave(db, "rvd", "ctg", since=CHECK_AT - timedelta(hours=1), now=CHANGED_AT)

    # Replay: the leave was not on record at CHECK_AT.
    assert members(check(db, "BSV-1", "ctg")) == ["rvd", "smi"]
    assert check(db, "BSV-1", "rvd").decision.outcome is Outcome.allowed
    # Hindsight: rvd had left by then.
    hindsight = check(db, "BSV-1", "ctg", hindsight=True)
    assert members(hindsight) == ["smi"]
    assert codes(check(db, "BSV-1", "rvd", hindsight=True))[0] == "no_consent"
    assert codes(check(db, "BSV-1", "rvd", at=AFTER))[0] == "no_consent"
    recipient = SharingReaderProbe.recipient(db, "ctg", AFTER)
    assert [m.short for m in recipient.members] == ["smi"]


def test_a_member_that_joins_again_is_covered_only_by_consents_given_since(db: Location) -> None:
    add_item(db, "BSV-1", "bsv", now=ITEMS_AT)
    add_consent(db, now=CONSENTS_AT, item="BSV-1", to="ctg")
    leave(db, "rvd", "ctg", since=CHECK_AT, now=CHECK_AT)
    join(db, "rvd", "ctg", since=CHANGED_AT, now=CHANGED_AT)
    assert members(check(db, "BSV-1", "ctg", at=AFTER)) == ["rvd", "smi"]
    assert codes(check(db, "BSV-1", "rvd", at=AFTER))[0] == "no_consent"
    add_consent(db, now=AFTER, item="BSV-1", to="ctg")
    assert check(db, "BSV-1", "rvd", at=AFTER + timedelta(hours=1)).decision.outcome is (
        Outcome.allowed
    )


def test_a_join_recorded_later_with_an_earlier_date_counts_in_hindsight(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    add_consent(db, now=CONSENTS_AT, item="RVD-1", to="ctg")
    join(db, "bsv", "ctg", since=ITEMS_AT, now=CHANGED_AT)
    assert members(check(db, "RVD-1", "ctg")) == ["rvd", "smi"]
    hindsight = check(db, "RVD-1", "ctg", hindsight=True)
    assert members(hindsight) == ["bsv", "rvd", "smi"]
    assert hindsight.decision.outcome is Outcome.denied  # bsv has no note
    bsv = [r for r in hindsight.decision.reasons if r.member == "bsv"]
    assert "consent_present" in [r.code.value for r in bsv]


class SharingReaderProbe:
    """The loader's view of a recipient, for assertions on group members."""

    @staticmethod
    def recipient(location: Location, name: str, at: datetime) -> GroupFacts:
        with session_scope(location, write=False) as session:
            found = SharingReader(session).recipient(name, at)
        assert isinstance(found, GroupFacts)
        return found


# --------------------------------------------------------------------------- permissions


def test_a_revoked_permission_no_longer_counts_from_its_recording(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT, personal_data=True)
    assert check(db, "AIVD-1", "smi").decision.outcome is Outcome.needs_permission
    permission = permit(db, "AIVD-1", "smi", now=CONSENTS_AT)
    before = check(db, "AIVD-1", "smi")
    assert before.decision.outcome is Outcome.allowed
    record(
        db,
        PermissionRevocation(
            permission_id=permission,
            reason="Besluit ingetrokken",
            recorded_at=CHANGED_AT,
            recorded_by="minister.bz",
        ),
        now=CHANGED_AT,
    )
    assert check(db, "AIVD-1", "smi").decision.outcome is Outcome.allowed
    assert check(db, "AIVD-1", "smi", hindsight=True).decision.outcome is Outcome.allowed
    after = check(db, "AIVD-1", "smi", at=AFTER)
    assert after.decision.outcome is Outcome.needs_permission
    assert "revoked" in after.decision.reasons[-1].message


# --------------------------------------------------------------------------- flags


def flag_id(location: Location, short: str) -> int:
    value = sql(
        location,
        "SELECT id FROM partner_flag WHERE partner_id = ? ORDER BY id DESC",
        partner_id(location, short),
    )[0][0]
    assert isinstance(value, int)
    return value


def test_a_retracted_flag_no_longer_counts_from_its_retraction(db: Location) -> None:
    add_item(db, "AIVD-3", "self", now=ITEMS_AT)
    flag(db, "rvd", now=CONSENTS_AT)
    assert check(db, "AIVD-3", "rvd").decision.outcome is Outcome.needs_permission
    record(
        db,
        FlagRetraction(
            flag_id=flag_id(db, "rvd"),
            reason="Verkeerde dienst",
            recorded_at=CHANGED_AT,
            recorded_by="analist",
        ),
        now=CHANGED_AT,
    )
    assert check(db, "AIVD-3", "rvd").decision.outcome is Outcome.needs_permission
    # In hindsight the flag was a mistake from the start: it never counted.
    assert check(db, "AIVD-3", "rvd", hindsight=True).decision.outcome is Outcome.allowed
    assert check(db, "AIVD-3", "rvd", at=AFTER).decision.outcome is Outcome.allowed


def test_developments_dated_before_their_flag_was_recorded_count_in_hindsight(
    db: Location,
) -> None:
    add_item(db, "AIVD-3", "self", now=ITEMS_AT)
    record(
        db,
        PartnerFlag(
            partner_id=partner_id(db, "rvd"),
            reason="Politieke onrust",
            observed_on=T0.date(),
            recorded_at=CHANGED_AT,
            recorded_by="analist",
        ),
        now=CHANGED_AT,
    )
    assert check(db, "AIVD-3", "rvd").decision.outcome is Outcome.allowed
    assert check(db, "AIVD-3", "rvd", hindsight=True).decision.outcome is (Outcome.needs_permission)


# --------------------------------------------------------------------------- late letters


def test_a_late_consent_letter_counts_in_hindsight_only(db: Location) -> None:
    from wegings.store.models import Consent

    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    record(
        db,
        Consent(
            originator="rvd",
            holder="self",
            recipient="smi",
            item_id=item_id(db, "RVD-1"),
            valid_from=T0,
            valid_until=end_of_day(CHECK_AT.date()),
            reference="RVD-brief",
            recorded_at=CHANGED_AT,
            recorded_by="analist",
        ),
        now=CHANGED_AT,
    )
    assert codes(check(db, "RVD-1", "smi"))[0] == "no_consent"
    assert check(db, "RVD-1", "smi", hindsight=True).decision.outcome is Outcome.allowed


# --------------------------------------------------------------------------- hindsight input


def test_hindsight_and_a_basis_exclude_each_other(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    basis = check(db, "RVD-1", "smi").basis
    with pytest.raises(InvalidInput) as raised:
        check(db, "RVD-1", "smi", hindsight=True, basis=basis)
    assert raised.value.message == (
        "--hindsight judges with everything on record now and --basis with what was on record "
        "at a decision's basis: give one of them."
    )


def test_hindsight_without_changes_equals_the_replay(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    add_consent(db, now=CONSENTS_AT, item="RVD-1", to="ctg")
    for to in ("smi", "ctg", "bsv"):
        replay, hindsight = check(db, "RVD-1", to), check(db, "RVD-1", to, hindsight=True)
        assert replay.decision == hindsight.decision


# --------------------------------------------------------------------------- integrity


@pytest.mark.parametrize(
    "table", ["permission_revocation", "item_correction", "membership_change", "flag_retraction"]
)
def test_a_deleted_correction_makes_every_check_an_error(db: Location, table: str) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT, personal_data=True)
    permission = permit(db, "AIVD-1", "smi", now=CONSENTS_AT)
    correct_to_personal_data(db, "AIVD-1")
    record(
        db,
        PermissionRevocation(
            permission_id=permission, reason="x", recorded_at=CHANGED_AT, recorded_by="m"
        ),
        now=CHANGED_AT + timedelta(seconds=1),
    )
    leave(db, "rvd", "ctg", since=CHANGED_AT, now=CHANGED_AT + timedelta(seconds=2))
    flag(db, "smi", now=CHANGED_AT + timedelta(seconds=3))
    record(
        db,
        FlagRetraction(
            flag_id=flag_id(db, "smi"),
            reason="x",
            recorded_at=CHANGED_AT + timedelta(seconds=4),
            recorded_by="a",
        ),
        now=CHANGED_AT + timedelta(seconds=4),
    )
    assert check(db, "AIVD-1", "smi", at=AFTER).decision.outcome is Outcome.needs_permission
    sql(db, f"DELETE FROM {table}")  # noqa: S608
    with pytest.raises(UnreadableRecord) as raised:
        check(db, "AIVD-1", "smi", at=AFTER)
    assert raised.value.message == (
        f"{table}: 0 records but 1 audit event — a record was deleted outside wegings; "
        "run `wegings audit verify`."
    )


def test_a_changed_correction_or_revocation_is_an_error(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    permission = permit(db, "AIVD-1", "rvd", now=CONSENTS_AT)
    correction = correct_to_personal_data(db, "AIVD-1")
    assert check(db, "AIVD-1", "smi", at=AFTER).decision.outcome is Outcome.needs_permission
    sql(db, "UPDATE item_correction SET personal_data = false")
    with pytest.raises(UnreadableRecord) as raised:
        check(db, "AIVD-1", "smi", at=AFTER)
    assert raised.value.message == (
        f"Correction #{correction} of item self/AIVD-1 no longer matches its audit event — it "
        "was changed outside wegings; run `wegings audit verify`."
    )
    sql(db, "UPDATE item_correction SET personal_data = true")
    revocation = record(
        db,
        PermissionRevocation(
            permission_id=permission, reason="x", recorded_at=AFTER, recorded_by="m"
        ),
        now=AFTER,
    )
    sql(
        db,
        "UPDATE permission_revocation SET recorded_at = ?",
        "2026-01-09 00:00:00.000000",
    )
    with pytest.raises(UnreadableRecord) as raised:
        check(db, "AIVD-1", "rvd", at=AFTER + timedelta(hours=1))
    assert raised.value.message == (
        f"Revocation #{revocation} of permission #{permission} no longer matches its audit "
        "event — it was changed outside wegings; run `wegings audit verify`."
    )
