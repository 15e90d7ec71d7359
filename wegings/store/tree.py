"""The Merkle tree over the audit trail, kept in the store (table `audit_node`).

Each event is a leaf: its canonical bytes (`chain.event_bytes`), the same bytes the hash chain
hashes, so the chain stays as it is. Appending an event stores the complete subtrees it
completes (two nodes an event on average, `merkle.nodes_after_append`), in the event's own
transaction; every root and proof is then O(log n) reads. `audit verify` rebuilds the tree from
the events and holds every stored node to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from wegings.errors import StoreError
from wegings.store import merkle
from wegings.store.chain import event_bytes
from wegings.timeutil import iso

_NODE = text("SELECT hash FROM audit_node WHERE level = :level AND idx = :idx")
_INSERT = text("INSERT INTO audit_node (level, idx, hash) VALUES (:level, :idx, :hash)")
# The last leaf, by the primary key (level, idx): no scan. `audit verify` checks none is missing.
_LEAVES = text("SELECT max(idx) FROM audit_node WHERE level = 0")
# Stored nodes in the order appending makes them: by the leaf that completes each node.
_IN_ORDER = text(
    "SELECT level, idx, hash FROM audit_node ORDER BY ((idx + 1) * (1 << level)) - 1, level"
)


class TreeBroken(StoreError):
    """The stored tree does not match the trail: it was changed outside wegings."""


def event_data(event: Any) -> bytes:
    """An audit event's canonical bytes: what its chain hash hashes, and its leaf of the tree."""
    return event_bytes(
        event.seq,
        iso(event.at),
        event.actor,
        event.action,
        event.entity,
        event.entity_id,
        event.change,
        event.prev_hash,
        os_login=getattr(event, "os_login", None),
    )


class StoredTree:
    """The tree as the store holds it, read through one session (one snapshot)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._cache: dict[tuple[int, int], bytes] = {}

    def node(self, level: int, index: int) -> bytes:
        """The stored hash of the complete subtree at (level, index)."""
        key = (level, index)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        row = self._session.execute(_NODE, {"level": level, "idx": index}).first()
        if row is None or not isinstance(row[0], str) or len(row[0]) != 64:
            raise TreeBroken(
                f"The audit tree lacks its node ({level}, {index}) or holds it unreadably: it "
                "was changed outside wegings; run `wegings audit verify`."
            )
        try:
            value = bytes.fromhex(row[0])
        except ValueError:
            raise TreeBroken(
                f"The audit tree's node ({level}, {index}) is not a hash; run `wegings audit "
                "verify`."
            ) from None
        self._cache[key] = value
        return value

    def size(self) -> int:
        """How many events the tree holds."""
        (last,) = self._session.execute(_LEAVES).one()
        if last is None:
            return 0
        if type(last) is not int:
            raise TreeBroken(
                f"The audit tree holds a leaf numbered {last!r}: it was changed outside wegings; "
                "run `wegings audit verify`."
            )
        return last + 1

    def root(self, size: int) -> bytes:
        """The root of the first `size` events."""
        return merkle.root_hash(size, self.node)

    def append(self, event: Any) -> None:
        """Store the nodes that event `event` (the next leaf) completes."""
        made = merkle.nodes_after_append(
            event.seq - 1, merkle.leaf_hash(event_data(event)), self.node
        )
        self._session.execute(
            _INSERT, [{"level": level, "idx": idx, "hash": h.hex()} for level, idx, h in made]
        )
        for level, idx, digest in made:
            self._cache[level, idx] = digest


def append_event(session: Session, event: Any) -> None:
    """Add `event`, just appended to the trail, to the stored tree (same transaction)."""
    StoredTree(session).append(event)


def build(events: Iterable[Any]) -> tuple[merkle.CompactRange, list[tuple[int, int, str]]]:
    """The tree of `events` (in sequence order) and its nodes as rows, for a migration."""
    edge = merkle.CompactRange()
    rows = []
    for event in events:
        for level, idx, digest in edge.append(merkle.leaf_hash(event_data(event))):
            rows.append((level, idx, digest.hex()))
    return edge, rows


def stored_nodes_in_order(session: Session) -> Iterable[tuple[Any, Any, Any]]:
    """Every stored node, in the order appending made them."""
    for row in session.execute(_IN_ORDER.execution_options(yield_per=5000)):
        yield row[0], row[1], row[2]
