"""Audit events found by their record: an index on (entity, entity_id).

A can-share check holds every record it relies on to that record's audit event; this index
makes that one lookup per record instead of a scan of the entity's events.

Revision ID: 0004_audit_record_lookup
Revises: 0003_third_party_rule
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_audit_record_lookup"
down_revision: str | None = "0003_third_party_rule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index the audit events by the record they describe."""
    op.create_index("ix_audit_event_record", "audit_event", ["entity", "entity_id"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_audit_event_record", table_name="audit_event")
