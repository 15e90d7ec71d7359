"""The operating-system login beside the acting person: nullable column audit_event.os_login.

On SQLite the acting person is whoever `--as` or WEGINGS_USER names, so each new event also
records the account of the process that wrote it, and a typed name shows as such. The login is
a ninth element of the event's canonical bytes only when present: the events already recorded
keep NULL and the eight-element bytes they were hashed with, so the hash chain and the Merkle
tree stay as they are. A new column only: no event and no record changes.

Revision ID: 0008_event_os_login
Revises: 0007_audit_tree
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_event_os_login"
down_revision: str | None = "0007_audit_tree"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column, NULL for the events recorded so far."""
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("os_login", sa.String(length=100), nullable=True))


def downgrade() -> None:
    """Drop the column (the events that carry a login then no longer match their hashes)."""
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("os_login")
