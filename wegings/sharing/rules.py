"""Whether an item may be passed on: the five rules of DOMAIN.md as pure functions over facts.

The database layer loads the records that matter for one check into the frozen `*Facts`
dataclasses below and calls `decide`. Nothing here touches a database, the clock or the screen,
so an answer for a past moment is reproducible from the same facts. Each rule of DOMAIN.md is
one function named after it (`rule_1_third_party` ... `rule_5_group`) whose docstring states it.

Time conventions (all datetimes must be timezone-aware UTC; anything else is `InvalidInput`).
A check is about validity at T (`at`) with what was on record at K (`known_at`, default T):
K = T is the answer given at T, K < T a replay with an earlier basis, K > T hindsight.

- a record counts only once it was on record: `recorded_at <= K` (consents),
  `valid_from <= K` (permissions, whose `valid_from` is their recording time),
  `established_at <= K` (notes), `raised_at <= K` (flags), and likewise for a revocation, the
  end of a note and the clearing of a flag;
- windows include both ends: `valid_from <= T <= valid_until`, so an end date names the last
  instant that is still covered; a consent recorded after T (a late letter) counts in
  hindsight for the window it gives;
- a record whose recording is its effect (a note's establishment and end, a permission, a
  revocation, a flag's clearing) takes effect at its own instant: revoked at T means
  `revoked_at <= T`, so in hindsight it still does not reach back before it;
- a flag holds from the date of its developments (`observed_on`, the start of that day in The
  Hague) or, without one, from its recording;
- a note is past review at its review date: in force requires `T < review_due`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from wegings.domain import (
    FORM_KEYS,
    FORMS_BY_KEY,
    OWN_SERVICE,
    ROLE_LABELS,
    STANDARD_ONLY_FORMS,
    NoteStatus,
    RiskProfile,
    Role,
)
from wegings.errors import InvalidInput
from wegings.timeutil import display_zone

SOURCE_PROTECTION_CONDITION = "Do not name the originating service (source protection)"
PERSONAL_DATA_CONDITION = "State the reliability and the age of the personal data"

_ZERO = timedelta(0)
# Subtracting from a fixed far-future point turns "newest first" into an ascending sort key.
_FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
_FORM_KEY_SET = frozenset(FORM_KEYS)
_ENDED_KINDS = (NoteStatus.superseded, NoteStatus.withdrawn)
_ANY_ROLE: frozenset[Role] = frozenset(Role)
_MINISTER_ONLY: frozenset[Role] = frozenset({Role.minister})


# --------------------------------------------------------------------------- outcome and reasons


class Outcome(StrEnum):
    """The answer of a check, ordered from worst to best: denied < needs_permission < allowed."""

    denied = "denied"
    needs_permission = "needs_permission"
    allowed = "allowed"

    @property
    def rank(self) -> int:
        """0 for the worst outcome (denied), 2 for the best (allowed)."""
        return _OUTCOME_RANK[self]

    # StrEnum would otherwise compare alphabetically, which puts `allowed` first.
    def __lt__(self, other: str) -> bool:
        if isinstance(other, Outcome):
            return _OUTCOME_RANK[self] < _OUTCOME_RANK[other]
        return NotImplemented

    def __le__(self, other: str) -> bool:
        if isinstance(other, Outcome):
            return _OUTCOME_RANK[self] <= _OUTCOME_RANK[other]
        return NotImplemented

    def __gt__(self, other: str) -> bool:
        if isinstance(other, Outcome):
            return _OUTCOME_RANK[self] > _OUTCOME_RANK[other]
        return NotImplemented

    def __ge__(self, other: str) -> bool:
        if isinstance(other, Outcome):
            return _OUTCOME_RANK[self] >= _OUTCOME_RANK[other]
        return NotImplemented


_OUTCOME_RANK: dict[Outcome, int] = {
    Outcome.denied: 0,
    Outcome.needs_permission: 1,
    Outcome.allowed: 2,
}


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    """The worst of `outcomes`; `denied` when there are none (deny by default)."""
    result: Outcome | None = None
    for outcome in outcomes:
        if outcome is Outcome.denied:
            return outcome
        if result is None or _OUTCOME_RANK[outcome] < _OUTCOME_RANK[result]:
            result = outcome
    return Outcome.denied if result is None else result


class ReasonCode(StrEnum):
    """Stable codes of the reasons a decision gives; part of the JSON output, never renamed."""

    # rule 1: third-party rule
    originator_is_party = "originator_is_party"
    consent_present = "consent_present"
    no_consent = "no_consent"
    consent_expired = "consent_expired"
    consent_not_yet_valid = "consent_not_yet_valid"
    consent_revoked = "consent_revoked"
    consent_purpose_mismatch = "consent_purpose_mismatch"
    # rule 2: a note in force
    note_in_force = "note_in_force"
    no_note = "no_note"
    note_overdue = "note_overdue"
    note_withdrawn = "note_withdrawn"
    note_superseded = "note_superseded"
    # rule 3: the note permits the item's form
    form_permitted = "form_permitted"
    form_not_permitted = "form_not_permitted"
    # rule 4: higher permission
    permission_present = "permission_present"
    permission_required_risk = "permission_required_risk"
    permission_required_unevaluated = "permission_required_unevaluated"
    permission_required_flagged = "permission_required_flagged"
    # rule 5: groups
    group_member = "group_member"
    group_empty = "group_empty"
    member_is_holder = "member_is_holder"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason that applied to a decision.

    code: stable machine code; message: an English sentence naming the record;
    rule: the rule of DOMAIN.md (1-5) it belongs to; effect: the outcome it pushes towards
    (`allowed` for what was relied on); ref: the record relied on or missing ("consent #12",
    "note v3 of bfv", "permission #4", "missing: consent from bfv to self for ctg");
    member: the group member it is about, or None when the recipient is a single partner.
    """

    code: ReasonCode
    message: str
    rule: int
    effect: Outcome
    ref: str
    member: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one check.

    outcome: worst effect of all reasons; reasons: every reason that applied, in rule order
    (per member for a group); conditions: what a transfer must carry, deduplicated, in the order
    onward-transfer condition, the consent's, the recipient's note's, source protection,
    personal data; for a group, only the conditions common to every member's provision, in the
    order of the first member's (see member_conditions for each member's own);
    member_outcomes: (member short, outcome) per member for a group recipient, else empty;
    member_conditions: (member short, the conditions that member's provision carries) per member
    that something is passed to, for a group recipient, else empty.

    The conditions are computed whatever the outcome; whether to show them is the caller's choice.
    """

    outcome: Outcome
    reasons: tuple[Reason, ...]
    conditions: tuple[str, ...]
    member_outcomes: tuple[tuple[str, Outcome], ...] = ()
    member_conditions: tuple[tuple[str, tuple[str, ...]], ...] = ()


# --------------------------------------------------------------------------- facts


def _require_utc(value: datetime, what: str) -> None:
    """Raise InvalidInput unless `value` is timezone-aware UTC."""
    # A naive datetime would make comparisons raise TypeError mid-decision, and a non-UTC one
    # means the loader skipped its conversion (comparisons assume one clock): refuse both early.
    if value.tzinfo is None or value.utcoffset() != _ZERO:
        raise InvalidInput(f"{what} must be a timezone-aware UTC datetime, got {value!r}.")


def _require_optional_utc(value: datetime | None, what: str) -> None:
    """Raise InvalidInput unless `value` is None or timezone-aware UTC."""
    if value is not None:
        _require_utc(value, what)


def _require_key(value: str, what: str) -> None:
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


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """A piece of information to be passed on.

    id: database id; handle: printable handle such as "bfv/REF-1"; originator: partner short of
    the service it came from, or "self"; received_from: partner short we got it from (None for
    our own); personal_data / unevaluated: the flags that fix its form; tags: its tags, matched
    by standing consents.
    """

    id: int
    handle: str
    originator: str
    received_from: str | None
    personal_data: bool
    unevaluated: bool
    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.handle:
            raise InvalidInput(f"Item #{self.id} has no handle.")
        _require_key(self.originator, f"Item {self.handle}: originator")
        _require_bool(self.personal_data, f"Item {self.handle}: personal_data")
        _require_bool(self.unevaluated, f"Item {self.handle}: unevaluated")
        object.__setattr__(self, "tags", _as_key_set(self.tags, f"Item {self.handle}: tags"))


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
        _require_key(self.originator, f"{what}: originator")
        _require_key(self.holder, f"{what}: holder")
        _require_key(self.recipient, f"{what}: recipient")
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
        _require_utc(self.valid_from, f"{what}: valid_from")
        _require_optional_utc(self.valid_until, f"{what}: valid_until")
        _require_utc(self.recorded_at, f"{what}: recorded_at")
        _require_optional_utc(self.revoked_at, f"{what}: revoked_at")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise InvalidInput(f"{what} ends before it starts.")
        if self.revoked_at is not None and self.revoked_at < self.recorded_at:
            raise InvalidInput(f"{what} is revoked before it was recorded.")


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
        _require_utc(self.established_at, f"{what}: established_at")
        _require_utc(self.review_due, f"{what}: review_due")
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


@dataclass(frozen=True, slots=True)
class FlagFacts:
    """A development recorded on a partner.

    raised_at: when it was recorded; reason: what happened; cleared_at: when a later note
    establishment cleared it (None = still raised); observed_on: the date of the developments
    in The Hague, as the user gave it (None when not known).
    """

    raised_at: datetime
    reason: str
    cleared_at: datetime | None = None
    observed_on: date | None = None

    @property
    def holds_from(self) -> datetime:
        """When the developments began to count: the start of `observed_on`, else recording."""
        if self.observed_on is None:
            return self.raised_at
        return _start_of_day(self.observed_on)

    def __post_init__(self) -> None:
        _require_utc(self.raised_at, "Flag: raised_at")
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
        _require_key(self.recipient, f"{what}: recipient")
        try:
            object.__setattr__(self, "role", Role(self.role))
        except ValueError:
            raise InvalidInput(f"{what}: unknown role {self.role!r}.") from None
        _require_utc(self.valid_from, f"{what}: valid_from")
        _require_utc(self.valid_until, f"{what}: valid_until")
        _require_optional_utc(self.revoked_at, f"{what}: revoked_at")
        _require_bool(self.ctivd_notified, f"{what}: ctivd_notified")
        if self.valid_until < self.valid_from:
            raise InvalidInput(f"{what} ends before it starts.")
        if self.revoked_at is not None and self.revoked_at < self.valid_from:
            raise InvalidInput(f"{what} is revoked before it was recorded.")


@dataclass(frozen=True, slots=True)
class PartnerFacts:
    """A foreign partner service as a recipient.

    short: its key ("bfv"); name: its full name; notes: its established note versions that
    matter around T; flags: its flags; groups: keys of the groups it belongs to at T (a consent
    to one of them covers it); joined: (group key, when it joined) for those groups, so that a
    permission granted for a group covers only the members it had when it was granted.
    """

    short: str
    name: str
    notes: tuple[NoteFacts, ...] = ()
    flags: tuple[FlagFacts, ...] = ()
    groups: frozenset[str] = frozenset()
    joined: tuple[tuple[str, datetime], ...] = ()

    def __post_init__(self) -> None:
        _require_key(self.short, "Partner short")
        object.__setattr__(
            self, "groups", _as_key_set(self.groups, f"Partner {self.short}: groups")
        )
        if self.short == OWN_SERVICE:
            raise InvalidInput(f"{OWN_SERVICE!r} is our own service, not a partner.")


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """A group of partners (e.g. the CTG) as a recipient: a provision to every member.

    key: its key ("ctg"); name: its full name; members: its members at T.
    """

    key: str
    name: str
    members: tuple[PartnerFacts, ...]

    def __post_init__(self) -> None:
        _require_key(self.key, "Group key")
        shorts = [m.short for m in self.members]
        if len(set(shorts)) != len(shorts):
            raise InvalidInput(f"Group {self.key} lists a member twice.")
        if self.key in shorts:
            raise InvalidInput(f"Group {self.key} has the same key as one of its members.")


Recipient = PartnerFacts | GroupFacts


# --------------------------------------------------------------------------- helpers on facts


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


def _cutoff(at: datetime, known_at: datetime | None) -> datetime:
    """Until when a record that takes effect when recorded counts for T: on record and by T."""
    return at if known_at is None or known_at >= at else known_at


def latest_established_note(
    partner: PartnerFacts, at: datetime, *, known_at: datetime | None = None
) -> NoteFacts | None:
    """The partner's most recently established note at `at` as on record at `known_at`."""
    by = _cutoff(at, known_at)
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
    if note is None or note_ended(note, at, known_at=known_at):
        return None
    return note if at < note.review_due else None


def note_ended(note: NoteFacts, at: datetime, *, known_at: datetime | None = None) -> bool:
    """Whether `note` was superseded or withdrawn at `at`, as on record at `known_at`."""
    return note.ended_at is not None and note.ended_at <= _cutoff(at, known_at)


def active_flags(
    partner: PartnerFacts, at: datetime, *, known_at: datetime | None = None
) -> tuple[FlagFacts, ...]:
    """The partner's flags that hold at `at` and are not cleared then, as on record at known_at.

    A flag holds from the date of its developments (or its recording); it counts only once
    recorded (`raised_at <= known_at`), and a clearing only once on record and by `at`.
    """
    on_record = at if known_at is None else known_at
    by = _cutoff(at, known_at)
    return tuple(
        f
        for f in partner.flags
        if f.raised_at <= on_record
        and f.holds_from <= at
        and (f.cleared_at is None or f.cleared_at > by)
    )


def normalise_purpose(purpose: str | None) -> str | None:
    """The comparison key of a purpose: stripped and case-folded; None when absent or blank."""
    if purpose is None:
        return None
    key = purpose.strip().casefold()
    return key or None


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@functools.lru_cache(maxsize=4096)
def spoken_date(moment: date, *, with_time: bool = False) -> str:
    """A day in The Hague as a sentence says it, "1 January 2027"; with_time adds " at 14:05".

    A moment (aware datetime) is first turned into The Hague's local time; the last instant of a
    day (an end date) is just that day, also with_time. A plain date is taken as it is. Cached:
    a batch prints the same note dates often.
    """
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidInput(f"Time {moment.isoformat()} has no time zone.")
        local = moment.astimezone(display_zone())
        day = f"{local.day} {_MONTHS[local.month - 1]} {local.year}"
        if with_time and local.time() != time.max:
            return f"{day} at {local:%H:%M}"
        return day
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def _when(moment: datetime) -> str:
    """A moment whose time of day matters (a revocation, an establishment, the check)."""
    return spoken_date(moment, with_time=True)


def _window(valid_from: datetime, valid_until: datetime | None) -> str:
    """A validity window, "from 1 January 2027 to 30 June 2027 inclusive"."""
    # A window given in dates starts at the first instant of its first day: just that day.
    starts_a_day = valid_from.astimezone(display_zone()).time() == time.min
    start = spoken_date(valid_from, with_time=not starts_a_day)
    if valid_until is None:
        return f"from {start} without end date"
    return f"from {start} to {_when(valid_until)} inclusive"


def _display(key: str, our_name: str) -> str:
    """A service key as printed in messages: "self" becomes our service's name."""
    return our_name if key == OWN_SERVICE else key


# --------------------------------------------------------------------------- the check


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


def decide(
    item: ItemFacts,
    recipient: Recipient,
    at: datetime,
    *,
    holder: str = OWN_SERVICE,
    purpose: str | None = None,
    consents: Sequence[ConsentFacts] = (),
    permissions: Sequence[PermissionFacts] = (),
    our_service_name: str,
    known_at: datetime | None = None,
) -> Decision:
    """Decide whether `holder` may pass `item` to `recipient` at `at` (DOMAIN.md rules 1-5).

    `our_service_name` (AIVD or MIVD, as configured) is printed in every sentence and in the
    onward-transfer condition; it has no default, so that a missing name cannot pass unseen.
    `known_at` is the on-record cutoff (default `at`): only records on record then count,
    while validity is judged at `at` (see the module's time conventions).
    """
    _require_utc(at, "The moment of the check")
    if known_at is None:
        known_at = at
    _require_utc(known_at, "The on-record cutoff (known_at)")
    if not isinstance(our_service_name, str) or not our_service_name.strip():
        raise InvalidInput(f"Our service name must be given, got {our_service_name!r}.")
    _require_key(holder, "holder")
    for consent in consents:
        if consent.originator != item.originator:
            raise InvalidInput(
                f"Consent #{consent.id} is from {consent.originator!r}, but item {item.handle} "
                f"originates with {item.originator!r}."
            )
    for permission in permissions:
        if permission.item_id != item.id:
            raise InvalidInput(
                f"Permission #{permission.id} is for item #{permission.item_id}, "
                f"not for item {item.handle} (#{item.id})."
            )
    if holder != OWN_SERVICE and item.originator != OWN_SERVICE:
        raise InvalidInput(
            f"A partner holder ({holder}) can only be checked for our own items; item "
            f"{item.handle} originates with {item.originator}."
        )
    is_group = isinstance(recipient, GroupFacts)
    recipient_key = recipient.key if isinstance(recipient, GroupFacts) else recipient.short
    if recipient_key == holder:
        raise InvalidInput(f"The holder {holder} cannot pass the item to itself.")

    # As of T: a consent entered in the register after T did not exist then, and one for another
    # holder or outside the item's scope can never cover it; dropping them once keeps the
    # per-member work small.
    tags = item.tags
    relevant = tuple(
        c
        for c in consents
        if c.recorded_at <= known_at
        and c.holder == holder
        and (c.item_id == item.id if c.item_id is not None else c.tag in tags)
    )
    check = Check(
        item=item,
        holder=holder,
        at=at,
        known_at=known_at,
        by=_cutoff(at, known_at),
        purpose=purpose.strip() if purpose is not None else None,
        purpose_key=normalise_purpose(purpose),
        consents=relevant,
        permissions=permissions,
        our_name=our_service_name.strip(),
        group_key=recipient_key if is_group else None,
    )

    if isinstance(recipient, PartnerFacts):
        outcome, reasons, relied, note = _check_partner(check, recipient)
        return Decision(
            outcome=outcome,
            reasons=tuple(reasons),
            conditions=_conditions(check, recipient.short, relied, note),
        )
    return rule_5_group(check, recipient)


def rule_5_group(check: Check, recipient: GroupFacts) -> Decision:
    """Rule 5: a group recipient (e.g. CTG) means a provision to every member at T.

    Each member is checked, and the group's result is the worst member's, naming the members
    that fail. A member that holds the item already is skipped: nothing is passed to it.
    """
    at = check.at
    if not recipient.members:
        reason = Reason(
            ReasonCode.group_empty,
            f"Group {recipient.key} has no members on {_when(at)}, so there is no one to check.",
            5,
            Outcome.denied,
            f"group {recipient.key}",
        )
        return Decision(Outcome.denied, (reason,), _conditions(check, None, None, None))

    all_reasons: list[Reason] = []
    member_outcomes: list[tuple[str, Outcome]] = []
    member_conditions: list[tuple[str, tuple[str, ...]]] = []
    for member in recipient.members:
        outcome, reasons, relied, note = _check_partner(check, member)
        member_outcomes.append((member.short, outcome))
        if member.short != check.holder:
            member_conditions.append((member.short, _conditions(check, member.short, relied, note)))
        if outcome is not Outcome.allowed:
            all_reasons.append(
                Reason(
                    ReasonCode.group_member,
                    f"Member {member.short} ({member.name}) of group {recipient.key}: "
                    f"{outcome.value.replace('_', ' ')}.",
                    5,
                    outcome,
                    f"member {member.short} of {recipient.key}",
                    member.short,
                )
            )
        all_reasons.extend(reasons)
    return Decision(
        outcome=worst(o for _, o in member_outcomes),
        reasons=tuple(all_reasons),
        conditions=_common_conditions(check, member_conditions),
        member_outcomes=tuple(member_outcomes),
        member_conditions=tuple(member_conditions),
    )


def _check_partner(
    check: Check, partner: PartnerFacts
) -> tuple[Outcome, list[Reason], ConsentFacts | None, NoteFacts | None]:
    """Rules 1-4 for one partner recipient: outcome, reasons, the consent and note relied on."""
    member = partner.short if check.group_key is not None else None
    if partner.short == check.holder:
        # A partner holder that is in the group already has the item; nothing is provided to it.
        reason = Reason(
            ReasonCode.member_is_holder,
            f"{partner.short} already holds item {check.item.handle}; nothing is passed to it.",
            5,
            Outcome.allowed,
            f"member {partner.short} of {check.group_key}",
            member,
        )
        return Outcome.allowed, [reason], None, None

    note: NoteFacts | None = None
    item = check.item
    relied, reason = rule_1_third_party(check, partner, member)
    reasons = [reason]

    if provision_is_ours(item, check.holder):
        note = rule_2_note_in_force(check, partner, member, reasons)
        if note is not None:
            rule_3_forms_permitted(check, partner, note, member, reasons)
        rule_4_higher_permission(check, partner, note, member, reasons)

    outcome = Outcome.allowed
    for reason in reasons:
        if _OUTCOME_RANK[reason.effect] < _OUTCOME_RANK[outcome]:
            outcome = reason.effect
    return outcome, reasons, relied, note


def _originator_is_party(check: Check, partner: PartnerFacts, member: str | None) -> Reason:
    """Rule 1 does not apply: the originator is the holder or the recipient."""
    item = check.item
    if item.originator == check.holder:
        who = _display(check.holder, check.our_name)
        message = (
            f"Item {item.handle} originates with its holder {who}, so the third-party rule "
            "needs no consent."
        )
    else:
        message = (
            f"Item {item.handle} goes back to its originator {partner.short}, so the third-party "
            "rule needs no consent."
        )
    return Reason(
        ReasonCode.originator_is_party, message, 1, Outcome.allowed, f"item {item.handle}", member
    )


# The order in which a failing consent's problems are reported (DOMAIN.md: most informative).
_CONSENT_FAILURE_ORDER: tuple[ReasonCode, ...] = (
    ReasonCode.consent_expired,
    ReasonCode.consent_revoked,
    ReasonCode.consent_not_yet_valid,
    ReasonCode.consent_purpose_mismatch,
)
_CONSENT_FAILURE_RANK = {code: rank for rank, code in enumerate(_CONSENT_FAILURE_ORDER)}


def rule_1_third_party(
    check: Check, partner: PartnerFacts, member: str | None
) -> tuple[ConsentFacts | None, Reason]:
    """Rule 1: if the item's originator is neither the holder nor the recipient, a consent from
    the originator to the holder must cover the item and the recipient (directly or through a
    group the recipient belonged to when the consent was given and still belongs to at T), the
    purpose if the consent names one, and be valid and unrevoked at T. Otherwise: denied.

    Returns the consent relied on (None when none is needed or none covers) and the reason.
    """
    if check.item.originator in (check.holder, partner.short):
        return None, _originator_is_party(check, partner, member)
    at = check.at
    short = partner.short
    groups = partner.groups
    joined_at = dict(partner.joined)
    group_key = check.group_key
    best: ConsentFacts | None = None
    best_key: tuple[int, int, timedelta, int] | None = None
    nearest: ConsentFacts | None = None
    nearest_failures: list[ReasonCode] = []
    nearest_key: tuple[int, int, timedelta, int] | None = None

    for consent in check.consents:
        target = consent.recipient
        if target == short:
            directness = 0
        elif target == group_key or target in groups:
            # The originator consented to the group as it was: a member who joined later was
            # not weighed by it (the same holds for permissions).
            joined = joined_at.get(target)
            if joined is None or joined > consent.recorded_at:
                continue
            directness = 1
        else:
            continue
        failures: list[ReasonCode] = []
        if consent.valid_until is not None and consent.valid_until < at:
            failures.append(ReasonCode.consent_expired)
        if consent.revoked_at is not None and consent.revoked_at <= check.by:
            failures.append(ReasonCode.consent_revoked)
        if consent.valid_from > at:
            failures.append(ReasonCode.consent_not_yet_valid)
        if consent.purpose is not None and normalise_purpose(consent.purpose) != check.purpose_key:
            failures.append(ReasonCode.consent_purpose_mismatch)
        # Prefer the most specific consent (item over tag, member over group), then the newest,
        # so that the same facts always rely on the same consent.
        specificity = 0 if consent.item_id is not None else 1
        if not failures:
            key = (specificity, directness, _FAR_FUTURE - consent.recorded_at, -consent.id)
            if best_key is None or key < best_key:
                best, best_key = consent, key
        else:
            # The consent closest to covering is the one with the fewest problems.
            fkey = (
                len(failures),
                _CONSENT_FAILURE_RANK[failures[0]],
                _FAR_FUTURE - consent.recorded_at,
                -consent.id,
            )
            if nearest_key is None or fkey < nearest_key:
                nearest, nearest_failures, nearest_key = consent, failures, fkey

    item = check.item
    origin = _display(item.originator, check.our_name)
    holder = _display(check.holder, check.our_name)
    if best is not None:
        via = "" if best.recipient == short else f" as a member of {best.recipient}"
        until = f"valid {_window(best.valid_from, best.valid_until)}"
        for_purpose = f" for purpose {best.purpose.strip()!r}" if best.purpose else ""
        lead = f"Consent #{best.id}{_reference(best)} from {origin} to {holder}"
        if best.item_id is not None and best.recipient == short:
            message = f"{lead} covers passing item {item.handle} to {short}{for_purpose}, {until}."
        else:
            message = (
                f"{lead} to pass {_scope(best, item)} to {best.recipient}{for_purpose} covers "
                f"item {item.handle} for {short}{via}, {until}."
            )
        reason = Reason(
            ReasonCode.consent_present, message, 1, Outcome.allowed, f"consent #{best.id}", member
        )
        return best, reason

    if nearest is None:
        message = (
            f"No consent from {origin} to {holder} covers item {item.handle} for {short}"
            f"{_or_group(check, partner)}; the third-party rule forbids passing it on."
        )
        reason = Reason(
            ReasonCode.no_consent,
            message,
            1,
            Outcome.denied,
            f"missing: consent from {item.originator} to {check.holder} for {short}",
            member,
        )
        return None, reason

    problems = [_consent_problem(check, nearest, code) for code in nearest_failures]
    message = (
        f"Consent #{nearest.id}{_reference(nearest)} from {origin} to {holder} to pass "
        f"{_scope(nearest, item)} to {nearest.recipient} {' and '.join(problems)}, so it does not "
        f"cover item {item.handle} for {short} on {_when(at)}."
    )
    reason = Reason(
        nearest_failures[0], message, 1, Outcome.denied, f"consent #{nearest.id}", member
    )
    return None, reason


def _reference(consent: ConsentFacts) -> str:
    """The originator's reference in brackets, or nothing."""
    return f" ({consent.reference})" if consent.reference else ""


def _scope(consent: ConsentFacts, item: ItemFacts) -> str:
    """What a consent is for, as printed in messages (item consents here match the item)."""
    if consent.tag is not None:
        return f"items tagged {consent.tag!r}"
    return f"item {item.handle}"


def _or_group(check: Check, partner: PartnerFacts) -> str:
    """The groups a consent could also have named, as printed after the partner."""
    options = sorted(partner.groups | ({check.group_key} if check.group_key else set()))
    return f" or any group it belongs to ({', '.join(options)})" if options else ""


def _consent_problem(check: Check, consent: ConsentFacts, code: ReasonCode) -> str:
    """Why `consent` does not cover the transfer, as a verb phrase."""
    if code is ReasonCode.consent_expired:
        return f"was valid only {_window(consent.valid_from, consent.valid_until)}"
    if code is ReasonCode.consent_revoked and consent.revoked_at is not None:
        return f"was revoked on {_when(consent.revoked_at)}"
    if code is ReasonCode.consent_not_yet_valid:
        return f"is valid only {_window(consent.valid_from, consent.valid_until)}"
    given = f"the purpose given is {check.purpose!r}" if check.purpose else "no purpose was given"
    return f"is limited to purpose {(consent.purpose or '').strip()!r}, but {given}"


def _note_ref(note: NoteFacts, partner: PartnerFacts) -> str:
    """How a note is referred to."""
    return f"note v{note.version} of {partner.short}"


def rule_2_note_in_force(
    check: Check, partner: PartnerFacts, member: str | None, reasons: list[Reason]
) -> NoteFacts | None:
    """Rule 2: when the provision is ours, the recipient must have an established note in force
    at T (not superseded, withdrawn or past review). Otherwise: denied.

    Returns that note, or None.
    """
    at = check.at
    note = latest_established_note(partner, at, known_at=check.known_at)
    short = partner.short
    if note is None:
        reasons.append(
            Reason(
                ReasonCode.no_note,
                f"{short} ({partner.name}) has no established weighing note on {_when(at)}.",
                2,
                Outcome.denied,
                f"missing: established note for {short}",
                member,
            )
        )
        return None
    ref = _note_ref(note, partner)
    if note.ended_at is not None and note_ended(note, at, known_at=check.known_at):
        if note.end_kind == NoteStatus.withdrawn:
            code = ReasonCode.note_withdrawn
            message = (
                f"Note v{note.version} of {short} was withdrawn on {_when(note.ended_at)}; "
                "cooperation is suspended."
            )
        else:
            # Superseded, yet no later version is among the facts: deny rather than guess.
            code = ReasonCode.note_superseded
            message = (
                f"Note v{note.version} of {short} was superseded on {_when(note.ended_at)} and "
                "no later established version is on record."
            )
        reasons.append(Reason(code, message, 2, Outcome.denied, ref, member))
        return None
    if at >= note.review_due:
        reasons.append(
            Reason(
                ReasonCode.note_overdue,
                f"Note v{note.version} of {short} was due for review on "
                f"{spoken_date(note.review_due)} and no longer counts as valid.",
                2,
                Outcome.denied,
                ref,
                member,
            )
        )
        return None
    reasons.append(
        Reason(
            ReasonCode.note_in_force,
            f"Note v{note.version} of {short} ({note.profile.value}) was established on "
            f"{_when(note.established_at)} and is in force until its review on "
            f"{spoken_date(note.review_due)}.",
            2,
            Outcome.allowed,
            ref,
            member,
        )
    )
    return note


def rule_3_forms_permitted(
    check: Check,
    partner: PartnerFacts,
    note: NoteFacts,
    member: str | None,
    reasons: list[Reason],
) -> None:
    """Rule 3: that note must permit every form the item falls under: unevaluated_data if
    unevaluated; personal_data if it holds personal data (also when unevaluated);
    evaluated_data if neither. Otherwise: denied.
    """
    ref = _note_ref(note, partner)
    for form in required_forms(check.item):
        label = FORMS_BY_KEY[form].label_en.lower()
        if form in note.forms:
            reasons.append(
                Reason(
                    ReasonCode.form_permitted,
                    f"Note v{note.version} of {partner.short} permits {form} ({label}).",
                    3,
                    Outcome.allowed,
                    ref,
                    member,
                )
            )
        else:
            reasons.append(
                Reason(
                    ReasonCode.form_not_permitted,
                    f"Note v{note.version} of {partner.short} does not permit {form} ({label}), "
                    f"which item {check.item.handle} needs.",
                    3,
                    Outcome.denied,
                    ref,
                    member,
                )
            )


def rule_4_higher_permission(
    check: Check,
    partner: PartnerFacts,
    note: NoteFacts | None,
    member: str | None,
    reasons: list[Reason],
) -> None:
    """Rule 4: for a provision that is ours, a recorded permission covering the item and the
    recipient at T is required, else the result is needs permission, when: the recipient is a
    risicodienst and the item holds personal data; the item is unevaluated; or the recipient is
    flagged for developments.
    """
    item = check.item
    at = check.at
    short = partner.short
    # (code, roles that may grant it, why it is needed, what it must postdate). A permission
    # can only weigh what was on record when it was granted: one given before the note that
    # made the partner a risicodienst, or before the developments were flagged, does not count.
    needs: list[tuple[ReasonCode, frozenset[Role], str, _Since | None]] = []
    if item.personal_data and note is not None and note.profile == RiskProfile.verhoogd:
        needs.append(
            (
                ReasonCode.permission_required_risk,
                _ANY_ROLE,
                f"{short} is a risicodienst (note v{note.version} is verhoogd) and item "
                f"{item.handle} holds personal data",
                (note.established_at, f"note v{note.version} of {short} was established"),
            )
        )
    if item.unevaluated:
        needs.append(
            (
                ReasonCode.permission_required_unevaluated,
                _MINISTER_ONLY,
                f"item {item.handle} is unevaluated data",
                None,
            )
        )
    if partner.flags:
        flags = active_flags(partner, at, known_at=check.known_at)
        if flags:
            what = "; ".join(_flag_text(f) for f in flags)
            latest = max(f.raised_at for f in flags)
            needs.append(
                (
                    ReasonCode.permission_required_flagged,
                    _ANY_ROLE,
                    f"{short} is flagged for developments: {what}",
                    (latest, f"the flag on {short} was recorded"),
                )
            )
    if not needs:
        return

    for code, roles, why, since in needs:
        permission, shortfall = _find_permission(
            check,
            partner,
            roles,
            since=since,
            needs_ctivd=code is ReasonCode.permission_required_unevaluated,
        )
        if permission is not None:
            reasons.append(
                Reason(
                    ReasonCode.permission_present,
                    f"Permission #{permission.id} from {ROLE_LABELS[permission.role]['en']} "
                    f"covers item {item.handle} for {permission.recipient} until "
                    f"{_when(permission.valid_until)} inclusive; it is needed because {why}.",
                    4,
                    Outcome.allowed,
                    f"permission #{permission.id}",
                    member,
                )
            )
            continue
        who = (
            "the minister"
            if roles == _MINISTER_ONLY
            else "the minister or the director-general (under mandate)"
        )
        reasons.append(
            Reason(
                code,
                f"A permission from {who} for item {item.handle} to {short} is required "
                f"because {why}{shortfall}.",
                4,
                Outcome.needs_permission,
                f"missing: permission for {item.handle} to {short}",
                member,
            )
        )


def _flag_text(flag: FlagFacts) -> str:
    """A flag as a rule-4 sentence names it: the date of the developments and of the record."""
    recorded = f"recorded on {_when(flag.raised_at)}"
    if flag.observed_on is None:
        return f"{flag.reason} ({recorded})"
    return f"{flag.reason} (developments of {spoken_date(flag.observed_on)}, {recorded})"


_Since = tuple[datetime, str]
"""A moment a permission must postdate, and what happened then (for the message)."""


def _find_permission(
    check: Check,
    partner: PartnerFacts,
    roles: frozenset[Role],
    *,
    since: _Since | None = None,
    needs_ctivd: bool = False,
) -> tuple[PermissionFacts | None, str]:
    """A permission valid at T for `partner` from one of `roles`, else why the nearest fails."""
    at = check.at
    short = partner.short
    group_key = check.group_key
    found: PermissionFacts | None = None
    shortfall = ""
    for permission in check.permissions:
        # A permission for the group covers the members it had when it was granted; one for a
        # group the partner merely belongs to does not, as it was granted for another provision.
        if permission.recipient != short and permission.recipient != group_key:
            continue
        if permission.valid_from > check.by:
            continue  # not yet on record, or granted only after T
        if permission.recipient != short:
            joined = dict(partner.joined).get(permission.recipient)
            if joined is None or joined > permission.valid_from:
                shortfall = (
                    f" (permission #{permission.id} for {permission.recipient} was granted "
                    f"before {short} was a member)"
                )
                continue
        if since is not None and permission.valid_from < since[0]:
            shortfall = (
                f" (permission #{permission.id} was granted on {_when(permission.valid_from)}, "
                f"before {since[1]} on {_when(since[0])})"
            )
            continue
        if needs_ctivd and not permission.ctivd_notified:
            shortfall = f" (permission #{permission.id} records no notification of the CTIVD)"
            continue
        if permission.revoked_at is not None and permission.revoked_at <= check.by:
            shortfall = (
                f" (permission #{permission.id} was revoked on {_when(permission.revoked_at)})"
            )
            continue
        if permission.valid_until < at:
            shortfall = (
                f" (permission #{permission.id} was valid only until "
                f"{_when(permission.valid_until)} inclusive)"
            )
            continue
        if permission.role not in roles:
            shortfall = (
                f" (permission #{permission.id} from {ROLE_LABELS[permission.role]['en']} "
                "does not suffice)"
            )
            continue
        if (
            found is None
            or (permission.recipient == short) > (found.recipient == short)
            or (
                (permission.recipient == short) == (found.recipient == short)
                and (permission.valid_from, permission.id) > (found.valid_from, found.id)
            )
        ):
            found = permission
    return found, shortfall


def _conditions(
    check: Check,
    recipient: str | None,
    relied: ConsentFacts | None,
    note: NoteFacts | None,
) -> tuple[str, ...]:
    """The conditions a provision to `recipient` carries, deduplicated in a stable order.

    `recipient` is None when there is no one to provide to (an empty group): then only what
    every provision of the item carries.
    """
    conditions: dict[str, None] = {
        f"Not to be passed on to third parties without the consent of {check.our_name}": None
    }
    if relied is not None:
        conditions.update(dict.fromkeys(relied.conditions))
    if note is not None:
        conditions.update(dict.fromkeys(note.conditions))
    item = check.item
    # Handing an item back to its own originator reveals nothing about the source.
    if item.originator != check.holder and item.originator != recipient:
        conditions[SOURCE_PROTECTION_CONDITION] = None
    if item.personal_data:
        conditions[PERSONAL_DATA_CONDITION] = None
    return tuple(conditions)


def _common_conditions(
    check: Check, member_conditions: Sequence[tuple[str, tuple[str, ...]]]
) -> tuple[str, ...]:
    """The conditions every member's provision carries, in the order of the first member's."""
    if not member_conditions:
        return _conditions(check, None, None, None)
    first, *others = (conditions for _, conditions in member_conditions)
    shared = [set(conditions) for conditions in others]
    return tuple(c for c in first if all(c in conditions for conditions in shared))
