"""Time is UTC and explicit: parsing ISO input, the current instant, display dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from wegings.errors import InvalidInput


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
    """An ISO date (start of that day, UTC) or date-time (UTC unless it has an offset)."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            moment = datetime.combine(date.fromisoformat(raw), time.min, tzinfo=UTC)
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
    """The last instant of `day` in UTC, so that an end date includes the whole day."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    """`moment` as an ISO 8601 UTC string ending in Z, or None."""
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def local_date(moment: datetime) -> str:
    """The calendar date of `moment` in the machine's local time zone, as ISO."""
    return as_utc(moment).astimezone().date().isoformat()
