"""The facts a check is decided on: frozen, validated records, loaded by `wegings.sharing.store`.

Every datetime must be timezone-aware UTC; anything else is `InvalidInput` (see the time
conventions in `wegings.sharing.rules`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from wegings.domain import (
    FORM_KEYS,
    OWN_SERVICE,
    STANDARD_ONLY_FORMS,
    NoteStatus,
    RiskProfile,
    Role,
)
from wegings.errors import InvalidInput
from wegings.notes import lifecycle
from wegings.notes.lifecycle import cutoff
from wegings.sharing.frozen import quick_init
from wegings.timeutil import display_zone

_ZERO = timedelta(0)


_FORM_KEY_SET = frozenset(FORM_KEYS)


_ENDED_KINDS = (NoteStatus.superseded, NoteStatus.withdrawn)


def require_utc(value: datetime, what: str) -> None:
    """Raise InvalidInput unless `value` is timezone-aware UTC."""
    # A naive datetime would make comparisons raise TypeError mid-decision, and a non-UTC one
    # means the loader skipped its conversion (comparisons assume one clock): refuse both early.
    # (The loader's own times carry `UTC` itself: known at once, without asking the offset.)
    tzinfo = value.tzinfo
    if tzinfo is not UTC and (tzinfo is None or value.utcoffset() != _ZERO):
        raise InvalidInput(f"{what} must be a timezone-aware UTC datetime, got {value!r}.")


def _require_optional_utc(value: datetime | None, what: str) -> None:
    """Raise InvalidInput unless `value` is None or timezone-aware UTC."""
    if value is not None:
        require_utc(value, what)


def require_key(value: str, what: str) -> None:
    """Raise InvalidInput unless `value` is a non-empty lowercase key without outer spaces."""
    # Keys are compared with ==, so a stray capital or space would silently fail to match.
    if not value or value != value.strip().lower():
        raise InvalidInput(f"{what} must be a non-empty lowercase key, got {value!r}.")


def _as_key_set(value: Iterable[str], what: str) -> frozenset[str]:
    """`value` as a frozenset of strings; a bare string is refused, not split into letters."""
    # `"ct" in "ct,cyber"` would be a substring test and could match a consent by accident.
    if isinstance(value, str):
        raise InvalidInput(f"{what} must be a set of keys, not the string {value!r}.")
    return value if isinstance(value, frozenset) else frozenset(value)


def _as_texts(value: object, what: str) -> tuple[str, ...]:
    """`value` as a tuple of non-blank texts; a bare string is refused, not split into letters."""
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise InvalidInput(f"{what} must be a list of texts, got {value!r}.")
    for text in value:
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput(f"{what} must be non-empty texts, got {text!r}.")
    return tuple(value)


def _require_bool(value: object, what: str) -> None:
    """Raise InvalidInput unless `value` is a real bool (None or 0/1 would hide a fault)."""
    if not isinstance(value, bool):
        raise InvalidInput(f"{what} must be true or false, got {value!r}.")


@quick_init
@dataclass(frozen=True, slots=True)
class ItemFacts:
    """A piece of information to be passed on.

    id: database id; handle: printable handle such as "bfv/REF-1"; originator: partner short of
    the service it came from, or "self"; received_from: partner short we got it from (None for
    our own); personal_data / unevaluated: the flags that fix its form; tags: its tags, matched
    by standing consents; classification / subject: as registered (or corrected).
    """

    id: int
    handle: str
    originator: str
    received_from: str | None
    personal_data: bool
    unevaluated: bool
    tags: frozenset[str] = frozenset()
    classification: str = ""
    subject: str = ""

    def __post_init__(self) -> None:
        if not self.handle:
            raise InvalidInput(f"Item #{self.id} has no handle.")
        # The checks of the helpers below, each message written only when one fails: a batch
        # builds an item for every row.
        originator = self.originator
        if (
            not originator
            or type(originator) is not str
            or originator != originator.strip().lower()
        ):
            require_key(originator, f"Item {self.handle}: originator")
        if type(self.personal_data) is not bool:
            _require_bool(self.personal_data, f"Item {self.handle}: personal_data")
        if type(self.unevaluated) is not bool:
            _require_bool(self.unevaluated, f"Item {self.handle}: unevaluated")
        if type(self.tags) is not frozenset:
            object.__setattr__(self, "tags", _as_key_set(self.tags, f"Item {self.handle}: tags"))


@quick_init
@dataclass(frozen=True, slots=True)
class ItemCorrectionFacts:
    """A correction of an item: it holds from the item's registration, on record from
    `recorded_at` (DOMAIN.md, "Corrections and changes").

    id: database id; personal_data / unevaluated / classification / subject: the corrected
    value (None: unchanged); add_tags / remove_tags: tags added and removed.
    """

    id: int
    recorded_at: datetime
    personal_data: bool | None = None
    unevaluated: bool | None = None
    classification: str | None = None
    subject: str | None = None
    add_tags: frozenset[str] = frozenset()
    remove_tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        what = f"Item correction #{self.id}"
        require_utc(self.recorded_at, f"{what}: recorded_at")
        for name in ("personal_data", "unevaluated"):
            value = getattr(self, name)
            if value is not None:
                _require_bool(value, f"{what}: {name}")
        object.__setattr__(self, "add_tags", _as_key_set(self.add_tags, f"{what}: add_tags"))
        object.__setattr__(
            self, "remove_tags", _as_key_set(self.remove_tags, f"{what}: remove_tags")
        )


class ItemValues(NamedTuple):
    """What a correction can change about an item: its flags, classification, subject, tags."""

    personal_data: bool
    unevaluated: bool
    classification: str
    subject: str
    tags: frozenset[str]


class ItemChange(NamedTuple):
    """One correction of an item: the corrected values (None: unchanged), tags added, removed."""

    personal_data: bool | None
    unevaluated: bool | None
    classification: str | None
    subject: str | None
    add_tags: Iterable[str]
    remove_tags: Iterable[str]


def corrected_values(registered: ItemValues, changes: Iterable[ItemChange]) -> ItemValues:
    """An item's values with `changes` applied in the order given (the order recorded): the
    one rule for what an item is after corrections, used by the check and the lists alike."""
    personal_data, unevaluated, classification, subject, tags = registered
    current = set(tags)
    for change in changes:
        if change.personal_data is not None:
            personal_data = change.personal_data
        if change.unevaluated is not None:
            unevaluated = change.unevaluated
        if change.classification is not None:
            classification = change.classification
        if change.subject is not None:
            subject = change.subject
        current = (current - set(change.remove_tags)) | set(change.add_tags)
    return ItemValues(personal_data, unevaluated, classification, subject, frozenset(current))


def item_as_known(
    item: ItemFacts, corrections: Iterable[ItemCorrectionFacts], known_at: datetime
) -> ItemFacts:
    """The item as on record at `known_at`: its registration with every correction recorded
    by then applied in the order they were recorded.

    A correction holds from the registration, so it changes the item at every moment, but only
    for a check that knows of it: a replay before its recording keeps the old item.
    """
    known = sorted((c for c in corrections if c.recorded_at <= known_at), key=_recorded_order)
    if not known:
        return item
    personal_data, unevaluated, classification, subject, tags = corrected_values(
        ItemValues(item.personal_data, item.unevaluated, item.classification, item.subject,
                   item.tags),
        (
            ItemChange(c.personal_data, c.unevaluated, c.classification, c.subject, c.add_tags,
                       c.remove_tags)
            for c in known
        ),
    )  # fmt: skip
    return replace(
        item,
        personal_data=personal_data,
        unevaluated=unevaluated,
        classification=classification,
        subject=subject,
        tags=frozenset(tags),
    )


def _recorded_order(correction: ItemCorrectionFacts) -> tuple[datetime, int]:
    return correction.recorded_at, correction.id


@quick_init
@dataclass(frozen=True, slots=True)
class ConsentFacts:
    """A consent from an originator to a holder to pass an item (or tagged items) on.

    id: database id; originator: the consenting service (partner short or "self"); holder: who
    may pass on ("self" or partner short); recipient: partner short or group key; item_id / tag:
    the scope, exactly one is set (a tag consent is standing and must have valid_until);
    purpose: the only purpose it covers (None = any; compared case-insensitively after strip);
    valid_from / valid_until: inclusive window (valid_until None = open-ended, item consents
    only); recorded_at: when it was entered in the register; revoked_at: when its revocation
    was recorded and took effect (None = not revoked); conditions: conditions it attaches;
    reference: the originator's reference for it.
    """

    id: int
    originator: str
    holder: str
    recipient: str
    item_id: int | None
    tag: str | None
    purpose: str | None
    valid_from: datetime
    valid_until: datetime | None
    recorded_at: datetime
    revoked_at: datetime | None = None
    conditions: tuple[str, ...] = ()
    reference: str = ""

    def __post_init__(self) -> None:
        what = f"Consent #{self.id}"
        require_key(self.originator, f"{what}: originator")
        require_key(self.holder, f"{what}: holder")
        require_key(self.recipient, f"{what}: recipient")
        if self.originator == self.holder:
            raise InvalidInput(f"{what}: originator and holder are both {self.originator!r}.")
        if (self.item_id is None) == (self.tag is None):
            raise InvalidInput(f"{what} must have exactly one scope: an item or a tag.")
        if self.tag is not None and self.valid_until is None:
            raise InvalidInput(
                f"{what} is a standing consent for tag {self.tag!r} and needs an end date."
            )
        if self.purpose is not None and not self.purpose.strip():
            raise InvalidInput(f"{what}: purpose is blank; use None for any purpose.")
        require_utc(self.valid_from, f"{what}: valid_from")
        _require_optional_utc(self.valid_until, f"{what}: valid_until")
        require_utc(self.recorded_at, f"{what}: recorded_at")
        _require_optional_utc(self.revoked_at, f"{what}: revoked_at")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise InvalidInput(f"{what} ends before it starts.")
        if self.revoked_at is not None and self.revoked_at < self.recorded_at:
            raise InvalidInput(f"{what} is revoked before it was recorded.")


@quick_init
@dataclass(frozen=True, slots=True)
class NoteFacts:
    """One established version of a partner's weighing note (drafts are never facts).

    version: version number; established_at: when it was established; review_due: when it
    stops counting unless reviewed; ended_at / end_kind: when and how it ended (superseded or
    withdrawn), both None while current; profile: its risk profile; forms: permitted form keys;
    conditions: its conditions and mitigating measures, which every provision under it carries.
    """

    version: int
    established_at: datetime
    review_due: datetime
    profile: RiskProfile
    forms: frozenset[str]
    ended_at: datetime | None = None
    end_kind: NoteStatus | None = None
    conditions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        what = f"Note v{self.version}"
        # Plain strings from a loader become enum members, so identity checks below are safe.
        try:
            object.__setattr__(self, "profile", RiskProfile(self.profile))
            if self.end_kind is not None:
                object.__setattr__(self, "end_kind", NoteStatus(self.end_kind))
        except ValueError as exc:
            raise InvalidInput(f"{what}: {exc}.") from None
        object.__setattr__(self, "forms", _as_key_set(self.forms, f"{what}: forms"))
        object.__setattr__(self, "conditions", _as_texts(self.conditions, f"{what}: conditions"))
        require_utc(self.established_at, f"{what}: established_at")
        require_utc(self.review_due, f"{what}: review_due")
        _require_optional_utc(self.ended_at, f"{what}: ended_at")
        if self.review_due <= self.established_at:
            raise InvalidInput(f"{what} is due for review before it was established.")
        if (self.ended_at is None) != (self.end_kind is None):
            raise InvalidInput(f"{what}: ended_at and end_kind must be given together.")
        if self.end_kind is not None and self.end_kind not in _ENDED_KINDS:
            raise InvalidInput(f"{what}: end_kind must be superseded or withdrawn.")
        if self.ended_at is not None and self.ended_at < self.established_at:
            raise InvalidInput(f"{what} ended before it was established.")
        unknown = self.forms - _FORM_KEY_SET
        if unknown:
            raise InvalidInput(f"{what}: unknown forms {sorted(unknown)}.")
        # A corrupt note must not widen what may be shared: unevaluated data is standaard-only.
        if self.profile is not RiskProfile.standaard and self.forms & STANDARD_ONLY_FORMS:
            raise InvalidInput(f"{what} is {self.profile} but permits unevaluated_data.")


@quick_init
@dataclass(frozen=True, slots=True)
class FlagFacts:
    """A development recorded on a partner.

    raised_at: when it was recorded; reason: what happened; cleared_at: when a later note
    establishment cleared it (None = still raised); observed_on: the date of the developments
    in The Hague, as the user gave it (None when not known); retracted_at: when its retraction
    (it was recorded by mistake) was recorded (None = not retracted).
    """

    raised_at: datetime
    reason: str
    cleared_at: datetime | None = None
    observed_on: date | None = None
    retracted_at: datetime | None = None

    @property
    def holds_from(self) -> datetime:
        """When the developments began to count: the start of `observed_on`, else recording."""
        if self.observed_on is None:
            return self.raised_at
        return _start_of_day(self.observed_on)

    def __post_init__(self) -> None:
        require_utc(self.raised_at, "Flag: raised_at")
        # A datetime is also a date: refuse it, as its day would depend on its time zone.
        if self.observed_on is not None and (
            not isinstance(self.observed_on, date) or isinstance(self.observed_on, datetime)
        ):
            raise InvalidInput(
                f"Flag {self.reason!r}: observed_on must be a calendar date, "
                f"got {self.observed_on!r}."
            )
        _require_optional_utc(self.cleared_at, "Flag: cleared_at")
        if self.cleared_at is not None and self.cleared_at < self.raised_at:
            raise InvalidInput(f"Flag {self.reason!r} is cleared before it was raised.")
        _require_optional_utc(self.retracted_at, "Flag: retracted_at")
        if self.retracted_at is not None and self.retracted_at < self.raised_at:
            raise InvalidInput(f"Flag {self.reason!r} is retracted before it was raised.")


@quick_init
@dataclass(frozen=True, slots=True)
class PermissionFacts:
    """A higher permission (toestemming) for one item to one recipient.

    id: database id; item_id: the item; recipient: partner short or group key; role: who
    granted it; valid_from: when it was recorded and took effect; valid_until: inclusive end
    date (mandatory); revoked_at: when a revocation was recorded (None = not revoked);
    ctivd_notified: whether the CTIVD was notified (required for unevaluated data).
    """

    id: int
    item_id: int
    recipient: str
    role: Role
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None = None
    ctivd_notified: bool = False

    def __post_init__(self) -> None:
        what = f"Permission #{self.id}"
        require_key(self.recipient, f"{what}: recipient")
        try:
            object.__setattr__(self, "role", Role(self.role))
        except ValueError:
            raise InvalidInput(f"{what}: unknown role {self.role!r}.") from None
        require_utc(self.valid_from, f"{what}: valid_from")
        require_utc(self.valid_until, f"{what}: valid_until")
        _require_optional_utc(self.revoked_at, f"{what}: revoked_at")
        _require_bool(self.ctivd_notified, f"{what}: ctivd_notified")
        if self.valid_until < self.valid_from:
            raise InvalidInput(f"{what} ends before it starts.")
        if self.revoked_at is not None and self.revoked_at < self.valid_from:
            raise InvalidInput(f"{what} is revoked before it was recorded.")


@quick_init
@dataclass(frozen=True, slots=True)
class PartnerFacts:
    """A foreign partner service as a recipient.

    short: its key ("bfv"); name: its full name; notes: its established note versions that
    matter around T; flags: its flags; groups: keys of the groups it belongs to at T (a consent
    to one of them covers it); joined: (group key, since when) for those groups, since being
    the start of the unbroken membership that holds at T (`memberships_at`), so that a consent
    or permission given to a group covers only the members it had then and still has at T.
    """

    short: str
    name: str
    notes: tuple[NoteFacts, ...] = ()
    flags: tuple[FlagFacts, ...] = ()
    groups: frozenset[str] = frozenset()
    joined: tuple[tuple[str, datetime], ...] = ()

    def __post_init__(self) -> None:
        require_key(self.short, "Partner short")
        object.__setattr__(
            self, "groups", _as_key_set(self.groups, f"Partner {self.short}: groups")
        )
        if self.short == OWN_SERVICE:
            raise InvalidInput(f"{OWN_SERVICE!r} is our own service, not a partner.")


@quick_init
@dataclass(frozen=True, slots=True)
class MembershipFacts:
    """A partner joining (`joins`) or leaving a group, from `valid_from` in the world, on record
    from `recorded_at`. A membership row is a join recorded at its own start."""

    group: str
    joins: bool
    valid_from: datetime
    recorded_at: datetime

    def __post_init__(self) -> None:
        require_key(self.group, "Membership: group")
        _require_bool(self.joins, f"Membership of {self.group}: joins")
        require_utc(self.valid_from, f"Membership of {self.group}: valid_from")
        require_utc(self.recorded_at, f"Membership of {self.group}: recorded_at")


def memberships_at(
    changes: Iterable[MembershipFacts], at: datetime, *, known_at: datetime | None = None
) -> tuple[tuple[str, datetime], ...]:
    """(group key, since) for every group a partner belongs to at `at`, as on record at
    `known_at` (default `at`), sorted by key.

    Only changes on record by `known_at` and in effect by `at` count, in the order of their
    dates (a later recording first wins a tie, a leave after a join on the same record);
    `since` is the start of the unbroken membership that holds at `at`: a member that left and
    joined again is a member only since it joined again.
    """
    on_record = at if known_at is None else known_at
    since: dict[str, datetime | None] = {}
    counted = sorted(
        (c for c in changes if c.recorded_at <= on_record and c.valid_from <= at),
        key=lambda c: (c.valid_from, c.recorded_at, not c.joins),
    )
    for change in counted:
        if not change.joins:
            since[change.group] = None
        elif since.get(change.group) is None:
            since[change.group] = change.valid_from
    return tuple(sorted((g, start) for g, start in since.items() if start is not None))


@quick_init
@dataclass(frozen=True, slots=True)
class GroupFacts:
    """A group of partners (e.g. the CTG) as a recipient: a provision to every member.

    key: its key ("ctg"); name: its full name; members: its members at T.
    """

    key: str
    name: str
    members: tuple[PartnerFacts, ...]

    def __post_init__(self) -> None:
        require_key(self.key, "Group key")
        shorts = [m.short for m in self.members]
        if len(set(shorts)) != len(shorts):
            raise InvalidInput(f"Group {self.key} lists a member twice.")
        if self.key in shorts:
            raise InvalidInput(f"Group {self.key} has the same key as one of its members.")


Recipient = PartnerFacts | GroupFacts


def required_forms(item: ItemFacts) -> tuple[str, ...]:
    """Every form key a note must permit for `item` (rule 3), unevaluated_data first."""
    forms: tuple[str, ...] = ()
    if item.unevaluated:
        forms += ("unevaluated_data",)
    if item.personal_data:
        forms += ("personal_data",)
    return forms or ("evaluated_data",)


def provision_is_ours(item: ItemFacts, holder: str) -> bool:
    """Whether passing `item` on is our provision: we hold it, or it is our own item.

    Our consent to a partner passing our item on is a provision by proxy (DOMAIN.md rule 2).
    """
    return holder == OWN_SERVICE or item.originator == OWN_SERVICE


@functools.lru_cache(maxsize=1024)
def _start_of_day(day: date) -> datetime:
    """The first instant of `day` in The Hague, as UTC."""
    return datetime.combine(day, time.min, tzinfo=display_zone()).astimezone(UTC)


def latest_established_note(
    partner: PartnerFacts, at: datetime, *, known_at: datetime | None = None
) -> NoteFacts | None:
    """The partner's most recently established note at `at` as on record at `known_at`."""
    by = cutoff(at, known_at)
    latest: NoteFacts | None = None
    for note in partner.notes:
        if note.established_at <= by and (
            latest is None
            or (note.established_at, note.version) > (latest.established_at, latest.version)
        ):
            latest = note
    return latest


