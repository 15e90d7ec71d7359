"""The third-party rule: items, consents and their revocations, permissions, transfers.

Revision ID: 0003_third_party_rule
Revises: 0002_weighing_notes
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wegings.store.models import UTCDateTime

revision: str = "0003_third_party_rule"
down_revision: str | None = "0002_weighing_notes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the tables of the third-party rule and the indexes a check looks up by."""
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("originator", sa.String(length=40), nullable=False),
        sa.Column("received_from", sa.String(length=40), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.Column("unevaluated", sa.Boolean(), nullable=False),
        sa.Column("classification", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.UniqueConstraint("originator", "ref"),
    )
    # A check finds an item by its reference alone when that is unambiguous.
    op.create_index("ix_item_ref", "item", ["ref"])
    op.create_table(
        "item_tag",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.UniqueConstraint("item_id", "tag"),
    )
    op.create_index("ix_item_tag_item_id", "item_tag", ["item_id"])
    op.create_index("ix_item_tag_tag", "item_tag", ["tag"])
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("originator", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=True),
        sa.Column("tag", sa.String(length=40), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=True),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
    )
    # The two ways a check looks consents up: for one item, and standing ones for a tag (an
    # originator may have many of those, so the recipient is in the index as well).
    op.create_index("ix_consent_item_scope", "consent", ["originator", "holder", "item_id"])
    op.create_index("ix_consent_tag_scope", "consent", ["originator", "holder", "tag", "recipient"])
    op.create_table(
        "consent_revocation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "consent_id", sa.Integer(), sa.ForeignKey("consent.id"), nullable=False, unique=True
        ),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_table(
        "permission",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ctivd_notified", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
    )
    op.create_index("ix_permission_item_id", "permission", ["item_id"])
    op.create_table(
        "transfer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
        sa.Column("holder", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("transferred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("reliability", sa.Text(), nullable=True),
        sa.Column("age", sa.Text(), nullable=True),
    )
    op.create_index("ix_transfer_item_id", "transfer", ["item_id"])
    op.create_index("ix_transfer_recipient", "transfer", ["recipient"])


def downgrade() -> None:
    """Migrations are forward-only: history is never rewritten."""
    raise NotImplementedError("wegings schema migrations are forward-only")
