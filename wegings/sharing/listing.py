"""What the lists of items, consents, permissions and transfers show: pure, over their records.

`wegings items`, `consents`, `permissions` and `transfers` read their records through a session
(`sharing.items`, `consents`, `permissions`, `transfers`: the models) or, on a SQLite file,
through a read snapshot without the ORM (`sharing.snapshot_lists`: light records of the same
shape). Both give their rows to these functions, so an item's values after its corrections, a
status at a moment, what a permission must postdate and every JSON field have one home. The
records are typed by what is read of them (Protocols), which the models and the light records
both are. Importing this module loads no SQLAlchemy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from wegings.domain import RiskProfile
from wegings.errors import InvalidInput, StoreError
from wegings.sharing.facts import ItemChange, corrected_values
from wegings.sharing.facts import ItemValues as Values
from wegings.store.engine import stored_json
from wegings.text import quote
from wegings.timeutil import display_minute, iso

_TAG = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,39}$")

# --------------------------------------------------------------------------- records


class ItemRecord(Protocol):
    """An item as registered (`models.Item`)."""

    @property
    def id(self) -> int | None: ...
    @property
    def ref(self) -> str: ...
    @property
    def originator(self) -> str: ...
    @property
    def received_from(self) -> str | None: ...
    @property
    def received_on(self) -> date: ...
    @property
    def personal_data(self) -> bool: ...
    @property
    def unevaluated(self) -> bool: ...
    @property
    def classification(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def recorded_by(self) -> str: ...


class CorrectionRecord(Protocol):
    """A correction of an item (`models.ItemCorrection`): None leaves a value as it was."""

    @property
    def id(self) -> int | None: ...
    @property
    def personal_data(self) -> bool | None: ...
    @property
    def unevaluated(self) -> bool | None: ...
    @property
    def classification(self) -> str | None: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def add_tags(self) -> str: ...
    @property
    def remove_tags(self) -> str: ...
    @property
    def recorded_at(self) -> datetime: ...


class ConsentRecord(Protocol):
    """A consent (`models.Consent`)."""

    @property
    def id(self) -> int | None: ...
    @property
    def originator(self) -> str: ...
    @property
    def holder(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def tag(self) -> str | None: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def valid_from(self) -> datetime: ...
    @property
    def valid_until(self) -> datetime | None: ...
    @property
    def conditions(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def recorded_by(self) -> str: ...


class ConsentRevocationRecord(Protocol):
    """The revocation of a consent (`models.ConsentRevocation`)."""

    @property
    def revoked_at(self) -> datetime: ...
    @property
    def revoked_by(self) -> str: ...
    @property
    def reason(self) -> str: ...


class PermissionRecord(Protocol):
    """A higher permission (`models.Permission`)."""

    @property
    def id(self) -> int | None: ...
    @property
    def recipient(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def valid_from(self) -> datetime: ...
    @property
    def valid_until(self) -> datetime: ...
    @property
    def reason(self) -> str: ...
    @property
    def ctivd_notified(self) -> bool: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def recorded_by(self) -> str: ...


class PermissionRevocationRecord(Protocol):
    """The revocation of a permission (`models.PermissionRevocation`)."""

    @property
    def reason(self) -> str: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def recorded_by(self) -> str: ...


class TransferRecord(Protocol):
    """A transfer (`models.Transfer`)."""

    @property
    def id(self) -> int | None: ...
    @property
    def holder(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def transferred_at(self) -> datetime: ...
    @property
    def recorded_by(self) -> str: ...
    @property
    def decision(self) -> str: ...
    @property
    def conditions(self) -> str: ...
    @property
    def reliability(self) -> str | None: ...
    @property
    def age(self) -> str | None: ...


class Establishment(Protocol):
    """When a note was established (`models.NoteEstablishment`)."""

    @property
    def established_at(self) -> datetime: ...


class NoteView(Protocol):
    """A version of a partner's note with its status (`notes.NoteState`)."""

    @property
    def version(self) -> int: ...
    @property
    def profile(self) -> RiskProfile: ...
    @property
    def establishment(self) -> Establishment | None: ...
    def in_force(self, at: datetime) -> bool:
        """Established by `at`, not ended and not past its review date."""
        ...


# --------------------------------------------------------------------------- items


