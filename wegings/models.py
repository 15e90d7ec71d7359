"""The tables of the store. Only portable SQLAlchemy types: SQLite now, PostgreSQL later."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import DateTime, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime, stored as naive UTC so every backend compares it alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive values; store UTC without the offset."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC to the stored value."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


class Partner(SQLModel, table=True):
    """A foreign partner service. Never deleted."""

    __tablename__ = "partner"

    id: int | None = Field(default=None, primary_key=True)
    short: str = Field(unique=True, index=True, max_length=40)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    kind: str = Field(max_length=20)
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=100)


class PartnerGroup(SQLModel, table=True):
    """A group of partners, such as the CTG, that can be a recipient as a whole."""

    __tablename__ = "partner_group"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=40)
    name: str = Field(max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=100)


class GroupMembership(SQLModel, table=True):
    """A partner's membership of a group, from `added_at` on."""

    __tablename__ = "group_membership"
    __table_args__ = (UniqueConstraint("group_id", "partner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="partner_group.id", index=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    added_at: datetime = Field(sa_type=UTCDateTime)
    added_by: str = Field(max_length=100)


class AuditEvent(SQLModel, table=True):
    """One change, hash-chained to the one before it."""

    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40, index=True)
    entity_id: str = Field(max_length=80)
    change: str = Field(sa_type=Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class NoteVersion(SQLModel, table=True):
    """One version of a partner's weighing note, as answered. Never edited once saved.

    Its status (draft, established, superseded, withdrawn) follows from the establishment and
    withdrawal records that refer to it, so nothing here changes later.
    """

    __tablename__ = "note_version"
    __table_args__ = (UniqueConstraint("partner_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    version: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    author: str = Field(max_length=100)
    profile: str = Field(max_length=20)
    forms: str = Field(sa_type=Text)  # JSON list of permitted form keys, for quick checks
    answers: str = Field(sa_type=Text)  # JSON of the full answers (criteria, interest, forms)
    based_on: int | None = Field(default=None)  # the version it was pre-filled from


class NoteEstablishment(SQLModel, table=True):
    """The decision that established a note version, by whom in which role."""

    __tablename__ = "note_establishment"

    id: int | None = Field(default=None, primary_key=True)
    note_id: int = Field(foreign_key="note_version.id", unique=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    role: str = Field(max_length=20)
    established_by: str = Field(max_length=100)
    established_at: datetime = Field(sa_type=UTCDateTime)
    review_due: datetime = Field(sa_type=UTCDateTime)
    decision: str = Field(default="", sa_type=Text)


class NoteWithdrawal(SQLModel, table=True):
    """The withdrawal of an established note: cooperation suspended from `withdrawn_at`."""

    __tablename__ = "note_withdrawal"

    id: int | None = Field(default=None, primary_key=True)
    note_id: int = Field(foreign_key="note_version.id", unique=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    withdrawn_by: str = Field(max_length=100)
    withdrawn_at: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(sa_type=Text)


class PartnerFlag(SQLModel, table=True):
    """Developments that require the note to be rewritten; cleared by the next establishment."""

    __tablename__ = "partner_flag"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    reason: str = Field(sa_type=Text)
    observed_on: date  # when the developments took place, as the user says
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)
