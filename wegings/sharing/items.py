"""The items of the third-party rule: registering, finding and listing them.

An item is addressed by its reference when no other originator used the same one, else as
ORIGINATOR/REF. Items are never edited: a correction is a new record (ItemCorrection), and
`current_values` gives an item's values with its corrections applied.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from wegings.domain import OWN_SERVICE
from wegings.errors import InvalidInput, NotFound, Refused
from wegings.register.partners import find_group, get_partner
from wegings.sharing.handles import ambiguous_item, full_handle, split_handle, unknown_item
from wegings.sharing.listing import ItemValues as ItemValues
from wegings.sharing.listing import correction_tags as correction_tags
from wegings.sharing.listing import current_values as current_values
from wegings.sharing.listing import item_json as item_json
from wegings.sharing.listing import normalise_tag as normalise_tag
from wegings.store.audit import record_change
from wegings.store.models import Item, ItemCorrection, ItemTag, Partner, PartnerGroup
from wegings.text import MAX_TEXT_LENGTH, clean_text, quote, reject_invisible, suggestion
from wegings.timeutil import iso, local_day

_REF = re.compile(r"^[^\s/]{1,100}$")
MAX_CLASSIFICATION_LENGTH = 100
MAX_SUBJECT_LENGTH = 500


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


CORRECTED_FIELDS = ("personal_data", "unevaluated", "classification", "subject")
"""The values of an item a correction sets (tags are added and removed instead)."""


@dataclass(frozen=True)
class ItemRow:
    """An item with its current values, its corrections and the handle it is addressed by."""

    item: Item
    values: ItemValues
    handle: str
    corrections: tuple[ItemCorrection, ...] = ()
    registered_tags: tuple[str, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        """Its tags now."""
        return self.values.tags


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


def _classification(text: str) -> str:
    return clean_text(
        text, field="Classification", required=False, max_length=MAX_CLASSIFICATION_LENGTH
    )


def _subject(text: str) -> str:
    return clean_text(text, field="Subject", required=False, max_length=MAX_SUBJECT_LENGTH)


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
    clean_classification = _classification(classification)
    clean_subject = _subject(subject)
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
    registered = tuple(clean_tags)
    return ItemRow(item, current_values(item, registered, ()), handle_of(item), (), registered)


def tags_of(session: Session, item_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The tags of each of the items, sorted."""
    tags: dict[int, list[str]] = {}
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start : start + 500]
        query = select(ItemTag).where(col(ItemTag.item_id).in_(chunk)).order_by(col(ItemTag.tag))
        for tag in session.exec(query):
            tags.setdefault(tag.item_id, []).append(tag.tag)
    return {key: tuple(value) for key, value in tags.items()}


def corrections_of(session: Session, item_ids: list[int]) -> dict[int, list[ItemCorrection]]:
    """The corrections of each of the items, in the order recorded."""
    found: dict[int, list[ItemCorrection]] = {}
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start : start + 500]
        query = (
            select(ItemCorrection)
            .where(col(ItemCorrection.item_id).in_(chunk))
            .order_by(col(ItemCorrection.recorded_at), col(ItemCorrection.id))
        )
        for correction in session.exec(query):
            found.setdefault(correction.item_id, []).append(correction)
    return found


def item_rows(session: Session, items: list[Item]) -> list[ItemRow]:
    """The items with their current values, corrections and handles."""
    ids = [i.id for i in items if i.id is not None]
    tags = tags_of(session, ids)
    corrections = corrections_of(session, ids)
    rows = []
    for item in items:
        own = tuple(corrections.get(item.id or -1, []))
        registered = tags.get(item.id or -1, ())
        values = current_values(item, registered, own)
        rows.append(ItemRow(item, values, handle_of(item), own, registered))
    return rows


def item_row(session: Session, text: str) -> ItemRow:
    """The item addressed by REF or ORIGINATOR/REF, with its current values."""
    return item_rows(session, [get_item(session, text)])[0]


