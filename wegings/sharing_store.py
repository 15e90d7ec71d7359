"""Loading the facts of a can-share check from the store and running the pure rules on them.

The small tables (partners, groups, memberships, notes, flags) are read once per reader; each
check then looks up its item, consents and permissions by index through the raw DBAPI
connection, so a batch of many checks neither builds ORM objects nor grows in memory.

As of a moment T only records on record at T count: the pure rules ignore consents, notes,
flags and permissions recorded after T, and this module leaves out group memberships added
after T and refuses items registered after T.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wegings.domain import OWN_SERVICE, NoteStatus, RiskProfile
from wegings.errors import InvalidInput, NotFound, StoreError
from wegings.handles import ambiguous_item, full_handle, split_handle, unknown_item
from wegings.notes import flag_cleared_at
from wegings.sharing import (
    ConsentFacts,
    FlagFacts,
    GroupFacts,
    ItemFacts,
    NoteFacts,
    PartnerFacts,
    PermissionFacts,
    Recipient,
    decide,
)
from wegings.sharing_result import CheckResult
from wegings.store import stored_json
from wegings.text import clean_text, quote
from wegings.timeutil import iso

if TYPE_CHECKING:
    from sqlmodel import Session

_ITEM_COLUMNS = (
    "i.id, i.originator, i.ref, i.received_from, i.personal_data, i.unevaluated, "
    "i.recorded_at, t.tag FROM item i LEFT JOIN item_tag t ON t.item_id = i.id"
)
_ITEM_BY_REF = f"SELECT {_ITEM_COLUMNS} WHERE i.ref = ?"
_ITEM_BY_HANDLE = f"SELECT {_ITEM_COLUMNS} WHERE i.originator = ? AND i.ref = ?"
_CONSENT_COLUMNS = (
    "c.id, c.recipient, c.item_id, c.tag, c.purpose, c.valid_from, c.valid_until, "
    "c.recorded_at, c.conditions, c.reference, r.revoked_at "
    "FROM consent c LEFT JOIN consent_revocation r ON r.consent_id = c.id"
)
_CONSENT_FILTER = "WHERE c.originator = ? AND c.holder = ? AND c.recipient IN ({recipients}) AND "
_MAX_CACHED_NAMES = 10_000
_PERMISSIONS_OF_ITEM = (
    "SELECT id, recipient, role, valid_from, valid_until, recorded_at, ctivd_notified "
    "FROM permission WHERE item_id = ?"
)


def _moment(value: Any) -> datetime:
    """A stored UTC datetime (text on SQLite, a datetime elsewhere) as an aware datetime."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _optional_moment(value: Any) -> datetime | None:
    return None if value is None else _moment(value)


# (established_at, version, review_due, profile, forms JSON, note id, version written at)
_Establishment = tuple[datetime, int, datetime, str, str, int, datetime]


@dataclass(frozen=True, slots=True)
class _Partner:
    short: str
    name: str
    notes: tuple[NoteFacts, ...]
    flags: tuple[FlagFacts, ...]
    memberships: tuple[tuple[datetime, str], ...]  # (added_at, group key)


@dataclass(frozen=True, slots=True)
class _Group:
    key: str
    name: str
    members: tuple[tuple[datetime, int], ...]  # (added_at, partner id), by partner handle


