"""`wegings partners`, `groups` and `people` read from a read snapshot: without the ORM on a file.

On a SQLite file the listings read through the snapshot's cursor (`wegings.store.snapshot`), so
they load neither SQLAlchemy nor SQLModel; on a server they read through the snapshot's session
(`register.partners`, `register.people`). The raw reader runs the statements `list_partners`,
`list_groups` and `list_people` run (so rows come in the same order), reads each value as the
model reads it, and decides with the same pure rules (`register.listing`, `register.roster`);
tests/test_lists_snapshot_register.py holds the two equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wegings.errors import NotFound
from wegings.register.listing import (
    JOIN,
    ListedGroup,
    ListedPartner,
    MembershipEvent,
    PartnerValues,
    member_handles,
    members_at,
    values_known_at,
)
from wegings.register.roster import ListedPerson, corrected, grants_held, on_record
from wegings.store.engine import stored_utc
from wegings.store.snapshot import ReadSnapshot, SessionSnapshot
from wegings.text import suggestion


def read_partners(
    snapshot: ReadSnapshot,
    *,
    at: datetime,
    group: str | None = None,
    known_at: datetime | None = None,
) -> Sequence[ListedPartner]:
    """`partners.list_partners` read from `snapshot`: through its session on a server, without
    the ORM on a SQLite file."""
    if isinstance(snapshot, SessionSnapshot):
        from wegings.register.partners import list_partners

        return list_partners(snapshot.session, at=at, group=group, known_at=known_at)
    return snapshot_partners(snapshot, at=at, group=group, known_at=known_at)


def read_groups(
    snapshot: ReadSnapshot, *, at: datetime, known_at: datetime | None = None
) -> Sequence[ListedGroup]:
    """`partners.list_groups` read from `snapshot`: through its session on a server, without the
    ORM on a SQLite file."""
    if isinstance(snapshot, SessionSnapshot):
        from wegings.register.partners import list_groups

        return list_groups(snapshot.session, at=at, known_at=known_at)
    return snapshot_groups(snapshot, at=at, known_at=known_at)


def read_people(
    snapshot: ReadSnapshot, *, at: datetime | None
) -> tuple[Sequence[ListedPerson], dict[str, tuple[str, ...] | None] | None]:
    """`people.people_listing` read from `snapshot`: the register on record at `at`, and on a
    server the database roles each login holds now (None on a file). Through its session on a
    server, without the ORM on a SQLite file."""
    if isinstance(snapshot, SessionSnapshot):
        from wegings.register.people import people_listing

        listing = people_listing(snapshot.session, at=at)
        return listing.rows, listing.database_roles
    return snapshot_people(snapshot, at=at), None


def _moment(value: Any) -> datetime:
    """A UTC time column as the model reads it on SQLite; none of those read here is null."""
    return stored_utc(value, "time")


@dataclass(frozen=True)
class SnapshotPartner:
    """A partner's registration (`models.Partner`) as read from a snapshot."""

    id: int
    short: str
    name: str
    country: str
    kind: str
    notes: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class SnapshotGroup:
    """A group (`models.PartnerGroup`) as read from a snapshot."""

    id: int
    key: str
    name: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class _Correction:
    name: str | None
    country: str | None
    kind: str | None
    notes: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class SnapshotPartnerRow:
    """A row of `wegings partners` (`partners.PartnerRow`) as read from a snapshot."""

    partner: SnapshotPartner
    groups: tuple[str, ...]
    values: PartnerValues


@dataclass(frozen=True)
class SnapshotGroupRow:
    """A row of `wegings groups` (`partners.GroupRow`) as read from a snapshot."""

    group: SnapshotGroup
    members: tuple[str, ...]


_PARTNER = "SELECT id, short, name, country, kind, notes, created_at, created_by FROM partner"
_GROUP = "SELECT id, key, name, created_at, created_by FROM partner_group"


_JOINS = {
    "": "SELECT group_id, partner_id, added_at FROM group_membership",
    "group": "SELECT group_id, partner_id, added_at FROM group_membership "
    "WHERE group_membership.group_id = ?",
    "partner": "SELECT group_id, partner_id, added_at FROM group_membership "
    "WHERE group_membership.partner_id = ?",
}
_CHANGES = {
    "": "SELECT group_id, partner_id, change, valid_from, recorded_at FROM membership_change",
    "group": "SELECT group_id, partner_id, change, valid_from, recorded_at FROM "
    "membership_change WHERE membership_change.group_id = ?",
    "partner": "SELECT group_id, partner_id, change, valid_from, recorded_at FROM "
    "membership_change WHERE membership_change.partner_id = ?",
}
"""The joins and the leaves of one group, of one partner, or all of them."""


