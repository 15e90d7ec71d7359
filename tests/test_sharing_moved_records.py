"""Records moved to another owner behind wegings' back never stop counting for the first."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Run, add_partner, sql

DEMO = Path(__file__).parent / "data"


def test_an_item_correction_moved_to_another_item_is_an_error(run: Run, db_path: Path) -> None:
    add_partner(run, "smi")
    assert run("score", "smi", "--answers", str(DEMO / "smi-verhoogd.toml")).exit_code == 0
    established = run("--as", "minister.bz", "establish", "smi", "--role", "minister")
    assert established.exit_code == 0, established.output
    assert run("new-item", "S2", "--originator", "self").exit_code == 0
    corrected = run("correct-item", "S2", "--personal-data", "--reason", "Toch persoonsgegevens")
    assert corrected.exit_code == 0, corrected.output
    assert run("can-share", "S2", "--to", "smi").exit_code == 3
    sql(db_path, "UPDATE item_correction SET item_id = 999")
    events = sql(db_path, "SELECT count(*) FROM audit_event")
    result = run("can-share", "S2", "--to", "smi")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "Error: Correction #1 of item self/S2 of its audit event no longer exists — it was "
        "deleted outside wegings; run `wegings audit verify`.\n"
    )
    shared = run("share", "S2", "--to", "smi", "--reliability", "B2", "--age", "2026")
    assert shared.exit_code == 2, shared.output
    assert sql(db_path, "SELECT count(*) FROM audit_event") == events
