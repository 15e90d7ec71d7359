"""The answer of one can-share check, as data and as plain JSON, and its exit code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from wegings.errors import EXIT_NEEDS_PERMISSION, EXIT_OK, EXIT_REFUSED
from wegings.sharing.facts import ItemFacts
from wegings.sharing.frozen import quick_init
from wegings.sharing.outcome import Decision, Outcome
from wegings.timeutil import iso

EXIT_CODES: dict[Outcome, int] = {
    Outcome.allowed: EXIT_OK,
    Outcome.denied: EXIT_REFUSED,
    Outcome.needs_permission: EXIT_NEEDS_PERMISSION,
}
"""The exit code of `can-share` for each outcome (2 is bad usage or an unknown name)."""


@quick_init
@dataclass(frozen=True, slots=True)
class CheckResult:
    """One answered check: what was asked and the decision."""

    item: ItemFacts
    recipient: str
    is_group: bool
    holder: str
    purpose: str | None
    at: datetime
    decision: Decision
    basis: str = ""
    """The audit head the decision read, 'SEQ:HASH16' (replaying with it gives this answer)."""
    known_at: datetime | None = None
    """The on-record cutoff when the check replayed a basis or judged in hindsight; None for a
    live or as-of check."""
    hindsight: bool = False
    """Whether moment `at` was judged with everything on record at `known_at` (the read moment)."""

    @property
    def exit_code(self) -> int:
        """0 allowed, 1 denied, 3 needs permission."""
        return EXIT_CODES[self.decision.outcome]


@lru_cache(maxsize=64)
def iso_remembered(moment: datetime) -> str | None:
    """iso(), remembered: a batch prints the same moment on most rows."""
    return iso(moment)


def decision_json(result: CheckResult, *, row: int | None = None) -> dict[str, Any]:
    """A check and its decision as plain, stable JSON (with the batch row number if given)."""
    decision = result.decision
    head: dict[str, Any] = {} if row is None else {"row": row}
    conditions = member_conditions(decision)
    # Codes and outcomes are StrEnums: JSON writes them as their plain text, and skipping
    # `.value` (an enum property) matters when a batch writes a million of them.
    return head | {
        "decision": decision.outcome,
        "item": result.item.handle,
        "to": result.recipient,
        "holder": result.holder,
        "purpose": result.purpose,
        "as_of": iso_remembered(result.at),
        **({} if result.known_at is None else {"known_at": iso_remembered(result.known_at)}),
        **({"hindsight": True} if result.hindsight else {}),
        "basis": result.basis,
        "reasons": [
            {
                "code": reason.code,
                "message": reason.message,
                "rule": int(reason.rule),
                "effect": reason.effect,
                "ref": reason.ref,
                "member": reason.member,
            }
            for reason in decision.reasons
        ],
        "conditions": list(decision.conditions),
        "members": [
            {"member": short, "decision": outcome, "conditions": list(conditions.get(short, ()))}
            for short, outcome in decision.member_outcomes
        ],
    }


def member_conditions(decision: Decision) -> dict[str, tuple[str, ...]]:
    """The conditions the transfer must carry to each member of a group, by member."""
    return dict(decision.member_conditions)
