"""Dates are read in one spelling only, as days in The Hague; the zone database must be there."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfoNotFoundError

import pytest

from wegings import timeutil
from wegings.errors import InvalidInput, WegingsError
from wegings.timeutil import parse_as_of, parse_day, parse_when

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_plain_date_is_the_start_of_that_day_in_the_hague() -> None:
    assert parse_when("2026-11-28") == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    assert parse_when("2026-07-01") == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


def test_a_date_time_without_offset_is_utc_and_with_one_is_converted() -> None:
    assert parse_when("2026-11-28T14:30") == datetime(2026, 11, 28, 14, 30, tzinfo=UTC)
    assert parse_when("2026-11-28 14:30:05") == datetime(2026, 11, 28, 14, 30, 5, tzinfo=UTC)
    assert parse_when("2026-11-28T14:30+01:00") == datetime(2026, 11, 28, 13, 30, tzinfo=UTC)
    assert parse_when("2026-11-28T14:30:00.250Z") == datetime(
        2026, 11, 28, 14, 30, 0, 250000, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "spelling",
    [
        "20261128",
        "2026W486",
        "2026-W48-6",
        "2026-332",
        "2026332",
        "20261128T1430",
        "2026-W48-6T14:30",
        "2026-332T14:30",
        "2026-11-28T14",
        "2026-11-28T1430",
    ],
)
def test_other_iso_spellings_are_refused(spelling: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_as_of(spelling, now=NOW)
    assert caught.value.message == (
        f"--as-of {spelling!r}: write a date as YYYY-MM-DD, e.g. 2026-11-28, "
        "or a date-time such as 2026-11-28T14:30+01:00."
    )


@pytest.mark.parametrize("spelling", ["20261128", "2026W486", "2026-W48-6", "2026-332"])
def test_a_day_is_only_yyyy_mm_dd(spelling: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_day(spelling, field="--date")
    assert caught.value.message == (
        f"--date {spelling!r}: write a date as YYYY-MM-DD, e.g. 2026-11-28."
    )
    assert parse_day(" 2026-11-28 ", field="--date") == date(2026, 11, 28)


def test_garbage_keeps_its_message() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_when("gisteren", field="--from")
    assert caught.value.message == (
        "--from 'gisteren' is not an ISO date or date-time; use e.g. 2026-11-29 "
        "or 2026-11-29T14:30+01:00."
    )


def test_without_the_zone_database_dates_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise ZoneInfoNotFoundError(f"No time zone found with key {name}")

    timeutil.display_zone.cache_clear()
    monkeypatch.setattr(timeutil, "ZoneInfo", missing)
    try:
        with pytest.raises(WegingsError) as caught:
            parse_when("2026-11-28")
        assert "\n" not in caught.value.message
        assert caught.value.message.startswith(
            "The time-zone database has no Europe/Amsterdam; install tzdata"
        )
    finally:
        timeutil.display_zone.cache_clear()


def test_tzdata_is_a_dependency_on_every_platform() -> None:
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    assert "tzdata>=2024.1" in dependencies


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-02-30", "--until '2027-02-30': no such day; February 2027 has 28 days."),
        ("2027-02-29", "--until '2027-02-29': no such day; February 2027 has 28 days."),
        ("2026-04-31", "--until '2026-04-31': no such day; April 2026 has 30 days."),
        ("2026-13-01", "--until '2026-13-01': no such month; a month is 01 to 12."),
        ("2026-11-31T10:00", "--until '2026-11-31T10:00': no such day; November 2026 has 30 days."),
    ],
)
def test_a_day_the_calendar_lacks_is_told_as_such(text: str, message: str) -> None:
    parse = parse_when if "T" in text else parse_day
    with pytest.raises(InvalidInput) as raised:
        parse(text, field="--until")
    assert raised.value.message == message
    assert parse_day("2028-02-29", field="--until").isoformat() == "2028-02-29"
