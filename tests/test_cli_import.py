"""`wegings import partners|items|consents FILE`: a register onboarded from CSV or Excel, checked
row by row with the single commands' rules, all or nothing."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import Run, sql
from tests.people_world import as_, events, register_team
from wegings import sheets
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


def workbook(tmp_path: Path, name: str, rows: Sequence[Sequence[object]]) -> str:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
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
        "  row 7: 'gd' is on row 2 already.",
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
        "imported": [{"row": 2, "handle": "bvd"}, {"row": 3, "handle": "rvd"}],
        "recorded_late": [],
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


@pytest.mark.sqlite_only(
    reason="the register grants its own roles there; on a server they are database roles"
)
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
    assert cell_text(datetime(2026, 1, 2, 9, 30)) == "2026-01-02T09:30:00+01:00"  # The Hague
    assert column_name("  Received-From ") == column_name("received from") == "received_from"


# --------------------------------------------------------------------------- what a workbook hides

ITEM_HEADER: list[object] = ["ref", "originator", "received_from", "personal_data", "unevaluated"]


def imported(run: Run, source: str) -> tuple[int, str]:
    result = run("import", "items", source)
    return result.exit_code, result.stderr


def test_a_formula_without_its_value_is_refused(run: Run, db: Location, tmp_path: Path) -> None:
    # Written by a program, not saved by a spreadsheet: the file holds no value for =TRUE().
    source = workbook(tmp_path, "f.xlsx", [ITEM_HEADER, ["F-1", "self", None, "=TRUE()", "nee"]])
    assert imported(run, source) == (
        2,
        f"Error: {source}: cell D2 holds a formula whose value the file does not hold; open and "
        "save it in a spreadsheet, or type the value.\n",
    )
    assert events(db) == 0


def test_merged_cells_are_refused(run: Run, db: Location, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(ITEM_HEADER)
    for ref in ("M-1", "M-2", "M-3"):
        sheet.append([ref, "self", None, "ja" if ref == "M-1" else None, "nee"])
    sheet.merge_cells("D2:D4")
    book.save(tmp_path / "m.xlsx")
    source = str(tmp_path / "m.xlsx")
    assert imported(run, source) == (
        2,
        f"Error: {source}: sheet 'Sheet' has merged cells (D2:D4); unmerge them, so that every "
        "row holds its own values.\n",
    )


def test_a_stale_dimension_hides_no_row_or_column(run: Run, db: Location, tmp_path: Path) -> None:
    good = workbook(
        tmp_path,
        "good.xlsx",
        [ITEM_HEADER, *[[f"D-{n}", "self", None, "ja", "nee"] for n in (1, 2, 3)]],
    )
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(stale, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:C2"/>', data)
            target.writestr(entry, data)
    assert imported(run, str(stale))[0] == 0
    rows = json.loads(run("items", "--json").stdout)
    assert [(r["handle"], r["personal_data"]) for r in rows] == [
        ("self/D-1", True), ("self/D-2", True), ("self/D-3", True),
    ]  # fmt: skip


def test_a_date_time_cell_is_the_time_in_the_hague(run: Run, db: Location, tmp_path: Path) -> None:
    assert run("import", "partners", write(tmp_path, "p.csv", PARTNERS)).exit_code == 0
    assert run("new-item", "BVD-1", "--originator", "bvd", "--received-from", "bvd").exit_code == 0
    source = workbook(
        tmp_path,
        "c.xlsx",
        [["item", "to", "until"], ["bvd/BVD-1", "rvd", datetime(2027, 6, 30, 17, 0)]],
    )
    assert run("import", "consents", source).exit_code == 0
    (consent,) = json.loads(run("consents", "--json").stdout)
    assert consent["valid_until"] == "2027-06-30T15:00:00Z"  # 17:00 summer time


def test_the_sheet_read_is_the_one_the_workbook_opens_on(
    run: Run, db: Location, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    old = book.active
    assert old is not None
    old.title = "oud"
    old.append(ITEM_HEADER)
    old.append(["H-1", "self", None, "nee", "nee"])
    current = book.create_sheet("actueel")
    current.append(ITEM_HEADER)
    current.append(["H-1", "self", None, "ja", "nee"])
    book.active = 1
    old.sheet_state = "hidden"
    book.save(tmp_path / "h.xlsx")
    result = run("import", "items", str(tmp_path / "h.xlsx"))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Imported 1 item from {tmp_path / 'h.xlsx'} (sheet 'actueel').\n"
    (item,) = json.loads(run("items", "--json").stdout)
    assert item["personal_data"] is True


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "c.csv",
            "to,item,until,condition,conditions\nrvd,X-1,2027-06-30,Alleen CT,\n",
            "the header names one column twice (condition, conditions); keep one.",
        ),
        (
            "u.csv",
            'to,item,until,conditions\nrvd,X-1,2027-06-30,"Alleen CT\nrvd,X-2,2027-06-30,\n',
            "is not valid CSV after line 3: unexpected end of data.",
        ),
    ],
)
def test_a_header_or_quote_that_would_lose_a_value_is_refused(
    run: Run, db: Location, tmp_path: Path, name: str, content: str, message: str
) -> None:
    result = run("import", "consents", write(tmp_path, name, content))
    assert result.exit_code == 2
    assert result.stderr.endswith(f"{message}\n"), result.stderr


def test_a_damaged_or_swollen_workbook_is_one_line(
    run: Run, db: Location, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheets, "MAX_UNPACKED", 1024 * 1024)
    good = workbook(tmp_path, "good.xlsx", [ITEM_HEADER, ["X-1", "self", None, "ja", "nee"]])
    broken, bomb = tmp_path / "broken.xlsx", tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            target.writestr(entry, data[:-40] if entry.filename.endswith("sheet1.xml") else data)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (2 * 1024 * 1024))
    for path, message in [
        (
            broken,
            f"Error: {broken} is not an Excel workbook (.xlsx) that can be read (ParseError).\n",
        ),
        (
            bomb,
            f"Error: {bomb} unpacks to more than 1 MB; it is no register a workbook would hold.\n",
        ),
    ]:
        result = run("import", "items", str(path))
        assert (result.exit_code, result.stderr) == (2, message)


def test_a_late_letter_is_said_to_be_late(run: Run, db: Location, tmp_path: Path) -> None:
    assert run("import", "partners", write(tmp_path, "p.csv", PARTNERS)).exit_code == 0
    assert run("new-item", "BVD-1", "--originator", "bvd", "--received-from", "bvd").exit_code == 0
    source = write(tmp_path, "c.csv", "item,to,from,until\nbvd/BVD-1,rvd,2026-01-01,2030-01-01\n")
    result = run("import", "consents", source)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[1] == (
        "Note: the consents of rows 2 (#1) are recorded late (their windows start before now). "
        "They are on record only from now: `can-share --as-of` an earlier moment does not "
        "count them; `--hindsight` does."
    )
