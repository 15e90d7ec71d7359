#!/usr/bin/env python3
"""Check a wegings dossier for the oversight committee: a BagIt bag, checked offline.

Run it inside the bag, with Python 3.11 or newer and the `cryptography` package:

    python3 verify.py --key 'VERIFIER_KEY'      # the log's verifier key, as the service gave it
    python3 verify.py --key KEY --since OLD     # and that the bag extends a checkpoint you kept
    python3 verify.py --json                    # the same verdict as plain JSON

It checks, with nothing but the standard library and `cryptography`:

1. the bag: every file is listed in a SHA-512 manifest and holds its checksum, and no file is
   missing or added (BagIt, RFC 8493);
2. the signed checkpoint (c2sp.org/tlog-checkpoint) with the verifier key given, else with the
   bag's own copy of it, which shows only that the bag is consistent in itself;
3. every audit event in the bag: its hash recomputed, and an inclusion proof
   (c2sp.org/tlog-proof) that it is a leaf of the tree whose root the checkpoint signs;
4. when the bag holds one (exported with --since), the consistency proof that the trail of its
   checkpoint extends an older checkpoint: nothing before it was changed or removed; with
   --since OLD_CHECKPOINT, that it starts from exactly the checkpoint you kept;
5. every record in the bag against the snapshot its audit event holds;
6. the files derived from the records (transfers.csv, transfers.json, each note's JSON), made
   again from the records and compared byte for byte.

Exit 0 when everything holds, 1 when something does not, 2 on bad usage. This file is also the
module `wegings.dossier.verify_bag`: wegings writes the bag's layout and derived files with the
functions below and `wegings export verify` runs the same checks, so there is one
implementation. It imports nothing of wegings.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import csv
import hashlib
import io
import json
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------- the bag's layout

DATA = "data"
BAGIT_TXT = "bagit.txt"
BAG_INFO = "bag-info.txt"
MANIFEST = "manifest-sha512.txt"
TAGMANIFEST = "tagmanifest-sha512.txt"
README = "README.txt"
VERIFIER = "verify.py"
BAG_SIGNATURE = "bag-signature.txt"
SIGNED_TAG_FILES = (BAGIT_TXT, BAG_INFO, MANIFEST, README, VERIFIER)
"""The files beside data/ whose checksums the log key signs in bag-signature.txt: with the
payload manifest among them, that signature covers every file of the bag."""
TAG_FILES = (*SIGNED_TAG_FILES, BAG_SIGNATURE)
"""The files beside data/ that the tag manifest lists (it cannot list itself)."""
SIGNATURE_HEADER = "wegings/dossier-signature@v1"
"""The first line of the text bag-signature.txt signs. A key name has no '@', so this note can
never be read as a checkpoint, nor a checkpoint as it."""

CHECKPOINT = "data/checkpoint.txt"
VERIFIER_KEY = "data/verifier-key.txt"
EVENTS = "data/audit-events.jsonl"
CONSISTENCY = "data/consistency-proof.txt"
TRANSFERS_CSV = "data/transfers.csv"
TRANSFERS_JSON = "data/transfers.json"
SWEEP = "data/sweep.json"

KINDS = (
    "partner",
    "group",
    "membership",
    "note",
    "establishment",
    "withdrawal",
    "flag",
    "item",
    "item_tag",
    "consent",
    "revocation",
    "permission",
    "transfer",
    "partner_correction",
    "membership_change",
    "item_correction",
    "permission_revocation",
    "permission_grant",
    "flag_retraction",
    "person",
    "person_correction",
    "role_grant",
    "role_revocation",
)
"""The kinds of record the audit trail names, each exported to data/records/KIND.json."""

CHAINED_KEYS = ("seq", "at", "actor", "action", "entity", "entity_id", "change", "prev_hash")
"""The fields of an event its hash covers, in order; the OS login follows when it has one."""
EVENT_KEYS = (*CHAINED_KEYS, "os_login", "hash")
"""The fields of an event as audit-events.jsonl holds it (os_login null when none)."""
EARLIER_EVENT_KEYS = (*CHAINED_KEYS, "hash")
"""An event as bags written before the OS login was recorded hold it."""

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
CONSISTENCY_HEADER = "wegings/consistency-proof@v1"
SIGNATURE_DASH = "\u2014 "
ED25519 = 0x01
GENESIS_HASH = "0" * 64


def record_file(kind: str) -> str:
    """Where the records of one kind are: data/records/KIND.json."""
    return f"{DATA}/records/{kind}.json"


def proof_file(kind: str, record_id: int) -> str:
    """Where the inclusion proof of a record's audit event is."""
    return f"{DATA}/proofs/{kind}-{record_id}.tlog-proof"


_SAFE_NAME = re.compile(r"[a-z][a-z0-9_-]{1,39}")
_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
)


def partner_dir(partner: Mapping[str, Any]) -> str:
    """A partner's folder: data/partners/SHORT, or data/partners/_ID for a handle that is not a
    safe file name (no handle starts with '_', so the two never meet)."""
    short, partner_id = partner.get("short"), _record_id(partner)
    if isinstance(short, str) and _SAFE_NAME.fullmatch(short) and short not in _DEVICE_NAMES:
        return f"{DATA}/partners/{short}"
    return f"{DATA}/partners/_{partner_id}"


def note_file(partner: Mapping[str, Any], version: int, suffix: str) -> str:
    """A note version's JSON or PDF in its partner's folder."""
    return f"{partner_dir(partner)}/note-v{version}.{suffix}"


def notes_overview_file(partner: Mapping[str, Any]) -> str:
    """The partner's notes with their status as wegings judged them when it exported."""
    return f"{partner_dir(partner)}/notes.json"


