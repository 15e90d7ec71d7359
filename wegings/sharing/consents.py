"""Consents (and their revocation) and higher permissions: the records the rules rely on.

Nothing here is ever updated: a consent ends by a revocation record, from then on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from wegings.domain import OWN_SERVICE, Role
from wegings.errors import InvalidInput, NotFound, Refused
from wegings.sharing.handles import full_handle
from wegings.sharing.items import (
    get_item,
    handle_of,
    item_row,
    item_rows,
    normalise_tag,
    resolve_party,
    resolve_recipient,
)
from wegings.sharing.listing import consent_json as consent_json
from wegings.sharing.listing import consent_status as consent_status
from wegings.store.audit import record_change
from wegings.store.models import Consent, ConsentRevocation, Item, Permission, PermissionGrant
from wegings.text import MAX_TEXT_LENGTH, clean_text, parse_record_id, quote
from wegings.timeutil import display_minute, iso
from wegings.timeutil import parse_end as parse_end

MAX_CONDITION_LENGTH = 500


# --------------------------------------------------------------------------- consents


def _clean_conditions(conditions: list[str] | None) -> list[str]:
    """The conditions, each checked, in the order given, without repeats."""
    seen: dict[str, None] = {}
    for condition in conditions or []:
        text = clean_text(condition, field="Condition", max_length=MAX_CONDITION_LENGTH)
        seen[text] = None
    return list(seen)


def _check_window(valid_from: datetime, valid_until: datetime | None, now: datetime) -> None:
    """The end lies after the start and not in the past."""
    if valid_until is None:
        return
    if valid_until < now:
        raise InvalidInput(
            f"--until {display_minute(valid_until)} lies in the past; the record would never apply."
        )
    _check_order(valid_from, valid_until)


def _check_order(valid_from: datetime, valid_until: datetime | None) -> None:
    """The end lies after the start."""
    if valid_until is None:
        return
    if valid_until < valid_from:
        raise InvalidInput(
            f"--until {display_minute(valid_until)} lies before --from "
            f"{display_minute(valid_from)}; swap them."
        )


def record_consent(
    session: Session,
    *,
    actor: str,
    now: datetime,
    to: str,
    item: str | None = None,
    tag: str | None = None,
    originator: str | None = None,
    holder: str | None = None,
    purpose: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    conditions: list[str] | None = None,
    reference: str = "",
) -> Consent:
    """Record an originator's consent for one item, or a standing one for its tagged items."""
    if item is None and tag is None:
        raise InvalidInput("Give an ITEM, or --tag with --originator for a standing consent.")
    if item is not None and tag is not None:
        raise InvalidInput("Give either an ITEM or --tag (a standing consent), not both.")
    if item is not None and originator is not None:
        raise InvalidInput(
            "--originator is only for standing consents (--tag); an item's consent comes from "
            "its originator."
        )
    if tag is not None and originator is None:
        raise InvalidInput("A standing consent (--tag) needs --originator: whose items it covers.")
    if tag is not None and valid_until is None:
        raise InvalidInput("A standing consent (--tag) must have an end date: give --until DATE.")
    if purpose is not None and not purpose.strip():
        # An empty purpose given by mistake must not become a consent for any purpose.
        raise InvalidInput("--purpose is empty: leave it out for a consent for any purpose.")
    clean_purpose = (
        clean_text(purpose, field="Purpose", required=False, max_length=200) if purpose else ""
    )
    clean_reference = clean_text(reference, field="Reference", required=False, max_length=200)
    clean_conditions = _clean_conditions(conditions)
    start = valid_from or now
    if valid_from is None and valid_until is not None and valid_until < now:
        raise InvalidInput(
            f"--until {display_minute(valid_until)} lies in the past: for a letter recorded late, "
            "give the start of its window with --from DATE."
        )
    # A letter that arrives late is recorded with its real window, also one in the past: it is
    # on record only from now, so a replay of an earlier moment does not count it.
    _check_order(start, valid_until)

    found: Item | None = None
    clean_tag: str | None = None
    if item is not None:
        found = get_item(session, item)
        origin = found.originator
        what, are, originate = f"Item {full_handle(origin, found.ref)}", "is", "originates"
    else:
        assert tag is not None
        assert originator is not None
        clean_tag = normalise_tag(tag)
        origin = resolve_party(session, originator, what="--originator")
        what, are, originate = f"Items tagged {quote(clean_tag)}", "are", "originate"
    owner = resolve_party(session, holder, what="--holder") if holder else OWN_SERVICE
    recipient = resolve_recipient(session, to)
    if owner == OWN_SERVICE and origin == OWN_SERVICE:
        raise Refused(f"{what} {are} our own; we need no consent to pass on our own items.")
    if owner != OWN_SERVICE and origin != OWN_SERVICE:
        raise Refused(
            f"A partner holder (--holder {owner}) can only be given our consent, for our own "
            f"items; {what[0].lower()}{what[1:]} {originate} with {origin}."
        )
    if recipient == owner:
        raise InvalidInput(f"The holder and the recipient are both {owner}.")
    if recipient == origin:
        raise Refused(f"{what} {originate} with {origin}; passing back needs no consent.")
    consent = Consent(
        originator=origin,
        holder=owner,
        recipient=recipient,
        item_id=found.id if found is not None else None,
        tag=clean_tag,
        purpose=clean_purpose or None,
        valid_from=start,
        valid_until=valid_until,
        conditions=json.dumps(clean_conditions, ensure_ascii=False),
        reference=clean_reference,
        recorded_at=now,
        recorded_by=actor,
    )
    record_change(session, actor=actor, action="consent.record", record=consent, now=now)
    return consent


