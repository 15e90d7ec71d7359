"""`wegings import partners|items|consents FILE`: a register onboarded from CSV or Excel, checked
row by row with the single commands' rules, all or nothing."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import Run, sql
from tests.people_world import as_, events, register_team
from wegings.config import Location
from wegings.sheets import cell_text, column_name

PARTNERS = (
    "\ufeffname;short;country;kind;groups;notes\r\n"
    "Binnenlandse Voorbeelddienst;bvd;BE;civil;CTG, club-de-berne;Eerste partner\r\n"
    "Rijksveiligheidsdienst;rvd;DE;civil;CTG;\r\n"
)


@pytest.fixture
def db(location: Location, migrated_db: Location) -> Location:
    return location


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def workbook(tmp_path: Path, name: str, rows: list[list[object]]) -> str:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return str(path)


def test_partners_from_dutch_excel_csv(run: Run, db: Location, tmp_path: Path) -> None:
    source = write(tmp_path, "partners.csv", PARTNERS)
    result = run("import", "partners", source)
    assert result.exit_code == 0, result.output
    assert result.stdout == "bvd\nrvd\n"
    assert result.stderr == f"Imported 2 partners from {source}.\n"
    listed = json.loads(run("partners", "--json").stdout)
    assert [(p["short"], p["name"], p["country"], p["groups"]) for p in listed] == [
        ("bvd", "Binnenlandse Voorbeelddienst", "BE", ["club-de-berne", "CTG"]),
        ("rvd", "Rijksveiligheidsdienst", "DE", ["CTG"]),
    ]
    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output
    actors = {row[0] for row in sql(db, "SELECT DISTINCT actor FROM audit_event")}
    assert actors == {"tester"}


def test_a_bad_row_writes_nothing_and_every_problem_is_named(
    run: Run, db: Location, tmp_path: Path
) -> None:
    assert run("import", "partners", write(tmp_path, "first.csv", PARTNERS)).exit_code == 0
    before = events(db)
    source = write(
        tmp_path,
        "bad.csv",
        "name,short,country,kind\n"
        "Goede Dienst,gd,NL,civil\n"
        "Dubbel,bvd,BE,civil\n"
        "\n"
        "Onbekend land,ol,QQ,civil\n"
        ",leeg,NL,civil\n"
        "Nog een,gd,NL,military\n",
    )
    result = run("import", "partners", source)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {source}: 4 of 5 rows cannot be imported; nothing was written.",
        "  row 3: A partner with handle 'bvd' exists already; handles are unique. See "
        "`wegings show bvd`.",
        "  row 5: Unknown country code 'QQ': give an ISO 3166-1 alpha-2 code such as DE or FR "
        "(XA–XZ for fictitious partners).",
        "  row 6: name is empty.",
        "  row 7: A partner with handle 'gd' exists already; handles are unique. See "
        "`wegings show gd`.",
    ]
    assert events(db) == before
    assert [p["short"] for p in json.loads(run("partners", "--json").stdout)] == ["bvd", "rvd"]


def test_a_dry_run_checks_and_writes_nothing(run: Run, db: Location, tmp_path: Path) -> None:
    before = events(db)
    source = write(tmp_path, "partners.csv", PARTNERS)
    result = run("import", "partners", source, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "kind": "partners",
        "source": source,
        "dry_run": True,
        "rows": 2,
        "imported": [],
    }
    assert result.stderr == (
        f"Checked 2 partners in {source}: every row can be imported; nothing was written "
        "(--dry-run).\n"
    )
    assert events(db) == before
    bad = write(tmp_path, "bad.csv", "name,short,country,kind\nX,x1,NL,spy\n")
    refused = run("import", "partners", bad, "--dry-run")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[1] == (
        "  row 2: Unknown kind 'spy'; choose one of civil, military, sigint, combined."
    )


def test_items_and_consents_from_workbooks(run: Run, db: Location, tmp_path: Path) -> None:
    assert run("import", "partners", write(tmp_path, "p.csv", PARTNERS)).exit_code == 0
    items = workbook(
        tmp_path,
        "items.xlsx",
        [
            ["Ref", "Originator", "Received-From", "Date", "Personal data", "Unevaluated", "Tag"],
            ["BVD-2026-1", "bvd", "bvd", date(2026, 11, 2), True, None, "ct"],
            ["BVD-2026-2", "bvd", "rvd", datetime(2026, 11, 3), "nee", "ja", "ct; prolif"],
            [2026, "self", None, None, "x", 0, None],
        ],
    )
    result = run("import", "items", items, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imported"] == [
        {"row": 2, "handle": "bvd/BVD-2026-1"},
        {"row": 3, "handle": "bvd/BVD-2026-2"},
        {"row": 4, "handle": "self/2026"},
    ]
    shown = json.loads(run("show-item", "bvd/BVD-2026-2", "--json").stdout)
    assert (shown["received_from"], shown["received_on"]) == ("rvd", "2026-11-03")
    assert (shown["personal_data"], shown["unevaluated"]) == (False, True)
    assert sorted(shown["tags"]) == ["ct", "prolif"]
    consents = workbook(
        tmp_path,
        "consents.xlsx",
        [
            ["item", "to", "until", "conditions", "reference"],
            ["bvd/BVD-2026-1", "rvd", date(2027, 6, 30), "Alleen CT | Niet verder", "BVD/123"],
        ],
    )
    result = run("import", "consents", consents)
    assert result.exit_code == 0, result.output
    (consent_id,) = result.stdout.split()
    listed = json.loads(run("consents", "--json").stdout)
    (consent,) = [c for c in listed if str(c["id"]) == consent_id]
    assert consent["conditions"] == ["Alleen CT", "Niet verder"]
    assert consent["recipient"] == "rvd"
    check = run("can-share", "bvd/BVD-2026-1", "--to", "rvd", "--json")
    assert json.loads(check.stdout)["reasons"][0]["code"] != "no_consent"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.csv", "name,short,colour\n", "x.csv: the header names an unknown column 'colour'; "),
        ("x.csv", "name,name\n", "x.csv: the header names the column 'name' twice."),
        ("x.csv", "", "x.csv is empty; give a header row and one row per record."),
        ("x.csv", "name,short,country,kind\n", "x.csv has a header but no rows."),
        ("x.csv", "name,short\nA,a\n", "x.csv: the header lacks the column 'country'; "),
        (
            "x.csv",
            "name,short,country,kind\nA,a,NL,civil,extra\n",
            "x.csv: row 2 has a value under no column name ('extra'); name every column in the "
            "header row.",
        ),
        ("x.xlsx", "not a zip", "x.xlsx is not an Excel workbook (.xlsx) that can be read"),
        ("x.pdf", "", "'"),
        ("x.csv", "name,short\n\x00\n", "x.csv holds a NUL character"),
    ],
)
def test_files_that_cannot_be_imported_are_one_line(
    run: Run, db: Location, tmp_path: Path, name: str, content: str, message: str
) -> None:
    before = events(db)
    source = write(tmp_path, name, content)
    result = run("import", "partners", source)
    assert result.exit_code == 2
    expected = message.replace(name, source, 1) if message != "'" else f"'{source}' is neither"
    assert result.stderr.startswith(f"Error: {expected}")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert events(db) == before


def test_a_file_that_is_not_utf8_or_not_there(run: Run, db: Location, tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,short,country,kind\nCafé,cafe,FR,civil\n".encode("latin-1"))
    result = run("import", "partners", str(latin))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {latin} is not UTF-8 text (byte 28); save it as CSV UTF-8.\n"
    missing = run("import", "partners", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2
    assert (
        missing.stderr
        == f"Error: Cannot read {tmp_path / 'nope.csv'}: No such file or directory.\n"
    )


def test_stdin_and_hostile_text(run: Run, db: Location) -> None:
    # A bidi override in a name and an escape sequence in the notes: refused, shown harmless.
    result = run(
        "import", "partners", "-",
        input="name,short,country,kind,notes\n\"Dienst\u202e\",dd,NL,civil,\"a\x1b[31mb\"\n",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "row 2:" in result.stderr
    assert "\x1b" not in result.stderr
    assert "\u202e" not in result.stderr
    assert events(db) == 0


def test_only_who_may_register_may_import(run: Run, db: Location, tmp_path: Path) -> None:
    register_team(run)
    source = write(tmp_path, "p.csv", PARTNERS)
    overseer = run(*as_("c.toezicht", "import", "partners", source))
    single = run(*as_("c.toezicht", "new-partner", "X", "--short", "xx", "--country", "XR",
                      "--kind", "civil"))  # fmt: skip
    assert overseer.exit_code == single.exit_code != 0
    assert overseer.stderr == single.stderr.replace("new-partner", "import partners")
    desk = run(*as_("j.jansen", "import", "partners", source))
    assert desk.exit_code == 0, desk.output
    actors = {row[0] for row in sql(db, "SELECT actor FROM audit_event WHERE action = ?",
                                    "partner.create")}  # fmt: skip
    assert actors == {"j.jansen"}


def test_cells_read_as_a_person_reads_them() -> None:
    assert [cell_text(v) for v in (None, True, 3.0, 2.5, 7, date(2026, 1, 2))] == [
        "", "true", "3", "2.5", "7", "2026-01-02",
    ]  # fmt: skip
    assert cell_text(datetime(2026, 1, 2)) == "2026-01-02"
    assert cell_text(datetime(2026, 1, 2, 9, 30)) == "2026-01-02T09:30:00"
    assert column_name("  Received-From ") == column_name("received from") == "received_from"
