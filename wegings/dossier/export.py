"""The dossier for the oversight committee: a BagIt bag that checks itself.

`export_dossier` reads one snapshot of the store and writes, into a new or empty folder: every
record in scope exactly as its audit event holds it, those audit events, a signed checkpoint of
the whole trail with an inclusion proof of each event, the files a person reads (transfers as
CSV and JSON, each note version as JSON and PDF, each partner's notes with their status, the
sweep's report), a README and `verify.py`, the standalone verifier (`verify_bag`, copied in
verbatim). The layout and the files made from the records come from `verify_bag` itself, so
what is written and what is checked cannot drift apart.

The bag is built in a private folder inside the target and moved into place only once it
verifies; on any failure nothing of it is left. Files are 0600, folders 0700.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement
from sqlmodel import Session, SQLModel, col, select

from wegings.dossier import verify_bag as layout
from wegings.errors import InvalidInput, StoreError, WegingsError
from wegings.store.audit import AUDITED, AuditBroken, Verified, event_hash, snapshot
from wegings.store.chain import canonical
from wegings.store.checkpoint import Checkpoint, Signer, open_checkpoint
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
from wegings.timeutil import display_minute, iso, local_day

T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)

_CHUNK = 500
STAGING_PREFIX = ".wegings-export-"


class Progress(Protocol):
    """Shows progress over a long step: yields the items, with `total` and a description."""

    def __call__(self, items: Iterator[T], total: int, description: str) -> Iterator[T]:
        """The items, as they are used."""
        ...


def _no_progress(items: Iterator[T], total: int, description: str) -> Iterator[T]:
    return items


@dataclass(frozen=True)
class Scope:
    """What the dossier holds: the transfers, consents and permissions made or valid in the
    period (None: unbounded), about the partners named (empty: every partner)."""

    since: datetime | None = None
    until: datetime | None = None
    partners: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exported:
    """A dossier written: where, how much, and the checkpoint it proves against."""

    path: Path
    checkpoint: Checkpoint
    counts: dict[str, int]
    events: int
    files: int
    sweep_changed: int
    sweep_problems: int


class ExportFailed(WegingsError):
    """The dossier could not be written; nothing of it was left."""


# --------------------------------------------------------------------------- the target


def check_target(target: Path) -> bool:
    """Whether the folder `target` is to be created (True) or exists and is empty (False);
    InvalidInput when it is anything else."""
    if target.is_symlink():
        raise InvalidInput(f"{target} is a symbolic link; give a new or empty folder.")
    if target.exists():
        if not target.is_dir():
            raise InvalidInput(f"{target} exists and is not a folder; give a new or empty folder.")
        try:
            empty = next(target.iterdir(), None) is None
        except OSError as exc:
            raise InvalidInput(f"Cannot read the folder {target}: {exc.strerror}.") from None
        if not empty:
            raise InvalidInput(
                f"{target} is not empty; a dossier is written into a new or empty folder."
            )
        return False
    if not target.parent.is_dir():
        raise InvalidInput(f"Cannot create {target}: the folder {target.parent} does not exist.")
    return True


def _write(root: Path, relative: str, data: bytes) -> None:
    """Write a new file at `relative` (a layout path, '/'-separated) under `root`, mode 0600;
    a path that is not a plain relative one is refused, so nothing lands outside `root`."""
    if not layout.SAFE_PATH.fullmatch(relative):
        raise ExportFailed(f"Refused to write {relative!r}: not a safe name inside the dossier.")
    target = root.joinpath(*relative.split("/"))
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _private(root: Path) -> None:
    """Every folder under `root` 0700 and every file 0600, `root` included."""
    os.chmod(root, 0o700)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(Path(folder, name), 0o700)
        for name in files:
            os.chmod(Path(folder, name), 0o600)


# --------------------------------------------------------------------------- the records


def _where_in(session: Session, model: type[M], column: Any, values: Iterable[Any]) -> list[M]:
    """The rows of `model` whose `column` is one of `values`, read in chunks."""
    wanted = sorted(set(values))
    rows: list[M] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows.extend(session.exec(select(model).where(col(column).in_(chunk))))
    return rows


def _overlaps(start: Any, end: Any, scope: Scope) -> list[ColumnElement[bool]]:
    """Conditions: a window [start, end] (end None: open) meets the period."""
    conditions: list[ColumnElement[bool]] = []
    if scope.until is not None:
        conditions.append(col(start) <= scope.until)
    if scope.since is not None:
        conditions.append((col(end) >= scope.since) | col(end).is_(None))
    return conditions


def _members(transfer: Transfer) -> set[str]:
    from wegings.store.engine import stored_json

    decision = stored_json(transfer.decision, f"decision of transfer #{transfer.id}")
    members = decision.get("members", []) if isinstance(decision, dict) else []
    return {
        m["member"] for m in members if isinstance(m, dict) and isinstance(m.get("member"), str)
    }


def select_records(session: Session, scope: Scope) -> dict[str, list[SQLModel]]:
    """Every record in the dossier, by the kind its audit events name.

    The partners named (all by default) with their corrections, groups, notes and their
    establishments and withdrawals, flags and retractions; the transfers made in the period to
    or by them (to a group: when one of them was a member it reached); the consents they gave,
    hold or receive and the permissions to them, valid at some moment of the period, with
    revocations and grants; the items those refer to and the items received from or originated
    by the partners (received in the period), with their tags and corrections; and the whole
    people register.
    """
    from wegings.register.partners import get_partner

    if scope.partners:
        chosen = {p.id: p for p in (get_partner(session, h) for h in scope.partners)}
        partners = sorted(chosen.values(), key=lambda p: p.id or 0)
    else:
        partners = list(session.exec(select(Partner).order_by(col(Partner.id))))
    ids = [p.id for p in partners]
    shorts = {p.short for p in partners}
    memberships = _where_in(session, GroupMembership, GroupMembership.partner_id, ids)
    changes = _where_in(session, MembershipChange, MembershipChange.partner_id, ids)
    if scope.partners:
        group_ids = {m.group_id for m in memberships} | {c.group_id for c in changes}
        groups = _where_in(session, PartnerGroup, PartnerGroup.id, group_ids)
    else:
        groups = list(session.exec(select(PartnerGroup)))
    group_keys = {g.key for g in groups}
    flags = _where_in(session, PartnerFlag, PartnerFlag.partner_id, ids)

    query = select(Transfer)
    if scope.since is not None:
        query = query.where(col(Transfer.transferred_at) >= scope.since)
    if scope.until is not None:
        query = query.where(col(Transfer.transferred_at) <= scope.until)
    transfers = [
        t
        for t in session.exec(query)
        if not scope.partners
        or t.holder in shorts
        or t.recipient in shorts
        or (t.recipient in group_keys and _members(t) & shorts)
    ]
    parties = shorts | group_keys
    consent_query = select(Consent).where(
        *_overlaps(Consent.valid_from, Consent.valid_until, scope)
    )
    consents = [
        c
        for c in session.exec(consent_query)
        if not scope.partners or {c.originator, c.holder, c.recipient} & parties
    ]
    permission_query = select(Permission).where(
        *_overlaps(Permission.valid_from, Permission.valid_until, scope)
    )
    permissions = [
        p for p in session.exec(permission_query) if not scope.partners or p.recipient in parties
    ]
    item_ids = {t.item_id for t in transfers} | {p.item_id for p in permissions}
    item_ids |= {c.item_id for c in consents if c.item_id is not None}
    received = select(Item.id).where(
        col(Item.originator).in_(sorted(shorts)) | col(Item.received_from).in_(sorted(shorts))
    )
    if scope.since is not None:
        received = received.where(col(Item.received_on) >= local_day(scope.since))
    if scope.until is not None:
        received = received.where(col(Item.received_on) <= local_day(scope.until))
    if shorts:
        item_ids |= {i for i in session.exec(received) if i is not None}
    notes = _where_in(session, NoteVersion, NoteVersion.partner_id, ids)
    consent_ids = [c.id for c in consents]
    permission_ids = [p.id for p in permissions]
    found: dict[str, Sequence[SQLModel]] = {
        "partner": partners,
        "group": groups,
        "membership": memberships,
        "note": notes,
        "establishment": _where_in(session, NoteEstablishment, NoteEstablishment.partner_id, ids),
        "withdrawal": _where_in(session, NoteWithdrawal, NoteWithdrawal.partner_id, ids),
        "flag": flags,
        "item": _where_in(session, Item, Item.id, item_ids),
        "item_tag": _where_in(session, ItemTag, ItemTag.item_id, item_ids),
        "consent": consents,
        "revocation": _where_in(
            session, ConsentRevocation, ConsentRevocation.consent_id, consent_ids
        ),
        "permission": permissions,
        "transfer": transfers,
        "partner_correction": _where_in(
            session, PartnerCorrection, PartnerCorrection.partner_id, ids
        ),
        "membership_change": changes,
        "item_correction": _where_in(session, ItemCorrection, ItemCorrection.item_id, item_ids),
        "permission_revocation": _where_in(
            session, PermissionRevocation, PermissionRevocation.permission_id, permission_ids
        ),
        "permission_grant": _where_in(
            session, PermissionGrant, PermissionGrant.permission_id, permission_ids
        ),
        "flag_retraction": _where_in(
            session, FlagRetraction, FlagRetraction.flag_id, [f.id for f in flags]
        ),
        "person": list(session.exec(select(Person))),
        "person_correction": list(session.exec(select(PersonCorrection))),
        "role_grant": list(session.exec(select(RoleGrant))),
        "role_revocation": list(session.exec(select(RoleRevocation))),
    }
    assert tuple(found) == layout.KINDS == tuple(AUDITED)
    return {kind: sorted(rows, key=_id) for kind, rows in found.items()}


def _id(record: SQLModel) -> int:
    value = getattr(record, "id", None)
    assert isinstance(value, int)
    return value


def events_of(session: Session, records: dict[str, list[SQLModel]]) -> list[AuditEvent]:
    """The audit event of every record, oldest first; AuditBroken when a record has none, has
    more than one, or no longer matches it, or when an event's hash does not hold."""
    events: list[AuditEvent] = []
    for kind, rows in records.items():
        by_id: dict[str, list[AuditEvent]] = {}
        wanted = [str(_id(r)) for r in rows]
        for start in range(0, len(wanted), _CHUNK):
            query = select(AuditEvent).where(
                AuditEvent.entity == kind,
                col(AuditEvent.entity_id).in_(wanted[start : start + _CHUNK]),
            )
            for event in session.exec(query):
                by_id.setdefault(event.entity_id, []).append(event)
        for record in rows:
            number = str(_id(record))
            found = by_id.get(number, [])
            if not found:
                raise AuditBroken(
                    None, f"{kind} #{number} has no audit event (written outside wegings)"
                )
            if len(found) > 1:
                raise AuditBroken(found[-1].seq, f"{kind} #{number} has more than one audit event")
            event = found[0]
            if event_hash(event) != event.hash:
                raise AuditBroken(event.seq, "its content does not match its hash (altered)")
            if canonical(snapshot(record)) != event.change:
                raise AuditBroken(
                    event.seq,
                    f"{kind} #{number} no longer matches this event (changed outside wegings)",
                )
            events.append(event)
    return sorted(events, key=lambda e: e.seq)


