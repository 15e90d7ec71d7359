"""Higher permissions (toestemmingen) as recorded: their status now, listing and revocation.

A permission is recorded by `consents.record_permission`; it ends by a PermissionRevocation,
from its recording on. Its status now is one pure function, `permission_status`, and what it
must postdate one rule, `must_postdate` (both in `sharing.listing`, which the read without the
ORM, `sharing.snapshot_lists`, uses too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from wegings.errors import NotFound, Refused
from wegings.sharing.items import ItemValues, item_row, item_rows, resolve_recipient
from wegings.sharing.listing import EXPIRED as EXPIRED
from wegings.sharing.listing import NO_LONGER_COUNTS as NO_LONGER_COUNTS
from wegings.sharing.listing import NOT_YET_VALID as NOT_YET_VALID
from wegings.sharing.listing import REVOKED as REVOKED
from wegings.sharing.listing import VALID as VALID
from wegings.sharing.listing import Since as Since
from wegings.sharing.listing import must_postdate, permission_record_json
from wegings.sharing.listing import permission_status as permission_status
from wegings.store.audit import record_change
from wegings.store.models import (
    Item,
    Partner,
    Permission,
    PermissionGrant,
    PermissionRevocation,
)
from wegings.text import MAX_TEXT_LENGTH, clean_text, parse_record_id
from wegings.timeutil import display_minute


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
    """What the permission must postdate now, as the rules weigh it (`listing.must_postdate`)."""
    from wegings.notes.notes import current_note, note_states, open_flags

    recipient = row.permission.recipient
    partner = session.exec(select(Partner).where(Partner.short == recipient)).first()
    if partner is None:
        return []  # a group: each member is weighed by can-share at the moment of a check
    current = current_note(note_states(session, partner))
    flags = open_flags(session, partner, now)
    return must_postdate(row, current, [flag.recorded_at for flag in flags], now)


def permission_json(session: Session, row: PermissionRow, now: datetime) -> dict[str, Any]:
    """A permission as plain JSON, with its status at `now` and why (for no longer counts)."""
    return permission_record_json(row, now, _must_postdate(session, row, now))


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
