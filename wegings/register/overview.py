"""Everything known about one partner, as plain data, for `wegings show`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from wegings.domain import RiskProfile
from wegings.notes.notes import (
    current_note,
    flags_of,
    note_states,
    open_flags,
    retractions_of,
    state_json,
)
from wegings.register.listing import CORRECTED_FIELDS, apply_corrections
from wegings.register.listing import partner_json as partner_json  # its home is the listing
from wegings.register.partners import (
    corrections_of,
    get_partner,
    groups_at,
    membership_history,
    partner_row,
)
from wegings.store.models import Partner
from wegings.timeutil import iso


def partner_history(session: Session, partner: Partner) -> list[dict[str, Any]]:
    """Every correction, join, leave, flag and retraction of the partner, in recorded order.

    Each entry says what (`kind`), who (`recorded_by`), when (`recorded_at`) and why.
    """
    entries: list[dict[str, Any]] = []
    corrections = corrections_of(session, partner)
    for index, correction in enumerate(corrections):
        before = apply_corrections(partner, corrections[:index])
        changes = {
            field: {"from": getattr(before, field), "to": getattr(correction, field)}
            for field in CORRECTED_FIELDS
            if getattr(correction, field) is not None
        }
        entries.append(
            {
                "kind": "correction",
                "id": correction.id,
                "recorded_at": iso(correction.recorded_at),
                "recorded_by": correction.recorded_by,
                "reason": correction.reason,
                "changes": changes,
            }
        )
    for group_name, change in membership_history(session, partner):
        entries.append(
            {
                "kind": change.change,
                "id": change.id,
                "recorded_at": iso(change.recorded_at),
                "recorded_by": change.recorded_by,
                "reason": change.reason,
                "group": group_name,
                "valid_from": iso(change.valid_from),
                "reference": change.reference,
            }
        )
    retractions = retractions_of(session, partner)
    for flag in flags_of(session, partner):
        retraction = retractions.get(flag.id or -1)
        entries.append(
            {
                "kind": "flag",
                "id": flag.id,
                "recorded_at": iso(flag.recorded_at),
                "recorded_by": flag.recorded_by,
                "reason": flag.reason,
                "observed_on": flag.observed_on.isoformat(),
                "retraction": None
                if retraction is None
                else {
                    "id": retraction.id,
                    "recorded_at": iso(retraction.recorded_at),
                    "recorded_by": retraction.recorded_by,
                    "reason": retraction.reason,
                },
            }
        )
        if retraction is not None:
            entries.append(
                {
                    "kind": "flag_retraction",
                    "id": retraction.id,
                    "recorded_at": iso(retraction.recorded_at),
                    "recorded_by": retraction.recorded_by,
                    "reason": retraction.reason,
                    "flag_id": flag.id,
                }
            )
    # ISO UTC texts of one format sort as the moments do; the kind keeps ties stable.
    return sorted(entries, key=lambda e: (e["recorded_at"], e["kind"], e["id"]))


def partner_overview(
    session: Session, handle: str, *, now: datetime, with_history: bool = False
) -> dict[str, Any]:
    """The partner, its note, whether it is a risicodienst, open flags, consents, permissions
    and transfers."""
    from wegings.sharing.consents import consent_json, consents_about
    from wegings.sharing.permissions import permissions_about
    from wegings.sharing.transfers import list_transfers, transfer_json

    partner = get_partner(session, handle)
    row = partner_row(session, partner, at=now)
    group_keys = groups_at(session, partner, at=now, keys=True)
    states = note_states(session, partner)
    current = current_note(states)
    note = state_json(current) if current is not None else None
    if note is not None and current is not None:
        note["in_force"] = current.in_force(now)
        del note["answers"]
    details: dict[str, Any] = {
        "partner": partner_json(row),
        "note": note,
        # A risicodienst is a partner whose current (established) note is verhoogd, also while
        # that note is overdue or withdrawn: the label does not lapse with the note.
        "risicodienst": bool(
            current is not None
            and current.establishment is not None
            and current.profile is RiskProfile.verhoogd
        ),
        "versions": len(states),
        "flags": [
            {
                "id": flag.id,
                "observed_on": flag.observed_on.isoformat(),
                "reason": flag.reason,
                "recorded_at": iso(flag.recorded_at),
                "recorded_by": flag.recorded_by,
            }
            for flag in open_flags(session, partner, now)
        ],
        "consents": [
            consent_json(row, now) for row in consents_about(session, partner.short, group_keys)
        ],
        "permissions": permissions_about(session, partner.short, now),
        "transfers": [transfer_json(row) for row in list_transfers(session, to=partner.short)],
    }
    if with_history:
        details["history"] = partner_history(session, partner)
    return details
