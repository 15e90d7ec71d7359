"""Weighing notes: versions, establishments, withdrawals, and developments flags.

Revision ID: 0002_weighing_notes
Revises: 0001_foundation
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wegings.store.models import UTCDateTime

revision: str = "0002_weighing_notes"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the tables of weighing notes."""
    op.create_table(
        "note_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("profile", sa.String(length=20), nullable=False),
        sa.Column("forms", sa.Text(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=True),
        sa.UniqueConstraint("partner_id", "version"),
    )
    op.create_index("ix_note_version_partner_id", "note_version", ["partner_id"])
    op.create_table(
        "note_establishment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "note_id", sa.Integer(), sa.ForeignKey("note_version.id"), nullable=False, unique=True
        ),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("established_by", sa.String(length=100), nullable=False),
        sa.Column("established_at", UTCDateTime(), nullable=False),
        sa.Column("review_due", UTCDateTime(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
    )
    op.create_index("ix_note_establishment_partner_id", "note_establishment", ["partner_id"])
    op.create_table(
        "note_withdrawal",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "note_id", sa.Integer(), sa.ForeignKey("note_version.id"), nullable=False, unique=True
        ),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("withdrawn_by", sa.String(length=100), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_note_withdrawal_partner_id", "note_withdrawal", ["partner_id"])
    op.create_table(
        "partner_flag",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
    )
    op.create_index("ix_partner_flag_partner_id", "partner_flag", ["partner_id"])


def downgrade() -> None:
    """Migrations are forward-only: history is never rewritten."""
    raise NotImplementedError("wegings schema migrations are forward-only")
