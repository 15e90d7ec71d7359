"""The audit trail: every change appends a hash-chained event in the same transaction."""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import func, inspect
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select

from wegings.errors import InvalidInput, WegingsError
from wegings.store import audit_log, merkle

# A decision's basis has its own light module; its names stay importable from here.
from wegings.store.basis import BEFORE_ANY_RECORD as BEFORE_ANY_RECORD
from wegings.store.basis import BasisMismatch as BasisMismatch
from wegings.store.basis import cutoff
from wegings.store.basis import format_basis as format_basis
from wegings.store.basis import parse_anchor as parse_anchor
from wegings.store.basis import parse_basis as parse_basis
from wegings.store.chain import GENESIS_HASH, canonical
from wegings.store.checkpoint import Checkpoint
from wegings.store.models import (
    AuditEvent,
    Consent,
    ConsentRevocation,
    FlagRetraction,
    GroupMembership,
    Item,
    ItemCorrection,
    ItemTag,
    MembershipChange,
    NoteEstablishment,
    NoteVersion,
    NoteWithdrawal,
    Partner,
    PartnerCorrection,
    PartnerFlag,
    PartnerGroup,
    Permission,
    PermissionGrant,
    PermissionRevocation,
    Person,
    PersonCorrection,
    RoleGrant,
    RoleRevocation,
    Transfer,
)
from wegings.store.server import is_server
from wegings.store.stored import snapshot_value
from wegings.store.tree import append_event, event_data, stored_nodes_in_order
from wegings.timeutil import as_utc

# Each audited table and the entity name its events carry. Every row of these tables must
# equal the snapshot in its latest event, so a change made behind wegings' back is found.
AUDITED: dict[str, type[SQLModel]] = {
    "partner": Partner,
    "group": PartnerGroup,
    "membership": GroupMembership,
    "note": NoteVersion,
    "establishment": NoteEstablishment,
    "withdrawal": NoteWithdrawal,
    "flag": PartnerFlag,
    "item": Item,
    "item_tag": ItemTag,
    "consent": Consent,
    "revocation": ConsentRevocation,
    "permission": Permission,
    "transfer": Transfer,
    "partner_correction": PartnerCorrection,
    "membership_change": MembershipChange,
    "item_correction": ItemCorrection,
    "permission_revocation": PermissionRevocation,
    "permission_grant": PermissionGrant,
    "flag_retraction": FlagRetraction,
    "person": Person,
    "person_correction": PersonCorrection,
    "role_grant": RoleGrant,
    "role_revocation": RoleRevocation,
}
_ENTITY_OF: dict[type[SQLModel], str] = {model: name for name, model in AUDITED.items()}


class AuditBroken(WegingsError):
    """The chain or a record no longer matches what was recorded."""

    def __init__(self, seq: int | None, reason: str) -> None:
        where = f"at event {seq}" if seq is not None else "in the records"
        super().__init__(f"Audit trail broken {where}: {reason}.")
        self.seq = seq
        self.reason = reason


def snapshot(record: SQLModel) -> dict[str, Any]:
    """The record's columns as plain JSON values."""
    return {key: snapshot_value(value) for key, value in record.model_dump().items()}


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the event's canonical bytes (its content and the hash of the event before
    it): the hash chain."""
    return hashlib.sha256(event_data(event)).hexdigest()


def os_account() -> str | None:
    """The operating-system account this process runs as; None when it cannot be told.

    On POSIX the account of the real user id (`pwd`), not `getpass.getuser()`, which believes
    LOGNAME and USER first: whoever can set a variable could claim any login. Where `pwd` does
    not exist (Windows), `getpass.getuser()` is all there is.
    """
    try:
        import pwd
    except ImportError:
        try:
            return getpass.getuser()
        except (KeyError, OSError, ImportError):
            return None
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a user id without an account (a container): no name to trust
        return None


@cache
def _process_os_login() -> str | None:
    """`os_account()`, asked once per process (every event of a command records it)."""
    return os_account()


def event_os_login(session: Session) -> str | None:
    """The OS login an event written in `session` records: the process's account on SQLite,
    where the acting person is only a name given; None on a server, where the acting person is
    the login the server authenticated and the client's account is only a claim."""
    return None if is_server(session) else _process_os_login()


def _primary_key(record: SQLModel) -> str:
    value = getattr(record, "id", None)
    if value is None:
        raise RuntimeError("record must be flushed before it is audited")
    return str(value)


def record_change(
    session: Session, *, actor: str, action: str, record: SQLModel, now: datetime
) -> AuditEvent:
    """Append the event for a new `record` (flushes it first to learn its id).

    History is append-only: a record already stored is never changed, so it is refused here.
    """
    if inspect(record).persistent:
        raise RuntimeError(f"{type(record).__name__} is stored already; records are append-only")
    session.add(record)
    session.flush()
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    event = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        at=as_utc(now),
        actor=actor,
        action=action,
        entity=_ENTITY_OF[type(record)],
        entity_id=_primary_key(record),
        change=canonical(snapshot(record)),
        prev_hash=last.hash if last else GENESIS_HASH,
        hash="",
        os_login=event_os_login(session),
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    append_event(session, event)
    return event