def signature_text(origin: str, size: int, root: bytes, digests: Mapping[str, str]) -> str:
    """What the log key signs in bag-signature.txt: the header, the bag's checkpoint (origin,
    size, root hash) and the SHA-512 of each signed tag file, `CHECKSUM NAME` sorted by name.
    The payload manifest is one of them, so the signature covers every file in data/ as well:
    no file can be changed, added or removed, manifests made to fit, without breaking it."""
    lines = [SIGNATURE_HEADER, origin, str(size), base64.b64encode(root).decode("ascii")]
    lines += [f"{digests[name]} {name}" for name in sorted(SIGNED_TAG_FILES)]
    return "\n".join(lines) + "\n"


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(data: Any) -> str:
    """Deterministic JSON, as the audit trail writes snapshots: sorted keys, no spaces."""
    return _CANONICAL.encode(data)


def json_bytes(data: Any) -> bytes:
    """A JSON file of the bag: indented, sorted keys, UTF-8, ending in a newline."""
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def event_bytes(event: Mapping[str, Any]) -> bytes:
    """An audit event's canonical bytes: what its hash covers, and its leaf in the tree. The
    eight chained fields, and the OS login as a ninth exactly when it is a string (an event
    without one keeps the eight-element bytes it was hashed with)."""
    fields = [event[key] for key in CHAINED_KEYS]
    login = event.get("os_login")
    if isinstance(login, str):
        fields.append(login)
    return canonical(fields).encode("utf-8")


def event_line(event: Mapping[str, Any]) -> str:
    """One line of audit-events.jsonl."""
    line = {key: event.get(key) for key in EVENT_KEYS}
    return json.dumps(line, ensure_ascii=False) + "\n"


class Underivable(ValueError):
    """The records do not hold what a derived file needs (a missing item, a malformed field)."""


def _record_id(record: Mapping[str, Any]) -> int:
    value = record.get("id")
    if type(value) is not int or value < 1:
        raise Underivable(f"a record has no valid id ({value!r})")
    return value


def _loads(text: Any, what: str) -> Any:
    if not isinstance(text, str):
        raise Underivable(f"{what} is not JSON text")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise Underivable(f"{what} is not valid JSON") from None


# --------------------------------------------------------------------------- derived files

_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell that shows `value` literally and safely: control characters and direction
    overrides made visible (\\x1b, <U+202E>), and a cell a spreadsheet would run as a formula
    (starting with = + - @, a tab or a carriage return) given a leading apostrophe (OWASP)."""
    text = "" if value is None else str(value)
    shown = []
    for char in text:
        if char in "\n\t":
            shown.append(char)  # a line break or tab inside a quoted cell is plain text
        elif unicodedata.category(char) == "Cc":
            shown.append(f"\\x{ord(char):02x}")
        elif char in _BIDI_CONTROLS:
            shown.append(f"<U+{ord(char):04X}>")
        else:
            shown.append(char)
    cell = "".join(shown)
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell


def _eu_offset(moment: datetime) -> timedelta:
    """Amsterdam's offset by the EU rule (since 1996), for a Python without time-zone data."""
    year = moment.year

    def last_sunday(month: int) -> datetime:
        last = datetime(year, month + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() + 1) % 7)

    summer = last_sunday(3) <= moment < last_sunday(10)
    return timedelta(hours=2 if summer else 1)


def hague_time(iso_text: Any) -> tuple[str, str]:
    """(YYYY-MM-DD, HH:MM) in The Hague of an ISO 8601 UTC time such as 2026-11-29T14:05:00Z."""
    if not isinstance(iso_text, str):
        raise Underivable(f"{iso_text!r} is not a time")
    try:
        moment = datetime.fromisoformat(iso_text).astimezone(UTC)
    except ValueError:
        raise Underivable(f"{iso_text!r} is not an ISO 8601 time") from None
    try:
        from zoneinfo import ZoneInfo

        local = moment.astimezone(ZoneInfo("Europe/Amsterdam"))
    except (ImportError, LookupError, OSError, ValueError):
        local = moment + _eu_offset(moment)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")


