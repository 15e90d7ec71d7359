"""The Merkle tree over the audit trail: table audit_node, filled for the events already there.

A node is the hash of a complete subtree (level, idx: the 2**level events from idx * 2**level
on), as RFC 6962 builds it over the events' canonical bytes. A new table only: no event and no
record changes, so the hash chain and every audit snapshot stay as they were.

Revision ID: 0007_audit_tree
Revises: 0006_people
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session, col, select

from wegings.store.models import AuditEvent
from wegings.store.tree import build

revision: str = "0007_audit_tree"
down_revision: str | None = "0006_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create audit_node and store the nodes of the events recorded so far."""
    node = op.create_table(
        "audit_node",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    assert node is not None
    session = Session(bind=op.get_bind())
    # The columns this revision has, not the model's: a later one adds columns (0008: os_login)
    # that are not there yet, and an event without them has the bytes it always had.
    known = ("seq", "at", "actor", "action", "entity", "entity_id", "change", "prev_hash")
    columns = [col(getattr(AuditEvent, name)) for name in known]
    events = select(*columns).order_by(col(AuditEvent.seq)).execution_options(yield_per=2000)
    _edge, rows = build(session.exec(events))
    for start in range(0, len(rows), 5000):
        op.bulk_insert(
            node,
            [
                {"level": level, "idx": idx, "hash": digest}
                for level, idx, digest in rows[start : start + 5000]
            ],
        )


def downgrade() -> None:
    """Drop the tree; the events keep their hash chain."""
    op.drop_table("audit_node")