def list_events(
    session: Session, *, limit: int | None = None, entity: str | None = None
) -> list[AuditEvent]:
    """Events, newest first; optionally only one entity kind, at most `limit`."""
    query = select(AuditEvent).order_by(col(AuditEvent.seq).desc())
    if entity is not None:
        if entity not in AUDITED:
            raise InvalidInput(
                f"No kind of record {entity!r}. Known: {', '.join(sorted(AUDITED))}."
            )
        query = query.where(AuditEvent.entity == entity)
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def _record_name(session: Session, entity: str, record_id: str) -> str | None:
    """What a record is called in the log, read from its table (`audit_log.Names`)."""
    model = AUDITED.get(entity)
    if model is None or not record_id.isdigit():
        return None
    record: Any = session.get(model, int(record_id))
    if record is None:
        return None
    if isinstance(record, Partner):
        return record.short
    if isinstance(record, PartnerGroup):
        return record.key
    if isinstance(record, Person):
        return record.login
    if isinstance(record, Item):
        return f"{record.originator}/{record.ref}"
    if isinstance(record, NoteVersion):
        partner = session.get(Partner, record.partner_id)
        return f"v{record.version} of {partner.short if partner else record.partner_id}"
    return f"{entity.replace('_', ' ')} #{record_id}"


def log_events(
    session: Session,
    *,
    wanted: audit_log.LogFilter,
    entity: str | None = None,
    limit: int | None = None,
) -> list[tuple[audit_log.LoggedEvent, str]]:
    """The events `audit log` shows, newest first, each with its summary.

    About a partner, the whole trail is read (a record concerns it through the records before
    it); otherwise the database picks the events.
    """
    entity = entity.strip().lower() if entity is not None else None
    if entity is not None and entity not in AUDITED:
        raise InvalidInput(f"No kind of record {entity!r}. Known: {', '.join(sorted(AUDITED))}.")
    query = select(AuditEvent)
    if wanted.partner is None:
        if entity is not None:
            query = query.where(AuditEvent.entity == entity)
        if wanted.actor is not None:
            query = query.where(func.lower(AuditEvent.actor) == wanted.actor.casefold())
        if wanted.since is not None:
            query = query.where(col(AuditEvent.at) >= wanted.since)
        if wanted.until is not None:
            query = query.where(col(AuditEvent.at) <= wanted.until)
        query = query.order_by(col(AuditEvent.seq).desc())
        if limit is not None:
            query = query.limit(limit)
        rows = list(session.exec(query))[::-1]
    else:
        rows = list(session.exec(query.order_by(col(AuditEvent.seq))))
    events = (
        audit_log.LoggedEvent(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            os_login=e.os_login,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            change=audit_log.parse_change(e.change),
            prev_hash=e.prev_hash,
            hash=e.hash,
        )
        for e in rows
    )
    names = audit_log.Names(lambda kind, record_id: _record_name(session, kind, record_id))
    chosen = audit_log.select_events(events, wanted, names)
    if entity is not None:
        chosen = [(event, text) for event, text in chosen if event.entity == entity]
    chosen.reverse()
    return chosen if limit is None else chosen[:limit]


def count_events(session: Session) -> int:
    """How many events the trail holds."""
    return int(session.exec(select(func.count()).select_from(AuditEvent)).one())


@dataclass(frozen=True)
class Verified:
    """An intact trail: how many events and records were checked."""

    events: int
    records: int
    head_seq: int
    head_hash: str
    root: bytes = merkle.EMPTY_ROOT  # of the Merkle tree over all events
    checkpoint: Checkpoint | None = None  # a kept checkpoint the trail was found to extend

    @property
    def head(self) -> str:
        """The anchor to write down: sequence number and the start of the last event's hash."""
        return format_basis(self.head_seq, self.head_hash)


def audit_head(session: Session) -> tuple[int, str]:
    """The basis of a decision: (seq, full hash) of the newest event; (0, GENESIS_HASH) if none."""
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    return (last.seq, last.hash) if last is not None else (0, GENESIS_HASH)


_TIMES_CHECKED = "wegings.audit_times_in_order"