def recorded_late(consent: Consent) -> bool:
    """Whether a consent's window began before it was recorded (a letter recorded late)."""
    return consent.valid_from < consent.recorded_at


def parse_consent_id(text: str) -> int:
    """A consent id as typed: 12 or #12."""
    return parse_record_id(text, what="consent", listing="wegings consents")


def revoke_consent(
    session: Session, *, consent_id: int, reason: str, actor: str, now: datetime
) -> ConsentRevocation:
    """Revoke a consent from now on (a new record; the consent itself stays as it was)."""
    text = clean_text(reason, field="Reason", multiline=True, max_length=MAX_TEXT_LENGTH)
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise NotFound(f"No consent #{consent_id}. See `wegings consents`.")
    earlier = session.exec(
        select(ConsentRevocation).where(ConsentRevocation.consent_id == consent_id)
    ).first()
    if earlier is not None:
        raise Refused(
            f"Consent #{consent_id} was revoked already on {iso(earlier.revoked_at)} by "
            f"{earlier.revoked_by}."
        )
    revocation = ConsentRevocation(
        consent_id=consent_id, revoked_at=now, revoked_by=actor, reason=text
    )
    record_change(session, actor=actor, action="consent.revoke", record=revocation, now=now)
    return revocation


@dataclass(frozen=True)
class ConsentRow:
    """A consent with its revocation (if any) and the handle of its item (if any)."""

    consent: Consent
    revocation: ConsentRevocation | None
    item_handle: str | None


def _consent_rows(session: Session, consents: list[Consent]) -> list[ConsentRow]:
    ids = [c.id for c in consents if c.id is not None]
    revocations: dict[int, ConsentRevocation] = {}
    items: dict[int, Item] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(ConsentRevocation).where(col(ConsentRevocation.consent_id).in_(chunk))
        revocations.update({r.consent_id: r for r in session.exec(query)})
    item_ids = sorted({c.item_id for c in consents if c.item_id is not None})
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start : start + 500]
        found_items = session.exec(select(Item).where(col(Item.id).in_(chunk)))
        items.update({i.id or -1: i for i in found_items})
    handles = {row.item.id: row.handle for row in item_rows(session, list(items.values()))}
    return [
        ConsentRow(
            c,
            revocations.get(c.id or -1),
            handles.get(c.item_id) if c.item_id is not None else None,
        )
        for c in consents
    ]


def list_consents(session: Session, *, item: str | None = None) -> list[ConsentRow]:
    """All consents, or those that bear on one item (its own and standing ones for its tags)."""
    query = select(Consent).order_by(col(Consent.id))
    if item is not None:
        # Its tags now, corrections included: the standing consents that bear on it today.
        row = item_row(session, item)
        found, tags = row.item, row.tags
        scope = col(Consent.item_id) == found.id
        if tags:
            scope = scope | (
                (col(Consent.originator) == found.originator) & col(Consent.tag).in_(tags)
            )
        query = query.where(scope)
    return _consent_rows(session, list(session.exec(query)))


def consents_about(session: Session, party: str, groups: tuple[str, ...]) -> list[ConsentRow]:
    """Consents a partner gave, holds, or is (itself or through a group) a recipient of."""
    recipients = [party, *groups]
    query = (
        select(Consent)
        .where(
            (col(Consent.originator) == party)
            | (col(Consent.holder) == party)
            | col(Consent.recipient).in_(recipients)
        )
        .order_by(col(Consent.id))
    )
    return _consent_rows(session, list(session.exec(query)))


# --------------------------------------------------------------------------- permissions


def record_permission(
    session: Session,
    *,
    actor: str,
    now: datetime,
    item: str,
    to: str,
    role: Role,
    valid_until: datetime,
    reason: str,
    granted_by: str,
    ctivd_notified: bool = False,
) -> tuple[Permission, str]:
    """Record a higher permission for one item to one recipient, with who granted it (the
    minister or DG who decided; `actor` is who recorded it); returns it and the handle."""
    text = clean_text(reason, field="Reason", multiline=True, max_length=MAX_TEXT_LENGTH)
    grantor = clean_text(granted_by, field="--granted-by", max_length=200)
    _check_window(now, valid_until, now)
    found = get_item(session, item)
    handle = handle_of(found)
    recipient = resolve_recipient(session, to)
    if found.unevaluated:
        # CTIVD report 65: unevaluated data went out without ministerial permission.
        if role is not Role.minister:
            raise Refused(
                f"Item {handle} is unevaluated data: only the minister may permit passing it on "
                "(--role minister)."
            )
        if not ctivd_notified:
            raise Refused(
                f"Item {handle} is unevaluated data: the CTIVD must be notified of the "
                "permission; record it with --ctivd-notified once that is done."
            )
    permission = Permission(
        item_id=found.id or -1,
        recipient=recipient,
        role=role.value,
        valid_from=now,
        valid_until=valid_until,
        reason=text,
        ctivd_notified=ctivd_notified,
        recorded_at=now,
        recorded_by=actor,
    )
    record_change(session, actor=actor, action="permission.record", record=permission, now=now)
    grant = PermissionGrant(permission_id=permission.id or -1, granted_by=grantor)
    record_change(session, actor=actor, action="permission.grant", record=grant, now=now)
    return permission, handle
