"""Consents in the core: what is recorded, listed and revoked, what is refused.

A refusal writes nothing: every refused call leaves the audit trail as it was.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.items_world import LATER, T0, UNTIL, UTC_FEB, refused
from tests.sharing_world import add_consent, add_item, world
from wegings.config import Location
from wegings.errors import InvalidInput, NotFound, Refused, WegingsError
from wegings.sharing.consents import (
    consent_json,
    list_consents,
    parse_consent_id,
    parse_end,
    record_consent,
    revoke_consent,
)
from wegings.store.engine import session_scope
from wegings.timeutil import end_of_day


@pytest.fixture
def db(location: Location, migrated_db: object) -> Location:
    world(location, T0)
    return location


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
