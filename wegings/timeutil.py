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


def parse_when(text: str, *, field: str = "date") -> datetime:
    """An ISO date (start of that day, UTC) or date-time (UTC unless it has an offset)."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time.min, tzinfo=UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"{field} {raw!r} is not an ISO date or date-time; use e.g. 2026-11-29 "
            "or 2026-11-29T14:30+01:00."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_day(text: str, *, field: str = "date") -> date:
    """An ISO calendar date such as 2026-11-29."""
    raw = text.strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{field} {raw!r} is not an ISO date; use e.g. 2026-11-29.") from None


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
