"""The lists of items, consents, permissions and transfers read from a read snapshot.

`wegings items`, `consents`, `permissions` and `transfers` read a SQLite file through the
snapshot's cursor (`wegings.store.snapshot`), so they load neither SQLAlchemy nor SQLModel; a
server is read through the snapshot's session by the ORM functions (`read_items` and the others
choose). The raw reader (`ListReader`) runs the statements those ORM functions run (so rows come
in the same order), reads each value as the model reads it on SQLite, and builds light records
of the models' shape, which the same pure functions (`sharing.listing`) turn into what is shown;
tests/test_lists_snapshot_sharing.py holds the two equal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from wegings.domain import OWN_SERVICE, RiskProfile
from wegings.errors import InvalidInput, NotFound, StoreError
from wegings.notes import lifecycle
from wegings.notes.answers import answers_from_mapping
from wegings.sharing.facts import memberships_at
from wegings.sharing.handles import ambiguous_item, full_handle, split_handle, unknown_item
from wegings.sharing.listing import (
    ItemRowView,
    ItemValues,
    Since,
    TransferRowView,
    consent_json,
    current_values,
    made_in_period,
    must_postdate,
    normalise_tag,
    permission_record_json,
    reached,
    transfer_json,
    transfer_members,
)
from wegings.store.engine import stored_json, stored_utc
from wegings.store.snapshot import ReadSnapshot
from wegings.text import quote, suggestion

_CHUNK = 500  # as the ORM functions read ids: at most this many bound in one statement


def _moment(value: Any) -> datetime:
    """A UTC time column as the model reads it on SQLite."""
    return stored_utc(value, "time")


def _maybe_moment(value: Any) -> datetime | None:
    """A nullable UTC time column as the model reads it on SQLite."""
    return None if value is None else _moment(value)


def _day(value: Any) -> date:
    """A date column as the model reads it on SQLite."""
    if type(value) is str:
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value)
    raise StoreError(
        f"The database holds an unreadable date ({value!r:.60}): it was changed outside "
        "wegings. Run `wegings audit verify`."
    )


def _flag(value: Any) -> Any:
    """A boolean column as wegings stores it on SQLite, 0 or 1 (a null stays None); anything
    else ('', 'garbage', 2) is a store fault, never read as yes or no."""
    if value is None:
        return None
    if type(value) is int and value in (0, 1):
        return bool(value)
    raise StoreError(
        f"The database holds an unreadable yes/no value ({value!r:.60}): it was changed outside "
        "wegings. Run `wegings audit verify`."
    )


def _record_id(value: Any, what: str) -> int:
    """A record id a row refers to (`what`: 'the item of consent #3'); else a store fault."""
    if type(value) is int:
        return value
    raise StoreError(
        f"The database holds an unreadable id for {what} ({value!r:.60}): it was changed "
        "outside wegings. Run `wegings audit verify`."
    )


def _missing(what: str, record_id: int) -> StoreError:
    """A record a row refers to that is not there."""
    return StoreError(
        f"{what} refers to a record #{record_id} that is not on record: the database was "
        "changed outside wegings. Run `wegings audit verify`."
    )


# --------------------------------------------------------------------------- light records


@dataclass(frozen=True)
class _Item:
    id: int
    ref: str
    originator: str
    received_from: str | None
    received_on: date
    personal_data: bool
    unevaluated: bool
    classification: str
    subject: str
    recorded_at: datetime
    recorded_by: str


_ITEM_COLUMNS = (
    "item.id, item.ref, item.originator, item.received_from, item.received_on, "
    "item.personal_data, item.unevaluated, item.classification, item.subject, "
    "item.recorded_at, item.recorded_by"
)


def _item(row: Sequence[Any]) -> _Item:
    id_, ref, originator, source, received, personal, unevaluated, marking, subject, at, by = row
    return _Item(id_, ref, originator, source, _day(received), _flag(personal),
                 _flag(unevaluated), marking, subject, _moment(at), by)  # fmt: skip


@dataclass(frozen=True)
class _Correction:
    id: int
    item_id: int
    personal_data: bool | None
    unevaluated: bool | None
    classification: str | None
    subject: str | None
    add_tags: str
    remove_tags: str
    reason: str
    recorded_at: datetime
    recorded_by: str


_CORRECTION_COLUMNS = (
    "item_correction.id, item_correction.item_id, item_correction.personal_data, "
    "item_correction.unevaluated, item_correction.classification, item_correction.subject, "
    "item_correction.add_tags, item_correction.remove_tags, item_correction.reason, "
    "item_correction.recorded_at, item_correction.recorded_by"
)


def _correction(row: Sequence[Any]) -> _Correction:
    id_, item_id, personal, unevaluated, marking, subject, added, removed, reason, at, by = row
    return _Correction(id_, item_id, _flag(personal), _flag(unevaluated), marking, subject,
                       added, removed, reason, _moment(at), by)  # fmt: skip


@dataclass(frozen=True)
class SnapshotItemRow:
    """An item with its current values, its corrections and its handle (`items.ItemRow`)."""

    item: _Item
    values: ItemValues
    handle: str
    corrections: tuple[_Correction, ...] = ()
    registered_tags: tuple[str, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        """Its tags now."""
        return self.values.tags


@dataclass(frozen=True)
class _Consent:
    id: int
    originator: str
    holder: str
    recipient: str
    item_id: int | None
    tag: str | None
    purpose: str | None
    valid_from: datetime
    valid_until: datetime | None
    conditions: str
    reference: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class _ConsentRevocation:
    revoked_at: datetime
    revoked_by: str
    reason: str


@dataclass(frozen=True)
class SnapshotConsentRow:
    """A consent with its revocation and the handle of its item (`consents.ConsentRow`)."""

    consent: _Consent
    revocation: _ConsentRevocation | None
    item_handle: str | None


@dataclass(frozen=True)
class _Permission:
    id: int
    item_id: int
    recipient: str
    role: str
    valid_from: datetime
    valid_until: datetime
    reason: str
    ctivd_notified: bool
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class _PermissionRevocation:
    reason: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class SnapshotPermissionRow:
    """A permission with who granted it, its revocation and its item now
    (`permissions.PermissionRow`)."""

    permission: _Permission
    item_handle: str
    item: ItemValues
    granted_by: str | None
    revocation: _PermissionRevocation | None


@dataclass(frozen=True)
class _Transfer:
    id: int
    item_id: int
    holder: str
    recipient: str
    purpose: str | None
    transferred_at: datetime
    recorded_by: str
    decision: str
    conditions: str
    reliability: str | None
    age: str | None


@dataclass(frozen=True)
class SnapshotTransferRow:
    """A transfer with the handle of its item and the members it reached
    (`transfers.TransferRow`)."""

    transfer: _Transfer
    item_handle: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class _Establishment:
    note_id: int
    established_at: datetime
    review_due: datetime


@dataclass(frozen=True)
class _Note:
    """A version of a note with what its status rests on (`notes.NoteState`)."""

    version: int
    profile_value: str
    establishment: _Establishment | None
    superseded_at: datetime | None
    withdrawn_at: datetime | None

    @property
    def profile(self) -> RiskProfile:
        """The version's risk profile."""
        return RiskProfile(self.profile_value)

    def in_force(self, at: datetime) -> bool:
        """`notes.NoteState.in_force`."""
        if self.establishment is None:
            return False
        end = lifecycle.note_end(self.superseded_at, self.withdrawn_at)
        return lifecycle.in_force(
            established_at=self.establishment.established_at,
            ended_at=None if end is None else end[0],
            review_due=self.establishment.review_due,
            at=at,
        )