def _event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "change": event.change,
        "prev_hash": event.prev_hash,
        "os_login": getattr(event, "os_login", None),
        "hash": event.hash,
    }


# --------------------------------------------------------------------------- the files


@dataclass
class _Bag:
    """The files of the payload, by layout path, as they are made."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, path: str, data: bytes) -> None:
        if path in self.files:
            raise ExportFailed(f"Two files of the dossier would be {path}.")
        self.files[path] = data


def _proofs(
    session: Session,
    signer: Signer,
    events: list[AuditEvent],
    bag: _Bag,
    progress: Progress,
    *,
    verified: Verified,
    since_note: str | None,
) -> tuple[Checkpoint, str]:
    """The signed checkpoint (of the root `verified` found), an inclusion proof of every event,
    each checked as made, and with `since_note` the consistency proof from that checkpoint."""
    from wegings.store import merkle
    from wegings.store.checkpoint import inclusion_proof_text
    from wegings.store.proofs import checked_head, consistency_text
    from wegings.store.tree import TreeBroken, event_data

    head, tree = checked_head(session, signer.name, verified=verified)
    signed = signer.sign(head.text())
    if since_note is not None:
        text = consistency_text(tree, head, signed, since_note, signer)
        bag.add(layout.CONSISTENCY, text.encode("utf-8"))
    for event in progress(iter(events), len(events), "Proving events"):
        leaf = event_data(event)
        path = merkle.inclusion_proof(event.seq - 1, head.size, tree.node)
        try:
            merkle.verify_inclusion(
                event.seq - 1, head.size, merkle.leaf_hash(leaf), path, head.root
            )
        except merkle.ProofError:
            raise TreeBroken(
                f"The audit tree does not hold event {event.seq} as recorded; run `wegings audit "
                "verify`."
            ) from None
        text = inclusion_proof_text(event.seq - 1, leaf, path, signed)
        bag.add(layout.proof_file(event.entity, int(event.entity_id)), text.encode("utf-8"))
    return head, signed


def _short(partner: Partner) -> dict[str, Any]:
    """What the layout names a partner's folder by."""
    return {"id": partner.id, "short": partner.short}