class RegisterReader:
    """The statements of `register.partners`' listings, on a snapshot's cursor."""

    def __init__(self, snapshot: ReadSnapshot) -> None:
        self._cursor = snapshot.cursor()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row `sql` selects."""
        self._cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = self._cursor.fetchall()
        return rows

    def partners(self) -> list[SnapshotPartner]:
        """Every partner, by handle."""
        return [
            SnapshotPartner(id_, short, name, country, kind, notes, _moment(created), by)
            for id_, short, name, country, kind, notes, created, by in self.rows(
                f"{_PARTNER} ORDER BY partner.short"
            )
        ]

    def _groups(self, sql: str, params: Sequence[Any] = ()) -> list[SnapshotGroup]:
        return [
            SnapshotGroup(id_, key, name, _moment(created), by)
            for id_, key, name, created, by in self.rows(sql, params)
        ]

    def groups(self) -> list[SnapshotGroup]:
        """Every group, by handle."""
        return self._groups(f"{_GROUP} ORDER BY partner_group.key")

    def get_group(self, name: str) -> SnapshotGroup:
        """`partners.get_group`: the group with this handle or display name, or NotFound."""
        wanted = name.strip().lower()
        by_key = self._groups(f"{_GROUP} WHERE partner_group.key = ?", (wanted,))
        if by_key:
            return by_key[0]
        wanted_name = " ".join(name.split()).casefold()
        for group in self._groups(f"{_GROUP} ORDER BY partner_group.id"):
            if group.name.casefold() == wanted_name:
                return group
        known = [row[0] for row in self.rows("SELECT partner_group.name FROM partner_group")]
        raise NotFound(suggestion(name, known, what="group", listing="wegings groups"))

    def membership_events(
        self, *, group_id: int | None = None, partner_id: int | None = None
    ) -> list[MembershipEvent]:
        """`partners.membership_events` of one group, of one partner, or all of them: a
        `group_membership` row is a join from its `added_at`."""
        params: tuple[int, ...]
        if group_id is not None:
            by, params = "group", (group_id,)
        elif partner_id is not None:
            by, params = "partner", (partner_id,)
        else:
            by, params = "", ()
        events = [
            MembershipEvent(group, partner, JOIN, _moment(added), _moment(added))
            for group, partner, added in self.rows(_JOINS[by], params)
        ]
        events += [
            MembershipEvent(group, partner, change, _moment(valid_from), _moment(recorded))
            for group, partner, change, valid_from, recorded in self.rows(_CHANGES[by], params)
        ]
        return events

    def values(self, partner: SnapshotPartner, known_at: datetime | None) -> PartnerValues:
        """`partners.current_values`: after the corrections on record by `known_at`."""
        corrections = [
            _Correction(name, country, kind, notes, _moment(recorded))
            for name, country, kind, notes, recorded in self.rows(
                "SELECT name, country, kind, notes, recorded_at FROM partner_correction "
                "WHERE partner_correction.partner_id = ? "
                "ORDER BY partner_correction.recorded_at, partner_correction.id",
                (partner.id,),
            )
        ]
        return values_known_at(partner, corrections, known_at)

    def groups_of(
        self, partner: SnapshotPartner, *, at: datetime, known_at: datetime | None
    ) -> tuple[str, ...]:
        """`partners.groups_of`: the display names of the partner's groups at `at`, by handle."""
        events = self.membership_events(partner_id=partner.id)
        member_of = {g for g, _ in members_at(events, at=at, known_at=known_at or at)}
        return tuple(g.name for g in self.groups() if g.id in member_of)


def snapshot_partners(
    snapshot: ReadSnapshot,
    *,
    at: datetime,
    group: str | None = None,
    known_at: datetime | None = None,
) -> list[SnapshotPartnerRow]:
    """`partners.list_partners`, read from `snapshot` (a SQLite one) without the ORM."""
    reader = RegisterReader(snapshot)
    partners = reader.partners()
    if group is not None:
        found = reader.get_group(group)
        events = reader.membership_events(group_id=found.id)
        members = {p for _, p in members_at(events, at=at, known_at=known_at or at)}
        partners = [p for p in partners if p.id in members]
    return [
        SnapshotPartnerRow(
            p, reader.groups_of(p, at=at, known_at=known_at), reader.values(p, known_at)
        )
        for p in partners
    ]


