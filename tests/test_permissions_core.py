"""Permissions in the core: who may grant them, what is refused.

A refusal writes nothing: every refused call leaves the audit trail as it was.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.items_world import LATER, T0, UNTIL, refused
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.domain import Role
from wegings.errors import InvalidInput, Refused
from wegings.sharing.consents import record_permission
from wegings.store.audit import verify
from wegings.store.engine import session_scope
from wegings.timeutil import end_of_day


@pytest.fixture
def db(location: Location, migrated_db: object) -> Location:
    world(location, T0)
    return location


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