def note_in_force(
    partner: PartnerFacts, at: datetime, *, known_at: datetime | None = None
) -> NoteFacts | None:
    """The partner's note in force at `at`: established, not ended, not past review.

    Only what was on record at `known_at` (default: `at`) counts, ends included.
    """
    note = latest_established_note(partner, at, known_at=known_at)
    if note is None:
        return None
    in_force = lifecycle.in_force(
        established_at=note.established_at,
        ended_at=note.ended_at,
        review_due=note.review_due,
        at=at,
        by=cutoff(at, known_at),
    )
    return note if in_force else None


def note_ended(note: NoteFacts, at: datetime, *, known_at: datetime | None = None) -> bool:
    """Whether `note` was superseded or withdrawn at `at`, as on record at `known_at`."""
    return lifecycle.note_ended(note.ended_at, cutoff(at, known_at))


def active_flags(
    partner: PartnerFacts, at: datetime, *, known_at: datetime | None = None
) -> tuple[FlagFacts, ...]:
    """The partner's flags that hold at `at` and are not cleared then, as on record at known_at.

    A flag holds from the date of its developments (or its recording); it counts only once
    recorded (`raised_at <= known_at`), and a clearing or a retraction only once on record and
    by `at`.
    """
    return tuple(
        f
        for f in partner.flags
        if lifecycle.flag_holds(
            raised_at=f.raised_at,
            cleared_at=f.cleared_at,
            at=at,
            holds_from=f.holds_from,
            known_at=known_at,
            retracted_at=f.retracted_at,
        )
    )


def normalise_purpose(purpose: str | None) -> str | None:
    """The comparison key of a purpose: stripped and case-folded; None when absent or blank."""
    if purpose is None:
        return None
    key = purpose.strip().casefold()
    return key or None


@quick_init
@dataclass(frozen=True, slots=True)
class Check:
    """The facts of one call to `decide` that every rule reads, the same for every member.

    item / holder / purpose: what is passed on by whom and why; at: T, the moment validity is
    judged at; known_at: the on-record cutoff; by: min(at, known_at), up to which a record that
    takes effect when recorded counts; consents: the holder's consents on record for the item;
    our_name: our service's name; group_key: the group recipient's key, None for a partner.
    """

    item: ItemFacts
    holder: str
    at: datetime
    known_at: datetime
    by: datetime  # what takes effect when recorded counts up to here: min(at, known_at)
    purpose: str | None
    purpose_key: str | None
    consents: tuple[ConsentFacts, ...]
    permissions: Sequence[PermissionFacts]
    our_name: str
    group_key: str | None
