"""Whether an item may be passed on: the five rules of DOMAIN.md as pure functions over facts.

The database layer loads the records that matter for one check into the frozen `*Facts`
dataclasses of `wegings.sharing.facts` and calls `decide`. Nothing here touches a database, the
clock or the screen, so an answer for a past moment is reproducible from the same facts. Each
rule of DOMAIN.md is one function named after it (`rule_1_third_party` ... `rule_5_group`) whose
docstring states it; the facts are in `facts`, the answer in `outcome`, every sentence in
`explain`. What rules 2-4 find about a recipient at one moment (its note in force, the forms
that note permits, its flags) does not depend on the item: `standing` finds it, and `decide`
takes it when the caller has it, so that a batch finds it once for all its rows to that
recipient then.

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
  Hague) or, without one, from its recording; a retraction ends it like a clearing;
- the loader gives the item as corrected by what was on record at K (`facts.item_as_known`:
  a correction holds from the registration) and the recipient's groups at T as on record at K
  (`facts.memberships_at`), each since the start of the unbroken membership then;
- a note is past review at its review date: in force requires `T < review_due`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from wegings.domain import FORM_KEYS, OWN_SERVICE, NoteStatus, RiskProfile, Role
from wegings.errors import InvalidInput
from wegings.notes.lifecycle import cutoff
from wegings.sharing import explain
from wegings.sharing.facts import (
    Check,
    ConsentFacts,
    GroupFacts,
    ItemFacts,
    NoteFacts,
    PartnerFacts,
    PermissionFacts,
    Recipient,
    active_flags,
    latest_established_note,
    normalise_purpose,
    note_ended,
    provision_is_ours,
    require_key,
    require_utc,
    required_forms,
)
from wegings.sharing.outcome import Decision, Outcome, Reason, ReasonCode, Rule, worst

_FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


_ANY_ROLE: frozenset[Role] = frozenset(Role)


_MINISTER_ONLY: frozenset[Role] = frozenset({Role.minister})


@dataclass(frozen=True, slots=True)
class PartnerStanding:
    """What rules 2-4 find about one partner at one moment, whatever the item (`standing`).

    partner: the partner; member: its short when it is checked as a group's member (its
    reasons name it), else None; note_reason: rule 2's reason; note: the note in force that
    rule 2 relies on (None: rule 2 denies); permitted: for each form that note permits, rule
    3's reason; flagged: when flags hold at T, why a permission is needed and the latest
    recording it must postdate (rule 4).
    """

    partner: PartnerFacts
    member: str | None
    note_reason: Reason
    note: NoteFacts | None
    permitted: Mapping[str, Reason]
    flagged: tuple[str, datetime] | None


@dataclass(frozen=True, slots=True)
class Standing:
    """The item-independent part of a check of one recipient at one moment (rules 2-4), the
    same for every item checked against that recipient then; `decide` takes it to skip them.

    recipient: the partner or group; at / known_at: T and the on-record cutoff (known_at is T
    for a live check); partners: the partner's standing, or each member's in member order.
    """

    recipient: Recipient
    at: datetime
    known_at: datetime
    partners: tuple[PartnerStanding, ...]


def standing(recipient: Recipient, at: datetime, known_at: datetime | None = None) -> Standing:
    """What rules 2-4 find about `recipient` at `at` as on record at `known_at` (default `at`):
    a pure function of the recipient's facts and the moment, so one result serves every item
    checked against that recipient then (a batch computes it once per recipient and moment)."""
    require_utc(at, "The moment of the check")
    if known_at is None:
        known_at = at
    require_utc(known_at, "The on-record cutoff (known_at)")
    if isinstance(recipient, GroupFacts):
        partners = tuple(
            _partner_standing(member, at, known_at, member.short) for member in recipient.members
        )
    else:
        partners = (_partner_standing(recipient, at, known_at, None),)
    return Standing(recipient=recipient, at=at, known_at=known_at, partners=partners)


def _partner_standing(
    partner: PartnerFacts, at: datetime, known_at: datetime, member: str | None
) -> PartnerStanding:
    """Rules 2-4 for one partner as far as they do not depend on the item."""
    note_reason, note = rule_2_note_in_force(partner, at, known_at, member)
    permitted = _forms_permitted_by(note, partner, member) if note is not None else {}
    flagged: tuple[str, datetime] | None = None
    if partner.flags:
        flags = active_flags(partner, at, known_at=known_at)
        if flags:
            why = explain.needed_for_flags(partner.short, flags)
            flagged = (why, max(f.raised_at for f in flags))
    return PartnerStanding(
        partner=partner,
        member=member,
        note_reason=note_reason,
        note=note,
        permitted=permitted,
        flagged=flagged,
    )


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
    standing_of: Standing | None = None,
) -> Decision:
    """Decide whether `holder` may pass `item` to `recipient` at `at` (DOMAIN.md rules 1-5).

    `our_service_name` (AIVD or MIVD, as configured) is printed in every sentence and in the
    onward-transfer condition; it has no default, so that a missing name cannot pass unseen.
    `known_at` is the on-record cutoff (default `at`): only records on record then count,
    while validity is judged at `at` (see the module's time conventions). `standing_of` is
    `standing(recipient, at, known_at)` when the caller has it already (the same answer,
    without computing it again); one for another recipient or moment is refused.
    """
    if standing_of is None:
        standing_of = standing(recipient, at, known_at)
    else:
        require_utc(at, "The moment of the check")
        if known_at is not None:
            require_utc(known_at, "The on-record cutoff (known_at)")
        if (
            standing_of.recipient is not recipient
            or standing_of.at != at
            or standing_of.known_at != (at if known_at is None else known_at)
        ):
            raise InvalidInput(
                "The recipient's standing given to decide is for another recipient or moment."
            )
    known_at = standing_of.known_at
    if not isinstance(our_service_name, str) or not our_service_name.strip():
        raise InvalidInput(f"Our service name must be given, got {our_service_name!r}.")
    require_key(holder, "holder")
    item_id = item.id
    originator = item.originator
    for consent in consents:
        if consent.originator != originator:
            raise InvalidInput(
                f"Consent #{consent.id} is from {consent.originator!r}, but item {item.handle} "
                f"originates with {item.originator!r}."
            )
    for permission in permissions:
        if permission.item_id != item_id:
            raise InvalidInput(
                f"Permission #{permission.id} is for item #{permission.item_id}, "
                f"not for item {item.handle} (#{item.id})."
            )
    if holder != OWN_SERVICE and originator != OWN_SERVICE:
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
    relevant = (
        tuple(
            c
            for c in consents
            if c.recorded_at <= known_at
            and c.holder == holder
            and (c.item_id == item_id if c.item_id is not None else c.tag in tags)
        )
        if consents
        else ()
    )
    # Positional, in the order of Check's fields: a batch builds one for every row.
    check = Check(
        item,
        holder,
        at,
        known_at,
        cutoff(at, known_at),  # by
        purpose.strip() if purpose is not None else None,
        normalise_purpose(purpose),
        relevant,
        permissions,
        our_service_name.strip(),
        recipient_key if is_group else None,  # group_key
    )

    if isinstance(recipient, PartnerFacts):
        outcome, reasons, relied, note = _check_partner(check, standing_of.partners[0])
        return Decision(outcome, tuple(reasons), _conditions(check, recipient.short, relied, note))
    return rule_5_group(check, recipient, standing_of)


def rule_5_group(check: Check, recipient: GroupFacts, standing_of: Standing) -> Decision:
    """Rule 5: a group recipient (e.g. CTG) means a provision to every member at T.

    Each member is checked, and the group's result is the worst member's, naming the members
    that fail. A member that holds the item already is skipped: nothing is passed to it.
    """
    at = check.at
    if not recipient.members:
        reason = Reason(
            ReasonCode.group_empty,
            explain.group_empty(recipient.key, at),
            Rule.group,
            Outcome.denied,
            f"group {recipient.key}",
        )
        return Decision(Outcome.denied, (reason,), _conditions(check, None, None, None))

    all_reasons: list[Reason] = []
    member_outcomes: list[tuple[str, Outcome]] = []
    member_conditions: list[tuple[str, tuple[str, ...]]] = []
    for member_standing in standing_of.partners:
        member = member_standing.partner
        outcome, reasons, relied, note = _check_partner(check, member_standing)
        member_outcomes.append((member.short, outcome))
        if member.short != check.holder:
            member_conditions.append((member.short, _conditions(check, member.short, relied, note)))
        if outcome is not Outcome.allowed:
            all_reasons.append(_group_member_reason(member, recipient.key, outcome))
        all_reasons.extend(reasons)
    return Decision(
        outcome=worst(o for _, o in member_outcomes),
        reasons=tuple(all_reasons),
        conditions=_group_conditions(check, member_conditions),
        member_outcomes=tuple(member_outcomes),
        member_conditions=tuple(member_conditions),
    )


def _group_member_reason(member: PartnerFacts, group: str, outcome: Outcome) -> Reason:
    """Rule 5's reason for a member whose check is not allowed: the same for every item, so
    made once per member, group and outcome (bounded), and the same object each time."""
    key = (member.short, member.name, group, outcome)
    reason = _GROUP_MEMBER_REASONS.get(key)
    if reason is None:
        reason = Reason(
            ReasonCode.group_member,
            explain.group_member(member, group, outcome),
            Rule.group,
            outcome,
            f"member {member.short} of {group}",
            member.short,
        )
        if len(_GROUP_MEMBER_REASONS) >= _MAX_CACHED_MEMBER_REASONS:
            _GROUP_MEMBER_REASONS.clear()
        _GROUP_MEMBER_REASONS[key] = reason
    return reason


_GROUP_MEMBER_REASONS: dict[tuple[str, str, str, Outcome], Reason] = {}
_MAX_CACHED_MEMBER_REASONS = 1024


def _check_partner(
    check: Check, standing_of: PartnerStanding
) -> tuple[Outcome, list[Reason], ConsentFacts | None, NoteFacts | None]:
    """Rules 1-4 for one partner recipient: outcome, reasons, the consent and note relied on."""
    partner = standing_of.partner
    member = standing_of.member
    if partner.short == check.holder:
        # A partner holder that is in the group already has the item; nothing is provided to it.
        reason = Reason(
            ReasonCode.member_is_holder,
            explain.member_is_holder(partner.short, check.item),
            Rule.group,
            Outcome.allowed,
            f"member {partner.short} of {check.group_key}",
            member,
        )
        return Outcome.allowed, [reason], None, None

    note: NoteFacts | None = None
    relied, reason = rule_1_third_party(check, partner, member)
    reasons = [reason]

    if provision_is_ours(check.item, check.holder):
        reasons.append(standing_of.note_reason)
        note = standing_of.note
        if note is not None:
            rule_3_forms_permitted(check, standing_of, reasons)
        rule_4_higher_permission(check, standing_of, reasons)

    return _worst_effect(reasons), reasons, relied, note


_DENIED, _NEEDS_PERMISSION, _ALLOWED = Outcome.denied, Outcome.needs_permission, Outcome.allowed


def _worst_effect(reasons: Sequence[Reason]) -> Outcome:
    """The worst effect of `reasons` (allowed when there are none), by identity: comparing
    outcomes through their order is slow, and every check of a batch asks this."""
    outcome = _ALLOWED
    for reason in reasons:
        effect = reason.effect
        if effect is _DENIED:
            return effect
        if effect is _NEEDS_PERMISSION:
            outcome = effect
        elif effect is not _ALLOWED:  # not a member: compare as the order does
            return min((r.effect for r in reasons), default=_ALLOWED)
    return outcome


def _originator_is_party(check: Check, partner: PartnerFacts, member: str | None) -> Reason:
    """Rule 1 does not apply: the originator is the holder or the recipient."""
    item = check.item
    message = explain.originator_is_party(check, partner)
    return Reason(
        ReasonCode.originator_is_party,
        message,
        Rule.third_party,
        Outcome.allowed,
        f"item {item.handle}",
        member,
    )


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
    joined_at: dict[str, datetime] | None = None  # made when a consent to a group is met
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
            # The originator consented to the group as it was when it gave the consent: a
            # member who joined later was not weighed by it (the same holds for permissions).
            # A letter recorded late was given no later than its window opens.
            given = min(consent.valid_from, consent.recorded_at)
            if joined_at is None:
                joined_at = dict(partner.joined)
            joined = joined_at.get(target)
            if joined is None or joined > given:
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
    if best is not None:
        message = explain.consent_covers(check, best, partner)
        reason = Reason(
            ReasonCode.consent_present,
            message,
            Rule.third_party,
            Outcome.allowed,
            f"consent #{best.id}",
            member,
        )
        return best, reason

    if nearest is None:
        message = explain.no_consent(check, partner)
        reason = Reason(
            ReasonCode.no_consent,
            message,
            Rule.third_party,
            Outcome.denied,
            f"missing: consent from {item.originator} to {check.holder} for {short}",
            member,
        )
        return None, reason

    message = explain.consent_fails(check, nearest, partner, nearest_failures)
    reason = Reason(
        nearest_failures[0],
        message,
        Rule.third_party,
        Outcome.denied,
        f"consent #{nearest.id}",
        member,
    )
    return None, reason


def rule_2_note_in_force(
    partner: PartnerFacts, at: datetime, known_at: datetime, member: str | None
) -> tuple[Reason, NoteFacts | None]:
    """Rule 2: when the provision is ours, the recipient must have an established note in force
    at T (not superseded, withdrawn or past review). Otherwise: denied.

    Returns the reason and that note, or None. It depends on the recipient and the moment
    only, so `standing` finds it once for every item (`_check_partner` applies it when the
    provision is ours).
    """
    note = latest_established_note(partner, at, known_at=known_at)
    short = partner.short
    if note is None:
        return (
            Reason(
                ReasonCode.no_note,
                explain.no_note(partner, at),
                Rule.note_in_force,
                Outcome.denied,
                f"missing: established note for {short}",
                member,
            ),
            None,
        )
    ref = explain.note_ref(note, partner)
    if note.ended_at is not None and note_ended(note, at, known_at=known_at):
        if note.end_kind == NoteStatus.withdrawn:
            code = ReasonCode.note_withdrawn
            message = explain.note_withdrawn(note, short, note.ended_at)
        else:
            # Superseded, yet no later version is among the facts: deny rather than guess.
            code = ReasonCode.note_superseded
            message = explain.note_superseded(note, short, note.ended_at)
        return Reason(code, message, Rule.note_in_force, Outcome.denied, ref, member), None
    if at >= note.review_due:
        return (
            Reason(
                ReasonCode.note_overdue,
                explain.note_overdue(note, short),
                Rule.note_in_force,
                Outcome.denied,
                ref,
                member,
            ),
            None,
        )
    return (
        Reason(
            ReasonCode.note_in_force,
            explain.note_relied_on(note, short),
            Rule.note_in_force,
            Outcome.allowed,
            ref,
            member,
        ),
        note,
    )


def _forms_permitted_by(
    note: NoteFacts, partner: PartnerFacts, member: str | None
) -> dict[str, Reason]:
    """Rule 3's reason for each form `note` permits (the same for every item)."""
    ref = explain.note_ref(note, partner)
    return {
        form: Reason(
            ReasonCode.form_permitted,
            explain.form_permitted(note, partner.short, form),
            Rule.forms_permitted,
            Outcome.allowed,
            ref,
            member,
        )
        for form in FORM_KEYS
        if form in note.forms
    }


def rule_3_forms_permitted(
    check: Check, standing_of: PartnerStanding, reasons: list[Reason]
) -> None:
    """Rule 3: that note must permit every form the item falls under: unevaluated_data if
    unevaluated; personal_data if it holds personal data (also when unevaluated);
    evaluated_data if neither. Otherwise: denied.
    """
    note = standing_of.note
    if note is None:
        return
    permitted = standing_of.permitted
    partner = standing_of.partner
    for form in required_forms(check.item):
        reason = permitted.get(form)
        if reason is None:
            reason = Reason(
                ReasonCode.form_not_permitted,
                explain.form_not_permitted(note, partner.short, form, check.item),
                Rule.forms_permitted,
                Outcome.denied,
                explain.note_ref(note, partner),
                standing_of.member,
            )
        reasons.append(reason)


def rule_4_higher_permission(
    check: Check, standing_of: PartnerStanding, reasons: list[Reason]
) -> None:
    """Rule 4: for a provision that is ours, a recorded permission covering the item and the
    recipient at T is required, else the result is needs permission, when: the recipient is a
    risicodienst and the item holds personal data; the item is unevaluated; or the recipient is
    flagged for developments.
    """
    item = check.item
    partner = standing_of.partner
    member = standing_of.member
    note = standing_of.note
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
                explain.needed_for_risk(short, note, item),
                (note.established_at, explain.since_note(note, short)),
            )
        )
    if item.unevaluated:
        needs.append(
            (
                ReasonCode.permission_required_unevaluated,
                _MINISTER_ONLY,
                explain.needed_for_unevaluated(item),
                None,
            )
        )
    if standing_of.flagged is not None:
        why, latest = standing_of.flagged
        needs.append(
            (
                ReasonCode.permission_required_flagged,
                _ANY_ROLE,
                why,
                (latest, explain.since_flag(short)),
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
                    explain.permission_present(permission, item, why),
                    Rule.higher_permission,
                    Outcome.allowed,
                    f"permission #{permission.id}",
                    member,
                )
            )
            continue
        reasons.append(
            Reason(
                code,
                explain.permission_required(
                    minister_only=roles == _MINISTER_ONLY,
                    item=item,
                    short=short,
                    why=why,
                    shortfall=shortfall,
                ),
                Rule.higher_permission,
                Outcome.needs_permission,
                f"missing: permission for {item.handle} to {short}",
                member,
            )
        )


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
                shortfall = explain.granted_before_member(permission, short)
                continue
        if since is not None and permission.valid_from < since[0]:
            shortfall = explain.granted_before(permission, since[0], since[1])
            continue
        if needs_ctivd and not permission.ctivd_notified:
            shortfall = explain.no_ctivd(permission)
            continue
        if permission.revoked_at is not None and permission.revoked_at <= check.by:
            shortfall = explain.permission_revoked(permission, permission.revoked_at)
            continue
        if permission.valid_until < at:
            shortfall = explain.permission_expired(permission)
            continue
        if permission.role not in roles:
            shortfall = explain.role_insufficient(permission)
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
    item = check.item
    # Handing an item back to its own originator reveals nothing about the source.
    protect_source = item.originator != check.holder and item.originator != recipient
    relied_conditions = None if relied is None else relied.conditions
    note_conditions = None if note is None else note.conditions
    key: tuple[object, ...] | None = None
    if type(relied_conditions) in _KEYABLE and type(note_conditions) in _KEYABLE:
        key = (check.our_name, relied_conditions, note_conditions, protect_source,
               item.personal_data)  # fmt: skip
        try:
            found = _CONDITIONS.get(key)
        except TypeError:  # a condition that is no text: built below, and not kept
            key = found = None
        if found is not None:
            return found
    conditions: dict[str, None] = {explain.onward_condition(check.our_name): None}
    if relied is not None:
        conditions.update(dict.fromkeys(relied.conditions))
    if note is not None:
        conditions.update(dict.fromkeys(note.conditions))
    if protect_source:
        conditions[explain.SOURCE_PROTECTION_CONDITION] = None
    if item.personal_data:
        conditions[explain.PERSONAL_DATA_CONDITION] = None
    found = tuple(conditions)
    if key is not None:
        if len(_CONDITIONS) >= _MAX_CACHED_CONDITIONS:
            _CONDITIONS.clear()
        _CONDITIONS[key] = found
    return found


# The conditions for each combination of what they are made of (a batch meets a few): the same
# tuple as `_conditions` builds, by its parts (bounded); only parts held in tuples are keys.
_CONDITIONS: dict[tuple[object, ...], tuple[str, ...]] = {}
_MAX_CACHED_CONDITIONS = 1024
_KEYABLE = (tuple, type(None))


def _group_conditions(
    check: Check, member_conditions: Sequence[tuple[str, tuple[str, ...]]]
) -> tuple[str, ...]:
    """Every condition any member's provision carries, in the order first met.

    One transfer to a group carries them all: a reader of the answer's conditions must never
    get fewer than a member's provision needs (each member's own list says which are whose).
    """
    if not member_conditions:
        return _conditions(check, None, None, None)
    carried: dict[str, None] = {}
    for _, conditions in member_conditions:
        carried.update(dict.fromkeys(conditions))
    return tuple(carried)