def _handles(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[int, str]:
    return {
        _record_id(item): f"{item.get('originator')}/{item.get('ref')}"
        for item in records.get("item", ())
    }


def transfer_views(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Each transfer with its item's handle, the members it reached, and its decision and
    conditions as JSON: what transfers.json holds, by id."""
    handles = _handles(records)
    views = []
    for transfer in sorted(records.get("transfer", ()), key=_record_id):
        number = _record_id(transfer)
        item_id = transfer.get("item_id")
        if type(item_id) is not int or item_id not in handles:
            raise Underivable(f"transfer #{number} refers to item {item_id!r}, not in the dossier")
        decision = _loads(transfer.get("decision"), f"the decision of transfer #{number}")
        conditions = _loads(transfer.get("conditions"), f"the conditions of transfer #{number}")
        members = decision.get("members", []) if isinstance(decision, dict) else None
        if not isinstance(members, list) or not all(
            isinstance(m, dict) and isinstance(m.get("member"), str) for m in members
        ):
            raise Underivable(f"the decision of transfer #{number} has no valid members list")
        views.append(
            {
                "id": number,
                "item": handles[item_id],
                "holder": transfer.get("holder"),
                "to": transfer.get("recipient"),
                "members": [m["member"] for m in members],
                "purpose": transfer.get("purpose"),
                "transferred_at": transfer.get("transferred_at"),
                "recorded_by": transfer.get("recorded_by"),
                "conditions": conditions,
                "reliability": transfer.get("reliability"),
                "age": transfer.get("age"),
                "decision": decision,
            }
        )
    return views


CSV_COLUMNS = (
    "transfer",
    "date (The Hague)",
    "time (The Hague)",
    "transferred at (UTC)",
    "item",
    "holder",
    "to",
    "members",
    "decision",
    "basis",
    "conditions",
    "reasons",
    "purpose",
    "reliability",
    "age",
    "recorded by",
)


def _lines(values: Any) -> str:
    return "\n".join(str(v) for v in values) if isinstance(values, list) else str(values)


def transfers_csv(views: Sequence[Mapping[str, Any]]) -> bytes:
    """transfers.csv: one row a transfer, dates in The Hague, lists one entry a line, every
    cell neutralised (csv_cell); UTF-8 with a byte-order mark, so spreadsheets read it right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for view in views:
        decision = view["decision"] if isinstance(view["decision"], dict) else {}
        reasons = decision.get("reasons", [])
        day, minute = hague_time(view["transferred_at"])
        row = (
            view["id"],
            day,
            minute,
            view["transferred_at"],
            view["item"],
            view["holder"],
            view["to"],
            _lines(view["members"]),
            decision.get("decision"),
            decision.get("basis"),
            _lines(view["conditions"]),
            _lines([r.get("message") for r in reasons if isinstance(r, dict)])
            if isinstance(reasons, list)
            else "",
            view["purpose"],
            view["reliability"],
            view["age"],
            view["recorded_by"],
        )
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _by_note(records: Sequence[Mapping[str, Any]], kind: str) -> dict[int, Mapping[str, Any]]:
    found: dict[int, Mapping[str, Any]] = {}
    for record in records:
        note_id = record.get("note_id")
        if type(note_id) is not int or note_id in found:
            raise Underivable(f"{kind} #{_record_id(record)} names no single note")
        found[note_id] = record
    return found


def _note_partner(
    note: Mapping[str, Any], partners: Mapping[int, Mapping[str, Any]]
) -> tuple[Mapping[str, Any], int]:
    number = _record_id(note)
    version = note.get("version")
    partner_id = note.get("partner_id")
    partner = partners.get(partner_id) if type(partner_id) is int else None
    if partner is None:
        raise Underivable(f"note #{number} belongs to a partner not in the dossier")
    if type(version) is not int or version < 1:
        raise Underivable(f"note #{number} has no valid version number")
    return partner, version


def note_views(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each note version as JSON (its answers, with its establishment and withdrawal), by the
    path of its file."""
    partners = {_record_id(p): p for p in records.get("partner", ())}
    established = _by_note(records.get("establishment", ()), "establishment")
    withdrawn = _by_note(records.get("withdrawal", ()), "withdrawal")
    views: dict[str, dict[str, Any]] = {}
    for note in sorted(records.get("note", ()), key=_record_id):
        partner, version = _note_partner(note, partners)
        number = _record_id(note)
        establishment = established.get(number)
        withdrawal = withdrawn.get(number)
        views[note_file(partner, version, "json")] = {
            "partner": partner.get("short"),
            "version": version,
            "profile": note.get("profile"),
            "author": note.get("author"),
            "created_at": note.get("created_at"),
            "based_on": note.get("based_on"),
            "forms": _loads(note.get("forms"), f"the forms of note #{number}"),
            "answers": _loads(note.get("answers"), f"the answers of note #{number}"),
            "establishment": None
            if establishment is None
            else {
                key: establishment.get(key)
                for key in ("role", "established_by", "established_at", "review_due", "decision")
            },
            "withdrawal": None
            if withdrawal is None
            else {key: withdrawal.get(key) for key in ("withdrawn_by", "withdrawn_at", "reason")},
        }
    return views


def derived_files(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, bytes]:
    """Every file made from the records alone, by path: what `export` writes and `verify`
    makes again. Raises Underivable when the records do not hold what a file needs."""
    views = transfer_views(records)
    files = {TRANSFERS_CSV: transfers_csv(views), TRANSFERS_JSON: json_bytes(views)}
    for path, view in note_views(records).items():
        files[path] = json_bytes(view)
    return files


def judged_files(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> set[str]:
    """The files wegings made when it exported that the records alone cannot give again: the
    PDF of each note version, each partner's notes with their status, the sweep's report."""
    partners = {_record_id(p): p for p in records.get("partner", ())}
    files = {SWEEP} | {notes_overview_file(p) for p in partners.values()}
    for note in records.get("note", ()):
        partner, version = _note_partner(note, partners)
        files.add(note_file(partner, version, "pdf"))
    return files


# --------------------------------------------------------------------------- signed notes


class Refusal(ValueError):
    """Something in the bag that does not hold, said in one sentence."""


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise Refusal(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:  # one form only, as it was written
        raise Refusal(f"{what} is not valid base64 (not in its one canonical form)")
    return raw


_KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:~-]{0,199}")


@dataclass(frozen=True)
class Key:
    """A log's verifier key (c2sp.org/signed-note, as Go's sumdb/note writes it)."""

    name: str
    public: bytes
    text: str

    @property
    def key_id(self) -> bytes:
        """SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
        return hashlib.sha256(self.name.encode() + b"\n" + bytes([ED25519]) + self.public).digest()[
            :4
        ]


def parse_key(text: str) -> Key:
    """A verifier key NAME+ID+KEY; its ID must match its name and key."""
    fields = text.strip().split("+", 2)
    if len(fields) != 3:
        raise Refusal("the verifier key is not NAME+ID+KEY")
    name, id_hex, data = fields
    raw = _b64(data, "the verifier key")
    if not _KEY_NAME.fullmatch(name) or len(raw) != 33 or raw[0] != ED25519:
        raise Refusal("the verifier key is not an Ed25519 key of a log")
    key = Key(name, raw[1:], text.strip())
    if key.key_id.hex() != id_hex:
        raise Refusal("the verifier key's ID does not match its name and key (altered)")
    return key


def _signature_holds(key: Key, message: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(key.public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _note_parts(note: str, what: str) -> tuple[str, list[str]]:
    """A signed note's text and signature lines, by form alone (nothing verified yet)."""
    if not note.endswith("\n") or any(ord(c) < 0x20 and c != "\n" for c in note):
        raise Refusal(f"{what} is not a signed note")
    split = note.rfind("\n\n")
    if split < 0:
        raise Refusal(f"{what} has no signature lines")
    text, lines = note[: split + 1], note[split + 2 :].split("\n")[:-1]
    if not lines:
        raise Refusal(f"{what} has no signature lines")
    for line in lines:
        if not line.startswith(SIGNATURE_DASH):
            raise Refusal(f"a signature line of {what} lacks its em dash")
    return text, lines


def open_note(note: str, key: Key, what: str = "the checkpoint") -> str:
    """The text of a signed note once a signature of `key` on it holds (c2sp.org/signed-note:
    signatures of other keys are ignored, a failing one of this key rejects the note)."""
    text, lines = _note_parts(note, what)
    verified = False
    for line in lines:
        name, _, data = line[len(SIGNATURE_DASH) :].partition(" ")
        raw = _b64(data, f"a signature of {what}")
        if name != key.name or raw[:4] != key.key_id:
            continue
        if not _signature_holds(key, text.encode(), raw[4:]):
            raise Refusal(f"the signature of {key.name} on {what} does not hold (altered)")
        verified = True
    if not verified:
        raise Refusal(f"{what} carries no signature of the key {key.name}")
    return text


def checkpoint_form(note: str) -> Checkpoint:
    """A signed checkpoint read by its form alone, its signature not checked: for refusing a
    file given by mistake (--since) as bad usage before anything is checked with it."""
    if len(note.encode("utf-8", "surrogatepass")) > 1 << 16:
        raise Refusal("it is too large to be a checkpoint")
    text, lines = _note_parts(note, "it")
    for line in lines:
        _b64(line[len(SIGNATURE_DASH) :].partition(" ")[2], "a signature of it")
    return parse_checkpoint(text)


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, size and root hash."""

    origin: str
    size: int
    root: bytes


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint's note text: origin, size and base64 root hash, one a line."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not re.fullmatch(r"0|[1-9][0-9]{0,18}", lines[1]):
        raise Refusal("the checkpoint does not hold an origin, a tree size and a root hash")
    root = _b64(lines[2], "the checkpoint's root hash")
    if len(root) != 32:
        raise Refusal("the checkpoint's root hash is not 32 bytes")
    return Checkpoint(lines[0], int(lines[1]), root)


# --------------------------------------------------------------------------- the Merkle tree


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_holds(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162, 2.1.3.2: whether `proof` shows leaf `index` in the tree of `size` and `root`."""
    if not 0 <= index < size or any(len(h) != 32 for h in proof):
        return False
    fn, sn, result = index, size - 1, leaf
    for element in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(element, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, element)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == root


@dataclass(frozen=True)
class Proof:
    """An inclusion proof file: the leaf's index and data, the path, the checkpoint note."""

    index: int
    extra: bytes
    hashes: list[bytes]
    note: str


def parse_proof(text: str) -> Proof:
    """c2sp.org/tlog-proof with the leaf's data as `extra`."""
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) < 3 or lines[0] != PROOF_HEADER:
        raise Refusal("it is not a c2sp.org/tlog-proof")
    if not lines[1].startswith("extra ") or not lines[2].startswith("index "):
        raise Refusal("it lacks its extra or index line")
    index = lines[2][len("index ") :]
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", index):
        raise Refusal("its index is not a number")
    hashes = [_b64(line, "a proof hash") for line in lines[3:]]
    return Proof(int(index), _b64(lines[1][len("extra ") :], "its extra data"), hashes, note)


def consistency_holds(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162, 2.1.4.2: whether `proof` shows the tree of `old_size` and `old_root` is the
    start of the tree of `new_size` and `new_root`."""
    if not 0 < old_size <= new_size or any(len(h) != 32 for h in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_result = new_result = path[0]
    for element in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_result = node_hash(element, old_result)
            new_result = node_hash(element, new_result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_result = node_hash(new_result, element)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and old_result == old_root and new_result == new_root


@dataclass(frozen=True)
class ConsistencyProof:
    """A consistency proof file: the old size, the old checkpoint's note, the hashes, and the
    note of the checkpoint it leads to."""

    old_size: int
    old_note: str
    hashes: list[bytes]
    note: str


def parse_consistency(text: str) -> ConsistencyProof:
    """A wegings consistency proof: header, `old SIZE`, `from base64(old note)`, the hashes, a
    blank line, the new checkpoint's note."""
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) < 3 or lines[0] != CONSISTENCY_HEADER:
        raise Refusal("it is not a wegings consistency proof")
    if not lines[1].startswith("old ") or not lines[2].startswith("from "):
        raise Refusal("it lacks its old or from line")
    size = lines[1][len("old ") :]
    if not re.fullmatch(r"[1-9][0-9]{0,18}", size):
        raise Refusal("its old size is not a number")
    try:
        old_note = _b64(lines[2][len("from ") :], "its old checkpoint").decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal("its old checkpoint is not text") from None
    hashes = [_b64(line, "a proof hash") for line in lines[3:]]
    return ConsistencyProof(int(size), old_note, hashes, note)


# --------------------------------------------------------------------------- the checks


@dataclass
class Check:
    """One of the checks, with what it found."""

    name: str
    summary: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether it found nothing wrong."""
        return not self.problems


@dataclass
class Report:
    """The verdict on a bag."""

    bag: str
    key_given: bool
    checks: list[Check] = field(default_factory=list)
    origin: str | None = None
    tree_size: int | None = None
    not_anchored: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Whether every check holds."""
        return all(check.ok for check in self.checks)

    @property
    def problems(self) -> list[str]:
        """Every problem found, in the order of the checks."""
        return [problem for check in self.checks for problem in check.problems]


SAFE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")
_MANIFEST_LINE = re.compile(r"([0-9a-f]{128})( {1,2})(\S+)")


def _shown(value: str) -> str:
    """A name from the bag as a problem quotes it: nothing in it can move a terminal."""
    return repr(value)[1:-1] if not SAFE_PATH.fullmatch(value) else value


def _walk(bag: Path, check: Check) -> tuple[set[str], set[str]]:
    """Every regular file and directory in the bag, relative, with '/'; symbolic links and
    other special files are problems (never followed)."""
    files: set[str] = set()
    dirs: set[str] = set()
    pending = [""]
    while pending:
        relative = pending.pop()
        with os.scandir(bag / relative if relative else bag) as entries:
            for entry in entries:
                path = f"{relative}/{entry.name}" if relative else entry.name
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    dirs.add(path)
                    pending.append(path)
                elif stat.S_ISREG(mode):
                    files.add(path)
                else:
                    check.problems.append(f"{_shown(path)} is not a plain file or folder")
    return files, dirs


def _sha512(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(bag: Path, name: str, check: Check, *, exact: bool) -> dict[str, str]:
    """A manifest's entries, path to checksum. The tag manifest, which no checksum covers, must
    be written exactly as export writes it (`CHECKSUM PATH` with one space, sorted by path), so
    that no change to it goes unseen; the payload manifest is covered by the tag manifest."""
    entries: dict[str, str] = {}
    try:
        text = (bag / name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        check.problems.append(f"{name} is missing or unreadable")
        return entries
    lines = text.split("\n")
    if lines[-1] != "":
        check.problems.append(f"{name} does not end in a line break")
    for number, line in enumerate(lines[:-1], start=1):
        match = _MANIFEST_LINE.fullmatch(line)
        if match is None or not SAFE_PATH.fullmatch(match[3]) or (exact and match[2] != " "):
            check.problems.append(f"{name} line {number} is not 'CHECKSUM PATH' with a safe path")
            continue
        digest, path = match[1], match[3]
        if path in entries:
            check.problems.append(f"{name} lists {path} twice")
        entries[path] = digest
    if exact and list(entries) != sorted(entries):
        check.problems.append(f"{name} is not sorted by path (rewritten)")
    return entries


def _folders(paths: Iterable[str]) -> set[str]:
    """Every folder the files at `paths` lie in."""
    folders: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        folders.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
    return folders


def check_manifests(bag: Path) -> tuple[Check, set[str]]:
    """The BagIt bag: bagit.txt, SHA-512 manifests only, every file listed and holding its
    checksum, none missing or added. Returns the check and the files in data/."""
    check = Check("manifests")
    files, dirs = _walk(bag, check)
    try:
        declaration = (bag / BAGIT_TXT).read_bytes()
    except OSError:
        declaration = b""
    if declaration not in (
        b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n",
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
    ):
        check.problems.append(f"{BAGIT_TXT} is missing or does not declare a BagIt bag in UTF-8")
    payload = _manifest(bag, MANIFEST, check, exact=False)
    tags = _manifest(bag, TAGMANIFEST, check, exact=True)
    for path in payload:
        if not path.startswith(f"{DATA}/"):
            check.problems.append(f"{MANIFEST} lists {path}, which is not in {DATA}/")
    for path in tags:
        if path.startswith(f"{DATA}/") or "/" in path:
            check.problems.append(f"{TAGMANIFEST} lists {path}, which is no tag file")
    for name in TAG_FILES:
        if name not in tags:
            check.problems.append(f"{TAGMANIFEST} does not list {name}")
    listed = {**payload, **tags}
    for path in sorted(set(listed) - files):
        check.problems.append(f"{path} is missing (listed in a manifest)")
    for path in sorted(files - set(listed) - {TAGMANIFEST}):
        what = "a manifest other than SHA-512" if re.fullmatch(r"(tag)?manifest-.*", path) else ""
        check.problems.append(
            f"{_shown(path)} was added (listed in no manifest{what and '; '}{what})"
        )
    for path in sorted(dirs - _folders(listed) - {DATA}):
        check.problems.append(f"{_shown(path)}/ was added (a folder of no listed file)")
    for path, digest in sorted(listed.items()):
        if path in files and _sha512(bag / path) != digest:
            check.problems.append(f"{path} does not hold its SHA-512 checksum (changed)")
    _check_oxum(bag, payload, check)
    check.summary = (
        f"{len(payload)} payload and {len(tags)} tag files hold their SHA-512 checksums; "
        "none missing, none added"
    )
    return check, {path for path in files if path.startswith(f"{DATA}/")}


def _check_oxum(bag: Path, payload: Mapping[str, str], check: Check) -> None:
    try:
        info = (bag / BAG_INFO).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        check.problems.append(f"{BAG_INFO} is missing or unreadable")
        return
    oxum = re.search(r"^Payload-Oxum: ([0-9]+)\.([0-9]+)$", info, re.MULTILINE)
    sizes = 0
    for path in payload:
        with contextlib.suppress(OSError):
            sizes += (bag / path).stat().st_size
    if oxum is None or (int(oxum[1]), int(oxum[2])) != (sizes, len(payload)):
        check.problems.append(f"{BAG_INFO} does not give the payload's size and file count")


def _read_text(bag: Path, path: str) -> str:
    target = bag / path
    if not stat.S_ISREG(target.lstat().st_mode):
        raise OSError(path)
    return target.read_bytes().decode("utf-8")  # as it is: no line ends translated


def check_checkpoint(
    bag: Path, key_text: str | None, report: Report
) -> tuple[Check, Checkpoint | None, str]:
    """The checkpoint's signature, with the key given or else the bag's own copy of it."""
    check = Check("checkpoint")
    try:
        note = _read_text(bag, CHECKPOINT)
        bag_key_text = _read_text(bag, VERIFIER_KEY)
    except (OSError, UnicodeDecodeError):
        check.problems.append(f"{CHECKPOINT} or {VERIFIER_KEY} is missing or unreadable")
        return check, None, ""
    try:
        key = parse_key(key_text if key_text is not None else bag_key_text)
        bag_key = parse_key(bag_key_text) if key_text is not None else key
        if bag_key.text != key.text:
            check.problems.append(
                f"{VERIFIER_KEY} is not the key given: the bag names another log key"
            )
        checkpoint = parse_checkpoint(open_note(note, key))
        if checkpoint.origin != key.name:
            raise Refusal(f"the checkpoint is of the log {checkpoint.origin!r}, not {key.name!r}")
    except Refusal as refusal:
        check.problems.append(f"{CHECKPOINT}: {refusal}")
        return check, None, note
    report.origin, report.tree_size = checkpoint.origin, checkpoint.size
    check.problems.extend(bag_signature_problems(bag, key, checkpoint))
    whose = (
        "the key given"
        if key_text is not None
        else f"the bag's own copy of the key ({VERIFIER_KEY})"
    )
    check.summary = (
        f"signed by {checkpoint.origin} with {whose}: a tree of {checkpoint.size} events, and "
        "the checksums of every file in the bag"
    )
    return check, checkpoint, note


def _digest(path: Path) -> str:
    try:
        return _sha512(path) if stat.S_ISREG(path.lstat().st_mode) else "-"
    except OSError:
        return "-"


def bag_signature_problems(bag: Path, key: Key, checkpoint: Checkpoint) -> list[str]:
    """What is wrong with bag-signature.txt: it must carry the log key's signature of the
    bag's checkpoint and of the checksums of the tag files as they are (the payload manifest
    among them). The manifests alone can be made again by whoever changed a file; this
    signature cannot."""
    try:
        note = _read_text(bag, BAG_SIGNATURE)
        text = open_note(note, key, what="it")
    except (OSError, UnicodeDecodeError):
        return [
            f"{BAG_SIGNATURE} is missing or unreadable: nothing shows that the log key signed "
            "the bag's files"
        ]
    except Refusal as refusal:
        return [f"{BAG_SIGNATURE}: {refusal}"]
    digests = {name: _digest(bag / name) for name in SIGNED_TAG_FILES}
    expected = signature_text(checkpoint.origin, checkpoint.size, checkpoint.root, digests)
    if text == expected:
        return []
    lines = text.split("\n")
    if lines[:4] != expected.split("\n")[:4]:
        return [f"{BAG_SIGNATURE} signs another checkpoint than {CHECKPOINT} (or no dossier)"]
    signed: dict[str, str] = {}
    for line in lines[4:-1]:
        digest, _, name = line.partition(" ")
        signed[name] = digest
    changed = [name for name in sorted(SIGNED_TAG_FILES) if signed.get(name) != digests[name]]
    return [
        f"{name} is not the file the log key signed (changed, the manifests made to fit)"
        for name in changed
    ] or [f"{BAG_SIGNATURE} does not list exactly the bag's tag files"]


def _load_events(bag: Path, check: Check) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    try:
        text = _read_text(bag, EVENTS)
    except (OSError, UnicodeDecodeError):
        check.problems.append(f"{EVENTS} is missing or unreadable")
        return events
    lines = text.split("\n")
    if lines[-1] != "":
        check.problems.append(f"{EVENTS} does not end in a line break")
    for number, line in enumerate(lines[:-1], start=1):
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            event = None
        if (
            not isinstance(event, dict)
            or list(event) not in (list(EVENT_KEYS), list(EARLIER_EVENT_KEYS))
            or type(event["seq"]) is not int
            or not all(isinstance(event[key], str) for key in EARLIER_EVENT_KEYS[1:])
            or not isinstance(event.get("os_login"), str | None)
        ):
            check.problems.append(f"{EVENTS} line {number} is not an audit event")
            continue
        # One way to write each event: a line that reads the same but is written otherwise (a
        # key twice, other spacing) could show a reader something the check did not see.
        if json.dumps(event, ensure_ascii=False) != line:
            check.problems.append(f"{EVENTS} line {number} is not written as export writes it")
        events.append(event)
    return events


def check_events(
    bag: Path, checkpoint: Checkpoint | None, note: str
) -> tuple[Check, dict[tuple[str, str], dict[str, Any]]]:
    """Every event: its hash recomputed, linked to the one before where that is in the bag, and
    its inclusion proof leading to the checkpoint's root."""
    check = Check("events and proofs")
    by_record: dict[tuple[str, str], dict[str, Any]] = {}
    by_seq: dict[int, dict[str, Any]] = {}
    events = _load_events(bag, check)
    for event in events:
        seq, key = event["seq"], (event["entity"], event["entity_id"])
        label = f"event {seq}"
        if seq in by_seq or key in by_record:
            check.problems.append(f"{label} or its record appears twice in {EVENTS}")
            continue
        by_seq[seq], by_record[key] = event, event
        if hashlib.sha256(event_bytes(event)).hexdigest() != event["hash"]:
            check.problems.append(f"{label}: its content does not give its hash (altered)")
        before = by_seq.get(seq - 1)
        if before is not None and event["prev_hash"] != before["hash"]:
            check.problems.append(f"{label} does not follow event {seq - 1} (reordered)")
        if seq == 1 and event["prev_hash"] != GENESIS_HASH:
            check.problems.append(f"{label} is the first but does not start the chain")
        if event["entity"] not in KINDS or not re.fullmatch(
            r"[1-9][0-9]{0,18}", event["entity_id"]
        ):
            check.problems.append(f"{label} names no record of a known kind")
            continue
        if checkpoint is not None:
            _check_proof(bag, event, checkpoint, note, check)
    if [e["seq"] for e in events] != sorted(by_seq):
        check.problems.append(f"{EVENTS} is not in the order of the trail")
    check.summary = (
        f"{len(events)} events hash as recorded; each has an inclusion proof leading to the "
        "checkpoint's root"
        if checkpoint is not None
        else f"{len(events)} events hash as recorded; no checkpoint to prove them against"
    )
    return check, by_record


def _check_proof(
    bag: Path, event: Mapping[str, Any], checkpoint: Checkpoint, note: str, check: Check
) -> None:
    path = proof_file(event["entity"], int(event["entity_id"]))
    try:
        proof = parse_proof(_read_text(bag, path))
    except (OSError, UnicodeDecodeError):
        check.problems.append(f"{path} is missing or unreadable")
        return
    except Refusal as refusal:
        check.problems.append(f"{path}: {refusal}")
        return
    if proof.note != note:
        check.problems.append(f"{path} leads to another checkpoint than {CHECKPOINT}")
    elif proof.extra != event_bytes(event) or proof.index != event["seq"] - 1:
        check.problems.append(f"{path} proves another event than event {event['seq']}")
    elif not inclusion_holds(
        proof.index, checkpoint.size, leaf_hash(proof.extra), proof.hashes, checkpoint.root
    ):
        check.problems.append(
            f"{path}: event {event['seq']} is not in the tree of the checkpoint (the proof fails)"
        )


def check_consistency(
    bag: Path,
    key_text: str | None,
    checkpoint: Checkpoint | None,
    note: str,
    since_note: str | None,
) -> Check | None:
    """The bag's consistency proof, when it holds one or `since_note` (a checkpoint the overseer
    kept) is given: signed by the log, leading to the bag's checkpoint from an older one (from
    exactly `since_note`'s), and holding. None when there is neither."""
    check = Check("consistency proof")
    try:
        text: str | None = _read_text(bag, CONSISTENCY)
    except FileNotFoundError:
        text = None
    except (OSError, UnicodeDecodeError):
        check.problems.append(f"{CONSISTENCY} is unreadable")
        return check
    if text is None and since_note is None:
        return None
    if text is None:
        check.problems.append(
            f"the bag holds no consistency proof ({CONSISTENCY}): it cannot show that it "
            "extends the checkpoint given with --since"
        )
        return check
    if checkpoint is None:
        check.problems.append(f"{CONSISTENCY}: no verified checkpoint to check it against")
        return check
    where = CONSISTENCY
    try:
        key = parse_key(key_text if key_text is not None else _read_text(bag, VERIFIER_KEY))
        proof = parse_consistency(text)
        old = parse_checkpoint(open_note(proof.old_note, key))
        where = "--since"
        kept = None if since_note is None else parse_checkpoint(open_note(since_note, key))
    except (OSError, UnicodeDecodeError):
        check.problems.append(f"{VERIFIER_KEY} is missing or unreadable")
        return check
    except Refusal as refusal:
        check.problems.append(f"{where}: {refusal}")
        return check
    if proof.note != note:
        check.problems.append(f"{CONSISTENCY} leads to another checkpoint than {CHECKPOINT}")
    elif old.origin != key.name or (kept is not None and kept.origin != key.name):
        check.problems.append(f"{CONSISTENCY} starts from a checkpoint of another log")
    elif kept is not None and (kept.size, kept.root) != (old.size, old.root):
        check.problems.append(
            f"{CONSISTENCY} starts from another checkpoint ({old.size} events) than the one "
            f"given with --since ({kept.size} events)"
            if kept.size != old.size
            else f"{CONSISTENCY} starts from another tree of {kept.size} events than the "
            "checkpoint given with --since (rewritten)"
        )
    elif proof.old_size != old.size:
        check.problems.append(f"{CONSISTENCY} is from another size than its old checkpoint")
    elif not consistency_holds(old.size, checkpoint.size, old.root, checkpoint.root, proof.hashes):
        check.problems.append(
            f"{CONSISTENCY}: the trail of the checkpoint does not extend the one at {old.size} "
            "events (the proof fails)"
        )
    kept_text = " you kept (--since)" if kept is not None else ""
    check.summary = (
        f"the trail of {checkpoint.size} events extends the checkpoint at {old.size} "
        f"events{kept_text}: nothing before it was changed or removed"
    )
    return check


def load_records(bag: Path, check: Check) -> dict[str, list[dict[str, Any]]]:
    """The records of every kind, as the bag holds them."""
    records: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        path = record_file(kind)
        try:
            text = _read_text(bag, path)
            data = json.loads(text)
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            check.problems.append(f"{path} is missing or not JSON")
            continue
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            check.problems.append(f"{path} is not a list of records")
            continue
        # Byte for byte as export writes it: JSON that parses to the records checked but reads
        # otherwise (a key given twice, the first with another value) is refused.
        if json_bytes(data) != text.encode("utf-8"):
            check.problems.append(f"{path} is not written as export writes it (rewritten)")
        records[kind] = data
    return records


def check_records(
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    events: Mapping[tuple[str, str], Mapping[str, Any]],
    check: Check,
) -> None:
    """Every record equals the snapshot its audit event holds; every event has its record."""
    seen: set[tuple[str, str]] = set()
    count = 0
    for kind, rows in records.items():
        for record in rows:
            number = record.get("id")
            if type(number) is not int or number < 1:
                check.problems.append(f"a record in {record_file(kind)} has no valid id")
                continue
            key = (kind, str(number))
            count += 1
            event = events.get(key)
            if key in seen:
                check.problems.append(f"{kind} #{number} appears twice in {record_file(kind)}")
            elif event is None:
                check.problems.append(f"{kind} #{number} has no audit event in the bag")
            elif canonical(record) != event["change"]:
                check.problems.append(
                    f"{kind} #{number} does not match its audit event {event['seq']} (changed)"
                )
            seen.add(key)
    for key, event in events.items():
        if key not in seen:
            check.problems.append(
                f"event {event['seq']} records {key[0]} #{key[1]}, which is not in the bag"
            )
    check.summary = f"{count} records match the snapshots of their audit events"


def check_files(
    bag: Path,
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    payload: set[str],
    report: Report,
) -> Check:
    """The derived files made again from the records, and the payload holding exactly the files
    a dossier of these records has."""
    check = Check("derived files")
    try:
        derived = derived_files(records)
        judged = judged_files(records)
        proofs = {proof_file(kind, _record_id(r)) for kind, rows in records.items() for r in rows}
    except Underivable as failure:
        check.problems.append(f"the records do not give the derived files: {failure}")
        return check
    for path, content in sorted(derived.items()):
        try:
            if (bag / path).read_bytes() != content:
                check.problems.append(f"{path} is not what the records give (changed)")
        except OSError:
            check.problems.append(f"{path} is missing")
    anchored = {CHECKPOINT, VERIFIER_KEY, EVENTS, CONSISTENCY} | {record_file(k) for k in KINDS}
    anchored |= proofs
    for path in sorted(payload - anchored - set(derived) - judged):
        check.problems.append(f"{_shown(path)} is not part of a dossier of these records")
    for path in sorted(judged - payload):
        check.problems.append(f"{path} is missing")
    report.not_anchored = sorted(judged | {README, VERIFIER})
    notes = len(derived) - 2
    check.summary = (
        f"transfers.csv, transfers.json and {notes} note file{'s' if notes != 1 else ''} "
        "are what the records give"
    )
    return check


def verify(bag: Path, key_text: str | None = None, since_note: str | None = None) -> Report:
    """Every check of a dossier; `key_text` is the verifier key the overseer holds (None: the
    bag's own copy, which shows only that the bag is consistent in itself); `since_note` a
    checkpoint the overseer kept, which the bag's consistency proof must start from."""
    report = Report(str(bag), key_given=key_text is not None)
    manifests, payload = check_manifests(bag)
    signature, checkpoint, note = check_checkpoint(bag, key_text, report)
    events, by_record = check_events(bag, checkpoint, note)
    consistency = check_consistency(bag, key_text, checkpoint, note, since_note)
    records_check = Check("records")
    records = load_records(bag, records_check)
    check_records(records, by_record, records_check)
    files = check_files(bag, records, payload, report)
    report.checks = [manifests, signature, events, *([consistency] if consistency else [])]
    report.checks += [records_check, files]
    return report


# --------------------------------------------------------------------------- the verdict

MAX_SHOWN = 20


def report_lines(report: Report) -> Iterator[str]:
    """The verdict for a person, one line a check and a line a problem."""
    for check in report.checks:
        if check.ok:
            yield f"ok      {check.name}: {check.summary}"
            continue
        yield f"FAILED  {check.name}:"
        for problem in check.problems[:MAX_SHOWN]:
            yield f"          {problem}"
        if len(check.problems) > MAX_SHOWN:
            yield f"          … and {len(check.problems) - MAX_SHOWN} more"
    if report.not_anchored:
        yield (
            "Checked by their checksums, which the log key signed, not against the audit trail: "
            + ", ".join(report.not_anchored)
            + " (made by wegings when it exported)."
        )
    if not report.key_given:
        yield (
            "The signature was checked with the bag's own copy of the verifier key: that shows "
            "only that the bag is consistent in itself, not that it comes from the service's "
            "log. Check with --key and the verifier key the service gave you."
        )
    count = len(report.problems)
    yield (
        "Dossier intact."
        if report.intact
        else f"Dossier NOT intact: {count} problem{'s' if count != 1 else ''}."
    )


def report_json(report: Report) -> dict[str, Any]:
    """The verdict as plain JSON."""
    return {
        "bag": report.bag,
        "intact": report.intact,
        "key": "given" if report.key_given else "bag",
        "self_consistent_only": not report.key_given,
        "origin": report.origin,
        "tree_size": report.tree_size,
        "checks": [
            {"name": c.name, "ok": c.ok, "summary": c.summary, "problems": c.problems}
            for c in report.checks
        ],
        "not_anchored": report.not_anchored,
        "problems": report.problems,
    }


def main(argv: Iterable[str] | None = None) -> int:
    """`python3 verify.py [--key KEY] [--json] [BAG]`: 0 intact, 1 not, 2 bad usage."""
    parser = argparse.ArgumentParser(
        prog="verify.py", description="Check a wegings dossier (a BagIt bag) offline."
    )
    parser.add_argument(
        "bag", nargs="?", default=str(Path(__file__).resolve().parent),
        help="the bag's folder (default: the folder this file is in)",
    )  # fmt: skip
    parser.add_argument("--key", help="the log's verifier key (NAME+ID+KEY) or a file holding it")
    parser.add_argument(
        "--since", metavar="OLD_CHECKPOINT",
        help="a checkpoint you kept: the bag's consistency proof must start from exactly it",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    options = parser.parse_args(list(argv) if argv is not None else None)
    bag = Path(options.bag)
    if not bag.is_dir():
        sys.stderr.write(f"Error: {bag} is not a folder.\n")
        return 2
    since_note = None
    try:
        if options.since is not None:
            since_note = _small_file(options.since, f"--since {options.since}")
            try:
                checkpoint_form(since_note)
            except Refusal as refusal:
                raise Refusal(f"--since {options.since}: {refusal}") from None
        key_text = options.key
        if key_text is not None and _is_file(key_text):
            key_text = _small_file(key_text, f"--key {key_text}").strip()
        if key_text is not None:
            try:
                parse_key(key_text)
            except Refusal as refusal:
                raise Refusal(f"--key: {refusal}") from None
    except Refusal as refusal:
        sys.stderr.write(printable(f"Error: {refusal}.") + "\n")
        return 2
    report = verify(bag, key_text, since_note)
    if options.json:
        sys.stdout.write(json.dumps(report_json(report), ensure_ascii=False, indent=2) + "\n")
    else:
        for line in report_lines(report):
            sys.stdout.write(printable(line) + "\n")
    return 0 if report.intact else 1


def _is_file(name: str) -> bool:
    try:
        return Path(name).is_file()
    except (OSError, ValueError):  # a name too long to be a file: a key given as text
        return False


def _small_file(name: str, what: str) -> str:
    """A small regular file's UTF-8 text (a key, a checkpoint); Refusal in one sentence else.
    A device or pipe is never read (`/dev/zero` would never end)."""
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise Refusal(f"{what} is not a plain file")
            data = handle.read((1 << 20) + 1)
    except OSError:
        raise Refusal(f"{what} cannot be read as text") from None
    if len(data) > 1 << 20:
        raise Refusal(f"{what} is too large")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(f"{what} cannot be read as text") from None


def printable(text: str) -> str:
    """`text` with nothing in it that could move a terminal or turn text around: control
    characters but the line break, and invisible formatting ones, shown as <U+XXXX>."""
    return "".join(
        c if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf") else f"<U+{ord(c):04X}>"
        for c in text
    )


if __name__ == "__main__":
    sys.exit(main())
