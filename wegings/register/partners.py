"""The register of foreign partner services and their groups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from wegings.domain import OWN_SERVICE, PartnerKind
from wegings.errors import InvalidInput, NotFound, Refused
from wegings.register.countries import normalise_country
from wegings.register.listing import (
    JOIN,
    LEAVE,
    MembershipEvent,
    PartnerValues,
    is_member,
    member_handles,
    members_at,
    values_known_at,
)
from wegings.store.audit import record_change
from wegings.store.models import (
    GroupMembership,
    MembershipChange,
    Partner,
    PartnerCorrection,
    PartnerGroup,
)
from wegings.text import MAX_TEXT_LENGTH, clean_text, quote, reject_invisible, suggestion
from wegings.timeutil import end_of_day, local_day

_HANDLE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
_RESERVED = frozenset({OWN_SERVICE, "us", "all"})
OUR_SERVICES = frozenset({"aivd", "mivd"})
"""The Dutch services this tool serves (Wiv 2017): never the handle of a foreign partner."""


def normalise_handle(value: str, *, what: str) -> str:
    """A partner or group handle in lower case; InvalidInput when its form is wrong."""
    handle = value.strip().lower()
    if not _HANDLE.match(handle):
        raise InvalidInput(
            f"{what} {quote(value)} must be 2–40 characters: a letter, then letters, digits, "
            "'-' or '_'."
        )
    if handle in _RESERVED:
        raise InvalidInput(f"{what} {quote(value)} is reserved; choose another.")
    if handle in OUR_SERVICES:
        # A partner named after us would make "from aivd" and "from self" two different parties.
        raise InvalidInput(f"{what} {quote(value)} is our own service's name; choose another.")
    return handle


def get_partner(session: Session, handle: str) -> Partner:
    """The partner with this handle (case-insensitive), or NotFound with suggestions."""
    key = handle.strip().lower()
    partner = session.exec(select(Partner).where(Partner.short == key)).first()
    if partner is None:
        known = list(session.exec(select(Partner.short)))
        raise NotFound(suggestion(handle, known, what="partner", listing="wegings partners"))
    return partner


def find_group(session: Session, name: str) -> PartnerGroup | None:
    """The group with this handle or display name (case-insensitive), or None."""
    wanted = name.strip().lower()
    by_key = session.exec(select(PartnerGroup).where(PartnerGroup.key == wanted)).first()
    if by_key is not None:
        return by_key
    # A display name may hold spaces ("Club de Berne"); it finds the group as its handle does.
    wanted_name = " ".join(name.split()).casefold()
    for group in session.exec(select(PartnerGroup).order_by(col(PartnerGroup.id))):
        if group.name.casefold() == wanted_name:
            return group
    return None


def get_group(session: Session, name: str) -> PartnerGroup:
    """The group with this name, or NotFound with suggestions."""
    group = find_group(session, name)
    if group is None:
        known = [g.name for g in session.exec(select(PartnerGroup))]
        raise NotFound(suggestion(name, known, what="group", listing="wegings groups"))
    return group


def _group_display_name(display_name: str | None) -> str | None:
    """A group's display name, cleaned (spaces allowed), or None for the handle as typed."""
    if display_name is None:
        return None
    text = reject_invisible(
        clean_text(display_name, field="Group display name (--name)", max_length=40),
        field="Group display name (--name)",
    )
    return " ".join(text.split())


def _ensure_group(
    session: Session,
    name: str,
    *,
    actor: str,
    now: datetime,
    display_name: str | None = None,
) -> PartnerGroup:
    """The group named `name`, created (and audited) on first use.

    Its handle is `name` in lower case; its display name is `display_name` (which may hold
    spaces), else `name` as typed.
    """
    key = normalise_handle(name, what="Group name")
    shown = _group_display_name(display_name)
    existing = find_group(session, key)
    if existing is not None:
        if shown is not None and shown != existing.name:
            raise Refused(
                f"Group {existing.key} exists already as {quote(existing.name)}; a join does not "
                "rename it. Leave out --name."
            )
        return existing
    if session.exec(select(Partner).where(Partner.short == key)).first() is not None:
        raise Refused(f"Group name {quote(name)} is already a partner's handle; choose another.")
    if shown is not None and find_group(session, shown) is not None:
        raise Refused(f"Group display name {quote(shown)} is taken already; choose another.")
    group = PartnerGroup(
        key=key, name=shown if shown is not None else name.strip(), created_at=now, created_by=actor
    )
    record_change(session, actor=actor, action="group.create", record=group, now=now)
    return group


