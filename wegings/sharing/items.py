"""The items of the third-party rule: registering, finding and listing them.

An item is addressed by its reference when no other originator used the same one, else as
ORIGINATOR/REF. Items are never edited.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from wegings.domain import OWN_SERVICE
from wegings.errors import InvalidInput, NotFound, Refused
from wegings.register.partners import find_group, get_partner
from wegings.sharing.handles import ambiguous_item, full_handle, split_handle, unknown_item
from wegings.store.audit import record_change
from wegings.store.models import Item, ItemTag, Partner, PartnerGroup
from wegings.text import clean_text, quote, reject_invisible, suggestion
from wegings.timeutil import iso, local_day

_REF = re.compile(r"^[^\s/]{1,100}$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,39}$")


# --------------------------------------------------------------------------- names


def normalise_ref(value: str) -> str:
    """An item reference as given, or InvalidInput: 1–100 characters, no spaces and no '/'."""
    # NFKC folds look-alikes (full-width letters) into one reference; invisible characters
    # would let two references look the same, so they are refused.
    ref = reject_invisible(
        unicodedata.normalize("NFKC", clean_text(value, field="Reference", max_length=100)),
        field="Reference",
    )
    if not _REF.match(ref):
        raise InvalidInput(
            f"Reference {quote(value)} must not contain spaces or '/' ('/' separates "
            "originator and reference in ORIGINATOR/REF)."
        )
    return ref


def normalise_tag(value: str) -> str:
    """A tag in lower case, or InvalidInput: a letter or digit, then letters, digits, _.:-."""
    tag = value.strip().lower()
    if not _TAG.match(tag):
        raise InvalidInput(
            f"Tag {quote(value)} must be 1–40 characters: a letter or digit, then letters, "
            "digits, '_', '.', ':' or '-'."
        )
    return tag


def resolve_party(session: Session, value: str, *, what: str) -> str:
    """Our own service ("self") or the handle of a registered partner."""
    key = value.strip().lower()
    if key == OWN_SERVICE:
        return OWN_SERVICE
    if find_group(session, key) is not None:
        raise InvalidInput(f"{what} must be a partner or self, not the group {quote(key)}.")
    return get_partner(session, key).short


def resolve_recipient(session: Session, value: str) -> str:
    """The handle of a registered partner or the key of a group."""
    key = value.strip().lower()
    if key == OWN_SERVICE:
        raise InvalidInput("'self' is our own service; give a partner or a group with --to.")
    partner = session.exec(select(Partner).where(Partner.short == key)).first()
    if partner is not None:
        return partner.short
    group = find_group(session, key)
    if group is not None:
        return group.key
    known = [*session.exec(select(Partner.short)), *session.exec(select(PartnerGroup.key))]
    raise NotFound(suggestion(value, known, what="partner or group", listing="wegings partners"))


# --------------------------------------------------------------------------- items


@dataclass(frozen=True)
class ItemRow:
    """An item with its tags and the handle it is addressed by."""

    item: Item
    tags: tuple[str, ...]
    handle: str


def handle_of(item: Item) -> str:
    """ORIGINATOR/REF: a handle, once printed, keeps meaning this item when another originator
    later uses the same reference. (A bare REF is still accepted as long as it is unambiguous.)"""
    return full_handle(item.originator, item.ref)


def get_item(session: Session, text: str) -> Item:
    """The item addressed by REF or ORIGINATOR/REF, or NotFound / InvalidInput if ambiguous."""
    originator, ref = split_handle(text)
    query = select(Item).where(Item.ref == ref)
    if originator is not None:
        query = query.where(Item.originator == originator)
    found = list(session.exec(query.limit(50)))
    if not found:
        raise unknown_item(text)
    if len(found) > 1:
        raise ambiguous_item(ref, [i.originator for i in found])
    return found[0]


def create_item(
    session: Session,
    *,
    actor: str,
    now: datetime,
    ref: str,
    originator: str,
    received_from: str | None,
    received_on: date | None,
    personal_data: bool = False,
    unevaluated: bool = False,
    classification: str = "",
    subject: str = "",
    tags: list[str] | None = None,
) -> ItemRow:
    """Register an item with its tags, and audit it all."""
    clean_ref = normalise_ref(ref)
    clean_classification = clean_text(
        classification, field="Classification", required=False, max_length=100
    )
    clean_subject = clean_text(subject, field="Subject", required=False, max_length=500)
    clean_tags = sorted({normalise_tag(t) for t in tags or []})
    day = received_on or local_day(now)
    if day > local_day(now):
        raise InvalidInput(f"The date {day.isoformat()} lies in the future.")
    origin = resolve_party(session, originator, what="The originator")
    source: str | None = None
    if origin == OWN_SERVICE:
        if received_from:
            raise InvalidInput(
                "An item of our own (--originator self) was not received from anyone; "
                "leave out --received-from."
            )
    else:
        if not received_from:
            raise InvalidInput(
                f"An item from {origin} needs --received-from PARTNER: the service we got it from."
            )
        source = resolve_party(session, received_from, what="--received-from")
        if source == OWN_SERVICE:
            raise InvalidInput("--received-from names the partner we got the item from, not self.")
    existing = session.exec(
        select(Item).where(Item.originator == origin, Item.ref == clean_ref)
    ).first()
    if existing is not None:
        raise Refused(
            f"Item {full_handle(origin, clean_ref)} exists already; a reference is unique per "
            f"originator. See `wegings items --originator {origin}`."
        )
    item = Item(
        ref=clean_ref,
        originator=origin,
        received_from=source,
        received_on=day,
        personal_data=personal_data,
        unevaluated=unevaluated,
        classification=clean_classification,
        subject=clean_subject,
        recorded_at=now,
        recorded_by=actor,
    )
    record_change(session, actor=actor, action="item.create", record=item, now=now)
    assert item.id is not None
    for tag in clean_tags:
        record_change(
            session,
            actor=actor,
            action="item.tag",
            record=ItemTag(item_id=item.id, tag=tag),
            now=now,
        )
    return ItemRow(item, tuple(clean_tags), handle_of(item))


def tags_of(session: Session, item_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The tags of each of the items, sorted."""
    tags: dict[int, list[str]] = {}
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start : start + 500]
        query = select(ItemTag).where(col(ItemTag.item_id).in_(chunk)).order_by(col(ItemTag.tag))
        for tag in session.exec(query):
            tags.setdefault(tag.item_id, []).append(tag.tag)
    return {key: tuple(value) for key, value in tags.items()}