def list_items(
    session: Session, *, originator: str | None = None, tag: str | None = None
) -> list[ItemRow]:
    """All items, or one originator's, or those with a tag; by originator and reference."""
    query = select(Item).order_by(col(Item.originator), col(Item.ref))
    if originator is not None:
        query = query.where(
            Item.originator == resolve_party(session, originator, what="--originator")
        )
    rows = item_rows(session, list(session.exec(query)))
    if tag is None:
        return rows
    # A tag added or removed by a correction counts: match the current tags.
    wanted = normalise_tag(tag)
    return [row for row in rows if wanted in row.tags]


# --------------------------------------------------------------------------- corrections


def correct_item(
    session: Session,
    *,
    actor: str,
    now: datetime,
    item: str,
    reason: str,
    personal_data: bool | None = None,
    unevaluated: bool | None = None,
    classification: str | None = None,
    subject: str | None = None,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
) -> tuple[ItemCorrection, ItemRow]:
    """Record a correction of an item (it holds from the registration, on record from now);
    returns it and the item with the correction applied."""
    text = clean_text(reason, field="Reason", multiline=True, max_length=MAX_TEXT_LENGTH)
    added = sorted({normalise_tag(t) for t in add_tags})
    removed = sorted({normalise_tag(t) for t in remove_tags})
    new_classification = _classification(classification) if classification is not None else None
    new_subject = _subject(subject) if subject is not None else None
    both = sorted(set(added) & set(removed))
    if both:
        raise InvalidInput(f"Tag {quote(both[0])} is both added and removed; give it once.")
    if (
        personal_data is None
        and unevaluated is None
        and new_classification is None
        and new_subject is None
        and not added
        and not removed
    ):
        raise InvalidInput(
            "Nothing to correct: give --personal-data/--no-personal-data, "
            "--unevaluated/--no-unevaluated, --classification, --subject, --add-tag or "
            "--remove-tag."
        )
    row = item_row(session, item)
    values, handle = row.values, row.handle
    unchanged = [
        text
        for same, text in (
            (
                personal_data == values.personal_data,
                "holds personal data" if personal_data else "holds no personal data",
            ),
            (
                unevaluated == values.unevaluated,
                "is unevaluated" if unevaluated else "is evaluated",
            ),
            (
                new_classification == values.classification,
                f"has the classification {quote(new_classification or '')}",
            ),
            (new_subject == values.subject, f"has the subject {quote(new_subject or '')}"),
        )
        if same
    ]
    if unchanged:
        raise Refused(f"Item {handle} {unchanged[0]} already; nothing to correct there.")
    present = [t for t in added if t in values.tags]
    if present:
        raise Refused(f"Item {handle} has the tag {quote(present[0])} already.")
    missing = [t for t in removed if t not in values.tags]
    if missing:
        tags = ", ".join(values.tags) or "none"
        raise Refused(f"Item {handle} has no tag {quote(missing[0])} to remove (its tags: {tags}).")
    correction = ItemCorrection(
        item_id=row.item.id or -1,
        personal_data=personal_data,
        unevaluated=unevaluated,
        classification=new_classification,
        subject=new_subject,
        add_tags=json.dumps(added, ensure_ascii=False),
        remove_tags=json.dumps(removed, ensure_ascii=False),
        reason=text,
        recorded_at=now,
        recorded_by=actor,
    )
    record_change(session, actor=actor, action="item.correct", record=correction, now=now)
    corrections = (*row.corrections, correction)
    corrected = current_values(row.item, row.registered_tags, corrections)
    return correction, ItemRow(row.item, corrected, handle, corrections, row.registered_tags)


def item_history(row: ItemRow) -> list[dict[str, Any]]:
    """Every correction of the item in the order recorded: who, when, why, and each value it
    changed, from what to what."""
    entries: list[dict[str, Any]] = []
    for index, correction in enumerate(row.corrections):
        before = current_values(row.item, row.registered_tags, row.corrections[:index])
        changes: dict[str, Any] = {
            field: {"from": getattr(before, field), "to": getattr(correction, field)}
            for field in CORRECTED_FIELDS
            if getattr(correction, field) is not None
        }
        added, removed = correction_tags(correction)
        if added:
            changes["add_tags"] = list(added)
        if removed:
            changes["remove_tags"] = list(removed)
        entries.append(
            {
                "id": correction.id,
                "recorded_at": iso(correction.recorded_at),
                "recorded_by": correction.recorded_by,
                "reason": correction.reason,
                "changes": changes,
            }
        )
    return entries
