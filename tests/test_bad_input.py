"""Bad input of every kind: one line on stderr, a non-zero exit, and nothing written."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tests.conftest import Run, add_partner, sql
from wegings.config import Location

DEMO = Path(__file__).resolve().parent / "data"


@pytest.fixture
def noted(run: Run, migrated_db: Location) -> Run:
    """Partner rvd with an established standaard note."""
    add_partner(run, "rvd")
    assert run("score", "rvd", "--answers", str(DEMO / "rvd-standaard.toml")).exit_code == 0
    assert run("--as", "h.de.boer", "establish", "rvd", "--role", "dg").exit_code == 0
    return run


def _events(db: Location) -> int:
    (count,) = sql(db, "SELECT count(*) FROM audit_event")[0]
    assert isinstance(count, int)
    return count


def test_render_never_overwrites_the_database(noted: Run, db_path: Path) -> None:
    before = db_path.read_bytes()
    result = noted("render", "rvd", "-o", str(db_path), "--force")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {db_path} is the database itself; choose another file.\n"
    assert db_path.read_bytes() == before


def test_render_refuses_an_existing_file_without_force(noted: Run, tmp_path: Path) -> None:
    target = tmp_path / "note.md"
    target.write_text("keep me")
    result = noted("render", "rvd", "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {target} already exists; choose another file or pass --force.\n"
    )
    assert target.read_text() == "keep me"
    assert noted("render", "rvd", "-o", str(target), "--force").exit_code == 0
    assert target.read_text().startswith("**STG. GEHEIM**")


def test_render_dash_means_stdout(noted: Run) -> None:
    result = noted("render", "rvd", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("**STG. GEHEIM**")


def test_document_shows_when_developments_took_place(noted: Run) -> None:
    assert noted("flag", "rvd", "--reason", "Onrust", "--date", "2026-11-20").exit_code == 0
    result = noted("render", "rvd")
    assert "20 november 2026" in result.stdout


@pytest.mark.parametrize("actor", ["tes\u200bter", "tester\u202e", "a\x1bb"])
def test_invisible_or_control_characters_in_actor_are_refused(run: Run, actor: str) -> None:
    result = run(
        "--as", actor, "new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Actor (--as) contains ")


def test_actor_of_odd_characters_is_refused(run: Run) -> None:
    result = run(
        "--as", "<admin>", "new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Actor (--as) '<admin>' may hold letters, digits, spaces and . _ @ ' - only.\n"
    )


def test_invisible_character_in_partner_name_is_refused(run: Run, db_path: Path) -> None:
    result = run(
        "new-partner", "Dienst\u200b", "--short", "xx", "--country", "XR", "--kind", "civil"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Partner name contains the invisible character U+200B; remove it.\n"
    )
    assert not db_path.exists()


@pytest.mark.parametrize(
    "char", ["\u3164", "\u115f", "\u1160", "\uffa0", "\u2800", "\u034f", "\ufe0f", "\u180e",
             "\U000e0001", "\U000e0100", "\u17b5"],
)  # fmt: skip
def test_a_character_that_shows_as_nothing_in_a_partner_name_is_refused(
    run: Run, migrated_db: Location, char: str
) -> None:
    result = run("new-partner", f"Dienst{char}X", "--short", "xx", "--country", "XR", "--kind",
                 "civil")  # fmt: skip
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"Error: Partner name contains the invisible character U+{ord(char):04X}; remove it.\n"
    )
    assert _events(migrated_db) == 0


def test_four_eyes_sees_through_compatibility_forms(run: Run) -> None:
    add_partner(run, "rvd")
    assert run("score", "rvd", "--answers", str(DEMO / "rvd-standaard.toml")).exit_code == 0
    result = run("--as", "ＴＥＳＴＥＲ", "establish", "rvd", "--role", "dg")
    assert result.exit_code == 1
    assert "another person must establish it (four eyes)" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"a": ' + "[" * 100_000, "cannot be read as answers"),
        ("x = " + "9" * 5000, "cannot be read as answers"),
        ("", "Answers: "),
        ("\x00\x01\x02", "is not valid TOML"),
    ],
)
def test_absurd_answers_files_are_one_line_errors(
    run: Run, tmp_path: Path, content: str, message: str
) -> None:
    add_partner(run, "rvd")
    path = tmp_path / "answers.toml"
    path.write_text(content)
    result = run("score", "rvd", "--answers", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_byte_order_mark_is_accepted(run: Run, tmp_path: Path) -> None:
    add_partner(run, "rvd")
    path = tmp_path / "answers.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (DEMO / "rvd-standaard.toml").read_bytes())
    assert run("score", "rvd", "--answers", str(path)).exit_code == 0


def test_directory_as_answers_file(run: Run, tmp_path: Path) -> None:
    add_partner(run, "rvd")
    result = run("score", "rvd", "--answers", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path} is a directory, not an answers file.\n"


def test_editor_that_cannot_start(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    add_partner(run, "rvd")
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    result = run("score", "rvd", "--editor", input="\n")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        "Error: Cannot start the editor '/nonexistent/editor': "
    )


@pytest.mark.parametrize(
    "args",
    [["due", "--within", "99999999999999999999"], ["audit", "log", "--limit", "99999999999999"]],
)
def test_huge_numbers_are_usage_errors(noted: Run, args: list[str]) -> None:
    result = noted(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_empty_db_option_is_refused(run: Run) -> None:
    result = run("--db", "", "partners", db=None)
    assert result.exit_code == 2
    assert result.stderr == "Error: --db needs a file name.\n"


def test_garbage_database_url(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGINGS_DATABASE_URL", "garbage")
    result = run("partners", db=None)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: WEGINGS_DATABASE_URL is not a SQLAlchemy URL; use e.g. "
        "postgresql+psycopg://user@host/wegings.\n"
    )


def test_in_memory_database_url_is_refused(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGINGS_DATABASE_URL", "sqlite://")
    result = run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil", db=None)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: WEGINGS_DATABASE_URL names an in-memory database, which keeps nothing; "
        "give a file.\n"
    )


def test_foreign_sqlite_file_is_left_byte_for_byte(run: Run, db_path: Path) -> None:
    sql(db_path, "CREATE TABLE recipes (id INTEGER PRIMARY KEY)")
    before = db_path.read_bytes()
    result = run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 1
    assert db_path.read_bytes() == before


def test_reading_an_empty_file_sets_nothing_up(run: Run, db_path: Path) -> None:
    db_path.write_bytes(b"")
    result = run("partners")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {db_path} is empty: no wegings database yet. The first command that records "
        "something sets it up, e.g. `wegings new-partner`.\n"
    )
    assert db_path.read_bytes() == b""


def test_newer_database_can_be_diagnosed_and_backed_up(
    noted: Run, db_path: Path, tmp_path: Path
) -> None:
    sql(db_path, "UPDATE alembic_version SET version_num = '9999_future'")
    status = json.loads(noted("db", "status", "--json").stdout)
    assert status["schema_revision"] == "9999_future"
    assert status["schema_note"] == "written by a newer version of wegings"
    target = tmp_path / "copy.db"
    assert noted("db", "backup", str(target)).exit_code == 0
    assert sql(target, "SELECT version_num FROM alembic_version") == [("9999_future",)]


def test_diff_of_a_version_with_itself(noted: Run) -> None:
    result = noted("diff", "rvd", "1", "1")
    assert result.exit_code == 2
    assert result.stderr == "Error: Give two different versions to compare, not 1 twice.\n"


def test_an_older_leftover_draft_is_not_picked_by_default(run: Run, location: Location) -> None:
    add_partner(run, "rvd")
    answers = str(DEMO / "rvd-standaard.toml")
    assert run("score", "rvd", "--answers", answers).exit_code == 0  # v1, left as a draft
    assert run("score", "rvd", "--answers", answers).exit_code == 0  # v2
    assert run("--as", "dg", "establish", "rvd", "--role", "dg").exit_code == 0  # takes v2
    before = _events(location)
    result = run("--as", "dg", "establish", "rvd", "--role", "dg")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: rvd has no draft to establish; the latest version 2 is established. Start a "
        "new version with `wegings score rvd`.\n"
    )
    assert _events(location) == before
    assert tomllib.loads((DEMO / "rvd-standaard.toml").read_text())["criteria"]


@pytest.fixture
def item_world(run: Run, migrated_db: Location) -> Run:
    """Our own item I1 and partner rvd with an established note."""
    add_partner(run, "rvd")
    assert run("score", "rvd", "--answers", str(DEMO / "rvd-standaard.toml")).exit_code == 0
    assert run("--as", "h.de.boer", "establish", "rvd", "--role", "dg").exit_code == 0
    assert run("new-item", "I1", "--originator", "self").exit_code == 0
    return run


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        (
            "9999-12-31T23:59:59-01:00",
            "Error: --as-of '9999-12-31T23:59:59-01:00' lies outside the calendar this tool "
            "keeps.\n",
        ),
        ("0999-06-01", "Error: --as-of '0999-06-01' lies before 1900; check the year.\n"),
        (
            "2999-01-01",
            "Error: --as-of '2999-01-01' lies in the future; an answer for it could still change "
            "with what is recorded until then. Ask again when the moment has come.\n",
        ),
    ],
)
def test_as_of_out_of_range_or_in_the_future(item_world: Run, as_of: str, message: str) -> None:
    result = item_world("can-share", "I1", "--to", "rvd", "--as-of", as_of)
    assert result.exit_code == 2
    assert result.stderr == message


def test_batch_rows_with_repeated_fields_or_future_times_are_errors(item_world: Run) -> None:
    rows = (
        '{"item": "I1", "to": "rvd", "to": "xx"}\n'
        '{"item": "I1", "to": "rvd", "as_of": "2999-01-01"}\n'
        '{"item": "I1", "to": "rvd"}\n'
    )
    result = item_world("can-share", "--batch", "-", "--json", input=rows)
    assert result.exit_code == 2
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["decision"] for a in answers] == ["error", "error", "allowed"]
    assert answers[0]["error"] == "Row 1: the field 'to' is given twice."


def test_look_alike_references_find_one_item(item_world: Run) -> None:
    full_width = "\uff29\uff11"  # "I1" in full-width letters
    again = item_world("new-item", full_width, "--originator", "self")
    assert again.exit_code == 1
    assert "exists already" in again.stderr
    invisible = item_world("new-item", "I\u200b2", "--originator", "self")
    assert invisible.exit_code == 2
    assert (
        invisible.stderr == "Error: Reference contains the invisible character U+200B; remove it.\n"
    )


def test_purpose_with_a_line_break_is_refused(item_world: Run) -> None:
    result = item_world("can-share", "I1", "--to", "rvd", "--purpose", "a\nb")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Purpose must be on one line")


def test_corrupt_stored_json_is_an_error_not_a_denial(item_world: Run, location: Location) -> None:
    sql(location, "UPDATE note_version SET forms = '[broken'")
    result = item_world("can-share", "I1", "--to", "rvd")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Note v1 of rvd (#1) no longer matches its audit event — it was changed outside "
        "wegings; run `wegings audit verify`.\n"
    )


def test_empty_holder_is_refused(item_world: Run) -> None:
    result = item_world("can-share", "I1", "--to", "rvd", "--holder", " ")
    assert result.exit_code == 2
    assert result.stderr == "Error: --holder needs a partner's handle (or self).\n"


def test_windows_line_breaks_in_a_reason_are_accepted(noted: Run) -> None:
    result = noted("flag", "rvd", "--reason", "Onrust.\r\nNieuwe wet aangekondigd.")
    assert result.exit_code == 0, result.output
    flags = json.loads(noted("show", "rvd", "--json").stdout)["flags"]
    assert flags[0]["reason"] == "Onrust.\nNieuwe wet aangekondigd."
