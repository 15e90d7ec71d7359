"""Loading the facts of a can-share check from the store and running the pure rules on them.

The small tables (partners, groups, memberships, notes, flags) are read once per reader; each
check then looks up its item, consents and permissions by index through the raw DBAPI
connection, so a batch of many checks neither builds ORM objects nor grows in memory. A batch
reads the items of its next rows, with their own consents and permissions, a chunk at a time
(`prefetch`), then in one query the consents those rows could rely on (`prefetch_consents`),
and the standing consents of an originator for a tag once (bounded); on PostgreSQL these
statements take arrays, so each has one text (and a small plan) however many rows a chunk
names. What rules 2-4 find about a recipient at one moment (`rules.standing`) is found once
for all rows to it then.

Nothing is read as an answer unless it is intact (DOMAIN.md, "Tamper evidence"):

- every value is read with its exact stored type and form (`wegings.store.stored`);
- per reader (one snapshot) the number of rows of each table a decision relies on must equal
  the number of its audit events, so a row deleted or added behind wegings' back makes every
  check an error;
- every row a check reads must equal the snapshot in its audit event (looked up by index,
  joined into the same query), and a consent's revocation must be the one the trail records.

A fault in one partner's records (its note, flags, memberships) is kept with that partner and
raised only by the checks that rely on it, so the rest of a batch goes on.

Time: `at` is the moment validity is judged; `known_at` (default `at`) the on-record cutoff,
earlier when a decision is replayed with its basis, the read moment in hindsight. Items, item
corrections, group joins and leaves, consents, revocations and permissions recorded after
`known_at` are left out here; the pure rules leave out notes, flags and retractions recorded
after it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from wegings.domain import FORM_KEYS, OWN_SERVICE, RiskProfile, Role
from wegings.errors import InvalidInput, NotFound, StoreError, WegingsError
from wegings.notes.lifecycle import cutoff as effect_cutoff
from wegings.notes.lifecycle import flag_cleared_at, note_end
from wegings.sharing.facts import (
    ConsentFacts,
    FlagFacts,
    GroupFacts,
    ItemCorrectionFacts,
    ItemFacts,
    MembershipFacts,
    NoteFacts,
    PartnerFacts,
    PermissionFacts,
    Recipient,
    item_as_known,
    memberships_at,
)
from wegings.sharing.handles import ambiguous_item, full_handle, split_handle, unknown_item
from wegings.sharing.records import (
    RELIED_ON,
    VERIFY_HINT,
    RecordKind,
    UnreadableRecord,
    altered,
    count_problem,
    count_sql,
    known_kinds,
    record_kinds,
    unaudited,
    unreadable,
    vanished,
)
from wegings.sharing.result import CheckResult
from wegings.sharing.rules import Standing, decide, standing
from wegings.store.basis import format_basis, parse_anchor
from wegings.store.chain import chain_hash
from wegings.store.snapshot import ReadSnapshot, as_snapshot
from wegings.store.stored import Unreadable, read_datetime
from wegings.text import clean_text, quote, suggestion
from wegings.timeutil import iso

if TYPE_CHECKING:
    from sqlmodel import Session

_MAX_CACHED_NAMES = 10_000
# How many recipients' standings at a moment a reader keeps (each holds its reasons).
_MAX_CACHED_STANDINGS = 4_096
# A batch's SQLite connection: its page cache (KiB) and how much of the file it maps, so
# that its many index searches read pages from memory instead of a system call for each.
_BATCH_CACHE_KIB = 65_536
_BATCH_MMAP_BYTES = 1 << 30
_MAX_VERIFIED = 100_000
# Item corrections are read whole when a reader opens while there are at most this many (their
# events are read then anyway); beyond, each check reads its item's own.
_MAX_LOADED_CORRECTIONS = 20_000
# How many references one query of `prefetch` names: padded to a multiple of this, so that a
# batch uses a few statements, not one for every number of distinct references.
_PREFETCH_STEP = 64
# How many standing (tag) consents a reader keeps between checks; beyond, it starts over.
_MAX_CACHED_TAG_CONSENTS = 50_000
# The consents one check reads by id are named in a list padded to a multiple of this.
_IDS_STEP = 8
# At most this many consents are read in full for a chunk of a batch (fewer than SQLite's
# oldest limit of 999 bound values); beyond, each check reads its own.
_MAX_PREFETCHED_CONSENTS = 960
_FORMS = frozenset(FORM_KEYS)
_NO_TAGS: frozenset[str] = frozenset()
_ITEM_FIELDS = (
    "originator",
    "received_from",
    "personal_data",
    "unevaluated",
    "classification",
    "subject",
)
_PROFILES = frozenset(p.value for p in RiskProfile)
_ROLES = frozenset(r.value for r in Role)
# Entities read whole when a reader opens; the others are read per check.
_LOADED = (
    "partner",
    "group",
    "membership",
    "membership_change",
    "note",
    "establishment",
    "withdrawal",
    "flag",
    "flag_retraction",
)
_MEMBERSHIP_CHANGES = {"join": True, "leave": False}
_GENESIS = "0" * 64
_STORED_TEXT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}")
# An event with its successor's prev_hash, to hash it and check that the chain goes on from it.
_EVENT_SELECT = (
    "SELECT e.seq, e.at, e.actor, e.action, e.entity, e.entity_id, e.change, e.prev_hash, "
    "e.hash, n.prev_hash, e.os_login FROM audit_event e "
    "LEFT JOIN audit_event n ON n.seq = e.seq + 1"
)
_EVENTS_BY_SEQ = f"{_EVENT_SELECT} WHERE e.seq = ?"


def _iso_of_stored(value: Any) -> str | None:
    """An event's stored time as `iso()` writes it into the hash; None when unreadable."""
    # The common case without parsing: SQLite's naive UTC text with microseconds.
    if type(value) is str and _STORED_TEXT.fullmatch(value):
        if value.endswith(".000000"):
            return f"{value[:10]}T{value[11:19]}Z"
        return f"{value[:10]}T{value[11:]}Z"
    try:
        return iso(read_datetime(value))
    except Unreadable:
        return None


def _event_join(alias: str, entity: str, row: str) -> str:
    """LEFT JOIN of the audit event of row `row`.id (by the (entity, entity_id) index) and of
    the event after it (by sequence number), whose prev_hash must be this event's hash."""
    return (
        f" LEFT JOIN audit_event {alias} ON {alias}.entity = '{entity}' "
        f"AND {alias}.entity_id = CAST({row}.id AS TEXT)"
        f" LEFT JOIN audit_event n{alias} ON n{alias}.seq = {alias}.seq + 1"
    )


def _event_columns(alias: str) -> str:
    """The columns of a joined event in `_EVENT_WIDTH` places, as `_EVENT_SELECT` has them."""
    return (
        f"{alias}.seq, {alias}.at, {alias}.actor, {alias}.action, {alias}.entity, "
        f"{alias}.entity_id, {alias}.change, {alias}.prev_hash, {alias}.hash, n{alias}.prev_hash, "
        f"{alias}.os_login"
    )


_EVENT_WIDTH = 11
_CHANGE = 6  # where the snapshot stands among an event's columns
_NO_EVENT = ", ".join(["NULL"] * _EVENT_WIDTH)


# The SQL in this module is built only from the models' table and column names and fixed
# entity names (hence the S608 waivers); every value is a bound parameter.