def _partner_name(name: str) -> str:
    """A partner's name, checked as `new-partner` and `edit-partner` both check it."""
    return reject_invisible(clean_text(name, field="Partner name"), field="Partner name")


def _partner_kind(kind: str) -> PartnerKind:
    """A partner's kind, or InvalidInput naming the choices."""
    try:
        return PartnerKind(kind.strip().lower())
    except ValueError:
        choices = ", ".join(k.value for k in PartnerKind)
        raise InvalidInput(f"Unknown kind {quote(kind)}; choose one of {choices}.") from None


def _partner_notes(notes: str) -> str:
    """A partner's free notes (optional, several lines)."""
    return clean_text(
        notes, field="Notes", required=False, multiline=True, max_length=MAX_TEXT_LENGTH
    )


def create_partner(
    session: Session,
    *,
    actor: str,
    now: datetime,
    name: str,
    short: str,
    country: str,
    kind: str,
    groups: list[str] | None = None,
    notes: str = "",
) -> Partner:
    """Register a partner service, its groups (created on first use), and audit it all."""
    clean_name = _partner_name(name)
    handle = normalise_handle(short, what="Handle (--short)")
    code = normalise_country(country)
    partner_kind = _partner_kind(kind)
    clean_notes = _partner_notes(notes)
    # Validate every group name before anything is written; keep the first spelling of each.
    requested: dict[str, str] = {}
    for group_name in groups or []:
        requested.setdefault(normalise_handle(group_name, what="Group name"), group_name.strip())
    if session.exec(select(Partner).where(Partner.short == handle)).first() is not None:
        raise Refused(
            f"A partner with handle {quote(handle)} exists already; handles are unique. "
            f"See `wegings show {handle}`."
        )
    if find_group(session, handle) is not None:
        raise Refused(f"Handle {quote(handle)} is already a group's name; choose another.")
    partner = Partner(
        short=handle,
        name=clean_name,
        country=code,
        kind=partner_kind.value,
        notes=clean_notes,
        created_at=now,
        created_by=actor,
    )
    record_change(session, actor=actor, action="partner.create", record=partner, now=now)
    for display_name in requested.values():
        group = _ensure_group(session, display_name, actor=actor, now=now)
        membership = GroupMembership(
            group_id=_id(group), partner_id=_id(partner), added_at=now, added_by=actor
        )
        record_change(session, actor=actor, action="membership.create", record=membership, now=now)
    return partner


def _id(record: Partner | PartnerGroup) -> int:
    assert record.id is not None
    return record.id


# --------------------------------------------------------------------------- current values


def corrections_of(session: Session, partner: Partner) -> list[PartnerCorrection]:
    """The partner's corrections in the order they were recorded."""
    query = (
        select(PartnerCorrection)
        .where(PartnerCorrection.partner_id == partner.id)
        .order_by(col(PartnerCorrection.recorded_at), col(PartnerCorrection.id))
    )
    return list(session.exec(query))


def current_values(
    session: Session, partner: Partner, *, known_at: datetime | None = None
) -> PartnerValues:
    """The partner's current name, country, kind and notes: every place that shows them asks here.

    `known_at` leaves out corrections recorded after it (None: all on record).
    """
    return values_known_at(partner, corrections_of(session, partner), known_at)


