"""Time is UTC and explicit: parsing ISO input, the current instant, display dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wegings.errors import EXIT_USAGE, InvalidInput, WegingsError

DISPLAY_ZONE_NAME = "Europe/Amsterdam"
"""Times are stored in UTC; calendar dates are those of The Hague, for people and documents."""


class ZoneDatabaseMissing(WegingsError):
    """Europe/Amsterdam cannot be loaded, so no date can be read or shown (exit 2)."""

    exit_code = EXIT_USAGE


@lru_cache(maxsize=1)
def display_zone() -> tzinfo:
    """The zone whose calendar dates are read and shown; refused when it cannot be loaded."""
    try:
        return ZoneInfo(DISPLAY_ZONE_NAME)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # A day silently read in UTC would give a second answer for the same day: refuse.
        raise ZoneDatabaseMissing(
            f"The time-zone database has no {DISPLAY_ZONE_NAME}; install tzdata "
            "(pip install tzdata) or the system's time-zone data, then try again."
        ) from None


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


_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[Zz]|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
"""The only spellings read: YYYY-MM-DD, and that date with HH:MM[:SS[.ffffff]] and an offset.

Python also reads 20261128, 2026-W48-6 and 2026-332; those are refused, so that a date is never
read as something other than what a colleague reading the same text would take it for.
"""


def is_plain_date(text: str) -> bool:
    """Whether `text` is written as a plain date, YYYY-MM-DD (not a date-time)."""
    return _PLAIN_DATE.fullmatch(text.strip()) is not None


_ORDINAL_DATE = re.compile(r"(\d{4})-?(\d{3})", re.ASCII)


def _other_spelling(raw: str) -> date | None:
    """The date meant by another ISO 8601 spelling (20261128, 2026-W48-6, 2026-332), if any."""
    day_part = re.split(r"[Tt ]", raw, maxsplit=1)[0]
    try:
        return date.fromisoformat(day_part)
    except ValueError:
        pass
    ordinal = _ORDINAL_DATE.fullmatch(day_part)
    if ordinal is None:
        return None
    year, day_of_year = int(ordinal[1]), int(ordinal[2])
    try:
        meant = date(year, 1, 1) + timedelta(days=day_of_year - 1)
    except (ValueError, OverflowError):
        return None
    return meant if day_of_year >= 1 and meant.year == year else None


def _spelling_refused(raw: str, *, field: str, date_time: bool) -> InvalidInput | None:
    """The error for another ISO spelling of a date (or date-time), or None for no date at all."""
    meant = _other_spelling(raw)
    if meant is None:
        return None
    alternative = f", or a date-time such as {meant.isoformat()}T14:30+01:00" if date_time else ""
    return InvalidInput(
        f"{field} {raw!r}: write a date as YYYY-MM-DD, e.g. {meant.isoformat()}{alternative}."
    )


MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
"""The months in English, as sentences say a day ("1 January 2027")."""


def _no_such_day(raw: str, field: str) -> InvalidInput | None:
    """A date written YYYY-MM-DD (the start of `raw`) that the calendar does not have, told in
    the user's terms ("2027-02-30: no such day; February 2027 has 28 days"); None otherwise."""
    import calendar

    year, month, day = (int(part) for part in raw[:10].split("-"))
    if not 1 <= month <= 12:
        return InvalidInput(f"{field} {raw!r}: no such month; a month is 01 to 12.")
    last = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if not 1 <= day <= last:
        return InvalidInput(
            f"{field} {raw!r}: no such day; {MONTH_NAMES[month - 1]} {year} has {last} days."
        )
    return None


def parse_when(text: str, *, field: str = "date") -> datetime:
    """A date, YYYY-MM-DD (the start of that day in The Hague), or a date-time (UTC unless it
    has an offset)."""
    raw = text.strip()
    not_iso = InvalidInput(
        f"{field} {raw!r} is not an ISO date or date-time; use e.g. 2026-11-29 "
        "or 2026-11-29T14:30+01:00."
    )
    plain = _PLAIN_DATE.fullmatch(raw) is not None
    if not plain and _DATE_TIME.fullmatch(raw) is None:
        raise _spelling_refused(raw, field=field, date_time=True) or not_iso
    try:
        if plain:
            start = datetime.combine(date.fromisoformat(raw), time.min, tzinfo=display_zone())
            moment = start.astimezone(UTC)
        else:
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
    except ValueError:
        raise _no_such_day(raw, field) or not_iso from None
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
    """A calendar date written YYYY-MM-DD, such as 2026-11-29."""
    raw = text.strip()
    not_a_date = InvalidInput(f"{field} {raw!r} is not an ISO date; use e.g. 2026-11-29.")
    if _PLAIN_DATE.fullmatch(raw) is None:
        raise _spelling_refused(raw, field=field, date_time=False) or not_a_date
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise _no_such_day(raw, field) or not_a_date from None
    if day.year < EARLIEST_YEAR:
        raise InvalidInput(f"{field} {raw!r} lies before {EARLIEST_YEAR}; check the year.")
    return day


def end_of_day(day: date) -> datetime:
    """The last instant of `day` in The Hague (as UTC), so an end date includes the whole day."""
    return datetime.combine(day, time.max, tzinfo=display_zone()).astimezone(UTC)


def parse_end(text: str, *, field: str) -> datetime:
    """An end date (the whole day in The Hague included) or an exact date-time."""
    if is_plain_date(text):
        return end_of_day(parse_day(text, field=field))
    return parse_when(text, field=field)


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