def _in_period(state: Any, scope: Scope, now: datetime) -> bool:
    """Whether a note version was in force at some moment of the period (to now)."""
    establishment = state.establishment
    if establishment is None:
        return False
    start = scope.since
    end = scope.until if scope.until is not None and scope.until < now else now
    ended = state.ended_at
    stop = establishment.review_due if ended is None else min(ended, establishment.review_due)
    return establishment.established_at <= end and (start is None or stop > start)


def _notes(
    session: Session,
    partners: list[SQLModel],
    scope: Scope,
    now: datetime,
    service: str,
    bag: _Bag,
    progress: Progress,
) -> int:
    """Each partner's notes with their status (notes.json) and every version as a PDF."""
    from wegings.notes.documents import classification, note_document
    from wegings.notes.notes import note_states, state_json
    from wegings.render import render

    marking = classification(None)
    work: list[tuple[Partner, int]] = []
    for record in partners:
        assert isinstance(record, Partner)
        overview = _short(record)
        states = note_states(session, record)
        rows = []
        for state in states:
            row = {key: value for key, value in state_json(state).items() if key != "answers"}
            row["in_force_at_export"] = state.in_force(now)
            row["in_force_in_period"] = _in_period(state, scope, now)
            rows.append(row)
            work.append((record, state.version))
        bag.add(layout.notes_overview_file(overview), layout.json_bytes(rows))
    for partner, version in progress(iter(work), len(work), "Rendering notes"):
        document = note_document(
            session, partner.short, version=version, marking=marking, service=service, now=now
        )
        pdf = render(document, fmt="pdf", lang="nl")
        bag.add(layout.note_file(_short(partner), version, "pdf"), pdf)
    return len(work)


