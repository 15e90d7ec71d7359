"""Items in the core: what is recorded, what is refused.

A refusal writes nothing: every refused call leaves the audit trail as it was.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.items_world import LATER, T0, events, refused
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.errors import InvalidInput, NotFound, Refused, WegingsError
from wegings.sharing.items import create_item, item_json, list_items
from wegings.store.audit import verify
from wegings.store.engine import session_scope


@pytest.fixture
def db(location: Location, migrated_db: object) -> Location:
    world(location, T0)
    return location


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
