"""Records moved to another owner behind wegings' back never stop counting for the first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run, add_partner, sql
from wegings.config import Location

DEMO = Path(__file__).parent / "data"


@pytest.mark.sqlite_only(
    reason="PostgreSQL enforces the foreign key: a correction cannot point at a missing item there"
)
def test_an_item_correction_moved_to_another_item_is_an_error(run: Run, location: Location) -> None:
    add_partner(run, "smi")
    assert run("score", "smi", "--answers", str(DEMO / "smi-verhoogd.toml")).exit_code == 0
    established = run("--as", "minister.bz", "establish", "smi", "--role", "minister")
    assert established.exit_code == 0, established.output
    assert run("new-item", "S2", "--originator", "self").exit_code == 0
    corrected = run("correct-item", "S2", "--personal-data", "--reason", "Toch persoonsgegevens")
    assert corrected.exit_code == 0, corrected.output
    assert run("can-share", "S2", "--to", "smi").exit_code == 3
    sql(location, "UPDATE item_correction SET item_id = 999")
    events = sql(location, "SELECT count(*) FROM audit_event")
    result = run("can-share", "S2", "--to", "smi")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "Error: Correction #1 of item self/S2 of its audit event no longer exists — it was "
        "deleted outside wegings; run `wegings audit verify`.\n"
    )
    shared = run("share", "S2", "--to", "smi", "--reliability", "B2", "--age", "2026")
    assert shared.exit_code == 2, shared.output
    assert sql(location, "SELECT count(*) FROM audit_event") == events


def test_an_empty_as_of_is_refused_not_taken_as_now(run: Run) -> None:
    add_partner(run, "smi")
    assert run("new-item", "S2", "--originator", "self").exit_code == 0
    result = run("can-share", "S2", "--to", "smi", "--as-of", "")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: --as-of '' ")


def test_ids_beyond_any_record_name_no_record(run: Run, location: Location) -> None:
    add_partner(run, "smi")
    events = sql(location, "SELECT count(*) FROM audit_event")
    huge = "99999999999999999999999"
    for command, message in (
        (("revoke", huge), f"Error: No consent #{huge}. See `wegings consents`.\n"),
        (("revoke-permission", huge),
         f"Error: No permission #{huge}. See `wegings permissions`.\n"),
        (("retract-flag", huge), f"Error: No flag {huge}. A partner's flags and their ids are in "
                                 "`wegings show PARTNER --json`.\n"),
    ):  # fmt: skip
        result = run(*command, "--reason", "x")
        assert result.exit_code != 0, result.output
        assert result.stderr == message
    assert sql(location, "SELECT count(*) FROM audit_event") == events
