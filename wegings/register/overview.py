"""Everything known about one partner, as plain data, for `wegings show`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from wegings.domain import RiskProfile
from wegings.notes.notes import current_note, note_states, open_flags, state_json
from wegings.register.countries import country_label, country_name
from wegings.register.partners import PartnerRow, get_partner, groups_of
from wegings.timeutil import iso


def partner_json(row: PartnerRow) -> dict[str, Any]:
    """A partner as plain JSON."""
    partner = row.partner
    return {
        "short": partner.short,
        "name": partner.name,
        "country": partner.country,
        "country_name": country_name(partner.country, "nl"),
        "country_label": country_label(partner.country, "nl"),
        "kind": partner.kind,
        "groups": list(row.groups),
        "notes": partner.notes,
        "created_at": iso(partner.created_at),
        "created_by": partner.created_by,
    }


def partner_overview(session: Session, handle: str, *, now: datetime) -> dict[str, Any]:
    """The partner, its note, whether it is a risicodienst, open flags, consents, transfers."""
    from wegings.sharing.consents import consent_json, consents_about
    from wegings.sharing.transfers import list_transfers, transfer_json

    partner = get_partner(session, handle)
    group_keys = tuple(g.lower() for g in groups_of(session, partner))
    states = note_states(session, partner)
    current = current_note(states)
    note = state_json(current) if current is not None else None
    if note is not None and current is not None:
        note["in_force"] = current.in_force(now)
        del note["answers"]
    return {
        "partner": partner_json(PartnerRow(partner, groups_of(session, partner))),
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
        "transfers": [transfer_json(row) for row in list_transfers(session, to=partner.short)],
    }
