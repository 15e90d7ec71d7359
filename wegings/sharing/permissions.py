"""Higher permissions (toestemmingen) as recorded: their status now, listing and revocation.

A permission is recorded by `consents.record_permission`; it ends by a PermissionRevocation,
from its recording on. Its status now is one pure function, `permission_status`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from wegings.domain import RiskProfile
from wegings.errors import NotFound, Refused
from wegings.sharing.items import ItemValues, item_row, item_rows, resolve_recipient
from wegings.store.audit import record_change
from wegings.store.models import (
    Item,
    Partner,
    Permission,
    PermissionGrant,
    PermissionRevocation,
)
from wegings.text import MAX_TEXT_LENGTH, clean_text, parse_record_id
from wegings.timeutil import display_minute, iso

VALID = "valid"
EXPIRED = "expired"
REVOKED = "revoked"
NOT_YET_VALID = "not yet valid"
NO_LONGER_COUNTS = "no longer counts"

Since = tuple[datetime, str]
"""A moment a permission must postdate to count, and what happened then."""


def permission_status(
    *,
    valid_from: datetime,
    valid_until: datetime,
    revoked_at: datetime | None,
    now: datetime,
    must_postdate: Sequence[Since] = (),
) -> tuple[str, str | None]:
    """(status, why) of a permission at `now`: revoked, expired, not yet valid, no longer
    counts, or valid.

    A permission weighs only what was on record when it was granted: it no longer counts when
    something it must postdate (the recipient's `verhoogd` note in force, developments flagged
    on the recipient) happened after it was granted. `why` says what, for that status only.
    """
    if revoked_at is not None and revoked_at <= now:
        return REVOKED, None
    if valid_until < now:
        return EXPIRED, None
    if valid_from > now:
        return NOT_YET_VALID, None
    later = sorted((moment, why) for moment, why in must_postdate if moment > valid_from)
    if later:
        return NO_LONGER_COUNTS, "; ".join(why for _, why in later)
    return VALID, None


@dataclass(frozen=True)
class PermissionRow:
    """A permission with who granted it, its revocation (if any) and its item now."""

    permission: Permission
    item_handle: str
    item: ItemValues
    granted_by: str | None
    revocation: PermissionRevocation | None


def _by_permission(session: Session, model: Any, ids: list[int]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            {
                r.permission_id: r
                for r in session.exec(select(model).where(col(model.permission_id).in_(chunk)))
            }
        )
    return found


def _rows(session: Session, permissions: list[Permission]) -> list[PermissionRow]:
    ids = [p.id for p in permissions if p.id is not None]
    grants: dict[int, PermissionGrant] = _by_permission(session, PermissionGrant, ids)
    revocations: dict[int, PermissionRevocation] = _by_permission(
        session, PermissionRevocation, ids
    )
    item_ids = sorted({p.item_id for p in permissions})
    items = list(session.exec(select(Item).where(col(Item.id).in_(item_ids)))) if item_ids else []
    by_item = {row.item.id: row for row in item_rows(session, items)}
    rows = []
    for permission in permissions:
        item = by_item[permission.item_id]
        grant = grants.get(permission.id or -1)
        rows.append(
            PermissionRow(
                permission,
                item.handle,
                item.values,
                grant.granted_by if grant is not None else None,
                revocations.get(permission.id or -1),
            )
        )
    return rows


def list_permissions(
    session: Session, *, now: datetime, item: str | None = None, to: str | None = None
) -> list[PermissionRow]:
    """All permissions, oldest first; or those for one item, or to one recipient (a partner's
    include those to the groups it belongs to at `now`)."""
    from wegings.register.partners import groups_at

    query = select(Permission).order_by(col(Permission.id))
    if item is not None:
        query = query.where(Permission.item_id == item_row(session, item).item.id)
    if to is not None:
        recipient = resolve_recipient(session, to)
        partner = session.exec(select(Partner).where(Partner.short == recipient)).first()
        keys = [recipient]
        if partner is not None:
            keys += list(groups_at(session, partner, at=now, keys=True))
        query = query.where(col(Permission.recipient).in_(keys))
    return _rows(session, list(session.exec(query)))


def _must_postdate(session: Session, row: PermissionRow, now: datetime) -> list[Since]:
    """What the permission must postdate now, as the rules weigh it (see rule 4)."""
    from wegings.notes.notes import current_note, note_states, open_flags

    recipient = row.permission.recipient
    partner = session.exec(select(Partner).where(Partner.short == recipient)).first()
    if partner is None:
        return []  # a group: each member is weighed by can-share at the moment of a check
    since: list[Since] = []
    current = current_note(note_states(session, partner))
    if (
        row.item.personal_data
        and current is not None
        and current.establishment is not None
        and current.in_force(now)
        and current.profile is RiskProfile.verhoogd
    ):
        established = current.establishment.established_at
        since.append(
            (
                established,
                f"{recipient}'s verhoogd note v{current.version} was established on "
                f"{display_minute(established)}, after it was granted",
            )
        )
    flags = open_flags(session, partner, now)
    if flags:
        latest = max(flag.recorded_at for flag in flags)
        since.append(
            (
                latest,
                f"developments were flagged on {recipient} on {display_minute(latest)}, after "
                "it was granted",
            )
        )
    return since


def permission_json(session: Session, row: PermissionRow, now: datetime) -> dict[str, Any]:
    """A permission as plain JSON, with its status at `now` and why (for no longer counts)."""
    permission, revocation = row.permission, row.revocation
    status, why = permission_status(
        valid_from=permission.valid_from,
        valid_until=permission.valid_until,
        revoked_at=revocation.recorded_at if revocation is not None else None,
        now=now,
        must_postdate=_must_postdate(session, row, now),
    )
    return {
        "id": permission.id,
        "item": row.item_handle,
        "recipient": permission.recipient,
        "role": permission.role,
        "granted_by": row.granted_by,
        "valid_from": iso(permission.valid_from),
        "valid_until": iso(permission.valid_until),
        "reason": permission.reason,
        "ctivd_notified": permission.ctivd_notified,
        "recorded_at": iso(permission.recorded_at),
        "recorded_by": permission.recorded_by,
        "status": status,
        "status_reason": why,
        "revoked_at": iso(revocation.recorded_at) if revocation else None,
        "revoked_by": revocation.recorded_by if revocation else None,
        "revocation_reason": revocation.reason if revocation else None,
    }


def permissions_about(session: Session, short: str, now: datetime) -> list[dict[str, Any]]:
    """A partner's permissions (to it, or to a group it belongs to now) as plain JSON, with
    their status at `now`: for `wegings show`."""
    return [
        permission_json(session, row, now) for row in list_permissions(session, now=now, to=short)
    ]


def parse_permission_id(text: str) -> int:
    """A permission id as typed: 12 or #12."""
    return parse_record_id(text, what="permission", listing="wegings permissions")


def revoke_permission(
    session: Session, *, permission_id: int, reason: str, actor: str, now: datetime
) -> PermissionRevocation:
    """Revoke a permission from now on (a new record; the permission stays as it was)."""
    text = clean_text(reason, field="Reason", multiline=True, max_length=MAX_TEXT_LENGTH)
    if session.get(Permission, permission_id) is None:
        raise NotFound(f"No permission #{permission_id}. See `wegings permissions`.")
    earlier = session.exec(
        select(PermissionRevocation).where(PermissionRevocation.permission_id == permission_id)
    ).first()
    if earlier is not None:
        raise Refused(
            f"Permission #{permission_id} was revoked already on "
            f"{display_minute(earlier.recorded_at)} by {earlier.recorded_by}."
        )
    revocation = PermissionRevocation(
        permission_id=permission_id, reason=text, recorded_at=now, recorded_by=actor
    )
    record_change(session, actor=actor, action="permission.revoke", record=revocation, now=now)
    return revocation
