"""The sweep: every recorded transfer replayed with its basis, and judged again in hindsight.

For the oversight committee, which reviews afterwards. A transfer was recorded only when the
rules allowed it, with the decision and its basis (the audit head it read). Replaying it with
that basis must give exactly the recorded decision: anything else means the records it relied on
were changed, or the rules were, and is a finding of its own. Judged in hindsight, with
everything on record now (an item corrected to personal data, developments dated before the
transfer but recorded after it, a membership or a letter recorded later), the answer may differ:
those transfers are listed with what changed it, so the desk can inform the partner or the
committee.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from wegings.domain import OWN_SERVICE
from wegings.errors import WegingsError
from wegings.sharing.result import CheckResult, decision_json
from wegings.sharing.store import SharingReader, live_now
from wegings.store.audit import event_hash, snapshot
from wegings.store.chain import canonical
from wegings.store.engine import stored_json
from wegings.store.models import AuditEvent, Transfer
from wegings.timeutil import iso


class SweepStatus(StrEnum):
    """What the sweep found for one transfer."""

    unchanged = "unchanged"  # the replay matches, and hindsight gives the same answer
    changed = "changed"  # the replay matches, but in hindsight the answer differs
    replay_mismatch = "replay_mismatch"  # replaying with its basis does not give the record
    error = "error"  # the transfer could not be replayed (a damaged or missing record)


# What must be equal between a recorded decision and its replay: the outcome, every reason by
# its code, rule, effect, record and member, the conditions and each member's answer.
_REASON_KEYS = ("code", "rule", "effect", "ref", "member")


def _essence(decision: dict[str, Any]) -> dict[str, Any]:
    return {
        "decision": decision.get("decision"),
        "item": decision.get("item"),
        "to": decision.get("to"),
        "purpose": decision.get("purpose"),
        "holder": decision.get("holder"),
        "as_of": decision.get("as_of"),
        "basis": decision.get("basis"),
        "reasons": [
            {key: reason.get(key) for key in _REASON_KEYS}
            for reason in decision.get("reasons", [])
            if isinstance(reason, dict)
        ],
        "conditions": decision.get("conditions"),
        "members": decision.get("members"),
    }


@dataclass(frozen=True)
class SweepFinding:
    """One transfer: what was recorded, what its replay and hindsight say, and why."""

    transfer_id: int
    item: str
    to: str
    transferred_at: datetime
    recorded: str
    status: SweepStatus
    replayed: str | None = None
    hindsight: str | None = None
    changes: tuple[str, ...] = ()
    problem: str | None = None


@dataclass
class SweepReport:
    """Every finding, oldest transfer first."""

    findings: list[SweepFinding] = field(default_factory=list)

    def count(self, status: SweepStatus) -> int:
        """How many transfers the sweep found so."""
        return sum(1 for finding in self.findings if finding.status is status)

    @property
    def changed(self) -> int:
        """Transfers whose answer differs in hindsight."""
        return self.count(SweepStatus.changed)

    @property
    def problems(self) -> int:
        """Transfers that could not be replayed as recorded."""
        return self.count(SweepStatus.replay_mismatch) + self.count(SweepStatus.error)

    @property
    def exit_code(self) -> int:
        """0 when nothing changed, 1 when an answer changed, 2 when a replay failed."""
        if self.problems:
            return 2
        return 1 if self.changed else 0


def _holds(what: str, now: bool) -> str:
    return f"it holds {what}" if now else f"it holds no {what}"


def _what_changed(recorded: CheckResult, now: CheckResult) -> tuple[str, ...]:
    """The reasons the hindsight answer gives that the replayed one did not, in the rules' own
    words: what was recorded since, and changed the answer."""
    before = {(r.code, r.member, r.ref, r.effect) for r in recorded.decision.reasons}
    changes = [
        reason.message
        for reason in now.decision.reasons
        if (reason.code, reason.member, reason.ref, reason.effect) not in before
    ]
    then, later = recorded.item, now.item
    corrected = [
        sentence
        for before, after, sentence in (
            (then.personal_data, later.personal_data, _holds("personal data", later.personal_data)),
            (then.unevaluated, later.unevaluated, _holds("unevaluated data", later.unevaluated)),
        )
        if before != after
    ]
    if corrected or set(then.tags) != set(later.tags):
        words = corrected or ["its tags changed"]
        changes.insert(0, f"Item {then.handle} was corrected since: {', '.join(words)}.")
    return tuple(dict.fromkeys(changes))


def _event_problem(session: Session, transfer: Transfer) -> str | None:
    """Why `transfer` cannot be trusted as recorded: it must equal its audit event, whose hash
    holds; None when it does."""
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity == "transfer", AuditEvent.entity_id == str(transfer.id)
        )
    ).first()
    if event is None:
        return f"Transfer #{transfer.id} has no audit event: it was written outside wegings."
    if event_hash(event) != event.hash or canonical(snapshot(transfer)) != event.change:
        return (
            f"Transfer #{transfer.id} no longer matches its audit event {event.seq}: it was "
            "changed outside wegings; run `wegings audit verify`."
        )
    return None


def _recorded(text: Any, what: str) -> dict[str, Any]:
    """A decision as a record or event holds it; {} when it is not a JSON object (damaged: the
    transfer is then a finding, never the end of the sweep)."""
    try:
        data = stored_json(text, what)
    except WegingsError:
        return {}
    return data if isinstance(data, dict) else {}


def _judge(session: Session, reader: SharingReader, transfer: Transfer) -> SweepFinding:
    stored = _recorded(transfer.decision, f"decision of transfer #{transfer.id}")
    found = SweepFinding(
        transfer_id=transfer.id or 0,
        item=str(stored.get("item", "?")),
        to=str(stored.get("to", transfer.recipient)),
        transferred_at=transfer.transferred_at,
        recorded=str(stored.get("decision", "?")),
        status=SweepStatus.error,
    )
    problem = _event_problem(session, transfer)
    basis = stored.get("basis")
    if problem is None and not isinstance(basis, str):
        problem = f"Transfer #{transfer.id} records no basis, so it cannot be replayed."
    if problem is not None or not isinstance(basis, str):
        return replace(found, problem=problem)
    holder = None if transfer.holder == OWN_SERVICE else transfer.holder

    def check(**how: Any) -> CheckResult:
        return reader.check(
            found.item,
            found.to,
            at=transfer.transferred_at,
            holder=holder,
            purpose=transfer.purpose,
            **how,
        )

    try:
        replay, now = check(basis=basis), check(hindsight=True)
    except WegingsError as exc:
        return replace(found, problem=str(exc))
    if replay.item.id != transfer.item_id:
        return replace(
            found,
            problem=(
                f"The decision recorded with transfer #{transfer.id} names item {found.item}, "
                f"not the transfer's own item #{transfer.item_id}: it was changed outside "
                "wegings; run `wegings audit verify`."
            ),
        )
    replayed, judged = str(replay.decision.outcome), str(now.decision.outcome)
    found = replace(found, replayed=replayed, hindsight=judged)
    if _essence(decision_json(replay)) != _essence(stored):
        differs = (
            f"gives {replayed}, not the recorded {found.recorded}"
            if replayed != found.recorded
            else "gives the same answer with other reasons or conditions than recorded"
        )
        return replace(
            found,
            status=SweepStatus.replay_mismatch,
            problem=(
                f"Replaying transfer #{transfer.id} with its basis {basis} {differs}: the "
                "records it relied on, or the rules, were changed since it was decided."
            ),
        )
    if judged == replayed:
        return replace(found, status=SweepStatus.unchanged)
    return replace(found, status=SweepStatus.changed, changes=_what_changed(replay, now))


def transfers_between(
    session: Session, since: datetime | None, until: datetime | None
) -> list[Transfer]:
    """The transfers made from `since` up to and including `until`, oldest first."""
    query = select(Transfer).order_by(col(Transfer.transferred_at), col(Transfer.id))
    if since is not None:
        query = query.where(col(Transfer.transferred_at) >= since)
    if until is not None:
        query = query.where(col(Transfer.transferred_at) <= until)
    return list(session.exec(query))


def sweep(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    service_name: str | None = None,
    progress: Callable[[Iterator[Transfer], int], Iterator[Transfer]] | None = None,
) -> SweepReport:
    """Replay and re-judge every transfer made from `since` to `until` on the session's snapshot."""
    live_now(session)  # the snapshot's moment, which hindsight judges with, before any read
    transfers = transfers_between(session, since, until)
    reader = SharingReader(session, service_name=service_name)
    report = SweepReport()
    each: Iterator[Transfer] = iter(transfers)
    if progress is not None:
        each = progress(each, len(transfers))
    for transfer in each:
        report.findings.append(_judge(session, reader, transfer))
    report.findings.extend(_deleted_transfers(session, since, until))
    report.findings.sort(key=lambda finding: (finding.transferred_at, finding.transfer_id))
    return report