def item_rows(session: Session, items: list[Item]) -> list[ItemRow]:
    """The items with their tags and handles."""
    ids = [i.id for i in items if i.id is not None]
    tags = tags_of(session, ids)
    return [
        ItemRow(item, tags.get(item.id or -1, ()), full_handle(item.originator, item.ref))
        for item in items
    ]


def list_items(
    session: Session, *, originator: str | None = None, tag: str | None = None
) -> list[ItemRow]:
    """All items, or one originator's, or those with a tag; by originator and reference."""
    query = select(Item).order_by(col(Item.originator), col(Item.ref))
    if originator is not None:
        query = query.where(
            Item.originator == resolve_party(session, originator, what="--originator")
        )
    if tag is not None:
        query = query.join(ItemTag, col(ItemTag.item_id) == col(Item.id)).where(
            ItemTag.tag == normalise_tag(tag)
        )
    return item_rows(session, list(session.exec(query)))


def item_json(row: ItemRow) -> dict[str, Any]:
    """An item as plain JSON."""
    item = row.item
    return {
        "handle": row.handle,
        "originator": item.originator,
        "ref": item.ref,
        "received_from": item.received_from,
        "received_on": item.received_on.isoformat(),
        "personal_data": item.personal_data,
        "unevaluated": item.unevaluated,
        "classification": item.classification,
        "subject": item.subject,
        "tags": list(row.tags),
        "recorded_at": iso(item.recorded_at),
        "recorded_by": item.recorded_by,
    }
