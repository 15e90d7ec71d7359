"""Corrections and changes without deleting anything: new tables only.

Partner corrections, group joins and leaves with their own dates, item corrections, permission
revocations and who granted a permission, and flag retractions. No applied table changes, so
every earlier audit snapshot still matches its record.

Revision ID: 0005_corrections
Revises: 0004_audit_record_lookup
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wegings.store.models import UTCDateTime

revision: str = "0005_corrections"
down_revision: str | None = "0004_audit_record_lookup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recorded() -> list[sa.Column[object]]:
    return [
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
    ]


def upgrade() -> None:
    """Create the correction tables and the indexes they are looked up by."""
    op.create_table(
        "partner_correction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        *_recorded(),
    )
    op.create_index("ix_partner_correction_partner_id", "partner_correction", ["partner_id"])
    op.create_table(
        "membership_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("partner_group.id"), nullable=False),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_recorded(),
    )
    op.create_index("ix_membership_change_group_id", "membership_change", ["group_id"])
    op.create_index("ix_membership_change_partner_id", "membership_change", ["partner_id"])
    op.create_table(
        "item_correction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
        sa.Column("personal_data", sa.Boolean(), nullable=True),
        sa.Column("unevaluated", sa.Boolean(), nullable=True),
        sa.Column("classification", sa.String(length=100), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("add_tags", sa.Text(), nullable=False),
        sa.Column("remove_tags", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_recorded(),
    )
    op.create_index("ix_item_correction_item_id", "item_correction", ["item_id"])
    op.create_table(
        "permission_revocation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("permission_id", sa.Integer(), sa.ForeignKey("permission.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_recorded(),
        sa.UniqueConstraint("permission_id"),
    )
    op.create_table(
        "permission_grant",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("permission_id", sa.Integer(), sa.ForeignKey("permission.id"), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.UniqueConstraint("permission_id"),
    )
    op.create_table(
        "flag_retraction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("flag_id", sa.Integer(), sa.ForeignKey("partner_flag.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_recorded(),
        sa.UniqueConstraint("flag_id"),
    )


def downgrade() -> None:
    """Drop the correction tables."""
    for table in (
        "flag_retraction",
        "permission_grant",
        "permission_revocation",
        "item_correction",
        "membership_change",
        "partner_correction",
    ):
        op.drop_table(table)
