"""Every sentence the rules produce: reasons, conditions, dates as a sentence says them.

The wording lives here alone, so a change of words (or a second language) touches one module.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime, time

from wegings.domain import FORMS_BY_KEY, OWN_SERVICE, ROLE_LABELS
from wegings.errors import InvalidInput
from wegings.sharing.facts import (
    Check,
    ConsentFacts,
    FlagFacts,
    ItemFacts,
    NoteFacts,
    PartnerFacts,
    PermissionFacts,
)
from wegings.sharing.outcome import Outcome, ReasonCode
from wegings.timeutil import MONTH_NAMES, display_zone

SOURCE_PROTECTION_CONDITION = "Do not name the originating service (source protection)"


PERSONAL_DATA_CONDITION = "State the reliability and the age of the personal data"


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
        day = f"{local.day} {MONTH_NAMES[local.month - 1]} {local.year}"
        if with_time and local.time() != time.max:
            return f"{day} at {local:%H:%M}"
        return day
    return f"{moment.day} {MONTH_NAMES[moment.month - 1]} {moment.year}"


def when(moment: datetime) -> str:
    """A moment whose time of day matters (a revocation, an establishment, the check)."""
    return spoken_date(moment, with_time=True)


def window(valid_from: datetime, valid_until: datetime | None) -> str:
    """A validity window, "from 1 January 2027 to 30 June 2027 inclusive"."""
    # A window given in dates starts at the first instant of its first day: just that day.
    starts_a_day = valid_from.astimezone(display_zone()).time() == time.min
    start = spoken_date(valid_from, with_time=not starts_a_day)
    if valid_until is None:
        return f"from {start} without end date"
    return f"from {start} to {when(valid_until)} inclusive"


def display(key: str, our_name: str) -> str:
    """A service key as printed in messages: "self" becomes our service's name."""
    return our_name if key == OWN_SERVICE else key


def consent_reference(consent: ConsentFacts) -> str:
    """The originator's reference in brackets, or nothing."""
    return f" ({consent.reference})" if consent.reference else ""


def consent_scope(consent: ConsentFacts, item: ItemFacts) -> str:
    """What a consent is for, as printed in messages (item consents here match the item)."""
    if consent.tag is not None:
        return f"items tagged {consent.tag!r}"
    return f"item {item.handle}"


def or_group(check: Check, partner: PartnerFacts) -> str:
    """The groups a consent could also have named, as printed after the partner."""
    if not partner.groups and not check.group_key:
        return ""  # the common case, without building the sets
    options = sorted(partner.groups | ({check.group_key} if check.group_key else set()))
    return f" or any group it belongs to ({', '.join(options)})" if options else ""


def consent_problem(check: Check, consent: ConsentFacts, code: ReasonCode) -> str:
    """Why `consent` does not cover the transfer, as a verb phrase."""
    if code is ReasonCode.consent_expired:
        return f"was valid only {window(consent.valid_from, consent.valid_until)}"
    if code is ReasonCode.consent_revoked and consent.revoked_at is not None:
        return f"was revoked on {when(consent.revoked_at)}"
    if code is ReasonCode.consent_not_yet_valid:
        return f"is valid only {window(consent.valid_from, consent.valid_until)}"
    given = f"the purpose given is {check.purpose!r}" if check.purpose else "no purpose was given"
    return f"is limited to purpose {(consent.purpose or '').strip()!r}, but {given}"


def note_ref(note: NoteFacts, partner: PartnerFacts) -> str:
    """How a note is referred to."""
    return f"note v{note.version} of {partner.short}"


def flag_text(flag: FlagFacts) -> str:
    """A flag as a rule-4 sentence names it: the date of the developments and of the record."""
    recorded = f"recorded on {when(flag.raised_at)}"
    if flag.observed_on is None:
        return f"{flag.reason} ({recorded})"
    return f"{flag.reason} (developments of {spoken_date(flag.observed_on)}, {recorded})"


# --------------------------------------------------------------------------- rule 1


