"""correct-item and show-item through the CLI, and the one pure function for an item's current
values. A correction is a new record; a refused one writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Run, sql
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.sharing.items import current_values
from wegings.store.models import Item, ItemCorrection
from wegings.timeutil import utcnow

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(location: Location, migrated_db: Location) -> Location:
    """rvd, smi (verhoogd), bsv; an evaluated item from rvd tagged ct, one of our own."""
    base = utcnow() - timedelta(days=1)
    world(location, base)
    add_item(location, "RVD-1", "rvd", now=base + timedelta(hours=1), tags=["ct"])
    add_item(location, "AIVD-1", "self", now=base + timedelta(hours=1))
    return location


def events(db: Location) -> int:
    (count,) = sql(db, "SELECT count(*) FROM audit_event")[0]
    assert isinstance(count, int)
    return count


def refused(run: Run, db: Location, *args: str, code: int, message: str) -> None:
    """The command is refused with exactly `message` and writes no audit event."""
    before = events(db)
    result = run(*args)
    assert (result.exit_code, result.stderr, result.stdout) == (code, f"Error: {message}\n", "")
    assert events(db) == before


def json_of(run: Run, *args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- pure


def _item(**values: Any) -> Item:
    base: dict[str, Any] = {
        "id": 1,
        "ref": "R",
        "originator": "rvd",
        "received_from": "rvd",
        "received_on": date(2026, 1, 5),
        "personal_data": False,
        "unevaluated": False,
        "classification": "",
        "subject": "Oud",
        "recorded_at": T0,
        "recorded_by": "tester",
    }
    return Item(**{**base, **values})


def _correction(number: int, minutes: int, **values: Any) -> ItemCorrection:
    base: dict[str, Any] = {"item_id": 1, "reason": "Fout", "recorded_by": "tester"}
    for key in ("add_tags", "remove_tags"):
        values[key] = json.dumps(values.get(key, []))
    return ItemCorrection(
        id=number, recorded_at=T0 + timedelta(minutes=minutes), **{**base, **values}
    )


def test_current_values_apply_the_corrections_in_recorded_order() -> None:
    item = _item()
    assert current_values(item, ["ct"], []).personal_data is False
    later = _correction(2, 20, personal_data=False, subject="Nieuw", add_tags=["x"])
    earlier = _correction(1, 10, personal_data=True, classification="Stg. Geheim",
                          remove_tags=["ct"])  # fmt: skip
    values = current_values(item, ["ct"], [later, earlier])
    assert values.personal_data is False  # the later correction wins
    assert (values.classification, values.subject, values.tags) == ("Stg. Geheim", "Nieuw", ("x",))
    assert current_values(item, ["ct"], [earlier]).tags == ()


# --------------------------------------------------------------------------- correct-item


def test_correct_item_records_one_correction_shown_in_items(run: Run, db: Location) -> None:
    before = events(db)
    result = run(
        "--as", "j.jansen", "correct-item", "RVD-1", "--personal-data", "--add-tag", "Cyber",
        "--remove-tag", "ct", "--subject", "Reisbewegingen", "--reason", "Bevat namen.",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == "1\n"
    assert result.stderr == (
        "Recorded correction #1 of item rvd/RVD-1: now personal data, tags cyber. Checks as of "
        "before now keep the old values; see `wegings show-item rvd/RVD-1`.\n"
    )
    assert events(db) == before + 1
    [row] = [i for i in json_of(run, "items") if i["handle"] == "rvd/RVD-1"]
    assert (row["personal_data"], row["unevaluated"], row["tags"], row["subject"]) == (
        True,
        False,
        ["cyber"],
        "Reisbewegingen",
    )
    assert row["corrections"] == 1
    assert [i["handle"] for i in json_of(run, "items", "--tag", "cyber")] == ["rvd/RVD-1"]
    assert json_of(run, "items", "--tag", "ct") == []
    table = run("items", "--originator", "rvd")
    assert "personal" in table.stdout
    assert "(corrected)" in table.stdout
    # The registration itself is untouched.
    assert sql(db, "SELECT personal_data, subject FROM item WHERE ref = 'RVD-1'") == [(0, "")]


def test_show_item_gives_the_history(run: Run, db: Location) -> None:
    assert run("correct-item", "RVD-1", "--personal-data", "--reason", "Namen.").exit_code == 0
    second = run(
        "--as", "k.klaas", "correct-item", "RVD-1", "--no-personal-data",
        "--classification", "Confidentieel", "--reason", "Toch niet.",
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    data = json_of(run, "show-item", "rvd/RVD-1")
    assert (data["personal_data"], data["classification"]) == (False, "Confidentieel")
    history = data["history"]
    assert [(h["id"], h["recorded_by"], h["reason"]) for h in history] == [
        (1, "tester", "Namen."),
        (2, "k.klaas", "Toch niet."),
    ]
    assert history[0]["changes"] == {"personal_data": {"from": False, "to": True}}
    assert history[1]["changes"] == {
        "personal_data": {"from": True, "to": False},
        "classification": {"from": "", "to": "Confidentieel"},
    }
    table = run("show-item", "RVD-1")
    assert table.exit_code == 0
    assert "personal data: no → yes" in table.stdout
    assert "classification: (empty) → 'Confidentieel'" in table.stdout
    plain = run("show-item", "AIVD-1")
    assert plain.exit_code == 0
    assert plain.stderr == "No corrections. Correct it with `wegings correct-item self/AIVD-1`.\n"


def test_correct_item_refusals_write_nothing(run: Run, db: Location) -> None:
    fix = ("correct-item", "RVD-1")
    reason = ("--reason", "Fout")
    refused(
        run, db, *fix, *reason, code=2,
        message="Nothing to correct: give --personal-data/--no-personal-data, "
        "--unevaluated/--no-unevaluated, --classification, --subject, --add-tag or --remove-tag.",
    )  # fmt: skip
    refused(
        run, db, *fix, "--no-personal-data", *reason, code=1,
        message="Item rvd/RVD-1 holds no personal data already; nothing to correct there.",
    )  # fmt: skip
    refused(
        run, db, *fix, "--no-unevaluated", *reason, code=1,
        message="Item rvd/RVD-1 is evaluated already; nothing to correct there.",
    )  # fmt: skip
    refused(
        run, db, *fix, "--classification", "", *reason, code=1,
        message="Item rvd/RVD-1 has the classification '' already; nothing to correct there.",
    )  # fmt: skip
    refused(
        run, db, *fix, "--add-tag", "CT", *reason, code=1,
        message="Item rvd/RVD-1 has the tag 'ct' already.",
    )  # fmt: skip
    refused(
        run, db, *fix, "--remove-tag", "cyber", *reason, code=1,
        message="Item rvd/RVD-1 has no tag 'cyber' to remove (its tags: ct).",
    )  # fmt: skip
    refused(
        run, db, *fix, "--add-tag", "x", "--remove-tag", "x", *reason, code=2,
        message="Tag 'x' is both added and removed; give it once.",
    )  # fmt: skip
    refused(
        run, db, *fix, "--add-tag", "no spaces", *reason, code=2,
        message="Tag 'no spaces' must be 1–40 characters: a letter or digit, then letters, "
        "digits, '_', '.', ':' or '-'.",
    )  # fmt: skip
    refused(
        run, db, "correct-item", "RVD-9", "--personal-data", *reason, code=2,
        message="No item 'RVD-9'. See `wegings items`.",
    )  # fmt: skip
    missing_reason = run(*fix, "--personal-data")
    assert missing_reason.exit_code == 2
    assert "--reason" in missing_reason.stderr


def test_a_correction_holds_in_hindsight_but_not_in_replay(run: Run, db: Location) -> None:
    """Our own evaluated item to smi (verhoogd): allowed; corrected to personal data it needs a
    permission from now on; as of before the correction the old answer stands."""

    def decision(*args: str) -> str:
        result = run("can-share", "AIVD-1", "--to", "smi", *args, "--json")
        assert result.exit_code in (0, 1, 3), result.output
        return str(json.loads(result.stdout)["decision"])

    moment = json_of(run, "can-share", "AIVD-1", "--to", "smi")["as_of"]
    assert decision() == "allowed"
    assert run("correct-item", "AIVD-1", "--personal-data", "--reason", "Namen.").exit_code == 0
    assert decision() == "needs_permission"
    assert decision("--as-of", moment) == "allowed"
    assert decision("--as-of", moment, "--hindsight") == "needs_permission"


# --------------------------------------------------------------------------- late letters


def test_a_late_letter_is_recorded_and_counts_only_in_hindsight(run: Run, db: Location) -> None:
    """A consent for rvd's item to smi whose window began last week: recorded with a note; the
    check as of before its recording still denies, in hindsight it is counted."""
    start = (utcnow() - timedelta(days=7)).date().isoformat()
    end = (utcnow() + timedelta(days=30)).date().isoformat()
    earlier = json_of(run, "can-share", "RVD-1", "--to", "rvd")["as_of"]
    before = events(db)
    result = run("consent", "RVD-1", "--to", "smi", "--from", start, "--until", end)
    assert result.exit_code == 0, result.output
    assert events(db) == before + 1
    number = result.stdout.strip()
    assert result.stderr.splitlines()[1] == (
        f"Note: consent #{number} is recorded late (its window starts {start} 00:00, before "
        "now). It is on record only from now: `can-share --as-of` an earlier moment does not "
        "count it; `--hindsight` does."
    )

    def reasons(*args: str) -> list[str]:
        answer = run("can-share", "RVD-1", "--to", "smi", *args, "--json")
        assert answer.exit_code in (0, 1, 3), answer.output
        return [r["code"] for r in json.loads(answer.stdout)["reasons"]]

    assert "no_consent" in reasons("--as-of", earlier)
    assert "no_consent" not in reasons("--as-of", earlier, "--hindsight")
    assert "no_consent" not in reasons()


def test_a_window_wholly_in_the_past_needs_its_start(run: Run, db: Location) -> None:
    past = (utcnow() - timedelta(days=3)).date()
    ended = run(
        "consent", "RVD-1", "--to", "smi", "--from", (past - timedelta(days=30)).isoformat(),
        "--until", past.isoformat(),
    )  # fmt: skip
    assert ended.exit_code == 0, ended.output
    assert "is recorded late" in ended.stderr
    [row] = [c for c in json_of(run, "consents") if c["id"] == int(ended.stdout)]
    assert row["status"] == "expired"
    refused(
        run, db, "consent", "RVD-1", "--to", "smi", "--until", past.isoformat(), code=2,
        message=f"--until {past.isoformat()} 23:59 lies in the past: for a letter recorded late, "
        "give the start of its window with --from DATE.",
    )  # fmt: skip