def normalise_tag(value: str) -> str:
    """A tag in lower case, or InvalidInput: a letter or digit, then letters, digits, _.:-."""
    tag = value.strip().lower()
    if not _TAG.match(tag):
        raise InvalidInput(
            f"Tag {quote(value)} must be 1–40 characters: a letter or digit, then letters, "
            "digits, '_', '.', ':' or '-'."
        )
    return tag


@dataclass(frozen=True)
class ItemValues:
    """The values of an item that a correction can change."""

    personal_data: bool
    unevaluated: bool
    classification: str
    subject: str
    tags: tuple[str, ...]


class ItemRowView(Protocol):
    """An item with its current values, its corrections and its handle (`items.ItemRow`)."""

    @property
    def item(self) -> ItemRecord: ...
    @property
    def values(self) -> ItemValues: ...
    @property
    def handle(self) -> str: ...
    @property
    def corrections(self) -> Sequence[CorrectionRecord]: ...
    @property
    def tags(self) -> tuple[str, ...]: ...


def correction_tags(correction: CorrectionRecord) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tags a correction adds and removes, as stored (JSON lists)."""
    added = stored_json(correction.add_tags, "tags added by an item correction")
    removed = stored_json(correction.remove_tags, "tags removed by an item correction")
    return tuple(added), tuple(removed)


def current_values(
    item: ItemRecord, tags: Iterable[str], corrections: Iterable[CorrectionRecord]
) -> ItemValues:
    """An item's values now: its registration (with its registered `tags`) and every
    correction applied in the order recorded. Pure: give it the corrections to apply (for a
    moment in the past, those recorded by then)."""
    ordered = sorted(corrections, key=lambda c: (c.recorded_at, c.id or 0))
    changes = []
    for correction in ordered:
        added, removed = correction_tags(correction)
        changes.append(
            ItemChange(correction.personal_data, correction.unevaluated,
                       correction.classification, correction.subject, added, removed)
        )  # fmt: skip
    personal_data, unevaluated, classification, subject, current = corrected_values(
        Values(item.personal_data, item.unevaluated, item.classification, item.subject,
               frozenset(tags)),
        changes,
    )  # fmt: skip
    return ItemValues(personal_data, unevaluated, classification, subject, tuple(sorted(current)))


def item_json(row: ItemRowView) -> dict[str, Any]:
    """An item as plain JSON, with its current (corrected) values."""
    item, values = row.item, row.values
    return {
        "handle": row.handle,
        "originator": item.originator,
        "ref": item.ref,
        "received_from": item.received_from,
        "received_on": item.received_on.isoformat(),
        "personal_data": values.personal_data,
        "unevaluated": values.unevaluated,
        "classification": values.classification,
        "subject": values.subject,
        "tags": list(values.tags),
        "recorded_at": iso(item.recorded_at),
        "recorded_by": item.recorded_by,
        "corrections": len(row.corrections),
    }


# --------------------------------------------------------------------------- consents


class ConsentRowView(Protocol):
    """A consent with its revocation and the handle of its item (`consents.ConsentRow`)."""

    @property
    def consent(self) -> ConsentRecord: ...
    @property
    def revocation(self) -> ConsentRevocationRecord | None: ...
    @property
    def item_handle(self) -> str | None: ...


def consent_status(row: ConsentRowView, now: datetime) -> str:
    """revoked, expired, not yet valid, or valid, at `now`."""
    consent = row.consent
    if row.revocation is not None and row.revocation.revoked_at <= now:
        return "revoked"
    if consent.valid_until is not None and consent.valid_until < now:
        return "expired"
    if consent.valid_from > now:
        return "not yet valid"
    return "valid"


def consent_json(row: ConsentRowView, now: datetime) -> dict[str, Any]:
    """A consent as plain JSON, with its status at `now`."""
    consent = row.consent
    revocation = row.revocation
    return {
        "id": consent.id,
        "originator": consent.originator,
        "holder": consent.holder,
        "recipient": consent.recipient,
        "item": row.item_handle,
        "tag": consent.tag,
        "purpose": consent.purpose,
        "valid_from": iso(consent.valid_from),
        "valid_until": iso(consent.valid_until),
        "conditions": stored_texts(consent.conditions, "conditions of a consent"),
        "reference": consent.reference,
        "recorded_at": iso(consent.recorded_at),
        "recorded_by": consent.recorded_by,
        "status": consent_status(row, now),
        "revoked_at": iso(revocation.revoked_at) if revocation else None,
        "revoked_by": revocation.revoked_by if revocation else None,
        "revocation_reason": revocation.reason if revocation else None,
    }


# --------------------------------------------------------------------------- permissions

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


class PermissionRowView(Protocol):
    """A permission with who granted it, its revocation and its item now
    (`permissions.PermissionRow`)."""

    @property
    def permission(self) -> PermissionRecord: ...
    @property
    def item_handle(self) -> str: ...
    @property
    def item(self) -> ItemValues: ...
    @property
    def granted_by(self) -> str | None: ...
    @property
    def revocation(self) -> PermissionRevocationRecord | None: ...


def must_postdate(
    row: PermissionRowView,
    current: NoteView | None,
    flags_recorded: Sequence[datetime],
    now: datetime,
) -> list[Since]:
    """What a permission to a partner must postdate at `now`, as the rules weigh it (rule 4):
    the partner's `verhoogd` note in force (`current`, `notes.current_note`) for an item with
    personal data, and the latest of its open flags (recorded at `flags_recorded`)."""
    recipient = row.permission.recipient
    since: list[Since] = []
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
    if flags_recorded:
        latest = max(flags_recorded)
        since.append(
            (
                latest,
                f"developments were flagged on {recipient} on {display_minute(latest)}, after "
                "it was granted",
            )
        )
    return since


def permission_record_json(
    row: PermissionRowView, now: datetime, since: Sequence[Since]
) -> dict[str, Any]:
    """A permission as plain JSON, with its status at `now` and why (for no longer counts);
    `since` is what it must postdate then (`must_postdate`)."""
    permission, revocation = row.permission, row.revocation
    status, why = permission_status(
        valid_from=permission.valid_from,
        valid_until=permission.valid_until,
        revoked_at=revocation.recorded_at if revocation is not None else None,
        now=now,
        must_postdate=since,
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


# --------------------------------------------------------------------------- transfers


class TransferRowView(Protocol):
    """A transfer with the handle of its item and the members it reached
    (`transfers.TransferRow`)."""

    @property
    def transfer(self) -> TransferRecord: ...
    @property
    def item_handle(self) -> str: ...
    @property
    def members(self) -> tuple[str, ...]: ...


def transfer_members(transfer: TransferRecord) -> tuple[str, ...]:
    """The members a transfer to a group reached, as its decision records them."""
    return tuple(
        m["member"]
        for m in stored_json(transfer.decision, "decision of a transfer").get("members", [])
    )


def reached(transfer: TransferRecord, members: tuple[str, ...], recipient: str | None) -> bool:
    """Whether a transfer reached `recipient` (None: anyone): to it, or to a group it was a
    member of then."""
    return recipient is None or transfer.recipient == recipient or recipient in members


def transfer_json(row: TransferRowView) -> dict[str, Any]:
    """A transfer as plain JSON, with the decision it relied on."""
    transfer = row.transfer
    return {
        "id": transfer.id,
        "item": row.item_handle,
        "holder": transfer.holder,
        "to": transfer.recipient,
        "members": list(row.members),
        "purpose": transfer.purpose,
        "transferred_at": iso(transfer.transferred_at),
        "recorded_by": transfer.recorded_by,
        "conditions": stored_texts(transfer.conditions, "conditions of a transfer"),
        "reliability": transfer.reliability,
        "age": transfer.age,
        "decision": stored_json(transfer.decision, "decision of a transfer"),
    }


def stored_texts(text: str, what: str) -> list[str]:
    """A JSON list of texts kept in a column (conditions); anything else is a store fault."""
    value = stored_json(text, what)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise StoreError(
            f"The database holds {what} that are not a list of texts: they were changed "
            "outside wegings. Run `wegings audit verify`."
        )
    return value


def made_in_period(
    rows: Iterable[TransferRowView], since: datetime | None, until: datetime | None
) -> list[TransferRowView]:
    """The transfers of `rows` made from `since` until `until` (inclusive; None: open)."""
    return [
        row
        for row in rows
        if (since is None or row.transfer.transferred_at >= since)
        and (until is None or row.transfer.transferred_at <= until)
    ]