def _sweep(
    session: Session,
    scope: Scope,
    service: str,
    transfer_ids: set[int],
    now: datetime,
    progress: Progress,
) -> tuple[bytes, int, int]:
    """The sweep's report on the dossier's transfers, and how many changed or failed."""
    from wegings.sharing.sweep import SweepStatus, finding_json
    from wegings.sharing.sweep import sweep as run_sweep

    def replaying(items: Iterator[Transfer], total: int) -> Iterator[Transfer]:
        return progress(items, total, "Replaying transfers")

    report = run_sweep(
        session, since=scope.since, until=scope.until, service_name=service, progress=replaying
    )
    findings = [f for f in report.findings if f.transfer_id in transfer_ids]
    changed = sum(1 for f in findings if f.status is SweepStatus.changed)
    problems = sum(
        1 for f in findings if f.status in (SweepStatus.replay_mismatch, SweepStatus.error)
    )
    data = {
        "judged_at": iso(now),
        "period": {"from": iso(scope.since), "until": iso(scope.until)},
        "transfers": len(findings),
        "changed": changed,
        "problems": problems,
        "findings": [finding_json(f) for f in findings],
    }
    return layout.json_bytes(data), changed, problems


@dataclass(frozen=True)
class _About:
    """What the README and bag-info.txt say about the dossier."""

    service: str
    actor: str
    now: datetime
    scope: Scope
    checkpoint: Checkpoint
    counts: dict[str, int]
    events: int


def _period_text(scope: Scope) -> str:
    if scope.since is None and scope.until is None:
        return "the whole history"
    since = local_day(scope.since).isoformat() if scope.since else "the start"
    until = local_day(scope.until).isoformat() if scope.until else "the export"
    return f"{since} to {until} (days in The Hague, both included)"


