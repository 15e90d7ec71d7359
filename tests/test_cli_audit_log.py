"""`audit log`: events about a partner, by a person, in a period, each with a summary that names
the records it concerns; a piped table keeps its words whole."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Run, add_partner
from wegings.config import Location
from wegings.store.audit import AUDITED
from wegings.store.audit_log import LoggedEvent, Names, summary


@pytest.fixture
def trail(run: Run, location: Location, migrated_db: Location) -> Location:
    """rvd and sdv; an item of each; a consent for rvd's item to sdv, revoked; sdv flagged."""
    add_partner(run, "rvd")
    add_partner(run, "sdv")
    steps = [
        ("new-item", "R-1", "--originator", "rvd", "--received-from", "rvd", "--tag", "ct"),
        ("new-item", "S-1", "--originator", "sdv", "--received-from", "sdv"),
        ("consent", "rvd/R-1", "--to", "sdv", "--until", "2030-01-01"),
        ("--as", "bob", "revoke", "1", "--reason", "Brief van 3 december."),
        ("--as", "bob", "flag", "sdv", "--reason", "Berichten over inmenging.",
         "--date", "2026-11-01"),
    ]  # fmt: skip
    for args in steps:
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
    return location


def log(run: Run, *args: str) -> list[dict[str, Any]]:
    result = run("audit", "log", "--json", *args)
    assert result.exit_code == 0, result.output
    events: list[dict[str, Any]] = json.loads(result.stdout)
    return events


def test_events_about_a_partner_follow_its_records(run: Run, trail: Location) -> None:
    about_rvd = [(e["action"], e["summary"]) for e in log(run, "--partner", "RVD")]
    assert about_rvd == [
        ("consent.revoke", "consent #1: Brief van 3 december."),
        ("consent.record", "rvd lets self pass item rvd/R-1 to sdv"),
        ("item.tag", "rvd/R-1 tagged ct"),
        ("item.create", "rvd/R-1 received from rvd"),
        ("partner.create", "rvd (Dienst RVD)"),
    ]
    about_sdv = [(e["action"], e["summary"]) for e in log(run, "--partner", "sdv")]
    assert [action for action, _ in about_sdv] == [
        "partner.flag",
        "consent.revoke",
        "consent.record",
        "item.create",
        "partner.create",
    ]
    assert about_sdv[0][1] == "sdv: Berichten over inmenging."
    assert [e["action"] for e in log(run, "--partner", "sdv", "--entity", "consent")] == [
        "consent.record"
    ]


def test_by_a_person_and_in_a_period(run: Run, trail: Location) -> None:
    assert [e["actor"] for e in log(run, "--actor", "BOB")] == ["bob", "bob"]
    everything = log(run)
    third = datetime.fromisoformat(everything[-3]["at"])
    since = (third - timedelta(microseconds=1)).isoformat()
    assert [e["seq"] for e in log(run, "--since", since)] == [e["seq"] for e in everything[:-2]]
    assert log(run, "--until", "2020-01-01") == []
    assert [e["seq"] for e in log(run, "--since", since, "--limit", "2")] == [
        e["seq"] for e in everything[:2]
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--partner", "nope"],
            "Error: No partner 'nope'. Known: rvd, sdv. See `wegings partners`.\n",
        ),
        (
            ["--since", "2026-12-07", "--until", "2026-12-06"],
            "Error: --until 2026-12-06 lies before --since 2026-12-07.\n",
        ),
        (["--since", "20261207"], None),
        (["--actor", " "], "Error: --actor is empty; give a login.\n"),
        (["--entity", "nope"], None),
    ],
)
def test_bad_filters_are_one_line(
    run: Run, trail: Location, args: list[str], message: str | None
) -> None:
    result = run("audit", "log", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    if message is not None:
        assert result.stderr == message


def test_a_piped_table_breaks_no_word(run: Run, trail: Location) -> None:
    lines = run("audit", "log").stdout.splitlines()
    row = next(line for line in lines if "consent.revoke" in line)
    assert "consent #1: Brief van 3 december." in row


def test_every_kind_of_event_has_a_summary() -> None:
    names = Names()
    for entity in AUDITED:
        event = LoggedEvent(
            seq=1,
            at=datetime(2026, 1, 1),
            actor="a",
            os_login=None,
            action=f"{entity}.x",
            entity=entity,
            entity_id="1",
            change={"reason": "r", "role": "dg", "login": "l", "short": "s", "key": "k"},
            prev_hash="",
            hash="",
        )
        assert summary(event, names), entity
