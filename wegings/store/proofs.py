"""Checkpoints and proofs of the audit trail, for the oversight committee.

A checkpoint is the log key's signature on the tree of the whole trail (its size and root). An
overseer who keeps one can later be handed a consistency proof that the trail then is a prefix
of the trail now (nothing rewritten or removed), and an inclusion proof that one event (a
transfer, say) is in it, and check both offline with the verifier key alone. `audit verify
--checkpoint` checks the whole database against a kept checkpoint.

The key signs only a root it checked: the stored tree (table audit_node) is a cache that anyone
holding the database can alter, so the root is never taken from it on trust. From the last
checkpoint this key signed (`last`), the stored nodes must still give that signed root, and the
events after it are hashed again, chain and all, onto it; the result must be the stored tree's
root. Without one, the whole trail is checked as `audit verify` checks it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from wegings.errors import InvalidInput
from wegings.store import merkle
from wegings.store.audit import AuditBroken, Verified, audit_head, event_hash
from wegings.store.audit import verify as verify_trail
from wegings.store.chain import GENESIS_HASH
from wegings.store.checkpoint import (
    Checkpoint,
    Signer,
    consistency_proof_text,
    inclusion_proof_text,
    open_checkpoint,
)
from wegings.store.models import AuditEvent
from wegings.store.tree import StoredTree, TreeBroken, event_data


def _tree(session: Session) -> tuple[StoredTree, int]:
    tree = StoredTree(session)
    size, _digest = audit_head(session)
    if tree.size() != size:
        raise TreeBroken(
            f"The audit tree holds {tree.size()} events but the trail {size}: it was changed "
            "outside wegings; run `wegings audit verify`."
        )
    return tree, size


def compact_range(size: int, node: merkle.NodeSource) -> merkle.CompactRange:
    """The right edge of the first `size` leaves, read from stored nodes: one complete subtree
    per one-bit of `size`, largest first (O(log n) reads), ready to append the next leaf to."""
    peaks: list[bytes] = []
    start = 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            peaks.append(node(level, start >> level))
            start += 1 << level
    edge = merkle.CompactRange()
    edge.size, edge._peaks = size, peaks
    return edge


def _refuse(reason: str) -> TreeBroken:
    return TreeBroken(
        f"Refused to sign a checkpoint: {reason}; run `wegings audit verify` to find what was "
        "changed."
    )


def _extended_root(session: Session, tree: StoredTree, last: Checkpoint, size: int) -> bytes:
    """The root at `size`, made from the nodes `last` signed and the events after it, each
    hashed again; the stored tree must give the same root."""
    if last.size > size:
        raise _refuse(
            f"the trail holds {size} events, fewer than the {last.size} of the checkpoint signed "
            "last (events removed)"
        )
    try:
        edge = compact_range(last.size, tree.node)
    except TreeBroken:
        edge = None
    if edge is None or edge.root() != last.root:
        raise _refuse(
            f"the stored tree no longer matches the checkpoint signed at size {last.size}"
        )
    previous = GENESIS_HASH
    if last.size > 0:
        before = session.get(AuditEvent, last.size)
        if before is None or event_hash(before) != before.hash:
            raise AuditBroken(last.size, "its content does not match its hash (altered)")
        # The chain goes on from the event the signed tree holds, not from one put in its
        # place: the last signed leaf must be this event.
        if tree.node(0, last.size - 1) != merkle.leaf_hash(event_data(before)):
            raise _refuse(
                f"event {last.size} is not the one the checkpoint signed at size {last.size} holds"
            )
        previous = before.hash
    query = (
        select(AuditEvent)
        .where(col(AuditEvent.seq) > last.size)
        .order_by(col(AuditEvent.seq))
        .execution_options(yield_per=2000)
    )
    for event in session.exec(query):
        if event.seq != edge.size + 1:
            raise AuditBroken(edge.size + 1, "the event is missing (removed)")
        if event.prev_hash != previous:
            raise AuditBroken(
                event.seq, f"it does not follow event {event.seq - 1} (removed or reordered)"
            )
        data = event_data(event)
        if event_hash(event) != event.hash:
            raise AuditBroken(event.seq, "its content does not match its hash (altered)")
        edge.append(merkle.leaf_hash(data))
        previous = event.hash
    if edge.size != size:
        raise _refuse(f"the trail ends at event {edge.size}, not at its head {size}")
    root = edge.root()
    if tree.root(size) != root:
        raise _refuse(
            f"the stored tree at size {size} is not the checkpoint signed at size {last.size} "
            "extended by the events after it"
        )
    return root


def checked_head(
    session: Session,
    origin: str,
    *,
    last: Checkpoint | None = None,
    verified: Verified | None = None,
) -> tuple[Checkpoint, StoredTree]:
    """The tree head of the whole trail on this snapshot, checked before anything signs it.

    With `last`, the checkpoint this key signed last (its signature checked), only what came
    after it is hashed again; with `verified`, the result of a whole `audit verify` in this
    snapshot, that is used; else the whole trail is verified now."""
    tree, size = _tree(session)
    if verified is None and last is not None and last.origin == origin:
        return Checkpoint(origin, size, _extended_root(session, tree, last, size)), tree
    if verified is None:
        verified = verify_trail(session)
    if verified.events != size:
        raise _refuse(f"the trail holds {size} events, but {verified.events} were verified")
    return Checkpoint(origin, size, verified.root), tree


def checkpoint(
    session: Session,
    signer: Signer,
    *,
    last: Checkpoint | None = None,
    verified: Verified | None = None,
) -> tuple[Checkpoint, str]:
    """The signed checkpoint of the whole trail on this snapshot, of a root checked first (see
    `checked_head`)."""
    head, _tree_read = checked_head(session, signer.name, last=last, verified=verified)
    return head, signer.sign(head.text())


def prove_event(
    session: Session, signer: Signer, seq: int, *, last: Checkpoint | None = None
) -> tuple[Checkpoint, str]:
    """An inclusion proof (c2sp.org/tlog-proof) of event `seq` at the current checkpoint."""
    head, tree = checked_head(session, signer.name, last=last)
    if head.size == 0:
        raise InvalidInput(f"--event {seq}: the trail holds no events yet.")
    if not 1 <= seq <= head.size:
        raise InvalidInput(f"--event {seq}: the trail holds events 1 to {head.size}.")
    event = session.exec(select(AuditEvent).where(col(AuditEvent.seq) == seq)).one()
    leaf = event_data(event)
    path = merkle.inclusion_proof(seq - 1, head.size, tree.node)
    try:
        merkle.verify_inclusion(seq - 1, head.size, merkle.leaf_hash(leaf), path, head.root)
    except merkle.ProofError:
        raise _refuse(f"the stored tree does not hold event {seq} as recorded") from None
    return head, inclusion_proof_text(seq - 1, leaf, path, signer.sign(head.text()))


def prove_since(
    session: Session, signer: Signer, old_note: str, *, last: Checkpoint | None = None
) -> tuple[Checkpoint, str]:
    """A consistency proof from an older checkpoint of this log to the current one, the old
    checkpoint's note carried in it.

    The old checkpoint must carry this log's signature and its tree must be the start of the
    trail now; otherwise the trail was rewritten since, and that is said, not proved away."""
    open_checkpoint(old_note, signer.verifier)  # a bad one is refused before any work
    head, tree = checked_head(session, signer.name, last=last)
    signed = signer.sign(head.text())
    return head, consistency_text(tree, head, signed, old_note, signer)


def consistency_text(
    tree: StoredTree, head: Checkpoint, signed: str, old_note: str, signer: Signer
) -> str:
    """The consistency proof file from the checkpoint `old_note` of this log to `head` (whose
    signed note is `signed`), each checked: the old tree must be the start of the trail now."""
    old = open_checkpoint(old_note, signer.verifier)
    if old.size > head.size:
        raise AuditBroken(
            head.size + 1,
            f"the checkpoint holds {old.size} events but the trail only {head.size} (removed)",
        )
    if old.size == 0:
        raise InvalidInput("That checkpoint is of the empty trail; every trail extends it.")
    if tree.root(old.size) != old.root:
        raise AuditBroken(
            old.size,
            "the trail's first events no longer give the checkpoint's root (rewritten)",
        )
    proof = merkle.consistency_proof(old.size, head.size, tree.node)
    try:
        merkle.verify_consistency(old.size, head.size, old.root, head.root, proof)
    except merkle.ProofError:
        raise _refuse(
            f"the stored tree gives no consistency proof from size {old.size} to {head.size}"
        ) from None
    return consistency_proof_text(old.size, proof, signed, old_signed=old_note)
