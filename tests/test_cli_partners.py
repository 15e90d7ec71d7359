"""The partner register through the CLI: happy paths, and every bad input refused cleanly."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Run, add_partner, sql
from wegings.config import Location


def test_new_partner_registers_and_confirms_on_stderr(run: Run) -> None:
    result = run(
        "new-partner",
        "Bundesamt für Verfassungsschutz",
        "--short",
        "BfV",
        "--country",
        "de",
        "--kind",
        "civil",
        "--group",
        "CTG",
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "Registered partner bfv (Bundesamt für Verfassungsschutz) in CTG.\n"


def test_partners_json_is_plain_and_complete(run: Run) -> None:
    add_partner(run, "rvd", "--group", "CTG", "--notes", "Liaison via ambassade.")
    add_partner(run, "sdv")
    result = run("partners", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [p["short"] for p in data] == ["rvd", "sdv"]
    first = data[0]
    assert first["country"] == "XR"
    assert first["country_label"] == "fictief land XR"
    assert first["groups"] == ["CTG"]
    assert first["notes"] == "Liaison via ambassade."
    assert first["created_by"] == "tester"


def test_partners_filters_by_group_case_insensitively(run: Run) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    add_partner(run, "sdv")
    result = run("partners", "--group", "ctg", "--json")
    assert [p["short"] for p in json.loads(result.stdout)] == ["rvd"]


def test_partners_table_shows_dutch_country_name(run: Run) -> None:
    result = run("new-partner", "Bundesamt", "--short", "bfv", "--country", "DE", "--kind", "civil")
    assert result.exit_code == 0
    table = run("partners")
    assert table.exit_code == 0
    assert "Duitsland (DE)" in table.stdout


def test_unknown_group_suggests(run: Run) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    result = run("partners", "--group", "CGT")
    assert result.exit_code == 2
    assert result.stderr == "Error: No group 'CGT'. Did you mean: CTG? See `wegings groups`.\n"


def test_show_json_and_table(run: Run) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    data = json.loads(run("show", "RVD", "--json").stdout)
    assert data["partner"]["short"] == "rvd"
    assert data["partner"]["groups"] == ["CTG"]
    table = run("show", "rvd")
    assert table.exit_code == 0
    assert "Dienst RVD (rvd)" in table.stdout


def test_mistyped_handle_suggests_closest(run: Run) -> None:
    add_partner(run, "bfv")
    add_partner(run, "mi5")
    result = run("show", "bvf")
    assert result.exit_code == 2
    assert result.stderr == "Error: No partner 'bvf'. Did you mean: bfv? See `wegings partners`.\n"
    assert result.stdout == ""


def test_unknown_handle_without_close_match_lists_known(run: Run) -> None:
    add_partner(run, "bfv")
    result = run("show", "zzzzzz")
    assert result.exit_code == 2
    assert result.stderr == "Error: No partner 'zzzzzz'. Known: bfv. See `wegings partners`.\n"


def _event_count(db: Location) -> int:
    (count,) = sql(db, "SELECT count(*) FROM audit_event")[0]
    assert isinstance(count, int)
    return count


def test_duplicate_handle_is_refused_and_writes_nothing(run: Run, location: Location) -> None:
    add_partner(run, "rvd")
    before = _event_count(location)
    result = run("new-partner", "Other", "--short", "RVD", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: A partner with handle 'rvd' exists already; handles are unique. "
        "See `wegings show rvd`.\n"
    )
    assert _event_count(location) == before


def test_unknown_country_is_refused_and_creates_no_database(run: Run, db_path: Path) -> None:
    result = run("new-partner", "X", "--short", "xx", "--country", "QQ", "--kind", "civil")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Unknown country code 'QQ': give an ISO 3166-1 alpha-2 code such as DE or FR "
        "(XA–XZ for fictitious partners).\n"
    )
    assert not db_path.exists()


def test_empty_name_is_refused(run: Run, db_path: Path) -> None:
    result = run("new-partner", "   ", "--short", "xx", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 2
    assert result.stderr == "Error: Partner name must not be empty.\n"
    assert not db_path.exists()


def test_control_characters_in_free_text_are_refused(run: Run, db_path: Path) -> None:
    result = run(
        "new-partner", "Evil\x1b[2J", "--short", "ev", "--country", "XR", "--kind", "civil"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Partner name contains a control character (U+001B) at character 5; remove it.\n"
    )
    assert not db_path.exists()


def test_bad_handle_form_is_refused(run: Run) -> None:
    result = run("new-partner", "X", "--short", "a b", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Handle (--short) 'a b' must be 2–40 characters: a letter, then letters, "
        "digits, '-' or '_'.\n"
    )


def test_reserved_handle_is_refused(run: Run) -> None:
    result = run("new-partner", "X", "--short", "self", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 2
    assert result.stderr == "Error: Handle (--short) 'self' is reserved; choose another.\n"


def test_unknown_kind_is_a_usage_error(run: Run, db_path: Path) -> None:
    result = run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "navy")
    assert result.exit_code == 2
    assert "navy" in result.stderr
    assert not db_path.exists()


def test_handle_and_group_names_do_not_collide(run: Run) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    result = run("new-partner", "X", "--short", "ctg", "--country", "XR", "--kind", "civil")
    assert result.exit_code == 1
    assert result.stderr == "Error: Handle 'ctg' is already a group's name; choose another.\n"
    clash = run(
        "new-partner", "Y", "--short", "yy", "--country", "XR", "--kind", "civil", "--group", "rvd"
    )
    assert clash.exit_code == 1
    assert (
        clash.stderr == "Error: Group name 'rvd' is already a partner's handle; choose another.\n"
    )


def test_markup_in_free_text_is_shown_literally(run: Run) -> None:
    result = run(
        "new-partner",
        "[bold red]Dienst[/] <script>",
        "--short",
        "mk",
        "--country",
        "XR",
        "--kind",
        "civil",
    )
    assert result.exit_code == 0
    listing = run("partners")
    assert "[bold red]Dienst[/] <script>" in listing.stdout


def test_reads_on_a_missing_database_create_nothing(run: Run, db_path: Path) -> None:
    result = run("partners")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No database at {db_path} yet. The first command that records something "
        "creates it, e.g. `wegings new-partner`.\n"
    )
    assert not db_path.exists()


def test_actor_comes_from_as_option(run: Run) -> None:
    result = run(
        "--as",
        "a.de.vries",
        "new-partner",
        "X",
        "--short",
        "xx",
        "--country",
        "XR",
        "--kind",
        "civil",
    )
    assert result.exit_code == 0
    assert json.loads(run("show", "xx", "--json").stdout)["partner"]["created_by"] == "a.de.vries"