@cache
def _queries(verify: bool) -> dict[str, str]:
    """The per-check SQL, with the audit events joined in when records are verified."""
    kinds = record_kinds()
    item, tag = kinds["item"], kinds["item_tag"]
    consent, revocation = kinds["consent"], kinds["revocation"]
    permission, withdrawal = kinds["permission"], kinds["permission_revocation"]
    correction = kinds["item_correction"]
    if verify:
        item_sql = (
            f"SELECT {item.select('i')}, {_event_columns('ei')}, {tag.select('t')}, "  # noqa: S608
            f"{_event_columns('et')} FROM item i"
            f"{_event_join('ei', 'item', 'i')} LEFT JOIN item_tag t ON t.item_id = i.id"
            f"{_event_join('et', 'item_tag', 't')}"
        )
        consent_sql = (
            f"SELECT {consent.select('c')}, {_event_columns('ec')}, "  # noqa: S608
            f"{revocation.select('r')}, {_event_columns('er')} "
            f"FROM consent c{_event_join('ec', 'consent', 'c')} "
            f"LEFT JOIN consent_revocation r ON r.consent_id = c.id"
            f"{_event_join('er', 'revocation', 'r')}"
        )
        permission_sql = (
            f"SELECT {permission.select('p')}, {_event_columns('ep')}, "  # noqa: S608
            f"{withdrawal.select('r')}, {_event_columns('er')} FROM permission p"
            f"{_event_join('ep', 'permission', 'p')} "
            "LEFT JOIN permission_revocation r ON r.permission_id = p.id"
            f"{_event_join('er', 'permission_revocation', 'r')}"
        )
        correction_sql = (
            f"SELECT {correction.select('k')}, {_event_columns('ek')} "  # noqa: S608
            f"FROM item_correction k{_event_join('ek', 'item_correction', 'k')}"
        )
    else:
        item_sql = (
            f"SELECT {item.select('i')}, {_NO_EVENT}, {tag.select('t')}, {_NO_EVENT} "  # noqa: S608
            "FROM item i "
            "LEFT JOIN item_tag t ON t.item_id = i.id"
        )
        consent_sql = (
            f"SELECT {consent.select('c')}, {_NO_EVENT}, {revocation.select('r')}, "  # noqa: S608
            f"{_NO_EVENT} FROM consent c "
            "LEFT JOIN consent_revocation r ON r.consent_id = c.id"
        )
        permission_sql = (
            f"SELECT {permission.select('p')}, {_NO_EVENT}, "  # noqa: S608
            f"{withdrawal.select('r')}, {_NO_EVENT} FROM permission p "
            "LEFT JOIN permission_revocation r ON r.permission_id = p.id"
        )
        correction_sql = (
            f"SELECT {correction.select('k')}, {_NO_EVENT} "  # noqa: S608
            "FROM item_correction k"
        )
    if verify:
        item_only_sql = (
            f"SELECT {item.select('i')}, {_event_columns('ei')} FROM item i"  # noqa: S608
            f"{_event_join('ei', 'item', 'i')}"
        )
        tag_sql = (
            f"SELECT {tag.select('t')}, {_event_columns('et')} FROM item_tag t"  # noqa: S608
            f"{_event_join('et', 'item_tag', 't')}"
        )
    else:
        item_only_sql = f"SELECT {item.select('i')}, {_NO_EVENT} FROM item i"  # noqa: S608
        tag_sql = f"SELECT {tag.select('t')}, {_NO_EVENT} FROM item_tag t"  # noqa: S608
    return {
        # On a server, the statements of `prefetch` take their references as one array, so
        # that each has one text and a small plan whatever the number of references; the
        # items and their tags in two statements, each by index (a join would hash the whole
        # of item_tag). Their rows are put together as the joined query gives them.
        "items_by_ref_array": f"{item_only_sql} WHERE i.ref = ANY(?) ORDER BY i.ref, i.id",
        "tags_by_item_array": f"{tag_sql} WHERE t.item_id = ANY(?::bigint[]) "
        "ORDER BY t.item_id, t.tag",
        "consent_keys_by_item_array": "SELECT c.id, c.originator, c.item_id, c.recipient "
        "FROM unnest(?::text[], ?::bigint[]) AS k(originator, item_id) JOIN consent c "
        "ON c.originator = k.originator AND c.holder = ? AND c.item_id = k.item_id",
        "consents_by_id_array": f"{consent_sql} WHERE c.id = ANY(?::bigint[])",
        "permissions_by_item_array": f"{permission_sql} WHERE p.item_id = ANY(?::bigint[])",
        "item_by_ref": f"{item_sql} WHERE i.ref = ?",
        "item_by_handle": f"{item_sql} WHERE i.originator = ? AND i.ref = ?",
        # Many references at once (a batch's next rows); `prefetch` puts each reference's rows
        # in the order of the queries above (by item id, then by tag) itself: an ORDER BY
        # here sorted every row of the chunk, events and all, in a temporary b-tree.
        "items_by_refs": f"{item_sql} WHERE i.ref IN ({{marks}})",
        "consent": consent_sql,
        # Which consents there are (id, originator, item and recipient) for many items at once
        # (a batch's next rows, one index search a term) and, standing, for one tag; a check
        # then reads in full, with their events, only those to a name it could match.
        "consent_keys_by_items": "SELECT c.id, c.originator, c.item_id, c.recipient "
        "FROM consent c WHERE {terms}",
        "consent_keys_by_tag": "SELECT c.id, c.recipient FROM consent c "
        "WHERE c.originator = ? AND c.holder = ? AND c.tag = ?",
        "consents_by_ids": f"{consent_sql} WHERE c.id IN ({{marks}})",
        "permission": f"{permission_sql} WHERE p.item_id = ?",
        # The permissions of many items at once (a batch's next rows).
        "permissions_by_items": f"{permission_sql} WHERE p.item_id IN ({{marks}})",
        "item_correction": f"{correction_sql} WHERE k.item_id = ?",
        # Every correction in the order of the query above (by the item's index, then by id).
        "item_corrections": f"{correction_sql} ORDER BY k.id",
    }


@dataclass(slots=True)
class _Partner:
    short: str
    name: str
    notes: tuple[NoteFacts, ...] = ()
    flags: tuple[FlagFacts, ...] = ()
    memberships: tuple[MembershipFacts, ...] = ()  # its joins and leaves, rows included
    error: str | None = None  # the first fault in its records: raised when it is relied on


@dataclass(slots=True)
class _Group:
    key: str
    name: str
    members: tuple[int, ...] = ()  # every partner that ever joined it, by partner handle
    error: str | None = None


@dataclass(slots=True)
class _Loaded:
    """The rows of one entity read when the reader opens: typed values by id."""

    rows: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    faulty: dict[int, tuple[tuple[Any, ...], str]] = field(default_factory=dict)


