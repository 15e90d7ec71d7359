"""`--csv` on every list: the rows of `--json` as a spreadsheet opens them (UTF-8 with a BOM,
semicolons), read back by Python's csv, safe from formulas, and a register's lists import again."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run
from tests.sharing_world import add_item, world
from wegings.cli.output import csv_cell
from wegings.config import Location
from wegings.timeutil import utcnow

LISTS = [
    ["partners"],
    ["groups"],
    ["items"],
    ["consents"],
    ["permissions"],
    ["transfers"],
    ["due"],
    ["people"],
    ["history", "rvd"],
    ["audit", "log"],
]


@pytest.fixture
def db(location: Location, migrated_db: Location, run: Run) -> Location:
    base = utcnow() - timedelta(days=1)
    world(location, base)
    add_item(location, "RVD-1", "rvd", now=base + timedelta(hours=1), tags=["ct"])
    add_item(location, "AIVD-1", "self", now=base + timedelta(hours=1), personal_data=True)
    steps = [
        ("consent", "RVD-1", "--to", "smi", "--until", "2030-01-01",
         "--condition", "Alleen voor CT, niet verder", "--condition", "Bron beschermen"),
        ("share", "AIVD-1", "--to", "rvd", "--reliability", "B2", "--age", "Oktober 2025"),
        ("edit-partner", "rvd", "--notes", "=HYPERLINK(\"http://x\")", "--reason", "Test."),
        ("edit-partner", "smi", "--notes", "'=x, as typed", "--reason", "Test."),
    ]  # fmt: skip
    for args in steps:
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
    return location


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.mark.parametrize("args", LISTS, ids=" ".join)
def test_the_csv_is_the_json(run: Run, db: Location, args: list[str]) -> None:
    as_json = run(*args, "--json")
    assert as_json.exit_code == 0, as_json.output
    rows: list[dict[str, Any]] = json.loads(as_json.stdout)
    as_csv = run(*args, "--csv")
    assert as_csv.exit_code == 0, as_csv.output
    assert read_csv(as_csv.stdout_bytes) == [
        {key: csv_cell(value) for key, value in row.items()} for row in rows
    ]
    both = run(*args, "--json", "--csv")
    assert (both.exit_code, both.stdout) == (2, "")
    assert both.stderr == "Error: Give --json or --csv, not both.\n"


def test_cells_are_what_a_person_reads_and_never_a_formula(run: Run, db: Location) -> None:
    (rvd,) = [r for r in read_csv(run("partners", "--csv").stdout_bytes) if r["short"] == "rvd"]
    assert rvd["notes"] == '\'=HYPERLINK("http://x")'
    (consent,) = read_csv(run("consents", "--csv").stdout_bytes)
    assert consent["conditions"] == "Alleen voor CT, niet verder | Bron beschermen"
    assert [csv_cell(v) for v in (None, True, 3, "-1+1", "@x", "a\tb", ["a", None])] == [
        "", "true", "3", "'-1+1", "'@x", "a\tb", "a | ",
    ]  # fmt: skip
    # An apostrophe of the text itself before such a start, or before another, is kept
    # apart from the one --csv adds, so that an import takes off only the added one.
    assert [csv_cell(v) for v in ("'=x", "''y", "'t Hooft")] == ["''=x", "'''y", "'t Hooft"]


def test_a_register_exported_as_csv_imports_into_another(
    run: Run, db: Location, tmp_path: Path
) -> None:
    partners, items = tmp_path / "partners.csv", tmp_path / "items.csv"
    partners.write_bytes(run("partners", "--csv").stdout_bytes)
    items.write_bytes(run("items", "--csv").stdout_bytes)
    other = tmp_path / "other.db"
    for kind, source in (("partners", partners), ("items", items)):
        result = run("import", kind, str(source), db=other)
        assert result.exit_code == 0, result.output

    def listed(*args: str, db: Path | None = None) -> list[dict[str, Any]]:
        result = run(*args, "--json") if db is None else run(*args, "--json", db=db)
        rows: list[dict[str, Any]] = json.loads(result.stdout)
        return rows

    def register(rows: list[dict[str, Any]], drop: set[str]) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k not in drop} for row in rows]

    assert register(listed("partners", db=other), {"created_at", "created_by"}) == register(
        listed("partners"), {"created_at", "created_by"}
    )
    assert register(listed("items", db=other), {"recorded_at", "recorded_by"}) == register(
        listed("items"), {"recorded_at", "recorded_by"}
    )