def originator_is_party(check: Check, partner: PartnerFacts) -> str:
    """Rule 1 does not apply: the originator is the holder or the recipient."""
    item = check.item
    if item.originator == check.holder:
        who = display(check.holder, check.our_name)
        return (
            f"Item {item.handle} originates with its holder {who}, so the third-party rule "
            "needs no consent."
        )
    return (
        f"Item {item.handle} goes back to its originator {partner.short}, so the third-party "
        "rule needs no consent."
    )


def consent_covers(check: Check, consent: ConsentFacts, partner: PartnerFacts) -> str:
    """The consent relied on, and how it covers the item for the partner."""
    item = check.item
    short = partner.short
    origin = display(item.originator, check.our_name)
    holder = display(check.holder, check.our_name)
    via = "" if consent.recipient == short else f" as a member of {consent.recipient}"
    until = f"valid {window(consent.valid_from, consent.valid_until)}"
    for_purpose = f" for purpose {consent.purpose.strip()!r}" if consent.purpose else ""
    lead = f"Consent #{consent.id}{consent_reference(consent)} from {origin} to {holder}"
    if consent.item_id is not None and consent.recipient == short:
        return f"{lead} covers passing item {item.handle} to {short}{for_purpose}, {until}."
    return (
        f"{lead} to pass {consent_scope(consent, item)} to {consent.recipient}{for_purpose} "
        f"covers item {item.handle} for {short}{via}, {until}."
    )


def no_consent(check: Check, partner: PartnerFacts) -> str:
    """No consent covers the item for the partner."""
    # `display` written out: most rows of a batch to a partner without a consent end here.
    item = check.item
    origin = check.our_name if item.originator == OWN_SERVICE else item.originator
    holder = check.our_name if check.holder == OWN_SERVICE else check.holder
    return (
        f"No consent from {origin} to {holder} covers item {item.handle} for {partner.short}"
        f"{or_group(check, partner)}; the third-party rule forbids passing it on."
    )


def consent_fails(
    check: Check, consent: ConsentFacts, partner: PartnerFacts, failures: Sequence[ReasonCode]
) -> str:
    """The consent closest to covering, and why it does not."""
    item = check.item
    origin = display(item.originator, check.our_name)
    holder = display(check.holder, check.our_name)
    problems = [consent_problem(check, consent, code) for code in failures]
    return (
        f"Consent #{consent.id}{consent_reference(consent)} from {origin} to {holder} to pass "
        f"{consent_scope(consent, item)} to {consent.recipient} {' and '.join(problems)}, so it "
        f"does not cover item {item.handle} for {partner.short} on {when(check.at)}."
    )


# --------------------------------------------------------------------------- rule 2


def no_note(partner: PartnerFacts, at: datetime) -> str:
    """The partner has no established note."""
    return f"{partner.short} ({partner.name}) has no established weighing note on {when(at)}."


def note_withdrawn(note: NoteFacts, short: str, ended_at: datetime) -> str:
    """The note was withdrawn."""
    return (
        f"Note v{note.version} of {short} was withdrawn on {when(ended_at)}; "
        "cooperation is suspended."
    )


def note_superseded(note: NoteFacts, short: str, ended_at: datetime) -> str:
    """The note was superseded, and no later version is among the facts."""
    return (
        f"Note v{note.version} of {short} was superseded on {when(ended_at)} and "
        "no later established version is on record."
    )


def note_overdue(note: NoteFacts, short: str) -> str:
    """The note is past its review date."""
    return (
        f"Note v{note.version} of {short} was due for review on "
        f"{spoken_date(note.review_due)} and no longer counts as valid."
    )


def note_relied_on(note: NoteFacts, short: str) -> str:
    """The note in force, relied on."""
    return (
        f"Note v{note.version} of {short} ({note.profile.value}) was established on "
        f"{when(note.established_at)} and is in force until its review on "
        f"{spoken_date(note.review_due)}."
    )


# --------------------------------------------------------------------------- rule 3


def form_permitted(note: NoteFacts, short: str, form: str) -> str:
    """The note permits a form the item falls under."""
    return f"Note v{note.version} of {short} permits {form} ({_form_label(form)})."


def form_not_permitted(note: NoteFacts, short: str, form: str, item: ItemFacts) -> str:
    """The note does not permit a form the item falls under."""
    return (
        f"Note v{note.version} of {short} does not permit {form} ({_form_label(form)}), "
        f"which item {item.handle} needs."
    )