def _first_event_out_of_time_order(session: Session) -> tuple[int, int] | None:
    """(earlier, later) seq of the first two neighbouring events whose recorded times go back."""
    after = aliased(AuditEvent)
    row = session.exec(
        select(col(AuditEvent.seq), col(after.seq))
        .join(after, col(after.seq) == col(AuditEvent.seq) + 1)
        .where(col(after.at) < col(AuditEvent.at))
        .order_by(col(AuditEvent.seq))
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


class _SessionTrail:
    """The audit trail as `basis.cutoff` reads it, through the session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def event(self, seq: int) -> tuple[object, datetime] | None:
        event = self._session.get(AuditEvent, seq)
        return None if event is None else (event.hash, as_utc(event.at))

    def head_seq(self) -> int:
        return audit_head(self._session)[0]

    def first_out_of_time_order(self) -> tuple[int, int] | None:
        # The whole trail is checked once per session (a sweep replays many bases in one).
        info = self._session.info
        if _TIMES_CHECKED not in info:
            info[_TIMES_CHECKED] = _first_event_out_of_time_order(self._session)
        found: tuple[int, int] | None = info[_TIMES_CHECKED]
        return found


def basis_cutoff(session: Session, seq: int, hash_prefix: str) -> datetime:
    """The instant a replay with basis SEQ:HASH counts records up to (`basis.cutoff`)."""
    return cutoff(_SessionTrail(session), seq, hash_prefix)


def _events_in_order(session: Session) -> Iterator[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.seq)).execution_options(yield_per=2000)
    yield from session.exec(query)


def verify(
    session: Session,
    *,
    expect: tuple[int, str] | None = None,
    checkpoint: Checkpoint | None = None,
) -> Verified:
    """Check the chain, the Merkle tree, and that every audited record equals its last recorded
    state, in one pass over the events.

    The tree is rebuilt from the events and every stored node held to it. A chain cannot show
    that events were cut off its end, nor that the whole chain was rewritten consistently; an
    anchor `expect` written down earlier, or a kept `checkpoint` (its signature already
    checked), can: the event the anchor names must still be there with that hash, and the
    trail's first events must give the checkpoint's root.
    """
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    # Every trail extends the empty one: the anchor 0:<genesis> holds for any intact trail.
    anchored = expect is None or (expect[0] == 0 and GENESIS_HASH.startswith(expect[1]))
    previous_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    edge = merkle.CompactRange()
    stored = iter(stored_nodes_in_order(session))
    kept_root = merkle.EMPTY_ROOT if checkpoint is not None and checkpoint.size == 0 else None
    for event in _events_in_order(session):
        if event.seq != expected_seq:
            raise AuditBroken(
                expected_seq,
                "the event is missing (removed)"
                if event.seq > expected_seq
                else "events are out of order",
            )
        if event.prev_hash != previous_hash:
            raise AuditBroken(
                event.seq, f"it does not follow event {event.seq - 1} (removed or reordered)"
            )
        data = event_data(event)
        if hashlib.sha256(data).hexdigest() != event.hash:
            raise AuditBroken(event.seq, "its content does not match its hash (altered)")
        if expect is not None and event.seq == expect[0]:
            if not event.hash.startswith(expect[1]):
                raise AuditBroken(event.seq, "its hash differs from the anchor given (rewritten)")
            anchored = True
        key = (event.entity, event.entity_id)
        if key in latest:
            raise AuditBroken(
                event.seq,
                f"{event.entity} #{event.entity_id} was recorded before, at event "
                f"{latest[key][0]}: records are never changed in place",
            )
        latest[(event.entity, event.entity_id)] = (event.seq, event.change)
        for level, index, digest in edge.append(merkle.leaf_hash(data)):
            row = next(stored, None)
            if row is None or (row[0], row[1]) != (level, index) or row[2] != digest.hex():
                raise AuditBroken(
                    event.seq,
                    f"the audit tree's node ({level}, {index}) does not match the events "
                    "(changed outside wegings)",
                )
        if checkpoint is not None and edge.size == checkpoint.size:
            kept_root = edge.root()
        previous_hash = event.hash
        expected_seq += 1
        count += 1
    if not anchored:
        assert expect is not None
        raise AuditBroken(
            expect[0], f"the trail ends at event {count}, before this anchor (events removed)"
        )
    if next(stored, None) is not None:
        raise AuditBroken(None, "the audit tree holds nodes of no event (added outside wegings)")
    if checkpoint is not None:
        if kept_root is None:
            raise AuditBroken(
                None,
                f"the checkpoint holds {checkpoint.size} events but the trail only {count} "
                "(events removed)",
            )
        if kept_root != checkpoint.root:
            raise AuditBroken(
                checkpoint.size,
                "the trail's first events no longer give the checkpoint's root (rewritten)",
            )
    records = 0
    for entity, model in AUDITED.items():
        for record in session.exec(select(model)).yield_per(2000):
            records += 1
            key = (entity, _primary_key(record))
            if key not in latest:
                raise AuditBroken(
                    None, f"{entity} #{key[1]} has no audit event (written outside wegings)"
                )
            seq, change = latest.pop(key)
            if canonical(snapshot(record)) != change:
                raise AuditBroken(
                    seq,
                    f"{entity} #{key[1]} no longer matches this event (changed outside wegings)",
                )
    for (entity, entity_id), (seq, _change) in sorted(latest.items(), key=lambda kv: kv[1][0]):
        if entity in AUDITED:
            raise AuditBroken(
                seq,
                f"{entity} #{entity_id} of this event no longer exists (deleted outside wegings)",
            )
    return Verified(
        events=count,
        records=records,
        head_seq=count,
        head_hash=previous_hash,
        root=edge.root(),
        checkpoint=checkpoint,
    )
