"""The register of foreign partner services and their groups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from wegings.domain import OWN_SERVICE, PartnerKind
from wegings.errors import InvalidInput, NotFound, Refused
from wegings.register.countries import normalise_country
from wegings.store.audit import record_change
from wegings.store.models import GroupMembership, Partner, PartnerGroup
from wegings.text import MAX_TEXT_LENGTH, clean_text, quote, reject_invisible, suggestion

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
    """The group with this name (case-insensitive), or None."""
    return session.exec(
        select(PartnerGroup).where(PartnerGroup.key == name.strip().lower())
    ).first()


def get_group(session: Session, name: str) -> PartnerGroup:
    """The group with this name, or NotFound with suggestions."""
    group = find_group(session, name)
    if group is None:
        known = [g.name for g in session.exec(select(PartnerGroup))]
        raise NotFound(suggestion(name, known, what="group", listing="wegings partners"))
    return group


def _ensure_group(session: Session, name: str, *, actor: str, now: datetime) -> PartnerGroup:
    """The group named `name`, created (and audited) on first use."""
    key = normalise_handle(name, what="Group name")
    existing = find_group(session, key)
    if existing is not None:
        return existing
    if session.exec(select(Partner).where(Partner.short == key)).first() is not None:
        raise Refused(f"Group name {quote(name)} is already a partner's handle; choose another.")
    group = PartnerGroup(key=key, name=name.strip(), created_at=now, created_by=actor)
    record_change(session, actor=actor, action="group.create", record=group, now=now)
    return group


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
    clean_name = reject_invisible(clean_text(name, field="Partner name"), field="Partner name")
    handle = normalise_handle(short, what="Handle (--short)")
    code = normalise_country(country)
    try:
        partner_kind = PartnerKind(kind.strip().lower())
    except ValueError:
        choices = ", ".join(k.value for k in PartnerKind)
        raise InvalidInput(f"Unknown kind {quote(kind)}; choose one of {choices}.") from None
    clean_notes = clean_text(
        notes, field="Notes", required=False, multiline=True, max_length=MAX_TEXT_LENGTH
    )
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


@dataclass(frozen=True)
class PartnerRow:
    """A partner with the names of its groups."""

    partner: Partner
    groups: tuple[str, ...]


def groups_of(session: Session, partner: Partner) -> tuple[str, ...]:
    """The names of the partner's groups, sorted."""
    query = (
        select(PartnerGroup.name)
        .join(GroupMembership, col(GroupMembership.group_id) == col(PartnerGroup.id))
        .where(GroupMembership.partner_id == partner.id)
        .order_by(col(PartnerGroup.key))
    )
    return tuple(session.exec(query))


def list_partners(session: Session, *, group: str | None = None) -> list[PartnerRow]:
    """All partners, or a group's members, by handle."""
    query = select(Partner).order_by(col(Partner.short))
    if group is not None:
        found = get_group(session, group)
        query = query.join(
            GroupMembership, col(GroupMembership.partner_id) == col(Partner.id)
        ).where(GroupMembership.group_id == found.id)
    return [PartnerRow(p, groups_of(session, p)) for p in session.exec(query)]