def _readme(about: _About) -> str:
    """README.txt: what is in the bag and how to check it, for a person."""
    from wegings import __version__

    scope = about.scope
    partners = ", ".join(scope.partners) if scope.partners else "every partner"
    counts = ", ".join(f"{kind} {n}" for kind, n in about.counts.items() if n) or "none"
    held = textwrap.fill(
        f"Records in it, by kind: {counts}. Audit events: {about.events}, each with an "
        f"inclusion proof. The checkpoint is of the log {about.checkpoint.origin} at "
        f"{about.checkpoint.size} events.",
        width=95,
    )
    text = f"""\
Dossier for the oversight committee (CTIVD)
===========================================

Records of {about.service} on cooperation with foreign intelligence and security services
(Wiv 2017), exported by {about.actor} on {display_minute(about.now)} (The Hague) with wegings
{__version__}.

Partners: {partners}. Period: {_period_text(scope)}; the period selects the transfers made in
it and the consents and permissions valid at some moment of it. The partners' notes (every
version), flags, group memberships and the people register are included whole.

{held}


How to check it
---------------

With Python 3.11 or newer and the cryptography package (pip install cryptography), in this
folder:

    python3 verify.py --key 'VERIFIER_KEY'

where VERIFIER_KEY is the log's verifier key as the service handed it to you: take it from
the service, never from this bag. Or, with wegings installed:

    wegings export verify THIS_FOLDER --key 'VERIFIER_KEY'

Without --key the check uses the copy of the key in data/verifier-key.txt. That shows only that
the bag is consistent in itself: whoever made it could have signed it with a key of their own.
Only the key you hold from the service shows that the records come from its audit trail.

The check holds each file to its SHA-512 checksum (BagIt, RFC 8493: any BagIt tool checks this
part too), and no file may be missing or added; the signatures of the checkpoint and of the
checksums (bag-signature.txt), so that no file can be changed, added or removed and the
manifests made to fit; every audit event's hash and its inclusion proof (c2sp.org/tlog-proof)
to the checkpoint's root; every record against the snapshot its audit event holds; and the
files made from the records, made again and compared. It exits 0 when all holds, 1 when
something does not.

The PDFs, the notes.json files, sweep.json and this README are made by wegings when it exported
and are checked by their signed checksums, not against the audit trail. The dossier holds the
events of its own records; that the trail has lost no event since a checkpoint you kept is shown
by a consistency proof: exported with --since OLD_CHECKPOINT, the bag holds one
(data/consistency-proof.txt), checked as part of the above, and

    python3 verify.py --key 'VERIFIER_KEY' --since OLD_CHECKPOINT

checks that it starts from exactly the checkpoint you kept. On the database, `wegings audit
verify --checkpoint FILE --key VERIFIER_KEY` shows the same.


What is where
-------------

data/records/KIND.json       every record of one kind (partner, note, establishment, transfer,
                             consent, permission, flag, person, role_grant, ...), each exactly
                             as its audit event holds it; times in UTC (ISO 8601)
data/audit-events.jsonl      the audit event of each record, one a line, oldest first; `change`
                             holds the record's snapshot as JSON text
data/checkpoint.txt          the signed checkpoint of the whole audit trail
                             (c2sp.org/tlog-checkpoint)
data/verifier-key.txt        the bag's own copy of the log's verifier key
data/proofs/KIND-ID.tlog-proof   the inclusion proof of each record's audit event
data/consistency-proof.txt   (exported with --since) the proof that the trail of the checkpoint
                             extends an older checkpoint, which it carries
data/transfers.csv           every transfer with its decision, conditions and reasons; dates and
                             times in The Hague (a cell that starts with = + - @ gets a leading
                             apostrophe, so no spreadsheet runs it as a formula)
data/transfers.json          the same, with the decision as it was recorded (times in UTC)
data/partners/SHORT/note-vN.json   version N of the partner's weighing note: its answers, with
                             its establishment and withdrawal
data/partners/SHORT/note-vN.pdf    the same version as a document
data/partners/SHORT/notes.json     every version with its status, in force at the export and in
                             the period (as wegings judged it when it exported)
data/sweep.json              every transfer replayed with its basis and judged again in
                             hindsight, at the export (as `wegings sweep`)
verify.py                    the verifier, using nothing but Python and cryptography
bag-signature.txt            the log key's signature of the checkpoint and of the checksums of
                             the manifest and the other files beside data/ (a signed note)
"""
    return layout.printable(text)


