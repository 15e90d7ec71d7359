"""What makes a partner need attention (`wegings due`): pure rules over a note's states.

`notes.due` (through a session) and `notes.due_listing` (from a SQLite read snapshot, without
the ORM) decide with these same functions over the states and open flags they read, so both
list the same partners for the same reasons, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from wegings.domain import NoteStatus
from wegings.errors import InvalidInput
from wegings.timeutil import iso, local_day


class _Establishment(Protocol):
    @property
    def established_at(self) -> datetime: ...

    @property
    def review_due(self) -> datetime: ...


class _Version(Protocol):
    @property
    def version(self) -> int: ...


class NoteLike(Protocol):
    """A version of a note with its status (`notes.NoteState` or a snapshot's)."""

    @property
    def note(self) -> _Version: ...

    @property
    def status(self) -> NoteStatus: ...

    @property
    def establishment(self) -> _Establishment | None: ...


_S = TypeVar("_S", bound=NoteLike)


def latest_established(states: Sequence[_S]) -> _S | None:
    """The most recently established version, whatever became of it since."""
    established = [s for s in states if s.establishment is not None]
    if not established:
        return None
    return max(established, key=lambda s: s.establishment.established_at if s.establishment else 0)


def check_within(within_days: int) -> None:
    """Refuse a negative `--within`."""
    if within_days < 0:
        raise InvalidInput("--within must be 0 or more days.")


@dataclass(frozen=True)
class Attention(Generic[_S]):
    """Why a partner needs attention: the most urgent reason's rank first."""

    rank: int  # lower is more urgent
    days: int | None  # days until review (negative: overdue)
    reasons: tuple[str, ...]
    note: _S | None  # the latest established version


def attention(
    states: Sequence[_S],
    open_flags: Iterable[tuple[str, date]],
    *,
    now: datetime,
    within_days: int,
) -> Attention[_S] | None:
    """Why the partner with these note `states` and `open_flags` (reason, observed on) needs
    attention at `now`: no note in force, a review past or within `within_days`, open flags;
    None when nothing does (a pending draft alone is no reason)."""
    standing = latest_established(states)
    reasons: list[tuple[int, str]] = []
    days: int | None = None
    if standing is not None and standing.establishment is not None:
        version = standing.note.version
        review = standing.establishment.review_due
        days = (local_day(review) - local_day(now)).days
        if standing.status is NoteStatus.withdrawn:
            reasons.append((2, f"note v{version} withdrawn: cooperation suspended"))
        elif review <= now:
            reasons.append((0, f"review of v{version} overdue by {-days} days"))
        elif review <= now + timedelta(days=within_days):
            reasons.append((4, f"review of v{version} due in {days} days"))
    else:
        reasons.append((3, "no established note"))
    drafts = [s for s in states if s.status is NoteStatus.draft]
    if drafts and (standing is None or drafts[-1].note.version > standing.note.version):
        reasons.append((5, f"draft v{drafts[-1].note.version} awaits establishment"))
    for reason, observed_on in open_flags:
        reasons.append((1, f"flagged {observed_on.isoformat()}: {reason}"))
    if not reasons or min(rank for rank, _ in reasons) >= 5:
        return None
    reasons.sort()
    return Attention(
        rank=reasons[0][0],
        days=days,
        reasons=tuple(text for _, text in reasons),
        note=standing,
    )


def urgency(rank: int, days: int | None, short: str) -> tuple[int, int, str]:
    """The order of `wegings due`: most urgent first, then the nearest review, then handle."""
    return rank, days if days is not None else 0, short


class _Due(Protocol):
    @property
    def days(self) -> int | None: ...

    @property
    def reasons(self) -> tuple[str, ...]: ...

    @property
    def note(self) -> NoteLike | None: ...


def due_json(short: str, name: str, row: _Due) -> dict[str, Any]:
    """A row of `wegings due` as plain JSON: the partner, its standing note and why."""
    note = row.note
    return {
        "partner": short,
        "name": name,
        "version": note.note.version if note else None,
        "status": note.status.value if note else None,
        "review_due": iso(note.establishment.review_due) if note and note.establishment else None,
        "days_left": row.days,
        "reasons": list(row.reasons),
    }
