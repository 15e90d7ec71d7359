"""The answer of a check: outcomes, the rules of DOMAIN.md by number, reasons and decisions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from wegings.sharing.frozen import quick_init


class Rule(IntEnum):
    """The rules of DOMAIN.md by their number; the JSON keeps the plain number."""

    third_party = 1
    note_in_force = 2
    forms_permitted = 3
    higher_permission = 4
    group = 5


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
        if result is None or outcome < result:
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


@quick_init
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
    rule: Rule
    effect: Outcome
    ref: str
    member: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one check.

    outcome: worst effect of all reasons; reasons: every reason that applied, in rule order
    (per member for a group); conditions: what a transfer must carry, deduplicated, in the order
    onward-transfer condition, the consent's, the recipient's note's, source protection,
    personal data; for a group, every condition any member's provision carries, in the order
    first met (see member_conditions for each member's own);
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
