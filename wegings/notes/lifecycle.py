"""The life of a note as pure functions: its status, whether it is in force, when a flag clears.

The note store (`wegings.notes.notes`) and the sharing loader (`wegings.sharing.store`, through
the facts of `wegings.sharing.facts`) both derive these facts here, so they cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime

from wegings.domain import NoteStatus


def cutoff(at: datetime, known_at: datetime | None) -> datetime:
    """Until when a record that takes effect when recorded counts for T: on record and by T."""
    return at if known_at is None or known_at >= at else known_at


def note_end(
    superseded_at: datetime | None, withdrawn_at: datetime | None
) -> tuple[datetime, NoteStatus] | None:
    """When and how an established version ended: (moment, superseded or withdrawn), or None.

    A withdrawal before the next establishment ends it as withdrawn; otherwise the next
    establishment supersedes it.
    """
    if withdrawn_at is not None and (superseded_at is None or withdrawn_at < superseded_at):
        return withdrawn_at, NoteStatus.withdrawn
    if superseded_at is not None:
        return superseded_at, NoteStatus.superseded
    return None


def note_status(
    *, established: bool, superseded_at: datetime | None, withdrawn_at: datetime | None
) -> NoteStatus:
    """A version's status: withdrawn, superseded, established or still a draft."""
    end = note_end(superseded_at, withdrawn_at)
    if end is not None:
        return end[1]
    return NoteStatus.established if established else NoteStatus.draft


def note_ended(ended_at: datetime | None, by: datetime) -> bool:
    """Whether a version that ended at `ended_at` (None: it did not) had ended by `by`."""
    return ended_at is not None and ended_at <= by


def in_force(
    *,
    established_at: datetime,
    ended_at: datetime | None,
    review_due: datetime,
    at: datetime,
    by: datetime | None = None,
) -> bool:
    """Whether a version is in force at `at`: established and not ended by `by`, not past review.

    `by` (default `at`) is the moment up to which its establishment and end count.
    """
    by = at if by is None else by
    return established_at <= by and not note_ended(ended_at, by) and at < review_due


def flag_cleared_at(
    recorded_at: datetime, rewrites: list[tuple[datetime, datetime]]
) -> datetime | None:
    """When a flag recorded at `recorded_at` was cleared: by the first establishment of a
    version written after it.

    `rewrites` holds (established_at, written_at) per establishment. A draft written before
    the developments cannot answer them, so establishing it does not clear the flag.
    """
    later = [
        established
        for established, written in rewrites
        if written >= recorded_at and established >= recorded_at
    ]
    return min(later) if later else None


def flag_holds(
    *,
    raised_at: datetime,
    cleared_at: datetime | None,
    at: datetime,
    holds_from: datetime | None = None,
    known_at: datetime | None = None,
    retracted_at: datetime | None = None,
) -> bool:
    """Whether a flag holds at `at`: on record by `known_at`, begun, not cleared or retracted.

    It holds from `holds_from` (default: its recording); `known_at` (default `at`) is the
    on-record cutoff. A clearing (a new note) counts only once on record and by `at`: from then
    on the flag no longer counts. A retraction says the flag was recorded by mistake: whoever
    knows of it (on record by `known_at`) does not count the flag at all, so hindsight never
    holds a mistaken flag against a transfer; a replay from before it still does.
    """
    on_record = at if known_at is None else known_at
    by = cutoff(at, known_at)
    begun = raised_at if holds_from is None else holds_from
    return (
        raised_at <= on_record
        and begun <= at
        and not flag_retracted(retracted_at, at, known_at=known_at)
        and (cleared_at is None or cleared_at > by)
    )


def flag_retracted(
    retracted_at: datetime | None, at: datetime, *, known_at: datetime | None = None
) -> bool:
    """Whether a flag retracted at `retracted_at` (None: it was not) no longer counts at `at`:
    the retraction is on record by `known_at` (default `at`). A retraction undoes a mistake,
    so once known it holds for every moment, also one before it was recorded (hindsight).

    The note store and the note document call this to leave a retracted flag out.
    """
    return retracted_at is not None and retracted_at <= (at if known_at is None else known_at)