def _bag_info(about: _About) -> dict[str, str]:
    from wegings import __version__

    return {
        "Source-Organization": about.service,
        "Bagging-Date": local_day(about.now).isoformat(),
        "Bag-Software-Agent": f"wegings {__version__}",
        "External-Description": "Dossier for the CTIVD: records of cooperation with foreign "
        "services, their audit events, a signed checkpoint and inclusion proofs. See README.txt.",
        "Wegings-Log": about.checkpoint.origin,
        "Wegings-Tree-Size": str(about.checkpoint.size),
        "Wegings-Partners": ", ".join(about.scope.partners) or "all",
        "Wegings-Period": _period_text(about.scope),
    }


def _make_bag(staging: Path, bag: _Bag, about: _About, signer: Signer) -> None:
    """Turn `staging`, holding the payload, into a bag: data/, SHA-512 manifests, bag-info, the
    README and verify.py, the log key's signature of them (bag-signature.txt), with the tag
    manifest sorted so that it has one form only."""
    import bagit

    logging.getLogger("bagit").addHandler(logging.NullHandler())  # its warnings are not ours
    for path, data in bag.files.items():
        _write(staging, path.removeprefix(f"{layout.DATA}/"), data)
    here = Path.cwd()
    try:
        made = bagit.make_bag(str(staging), bag_info=_bag_info(about), checksums=["sha512"])
        _write(staging, layout.README, _readme(about).encode("utf-8"))
        _write(staging, layout.VERIFIER, Path(layout.__file__).read_bytes())
        made.save()
    finally:
        os.chdir(here)  # bagit works in the bag's folder and does not always come back
    _sign_bag(staging, signer, about.checkpoint)
    sort_tag_manifest(staging)


