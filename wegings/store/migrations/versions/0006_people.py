"""The people register: persons, corrections of their name or function, role grants and
revocations. New tables only, so every earlier audit snapshot still matches its record.

Revision ID: 0006_people
Revises: 0005_corrections
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wegings.store.models import UTCDateTime

revision: str = "0006_people"
down_revision: str | None = "0005_corrections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recorded() -> list[sa.Column[object]]:
    return [
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
    ]


def upgrade() -> None:
    """Create the tables of the people register."""
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("function", sa.String(length=200), nullable=False),
        *_recorded(),
        sa.UniqueConstraint("login"),
    )
    op.create_table(
        "person_correction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("function", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        *_recorded(),
    )
    op.create_index("ix_person_correction_person_id", "person_correction", ["person_id"])
    op.create_table(
        "role_grant",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_recorded(),
    )
    op.create_index("ix_role_grant_person_id", "role_grant", ["person_id"])
    op.create_table(
        "role_revocation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("grant_id", sa.Integer(), sa.ForeignKey("role_grant.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_recorded(),
        sa.UniqueConstraint("grant_id"),
    )


def downgrade() -> None:
    """Drop the tables of the people register."""
    for table in ("role_revocation", "role_grant", "person_correction", "person"):
        op.drop_table(table)
