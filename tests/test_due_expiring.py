"""`wegings due` lists the consents and permissions that end within its window, with the
partner they concern (a consent: its originator, who must renew it; a permission: its
recipient), beside notes whose review is near."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Run
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.notes.attention import Attention, attention, expiring, with_expiring
from wegings.timeutil import local_day, utcnow

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def consent(id_: int, until: str | None, status: str = "valid", **extra: Any) -> dict[str, Any]:
    record = {"id": id_, "originator": "rvd", "holder": "self", "recipient": "smi",
              "item": "rvd/R-1", "tag": None, "valid_until": until, "status": status}  # fmt: skip
    return record | extra


def test_only_what_is_valid_and_ends_within_the_window() -> None:
    found = expiring(
        [
            consent(1, "2026-12-16T22:59:59.999999Z"),  # in 10 days
            consent(2, "2027-06-30T21:59:59.999999Z"),  # beyond the window
            consent(3, "2026-12-10T22:59:59.999999Z", status="revoked"),
            consent(4, "2026-12-01T22:59:59.999999Z", status="expired"),
            consent(5, None),  # no end
            consent(6, "2026-12-08T22:59:59.999999Z", originator="self", holder="bsv"),
        ],
        [
            {
                "id": 9,
                "recipient": "ctg",
                "role": "minister",
                "item": "self/A-1",
                "valid_until": "2026-12-07T22:59:59.999999Z",
                "status": "valid",
            }
        ],
        now=NOW,
        within_days=30,
    )
    assert {handle: [(r["kind"], r["id"], r["days_left"]) for r in rows]
            for handle, rows in found.items()} == {
        "rvd": [("consent", 1, 10)],
        "bsv": [("consent", 6, 2)],
        "ctg": [("permission", 9, 1)],
    }  # fmt: skip
    assert found["rvd"][0]["reason"] == (
        "consent #1 of rvd to pass item rvd/R-1 to smi ends on 16 December 2026 (in 10 days)"
    )
    assert found["ctg"][0]["reason"] == (
        "permission #9 of the minister for item self/A-1 ends on 7 December 2026 (in 1 day)"
    )
    assert expiring([consent(1, "2026-12-16T22:59:59.999999Z")], [], now=NOW, within_days=9) == {}


def test_a_partners_own_in_its_row_a_groups_in_a_row_of_its_own() -> None:
    reasons = ["review of v1 due in 40 days"]
    row = {"partner": "rvd", "name": "R", "version": 1, "status": "established",
           "review_due": None, "days_left": 40, "reasons": reasons, "expiring": []}  # fmt: skip
    ending = {
        "rvd": [{"days_left": 3, "reason": "of rvd"}],  # in rvd's row already (`attention`)
        "ctg": [{"days_left": 5, "reason": "to the group"}],
    }
    merged = with_expiring([row], ending, {"ctg": "Counter Terrorist Group"})
    assert [(r["partner"], r["name"], r["reasons"]) for r in merged] == [
        ("rvd", "R", ["review of v1 due in 40 days"]),
        ("ctg", "Counter Terrorist Group", ["to the group"]),
    ]


def test_what_ends_soon_is_a_reason_of_its_rank_and_orders_by_days() -> None:
    soon = [{"days_left": 2, "reason": "consent #1 ends"}]
    found: Attention[Any] | None = attention([], [], now=NOW, within_days=30, ending=soon)
    assert found is not None
    assert (found.rank, found.reasons, found.sort_days) == (
        3, ("no established note", "consent #1 ends"), None,
    )  # fmt: skip
    assert [dict(record) for record in found.expiring] == soon


@pytest.fixture
def db(location: Location, migrated_db: Location, run: Run) -> Location:
    base = utcnow() - timedelta(days=1)
    world(location, base)
    add_item(location, "RVD-1", "rvd", now=base + timedelta(hours=1))
    soon = (local_day(utcnow()) + timedelta(days=12)).isoformat()
    later = (local_day(utcnow()) + timedelta(days=200)).isoformat()
    for args in [
        ("consent", "RVD-1", "--to", "smi", "--until", soon),
        ("consent", "RVD-1", "--to", "bsv", "--until", later),
    ]:
        result = run(*args)
        assert result.exit_code == 0, result.output
    return location


def test_due_lists_what_ends_soon(run: Run, db: Location) -> None:
    result = run("due", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    (rvd,) = [row for row in rows if row["partner"] == "rvd"]
    assert [(r["kind"], r["id"], r["days_left"]) for r in rvd["expiring"]] == [("consent", 1, 12)]
    assert rvd["reasons"][-1].startswith("consent #1 of rvd to pass item rvd/RVD-1 to smi ends on ")
    wider = json.loads(run("due", "--within", "365", "--json").stdout)
    (rvd,) = [row for row in wider if row["partner"] == "rvd"]
    assert [r["id"] for r in rvd["expiring"]] == [1, 2]
    table = run("due").stdout
    assert "consent #1 of rvd" in table


def test_the_window_counts_days_in_the_hague() -> None:
    today = consent(1, "2026-12-06T22:59:59.999999Z")  # the end of today in The Hague
    last_day = consent(2, "2026-12-16T22:59:59.999999Z")  # the end of the tenth day from now
    found = expiring([today, last_day], [], now=NOW, within_days=0)
    assert [(r["id"], r["days_left"]) for r in found["rvd"]] == [(1, 0)]
    assert found["rvd"][0]["reason"].endswith("ends on 6 December 2026 (today)")
    found = expiring([today, last_day], [], now=NOW, within_days=10)
    assert [(r["id"], r["days_left"]) for r in found["rvd"]] == [(1, 0), (2, 10)]
    ours = consent(3, "2026-12-07T22:59:59.999999Z", originator="self", holder="bsv")
    (record,) = expiring([ours], [], now=NOW, within_days=5)["bsv"]
    assert record["reason"] == (
        "consent #3 of ours for bsv to pass item rvd/R-1 to smi ends on 7 December 2026 (in 1 day)"
    )


def test_a_partner_whose_only_concern_ends_soon_shows_its_note(run: Run, db: Location) -> None:
    rows = json.loads(run("due", "--json").stdout)
    (rvd,) = [row for row in rows if row["partner"] == "rvd"]
    assert (rvd["version"], rvd["status"]) == (1, "established")
    assert rvd["reasons"] == [r["reason"] for r in rvd["expiring"]]
    partners = [row["partner"] for row in rows]
    assert partners.index("rvd") > partners.index("bsv")  # flagged, no note: more urgent
