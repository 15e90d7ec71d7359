"""The audit trail's hash chain as plain functions: one home for how an event is hashed.

Light on purpose (no ORM): the can-share loader recomputes the hash of every event a decision
relies on, and `wegings.store.audit` writes and verifies the chain with the same functions.
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring
from typing import Any

GENESIS_HASH = "0" * 64
"""The `prev_hash` of the first event."""


# One encoder for every call: json.dumps with options builds a new encoder each time, and the
# loader encodes a snapshot and a hash payload for every record a check relies on.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(data: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, Unicode kept."""
    return _CANONICAL.encode(data)


# The function `_CANONICAL` writes every string with (ensure_ascii=False: `encode_basestring`,
# the C one when the interpreter has it), so a string written by `json_text` is the very text
# `canonical` gives it inside a list or an object.
json_text = encode_basestring
"""A string as canonical JSON writes it, quotes included."""


def event_bytes(
    seq: int,
    at_iso: str | None,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    change: str,
    prev_hash: str,
    *,
    os_login: str | None = None,
) -> bytes:
    """An event's canonical bytes (its time as ISO UTC text), chained to the hash before it:
    what the hash chain hashes, and the leaf of the Merkle tree over the trail.

    The operating-system login (`os_login`, recorded on SQLite since schema 0008) is a ninth
    element at the end; an event without one has the eight-element bytes it always had, so the
    hashes of events recorded before it stay valid.
    """
    if (
        (os_login is None or type(os_login) is str)
        and type(seq) is int
        and type(at_iso) is str
        and type(actor) is str
        and type(action) is str
        and type(entity) is str
        and type(entity_id) is str
        and type(change) is str
        and type(prev_hash) is str
    ):
        # The common case written out: the text `canonical` gives this list, without its
        # generic walk (the loader hashes an event for every record a check relies on).
        text = json_text
        login = "" if os_login is None else f",{text(os_login)}"
        payload = (
            f"[{seq},{text(at_iso)},{text(actor)},{text(action)},{text(entity)},"
            f"{text(entity_id)},{text(change)},{text(prev_hash)}{login}]"
        )
    else:
        fields: list[Any] = [seq, at_iso, actor, action, entity, entity_id, change, prev_hash]
        if os_login is not None:
            fields.append(os_login)
        payload = canonical(fields)
    return payload.encode("utf-8")


def chain_hash(
    seq: int,
    at_iso: str | None,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    change: str,
    prev_hash: str,
    *,
    os_login: str | None = None,
) -> str:
    """SHA-256 over an event's canonical bytes."""
    return hashlib.sha256(
        event_bytes(
            seq, at_iso, actor, action, entity, entity_id, change, prev_hash, os_login=os_login
        )
    ).hexdigest()
