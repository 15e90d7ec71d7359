"""Builders for the tests of the third-party rule: partners with established notes, items.

Every step runs in its own transaction with an explicit `now`, as a command would.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from wegings.config import Location
from wegings.domain import Role
from wegings.notes.answers import Answers, validate_answers
from wegings.notes.notes import establish, raise_flag, save_draft
from wegings.register.partners import create_partner, get_partner
from wegings.sharing.consents import record_consent
from wegings.sharing.items import create_item
from wegings.store.engine import session_scope
from wegings.store.models import Consent

DEMO = Path(__file__).resolve().parent / "data"
NOTE_FILES = {"standaard": "rvd-standaard.toml", "verhoogd": "smi-verhoogd.toml"}


def note_answers(profile: str, forms: list[str] | None = None) -> Answers:
    """The demo answers for a standaard or verhoogd note, optionally with other forms."""
    raw: dict[str, Any] = tomllib.loads((DEMO / NOTE_FILES[profile]).read_text(encoding="utf-8"))
    if forms is not None:
        raw["cooperation"]["forms"] = forms
    return validate_answers(raw)


def add_partner(
    location: Location,
    short: str,
    *,
    now: datetime,
    groups: tuple[str, ...] = (),
    note: str | None = None,
    forms: list[str] | None = None,
) -> None:
    """Register a partner (in `groups`), with a note established a second later if asked."""
    with session_scope(location, write=True) as session:
        create_partner(
            session,
            actor="registrar",
            now=now,
            name=f"Dienst {short.upper()}",
            short=short,
            country="XR",
            kind="civil",
            groups=list(groups),
        )
    if note is not None:
        establish_note(location, short, note, now=now + timedelta(seconds=1), forms=forms)


def establish_note(
    location: Location, short: str, profile: str, *, now: datetime, forms: list[str] | None = None
) -> None:
    """Save a draft note and have the minister establish it at `now`."""
    with session_scope(location, write=True) as session:
        partner = get_partner(session, short)
        save_draft(
            session, partner=partner, answers=note_answers(profile, forms), actor="author", now=now
        )
        establish(session, partner=partner, role=Role.minister, actor="minister.bz", now=now)


def flag(location: Location, short: str, *, now: datetime) -> None:
    """Record developments on a partner at `now`."""
    with session_scope(location, write=True) as session:
        raise_flag(
            session,
            partner=get_partner(session, short),
            reason="Politieke onrust",
            observed_on=now.date(),
            actor="analist",
            now=now,
        )


def world(location: Location, now: datetime) -> None:
    """rvd (CTG, standaard note), smi (CTG, verhoogd note), bsv (flagged, no note)."""
    add_partner(location, "rvd", now=now, groups=("CTG",), note="standaard")
    add_partner(location, "smi", now=now, groups=("CTG",), note="verhoogd")
    add_partner(location, "bsv", now=now)
    flag(location, "bsv", now=now + timedelta(seconds=2))


def add_item(location: Location, ref: str, originator: str, *, now: datetime, **extra: Any) -> str:
    """Register an item (received from its originator) and return its handle."""
    with session_scope(location, write=True) as session:
        row = create_item(
            session,
            actor="analist",
            now=now,
            ref=ref,
            originator=originator,
            received_from=None if originator == "self" else originator,
            received_on=None,
            **extra,
        )
    return row.handle


def add_consent(location: Location, *, now: datetime, to: str, **extra: Any) -> int:
    """Record a consent and return its id."""
    with session_scope(location, write=True) as session:
        consent: Consent = record_consent(session, actor="analist", now=now, to=to, **extra)
    assert consent.id is not None
    return consent.id
