"""The audit trail: every change appends a hash-chained event in the same transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, inspect
from sqlmodel import Session, SQLModel, col, select

from wegings.errors import InvalidInput, WegingsError
from wegings.models import (
    AuditEvent,
    Consent,
    ConsentRevocation,
    GroupMembership,
    Item,
    ItemTag,
    NoteEstablishment,
    NoteVersion,
    NoteWithdrawal,
    Partner,
    PartnerFlag,
    PartnerGroup,
    Permission,
    Transfer,
)
from wegings.timeutil import as_utc, iso

GENESIS_HASH = "0" * 64

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
}
_ENTITY_OF: dict[type[SQLModel], str] = {model: name for name, model in AUDITED.items()}


class AuditBroken(WegingsError):
    """The chain or a record no longer matches what was recorded."""

    def __init__(self, seq: int | None, reason: str) -> None:
        where = f"at event {seq}" if seq is not None else "in the records"
        super().__init__(f"Audit trail broken {where}: {reason}.")
        self.seq = seq
        self.reason = reason


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def snapshot(record: SQLModel) -> dict[str, Any]:
    """The record's columns as plain JSON values."""
    return {key: _jsonable(value) for key, value in record.model_dump().items()}


def canonical(data: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, Unicode kept."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the event's content and the hash of the event before it."""
    payload = canonical(
        [
            event.seq,
            iso(event.at),
            event.actor,
            event.action,
            event.entity,
            event.entity_id,
            event.change,
            event.prev_hash,
        ]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
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

    @property
    def head(self) -> str:
        """The anchor to write down: sequence number and the start of the last event's hash."""
        return f"{self.head_seq}:{self.head_hash[:16]}"


def parse_anchor(text: str) -> tuple[int, str]:
    """'SEQ:HASH' as given to `audit verify --expect` (HASH: at least 8 hex characters)."""
    seq_text, _, hash_text = text.strip().partition(":")
    hash_text = hash_text.lower()
    if (
        not seq_text.isdigit()
        or len(hash_text) < 8
        or any(c not in "0123456789abcdef" for c in hash_text)
    ):
        raise InvalidInput(
            f"--expect {text!r} is not an anchor; give SEQ:HASH as printed by "
            "`wegings audit verify`, e.g. 12:3fa9c2d1e07b4a55."
        )
    return int(seq_text), hash_text


def _events_in_order(session: Session) -> Iterator[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.seq)).execution_options(yield_per=2000)
    yield from session.exec(query)


def verify(session: Session, *, expect: tuple[int, str] | None = None) -> Verified:
    """Check the chain and that every audited record equals its last recorded state.

    A chain cannot show that events were cut off its end; `expect`, an anchor written down
    earlier, can: the event it names must still be there with that hash.
    """
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    anchored = expect is None
    previous_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
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
        if event_hash(event) != event.hash:
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
        previous_hash = event.hash
        expected_seq += 1
        count += 1
    if not anchored:
        assert expect is not None
        raise AuditBroken(
            expect[0], f"the trail ends at event {count}, before this anchor (events removed)"
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
    return Verified(events=count, records=records, head_seq=count, head_hash=previous_hash)