class SharingReader:
    """Answers can-share checks on one read snapshot of the store."""

    def __init__(
        self,
        source: ReadSnapshot | Session,
        *,
        service_name: str | None = None,
        verify_records: bool = True,
    ) -> None:
        """Read the head, the counts and the small tables once from `source`, a read snapshot
        (`wegings.store.snapshot`) or a session (read as one), which keeps the snapshot.

        `service_name` is our service's name for the rules (default: `wegings.service`);
        `verify_records=False` skips the audit comparison (for the benchmark only).
        """
        from wegings.service import own_service

        snapshot = as_snapshot(source)
        self._snapshot = snapshot
        self._service = service_name if service_name is not None else own_service()
        self._verify = verify_records
        self._kinds = record_kinds()
        self._sql = _queries(verify_records)
        # One cursor for every query: a batch runs many small lookups one after another.
        self._cursor: Any = snapshot.cursor()
        self._errors: type[Exception] = snapshot.errors
        # Raw SQL is written with ? placeholders; other drivers (PostgreSQL) want %s.
        self._format = snapshot.paramstyle in ("format", "pyformat")
        # PostgreSQL plans every new statement text: there, `prefetch` passes arrays.
        self._arrays = snapshot.dialect == "postgresql"
        self._sqlite = snapshot.dialect == "sqlite"
        self._partners: dict[str, _Partner] = {}
        self._partner_ids: dict[int, str] = {}
        self._groups: dict[str, _Group] = {}
        self._partner_facts: dict[tuple[str, tuple[tuple[str, datetime], ...]], PartnerFacts] = {}
        self._group_facts: dict[tuple[str, tuple[int, ...]], GroupFacts] = {}
        self._consent_sql: dict[tuple[int, int], str] = {}
        # The recipients by (the name as given, at, known_at): most checks of a batch share a
        # few moments (bounded; cleared when full).
        self._recipients: dict[tuple[str, datetime, datetime], Recipient] = {}
        # What rules 2-4 find about each recipient at one moment (`rules.standing`), with
        # whether it has flags and the names its consents could be to (`_standing`), by the
        # identity of its facts (each entry holds them, so the id stays theirs) and the
        # moments; the same for every row to that recipient then (bounded; cleared when full).
        self._standings: dict[
            tuple[int, datetime, datetime], tuple[Standing, bool, frozenset[str]]
        ] = {}
        self._verified: set[tuple[str, int]] = set()
        self._cutoffs: dict[str, tuple[str, datetime]] = {}
        # The revocation the trail records for each consent: (revocation id, its snapshot).
        self._revocation_events: dict[int, tuple[int, str]] = {}
        # Likewise the revocation the trail records for each permission.
        self._permission_revocation_events: dict[int, tuple[int, str]] = {}
        # The corrections the trail records for each item, by item id.
        self._correction_events: dict[int, set[int]] = {}
        # Every correction row with its events, by the item id it names (None: not read whole;
        # each check then queries its item's).
        self._correction_rows: dict[Any, list[tuple[Any, ...]]] | None = None
        # The rows of the items `prefetch` read for the next checks, by reference.
        self._prefetched: dict[str, list[tuple[Any, ...]]] = {}
        # The (originator, reference) of each item as the next checks name it (`split_handle`).
        self._handles: dict[str, tuple[str | None, str]] = {}
        # Our consents for the items `prefetch` read, by (originator, item id): (id, recipient)
        # in id order.
        self._item_consents: dict[tuple[str, int], list[tuple[Any, Any]]] = {}
        # Standing consents by (originator, holder, tag): (id, recipient) in (recipient, id)
        # order, read once for the batch; bounded by `_MAX_CACHED_TAG_CONSENTS`.
        self._tag_consents: dict[tuple[str, str, str], list[tuple[Any, Any]]] = {}
        self._tag_consent_rows = 0
        item_columns = self._kinds["item"].columns
        self._item_width = len(item_columns)
        self._item_at = {name: index for index, name in enumerate(item_columns)}
        # Where the values ItemFacts takes besides its id, handle and tags stand in an item's row.
        self._item_fields = tuple(self._item_at[name] for name in _ITEM_FIELDS)
        self._tag_width = self._kinds["item_tag"].width
        self._tag_at = self._kinds["item_tag"].columns.index("tag")
        self._tag_item = self._kinds["item_tag"].columns.index("item_id")
        self._permission_item = self._kinds["permission"].columns.index("item_id")
        # The consents `prefetch` read in full, by id, and the names a check to a recipient
        # could find a consent to (`_names_matched`), by the name as given.
        self._consent_rows: dict[Any, list[tuple[Any, ...]]] = {}
        self._matched_names: dict[str, frozenset[str]] = {}
        # The permissions of the items `prefetch` read, by item id, in id order.
        self._item_permissions: dict[int, list[tuple[Any, ...]]] = {}
        # How many rows each relied-on table holds (known once the counts were checked).
        self._row_counts: dict[str, int] = {}
        # A fault that makes every check on this snapshot an error (a count that differs).
        self._broken: str | None = None
        self._faulty_names: dict[str, str] = {}
        self.head_seq, self.head_hash = self._head()
        self._basis: str | None = None
        if verify_records:
            self._broken = self._count_problem()
        self._load()
        self._load_corrections()

    # ------------------------------------------------------------------ raw access

    def read_many(self) -> None:
        """Prepare this reader's connection for a batch, which reads many pages of a large
        file: on SQLite a larger page cache and memory-mapped reads (settings of this
        connection only, which change no answer; the session closes it at its end)."""
        if self._sqlite:
            self._rows(f"PRAGMA cache_size = -{_BATCH_CACHE_KIB}")
            self._rows(f"PRAGMA mmap_size = {_BATCH_MMAP_BYTES}")

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

    def _head(self) -> tuple[int, str]:
        """The audit head this snapshot reads: the last event's sequence number and hash."""
        rows = self._rows("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
        if not rows:
            return 0, _GENESIS
        seq, digest = rows[0]
        if type(seq) is not int or type(digest) is not str:
            raise StoreError(
                f"The last audit event holds an unreadable sequence number or hash "
                f"({seq!r}, {digest!r}); run `wegings audit verify`."
            )
        return seq, digest

    def _count_problem(self) -> str | None:
        """A fault of the whole trail, or the first relied-on table whose row count differs.

        The trail must hold exactly the events 1..head, each of a known kind (every audited
        table's, `records.known_kinds`, not only those a decision relies on): sequence numbers
        are unique, so when the events of the known kinds number as many as the head's
        sequence number and the first is 1, none is missing (removed from the middle) and none
        was relabelled away from its record. The per-kind counts this takes are the ones the
        table check needs anyway, so the trail costs no scan of its own. The head must hash
        right; then each relied-on table must have as many rows as events.
        """
        others = tuple(kind for kind in known_kinds() if kind not in RELIED_ON)
        row = self._rows(count_sql(RELIED_ON, others))[0]
        counts, first = row[: 2 * len(RELIED_ON)], row[-1]
        self._row_counts = {entity: counts[2 * n] for n, entity in enumerate(RELIED_ON)}
        known = sum(counts[1::2]) + sum(row[2 * len(RELIED_ON) : -1])
        if known != self.head_seq or (known and first != 1):
            return (
                f"The audit trail ends at event {self.head_seq} but holds {known} events of a "
                f"known kind: events were removed or changed outside wegings; {VERIFY_HINT}."
            )
        if self.head_seq:
            problem = self._chain_problem(self._rows(_EVENTS_BY_SEQ, (self.head_seq,)))
            if problem is not None:
                return problem
        return count_problem(RELIED_ON, counts)

    def _chain_problem(self, events: Sequence[Sequence[Any]]) -> str | None:
        """The first of `events` (rows of `_EVENT_SELECT`'s columns) that does not hash right or
        whose successor does not link to it; None when all hold."""
        for event in events:
            problem = self._event_problem(event)
            if problem is not None:
                return problem
        return None

    def _event_problem(self, event: Sequence[Any]) -> str | None:
        """Why one event (a row of `_EVENT_SELECT`'s columns) does not hash right or its
        successor does not link to it; None when it holds."""
        seq, at, actor, action, entity, entity_id, change, prev_hash, digest, following, login = (
            event
        )
        # `_iso_of_stored(at)`, its common case written out: every record a check relies on
        # has its event hashed here.
        if type(at) is str and _STORED_TEXT.fullmatch(at):
            moment: str | None = (
                f"{at[:10]}T{at[11:19]}Z" if at.endswith(".000000") else f"{at[:10]}T{at[11:]}Z"
            )
        else:
            moment = _iso_of_stored(at)
        if (
            moment is None
            or type(actor) is not str
            or type(action) is not str
            or type(entity) is not str
            or type(entity_id) is not str
            or type(change) is not str
            or type(prev_hash) is not str
            or type(digest) is not str
            or (login is not None and type(login) is not str)
            or chain_hash(
                seq, moment, actor, action, entity, entity_id, change, prev_hash, os_login=login
            )
            != digest
        ):
            return (
                f"Audit event {seq} ({entity} #{entity_id}) does not match its hash — the "
                f"audit trail was changed outside wegings; {VERIFY_HINT}."
            )
        if seq != self.head_seq and following != digest:
            return (
                f"Audit event {seq + 1} does not follow event {seq} ({entity} #{entity_id}) "
                f"— the audit trail was changed outside wegings; {VERIFY_HINT}."
            )
        return None

    @property
    def basis(self) -> str:
        """The audit head this reader answers on, as printed: 'SEQ:HASH16'."""
        # One snapshot, one head: formatted once, not for every row of a batch.
        if self._basis is None:
            self._basis = _format_basis(self.head_seq, self.head_hash)
        return self._basis

    def cutoff(self, basis: str) -> tuple[str, datetime]:
        """A decision's basis 'SEQ:HASH' as printed, and the recorded time of its event."""
        found = self._cutoffs.get(basis)
        if found is None:
            seq, prefix = _parse_basis(basis)
            moment = self._snapshot.basis_cutoff(seq, prefix)
            rows = self._rows("SELECT hash FROM audit_event WHERE seq = ?", (seq,))
            digest = str(rows[0][0]) if rows else _GENESIS
            found = (_format_basis(seq, digest), moment)
            if len(self._cutoffs) < _MAX_CACHED_NAMES:
                self._cutoffs[basis] = found
        return found

    # ------------------------------------------------------------------ loading

    def _events_of(self, entities: Sequence[str]) -> dict[tuple[str, int], str]:
        """The snapshots of every event of `entities`, by (entity, record id)."""
        # One query per kind: with `entity IN (...)` SQLite's planner, seeing only a dozen
        # kinds, scans the whole trail (half a second at two million events) instead of
        # using the index for these few small kinds.
        found: dict[tuple[str, int], str] = {}
        for wanted in entities:
            events = self._rows(f"{_EVENT_SELECT} WHERE e.entity = ?", (wanted,))
            problem = self._chain_problem(events)
            if problem is not None and self._broken is None:
                self._broken = problem
            for event in events:
                entity, entity_id, change = event[4], event[5], event[_CHANGE]
                if type(entity_id) is str and entity_id.isdigit():
                    found[(entity, int(entity_id))] = change
        return found

    def _load_table(
        self,
        entity: str,
        sql: str,
        events: dict[tuple[str, int], str],
        label: Callable[[Sequence[Any]], str],
        owners: Callable[[Sequence[Any]], Sequence[tuple[str, Any]]],
        blame: Callable[[Sequence[tuple[str, Any]], str], None],
    ) -> _Loaded:
        """Read every row of one small table, held to its events; faults go to their owners.

        `owners(values)` names the partners ("partner", id) and groups ("group", id) a row
        belongs to; a faulty row is blamed on those it names now and those its event named.
        """
        kind = self._kinds[entity]
        loaded = _Loaded()
        seen: set[int] = set()
        for values in self._rows(sql):
            row_id = values[0]
            seen.add(row_id)
            change = events.get((entity, row_id))
            try:
                typed = kind.read(values, lambda: label(values))  # noqa: B023 (called at once)
                if self._verify:
                    if change is None:
                        raise unaudited(label(typed))
                    if change != kind.snapshot_text(typed):
                        raise altered(label(typed))
            except UnreadableRecord as exc:
                before = self._event_values(kind, change) if change is not None else None
                blame([*owners(values), *(owners(before) if before else [])], exc.message)
                loaded.faulty[row_id] = (tuple(values), exc.message)
                continue
            loaded.rows[row_id] = typed
        if self._verify:
            for (event_entity, row_id), change in events.items():
                if event_entity == entity and row_id not in seen:
                    before = self._event_values(kind, change)
                    blame(owners(before), vanished(label(before)).message)
        return loaded

    def _event_values(self, kind: RecordKind, change: str | None) -> tuple[Any, ...]:
        """The column values an event's snapshot records (None where it cannot be read)."""
        data = _parse_snapshot(change) if change is not None else {}
        return tuple(data.get(name) for name in kind.columns)

    def _load(self) -> None:
        """Partners with their established notes, flags and memberships; groups."""
        kinds = self._kinds
        events = (
            self._events_of((*_LOADED, "revocation", "permission_revocation", "item_correction"))
            if self._verify
            else {}
        )
        if self._verify:
            revoked = {
                "revocation": (self._revocation_events, "consent_id"),
                "permission_revocation": (self._permission_revocation_events, "permission_id"),
            }
            for (entity, revocation_id), change in events.items():
                if entity == "item_correction":
                    # What the trail says each item's corrections are: a correction moved to
                    # another item must not silently stop counting for this one.
                    corrected = _parse_snapshot(change).get("item_id")
                    if type(corrected) is int:
                        self._correction_events.setdefault(corrected, set()).add(revocation_id)
                    continue
                if entity not in revoked:
                    continue
                expected, column = revoked[entity]
                revoked_id = _parse_snapshot(change).get(column)
                if type(revoked_id) is int:
                    expected[revoked_id] = (revocation_id, change)
        partner_errors: dict[int, str] = {}
        group_errors: dict[int, str] = {}
        global_errors: list[str] = []

        def blame(owners: Sequence[tuple[str, Any]], message: str) -> None:
            targets = [(kind, key) for kind, key in owners if type(key) is int]
            if not targets:
                global_errors.append(message)
            for kind, key in targets:
                errors = partner_errors if kind == "partner" else group_errors
                errors.setdefault(key, message)

        partner = kinds["partner"]
        partners = self._load_table(
            "partner",
            f"SELECT {partner.select('p')} FROM partner p",  # noqa: S608
            events,
            lambda v: f"Partner {_name(v[1])} (#{v[0]})",
            lambda v: [("partner", v[0])],
            blame,
        )
        short_at = partner.columns.index("short")
        name_at = partner.columns.index("name")
        names = {pid: (row[short_at], row[name_at]) for pid, row in partners.rows.items()}

        group = kinds["group"]
        groups_loaded = self._load_table(
            "group",
            f"SELECT {group.select('g')} FROM partner_group g",  # noqa: S608
            events,
            lambda v: f"Group {_name(v[1])} (#{v[0]})",
            lambda v: [("group", v[0])],
            blame,
        )
        key_at, gname_at = group.columns.index("key"), group.columns.index("name")
        groups = {gid: (row[key_at], row[gname_at]) for gid, row in groups_loaded.rows.items()}

        def short_of(partner_id: Any) -> str:
            return names[partner_id][0] if partner_id in names else f"partner #{partner_id!r}"

        def key_of(group_id: Any) -> str:
            return groups[group_id][0] if group_id in groups else f"group #{group_id!r}"

        membership = kinds["membership"]
        m_cols = membership.columns
        m_group, m_partner, m_added = (
            m_cols.index("group_id"),
            m_cols.index("partner_id"),
            m_cols.index("added_at"),
        )
        memberships_loaded = self._load_table(
            "membership",
            f"SELECT {membership.select('m')} FROM group_membership m",  # noqa: S608
            events,
            lambda v: f"Membership #{v[0]} of {short_of(v[m_partner])} in {key_of(v[m_group])}",
            lambda v: [("partner", v[m_partner]), ("group", v[m_group])],
            blame,
        )

        change_kind = kinds["membership_change"]
        c_cols = change_kind.columns
        c_group, c_partner = c_cols.index("group_id"), c_cols.index("partner_id")
        changes_loaded = self._load_table(
            "membership_change",
            f"SELECT {change_kind.select('c')} FROM membership_change c",  # noqa: S608
            events,
            lambda v: (
                f"Membership change #{v[0]} of {short_of(v[c_partner])} in {key_of(v[c_group])}"
            ),
            lambda v: [("partner", v[c_partner]), ("group", v[c_group])],
            blame,
        )

        note = kinds["note"]
        n_cols = note.columns
        notes_loaded = self._load_table(
            "note",
            f"SELECT {note.select('v')} FROM note_version v",  # noqa: S608
            events,
            lambda v: (
                f"Note v{v[n_cols.index('version')]} of "
                f"{short_of(v[n_cols.index('partner_id')])} (#{v[0]})"
            ),
            lambda v: [("partner", v[n_cols.index("partner_id")])],
            blame,
        )

        def of_partner(entity: str, what: str) -> tuple[_Loaded, tuple[str, ...]]:
            """A small table whose rows belong to one partner each, and its columns."""
            kind = kinds[entity]
            at = kind.columns.index("partner_id")
            loaded = self._load_table(
                entity,
                f"SELECT {kind.select('t')} FROM {kind.table} t",  # noqa: S608
                events,
                lambda v: f"{what} #{v[0]} of {short_of(v[at])}",
                lambda v: [("partner", v[at])],
                blame,
            )
            return loaded, kind.columns

        establishments_loaded, e_cols = of_partner("establishment", "Establishment")
        withdrawals_loaded, w_cols = of_partner("withdrawal", "Withdrawal")
        flags_loaded, f_cols = of_partner("flag", "Flag")

        flag_partner = {
            flag_id: row[f_cols.index("partner_id")] for flag_id, row in flags_loaded.rows.items()
        }
        flag_partner.update(
            (flag_id, raw[f_cols.index("partner_id")])
            for flag_id, (raw, _) in flags_loaded.faulty.items()
        )
        retraction = kinds["flag_retraction"]
        r_cols = retraction.columns
        r_flag = r_cols.index("flag_id")
        retractions_loaded = self._load_table(
            "flag_retraction",
            f"SELECT {retraction.select('r')} FROM flag_retraction r",  # noqa: S608
            events,
            lambda v: f"Retraction #{v[0]} of flag #{v[r_flag]!r}",
            lambda v: [("partner", flag_partner.get(v[r_flag]))],
            blame,
        )
        retracted: dict[int, datetime] = {}
        for row in retractions_loaded.rows.values():
            values = dict(zip(r_cols, row, strict=True))
            if values["flag_id"] not in flag_partner:
                global_errors.append(
                    unreadable(f"Retraction #{row[0]}", "flag_id", values["flag_id"]).message
                )
                continue
            retracted[values["flag_id"]] = values["recorded_at"]

        # Notes: each establishment with its version; the facts as the rules want them.
        establishments: dict[int, list[_Establishment]] = defaultdict(list)
        for row in establishments_loaded.rows.values():
            values = dict(zip(e_cols, row, strict=True))
            partner_id = values["partner_id"]
            version_row = notes_loaded.rows.get(values["note_id"])
            if version_row is None:
                # The version is unreadable (blamed already) or gone: the note cannot be read.
                partner_errors.setdefault(
                    partner_id,
                    unreadable(f"Establishment #{row[0]}", "note_id", values["note_id"]).message,
                )
                continue
            version = dict(zip(n_cols, version_row, strict=True))
            try:
                establishments[partner_id].append(_establishment(values, version, names))
            except UnreadableRecord as exc:
                partner_errors.setdefault(partner_id, exc.message)
        withdrawn: dict[int, datetime] = {}
        for row in withdrawals_loaded.rows.values():
            values = dict(zip(w_cols, row, strict=True))
            withdrawn[values["note_id"]] = values["withdrawn_at"]
        flags: dict[int, list[tuple[datetime, str, Any, datetime | None]]] = defaultdict(list)
        for flag_id, row in flags_loaded.rows.items():
            values = dict(zip(f_cols, row, strict=True))
            flags[values["partner_id"]].append(
                (
                    values["recorded_at"],
                    values["reason"],
                    values["observed_on"],
                    retracted.get(flag_id),
                )
            )
        memberships: dict[int, list[MembershipFacts]] = defaultdict(list)
        members: dict[int, set[tuple[str, int]]] = defaultdict(set)

        def add_membership(
            label: str,
            group_id: Any,
            partner_id: Any,
            change: Any,
            since: Any,
            on: Any,
        ) -> None:
            joins = _MEMBERSHIP_CHANGES.get(change)
            if group_id not in groups or partner_id not in names or joins is None:
                fault = (
                    unreadable(label, "change", change).message
                    if joins is None
                    else unreadable(label, "group_id", group_id).message
                )
                partner_errors.setdefault(partner_id, fault)
                group_errors.setdefault(group_id, fault)
                return
            try:
                fact = MembershipFacts(
                    group=groups[group_id][0], joins=joins, valid_from=since, recorded_at=on
                )
            except WegingsError as exc:
                partner_errors.setdefault(partner_id, exc.message)
                group_errors.setdefault(group_id, exc.message)
                return
            memberships[partner_id].append(fact)
            members[group_id].add((names[partner_id][0], partner_id))

        for row in memberships_loaded.rows.values():
            # A membership row is a join from its start, recorded then.
            added = row[m_added]
            add_membership(
                f"Membership #{row[0]}", row[m_group], row[m_partner], "join", added, added
            )
        for row in changes_loaded.rows.values():
            values = dict(zip(c_cols, row, strict=True))
            add_membership(
                f"Membership change #{row[0]}",
                values["group_id"],
                values["partner_id"],
                values["change"],
                values["valid_from"],
                values["recorded_at"],
            )

        if global_errors and self._broken is None:
            self._broken = global_errors[0]
        for partner_id, (short, name) in names.items():
            ordered = sorted(establishments.get(partner_id, []))
            entry = _Partner(short=short, name=name, error=partner_errors.get(partner_id))
            if entry.error is None:
                try:
                    entry.notes = _note_facts(ordered, withdrawn)
                    entry.flags = _flag_facts(
                        flags.get(partner_id, []), [(e[0], e[6]) for e in ordered]
                    )
                except WegingsError as exc:
                    entry.error = exc.message
                entry.memberships = tuple(memberships.get(partner_id, []))
            self._partners[short] = entry
            self._partner_ids[partner_id] = short
        for group_id, (key, name) in groups.items():
            self._groups[key] = _Group(
                key=key,
                name=name,
                members=tuple(pid for _, pid in sorted(members[group_id])),
                error=group_errors.get(group_id),
            )
        # A partner or group whose own row is faulty: checks naming it are errors; when even
        # its name cannot be read, no check can tell whether it relies on it.
        for loaded, at in ((partners, short_at), (groups_loaded, key_at)):
            for raw, message in loaded.faulty.values():
                name = raw[at]
                if type(name) is str:
                    self._faulty_names.setdefault(name.strip().lower(), message)
                elif self._broken is None:
                    self._broken = message

    def _load_corrections(self) -> None:
        """Every item correction with its events, when there are few (a check then needs no
        query for them); the rows are held to their events by the checks that read them."""
        count = self._row_counts.get("item_correction")
        if count is None or count > _MAX_LOADED_CORRECTIONS:
            return
        rows: dict[Any, list[tuple[Any, ...]]] = {}
        if count:
            try:
                found = self._rows(self._sql["item_corrections"])
            except StoreError:
                return  # each check then reads its item's, and meets the fault itself
            at = self._kinds["item_correction"].columns.index("item_id")
            for row in found:
                rows.setdefault(row[at], []).append(row)
        self._correction_rows = rows

    def prefetch(self, items: Iterable[str]) -> None:
        """Read the items named by the next checks (REF or ORIGINATOR/REF) in one query; a check
        of one of them then needs no query for it. The rows are kept until the next call."""
        # Split once for the chunk: `prefetch_consents` and `item` look each row's up again.
        self._handles = {text: split_handle(text) for text in set(items)}
        refs = sorted({ref for _, ref in self._handles.values()} - {""})
        self._prefetched, self._item_consents, self._item_permissions = {}, {}, {}
        if not refs:
            return
        try:
            if self._arrays:
                found = self._items_with_tags(refs)
            else:
                size = -(-len(refs) // _PREFETCH_STEP) * _PREFETCH_STEP
                marks = ", ".join("?" * size)
                params = refs + [refs[-1]] * (size - len(refs))
                found = self._rows(self._sql["items_by_refs"].format(marks=marks), params)
        except StoreError:
            return  # each check then reads its own item, and meets the fault itself
        prefetched: dict[str, list[tuple[Any, ...]]] = {ref: [] for ref in refs}
        for row in found:
            ref = row[1]
            if ref in prefetched:
                prefetched[ref].append(row)
        if not self._arrays:  # on a server, `_items_with_tags` gave them in order
            tag_at = self._item_width + _EVENT_WIDTH + self._tag_at
            for rows in prefetched.values():
                if len(rows) > 1:  # most references name one item with at most one tag
                    rows.sort(key=lambda row: (_sql_order(row[0]), _sql_order(row[tag_at])))
        self._prefetched = prefetched
        self._prefetch_consents(found)
        self._prefetch_permissions(found)

    def prefetch_consents(self, checks: Iterable[tuple[str, str]]) -> None:
        """After `prefetch`, read in one query the consents the next checks (item, recipient)
        could rely on: for each, those of its item and the standing ones for its tags, to a
        name a check to that recipient could match. A check then needs no query for them; they
        are kept until the next call (a check that needs one not read reads it itself)."""
        self._consent_rows = {}
        tag_at = self._item_width + _EVENT_WIDTH + self._tag_at
        ids: set[Any] = set()
        try:
            for item, to in set(checks):
                names = self._names_matched(to)
                if not names:
                    continue
                # Per check, not per chunk: a chunk's checks go to most partners between them,
                # and at many consents an item's consents to the others are most of its own.
                split = self._handles.get(item)
                ref = split[1] if split is not None else split_handle(item)[1]
                for row in self._prefetched.get(ref, ()):
                    originator, tag = row[2], row[tag_at]
                    listed = self._item_consents.get((originator, row[0]))
                    if listed:
                        ids.update(consent_id for consent_id, name in listed if name in names)
                    if type(originator) is str and type(tag) is str:
                        tagged = self._standing_consents(originator, OWN_SERVICE, tag)
                        ids.update(consent_id for consent_id, name in tagged if name in names)
            wanted = sorted(consent_id for consent_id in ids if type(consent_id) is int)
            if not wanted or len(wanted) > _MAX_PREFETCHED_CONSENTS:
                return  # none, or so many that each check reads its own
            if self._arrays:
                rows = self._rows(self._sql["consents_by_id_array"], (wanted,))
            else:
                size = -(-len(wanted) // _PREFETCH_STEP) * _PREFETCH_STEP
                sql = self._sql["consents_by_ids"].format(marks=", ".join("?" * size))
                rows = self._rows(sql, wanted + [wanted[-1]] * (size - len(wanted)))
        except StoreError:
            return  # each check then reads its own consents, and meets the fault itself
        found: dict[Any, list[tuple[Any, ...]]] = {consent_id: [] for consent_id in wanted}
        for row in rows:
            kept = found.get(row[0])
            if kept is not None:
                kept.append(row)
        self._consent_rows = found

    def _names_matched(self, value: str) -> frozenset[str]:
        """Every name a consent for a check to `value` could be to, at any moment: the
        partner or group, the group's members, and every group any of them ever joined."""
        found = self._matched_names.get(value)
        if found is not None:
            return found
        key = value.strip().lower()
        shorts: list[str] = []
        names = set()
        if key in self._partners:
            shorts.append(key)
        group = self._groups.get(key)
        if group is not None:
            names.add(key)
            shorts += [self._partner_ids[pid] for pid in group.members if pid in self._partner_ids]
        for short in shorts:
            names.add(short)
            names.update(change.group for change in self._partners[short].memberships)
        found = frozenset(names)
        if len(self._matched_names) < _MAX_CACHED_NAMES:
            self._matched_names[value] = found
        return found

    def _items_with_tags(self, refs: list[str]) -> list[tuple[Any, ...]]:
        """The rows `items_by_refs` gives for `refs`, from a query of the items and one of
        their tags by item id (each by index), put together in that query's order."""
        items = self._rows(self._sql["items_by_ref_array"], (refs,))
        ids = sorted({row[0] for row in items if type(row[0]) is int})
        tags: dict[Any, list[tuple[Any, ...]]] = {}
        if ids:
            at = self._tag_item
            for row in self._rows(self._sql["tags_by_item_array"], (ids,)):
                tags.setdefault(row[at], []).append(row)
        untagged = (None,) * (self._tag_width + _EVENT_WIDTH)
        return [(*item, *tag) for item in items for tag in tags.get(item[0]) or (untagged,)]

    def _prefetch_permissions(self, items: Sequence[Sequence[Any]]) -> None:
        """Read the permissions of the prefetched items in one query; a check of one of them
        then needs no query for them."""
        self._item_permissions = {}
        ids = sorted({row[0] for row in items if type(row[0]) is int})
        if not ids:
            return
        try:
            if self._arrays:
                rows = self._rows(self._sql["permissions_by_item_array"], (ids,))
            else:
                size = -(-len(ids) // _PREFETCH_STEP) * _PREFETCH_STEP
                sql = self._sql["permissions_by_items"].format(marks=", ".join("?" * size))
                rows = self._rows(sql, ids + [ids[-1]] * (size - len(ids)))
        except StoreError:
            return  # each check then reads its item's, and meets the fault itself
        found: dict[int, list[tuple[Any, ...]]] = {item_id: [] for item_id in ids}
        at = self._permission_item
        for row in rows:
            listed = found.get(row[at])
            if listed is not None:
                listed.append(row)
        for listed in found.values():
            listed.sort(key=_first)  # in the order the per-check query's index gives them
        self._item_permissions = found

    def _prefetch_consents(self, items: Sequence[Sequence[Any]]) -> None:
        """Read our consents for the prefetched items in one query per `_PREFETCH_STEP` items;
        a check of one of them held by us then needs no query for its item's own consents."""
        self._item_consents = {}
        keys = sorted(
            {(row[2], row[0]) for row in items if type(row[2]) is str and type(row[0]) is int}
        )
        if not keys:
            return
        term = "(c.originator = ? AND c.holder = ? AND c.item_id = ?)"
        found: dict[tuple[str, int], list[tuple[Any, Any]]] = {key: [] for key in keys}
        if self._arrays:
            params: list[Any] = [[key[0] for key in keys], [key[1] for key in keys], OWN_SERVICE]
            try:
                rows = self._rows(self._sql["consent_keys_by_item_array"], params)
            except StoreError:
                return  # each check then reads its own consents, and meets the fault itself
            for consent_id, originator, item_id, recipient in rows:
                listed = found.get((originator, item_id))
                if listed is not None:
                    listed.append((consent_id, recipient))
            keys = []  # found in one statement
        for start in range(0, len(keys), _PREFETCH_STEP):
            part = keys[start : start + _PREFETCH_STEP]
            part += [part[-1]] * (_PREFETCH_STEP - len(part))  # one statement for every chunk
            params = [
                value
                for originator, item_id in part
                for value in (originator, OWN_SERVICE, item_id)
            ]
            sql = self._sql["consent_keys_by_items"].format(terms=" OR ".join([term] * len(part)))
            try:
                rows = self._rows(sql, params)
            except StoreError:
                return  # each check then reads its own consents, and meets the fault itself
            for consent_id, originator, item_id, recipient in rows:
                listed = found.get((originator, item_id))
                if listed is not None:
                    listed.append((consent_id, recipient))
        for listed in found.values():
            # In the order the per-check query's index gives them: by id.
            listed.sort(key=_first)
        self._item_consents = found

    def _standing_consents(self, originator: str, holder: str, tag: str) -> list[tuple[Any, Any]]:
        """The standing consents of `originator` to `holder` for `tag` as (id, recipient), read
        once a batch."""
        key = (originator, holder, tag)
        found = self._tag_consents.get(key)
        if found is None:
            found = [(row[0], row[1]) for row in self._rows(self._sql["consent_keys_by_tag"], key)]
            # In the order the per-check query's index gives them: by recipient, then id.
            found.sort(key=lambda pair: (pair[1] if type(pair[1]) is str else "", pair[0]))
            if self._tag_consent_rows + len(found) > _MAX_CACHED_TAG_CONSENTS:
                self._tag_consents.clear()
                self._tag_consent_rows = 0
            self._tag_consents[key] = found
            self._tag_consent_rows += len(found)
        return found

    def _consents_by_ids(self, ids: list[Any]) -> list[tuple[Any, ...]]:
        """The rows of the per-check consent query for these consents, in the order given."""
        if not ids:
            return []
        prefetched = self._consent_rows
        if all(consent_id in prefetched for consent_id in ids):
            return [row for consent_id in ids for row in prefetched[consent_id]]
        if self._arrays:
            found = self._rows(self._sql["consents_by_id_array"], (ids,))
        else:
            size = -(-len(ids) // _IDS_STEP) * _IDS_STEP
            sql = self._sql["consents_by_ids"].format(marks=", ".join("?" * size))
            found = self._rows(sql, ids + [ids[-1]] * (size - len(ids)))
        by_id: dict[Any, list[tuple[Any, ...]]] = {}
        for row in found:
            by_id.setdefault(row[0], []).append(row)
        return [row for consent_id in ids for row in by_id.get(consent_id, ())]

    # ------------------------------------------------------------------ names

    def holder(self, value: str | None) -> str:
        """Our own service ("self") or the handle of a registered partner."""
        if value is None or not value.strip():
            return OWN_SERVICE
        key = value.strip().lower()
        if key in self._faulty_names:
            raise UnreadableRecord(self._faulty_names[key])
        if key == OWN_SERVICE or key in self._partners:
            return key
        if key in self._groups:
            raise InvalidInput(f"The holder must be a partner or self, not the group {quote(key)}.")
        raise NotFound(_suggestion(value, sorted(self._partners), what="partner"))

    def recipient(self, value: str, at: datetime, known_at: datetime | None = None) -> Recipient:
        """The partner or group named `value` at `at`, as on record at `known_at` (default `at`)."""
        # Most checks of a batch share one moment or a few, so the answers are kept by name
        # and moments (bounded).
        key = (value, at, at if known_at is None else known_at)
        found = self._recipients.get(key)
        if found is None:
            found = self._recipient(*key)
            if len(self._recipients) >= _MAX_CACHED_NAMES:
                self._recipients.clear()
            self._recipients[key] = found
        return found

    def _recipient(self, value: str, at: datetime, known_at: datetime) -> Recipient:
        key = value.strip().lower()
        if key == OWN_SERVICE:
            raise InvalidInput("'self' is our own service; give a partner or a group with --to.")
        if key in self._faulty_names:
            raise UnreadableRecord(self._faulty_names[key])
        partner = self._partners.get(key)
        if partner is not None:
            return self._partner_at(partner, at, known_at)
        group = self._groups.get(key)
        if group is not None:
            if group.error is not None:
                raise UnreadableRecord(group.error)
            # A provision to a group goes to its members at T (DOMAIN.md, rule 5).
            member_ids = tuple(
                pid for pid in group.members if self._is_member(pid, key, at, known_at)
            )
            cache_key = (key, member_ids)
            facts = self._group_facts.get(cache_key)
            if facts is None:
                members = tuple(
                    self._partner_at(self._partners[self._partner_ids[pid]], at, known_at)
                    for pid in member_ids
                )
                facts = GroupFacts(key=group.key, name=group.name, members=members)
                self._group_facts[cache_key] = facts
            return facts
        known = sorted([*self._partners, *self._groups])
        raise NotFound(_suggestion(value, known, what="partner or group"))

    def _standing(
        self, recipient: Recipient, at: datetime, known_at: datetime
    ) -> tuple[Standing, bool, frozenset[str]]:
        """What a check to `recipient` at `at` (as on record at `known_at`) needs of it, the
        same for every item, found once per recipient and moment: `rules.standing`; whether
        the recipient (or a member) has flags at all (rule 4 may then need the item's
        permissions); and the names a consent could be to for the rules to match it: the
        recipient, its members and the groups they (or it) belong to."""
        key = (id(recipient), at, known_at)
        found = self._standings.get(key)
        if found is None or found[0].recipient is not recipient:
            if isinstance(recipient, GroupFacts):
                members: tuple[PartnerFacts, ...] = recipient.members
                names = {recipient.key}
            else:
                members = (recipient,)
                names = set()
            for member in members:
                names.add(member.short)
                names |= member.groups
            found = (
                standing(recipient, at, known_at),
                any(m.flags for m in members),
                frozenset(names),
            )
            if len(self._standings) >= _MAX_CACHED_STANDINGS:
                self._standings.clear()
            self._standings[key] = found
        return found

    def _is_member(self, partner_id: int, group: str, at: datetime, known_at: datetime) -> bool:
        """Whether the partner belongs to `group` at `at` as on record at `known_at`; a partner
        whose records are faulty counts, so that relying on it is an error, not a gap."""
        partner = self._partners[self._partner_ids[partner_id]]
        if partner.error is not None:
            return True
        return any(
            g == group for g, _ in memberships_at(partner.memberships, at, known_at=known_at)
        )

    def _partner_at(self, partner: _Partner, at: datetime, known_at: datetime) -> PartnerFacts:
        """The partner's facts with the groups it belonged to at `at` as on record at
        `known_at`, each since the start of that membership (cached; bounded)."""
        if partner.error is not None:
            raise UnreadableRecord(partner.error)
        joined = memberships_at(partner.memberships, at, known_at=known_at)
        groups = frozenset(key for key, _ in joined)
        cache_key = (partner.short, joined)
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

    # ------------------------------------------------------------------ per check

    def _held(
        self, kind: RecordKind, values: Sequence[Any], event: Sequence[Any], label: str
    ) -> tuple[Any, ...]:
        """A row read strictly and held to its audit event (the `_event_columns` of the row's
        query: its snapshot, the event's fields and the next event's prev_hash; all None when
        there is no event): the row must equal the snapshot, and the event must hash right and
        be linked to the next. A record (and so its event) verified once is not verified again
        on this snapshot."""
        if not self._verify:
            return kind.read(values, lambda: label)
        # `kind.read_held(values)`, without the call in between (twice a row in a batch).
        held = None if kind.held is None else kind.held(values)
        if held is None:  # a value of another form: read it the long way, naming any fault
            typed = kind.read(values, lambda: label)
            text = None
        else:
            typed, text = held
        key = (kind.entity, typed[0])
        if key not in self._verified:
            change = event[_CHANGE]
            if change is None:
                raise unaudited(label)
            if change != (kind.snapshot_text(typed) if text is None else text):
                raise altered(label)
            problem = self._event_problem(event)
            if problem is not None:
                raise UnreadableRecord(problem)
            if len(self._verified) < _MAX_VERIFIED:
                self._verified.add(key)
        return typed

    def item(self, text: str, at: datetime, known_at: datetime | None = None) -> ItemFacts:
        """The item addressed by REF or ORIGINATOR/REF at `at`, as on record at `known_at`
        (default `at`): registered by both, with the corrections recorded by `known_at`."""
        known = at if known_at is None else known_at
        at = effect_cutoff(at, known_at)
        split = self._handles.get(text)
        originator, ref = split if split is not None else split_handle(text)
        if not ref:
            raise InvalidInput("The item is empty; give REF or ORIGINATOR/REF.")
        prefetched = self._prefetched.get(ref)
        if prefetched is not None:
            # As the query for ORIGINATOR/REF would find them: compared as SQL compares text.
            rows = (
                prefetched
                if originator is None
                else [row for row in prefetched if row[2] == originator]
            )
        elif originator is None:
            rows = self._rows(self._sql["item_by_ref"], (ref,))
        else:
            rows = self._rows(self._sql["item_by_handle"], (originator, ref))
        if not rows:
            raise unknown_item(text)
        kind, tag_kind = self._kinds["item"], self._kinds["item_tag"]
        width, event_end = self._item_width, self._item_width + _EVENT_WIDTH
        first = rows[0]
        if len(rows) > 1 and any(row[0] != first[0] for row in rows):
            raise ambiguous_item(ref, sorted({str(row[2]) for row in rows}))
        handle = full_handle(str(first[2]), str(first[1]))
        label = f"Item {handle} (#{first[0]})"
        typed = self._held(kind, first[:width], first[width:event_end], label)
        at_of = self._item_at
        recorded = typed[at_of["recorded_at"]]
        if recorded > at:
            raise InvalidInput(
                f"Item {handle} was registered only on {iso(recorded)}, after "
                f"{iso(at)}; it was not on record then."
            )
        tags: set[str] = set()
        tag_end, tag_at = event_end + self._tag_width, self._tag_at
        for row in rows:
            if row[event_end] is None:
                continue  # no tag
            tag_values = row[event_end:tag_end]
            tag_label = f"Tag #{tag_values[0]} of item {handle}"
            tag_typed = self._held(tag_kind, tag_values, row[-_EVENT_WIDTH:], tag_label)
            tags.add(tag_typed[tag_at])
        originator_at, received_at, personal_at, unevaluated_at, class_at, subject_at = (
            self._item_fields
        )
        # Positional, in the order of ItemFacts' fields: a batch builds one for every row.
        registered = ItemFacts(
            typed[0],
            handle,
            typed[originator_at],
            typed[received_at],
            typed[personal_at],
            typed[unevaluated_at],
            frozenset(tags) if tags else _NO_TAGS,
            typed[class_at],
            typed[subject_at],
        )
        loaded = self._correction_rows
        if (
            loaded is not None
            and registered.id not in loaded
            and registered.id not in self._correction_events
        ):
            return registered  # the common case: none in the table, none on the trail
        corrections = self._corrections(registered, known)
        # Without corrections the item is as registered (`item_as_known` would return it).
        return item_as_known(registered, corrections, known) if corrections else registered

    def _corrections(self, item: ItemFacts, known_at: datetime) -> list[ItemCorrectionFacts]:
        """The item's corrections recorded by `known_at`, each held to its audit event."""
        kind = self._kinds["item_correction"]
        width = kind.width
        corrections: list[ItemCorrectionFacts] = []
        if self._correction_rows is not None:
            rows = self._correction_rows.get(item.id, [])
            if not rows and item.id not in self._correction_events:
                return corrections  # the common case: none in the table, none on the trail
        else:
            rows = self._rows(self._sql["item_correction"], (item.id,))
        if self._verify:
            expected = self._correction_events.get(item.id, set())
            missing = sorted(expected - {row[0] for row in rows})
            if missing:
                raise vanished(f"Correction #{missing[0]} of item {item.handle}")
        for row in rows:
            label = f"Correction #{row[0]} of item {item.handle}"
            values = dict(
                zip(
                    kind.columns,
                    self._held(kind, row[:width], row[width : width + _EVENT_WIDTH], label),
                    strict=True,
                )
            )
            if values["item_id"] != item.id:
                raise unreadable(label, "item_id", values["item_id"])
            if values["recorded_at"] > known_at:
                continue  # not on record then
            try:
                corrections.append(
                    ItemCorrectionFacts(
                        id=values["id"],
                        recorded_at=values["recorded_at"],
                        personal_data=values["personal_data"],
                        unevaluated=values["unevaluated"],
                        classification=values["classification"],
                        subject=values["subject"],
                        add_tags=frozenset(_text_list(values["add_tags"], label, "add_tags")),
                        remove_tags=frozenset(
                            _text_list(values["remove_tags"], label, "remove_tags")
                        ),
                    )
                )
            except InvalidInput:
                raise unreadable(label, "add_tags", values["add_tags"]) from None
        return corrections

    def _consent_query(self, recipients: int, tags: int) -> str:
        """The SQL for consents to some recipients for an item and some of its tags."""
        key = (recipients, tags)
        sql = self._consent_sql.get(key)
        if sql is None:
            base = self._sql["consent"]
            where = (
                f" WHERE c.originator = ? AND c.holder = ? AND c.recipient IN "
                f"({', '.join('?' * recipients)}) AND "
            )
            sql = f"{base}{where}c.item_id = ?"
            if tags:
                marks = ", ".join("?" * tags)
                sql += f" UNION ALL {base}{where}c.tag IN ({marks})"
            self._consent_sql[key] = sql
        return sql

    def _consents(
        self, item: ItemFacts, holder: str, names: frozenset[str], known_at: datetime
    ) -> list[ConsentFacts]:
        """The consents from the item's originator to `holder` for the item or its tags.

        Only consents to a name the rules could match are read (`names`, from `_standing`):
        the recipient, its members and the groups they (or it) belong to. The rules ignore
        every other consent, so the answer is the same, and an originator's many consents to
        others cost nothing here.
        """
        tags = sorted(item.tags) if item.tags else []
        prefetched = (
            self._item_consents.get((item.originator, item.id)) if holder == OWN_SERVICE else None
        )
        if prefetched is not None:
            # What the per-check query below would find, in its order: the item's own consents
            # to one of `names`, then per tag the standing ones.
            ids = [consent_id for consent_id, to in prefetched if to in names]
            for tag in tags:
                standing = self._standing_consents(item.originator, holder, tag)
                ids += [consent_id for consent_id, to in standing if to in names]
            rows = self._consents_by_ids(ids)
        else:
            targets = sorted(names)
            sql = self._consent_query(len(targets), len(tags))
            params: list[Any] = [item.originator, holder, *targets, item.id]
            if tags:
                params += [item.originator, holder, *targets, *tags]
            rows = self._rows(sql, params)
        if not rows:
            return []  # most checks of a batch: no consent to any name the rules could match
        kind, revocation = self._kinds["consent"], self._kinds["revocation"]
        width, r_width = kind.width, revocation.width
        consents = []
        for row in rows:
            label = f"Consent #{row[0]}"
            values = dict(
                zip(
                    kind.columns,
                    self._held(kind, row[:width], row[width : width + _EVENT_WIDTH], label),
                    strict=True,
                )
            )
            if values["recorded_at"] > known_at:
                continue  # not on record then
            revoked_at = self._revoked_at(
                values["id"],
                row[width + _EVENT_WIDTH : width + _EVENT_WIDTH + r_width],
                row[-_EVENT_WIDTH:],
                label,
            )
            if revoked_at is not None and revoked_at > known_at:
                revoked_at = None  # revoked only later, as far as the record then went
            consents.append(
                ConsentFacts(
                    id=values["id"],
                    originator=values["originator"],
                    holder=values["holder"],
                    recipient=values["recipient"],
                    item_id=values["item_id"],
                    tag=values["tag"],
                    purpose=values["purpose"],
                    valid_from=values["valid_from"],
                    valid_until=values["valid_until"],
                    recorded_at=values["recorded_at"],
                    revoked_at=revoked_at,
                    conditions=_text_list(values["conditions"], label, "conditions"),
                    reference=values["reference"],
                )
            )
        return consents

    def _revoked_at(
        self, consent_id: int, values: Sequence[Any], event: Sequence[Any], consent: str
    ) -> datetime | None:
        """When the consent was revoked, from a revocation row that matches the trail."""
        return self._revocation_moment(
            "revocation", self._revocation_events.get(consent_id), values, event, consent,
            at_column="revoked_at",
        )  # fmt: skip

    def _revocation_moment(
        self,
        entity: str,
        expected: tuple[int, str] | None,
        values: Sequence[Any],
        event: Sequence[Any],
        owner: str,
        *,
        at_column: str,
    ) -> datetime | None:
        """The moment (`at_column`) of the revocation row `values` of a consent or permission,
        held to the trail: `expected` is the revocation the trail records for that owner, so a
        revocation deleted or moved to another record is an error, never a silent return."""
        revocation = self._kinds[entity]
        if values[0] is None:
            if self._verify and expected is not None:
                raise vanished(f"Revocation #{expected[0]} of {owner.lower()}")
            return None
        label = f"Revocation #{values[0]} of {owner.lower()}"
        typed = self._held(revocation, values, event, label)
        if self._verify and (expected is None or expected[0] != typed[0]):
            raise altered(label)
        moment: datetime = typed[revocation.columns.index(at_column)]
        return moment

    def _permissions(self, item: ItemFacts, known_at: datetime) -> list[PermissionFacts]:
        """The higher permissions recorded for the item (by `known_at`)."""
        kind, revocation = self._kinds["permission"], self._kinds["permission_revocation"]
        width, r_width = kind.width, revocation.width
        permissions = []
        rows = self._item_permissions.get(item.id)
        if rows is None:
            rows = self._rows(self._sql["permission"], (item.id,))
        for row in rows:
            label = f"Permission #{row[0]}"
            values = dict(
                zip(
                    kind.columns,
                    self._held(kind, row[:width], row[width : width + _EVENT_WIDTH], label),
                    strict=True,
                )
            )
            if values["recorded_at"] > known_at:
                continue
            # A permission's revocation counts from its recording.
            revoked_at = self._revocation_moment(
                "permission_revocation",
                self._permission_revocation_events.get(values["id"]),
                row[width + _EVENT_WIDTH : width + _EVENT_WIDTH + r_width],
                row[-_EVENT_WIDTH:],
                label,
                at_column="recorded_at",
            )
            if revoked_at is not None and revoked_at > known_at:
                revoked_at = None  # revoked only later, as far as the record then went
            if values["role"] not in _ROLES:
                raise unreadable(label, "role", values["role"])
            permissions.append(
                PermissionFacts(
                    id=values["id"],
                    item_id=values["item_id"],
                    recipient=values["recipient"],
                    role=Role(values["role"]),
                    # A back-dated permission counts only from when it was on record.
                    valid_from=max(values["valid_from"], values["recorded_at"]),
                    valid_until=values["valid_until"],
                    revoked_at=revoked_at,
                    ctivd_notified=values["ctivd_notified"],
                )
            )
        return permissions

    # ------------------------------------------------------------------ the check

    def check(
        self,
        item: str,
        to: str,
        *,
        at: datetime,
        holder: str | None = None,
        purpose: str | None = None,
        basis: str | None = None,
        hindsight: bool = False,
    ) -> CheckResult:
        """Whether `holder` (default us) may pass `item` to `to` at `at`, with every reason.

        With `basis` (a decision's 'SEQ:HASH') only what was on record at that audit event
        counts: the decision is replayed exactly; validity is still judged at `at`. With
        `hindsight`, moment `at` is judged with everything on record in this snapshot (at its
        read moment, `store.read_now`): corrections, late letters, retractions and joins or
        leaves recorded later count.
        """
        if self._broken is not None:
            raise UnreadableRecord(self._broken)
        if hindsight and basis is not None:
            raise InvalidInput(
                "--hindsight judges with everything on record now and --basis with what was "
                "on record at a decision's basis: give one of them."
            )
        known_at: datetime | None = None
        stated_basis = self.basis
        if hindsight:
            known_at = self._snapshot.now()
        if basis is not None:
            stated_basis, cutoff = self.cutoff(basis)
            if at < cutoff:
                # No decision on this basis answered for a moment before its own head event.
                raise InvalidInput(
                    f"--as-of {iso(at)} lies before the basis {stated_basis}, recorded at "
                    f"{iso(cutoff)}: give the moment the decision answered for (its as_of)."
                )
            known_at = cutoff
        cut = at if known_at is None else known_at
        owner = OWN_SERVICE if holder is None else self.holder(holder)
        facts = self.item(item, at, cut)
        recipient = self.recipient(to, at, cut)
        clean_purpose = (
            clean_text(purpose, field="Purpose", required=False, max_length=200) or None
            if purpose is not None
            else None
        )
        # Our own items held by us need no consent, so there is nothing to look up.
        standing_of, flagged, names = self._standing(recipient, at, cut)
        consents = self._consents(facts, owner, names, cut) if facts.originator != owner else []
        # Rule 4 can ask for a permission only for personal or unevaluated data or a flagged
        # recipient; otherwise the permissions cannot change the answer and are not read.
        needs_permissions = facts.personal_data or facts.unevaluated or flagged
        permissions = self._permissions(facts, cut) if needs_permissions else []
        decision = decide(
            facts,
            recipient,
            at,
            holder=owner,
            purpose=clean_purpose,
            consents=consents,
            permissions=permissions,
            our_service_name=self._service,
            known_at=known_at,
            standing_of=standing_of,
        )
        is_group = isinstance(recipient, GroupFacts)
        return CheckResult(
            facts,
            recipient.key if isinstance(recipient, GroupFacts) else recipient.short,
            is_group,
            owner,
            clean_purpose,
            at,
            decision,
            stated_basis,
            known_at,
            hindsight,
        )


def _first(row: Sequence[Any]) -> Any:
    return row[0]


def _sql_order(value: Any) -> tuple[int, Any]:
    """A key that orders stored values as SQLite's ORDER BY does: NULL, then numbers, then
    text (by code point, as its UTF-8 bytes compare), then blobs."""
    if value is None:
        return (0, 0)
    if type(value) is int or type(value) is float:
        return (1, value)
    if type(value) is str:
        return (2, value)
    if type(value) is bytes:
        return (3, value)
    return (4, repr(value))


def _parse_snapshot(change: str) -> dict[str, Any]:
    """An event's snapshot as a dict ({} when it is not one)."""
    try:
        data = json.loads(change)
    except (ValueError, TypeError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


# (established_at, version, review_due, profile, forms, note id, version written at, conditions)
_Establishment = tuple[datetime, int, datetime, str, frozenset[str], int, datetime, tuple[str, ...]]


def _name(value: Any) -> str:
    return value if type(value) is str else repr(value)


def _text_list(text: str, label: str, column: str) -> tuple[str, ...]:
    """A stored JSON list of texts (conditions)."""
    if text == "[]":
        return ()
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise unreadable(label, column, text) from None
    if not isinstance(value, list) or not all(type(v) is str for v in value):
        raise unreadable(label, column, text)
    return tuple(value)


def _establishment(
    values: dict[str, Any], version: dict[str, Any], names: dict[int, tuple[str, str]]
) -> _Establishment:
    """One establishment with its note version, every stored value checked."""
    short = names.get(version["partner_id"], ("?", ""))[0]
    label = f"Note v{version['version']} of {short} (#{version['id']})"
    if version["partner_id"] != values["partner_id"]:
        raise unreadable(label, "partner_id", version["partner_id"])
    profile = version["profile"]
    if profile not in _PROFILES:
        raise unreadable(label, "profile", profile)
    try:
        forms = json.loads(version["forms"])
    except (ValueError, RecursionError):
        raise unreadable(label, "forms", version["forms"]) from None
    if not isinstance(forms, list) or not all(type(f) is str and f in _FORMS for f in forms):
        raise unreadable(label, "forms", version["forms"])
    try:
        answers = json.loads(version["answers"])
    except (ValueError, RecursionError):
        raise unreadable(label, "answers", version["answers"]) from None
    conditions: Any = ()
    if isinstance(answers, dict) and answers:  # the benchmark's bulk notes keep no answers
        cooperation = answers.get("cooperation")
        conditions = cooperation.get("conditions", []) if isinstance(cooperation, dict) else None
        if not isinstance(conditions, list) or not all(type(c) is str for c in conditions):
            raise unreadable(label, "answers", version["answers"])
    elif not isinstance(answers, dict):
        raise unreadable(label, "answers", version["answers"])
    return (
        values["established_at"],
        version["version"],
        values["review_due"],
        profile,
        frozenset(forms),
        version["id"],
        version["created_at"],
        tuple(conditions),
    )


def _note_facts(
    ordered: list[_Establishment],
    withdrawn: dict[int, datetime],
) -> tuple[NoteFacts, ...]:
    """A partner's established notes, each ended by the next establishment or a withdrawal."""
    notes = []
    for index, (at, version, due, profile, forms, note_id, _written, conditions) in enumerate(
        ordered
    ):
        superseded = ordered[index + 1][0] if index + 1 < len(ordered) else None
        withdrawal = withdrawn.get(note_id)
        end = note_end(superseded, withdrawal)
        notes.append(
            NoteFacts(
                version=version,
                established_at=at,
                review_due=due,
                profile=RiskProfile(profile),
                forms=forms,
                ended_at=None if end is None else end[0],
                end_kind=None if end is None else end[1],
                conditions=conditions,
            )
        )
    return tuple(notes)


def _suggestion(value: str, known: list[str], *, what: str) -> str:
    """'No partner …' with the closest names."""
    return suggestion(value, known, what=what, listing="wegings partners")


def _flag_facts(
    flags: list[tuple[datetime, str, Any, datetime | None]],
    rewrites: list[tuple[datetime, datetime]],
) -> tuple[FlagFacts, ...]:
    """A partner's flags, each with the moment `lifecycle.flag_cleared_at` clears it and the
    recording of its retraction."""
    return tuple(
        FlagFacts(
            raised_at=raised,
            reason=reason,
            cleared_at=flag_cleared_at(raised, rewrites),
            observed_on=observed,
            retracted_at=retracted,
        )
        for raised, reason, observed, retracted in sorted(flags, key=lambda f: (f[0], f[1]))
    )


# ---------------------------------------------------------------------- time and basis


def _format_basis(seq: int, digest: str) -> str:
    """An audit head as printed: 'SEQ:HASH16'."""
    return format_basis(seq, digest)


def _parse_basis(text: str) -> tuple[int, str]:
    """'SEQ:HASH' as printed in a decision's basis."""
    try:
        return parse_anchor(text)
    except InvalidInput:
        raise InvalidInput(
            f"--basis {text.strip()!r} is not a decision's basis; give SEQ:HASH as a decision "
            "prints it, e.g. 41:3fa9c2d1e07b4a55."
        ) from None


def recorded_moment(session: Session) -> datetime:
    """The write transaction's recorded time, read under the write lock."""
    from wegings.store.engine import recorded_now

    return recorded_now(session)


def live_now(source: ReadSnapshot | Session) -> datetime:
    """A 'now' consistent with the snapshot (`store.read_now`, `ReadSnapshot.now`).

    On a session, call it before anything reads through it: the snapshot is taken then.
    """
    return as_snapshot(source).now()


def check_one(
    session: Session,
    item: str,
    to: str,
    *,
    at: datetime | None = None,
    holder: str | None = None,
    purpose: str | None = None,
    basis: str | None = None,
    service_name: str | None = None,
) -> CheckResult:
    """One can-share check on the session's snapshot (live: `at` is now in that snapshot)."""
    moment = live_now(session) if at is None else at
    reader = SharingReader(session, service_name=service_name)
    return reader.check(
        item,
        to,
        at=moment,
        holder=holder,
        purpose=purpose,
        basis=basis,
    )
