"""Time is UTC and explicit: parsing ISO input, the current instant, display dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wegings.errors import InvalidInput

DISPLAY_ZONE_NAME = "Europe/Amsterdam"
"""Times are stored in UTC; calendar dates are those of The Hague, for people and documents."""


@lru_cache(maxsize=1)
def display_zone() -> tzinfo:
    """The zone whose calendar dates are shown (UTC where no time-zone database exists)."""
    try:
        return ZoneInfo(DISPLAY_ZONE_NAME)
    except ZoneInfoNotFoundError:  # pragma: no cover - only without a time-zone database
        # Show the stored UTC date rather than guess an offset.
        return UTC


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment` converted to UTC; a naive datetime is refused rather than guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"Time {moment.isoformat()} has no time zone; give it in UTC.")
    return moment.astimezone(UTC)


EARLIEST_YEAR = 1900
"""Dates before this are typing errors here, not records of a service founded since."""


def parse_when(text: str, *, field: str = "date") -> datetime:
    """An ISO date (the start of that day in The Hague) or date-time (UTC unless it has an
    offset)."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            start = datetime.combine(date.fromisoformat(raw), time.min, tzinfo=display_zone())
            moment = start.astimezone(UTC)
        else:
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
    except ValueError:
        raise InvalidInput(
            f"{field} {raw!r} is not an ISO date or date-time; use e.g. 2026-11-29 "
            "or 2026-11-29T14:30+01:00."
        ) from None
    except OverflowError:
        raise InvalidInput(f"{field} {raw!r} lies outside the calendar this tool keeps.") from None
    if moment.year < EARLIEST_YEAR:
        raise InvalidInput(f"{field} {raw!r} lies before {EARLIEST_YEAR}; check the year.")
    return moment


def parse_as_of(text: str, *, now: datetime, field: str = "--as-of") -> datetime:
    """A past (or present) moment to answer for; the future is refused, as it may still change."""
    moment = parse_when(text, field=field)
    if moment > now:
        raise InvalidInput(
            f"{field} {text.strip()!r} lies in the future; an answer for it could still change "
            "with what is recorded until then. Ask again when the moment has come."
        )
    return moment


def parse_day(text: str, *, field: str = "date") -> date:
    """An ISO calendar date such as 2026-11-29."""
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{field} {raw!r} is not an ISO date; use e.g. 2026-11-29.") from None
    if day.year < EARLIEST_YEAR:
        raise InvalidInput(f"{field} {raw!r} lies before {EARLIEST_YEAR}; check the year.")
    return day


def end_of_day(day: date) -> datetime:
    """The last instant of `day` in The Hague (as UTC), so an end date includes the whole day."""
    return datetime.combine(day, time.max, tzinfo=display_zone()).astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """`moment` as an ISO 8601 UTC string ending in Z, or None."""
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def local_day(moment: datetime) -> date:
    """The calendar date of `moment` in The Hague."""
    return as_utc(moment).astimezone(display_zone()).date()


def display_day(value: datetime | str | None) -> str:
    """An ISO calendar date in The Hague for a moment (or its ISO text); "—" for none."""
    if value is None or value == "":
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return local_day(moment).isoformat()


def display_minute(value: datetime | str | None) -> str:
    """ "2026-11-29 14:05" in The Hague for a moment (or its ISO text); "—" for none."""
    if value is None or value == "":
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_utc(moment).astimezone(display_zone()).strftime("%Y-%m-%d %H:%M")