def correct_partner(
    session: Session,
    *,
    partner: Partner,
    actor: str,
    now: datetime,
    reason: str,
    name: str | None = None,
    country: str | None = None,
    kind: str | None = None,
    notes: str | None = None,
) -> PartnerCorrection:
    """Record a correction of the partner's name, country, kind or notes, with why."""
    text = clean_text(reason, field="Reason", multiline=True, max_length=MAX_TEXT_LENGTH)
    given = {
        "name": _partner_name(name) if name is not None else None,
        "country": normalise_country(country) if country is not None else None,
        "kind": _partner_kind(kind).value if kind is not None else None,
        "notes": _partner_notes(notes) if notes is not None else None,
    }
    if all(value is None for value in given.values()):
        raise InvalidInput(
            "Give at least one of --name, --country, --kind or --notes to correct; "
            "the handle never changes."
        )
    current = current_values(session, partner)
    for field, value in given.items():
        if value is not None and value == getattr(current, field):
            raise Refused(
                f"The {field} of {partner.short} is {quote(value)} already; "
                "nothing to correct there."
            )
    correction = PartnerCorrection(
        partner_id=_id(partner),
        name=given["name"],
        country=given["country"],
        kind=given["kind"],
        notes=given["notes"],
        reason=text,
        recorded_at=now,
        recorded_by=actor,
    )
    record_change(session, actor=actor, action="partner.correct", record=correction, now=now)
    return correction


# --------------------------------------------------------------------------- memberships


def membership_events(
    session: Session, *, group: PartnerGroup | None = None, partner: Partner | None = None
) -> list[MembershipEvent]:
    """Every join and leave on record: a `group_membership` row is a join from its `added_at`."""
    joins = select(GroupMembership)
    changes = select(MembershipChange)
    if group is not None:
        joins = joins.where(GroupMembership.group_id == group.id)
        changes = changes.where(MembershipChange.group_id == group.id)
    if partner is not None:
        joins = joins.where(GroupMembership.partner_id == partner.id)
        changes = changes.where(MembershipChange.partner_id == partner.id)
    events = [
        MembershipEvent(m.group_id, m.partner_id, JOIN, m.added_at, m.added_at)
        for m in session.exec(joins)
    ]
    events += [
        MembershipEvent(c.group_id, c.partner_id, c.change, c.valid_from, c.recorded_at)
        for c in session.exec(changes)
    ]
    return events


def _change_membership(
    session: Session,
    *,
    partner: Partner,
    group: PartnerGroup,
    change: str,
    valid_from: datetime,
    actor: str,
    now: datetime,
    reference: str = "",
    reason: str = "",
) -> MembershipChange:
    """Record a join or a leave, audited."""
    record = MembershipChange(
        group_id=_id(group),
        partner_id=_id(partner),
        change=change,
        valid_from=valid_from,
        reference=reference,
        reason=reason,
        recorded_at=now,
        recorded_by=actor,
    )
    record_change(session, actor=actor, action=f"membership.{change}", record=record, now=now)
    return record


def join_group(
    session: Session,
    *,
    partner: Partner,
    group: str,
    valid_from: datetime,
    actor: str,
    now: datetime,
    reference: str = "",
    display_name: str | None = None,
) -> tuple[PartnerGroup, MembershipChange]:
    """Record that the partner joins `group` (created on first join) from `valid_from`."""
    clean_reference = clean_text(reference, field="Reference", required=False, max_length=200)
    found = _ensure_group(session, group, actor=actor, now=now, display_name=display_name)
    events = membership_events(session, group=found, partner=partner)
    # A member at any moment of that day (say, registered with --group at noon) cannot join.
    day_end = end_of_day(local_day(valid_from))
    if is_member(events, at=valid_from, known_at=now) or is_member(
        events, at=day_end, known_at=now
    ):
        raise Refused(
            f"{partner.short} is a member of {found.name} already on {local_day_text(valid_from)}."
            f" See `wegings groups`."
        )
    record = _change_membership(
        session,
        partner=partner,
        group=found,
        change=JOIN,
        valid_from=valid_from,
        actor=actor,
        now=now,
        reference=clean_reference,
    )
    return found, record