def _deleted_transfers(
    session: Session, since: datetime | None, until: datetime | None
) -> list[SweepFinding]:
    """A finding for each transfer the trail recorded (in the period) whose record is gone."""
    query = select(AuditEvent).where(AuditEvent.entity == "transfer")
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.at) <= until)
    kept = {str(id_) for id_ in session.exec(select(Transfer.id))}
    findings = []
    for event in session.exec(query.order_by(col(AuditEvent.seq))):
        if event.entity_id in kept:
            continue
        snapshot_of = _recorded(event.change, f"audit event {event.seq}")
        recorded = _recorded(snapshot_of.get("decision"), f"audit event {event.seq}")
        findings.append(
            SweepFinding(
                transfer_id=int(event.entity_id) if event.entity_id.isdigit() else 0,
                item=str(recorded.get("item", "?")),
                to=str(recorded.get("to", "?")),
                transferred_at=event.at,
                recorded=str(recorded.get("decision", "?")),
                status=SweepStatus.error,
                problem=(
                    f"Transfer #{event.entity_id} of audit event {event.seq} no longer exists: "
                    "it was deleted outside wegings; run `wegings audit verify`."
                ),
            )
        )
    return findings


def finding_json(finding: SweepFinding) -> dict[str, Any]:
    """A finding as plain JSON with stable keys."""
    return {
        "transfer": finding.transfer_id,
        "item": finding.item,
        "to": finding.to,
        "transferred_at": iso(finding.transferred_at),
        "status": finding.status,
        "recorded": finding.recorded,
        "replayed": finding.replayed,
        "hindsight": finding.hindsight,
        "changes": list(finding.changes),
        "problem": finding.problem,
    }
