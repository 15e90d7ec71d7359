"""Transfers (verstrekkingen): recorded only when the rules allow them at that moment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from wegings.domain import OWN_SERVICE
from wegings.errors import InvalidInput, NeedsPermission, Refused
from wegings.sharing.items import item_row, item_rows, resolve_recipient
from wegings.sharing.listing import reached, transfer_members
from wegings.sharing.listing import transfer_json as transfer_json
from wegings.sharing.outcome import Outcome
from wegings.sharing.result import CheckResult, decision_json
from wegings.sharing.store import SharingReader
from wegings.store.audit import record_change
from wegings.store.models import GroupMembership, Item, Partner, PartnerGroup, Transfer
from wegings.text import MAX_TEXT_LENGTH, clean_text


def _refusal(result: CheckResult) -> Refused:
    """The one-line error for a transfer the rules do not allow, with every failing reason."""
    decision = result.decision
    failing = " ".join(
        reason.message for reason in decision.reasons if reason.effect is not Outcome.allowed
    )
    outcome = decision.outcome.value.replace("_", " ")
    message = (
        f"Item {result.item.handle} may not be passed to {result.recipient} now "
        f"({outcome}): {failing} Nothing was recorded."
    )
    if decision.outcome is Outcome.needs_permission:
        return NeedsPermission(message)
    return Refused(message)


def share(
    session: Session,
    *,
    actor: str,
    item: str,
    to: str,
    purpose: str | None = None,
    reliability: str | None = None,
    age: str | None = None,
    now: datetime | None = None,
) -> tuple[Transfer, CheckResult]:
    """Record that we pass `item` to `to`, only when can-share says allowed at this moment.

    The moment is the transaction's recorded time (`store.recorded_now`, read under the write
    lock); `now` is for tests that build a history and must be no earlier than the trail.
    """
    from wegings.sharing.store import recorded_moment

    clean_purpose = clean_text(purpose or "", field="Purpose", required=False, max_length=200)
    clean_reliability = clean_text(
        reliability or "", field="Reliability", required=False, max_length=MAX_TEXT_LENGTH
    )
    clean_age = clean_text(age or "", field="Age", required=False, max_length=MAX_TEXT_LENGTH)
    now = recorded_moment(session) if now is None else now
    # The check runs in this write transaction, so nothing can change between it and the record.
    result = SharingReader(session).check(
        item, to, at=now, holder=OWN_SERVICE, purpose=clean_purpose or None
    )
    if result.decision.outcome is not Outcome.allowed:
        raise _refusal(result)
    if result.item.personal_data and not (clean_reliability and clean_age):
        # CTIVD report 73: too little attention to the reliability of personal data passed on.
        raise InvalidInput(
            f"Item {result.item.handle} holds personal data: state the reliability (--reliability) "
            "and the age (--age) of the data; nothing was recorded."
        )
    transfer = Transfer(
        item_id=result.item.id,
        holder=OWN_SERVICE,
        recipient=result.recipient,
        purpose=clean_purpose or None,
        transferred_at=now,
        recorded_by=actor,
        decision=json.dumps(decision_json(result), ensure_ascii=False, sort_keys=True),
        conditions=json.dumps(carried_conditions(result), ensure_ascii=False),
        reliability=clean_reliability or None,
        age=clean_age or None,
    )
    record_change(session, actor=actor, action="transfer.record", record=transfer, now=now)
    return transfer, result


def carried_conditions(result: CheckResult) -> list[str]:
    """Every condition the transfer carries: to a group, what any member's provision needs.

    The decision kept with the transfer says which member needs which (`members`).
    """
    from wegings.sharing.result import member_conditions

    carried = dict.fromkeys(result.decision.conditions)
    for conditions in member_conditions(result.decision).values():
        carried.update(dict.fromkeys(conditions))
    return list(carried)


@dataclass(frozen=True)
class TransferRow:
    """A transfer with the handle of its item and the members it reached."""

    transfer: Transfer
    item_handle: str
    members: tuple[str, ...]


def _groups_of(session: Session, short: str) -> list[str]:
    query = (
        select(PartnerGroup.key)
        .join(GroupMembership, col(GroupMembership.group_id) == col(PartnerGroup.id))
        .join(Partner, col(Partner.id) == col(GroupMembership.partner_id))
        .where(Partner.short == short)
    )
    return list(session.exec(query))


def list_transfers(
    session: Session, *, to: str | None = None, item: str | None = None
) -> list[TransferRow]:
    """All transfers, oldest first; or those to one partner (also through a group) or group,
    or of one item."""
    query = select(Transfer).order_by(col(Transfer.id))
    recipient: str | None = None
    if to is not None:
        recipient = resolve_recipient(session, to)
        keys = [recipient, *_groups_of(session, recipient)]
        query = query.where(col(Transfer.recipient).in_(keys))
    if item is not None:
        query = query.where(col(Transfer.item_id) == item_row(session, item).item.id)
    transfers = list(session.exec(query))
    item_ids = sorted({t.item_id for t in transfers})
    items = list(session.exec(select(Item).where(col(Item.id).in_(item_ids)))) if item_ids else []
    handles = {row.item.id: row.handle for row in item_rows(session, items)}
    rows = []
    for transfer in transfers:
        members = transfer_members(transfer)
        # A transfer to a group reached the partner only if it was a member then.
        if not reached(transfer, members, recipient):
            continue
        rows.append(TransferRow(transfer, handles.get(transfer.item_id, "?"), members))
    return rows
