"""The CLI as a whole: version, help with examples, README and reference coverage.

What start-up imports is tests/test_startup.py's.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from tests.conftest import Run
from wegings import __version__
from wegings.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_version(run: Run) -> None:
    result = run("--version", db=None)
    assert result.exit_code == 0
    assert result.stdout == f"wegings {__version__}\n"


def test_python_dash_m_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wegings", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout == f"wegings {__version__}\n"


def _commands(group: typer.core.TyperGroup, prefix: str = "") -> Iterator[tuple[str, object]]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(command, typer.core.TyperGroup):
            yield from _commands(command, f"{path} ")
        else:
            yield path, command


def _all_commands() -> list[tuple[str, object]]:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    return list(_commands(root))


def test_every_command_has_help_and_examples() -> None:
    commands = _all_commands()
    assert len(commands) >= 8
    for path, command in commands:
        assert getattr(command, "help", None), f"{path} has no help text"
        epilog = getattr(command, "epilog", None) or ""
        assert epilog.startswith("Examples:"), f"{path} has no examples"
        # "$ wegings [--global VALUE]... PATH ..." must occur: the examples show this command.
        shown = re.search(rf"\$ wegings (--\S+ \S+ )*{re.escape(path)}(\s|$)", epilog)
        assert shown, f"{path}'s examples do not show it"


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [path for path, _ in _all_commands() if f"wegings {path}" not in readme]
    assert missing == [], f"README lacks: {missing}"


def test_every_command_is_in_the_cli_reference() -> None:
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [path for path, _ in _all_commands() if f"### `wegings {path}`" not in reference]
    assert missing == [], f"docs/cli.md lacks: {missing}; run `make docs`"


@pytest.mark.parametrize("args", [[], ["db"], ["audit", "key"]])
def test_a_group_without_a_command_shows_its_help(run: Run, args: list[str]) -> None:
    result = run(*args, db=None)
    assert result.exit_code == 2
    assert result.stdout.startswith(f"Usage: {' '.join(['wegings', *args])} [OPTIONS] COMMAND")
    assert result.stderr == ""


def test_the_help_lists_commands_by_panel(run: Run) -> None:
    result = run("--help", db=None)
    assert result.exit_code == 0
    headings = [line for line in result.stdout.splitlines() if line.endswith(":")]
    assert headings == [
        "Options:",
        "Partner register:",
        "Weighing notes:",
        "Third-party rule:",
        "People and roles:",
        "Oversight:",
        "Store and audit trail:",
        "  Examples:",
    ]


def test_help_shows_examples(run: Run) -> None:
    result = run("new-partner", "--help", db=None)
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert "wegings new-partner" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--bogus"], "Error: No such option: --bogus. See `wegings --help`.\n"),
        (["establish"], "Error: Missing argument 'PARTNER'. See `wegings establish --help`.\n"),
        (
            ["new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "navy"],
            "Error: Invalid value for '--kind': 'navy' is not one of 'civil', "
            "'military', 'sigint', 'combined'. See `wegings new-partner --help`.\n",
        ),
        (
            ["new-partner", "X", "--short"],
            "Error: Option '--short' requires an argument. See `wegings new-partner --help`.\n",
        ),
        (
            ["audit", "log", "--limit"],
            "Error: Option '--limit' requires an argument. See `wegings audit log --help`.\n",
        ),
        (["--db"], "Error: Option '--db' requires an argument. See `wegings --help`.\n"),
        (
            ["audit", "log", "--limit", "abc"],
            "Error: Invalid value for '--limit': 'abc' is not a whole number. See "
            "`wegings audit log --help`.\n",
        ),
        (
            ["audit", "log", "--limit", "0"],
            "Error: Invalid value for '--limit': '0' is out of range: give 1 or more. See "
            "`wegings audit log --help`.\n",
        ),
        (
            ["render", "rvd", "--version", "2.5"],
            "Error: Invalid value for '--version': '2.5' is not a whole number. See "
            "`wegings render --help`.\n",
        ),
    ],
)
def test_usage_errors_are_one_line(run: Run, args: list[str], expected: str) -> None:
    result = run(*args, db=None)
    assert result.exit_code == 2
    assert result.stderr == expected


# What only a programmer reads: a type after a value's name, a range in Python's notation, a
# required argument in braces.
_TYPE_LABEL = re.compile(r"<(?:str|int|bool|float|path|datetime|int range|float range|list\[)")
_RANGE_NOTE = re.compile(r"\d\s*<=\s*x|x\s*>=\s*\d|x\s*<=")
_BRACED = re.compile(r"\{[A-Z_]+\}")


def test_help_speaks_in_a_persons_terms(run: Run) -> None:
    for path, _ in _all_commands():
        result = run(*path.split(), "--help", db=None)
        assert result.exit_code == 0, path
        for pattern in (_TYPE_LABEL, _RANGE_NOTE, _BRACED):
            found = pattern.search(result.stdout)
            assert found is None, f"{path} --help shows {found.group(0)!r}"


def test_choices_are_taken_in_any_case(run: Run) -> None:
    result = run("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "CIVIL")
    assert result.exit_code == 0, result.output
    shown = run("show", "xx", "--json")
    assert json.loads(shown.stdout)["partner"]["kind"] == "civil"


def test_ctrl_c_ends_on_a_new_line_and_records_nothing(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("wegings.store.snapshot.read_snapshot", interrupted)
    result = run("items")
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == "\nStopped (Ctrl-C); nothing was recorded.\n"


@pytest.mark.parametrize("args", [["show", "a\udcffb"], ["can-share", "RVD\udcff", "--to", "x"]])
def test_an_argument_that_is_not_utf8_is_one_line(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wegings.cli import main

    monkeypatch.setattr(sys, "argv", ["wegings", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 2
    bad = args[-1] if len(args) == 2 else args[1]
    shown = bad.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    assert capsys.readouterr().err == (
        f"Error: The argument '{shown}' is not UTF-8 text; type it again or set the terminal "
        "to UTF-8.\n"
    )


@pytest.mark.parametrize(
    "env",
    [
        {"COMP_WORDS": "wegings show \udcff", "COMP_CWORD": "2"},
        {"COMP_WORDS": "wegings show ", "COMP_CWORD": "abc"},
        {"_TYPER_COMPLETE_ARGS": "wegings show \udcff"},
    ],
)
def test_a_malformed_completion_request_offers_nothing(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wegings.cli import main

    monkeypatch.setenv("_WEGINGS_COMPLETE", "complete_bash")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["wegings"])
    main()
    assert capsys.readouterr() == ("", "")