def snapshot_groups(
    snapshot: ReadSnapshot, *, at: datetime, known_at: datetime | None = None
) -> list[SnapshotGroupRow]:
    """`partners.list_groups`, read from `snapshot` (a SQLite one) without the ORM."""
    reader = RegisterReader(snapshot)
    on_record = known_at or at
    pairs = members_at(reader.membership_events(), at=at, known_at=on_record)
    handles = {row[0]: row[1] for row in reader.rows("SELECT id, short FROM partner")}
    return [
        SnapshotGroupRow(g, member_handles(pairs, handles, g.id))
        for g in reader.groups()
        if g.created_at <= on_record
    ]


@dataclass(frozen=True)
class SnapshotPerson:
    """A registered person (`models.Person`) as read from a snapshot."""

    id: int
    login: str
    name: str
    function: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class SnapshotPersonCorrection:
    """A correction of a person (`models.PersonCorrection`) as read from a snapshot."""

    id: int
    name: str | None
    function: str | None
    reason: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class SnapshotGrant:
    """A role grant (`models.RoleGrant`) as read from a snapshot."""

    id: int
    role: str
    reason: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class SnapshotRevocation:
    """The revocation of a role grant (`models.RoleRevocation`) as read from a snapshot."""

    grant_id: int
    reason: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class SnapshotRoleHeld:
    """A grant with its revocation, if any (`people.RoleHeld`)."""

    grant: SnapshotGrant
    revocation: SnapshotRevocation | None


@dataclass(frozen=True)
class SnapshotPersonAt:
    """A person as on record at a moment (`people.PersonAt`) as read from a snapshot."""

    person: SnapshotPerson
    name: str
    function: str
    roles: tuple[str, ...]
    grants: tuple[SnapshotRoleHeld, ...]
    corrections: tuple[SnapshotPersonCorrection, ...]

    @property
    def login(self) -> str:
        """The person's login."""
        return self.person.login


def snapshot_people(snapshot: ReadSnapshot, *, at: datetime | None) -> list[SnapshotPersonAt]:
    """`people.list_people` at `at` (None: everything on record), read from `snapshot` (a SQLite
    one) without the ORM."""
    reader = RegisterReader(snapshot)
    people = [
        SnapshotPerson(id_, login, name, function, _moment(recorded), by)
        for id_, login, name, function, recorded, by in reader.rows(
            "SELECT id, login, name, function, recorded_at, recorded_by FROM person "
            "ORDER BY person.login"
        )
    ]
    return [_person_at(reader, p, at) for p in people if on_record(p.recorded_at, at)]


def _person_at(
    reader: RegisterReader, person: SnapshotPerson, at: datetime | None
) -> SnapshotPersonAt:
    """`people.person_at`: the corrections and roles on record at `at`."""
    corrections = tuple(
        c
        for c in (
            SnapshotPersonCorrection(id_, name, function, reason, _moment(recorded), by)
            for id_, name, function, reason, recorded, by in reader.rows(
                "SELECT id, name, function, reason, recorded_at, recorded_by "
                "FROM person_correction WHERE person_correction.person_id = ? "
                "ORDER BY person_correction.id",
                (person.id,),
            )
        )
        if on_record(c.recorded_at, at)
    )
    name, function = corrected(person.name, person.function, corrections)
    grants = [
        SnapshotGrant(id_, role, reason, _moment(recorded), by)
        for id_, role, reason, recorded, by in reader.rows(
            "SELECT id, role, reason, recorded_at, recorded_by FROM role_grant "
            "WHERE role_grant.person_id = ? ORDER BY role_grant.id",
            (person.id,),
        )
    ]
    # The revocations of the person's grants (`person_at` asks for those of the grants' ids).
    revocations = [
        SnapshotRevocation(grant_id, reason, _moment(recorded), by)
        for grant_id, reason, recorded, by in reader.rows(
            "SELECT role_revocation.grant_id, role_revocation.reason, "
            "role_revocation.recorded_at, role_revocation.recorded_by FROM role_revocation "
            "JOIN role_grant ON role_grant.id = role_revocation.grant_id "
            "WHERE role_grant.person_id = ?",
            (person.id,),
        )
    ]
    held, roles = grants_held(grants, revocations, at)
    return SnapshotPersonAt(
        person,
        name,
        function,
        roles,
        tuple(SnapshotRoleHeld(g, r) for g, r in held),
        corrections,
    )
