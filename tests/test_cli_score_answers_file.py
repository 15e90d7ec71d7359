"""`wegings score --answers FILE`: what a faulty answers file is told, in the person's terms."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.conftest import Run, add_partner, sql
from wegings.config import Location

DEMO = Path(__file__).resolve().parent / "data"
STANDAARD = DEMO / "rvd-standaard.toml"


def faulty(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "answers.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return str(path)


def standaard() -> dict[str, Any]:
    return tomllib.loads(STANDAARD.read_text(encoding="utf-8"))


def test_several_problems_are_one_error_line_and_one_line_each(
    run: Run, location: Location, tmp_path: Path
) -> None:
    add_partner(run, "rvd")
    data = standaard()
    data["criteria"]["human_rights"]["score"] = "4"
    data["interest"]["added_value"] = ""
    data["cooperation"]["forms"].append("coffee")
    result = run("score", "rvd", "--answers", faulty(tmp_path, data))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: Answers: 3 problems:\n"
        "  criteria.human_rights.score: must be a whole number from 1 to 5, got '4'\n"
        "  interest.added_value: is mandatory\n"
        "  cooperation.forms[5]: unknown form 'coffee'; choose from knowledge_exchange, "
        "evaluated_data, personal_data, unevaluated_data, joint_operations, technical_support\n"
    )
    assert sql(location, "SELECT count(*) FROM note_version") == [(0,)]


def test_one_problem_stays_on_the_error_line(run: Run, tmp_path: Path) -> None:
    add_partner(run, "rvd")
    data = standaard()
    data["criteria"]["human_rights"]["score"] = 7
    result = run("score", "rvd", "--answers", faulty(tmp_path, data))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Answers: 1 problem: criteria.human_rights.score: must be a whole number from 1 "
        "to 5, got 7\n"
    )


@pytest.mark.parametrize("content", ["", "\n# nothing but a comment\n", "{}"])
def test_an_empty_answers_file_is_one_problem(run: Run, tmp_path: Path, content: str) -> None:
    add_partner(run, "rvd")
    path = tmp_path / "answers.toml"
    path.write_text(content, encoding="utf-8")
    result = run("score", "rvd", "--answers", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Answers: 1 problem: none given; `wegings score rvd --template` prints a "
        "blank answers file to fill in\n"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("context = 2027-02-30", "2027-02-30: no such day (line 1, column 11)"),
        ("context = 2026-02-29T10:00:00Z", "2026-02-29: no such day (line 1, column 11)"),
    ],
)
def test_a_date_that_does_not_exist_is_named(
    run: Run, tmp_path: Path, line: str, message: str
) -> None:
    add_partner(run, "rvd")
    path = tmp_path / "answers.toml"
    path.write_text(line + "\n", encoding="utf-8")
    result = run("score", "rvd", "--answers", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {path} is not valid TOML: {message}.\n"


def test_a_number_too_long_is_said_in_plain_words(run: Run, tmp_path: Path) -> None:
    add_partner(run, "rvd")
    path = tmp_path / "answers.toml"
    path.write_text("context = " + "9" * 5000 + "\n", encoding="utf-8")
    result = run("score", "rvd", "--answers", str(path))
    assert result.exit_code == 2
    digits = f"{sys.get_int_max_str_digits():,}"
    assert result.stderr == (
        f"Error: {path} cannot be read as answers: it holds a number of more than {digits} "
        "digits.\n"
    )


def test_nesting_too_deep_is_said_in_plain_words(run: Run, tmp_path: Path) -> None:
    add_partner(run, "rvd")
    path = tmp_path / "answers.json"
    path.write_text('{"a": ' + "[" * 100_000, encoding="utf-8")
    result = run("score", "rvd", "--answers", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {path} cannot be read as answers: it is nested too deeply.\n"
