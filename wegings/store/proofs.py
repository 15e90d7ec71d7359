"""Checkpoints and proofs of the audit trail, for the oversight committee.

A checkpoint is the log key's signature on the tree of the whole trail (its size and root). An
overseer who keeps one can later be handed a consistency proof that the trail then is a prefix
of the trail now (nothing rewritten or removed), and an inclusion proof that one event (a
transfer, say) is in it, and check both offline with the verifier key alone. `audit verify
--checkpoint` checks the whole database against a kept checkpoint.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from wegings.errors import InvalidInput
from wegings.store import merkle
from wegings.store.audit import AuditBroken, audit_head
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


def checkpoint(
    session: Session, signer: Signer, tree: StoredTree | None = None
) -> tuple[Checkpoint, str]:
    """The signed checkpoint of the whole trail on this snapshot."""
    tree, size = _tree(session) if tree is None else (tree, tree.size())
    head = Checkpoint(signer.name, size, tree.root(size))
    return head, signer.sign(head.text())


def prove_event(session: Session, signer: Signer, seq: int) -> tuple[Checkpoint, str]:
    """An inclusion proof (c2sp.org/tlog-proof) of event `seq` at the current checkpoint."""
    tree, size = _tree(session)
    if not 1 <= seq <= size:
        raise InvalidInput(f"--event {seq}: the trail holds events 1 to {size}.")
    event = session.exec(select(AuditEvent).where(col(AuditEvent.seq) == seq)).one()
    head, signed = checkpoint(session, signer, tree)
    path = merkle.inclusion_proof(seq - 1, size, tree.node)
    return head, inclusion_proof_text(seq - 1, event_data(event), path, signed)


def prove_since(session: Session, signer: Signer, old_note: str) -> tuple[Checkpoint, str]:
    """A consistency proof from an older checkpoint of this log to the current one.

    The old checkpoint must carry this log's signature and its tree must be the start of the
    trail now; otherwise the trail was rewritten since, and that is said, not proved away."""
    old = open_checkpoint(old_note, signer.verifier)
    tree, size = _tree(session)
    if old.size > size:
        raise AuditBroken(
            None, f"the checkpoint holds {old.size} events but the trail only {size} (removed)"
        )
    if tree.root(old.size) != old.root:
        raise AuditBroken(
            old.size,
            "the trail's first events no longer give the checkpoint's root (rewritten)",
        )
    head, signed = checkpoint(session, signer, tree)
    if old.size == 0:
        raise InvalidInput("That checkpoint is of the empty trail; every trail extends it.")
    proof = merkle.consistency_proof(old.size, size, tree.node)
    return head, consistency_proof_text(old.size, proof, signed)