def _sign_bag(staging: Path, signer: Signer, head: Checkpoint) -> None:
    """Sign the bag's checkpoint and the checksums of its tag files, the payload manifest among
    them, into bag-signature.txt, and list that in the tag manifest. Without it, whoever changed
    a file the trail does not anchor (a PDF, the sweep's report, the README) or removed a
    record with its event could make the manifests fit again."""
    digests = {
        name: hashlib.sha512((staging / name).read_bytes()).hexdigest()
        for name in layout.SIGNED_TAG_FILES
    }
    note = signer.sign(layout.signature_text(head.origin, head.size, head.root, digests))
    data = note.encode("utf-8")
    _write(staging, layout.BAG_SIGNATURE, data)
    with (staging / layout.TAGMANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write(f"{hashlib.sha512(data).hexdigest()} {layout.BAG_SIGNATURE}\n")


def bagit_problems(bag: Path) -> list[str]:
    """What BagIt's own validation (the bagit package) finds wrong with the bag, if anything;
    beside verify_bag's checks, which are stricter, so that a standard tool agrees."""
    import bagit

    logging.getLogger("bagit").addHandler(logging.NullHandler())
    here = Path.cwd()
    try:
        bagit.Bag(str(bag)).validate()
    except bagit.BagValidationError as failure:
        details = "; ".join(str(d) for d in failure.details) if failure.details else ""
        return [f"BagIt validation: {failure.message}{': ' if details else ''}{details}"]
    except (bagit.BagError, OSError, UnicodeDecodeError, ValueError) as failure:
        return [f"BagIt validation: {failure}"]
    finally:
        os.chdir(here)
    return []


def verifier_problems(bag: Path) -> list[str]:
    """Whether the bag's verify.py is this wegings's verifier: one replaced, with manifests
    made to fit, could say anything to whoever runs it."""
    from wegings import __version__

    try:
        same = (bag / layout.VERIFIER).read_bytes() == Path(layout.__file__).read_bytes()
    except OSError:
        return []  # missing: the manifests say so
    if same:
        return []
    return [
        f"{layout.VERIFIER} is not the verifier of wegings {__version__} (replaced, or made by "
        "another version): do not rely on running it"
    ]


def sort_tag_manifest(bag: Path) -> None:
    """Rewrite the tag manifest sorted by path (bagit lists the folder's order)."""
    path = bag / layout.TAGMANIFEST
    lines = path.read_text(encoding="utf-8").splitlines()
    entries = sorted((line.split(" ", 1) for line in lines), key=lambda entry: entry[1])
    path.write_text("".join(f"{digest} {name}\n" for digest, name in entries), encoding="utf-8")


def export_dossier(
    session: Session,
    target: Path,
    signer: Signer,
    *,
    scope: Scope,
    service: str,
    actor: str,
    progress: Progress | None = None,
    since_note: str | None = None,
) -> Exported:
    """Write the dossier of `scope` into `target` (new, or an empty folder), from the session's
    snapshot, its checkpoint signed by `signer`; with `since_note`, an older checkpoint of this
    log, a consistency proof from it to the dossier's. Nothing is left of it on failure."""
    from wegings.store.audit import verify as verify_trail
    from wegings.store.engine import read_now

    step: Progress = progress or _no_progress
    created = check_target(target)
    now = read_now(session)  # before anything reads: the snapshot every file describes
    # The whole trail must be intact, not only the records in scope: a record deleted behind
    # the tool's back (a transfer, say) would otherwise be silently missing from the dossier.
    verified = verify_trail(session)
    if since_note is not None:  # a bad checkpoint refuses before anything is made
        open_checkpoint(since_note, signer.verifier)
    records = select_records(session, scope)
    if scope.partners:  # as the store spells them, not as typed
        scope = replace(scope, partners=tuple(getattr(p, "short", "") for p in records["partner"]))
    events = events_of(session, records)
    bag = _Bag()
    snapshots = {kind: [snapshot(r) for r in rows] for kind, rows in records.items()}
    for kind, rows in snapshots.items():
        bag.add(layout.record_file(kind), layout.json_bytes(rows))
    bag.add(layout.EVENTS, "".join(layout.event_line(_event_json(e)) for e in events).encode())
    head, signed = _proofs(
        session, signer, events, bag, step, verified=verified, since_note=since_note
    )
    bag.add(layout.CHECKPOINT, signed.encode("utf-8"))
    bag.add(layout.VERIFIER_KEY, f"{signer.verifier.text()}\n".encode())
    try:
        derived = layout.derived_files(snapshots)
    except layout.Underivable as failure:
        raise ExportFailed(f"The records do not give the dossier's files: {failure}.") from None
    for path, data in derived.items():
        bag.add(path, data)
    notes = _notes(session, records["partner"], scope, now, service, bag, step)
    transfer_ids = {_id(t) for t in records["transfer"]}
    report, changed, problems = _sweep(session, scope, service, transfer_ids, now, step)
    bag.add(layout.SWEEP, report)
    counts = {kind: len(rows) for kind, rows in records.items()}
    about = _About(service, actor, now, scope, head, counts, len(events))
    _place(target, created, bag, about, signer, since_note)
    return Exported(target, head, counts | {"note_pdf": notes}, len(events), len(bag.files),
                    changed, problems)  # fmt: skip


def _place(
    target: Path, created: bool, bag: _Bag, about: _About, signer: Signer, since_note: str | None
) -> None:
    """Build the bag privately inside `target`, check it, then move it into place; on any
    failure remove all of it (and `target`, when it was made here)."""
    if created:
        try:
            target.mkdir(mode=0o700)
        except OSError as exc:
            raise InvalidInput(f"Cannot create {target}: {exc.strerror}.") from None
    moved: list[Path] = []
    staging: Path | None = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target))
        _make_bag(staging, bag, about, signer)
        _private(staging)
        verdict = layout.verify(staging, signer.verifier.text(), since_note)
        if not verdict.intact:
            raise ExportFailed(
                f"The dossier did not verify as written ({verdict.problems[0]}); nothing was "
                "left of it."
            )
        for entry in sorted(staging.iterdir()):
            destination = target / entry.name
            os.rename(entry, destination)
            moved.append(destination)
        staging.rmdir()
        os.chmod(target, 0o700)
    except BaseException as exc:
        _remove(target if created else None, [*moved, *([staging] if staging else [])])
        if isinstance(exc, OSError):
            message = f"Cannot write the dossier into {target}: {exc.strerror or exc}."
            raise StoreError(message) from None
        raise


def _remove(folder: Path | None, paths: Sequence[Path]) -> None:
    """Remove what a failed export made: `folder` whole, else each of `paths`."""
    for path in [folder] if folder is not None else paths:
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