# --------------------------------------------------------------------------- the reader


def _marks(count: int) -> str:
    return ", ".join(["?"] * count)


class ListReader:
    """The statements the ORM list functions run, on a read snapshot's cursor."""

    def __init__(self, snapshot: ReadSnapshot) -> None:
        """Read from `snapshot` (a SQLite one: its statements use ? placeholders)."""
        self._snapshot = snapshot
        self._cursor = snapshot.cursor()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = self._cursor.fetchall()
        return rows

    def _by_ids(self, sql: str, ids: Sequence[Any]) -> list[tuple[Any, ...]]:
        """`sql` (with `{marks}` for the ids) run for each chunk of `ids`, rows in order."""
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            found += self._rows(sql.format(marks=_marks(len(chunk))), chunk)
        return found

    # ------------------------------------------------------------------ partners and groups

    def _partner(self, key: str) -> tuple[int, str] | None:
        """The partner with handle `key`: (id, short); its registration read as the model."""
        found = self._rows(
            "SELECT partner.id, partner.short, partner.created_at FROM partner "
            "WHERE partner.short = ?",
            (key,),
        )
        if not found:
            return None
        id_, short, created = found[0]
        _moment(created)
        return id_, short

    def _find_group(self, name: str) -> tuple[int, str] | None:
        """`register.find_group`: (id, key) of the group with this handle or display name."""
        wanted = name.strip().lower()
        by_key = self._rows(
            "SELECT partner_group.id, partner_group.key, partner_group.created_at "
            "FROM partner_group WHERE partner_group.key = ?",
            (wanted,),
        )
        if by_key:
            _moment(by_key[0][2])
            return by_key[0][0], by_key[0][1]
        wanted_name = " ".join(name.split()).casefold()
        for id_, key, display, created in self._rows(
            "SELECT partner_group.id, partner_group.key, partner_group.name, "
            "partner_group.created_at FROM partner_group ORDER BY partner_group.id"
        ):
            _moment(created)
            if display.casefold() == wanted_name:
                return id_, key
        return None

    def _known_partners(self) -> list[str]:
        return [row[0] for row in self._rows("SELECT partner.short FROM partner")]

    def resolve_party(self, value: str, *, what: str) -> str:
        """`items.resolve_party`: our own service ("self") or a registered partner's handle."""
        key = value.strip().lower()
        if key == OWN_SERVICE:
            return OWN_SERVICE
        if self._find_group(key) is not None:
            raise InvalidInput(f"{what} must be a partner or self, not the group {quote(key)}.")
        partner = self._partner(key)
        if partner is None:
            raise NotFound(
                suggestion(key, self._known_partners(), what="partner", listing="wegings partners")
            )
        return partner[1]

    def resolve_recipient(self, value: str) -> str:
        """`items.resolve_recipient`: a registered partner's handle or a group's key."""
        key = value.strip().lower()
        if key == OWN_SERVICE:
            raise InvalidInput("'self' is our own service; give a partner or a group with --to.")
        partner = self._partner(key)
        if partner is not None:
            return partner[1]
        group = self._find_group(key)
        if group is not None:
            return group[1]
        known = [
            *self._known_partners(),
            *(row[0] for row in self._rows("SELECT partner_group.key FROM partner_group")),
        ]
        raise NotFound(
            suggestion(value, known, what="partner or group", listing="wegings partners")
        )

    def _group_keys_at(self, partner_id: int, at: datetime) -> tuple[str, ...]:
        """`register.groups_at(..., keys=True)`: the keys of the partner's groups at `at`."""
        from wegings.notes.snapshot_document import SnapshotReader

        events = SnapshotReader(self._snapshot).membership_events(partner_id)
        member_of = {g for g, changes in events.items() if memberships_at(changes, at, known_at=at)}
        keys = []
        for group_id, key, created in self._rows(
            "SELECT partner_group.id, partner_group.key, partner_group.created_at "
            "FROM partner_group ORDER BY partner_group.key"
        ):
            _moment(created)
            if group_id in member_of:
                keys.append(key)
        return tuple(keys)

    # ------------------------------------------------------------------ items

    def _get_item(self, text: str) -> _Item:
        """`items.get_item`: the item addressed by REF or ORIGINATOR/REF."""
        originator, ref = split_handle(text)
        sql = f"SELECT {_ITEM_COLUMNS} FROM item WHERE item.ref = ?"  # noqa: S608 (fixed text)
        params: list[Any] = [ref]
        if originator is not None:
            sql += " AND item.originator = ?"
            params.append(originator)
        found = [_item(row) for row in self._rows(f"{sql} LIMIT ? OFFSET ?", [*params, 50, 0])]
        if not found:
            raise unknown_item(text)
        if len(found) > 1:
            raise ambiguous_item(ref, [i.originator for i in found])
        return found[0]

    def _items_by_ids(self, ids: Sequence[int]) -> list[_Item]:
        return [
            _item(row)
            for row in self._by_ids(
                f"SELECT {_ITEM_COLUMNS} FROM item WHERE item.id IN ({{marks}})",  # noqa: S608
                ids,
            )
        ]

    def item_rows(self, items: Sequence[_Item]) -> list[SnapshotItemRow]:
        """`items.item_rows`: the items with their current values, corrections and handles."""
        ids = [i.id for i in items]
        tags: dict[int, list[str]] = {}
        for item_id, tag in self._by_ids(
            "SELECT item_tag.item_id, item_tag.tag FROM item_tag "
            "WHERE item_tag.item_id IN ({marks}) ORDER BY item_tag.tag",
            ids,
        ):
            tags.setdefault(item_id, []).append(tag)
        corrections: dict[int, list[_Correction]] = {}
        for row in self._by_ids(
            f"SELECT {_CORRECTION_COLUMNS} FROM item_correction "  # noqa: S608 (fixed text)
            "WHERE item_correction.item_id IN ({marks}) "
            "ORDER BY item_correction.recorded_at, item_correction.id",
            ids,
        ):
            correction = _correction(row)
            corrections.setdefault(correction.item_id, []).append(correction)
        rows = []
        for item in items:
            own = tuple(corrections.get(item.id, []))
            registered = tuple(tags.get(item.id, []))
            values = current_values(item, registered, own)
            rows.append(
                SnapshotItemRow(item, values, full_handle(item.originator, item.ref), own,
                                registered)
            )  # fmt: skip
        return rows

    def item_row(self, text: str) -> SnapshotItemRow:
        """`items.item_row`: the item addressed by REF or ORIGINATOR/REF, with its values."""
        return self.item_rows([self._get_item(text)])[0]

    def items(
        self, *, originator: str | None = None, tag: str | None = None
    ) -> list[SnapshotItemRow]:
        """`items.list_items`: all items, or one originator's, or those with a tag now."""
        sql = f"SELECT {_ITEM_COLUMNS} FROM item"  # noqa: S608 (fixed text)
        params: list[Any] = []
        if originator is not None:
            sql += " WHERE item.originator = ?"
            params.append(self.resolve_party(originator, what="--originator"))
        found = [
            _item(row) for row in self._rows(f"{sql} ORDER BY item.originator, item.ref", params)
        ]
        rows = self.item_rows(found)
        if tag is None:
            return rows
        wanted = normalise_tag(tag)
        return [row for row in rows if wanted in row.tags]

    # ------------------------------------------------------------------ consents

    def consents(self, *, item: str | None = None) -> list[SnapshotConsentRow]:
        """`consents.list_consents`: all consents, or those that bear on one item now."""
        sql = (
            "SELECT consent.id, consent.originator, consent.holder, consent.recipient, "
            "consent.item_id, consent.tag, consent.purpose, consent.valid_from, "
            "consent.valid_until, consent.conditions, consent.reference, consent.recorded_at, "
            "consent.recorded_by FROM consent"
        )
        params: list[Any] = []
        if item is not None:
            row = self.item_row(item)
            sql += " WHERE consent.item_id = ?"
            params.append(row.item.id)
            if row.tags:
                sql += f" OR consent.originator = ? AND consent.tag IN ({_marks(len(row.tags))})"
                params += [row.item.originator, *row.tags]
        consents = [
            _Consent(id_, originator, holder, recipient, item_id, tag, purpose, _moment(start),
                     _maybe_moment(end), conditions, reference, _moment(at), by)
            for id_, originator, holder, recipient, item_id, tag, purpose, start, end,
            conditions, reference, at, by in self._rows(f"{sql} ORDER BY consent.id", params)
        ]  # fmt: skip
        revocations = {
            consent_id: _ConsentRevocation(_moment(at), by, reason)
            for consent_id, at, by, reason in self._by_ids(
                "SELECT consent_revocation.consent_id, consent_revocation.revoked_at, "
                "consent_revocation.revoked_by, consent_revocation.reason "
                "FROM consent_revocation WHERE consent_revocation.consent_id IN ({marks})",
                [c.id for c in consents],
            )
        }
        item_ids = sorted(
            {
                _record_id(c.item_id, f"the item of consent #{c.id}")
                for c in consents
                if c.item_id is not None
            }
        )
        items = {i.id: i for i in self._items_by_ids(item_ids)}
        handles = {row.item.id: row.handle for row in self.item_rows(list(items.values()))}
        for c in consents:
            if c.item_id is not None and c.item_id not in handles:
                raise _missing(f"Consent #{c.id}", c.item_id)
        return [
            SnapshotConsentRow(
                c,
                revocations.get(c.id),
                handles.get(c.item_id) if c.item_id is not None else None,
            )
            for c in consents
        ]

    # ------------------------------------------------------------------ permissions

    def permissions(
        self, *, now: datetime, item: str | None = None, to: str | None = None
    ) -> list[SnapshotPermissionRow]:
        """`permissions.list_permissions`: all permissions, or those for one item, or to one
        recipient (a partner's include those to the groups it belongs to at `now`)."""
        terms: list[str] = []
        params: list[Any] = []
        if item is not None:
            terms.append("permission.item_id = ?")
            params.append(self.item_row(item).item.id)
        if to is not None:
            recipient = self.resolve_recipient(to)
            partner = self._partner(recipient)
            keys = [recipient]
            if partner is not None:
                keys += list(self._group_keys_at(partner[0], now))
            terms.append(f"permission.recipient IN ({_marks(len(keys))})")
            params += keys
        where = f" WHERE {' AND '.join(terms)}" if terms else ""
        sql = (
            "SELECT permission.id, permission.item_id, permission.recipient, "  # noqa: S608
            "permission.role, permission.valid_from, permission.valid_until, permission.reason, "
            "permission.ctivd_notified, permission.recorded_at, permission.recorded_by "
            f"FROM permission{where} ORDER BY permission.id"
        )
        permissions = [
            _Permission(id_, item_id, recipient, role, _moment(start), _moment(end), reason,
                        _flag(notified), _moment(at), by)
            for id_, item_id, recipient, role, start, end, reason, notified, at, by
            in self._rows(sql, params)
        ]  # fmt: skip
        ids = [p.id for p in permissions]
        grants = {
            permission_id: granted_by
            for permission_id, granted_by in self._by_ids(
                "SELECT permission_grant.permission_id, permission_grant.granted_by "
                "FROM permission_grant WHERE permission_grant.permission_id IN ({marks})",
                ids,
            )
        }
        revocations = {
            permission_id: _PermissionRevocation(reason, _moment(at), by)
            for permission_id, reason, at, by in self._by_ids(
                "SELECT permission_revocation.permission_id, permission_revocation.reason, "
                "permission_revocation.recorded_at, permission_revocation.recorded_by "
                "FROM permission_revocation "
                "WHERE permission_revocation.permission_id IN ({marks})",
                ids,
            )
        }
        items = self._items_by_ids(
            sorted({_record_id(p.item_id, f"the item of permission #{p.id}") for p in permissions})
        )
        by_item = {row.item.id: row for row in self.item_rows(items)}
        for p in permissions:
            if p.item_id not in by_item:
                raise _missing(f"Permission #{p.id}", p.item_id)
        return [
            SnapshotPermissionRow(
                p,
                by_item[p.item_id].handle,
                by_item[p.item_id].values,
                grants.get(p.id),
                revocations.get(p.id),
            )
            for p in permissions
        ]

    def _notes(self, partner_id: int) -> list[_Note]:
        """`notes.note_states`: every version with what its status rests on, oldest first."""
        versions = []
        for id_, version, created, profile, answers in self._rows(
            "SELECT note_version.id, note_version.version, note_version.created_at, "
            "note_version.profile, note_version.answers FROM note_version "
            "WHERE note_version.partner_id = ?",
            (partner_id,),
        ):
            # Read as `derive_states` reads every version, though only the status is used.
            _moment(created)
            answers_from_mapping(stored_json(answers, "answers of a note"))
            versions.append((id_, version, profile))
        establishments = [
            _Establishment(note_id, _moment(at), _moment(due))
            for note_id, at, due in self._rows(
                "SELECT note_establishment.note_id, note_establishment.established_at, "
                "note_establishment.review_due FROM note_establishment "
                "WHERE note_establishment.partner_id = ?",
                (partner_id,),
            )
        ]
        withdrawn = {
            note_id: _moment(at)
            for note_id, at in self._rows(
                "SELECT note_withdrawal.note_id, note_withdrawal.withdrawn_at "
                "FROM note_withdrawal WHERE note_withdrawal.partner_id = ?",
                (partner_id,),
            )
        }
        # As `notes.derive_states`.
        established = {e.note_id: e for e in establishments}
        by_time = sorted(establishments, key=lambda e: e.established_at)
        notes = []
        for id_, version, profile in sorted(versions, key=lambda v: v[1]):
            establishment = established.get(id_)
            superseded_at = None
            if establishment is not None:
                later = [e for e in by_time if e.established_at > establishment.established_at]
                if later:
                    superseded_at = later[0].established_at
            notes.append(_Note(version, profile, establishment, superseded_at, withdrawn.get(id_)))
        return notes

    def _open_flag_times(self, partner_id: int, at: datetime) -> list[datetime]:
        """`notes.open_flags`: when the flags that hold at `at` were recorded."""
        rewrites = [
            (_moment(established), _moment(written))
            for established, written in self._rows(
                "SELECT note_establishment.established_at, note_version.created_at "
                "FROM note_establishment JOIN note_version "
                "ON note_version.id = note_establishment.note_id "
                "WHERE note_establishment.partner_id = ?",
                (partner_id,),
            )
        ]
        retracted = {
            flag_id: _moment(recorded)
            for flag_id, recorded in self._rows(
                "SELECT flag_retraction.flag_id, flag_retraction.recorded_at "
                "FROM flag_retraction JOIN partner_flag "
                "ON partner_flag.id = flag_retraction.flag_id WHERE partner_flag.partner_id = ?",
                (partner_id,),
            )
        }
        times = []
        for flag_id, observed, recorded in self._rows(
            "SELECT partner_flag.id, partner_flag.observed_on, partner_flag.recorded_at "
            "FROM partner_flag WHERE partner_flag.partner_id = ? "
            "ORDER BY partner_flag.recorded_at, partner_flag.id",
            (partner_id,),
        ):
            _day(observed)
            raised = _moment(recorded)
            if lifecycle.flag_holds(
                raised_at=raised,
                cleared_at=lifecycle.flag_cleared_at(raised, rewrites),
                at=at,
                retracted_at=retracted.get(flag_id),
            ):
                times.append(raised)
        return times

    def must_postdate(self, row: SnapshotPermissionRow, now: datetime) -> list[Since]:
        """`permissions._must_postdate`: what the permission must postdate at `now`."""
        partner = self._partner(row.permission.recipient)
        if partner is None:
            return []  # a group: each member is weighed by can-share at the moment of a check
        notes = self._notes(partner[0])
        # As `notes.current_note`: the latest established (whatever became of it), else the
        # latest version.
        established = [n for n in notes if n.establishment is not None]
        current = (
            max(established, key=lambda n: n.establishment.established_at if n.establishment else 0)
            if established
            else (notes[-1] if notes else None)
        )
        return must_postdate(row, current, self._open_flag_times(partner[0], now), now)

    def permission_json(self, row: SnapshotPermissionRow, now: datetime) -> dict[str, Any]:
        """`permissions.permission_json`: the permission with its status at `now`."""
        return permission_record_json(row, now, self.must_postdate(row, now))

    # ------------------------------------------------------------------ transfers

    def transfers(
        self, *, to: str | None = None, item: str | None = None
    ) -> list[SnapshotTransferRow]:
        """`transfers.list_transfers`: all transfers, or those that reached one recipient, or
        of one item."""
        where = ""
        params: list[Any] = []
        recipient: str | None = None
        if to is not None:
            recipient = self.resolve_recipient(to)
            groups = [
                row[0]
                for row in self._rows(
                    "SELECT partner_group.key FROM partner_group JOIN group_membership "
                    "ON group_membership.group_id = partner_group.id JOIN partner "
                    "ON partner.id = group_membership.partner_id WHERE partner.short = ?",
                    (recipient,),
                )
            ]
            keys = [recipient, *groups]
            where = f" WHERE transfer.recipient IN ({_marks(len(keys))})"
            params = keys
        if item is not None:
            where += " AND" if where else " WHERE"
            where += " transfer.item_id = ?"
            params.append(self.item_row(item).item.id)
        sql = (
            "SELECT transfer.id, transfer.item_id, transfer.holder, transfer.recipient, "  # noqa: S608
            "transfer.purpose, transfer.transferred_at, transfer.recorded_by, "
            "transfer.decision, transfer.conditions, transfer.reliability, transfer.age "
            f"FROM transfer{where} ORDER BY transfer.id"
        )
        transfers = [
            _Transfer(id_, item_id, holder, to_, purpose, _moment(at), by, decision, conditions,
                      reliability, age)
            for id_, item_id, holder, to_, purpose, at, by, decision, conditions, reliability, age
            in self._rows(sql, params)
        ]  # fmt: skip
        items = self._items_by_ids(
            sorted({_record_id(t.item_id, f"the item of transfer #{t.id}") for t in transfers})
        )
        handles = {row.item.id: row.handle for row in self.item_rows(items)}
        rows = []
        for transfer in transfers:
            members = transfer_members(transfer)
            # A transfer to a group reached the partner only if it was a member then.
            if not reached(transfer, members, recipient):
                continue
            rows.append(SnapshotTransferRow(transfer, handles.get(transfer.item_id, "?"), members))
        return rows


