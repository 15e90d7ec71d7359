"""Values as the store keeps them, read back strictly: anything else is a fault, never a guess.

SQLAlchemy's SQLite dialect keeps a `UTCDateTime` as naive UTC text with microseconds
(`STORED_DATETIME_FORMAT`), a date as `YYYY-MM-DD` text and a bool as the integer 0 or 1;
PostgreSQL hands back real datetimes, dates and bools. A value of any other type or form was
written outside wegings, and reading it as an answer (`bool('')` is False, `'false'` is true)
would turn a fault into a decision. Each reader here raises `Unreadable` instead; the caller
names the record.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from wegings.timeutil import iso

STORED_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
"""How a UTC datetime is kept on SQLite: the one home of that form (models.UTCDateTime writes it
through SQLAlchemy's SQLite dialect; tests/test_sharing_records.py pins the two together)."""

_DATETIME_TEXT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\Z")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def snapshot_value(value: Any) -> Any:
    """A column value as an audit snapshot keeps it: a datetime as ISO UTC, a date as ISO."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class Unreadable(ValueError):
    """A stored value of the wrong type or form."""


def stored_datetime_text(moment: datetime) -> str:
    """`moment` as SQLite keeps it: naive UTC text with microseconds, sortable as text."""
    return moment.astimezone(UTC).strftime(STORED_DATETIME_FORMAT)


def read_datetime(value: Any) -> datetime:
    """A stored UTC datetime as an aware datetime."""
    if type(value) is str:
        if _DATETIME_TEXT.match(value) is None:
            raise Unreadable(value)
        try:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        except ValueError:  # e.g. month 13: the right shape, not a moment
            raise Unreadable(value) from None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    raise Unreadable(value)


def read_date(value: Any) -> date:
    """A stored calendar date."""
    if type(value) is str:
        if _DATE_TEXT.match(value) is None:
            raise Unreadable(value)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Unreadable(value) from None
    if type(value) is date:
        return value
    raise Unreadable(value)


def read_bool(value: Any) -> bool:
    """A stored bool: exactly the integer 0 or 1 (SQLite) or a real bool."""
    if value is True or value is False:
        return value
    if type(value) is int and value in (0, 1):
        return value == 1
    raise Unreadable(value)


def read_int(value: Any) -> int:
    """A stored integer (never a bool, a float or digits in text)."""
    if type(value) is int:
        return value
    raise Unreadable(value)


def read_text(value: Any) -> str:
    """A stored text."""
    if type(value) is str:
        return value
    raise Unreadable(value)


def shown(value: Any) -> str:
    """A stored value as an error message quotes it: short, on one line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
