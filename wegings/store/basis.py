"""A decision's basis: the audit head it read, as printed and parsed, and the moment it counts to.

Light on purpose (no ORM): a can-share check on a SQLite file replays a basis through the raw
connection (`wegings.store.snapshot`), and `wegings.store.audit` through the session, with the
same rule and the same refusals (`cutoff`). What either reads of the trail is a `BasisTrail`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Protocol

from wegings.errors import EXIT_USAGE, InvalidInput, WegingsError
from wegings.store.chain import GENESIS_HASH

BEFORE_ANY_RECORD = datetime.min.replace(tzinfo=UTC)
"""The cutoff of the empty trail's basis: no record is on record at or before it."""


class BasisMismatch(WegingsError):
    """A basis that is not (or no longer) a point of this audit trail (exit 2: an error)."""

    exit_code = EXIT_USAGE

    def __init__(self, seq: int, hash_prefix: str, reason: str) -> None:
        super().__init__(f"Basis {seq}:{hash_prefix} {reason}")
        self.seq = seq
        self.hash_prefix = hash_prefix


def format_basis(seq: int, hash_text: str) -> str:
    """An audit head as people write it down: 'SEQ:HASH16' (the hash's first 16 characters)."""
    return f"{seq}:{hash_text[:16]}"


_SEQ_TEXT = re.compile(r"[0-9]{1,18}")
_HASH_TEXT = re.compile(r"[0-9a-f]{8,64}")


def _seq_and_hash(text: str) -> tuple[int, str] | None:
    """'SEQ:HASH' with HASH at least 8 hex characters (any case), or None."""
    seq_text, _, hash_text = text.strip().partition(":")
    hash_text = hash_text.lower()
    # ASCII only: str.isdigit() also takes '²' (which int() refuses) and Arabic-Indic digits.
    if _SEQ_TEXT.fullmatch(seq_text) is None or _HASH_TEXT.fullmatch(hash_text) is None:
        return None
    return int(seq_text), hash_text


def parse_anchor(text: str) -> tuple[int, str]:
    """'SEQ:HASH' as given to `audit verify --expect` (HASH: at least 8 hex characters)."""
    parsed = _seq_and_hash(text)
    if parsed is None:
        raise InvalidInput(
            f"--expect {text!r} is not an anchor; give SEQ:HASH as printed by "
            "`wegings audit verify`, e.g. 12:3fa9c2d1e07b4a55."
        )
    return parsed


def parse_basis(text: str) -> tuple[int, str]:
    """A decision's basis 'SEQ:HASH' as given to `--basis` (HASH: at least 8 hex characters)."""
    parsed = _seq_and_hash(text)
    if parsed is None:
        raise InvalidInput(
            f"--basis {text!r} is not a basis; give SEQ:HASH as printed with the decision, "
            "e.g. 12:3fa9c2d1e07b4a55."
        )
    return parsed


class BasisTrail(Protocol):
    """What `cutoff` reads of the audit trail, in the snapshot of the read that replays."""

    def event(self, seq: int) -> tuple[object, datetime] | None:
        """Event `seq`'s hash (as stored) and recorded time; None when there is no such event."""
        ...

    def head_seq(self) -> int:
        """The sequence number of the newest event (0 for an empty trail)."""
        ...

    def first_out_of_time_order(self) -> tuple[int, int] | None:
        """(earlier, later) seq of the first neighbouring events whose recorded times go back."""
        ...


def cutoff(trail: BasisTrail, seq: int, hash_prefix: str) -> datetime:
    """The instant a replay with basis SEQ:HASH counts records up to (recorded at or before).

    Event `seq` must exist with a hash starting with `hash_prefix`, else BasisMismatch. Records
    are counted by recorded time, so that time must split the trail exactly at `seq`: recorded
    times never go back along the trail, and the next event is recorded strictly later. Both
    hold for every trail written with `recorded_now`; a trail where they do not is refused
    rather than replayed inexactly.
    """
    prefix = hash_prefix.lower()
    if seq == 0:
        if not GENESIS_HASH.startswith(prefix):
            raise BasisMismatch(
                seq, prefix, "does not match the audit trail: the empty trail has another hash"
            )
        return BEFORE_ANY_RECORD
    event = trail.event(seq)
    if event is None:
        raise BasisMismatch(
            seq,
            prefix,
            f"does not match the audit trail: there is no event {seq}, the trail ends at event "
            f"{trail.head_seq()} (removed?)",
        )
    digest, moment = event
    if type(digest) is not str or not digest.startswith(prefix):
        raise BasisMismatch(
            seq,
            prefix,
            f"does not match the audit trail: event {seq} has another hash (rewritten?)",
        )
    backwards = trail.first_out_of_time_order()
    if backwards is not None:
        earlier, later = backwards
        raise BasisMismatch(
            seq,
            prefix,
            f"cannot be replayed by time: event {later} is recorded before event {earlier} "
            "(recorded times out of order)",
        )
    following = trail.event(seq + 1)
    if following is not None and following[1] <= moment:
        raise BasisMismatch(
            seq,
            prefix,
            f"cannot be replayed by time: event {seq + 1} is recorded at the same time as "
            f"event {seq} (a basis is the last event of a transaction)",
        )
    return moment