# --------------------------------------------------------------------------- what the CLI reads


def read_items(
    snapshot: ReadSnapshot, *, originator: str | None = None, tag: str | None = None
) -> Sequence[ItemRowView]:
    """`items.list_items` read from a snapshot: through its session on a server, without the
    ORM on a SQLite file."""
    from wegings.store.snapshot import SessionSnapshot

    if isinstance(snapshot, SessionSnapshot):
        from wegings.sharing.items import list_items

        return list_items(snapshot.session, originator=originator, tag=tag)
    return ListReader(snapshot).items(originator=originator, tag=tag)


def read_consents(
    snapshot: ReadSnapshot, *, now: datetime, item: str | None = None
) -> list[dict[str, Any]]:
    """The consents (all, or those bearing on `item`) as plain JSON with their status at `now`,
    read from a snapshot (`consents.list_consents` on a server)."""
    from wegings.store.snapshot import SessionSnapshot

    if isinstance(snapshot, SessionSnapshot):
        from wegings.sharing.consents import list_consents

        return [consent_json(row, now) for row in list_consents(snapshot.session, item=item)]
    return [consent_json(row, now) for row in ListReader(snapshot).consents(item=item)]


def read_permissions(
    snapshot: ReadSnapshot, *, now: datetime, item: str | None = None, to: str | None = None
) -> list[dict[str, Any]]:
    """The permissions (all, for `item`, to `to`) as plain JSON with their status at `now`,
    read from a snapshot (`permissions.list_permissions` on a server)."""
    from wegings.store.snapshot import SessionSnapshot

    if isinstance(snapshot, SessionSnapshot):
        from wegings.sharing.permissions import list_permissions, permission_json

        session = snapshot.session
        return [
            permission_json(session, row, now)
            for row in list_permissions(session, now=now, item=item, to=to)
        ]
    reader = ListReader(snapshot)
    return [
        reader.permission_json(row, now) for row in reader.permissions(now=now, item=item, to=to)
    ]


def read_transfers(
    snapshot: ReadSnapshot,
    *,
    to: str | None = None,
    item: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """The transfers (all, those that reached `to`, those of `item`, those made in a period)
    as plain JSON, read from a snapshot (`transfers.list_transfers` on a server)."""
    from wegings.store.snapshot import SessionSnapshot

    rows: Sequence[TransferRowView]
    if isinstance(snapshot, SessionSnapshot):
        from wegings.sharing.transfers import list_transfers

        rows = list_transfers(snapshot.session, to=to, item=item)
    else:
        rows = ListReader(snapshot).transfers(to=to, item=item)
    return [transfer_json(row) for row in made_in_period(rows, since, until)]
