"""Builders for the tests of the third-party rule: partners with established notes, items.

Every step runs in its own transaction with an explicit `now`, as a command would.

A step depends only on the database it starts from and its arguments, so each step's result is
kept (once the same step from the same database has been asked for twice) and later copied in
instead of being run again: many tests build the same world at the same fixed time.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tomllib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

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

P = ParamSpec("P")
R = TypeVar("R")

_SIDE_FILES = ("-wal", "-shm", "-journal")
_seen: set[str] = set()
_results: dict[str, tuple[bytes, Any]] = {}


def _quiet_file(location: Location) -> Path | None:
    """The database file when it exists and no connection has it open (no side files)."""
    path = location.path
    if path is None or not path.is_file():
        return None
    if any(Path(f"{path}{suffix}").exists() for suffix in _SIDE_FILES):
        return None
    return path


def _cached(step: Callable[P, R]) -> Callable[P, R]:
    """Run `step(location, ...)`, or copy in what it left the last time from the same start."""

    @functools.wraps(step)
    def cached(*args: P.args, **kwargs: P.kwargs) -> R:
        location = args[0]
        assert isinstance(location, Location)
        path = _quiet_file(location)
        if path is None:
            return step(*args, **kwargs)
        start = hashlib.sha256(path.read_bytes()).hexdigest()
        service = os.environ.get("WEGINGS_SERVICE")
        key = repr((step.__name__, start, service, args[1:], sorted(kwargs.items())))
        if key in _results:
            after, result = _results[key]
            path.write_bytes(after)  # the file exists: its mode stays as it is
            return result  # type: ignore[no-any-return]
        result = step(*args, **kwargs)
        if key in _seen and _quiet_file(location) is not None:
            _results[key] = (path.read_bytes(), result)
        _seen.add(key)
        return result

    return cached


def note_answers(profile: str, forms: list[str] | None = None) -> Answers:
    """The demo answers for a standaard or verhoogd note, optionally with other forms."""
    raw: dict[str, Any] = tomllib.loads((DEMO / NOTE_FILES[profile]).read_text(encoding="utf-8"))
    if forms is not None:
        raw["cooperation"]["forms"] = forms
    return validate_answers(raw)


@_cached
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


@_cached
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


@_cached
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


@_cached
def world(location: Location, now: datetime) -> None:
    """rvd (CTG, standaard note), smi (CTG, verhoogd note), bsv (flagged, no note)."""
    add_partner(location, "rvd", now=now, groups=("CTG",), note="standaard")
    add_partner(location, "smi", now=now, groups=("CTG",), note="verhoogd")
    add_partner(location, "bsv", now=now)
    flag(location, "bsv", now=now + timedelta(seconds=2))


@_cached
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


@_cached
def add_consent(location: Location, *, now: datetime, to: str, **extra: Any) -> int:
    """Record a consent and return its id."""
    with session_scope(location, write=True) as session:
        consent: Consent = record_consent(session, actor="analist", now=now, to=to, **extra)
    assert consent.id is not None
    return consent.id
