"""can-share --hindsight through the CLI: replay keeps what was on record, hindsight what is now."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Run, sql
from tests.test_cli_sharing import db as db
from wegings.config import Location
from wegings.store.audit import record_change
from wegings.store.engine import recorded_now, session_scope
from wegings.store.models import ItemCorrection
from wegings.timeutil import iso, utcnow


def correct_item(location: Location, item_id: int, *, personal_data: bool) -> None:
    """Record an item correction now, as `correct-item` will."""
    with session_scope(location, write=True) as session:
        now = recorded_now(session)
        row = ItemCorrection(
            item_id=item_id,
            personal_data=personal_data,
            reason="Correctie",
            recorded_at=now,
            recorded_by="analist",
        )
        record_change(session, actor="analist", action="item.correct", record=row, now=now)


@pytest.fixture
def corrected(db: Location) -> str:
    """self/AIVD-1 (#2) corrected to hold no personal data; the moment before, as ISO text."""
    before = iso(utcnow())
    assert before is not None
    correct_item(db, 2, personal_data=False)
    assert sql(db, "SELECT count(*) FROM item_correction")[0][0] == 1
    return before


def test_hindsight_judges_the_moment_with_the_correction(run: Run, corrected: str) -> None:
    replay = run("can-share", "AIVD-1", "--to", "smi", "--as-of", corrected, "--json")
    assert replay.exit_code == 3, replay.stderr
    replayed = json.loads(replay.stdout)
    assert "hindsight" not in replayed
    assert "known_at" not in replayed
    hindsight = run(
        "can-share", "AIVD-1", "--to", "smi", "--as-of", corrected, "--hindsight", "--json"
    )
    assert hindsight.exit_code == 0, hindsight.output
    data = json.loads(hindsight.stdout)
    assert data["hindsight"] is True
    assert data["as_of"] == corrected
    assert data["known_at"] > corrected
    assert data["decision"] == "allowed"
    table = run("can-share", "AIVD-1", "--to", "smi", "--as-of", corrected, "--hindsight")
    assert table.exit_code == 0
    assert "Hindsight" in table.stdout
    assert "judged with everything on record now" in table.stdout
    assert run("can-share", "AIVD-1", "--to", "smi").exit_code == 0


def test_hindsight_needs_as_of_and_excludes_basis(run: Run, corrected: str) -> None:
    alone = run("can-share", "AIVD-1", "--to", "smi", "--hindsight")
    assert alone.exit_code == 2
    assert alone.stderr == (
        "Error: --hindsight judges a past moment with what is on record now; give that moment "
        "with --as-of.\n"
    )
    basis = json.loads(run("can-share", "AIVD-1", "--to", "smi", "--json").stdout)["basis"]
    both = run(
        "can-share", "AIVD-1", "--to", "smi", "--as-of", corrected, "--hindsight",
        "--basis", basis,
    )  # fmt: skip
    assert both.exit_code == 2
    assert both.stderr == (
        "Error: --hindsight judges with everything on record now and --basis with what was on "
        "record at a decision's basis: give one of them.\n"
    )
    in_batch = run("can-share", "--batch", "-", "--hindsight", input="item,to\n")
    assert in_batch.exit_code == 2
    assert in_batch.stderr == (
        "Error: --batch takes every field from the file; leave out --hindsight.\n"
    )


def test_batch_rows_can_ask_for_hindsight(run: Run, corrected: str) -> None:
    lines = (
        f'{{"item": "AIVD-1", "to": "smi", "as_of": "{corrected}"}}\n'
        f'{{"item": "AIVD-1", "to": "smi", "as_of": "{corrected}", "hindsight": true}}\n'
        f'{{"item": "AIVD-1", "to": "smi", "as_of": "{corrected}", "hindsight": false}}\n'
        '{"item": "AIVD-1", "to": "smi", "hindsight": true}\n'
        f'{{"item": "AIVD-1", "to": "smi", "as_of": "{corrected}", "hindsight": "ja"}}\n'
    )
    result = run("can-share", "--batch", "-", "--json", input=lines)
    assert result.exit_code == 2
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["decision"], a.get("hindsight"), a["error"]) for a in answers] == [
        ("needs_permission", None, None),
        ("allowed", True, None),
        ("needs_permission", None, None),
        (
            "error",
            None,
            "Row 4: field 'hindsight' judges a past moment with what is on record now; give "
            "that moment in 'as_of'.",
        ),
        ("error", None, "Row 5: field 'hindsight' must be true or false, not 'ja'."),
    ]
    csv = run(
        "can-share", "--batch", "-",
        input=f"item,to,as_of,hindsight\nAIVD-1,smi,{corrected},true\nAIVD-1,smi,{corrected},\n",
    )  # fmt: skip
    assert csv.exit_code == 3
    assert [line.split()[1] for line in csv.stdout.splitlines()[1:]] == [
        "allowed",
        "needs_permission",
    ]
