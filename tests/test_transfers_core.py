"""Transfers in the core: recorded only when allowed, with their decision and conditions.

A refusal writes nothing: every refused call leaves the audit trail as it was.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.items_world import LATER, T0, events, refused
from tests.sharing_world import add_consent, add_item, world
from wegings.config import Location
from wegings.errors import InvalidInput, NeedsPermission, Refused
from wegings.register.overview import partner_overview
from wegings.sharing.transfers import list_transfers, share, transfer_json
from wegings.store.audit import verify
from wegings.store.engine import session_scope


@pytest.fixture
def db(location: Location, migrated_db: object) -> Location:
    world(location, T0)
    return location


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