def _form_label(form: str) -> str:
    return FORMS_BY_KEY[form].label_en.lower()


# --------------------------------------------------------------------------- rule 4


def needed_for_risk(short: str, note: NoteFacts, item: ItemFacts) -> str:
    """Why a permission is needed: personal data to a risicodienst."""
    return (
        f"{short} is a risicodienst (note v{note.version} is verhoogd) and item "
        f"{item.handle} holds personal data"
    )


def needed_for_unevaluated(item: ItemFacts) -> str:
    """Why a permission is needed: unevaluated data."""
    return f"item {item.handle} is unevaluated data"


def needed_for_flags(short: str, flags: Sequence[FlagFacts]) -> str:
    """Why a permission is needed: the partner is flagged."""
    what = "; ".join(flag_text(f) for f in flags)
    return f"{short} is flagged for developments: {what}"


def since_note(note: NoteFacts, short: str) -> str:
    """What a permission for a risicodienst must postdate."""
    return f"note v{note.version} of {short} was established"


def since_flag(short: str) -> str:
    """What a permission for a flagged partner must postdate."""
    return f"the flag on {short} was recorded"


def permission_present(permission: PermissionFacts, item: ItemFacts, why: str) -> str:
    """The permission relied on, and why it is needed."""
    return (
        f"Permission #{permission.id} from {ROLE_LABELS[permission.role]['en']} "
        f"covers item {item.handle} for {permission.recipient} until "
        f"{when(permission.valid_until)} inclusive; it is needed because {why}."
    )


def permission_required(
    *, minister_only: bool, item: ItemFacts, short: str, why: str, shortfall: str
) -> str:
    """A permission is required and missing (with why the nearest one fails, if any)."""
    who = (
        "the minister" if minister_only else "the minister or the director-general (under mandate)"
    )
    return (
        f"A permission from {who} for item {item.handle} to {short} is required "
        f"because {why}{shortfall}."
    )


def granted_before_member(permission: PermissionFacts, short: str) -> str:
    """Shortfall: a group permission older than the partner's membership."""
    return (
        f" (permission #{permission.id} for {permission.recipient} was granted "
        f"before {short} was a member)"
    )


def granted_before(permission: PermissionFacts, since: datetime, what: str) -> str:
    """Shortfall: a permission older than what made it needed."""
    return (
        f" (permission #{permission.id} was granted on {when(permission.valid_from)}, "
        f"before {what} on {when(since)})"
    )


def no_ctivd(permission: PermissionFacts) -> str:
    """Shortfall: no notification of the CTIVD recorded."""
    return f" (permission #{permission.id} records no notification of the CTIVD)"


def permission_revoked(permission: PermissionFacts, revoked_at: datetime) -> str:
    """Shortfall: the permission was revoked."""
    return f" (permission #{permission.id} was revoked on {when(revoked_at)})"


def permission_expired(permission: PermissionFacts) -> str:
    """Shortfall: the permission ended before T."""
    return (
        f" (permission #{permission.id} was valid only until "
        f"{when(permission.valid_until)} inclusive)"
    )


def role_insufficient(permission: PermissionFacts) -> str:
    """Shortfall: the permission comes from the wrong authority."""
    return (
        f" (permission #{permission.id} from {ROLE_LABELS[permission.role]['en']} does not suffice)"
    )


# --------------------------------------------------------------------------- rule 5


def group_empty(group: str, at: datetime) -> str:
    """The group has no members."""
    return f"Group {group} has no members on {when(at)}, so there is no one to check."


def group_member(member: PartnerFacts, group: str, outcome: Outcome) -> str:
    """A member whose check is not allowed."""
    return (
        f"Member {member.short} ({member.name}) of group {group}: "
        f"{outcome.value.replace('_', ' ')}."
    )


def member_is_holder(member: str, item: ItemFacts) -> str:
    """A member that holds the item already."""
    return f"{member} already holds item {item.handle}; nothing is passed to it."


# --------------------------------------------------------------------------- conditions


def onward_condition(our_name: str) -> str:
    """The condition every provision carries."""
    return f"Not to be passed on to third parties without the consent of {our_name}"
