"""The register as the read commands list it: the pure rules and the JSON, without the ORM.

`wegings partners` and `wegings groups` read a SQLite file through a read snapshot
(`register.snapshot_lists`) and a server through a session (`register.partners`); both lay the
corrections over a registration, decide memberships and shape the JSON here, so the two paths
cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from wegings.timeutil import iso

CORRECTED_FIELDS = ("name", "country", "kind", "notes")
"""The fields of a partner a correction can change; the handle never changes."""

JOIN = "join"
LEAVE = "leave"


class RegisteredPartner(Protocol):
    """What the listings read of a partner's registration (`models.Partner` or a snapshot's)."""

    @property
    def short(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def created_by(self) -> str: ...


class RegisteredGroup(Protocol):
    """What the listings read of a group (`models.PartnerGroup` or a snapshot's)."""

    @property
    def key(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def created_by(self) -> str: ...


class _Recorded(Protocol):
    @property
    def recorded_at(self) -> datetime: ...


@dataclass(frozen=True)
class PartnerValues:
    """A partner's name, country, kind and notes as they stand after its corrections."""

    short: str
    name: str
    country: str
    kind: str
    notes: str


def apply_corrections(partner: RegisteredPartner, corrections: Iterable[object]) -> PartnerValues:
    """The registration's values with each correction (in the order given) laid over them."""
    values = {field: getattr(partner, field) for field in CORRECTED_FIELDS}
    for correction in corrections:
        for field in CORRECTED_FIELDS:
            value = getattr(correction, field)
            if value is not None:
                values[field] = value
    return PartnerValues(short=partner.short, **values)


def values_known_at(
    partner: RegisteredPartner,
    corrections: Iterable[_Recorded],
    known_at: datetime | None,
) -> PartnerValues:
    """`apply_corrections` with the corrections (in recorded order) on record by `known_at`
    (None: all on record)."""
    if known_at is not None:
        corrections = [c for c in corrections if c.recorded_at <= known_at]
    return apply_corrections(partner, corrections)


@dataclass(frozen=True)
class MembershipEvent:
    """One join or leave: valid from `valid_from` in the world, on record from `recorded_at`."""

    group_id: int
    partner_id: int
    change: str  # JOIN or LEAVE
    valid_from: datetime
    recorded_at: datetime


def is_member(events: Iterable[MembershipEvent], *, at: datetime, known_at: datetime) -> bool:
    """Whether the joins and leaves of one partner and group, valid by `at` and on record by
    `known_at`, leave it a member: decided by the one rule the can-share check uses too."""
    from wegings.sharing.facts import MembershipFacts, memberships_at

    changes = [
        MembershipFacts(
            group="group",
            joins=e.change == JOIN,
            valid_from=e.valid_from,
            recorded_at=e.recorded_at,
        )
        for e in events
    ]
    return bool(memberships_at(changes, at, known_at=known_at))


def members_at(
    events: list[MembershipEvent], *, at: datetime, known_at: datetime
) -> set[tuple[int, int]]:
    """The (group id, partner id) pairs that are memberships at `at`, on record by `known_at`."""
    pairs = {(e.group_id, e.partner_id) for e in events}
    return {
        pair
        for pair in pairs
        if is_member(
            (e for e in events if (e.group_id, e.partner_id) == pair), at=at, known_at=known_at
        )
    }


def member_handles(
    pairs: set[tuple[int, int]], handles: dict[int, str], group_id: int
) -> tuple[str, ...]:
    """The handles of the group's members among the membership `pairs`, sorted."""
    return tuple(sorted(handles[p] for gid, p in pairs if gid == group_id))


class ListedPartner(Protocol):
    """A row of `wegings partners`: the partner, its groups' names and its current values."""

    @property
    def partner(self) -> RegisteredPartner: ...

    @property
    def groups(self) -> tuple[str, ...]: ...

    @property
    def values(self) -> PartnerValues: ...


class ListedGroup(Protocol):
    """A row of `wegings groups`: the group with its members' handles."""

    @property
    def group(self) -> RegisteredGroup: ...

    @property
    def members(self) -> tuple[str, ...]: ...


def partner_json(row: ListedPartner) -> dict[str, Any]:
    """A partner as plain JSON, with its current (corrected) values."""
    from wegings.register.countries import country_label, country_name

    partner, values = row.partner, row.values
    return {
        "short": partner.short,
        "name": values.name,
        "country": values.country,
        "country_name": country_name(values.country, "nl"),
        "country_label": country_label(values.country, "nl"),
        "kind": values.kind,
        "groups": list(row.groups),
        "notes": values.notes,
        "created_at": iso(partner.created_at),
        "created_by": partner.created_by,
    }


def group_json(row: ListedGroup) -> dict[str, Any]:
    """A group as plain JSON, with its members' handles."""
    return {
        "key": row.group.key,
        "name": row.group.name,
        "members": list(row.members),
        "created_at": iso(row.group.created_at),
        "created_by": row.group.created_by,
    }