class SharingReader:
    """Answers can-share checks on one session's snapshot of the store."""

    def __init__(self, session: Session) -> None:
        """Read the small tables once; the session's transaction keeps the snapshot."""
        connection = session.connection()
        dialect = connection.dialect
        driver = connection.connection.driver_connection
        assert driver is not None
        # One cursor for every query: a batch runs many small lookups one after another.
        self._cursor: Any = driver.cursor()
        self._errors: type[Exception] = dialect.loaded_dbapi.Error
        # Raw SQL is written with ? placeholders; other drivers (PostgreSQL) want %s.
        self._format = dialect.paramstyle in ("format", "pyformat")
        self._partners: dict[str, _Partner] = {}
        self._partner_ids: dict[int, str] = {}
        self._groups: dict[str, _Group] = {}
        self._partner_facts: dict[tuple[str, frozenset[str]], PartnerFacts] = {}
        self._group_facts: dict[tuple[str, tuple[int, ...]], GroupFacts] = {}
        self._consent_sql: dict[tuple[int, int], str] = {}
        self._recipients: dict[str, Recipient] = {}
        self._recipients_at: datetime | None = None
        self._text_at: datetime | None = None
        self._text = ""
        self._load()

    # ------------------------------------------------------------------ raw access

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query on the raw connection; a driver error becomes a StoreError."""
        if self._format:
            sql = sql.replace("?", "%s")
        try:
            cursor = self._cursor
            cursor.execute(sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
        except self._errors as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreError(f"Database error while checking: {first}") from None

    def _load(self) -> None:
        """Partners with their established notes, flags and memberships; groups."""
        names: dict[int, tuple[str, str]] = {
            row[0]: (row[1], row[2]) for row in self._rows("SELECT id, short, name FROM partner")
        }
        groups: dict[int, tuple[str, str]] = {
            row[0]: (row[1], row[2])
            for row in self._rows("SELECT id, key, name FROM partner_group")
        }
        establishments: dict[int, list[_Establishment]] = defaultdict(list)
        for note_id, partner_id, at, due, version, profile, forms, written in self._rows(
            "SELECT e.note_id, e.partner_id, e.established_at, e.review_due, v.version, "
            "v.profile, v.forms, v.created_at FROM note_establishment e "
            "JOIN note_version v ON v.id = e.note_id"
        ):
            establishments[partner_id].append(
                (_moment(at), version, _moment(due), profile, forms, note_id, _moment(written))
            )
        withdrawn = {
            note_id: _moment(at)
            for note_id, at in self._rows("SELECT note_id, withdrawn_at FROM note_withdrawal")
        }
        flags: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
        for partner_id, at, reason in self._rows(
            "SELECT partner_id, recorded_at, reason FROM partner_flag"
        ):
            flags[partner_id].append((_moment(at), reason))
        memberships: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
        members: dict[int, list[tuple[str, datetime, int]]] = defaultdict(list)
        for group_id, partner_id, added in self._rows(
            "SELECT group_id, partner_id, added_at FROM group_membership"
        ):
            memberships[partner_id].append((_moment(added), groups[group_id][0]))
            members[group_id].append((names[partner_id][0], _moment(added), partner_id))

        for partner_id, (short, name) in names.items():
            ordered = sorted(establishments.get(partner_id, []))
            self._partners[short] = _Partner(
                short=short,
                name=name,
                notes=_note_facts(ordered, withdrawn),
                flags=_flag_facts(flags.get(partner_id, []), [(e[0], e[6]) for e in ordered]),
                memberships=tuple(sorted(memberships.get(partner_id, []))),
            )
            self._partner_ids[partner_id] = short
        for group_id, (key, name) in groups.items():
            self._groups[key] = _Group(
                key=key,
                name=name,
                members=tuple((added, pid) for _, added, pid in sorted(members[group_id])),
            )

    # ------------------------------------------------------------------ names

    def holder(self, value: str | None) -> str:
        """Our own service ("self") or the handle of a registered partner."""
        if value is None or not value.strip():
            return OWN_SERVICE
        key = value.strip().lower()
        if key == OWN_SERVICE or key in self._partners:
            return key
        if key in self._groups:
            raise InvalidInput(f"The holder must be a partner or self, not the group {quote(key)}.")
        raise NotFound(_suggestion(value, sorted(self._partners), what="partner"))

    def recipient(self, value: str, at: datetime) -> Recipient:
        """The partner or group named `value`, with what is known about it at `at`."""
        # Most checks of a batch share one moment, so the answers for it are kept (bounded by
        # the number of partners and groups) until a row asks about another moment.
        if at != self._recipients_at:
            self._recipients.clear()
            self._recipients_at = at
        found = self._recipients.get(value)
        if found is None:
            found = self._recipient(value, at)
            if len(self._recipients) < _MAX_CACHED_NAMES:
                self._recipients[value] = found
        return found

    def _recipient(self, value: str, at: datetime) -> Recipient:
        key = value.strip().lower()
        if key == OWN_SERVICE:
            raise InvalidInput("'self' is our own service; give a partner or a group with --to.")
        partner = self._partners.get(key)
        if partner is not None:
            return self._partner_at(partner, at)
        group = self._groups.get(key)
        if group is not None:
            member_ids = tuple(pid for added, pid in group.members if added <= at)
            cache_key = (key, member_ids)
            facts = self._group_facts.get(cache_key)
            if facts is None:
                members = tuple(
                    self._partner_at(self._partners[self._partner_ids[pid]], at)
                    for pid in member_ids
                )
                facts = GroupFacts(key=group.key, name=group.name, members=members)
                self._group_facts[cache_key] = facts
            return facts
        known = sorted([*self._partners, *self._groups])
        raise NotFound(_suggestion(value, known, what="partner or group"))

    def _partner_at(self, partner: _Partner, at: datetime) -> PartnerFacts:
        """The partner's facts with the groups it belonged to at `at` (cached; bounded)."""
        joined = tuple((key, added) for added, key in partner.memberships if added <= at)
        groups = frozenset(key for key, _ in joined)
        cache_key = (partner.short, groups)
        facts = self._partner_facts.get(cache_key)
        if facts is None:
            facts = PartnerFacts(
                short=partner.short,
                name=partner.name,
                notes=partner.notes,
                flags=partner.flags,
                groups=groups,
                joined=joined,
            )
            self._partner_facts[cache_key] = facts
        return facts

    def item(self, text: str, at: datetime) -> ItemFacts:
        """The item addressed by REF or ORIGINATOR/REF, as it was on record at `at`."""
        originator, ref = split_handle(text)
        if not ref:
            raise InvalidInput("The item is empty; give REF or ORIGINATOR/REF.")
        if originator is None:
            rows = self._rows(_ITEM_BY_REF, (ref,))
        else:
            rows = self._rows(_ITEM_BY_HANDLE, (originator, ref))
        if not rows:
            raise unknown_item(text)
        first = rows[0]
        if len(rows) > 1 and any(row[0] != first[0] for row in rows):
            raise ambiguous_item(ref, sorted({row[1] for row in rows}))
        item_id, origin, item_ref, received_from, personal, unevaluated, recorded = first[:7]
        handle = full_handle(origin, item_ref)
        # SQLite keeps UTC as sortable text, so most rows need no parsing here.
        on_record = (
            recorded <= self._stored_text(at)
            if isinstance(recorded, str)
            else _moment(recorded) <= at
        )
        if not on_record:
            raise InvalidInput(
                f"Item {handle} was registered only on {iso(_moment(recorded))}, after "
                f"{iso(at)}; it was not on record then."
            )
        return ItemFacts(
            id=item_id,
            handle=handle,
            originator=origin,
            received_from=received_from,
            personal_data=bool(personal),
            unevaluated=bool(unevaluated),
            tags=(
                frozenset(row[7] for row in rows if row[7] is not None)
                if len(rows) > 1 or first[7] is not None
                else frozenset()
            ),
        )

    def _stored_text(self, at: datetime) -> str:
        """`at` as SQLAlchemy stores a UTC datetime on SQLite (naive, with microseconds)."""
        if at != self._text_at:
            self._text_at = at
            self._text = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return self._text

    def _consent_query(self, recipients: int, tags: int) -> str:
        """The SQL for consents to some recipients for an item and some of its tags."""
        key = (recipients, tags)
        sql = self._consent_sql.get(key)
        if sql is None:
            where = _CONSENT_FILTER.format(recipients=", ".join("?" * recipients))
            sql = f"SELECT {_CONSENT_COLUMNS} {where}c.item_id = ?"
            if tags:
                marks = ", ".join("?" * tags)
                sql += f" UNION ALL SELECT {_CONSENT_COLUMNS} {where}c.tag IN ({marks})"
            self._consent_sql[key] = sql
        return sql

    def _consents(self, item: ItemFacts, holder: str, recipient: Recipient) -> list[ConsentFacts]:
        """The consents from the item's originator to `holder` for the item or its tags.

        Only consents to a name the rules could match are read: the recipient, its members
        and the groups they (or it) belong to. The rules ignore every other consent, so the
        answer is the same, and an originator's many consents to others cost nothing here.
        """
        if isinstance(recipient, GroupFacts):
            names = {recipient.key}
            for member in recipient.members:
                names.add(member.short)
                names |= member.groups
        else:
            names = {recipient.short, *recipient.groups}
        targets = sorted(names)
        tags = sorted(item.tags)
        sql = self._consent_query(len(targets), len(tags))
        params: list[Any] = [item.originator, holder, *targets, item.id]
        if tags:
            params += [item.originator, holder, *targets, *tags]
        return [
            ConsentFacts(
                id=cid,
                originator=item.originator,
                holder=holder,
                recipient=recipient,
                item_id=item_id,
                tag=tag,
                purpose=purpose,
                valid_from=_moment(valid_from),
                valid_until=_optional_moment(valid_until),
                recorded_at=_moment(recorded_at),
                revoked_at=_optional_moment(revoked_at),
                conditions=tuple(stored_json(conditions, "conditions of a consent"))
                if conditions != "[]"
                else (),
                reference=reference,
            )
            for (
                cid,
                recipient,
                item_id,
                tag,
                purpose,
                valid_from,
                valid_until,
                recorded_at,
                conditions,
                reference,
                revoked_at,
            ) in self._rows(sql, params)
        ]

    def _permissions(self, item: ItemFacts) -> list[PermissionFacts]:
        """The higher permissions recorded for the item."""
        return [
            PermissionFacts(
                id=pid,
                item_id=item.id,
                recipient=recipient,
                role=role,
                # A back-dated permission counts only from when it was on record.
                valid_from=max(_moment(valid_from), _moment(recorded_at)),
                valid_until=_moment(valid_until),
                ctivd_notified=bool(ctivd_notified),
            )
            for (
                pid,
                recipient,
                role,
                valid_from,
                valid_until,
                recorded_at,
                ctivd_notified,
            ) in self._rows(_PERMISSIONS_OF_ITEM, (item.id,))
        ]

    # ------------------------------------------------------------------ the check

    def check(
        self,
        item: str,
        to: str,
        *,
        at: datetime,
        holder: str | None = None,
        purpose: str | None = None,
    ) -> CheckResult:
        """Whether `holder` (default us) may pass `item` to `to` at `at`, with every reason."""
        owner = OWN_SERVICE if holder is None else self.holder(holder)
        facts = self.item(item, at)
        recipient = self.recipient(to, at)
        clean_purpose = (
            clean_text(purpose, field="Purpose", required=False, max_length=200) or None
            if purpose is not None
            else None
        )
        # Our own items held by us need no consent, so there is nothing to look up.
        consents = self._consents(facts, owner, recipient) if facts.originator != owner else []
        # Rule 4 can ask for a permission only for personal or unevaluated data or a flagged
        # recipient; otherwise the permissions cannot change the answer and are not read.
        members = recipient.members if isinstance(recipient, GroupFacts) else (recipient,)
        needs_permissions = (
            facts.personal_data or facts.unevaluated or any(m.flags for m in members)
        )
        permissions = self._permissions(facts) if needs_permissions else []
        decision = decide(
            facts,
            recipient,
            at,
            holder=owner,
            purpose=clean_purpose,
            consents=consents,
            permissions=permissions,
        )
        is_group = isinstance(recipient, GroupFacts)
        return CheckResult(
            item=facts,
            recipient=recipient.key if isinstance(recipient, GroupFacts) else recipient.short,
            is_group=is_group,
            holder=owner,
            purpose=clean_purpose,
            at=at,
            decision=decision,
        )


