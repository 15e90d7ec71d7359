"""Items, consents, permissions and transfers in the core: what is recorded, what is refused.

A refusal writes nothing: every refused call leaves the audit trail as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.sharing_world import add_consent, add_item, world
from wegings.config import Location
from wegings.domain import Role
from wegings.errors import InvalidInput, NeedsPermission, NotFound, Refused, WegingsError
from wegings.register.overview import partner_overview
from wegings.sharing.consents import (
    consent_json,
    list_consents,
    parse_consent_id,
    parse_end,
    record_consent,
    record_permission,
    revoke_consent,
)
from wegings.sharing.items import create_item, item_json, list_items
from wegings.sharing.transfers import list_transfers, share, transfer_json
from wegings.store.audit import count_events, verify
from wegings.store.engine import session_scope
from wegings.timeutil import end_of_day

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
UNTIL = end_of_day(date(2026, 12, 31))
UTC_FEB = end_of_day(date(2026, 2, 1))


@pytest.fixture
def db(location: Location, migrated_db: object) -> Location:
    world(location, T0)
    return location


def events(location: Location) -> int:
    with session_scope(location, write=False) as session:
        return count_events(session)


def refused(
    location: Location, error: type[WegingsError], message: str, call: Callable[[Any], object]
) -> None:
    """`call(session)` raises `error` with `message` and writes nothing."""
    before = events(location)
    with pytest.raises(error) as caught, session_scope(location, write=True) as session:
        call(session)
    assert caught.value.message == message
    assert type(caught.value) is error
    assert events(location) == before


# --------------------------------------------------------------------------- items


def test_item_is_recorded_with_tags_and_audited(db: Location) -> None:
    before = events(db)
    with session_scope(db, write=True) as session:
        row = create_item(
            session,
            actor="analist",
            now=LATER,
            ref="RVD-2026-0042",
            originator="RVD",
            received_from="smi",
            received_on=date(2026, 1, 2),
            personal_data=True,
            classification="Stg. Confidentieel",
            subject="Reisbewegingen",
            tags=["CT", "ct", "cyber"],
        )
    assert row.handle == "rvd/RVD-2026-0042"
    assert item_json(row) == {
        "handle": "rvd/RVD-2026-0042",
        "originator": "rvd",
        "ref": "RVD-2026-0042",
        "received_from": "smi",
        "received_on": "2026-01-02",
        "personal_data": True,
        "unevaluated": False,
        "classification": "Stg. Confidentieel",
        "subject": "Reisbewegingen",
        "tags": ["ct", "cyber"],
        "recorded_at": "2026-01-05T10:00:00Z",
        "recorded_by": "analist",
        "corrections": 0,
    }
    assert events(db) == before + 3  # the item and its two tags
    with session_scope(db, write=False) as session:
        assert verify(session).events == before + 3


def test_handle_always_names_the_originator(db: Location) -> None:
    # Printed as REF, "X-1" would stop meaning rvd's item once self registers its own X-1.
    assert add_item(db, "X-1", "rvd", now=LATER) == "rvd/X-1"
    assert add_item(db, "X-1", "self", now=LATER) == "self/X-1"
    with session_scope(db, write=False) as session:
        assert [r.handle for r in list_items(session)] == ["rvd/X-1", "self/X-1"]
        assert [r.handle for r in list_items(session, originator="self")] == ["self/X-1"]


def test_items_filter_by_tag(db: Location) -> None:
    add_item(db, "A", "rvd", now=LATER, tags=["ct"])
    add_item(db, "B", "rvd", now=LATER, tags=["cyber"])
    with session_scope(db, write=False) as session:
        assert [r.item.ref for r in list_items(session, tag="CT")] == ["A"]


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (
            {"ref": "a/b"},
            InvalidInput,
            "Reference 'a/b' must not contain spaces or '/' ('/' separates originator and "
            "reference in ORIGINATOR/REF).",
        ),
        ({"ref": "  "}, InvalidInput, "Reference must not be empty."),
        (
            {"originator": "xyz"},
            NotFound,
            "No partner 'xyz'. Known: bsv, rvd, smi. See `wegings partners`.",
        ),
        (
            {"originator": "ctg"},
            InvalidInput,
            "The originator must be a partner or self, not the group 'ctg'.",
        ),
        (
            {"received_from": None},
            InvalidInput,
            "An item from rvd needs --received-from PARTNER: the service we got it from.",
        ),
        (
            {"originator": "self"},
            InvalidInput,
            "An item of our own (--originator self) was not received from anyone; leave out "
            "--received-from.",
        ),
        (
            {"received_from": "self"},
            InvalidInput,
            "--received-from names the partner we got the item from, not self.",
        ),
        (
            {"tags": ["c t"]},
            InvalidInput,
            "Tag 'c t' must be 1–40 characters: a letter or digit, then letters, digits, '_', "
            "'.', ':' or '-'.",
        ),
        (
            {"received_on": date(2026, 1, 6)},
            InvalidInput,
            "The date 2026-01-06 lies in the future.",
        ),
        (
            {"ref": "DUP"},
            Refused,
            "Item rvd/DUP exists already; a reference is unique per originator. See `wegings "
            "items --originator rvd`.",
        ),
    ],
)
def test_bad_items_are_refused(
    db: Location, changes: dict[str, Any], error: type[WegingsError], message: str
) -> None:
    add_item(db, "DUP", "rvd", now=T0 + timedelta(minutes=1))
    arguments: dict[str, Any] = {
        "actor": "analist",
        "now": LATER,
        "ref": "R-1",
        "originator": "rvd",
        "received_from": "rvd",
        "received_on": None,
    } | changes
    refused(db, error, message, lambda session: create_item(session, **arguments))


# --------------------------------------------------------------------------- consents


def test_consents_are_listed_for_an_item_with_standing_ones_for_its_tags(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=LATER, tags=["ct"])
    add_item(db, "RVD-2", "rvd", now=LATER)
    first = add_consent(
        db,
        now=LATER,
        item="RVD-1",
        to="SMI",
        purpose=" CT ",
        conditions=["Alleen parafraseren", "Alleen parafraseren"],
        reference="RVD-C-1",
    )
    add_consent(db, now=LATER, item="RVD-2", to="smi")
    standing = add_consent(db, now=LATER, tag="ct", originator="rvd", to="ctg", valid_until=UNTIL)
    with session_scope(db, write=False) as session:
        rows = list_consents(session, item="RVD-1")
        data = [consent_json(row, LATER) for row in rows]
    assert [d["id"] for d in data] == [first, standing]
    assert data[0] == {
        "id": first,
        "originator": "rvd",
        "holder": "self",
        "recipient": "smi",
        "item": "rvd/RVD-1",
        "tag": None,
        "purpose": "CT",
        "valid_from": "2026-01-05T10:00:00Z",
        "valid_until": None,
        "conditions": ["Alleen parafraseren"],
        "reference": "RVD-C-1",
        "recorded_at": "2026-01-05T10:00:00Z",
        "recorded_by": "analist",
        "status": "valid",
        "revoked_at": None,
        "revoked_by": None,
        "revocation_reason": None,
    }
    assert data[1]["tag"] == "ct"
    # The end date is the whole day in The Hague (CET, UTC+1 in winter).
    assert data[1]["valid_until"] == "2026-12-31T22:59:59.999999Z"


def test_consent_status_over_time_and_revocation(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=LATER)
    consent = add_consent(
        db,
        now=LATER,
        item="RVD-1",
        to="smi",
        valid_from=LATER + timedelta(days=1),
        valid_until=end_of_day(date(2026, 2, 1)),
    )
    with session_scope(db, write=False) as session:
        (row,) = list_consents(session)
    assert consent_json(row, LATER)["status"] == "not yet valid"
    assert consent_json(row, datetime(2026, 2, 2, tzinfo=UTC))["status"] == "expired"
    with session_scope(db, write=True) as session:
        revoke_consent(
            session, consent_id=consent, reason="Brief", actor="hoofd", now=LATER + timedelta(1)
        )
    with session_scope(db, write=False) as session:
        (row,) = list_consents(session)
    data = consent_json(row, LATER + timedelta(days=2))
    assert (data["status"], data["revoked_by"], data["revocation_reason"]) == (
        "revoked",
        "hoofd",
        "Brief",
    )
    refused(
        db,
        Refused,
        f"Consent #{consent} was revoked already on 2026-01-06T10:00:00Z by hoofd.",
        lambda session: revoke_consent(
            session, consent_id=consent, reason="Nog eens", actor="a", now=LATER + timedelta(2)
        ),
    )
    refused(
        db,
        NotFound,
        "No consent #99. See `wegings consents`.",
        lambda session: revoke_consent(session, consent_id=99, reason="x", actor="a", now=LATER),
    )


def test_our_consent_for_a_partner_holder(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=LATER)
    consent = add_consent(db, now=LATER, item="AIVD-1", holder="rvd", to="smi")
    with session_scope(db, write=False) as session:
        (row,) = list_consents(session)
    assert (row.consent.id, row.consent.originator, row.consent.holder) == (consent, "self", "rvd")


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({}, InvalidInput, "Give an ITEM, or --tag with --originator for a standing consent."),
        (
            {"item": "RVD-1", "tag": "ct"},
            InvalidInput,
            "Give either an ITEM or --tag (a standing consent), not both.",
        ),
        (
            {"item": "RVD-1", "originator": "rvd"},
            InvalidInput,
            "--originator is only for standing consents (--tag); an item's consent comes from "
            "its originator.",
        ),
        (
            {"tag": "ct", "valid_until": UNTIL},
            InvalidInput,
            "A standing consent (--tag) needs --originator: whose items it covers.",
        ),
        (
            {"tag": "ct", "originator": "rvd"},
            InvalidInput,
            "A standing consent (--tag) must have an end date: give --until DATE.",
        ),
        (
            {"item": "RVD-1", "valid_until": end_of_day(date(2026, 1, 4))},
            InvalidInput,
            "--until 2026-01-04 23:59 lies in the past: for a letter recorded late, give the "
            "start of its window with --from DATE.",
        ),
        (
            {
                "item": "RVD-1",
                "valid_from": datetime(2026, 3, 1, tzinfo=UTC),
                "valid_until": UTC_FEB,
            },
            InvalidInput,
            "--until 2026-02-01 23:59 lies before --from 2026-03-01 01:00; swap them.",
        ),
        ({"item": "NOPE"}, NotFound, "No item 'NOPE'. See `wegings items`."),
        (
            {"item": "RVD-1", "to": "rvd"},
            Refused,
            "Item rvd/RVD-1 originates with rvd; passing back needs no consent.",
        ),
        (
            {"item": "RVD-1", "to": "xx"},
            NotFound,
            "No partner or group 'xx'. Known: bsv, ctg, rvd, smi. See `wegings partners`.",
        ),
        (
            {"item": "AIVD-1"},
            Refused,
            "Item self/AIVD-1 is our own; we need no consent to pass on our own items.",
        ),
        (
            {"tag": "ct", "originator": "self", "valid_until": UNTIL},
            Refused,
            "Items tagged 'ct' are our own; we need no consent to pass on our own items.",
        ),
        (
            {"item": "RVD-1", "holder": "bsv"},
            Refused,
            "A partner holder (--holder bsv) can only be given our consent, for our own items; "
            "item rvd/RVD-1 originates with rvd.",
        ),
        (
            {"item": "AIVD-1", "holder": "smi"},
            InvalidInput,
            "The holder and the recipient are both smi.",
        ),
        (
            {"item": "AIVD-1", "holder": "ctg"},
            InvalidInput,
            "--holder must be a partner or self, not the group 'ctg'.",
        ),
    ],
)
def test_bad_consents_are_refused(
    db: Location, arguments: dict[str, Any], error: type[WegingsError], message: str
) -> None:
    add_item(db, "RVD-1", "rvd", now=T0 + timedelta(minutes=1))
    add_item(db, "AIVD-1", "self", now=T0 + timedelta(minutes=1))
    call: dict[str, Any] = {"actor": "analist", "now": LATER, "to": "smi"} | arguments
    refused(db, error, message, lambda session: record_consent(session, **call))


def test_consent_ids_and_end_dates_as_typed() -> None:
    assert parse_consent_id("#12") == parse_consent_id(" 12 ") == 12
    with pytest.raises(InvalidInput) as caught:
        parse_consent_id("twelve")
    assert caught.value.message == "Consent id 'twelve' is not a number; see `wegings consents`."
    assert parse_end("2026-12-31", field="--until") == UNTIL
    assert parse_end("2026-12-31T12:00+01:00", field="--until") == datetime(
        2026, 12, 31, 11, 0, tzinfo=UTC
    )


# --------------------------------------------------------------------------- permissions


def permission(session: Any, item: str, role: Role, *, notified: bool = False) -> object:
    return record_permission(
        session,
        actor="minister.bz",
        now=LATER,
        item=item,
        to="rvd",
        role=role,
        valid_until=UNTIL,
        reason="Besluit 2026/1",
        granted_by="mr. A. Minister",
        ctivd_notified=notified,
    )


def test_unevaluated_data_needs_the_minister_and_a_notified_ctivd(db: Location) -> None:
    add_item(db, "U-1", "self", now=T0 + timedelta(minutes=1), unevaluated=True)
    refused(
        db,
        Refused,
        "Item self/U-1 is unevaluated data: only the minister may permit passing it on "
        "(--role minister).",
        lambda session: permission(session, "U-1", Role.dg, notified=True),
    )
    refused(
        db,
        Refused,
        "Item self/U-1 is unevaluated data: the CTIVD must be notified of the permission; "
        "record it with --ctivd-notified once that is done.",
        lambda session: permission(session, "U-1", Role.minister),
    )
    with session_scope(db, write=True) as session:
        permission(session, "U-1", Role.minister, notified=True)
    add_item(db, "P-1", "self", now=LATER, personal_data=True)
    with session_scope(db, write=True) as session:
        permission(session, "P-1", Role.dg)
        assert verify(session).records > 0


def test_permission_end_date_must_lie_ahead(db: Location) -> None:
    add_item(db, "P-1", "self", now=T0 + timedelta(minutes=1))
    refused(
        db,
        InvalidInput,
        "--until 2026-01-04 23:59 lies in the past; the record would never apply.",
        lambda session: record_permission(
            session,
            actor="m",
            now=LATER,
            item="P-1",
            to="rvd",
            role=Role.dg,
            valid_until=end_of_day(date(2026, 1, 4)),
            reason="x",
            granted_by="mr. A. Minister",
        ),
    )


# --------------------------------------------------------------------------- transfers


def do_share(location: Location, item: str, to: str, **extra: Any) -> Any:
    with session_scope(location, write=True) as session:
        return share(
            session, actor="analist", now=LATER + timedelta(minutes=5), item=item, to=to, **extra
        )


def test_share_records_the_decision_and_conditions(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=LATER)
    add_consent(db, now=LATER, item="RVD-1", to="ctg", conditions=["Parafraseren"])
    _, result = do_share(db, "RVD-1", "ctg", purpose="CT")
    assert result.decision.outcome == "allowed"
    with session_scope(db, write=False) as session:
        (row,) = list_transfers(session, to="smi")
        assert list_transfers(session, to="bsv") == []
        data = transfer_json(row)
        assert verify(session).events == events(db)
    assert data["to"] == "ctg"
    assert data["members"] == ["rvd", "smi"]
    assert data["purpose"] == "CT"
    # The conditions of each member's note in force travel with the provision to it.
    assert data["conditions"] == [
        "Not to be passed on to third parties without the consent of AIVD",
        "Geen verdere verstrekking zonder toestemming van de AIVD.",
        "Parafraseren",
        "Persoonsgegevens alleen na toestemming per verstrekking.",
        "Geen gegevens die tot vervolging wegens politieke activiteiten kunnen leiden.",
        "Do not name the originating service (source protection)",
    ]
    assert data["decision"]["decision"] == "allowed"
    assert data["decision"]["as_of"] == "2026-01-05T10:05:00Z"
    assert [r["code"] for r in data["decision"]["reasons"]][:2] == [
        "originator_is_party",
        "note_in_force",
    ]


def test_share_refuses_what_is_not_allowed_and_writes_nothing(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=LATER)
    add_item(db, "AIVD-1", "self", now=LATER, personal_data=True)
    refused(
        db,
        Refused,
        "Item rvd/RVD-1 may not be passed to smi now (denied): No consent from rvd to AIVD "
        "covers item rvd/RVD-1 for smi or any group it belongs to (ctg); the third-party rule "
        "forbids passing it on. Nothing was recorded.",
        lambda session: share(session, actor="a", now=LATER, item="RVD-1", to="smi"),
    )
    refused(
        db,
        NeedsPermission,
        "Item self/AIVD-1 may not be passed to smi now (needs permission): A permission from "
        "the minister or the director-general (under mandate) for item self/AIVD-1 to smi is "
        "required because smi is a risicodienst (note v1 is verhoogd) and item self/AIVD-1 "
        "holds personal data. Nothing was recorded.",
        lambda session: share(session, actor="a", now=LATER, item="AIVD-1", to="smi"),
    )
    refused(
        db,
        InvalidInput,
        "Item self/AIVD-1 holds personal data: state the reliability (--reliability) and the "
        "age (--age) of the data; nothing was recorded.",
        lambda session: share(
            session, actor="a", now=LATER, item="AIVD-1", to="rvd", reliability="B2"
        ),
    )
    transfer, _ = do_share(db, "AIVD-1", "rvd", reliability="B2", age="Oktober 2025")
    assert (transfer.reliability, transfer.age) == ("B2", "Oktober 2025")


def test_show_lists_consents_and_transfers_of_a_partner(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=LATER)
    add_item(db, "AIVD-1", "self", now=LATER)
    add_consent(db, now=LATER, item="RVD-1", to="ctg")
    add_consent(db, now=LATER, item="AIVD-1", holder="bsv", to="rvd")
    do_share(db, "AIVD-1", "rvd")
    with session_scope(db, write=False) as session:
        rvd = partner_overview(session, "rvd", now=LATER + timedelta(hours=1))
        smi = partner_overview(session, "smi", now=LATER + timedelta(hours=1))
        bsv = partner_overview(session, "bsv", now=LATER + timedelta(hours=1))
    assert [(c["originator"], c["recipient"]) for c in rvd["consents"]] == [
        ("rvd", "ctg"),
        ("self", "rvd"),
    ]
    assert [c["recipient"] for c in smi["consents"]] == ["ctg"]
    assert [c["holder"] for c in bsv["consents"]] == ["bsv"]
    assert [t["item"] for t in rvd["transfers"]] == ["self/AIVD-1"]
    assert smi["transfers"] == []
    assert json.dumps(rvd)  # plain JSON throughout