def leave_group(
    session: Session,
    *,
    partner: Partner,
    group: str,
    valid_from: datetime,
    reason: str,
    actor: str,
    now: datetime,
) -> tuple[PartnerGroup, MembershipChange]:
    """Record that the partner leaves `group` from `valid_from`, with why."""
    text = clean_text(reason, field="Reason", multiline=True, max_length=MAX_TEXT_LENGTH)
    found = get_group(session, group)
    if not is_member(
        membership_events(session, group=found, partner=partner), at=valid_from, known_at=now
    ):
        raise Refused(
            f"{partner.short} is not a member of {found.name} on {local_day_text(valid_from)}; "
            "nothing to leave. See `wegings groups`."
        )
    record = _change_membership(
        session,
        partner=partner,
        group=found,
        change=LEAVE,
        valid_from=valid_from,
        actor=actor,
        now=now,
        reason=text,
    )
    return found, record


def local_day_text(moment: datetime) -> str:
    """The day of `moment` in The Hague, as YYYY-MM-DD, for messages."""
    return local_day(moment).isoformat()


@dataclass(frozen=True)
class PartnerRow:
    """A partner with its current values and the names of its groups."""

    partner: Partner
    groups: tuple[str, ...]
    values: PartnerValues


def groups_at(
    session: Session,
    partner: Partner,
    *,
    at: datetime,
    known_at: datetime | None = None,
    keys: bool = False,
) -> tuple[str, ...]:
    """The partner's groups at `at` (on record by `known_at`): display names, or handles."""
    events = membership_events(session, partner=partner)
    member_of = {g for g, _ in members_at(events, at=at, known_at=known_at or at)}
    groups = session.exec(select(PartnerGroup).order_by(col(PartnerGroup.key)))
    return tuple(g.key if keys else g.name for g in groups if g.id in member_of)


def groups_of(
    session: Session, partner: Partner, *, at: datetime, known_at: datetime | None = None
) -> tuple[str, ...]:
    """The display names of the partner's groups at `at` (on record by `known_at`), by handle."""
    return groups_at(session, partner, at=at, known_at=known_at)


def membership_history(session: Session, partner: Partner) -> list[tuple[str, MembershipChange]]:
    """Every join and leave recorded for the partner, with its group's display name."""
    query = (
        select(PartnerGroup.name, MembershipChange)
        .join(PartnerGroup, col(PartnerGroup.id) == col(MembershipChange.group_id))
        .where(MembershipChange.partner_id == partner.id)
        .order_by(col(MembershipChange.recorded_at), col(MembershipChange.id))
    )
    return [(name, change) for name, change in session.exec(query)]


def partner_row(
    session: Session, partner: Partner, *, at: datetime, known_at: datetime | None = None
) -> PartnerRow:
    """The partner with its current values and its groups at `at`."""
    return PartnerRow(
        partner,
        groups_of(session, partner, at=at, known_at=known_at),
        current_values(session, partner, known_at=known_at),
    )


def list_partners(
    session: Session,
    *,
    at: datetime,
    group: str | None = None,
    known_at: datetime | None = None,
) -> list[PartnerRow]:
    """All partners, or a group's members at `at` (on record by `known_at`), by handle."""
    query = select(Partner).order_by(col(Partner.short))
    partners = list(session.exec(query))
    if group is not None:
        found = get_group(session, group)
        events = membership_events(session, group=found)
        members = {p for _, p in members_at(events, at=at, known_at=known_at or at)}
        partners = [p for p in partners if p.id in members]
    return [partner_row(session, p, at=at, known_at=known_at) for p in partners]


@dataclass(frozen=True)
class GroupRow:
    """A group with the handles of its members at a moment."""

    group: PartnerGroup
    members: tuple[str, ...]


def list_groups(
    session: Session, *, at: datetime, known_at: datetime | None = None
) -> list[GroupRow]:
    """Every group with its members at `at` (on record by `known_at`), by handle."""
    on_record = known_at or at
    events = membership_events(session)
    pairs = members_at(events, at=at, known_at=on_record)
    handles = {_id(p): p.short for p in session.exec(select(Partner))}
    return [
        GroupRow(g, member_handles(pairs, handles, _id(g)))
        for g in session.exec(select(PartnerGroup).order_by(col(PartnerGroup.key)))
        if g.created_at <= on_record
    ]
