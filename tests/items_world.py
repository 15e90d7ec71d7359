"""What the core tests of items, consents, permissions and transfers share: the moments of
their world and the check that a refusal writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from wegings.config import Location
from wegings.errors import WegingsError
from wegings.store.audit import count_events
from wegings.store.engine import session_scope
from wegings.timeutil import end_of_day

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
UNTIL = end_of_day(date(2026, 12, 31))
UTC_FEB = end_of_day(date(2026, 2, 1))


def events(location: Location) -> int:
    with session_scope(location, write=False) as session:
        return count_events(session)


def refused(
    location: Location, error: type[WegingsError], message: str, call: Callable[[Any], object]
) -> None:
    """`call(session)` raises `error` with `message` and writes nothing."""
    before = events(location)
    with pytest.raises(error) as caught, session_scope(location, write=True) as session:
        call(session)
    assert caught.value.message == message
    assert type(caught.value) is error
    assert events(location) == before