def _note_facts(
    ordered: list[_Establishment],
    withdrawn: dict[int, datetime],
) -> tuple[NoteFacts, ...]:
    """A partner's established notes, each ended by the next establishment or a withdrawal."""
    notes = []
    for index, (at, version, due, profile, forms, note_id, _written) in enumerate(ordered):
        superseded = ordered[index + 1][0] if index + 1 < len(ordered) else None
        withdrawal = withdrawn.get(note_id)
        # As in notes.derive_states: a withdrawal before the next establishment ends it as
        # withdrawn; otherwise the next establishment supersedes it.
        ended_at: datetime | None = None
        end_kind: NoteStatus | None = None
        if withdrawal is not None and (superseded is None or withdrawal < superseded):
            ended_at, end_kind = withdrawal, NoteStatus.withdrawn
        elif superseded is not None:
            ended_at, end_kind = superseded, NoteStatus.superseded
        notes.append(
            NoteFacts(
                version=version,
                established_at=at,
                review_due=due,
                profile=_profile(profile, version),
                forms=frozenset(stored_json(forms, "forms of a note")),
                ended_at=ended_at,
                end_kind=end_kind,
            )
        )
    return tuple(notes)


def _suggestion(value: str, known: list[str], *, what: str) -> str:
    """'No partner …' with the closest names (imported late: only errors need it)."""
    from wegings.partners import suggestion

    return suggestion(value, known, what=what, listing="wegings partners")


def _profile(value: str, version: int) -> RiskProfile:
    """A stored risk profile; anything else is a fault, never a guess."""
    try:
        return RiskProfile(value)
    except ValueError:
        raise InvalidInput(f"Note v{version} has an unknown risk profile {quote(value)}.") from None


def _flag_facts(
    flags: list[tuple[datetime, str]], rewrites: list[tuple[datetime, datetime]]
) -> tuple[FlagFacts, ...]:
    """A partner's flags, each with the moment `notes.flag_cleared_at` clears it."""
    return tuple(
        FlagFacts(raised_at=raised, reason=reason, cleared_at=flag_cleared_at(raised, rewrites))
        for raised, reason in sorted(flags)
    )


def check_one(
    session: Session,
    item: str,
    to: str,
    *,
    at: datetime,
    holder: str | None = None,
    purpose: str | None = None,
) -> CheckResult:
    """One can-share check on the session's snapshot of the store."""
    return SharingReader(session).check(item, to, at=at, holder=holder, purpose=purpose)
