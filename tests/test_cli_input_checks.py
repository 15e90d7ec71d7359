"""Input the tool used to misread: other date spellings, look-alike or empty names, an empty
purpose, our own service's name as a handle, a handle that later became ambiguous, and a
document format that did not match its file name. Each is one line on stderr, a non-zero exit,
and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Run, add_partner, four_eyes_tail, sql
from wegings.config import Location

DEMO = Path(__file__).resolve().parent / "data"

SPELLING = (
    "write a date as YYYY-MM-DD, e.g. 2026-11-28, or a date-time such as 2026-11-28T14:30+01:00."
)


def _events(db: Location) -> int:
    (count,) = sql(db, "SELECT count(*) FROM audit_event")[0]
    assert isinstance(count, int)
    return count


@pytest.fixture
def world(run: Run, migrated_db: Location) -> Run:
    """Partner rvd with an established standaard note, and our own item AIVD-1."""
    add_partner(run, "rvd")
    assert run("score", "rvd", "--answers", str(DEMO / "rvd-standaard.toml")).exit_code == 0
    assert run("--as", "h.de.boer", "establish", "rvd", "--role", "dg").exit_code == 0
    assert run("new-item", "AIVD-1", "--originator", "self").exit_code == 0
    return run


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("spelling", ["20261128", "2026W486", "2026-W48-6", "2026-332"])
def test_as_of_takes_a_date_only_as_yyyy_mm_dd(world: Run, spelling: str) -> None:
    result = world("can-share", "AIVD-1", "--to", "rvd", "--as-of", spelling)
    assert result.exit_code == 2
    assert result.stderr == f"Error: --as-of {spelling!r}: {SPELLING}\n"


def test_a_week_date_inside_a_date_time_is_refused(world: Run) -> None:
    result = world("can-share", "AIVD-1", "--to", "rvd", "--as-of", "2026-W48-6T10:00")
    assert result.exit_code == 2
    assert result.stderr == f"Error: --as-of '2026-W48-6T10:00': {SPELLING}\n"


def test_item_date_takes_only_yyyy_mm_dd(world: Run, location: Location) -> None:
    before = _events(location)
    result = world("new-item", "AIVD-2", "--originator", "self", "--date", "20261128")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --date '20261128': write a date as YYYY-MM-DD, e.g. 2026-11-28.\n"
    )
    assert _events(location) == before


@pytest.mark.parametrize("option", ["--from", "--until"])
def test_consent_window_takes_only_yyyy_mm_dd(world: Run, location: Location, option: str) -> None:
    add_partner(world, "smi")
    assert (
        world("new-item", "RVD-1", "--originator", "rvd", "--received-from", "rvd").exit_code == 0
    )
    before = _events(location)
    result = world("consent", "RVD-1", "--to", "smi", option, "2026-W48-6")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {option} '2026-W48-6': {SPELLING}\n"
    assert _events(location) == before


def test_batch_rows_take_only_yyyy_mm_dd(world: Run) -> None:
    csv_rows = "item,to,as_of\nAIVD-1,rvd,2026W486\nAIVD-1,rvd,\n"
    result = world("can-share", "--batch", "-", "--json", input=csv_rows)
    assert result.exit_code == 2
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["decision"], a["error"]) for a in answers] == [
        ("error", f"as_of '2026W486': {SPELLING}"),
        ("allowed", None),
    ]
    json_rows = '{"item": "AIVD-1", "to": "rvd", "as_of": "2026-332"}\n'
    result = world("can-share", "--batch", "-", "--json", input=json_rows)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == f"as_of '2026-332': {SPELLING}"


# --------------------------------------------------------------------------- who is acting


def test_a_look_alike_of_the_author_cannot_establish(
    run: Run, location: Location, backend: str
) -> None:
    add_partner(run, "rvd")
    assert run("score", "rvd", "--answers", str(DEMO / "rvd-standaard.toml")).exit_code == 0
    before = _events(location)
    result = run("--as", "t\u0435ster", "establish", "rvd", "--role", "dg")  # Cyrillic e
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: The note was written by 'tester'; another person must establish it "
        f"{four_eyes_tail(backend)}\n"
    )
    assert _events(location) == before


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_as_is_refused(world: Run, location: Location, name: str) -> None:
    before = _events(location)
    result = world("--as", name, "new-item", "AIVD-2", "--originator", "self")
    assert result.exit_code == 2
    assert result.stderr == "Error: --as is empty: give the name of who is acting.\n"
    assert _events(location) == before


@pytest.mark.parametrize("name", ["", "  "])
def test_an_empty_wegings_user_is_refused(
    world: Run, location: Location, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    before = _events(location)
    monkeypatch.setenv("WEGINGS_USER", name)
    result = world("new-item", "AIVD-2", "--originator", "self")
    assert result.exit_code == 2
    assert result.stderr == "Error: WEGINGS_USER is empty: give the name of who is acting.\n"
    assert _events(location) == before


def test_an_unset_wegings_user_falls_back_to_the_login_name(
    world: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEGINGS_USER")
    monkeypatch.setattr("getpass.getuser", lambda: "login.name")
    assert world("new-item", "AIVD-2", "--originator", "self").exit_code == 0
    assert world("audit", "log", "--json").stdout.count('"login.name"') >= 1


# --------------------------------------------------------------------------- smaller things


@pytest.mark.parametrize("purpose", ["", "   "])
def test_an_empty_purpose_is_refused(world: Run, location: Location, purpose: str) -> None:
    add_partner(world, "smi")
    assert (
        world("new-item", "RVD-1", "--originator", "rvd", "--received-from", "rvd").exit_code == 0
    )
    before = _events(location)
    result = world("consent", "RVD-1", "--to", "smi", "--purpose", purpose)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --purpose is empty: leave it out for a consent for any purpose.\n"
    )
    assert _events(location) == before


@pytest.mark.parametrize("handle", ["aivd", "MIVD", " Aivd "])
def test_our_services_names_are_no_partner_handle(run: Run, handle: str) -> None:
    add_partner(run, "rvd")
    result = run("new-partner", "X", "--short", handle, "--country", "XR", "--kind", "civil")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: Handle (--short) {handle!r} is our own service's name; choose another.\n"
    )
    assert run("partners", "--json").stdout.count('"short"') == 1


@pytest.mark.parametrize("group", ["AIVD", "mivd", "self"])
def test_our_services_names_are_no_group_name(run: Run, group: str) -> None:
    add_partner(run, "rvd")
    result = run(
        "new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil", "--group", group
    )
    assert result.exit_code == 2
    reason = "is reserved" if group == "self" else "is our own service's name"
    assert result.stderr == f"Error: Group name {group!r} {reason}; choose another.\n"
    assert run("partners", "--json").stdout.count('"short"') == 1


def test_a_printed_item_handle_keeps_meaning_that_item(world: Run) -> None:
    printed = world("new-item", "REF-9", "--originator", "self")
    assert printed.exit_code == 0
    assert printed.stdout == "self/REF-9\n"
    assert printed.stderr == "Registered item self/REF-9 from self.\n"
    other = world("new-item", "REF-9", "--originator", "rvd", "--received-from", "rvd")
    assert other.stdout == "rvd/REF-9\n"
    assert world("can-share", printed.stdout.strip(), "--to", "rvd").exit_code == 0
    listed = json.loads(world("items", "--json").stdout)
    assert {row["handle"] for row in listed} == {"self/AIVD-1", "self/REF-9", "rvd/REF-9"}
    assert "self/AIVD-1" in world("items").stdout


# --------------------------------------------------------------------------- render formats


@pytest.mark.parametrize(
    ("name", "start"), [("rvd.md", b"**STG. GEHEIM**"), ("rvd.htm", b"<!DOCTYPE html>")]
)
def test_render_takes_the_format_from_the_file_name(
    world: Run, tmp_path: Path, name: str, start: bytes
) -> None:
    target = tmp_path / name
    result = world("render", "rvd", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(start)


def test_render_to_a_pdf_file_writes_a_pdf(world: Run, tmp_path: Path) -> None:
    target = tmp_path / "vsse.PDF"
    result = world("render", "rvd", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF")


def test_render_refuses_a_format_that_does_not_match_the_file(world: Run, tmp_path: Path) -> None:
    target = tmp_path / "vsse.pdf"
    result = world("render", "rvd", "--format", "md", "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: --format md does not match -o {target}, a .pdf file; "
        "name the file .md or leave out --format.\n"
    )
    assert not target.exists()


def test_render_refuses_an_unknown_extension_without_format(world: Run, tmp_path: Path) -> None:
    target = tmp_path / "vsse.txt"
    result = world("render", "rvd", "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: Cannot tell the format of -o {target} from '.txt': "
        "name it .md, .html, .htm or .pdf, or give --format.\n"
    )
    assert not target.exists()


def test_render_with_format_writes_any_file_name(world: Run, tmp_path: Path) -> None:
    target = tmp_path / "vsse.txt"
    assert world("render", "rvd", "--format", "md", "-o", str(target)).exit_code == 0
    assert target.read_bytes().startswith(b"**STG. GEHEIM**")
    assert world("render", "rvd").stdout.startswith("**STG. GEHEIM**")
