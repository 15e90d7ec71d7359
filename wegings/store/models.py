"""The tables of the store. Only portable SQLAlchemy types: SQLite now, PostgreSQL later."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime, stored as naive UTC so every backend compares it alike.

    On SQLite the text is `stored.STORED_DATETIME_FORMAT`, which the strict readers expect.
    """

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
    # A check holds each record it relies on to its event, found by (entity, entity_id).
    __table_args__ = (Index("ix_audit_event_record", "entity", "entity_id"),)

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40, index=True)
    entity_id: str = Field(max_length=80)
    change: str = Field(sa_type=Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    # On SQLite the operating-system account that wrote the event, beside the acting person
    # (who may be typed with --as); NULL on a server, which vouches for the actor itself, and on
    # events recorded before schema 0008. Part of the event's hash when present.
    os_login: str | None = Field(default=None, max_length=100)


class AuditNode(SQLModel, table=True):
    """A node of the Merkle tree over the audit trail (wegings.store.tree): the hash of the
    complete subtree of the 2**level events from idx * 2**level on. Derived from the events,
    never audited itself: `audit verify` rebuilds the tree and holds every node to it."""

    __tablename__ = "audit_node"

    level: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    idx: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    hash: str = Field(max_length=64)


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


class Item(SQLModel, table=True):
    """A piece of information that may be passed on, with the service it originates from.

    `originator` is "self" (our own service) or a partner's handle; `received_from` is the
    partner we got it from (None for our own). Handles are kept as text, as they are printed.
    """

    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("originator", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(index=True, max_length=100)
    originator: str = Field(max_length=40)
    received_from: str | None = Field(default=None, max_length=40)
    received_on: date
    personal_data: bool
    unevaluated: bool
    classification: str = Field(default="", max_length=100)
    subject: str = Field(default="", sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


class ItemTag(SQLModel, table=True):
    """A tag on an item; standing consents cover all of an originator's items with a tag."""

    __tablename__ = "item_tag"
    __table_args__ = (UniqueConstraint("item_id", "tag"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    tag: str = Field(index=True, max_length=40)


class Consent(SQLModel, table=True):
    """An originator's consent to a holder to pass one item (or tagged items) to a recipient.

    Exactly one of `item_id` and `tag` is set; a tag consent is standing and has an end date.
    `recipient` is a partner's handle or a group's key. Revoked by a ConsentRevocation.
    """

    __tablename__ = "consent"
    __table_args__ = (
        Index("ix_consent_item_scope", "originator", "holder", "item_id"),
        Index("ix_consent_tag_scope", "originator", "holder", "tag", "recipient"),
    )

    id: int | None = Field(default=None, primary_key=True)
    originator: str = Field(max_length=40)
    holder: str = Field(max_length=40)
    recipient: str = Field(max_length=40)
    item_id: int | None = Field(default=None, foreign_key="item.id")
    tag: str | None = Field(default=None, max_length=40)
    purpose: str | None = Field(default=None, max_length=200)
    valid_from: datetime = Field(sa_type=UTCDateTime)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    conditions: str = Field(default="[]", sa_type=Text)  # JSON list of condition texts
    reference: str = Field(default="", max_length=200)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


class ConsentRevocation(SQLModel, table=True):
    """The revocation of a consent, effective from `revoked_at` on."""

    __tablename__ = "consent_revocation"

    id: int | None = Field(default=None, primary_key=True)
    consent_id: int = Field(foreign_key="consent.id", unique=True)
    revoked_at: datetime = Field(sa_type=UTCDateTime)
    revoked_by: str = Field(max_length=100)
    reason: str = Field(sa_type=Text)


class Permission(SQLModel, table=True):
    """A higher permission (toestemming) for one item to one recipient, until an end date."""

    __tablename__ = "permission"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    recipient: str = Field(max_length=40)
    role: str = Field(max_length=20)
    valid_from: datetime = Field(sa_type=UTCDateTime)
    valid_until: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(sa_type=Text)
    ctivd_notified: bool
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


class Transfer(SQLModel, table=True):
    """A provision (verstrekking): the item passed on, with the decision it relied on."""

    __tablename__ = "transfer"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    holder: str = Field(max_length=40)
    recipient: str = Field(index=True, max_length=40)
    purpose: str | None = Field(default=None, max_length=200)
    transferred_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)
    decision: str = Field(sa_type=Text)  # JSON of the decision: outcome, reasons, members
    conditions: str = Field(sa_type=Text)  # JSON list of the conditions it carries
    reliability: str | None = Field(default=None, sa_type=Text)
    age: str | None = Field(default=None, sa_type=Text)


# --------------------------------------------------------------------------- corrections
# A mistake or a change is a new record; nothing above is ever updated in place. Each of these
# says what is now right, who recorded it (recorded_by), when (recorded_at) and why (reason).


class PartnerCorrection(SQLModel, table=True):
    """A correction of a partner's name, country, kind or notes (None: unchanged)."""

    __tablename__ = "partner_correction"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    name: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=2)
    kind: str | None = Field(default=None, max_length=20)
    notes: str | None = Field(default=None, sa_type=Text)
    reason: str = Field(sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


class MembershipChange(SQLModel, table=True):
    """A partner joins or leaves a group from `valid_from` (a moment in the world).

    A `group_membership` row is a join from its `added_at`; these record joins and leaves with
    their own dates, on record from `recorded_at`.
    """

    __tablename__ = "membership_change"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="partner_group.id", index=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    change: str = Field(max_length=10)  # "join" or "leave"
    valid_from: datetime = Field(sa_type=UTCDateTime)
    reference: str = Field(default="", max_length=200)
    reason: str = Field(default="", sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


class ItemCorrection(SQLModel, table=True):
    """A correction of an item's flags, classification, subject or tags (None: unchanged).

    It holds from the item's registration (the item *was* personal data) but is on record only
    from `recorded_at`: a replay keeps the old answer, hindsight shows the new one.
    """

    __tablename__ = "item_correction"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    personal_data: bool | None = Field(default=None)
    unevaluated: bool | None = Field(default=None)
    classification: str | None = Field(default=None, max_length=100)
    subject: str | None = Field(default=None, sa_type=Text)
    add_tags: str = Field(default="[]", sa_type=Text)  # JSON list of tags added
    remove_tags: str = Field(default="[]", sa_type=Text)  # JSON list of tags removed
    reason: str = Field(sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


class PermissionRevocation(SQLModel, table=True):
    """A permission revoked from `recorded_at` on."""

    __tablename__ = "permission_revocation"

    id: int | None = Field(default=None, primary_key=True)
    permission_id: int = Field(foreign_key="permission.id", unique=True)
    reason: str = Field(sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


class PermissionGrant(SQLModel, table=True):
    """Who granted a permission (the minister or DG who decided), recorded with it."""

    __tablename__ = "permission_grant"

    id: int | None = Field(default=None, primary_key=True)
    permission_id: int = Field(foreign_key="permission.id", unique=True)
    granted_by: str = Field(max_length=200)


class FlagRetraction(SQLModel, table=True):
    """A flag recorded by mistake, retracted: it no longer counts from `recorded_at` on."""

    __tablename__ = "flag_retraction"

    id: int | None = Field(default=None, primary_key=True)
    flag_id: int = Field(foreign_key="partner_flag.id", unique=True)
    reason: str = Field(sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


# --------------------------------------------------------------------------- people and roles
# The people register: who may act, under which full name and function, in which roles. A role
# is granted by a record and revoked by a new record pointing at the grant; a correction of a
# name or function is a new record too. Nothing here is updated in place.


class Person(SQLModel, table=True):
    """A person who may act: a login with the full name and function documents print."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(unique=True, max_length=100)
    name: str = Field(max_length=200)
    function: str = Field(max_length=200)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


class PersonCorrection(SQLModel, table=True):
    """A correction of a person's full name or function (None: unchanged), from `recorded_at`."""

    __tablename__ = "person_correction"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    name: str | None = Field(default=None, max_length=200)
    function: str | None = Field(default=None, max_length=200)
    reason: str = Field(sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


class RoleGrant(SQLModel, table=True):
    """A role (desk, assessor, dg, minister, overseer) granted to a person from `recorded_at`."""

    __tablename__ = "role_grant"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=20)
    reason: str = Field(sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)


class RoleRevocation(SQLModel, table=True):
    """The revocation of a role grant, from `recorded_at` on."""

    __tablename__ = "role_revocation"

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="role_grant.id", unique=True)
    reason: str = Field(sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=100)
