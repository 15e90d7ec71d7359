"""Start-up: what `wegings --help`, `--version`, a command's help and shell completion import,
and the root's listing of the commands (COMMANDS) held to what the modules register."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from dataclasses import dataclass

import pytest
import typer
import typer.main

import wegings.cli
from wegings.cli import COMMANDS, registered, summary

# Never at start-up: the store, the templates, the PDF engine, and Typer's Markdown help.
HEAVY = frozenset(
    {"sqlalchemy", "sqlmodel", "jinja2", "alembic", "typst", "markdown_it", "pygments"}
)
# Nor Rich or Pydantic where nothing is parsed: what exits on an eager option (`--help`,
# `--version`) or before parsing (no arguments). Typer 0.29 imports Pydantic as soon as it parses
# a command line: it coerces every option, even one left unset and `--help` itself, through a
# Pydantic TypeAdapter. So completion and `wegings COMMAND --help` import it, whatever wegings does.
WITHOUT_PARSING = HEAVY | {"rich", "pydantic"}

_PROBE = """
import atexit, sys
def report():
    sys.stderr.write('LOADED=' + ','.join(sorted(sys.modules)) + '\\n')
atexit.register(report)
sys.argv = ['wegings'] + sys.argv[1:]
from wegings.cli import main
main()
"""


@dataclass(frozen=True)
class Started:
    """What one `wegings` process imported, and what it printed on stdout."""

    packages: frozenset[str]  # the top-level packages
    cli: frozenset[str]  # the modules of wegings.cli, by their last name
    stdout: str


def _start(args: list[str], env: dict[str, str] | None = None) -> Started:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("LOADED=")]
    assert lines, result.stderr
    modules = lines[-1].removeprefix("LOADED=").split(",")
    cli = [name.removeprefix("wegings.cli.") for name in modules if name.startswith("wegings.cli.")]
    return Started(
        packages=frozenset(name.split(".")[0] for name in modules),
        cli=frozenset(cli),
        stdout=result.stdout,
    )


def _completing(words: str) -> dict[str, str]:
    """The environment bash's completion sets to complete the last of `words`."""
    cword = len(words.split(" ")) - 1
    return {"_WEGINGS_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}


@pytest.mark.parametrize("args", [["--help"], ["--version"], []])  # []: the help
def test_the_root_alone_imports_no_command(args: list[str]) -> None:
    started = _start(args)
    assert started.packages & WITHOUT_PARSING == set()
    assert started.cli == {"output"}


@pytest.mark.parametrize("words", ["wegings par", "wegings ", "wegings --d"])
def test_completing_the_root_imports_no_command(words: str) -> None:
    started = _start([], _completing(words))
    assert started.packages & (HEAVY | {"rich"}) == set()
    assert started.cli == {"output"}


@pytest.mark.parametrize(
    ("args", "env", "module"),
    [
        (["can-share", "--help"], None, "sharing"),
        (["establish", "--help"], None, "notes"),
        (["score", "--help"], None, "scoring"),
        (["new-partner", "--help"], None, "partners"),
        (["db", "--help"], None, "db"),
        (["audit", "verify", "--help"], None, "audit"),
        ([], _completing("wegings can-share --"), "sharing"),
        ([], _completing("wegings db "), "db"),
    ],
)
def test_a_command_imports_its_own_module_only(
    args: list[str], env: dict[str, str] | None, module: str
) -> None:
    started = _start(args, env)
    assert started.packages & HEAVY == set()
    assert started.cli == {"output", "state", "complete", module}


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("wegings par", ["partners"]),
        ("wegings p", ["partners", "permit", "permissions", "people", "person"]),
        ("wegings --d", ["--db"]),
        ("wegings db ", ["path", "status", "backup", "upgrade", "init-roles"]),
        ("wegings audit key ", ["init", "show"]),
        ("wegings show ", []),  # no database: nothing to offer, and no error
    ],
)
def test_completion(words: str, expected: list[str]) -> None:
    assert _start([], _completing(words)).stdout.split() == expected


def test_the_help_lists_every_command_in_its_panel() -> None:
    listed: dict[str, list[str]] = {}
    heading = None
    for line in _start(["--help"], {"COLUMNS": "200"}).stdout.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            heading = line.removesuffix(":")
        elif not line.strip():
            heading = None
        elif heading is not None and not line.startswith("   "):  # not a summary's next line
            listed.setdefault(heading, []).append(line.split()[0])
    assert listed.pop("Options")[-1] == "-h,"
    expected: dict[str, list[str]] = {}
    for command in COMMANDS:
        expected.setdefault(command.panel, []).append(command.name)
    assert listed == expected


def _modules() -> list[str]:
    """The modules of COMMANDS, in the order their commands are first listed."""
    return list(dict.fromkeys(command.module for command in COMMANDS))


def test_the_listing_is_what_the_modules_register() -> None:
    """Names, panels, summaries and order, as Typer builds the commands from the modules."""
    everything = typer.Typer()
    owner: dict[str, str] = {}
    for module in _modules():
        registry = registered(module)
        everything.registered_commands += registry.registered_commands
        everything.registered_groups += registry.registered_groups
        names = [c.name for c in registry.registered_commands]
        names += [g.name for g in registry.registered_groups]
        for name in names:
            assert isinstance(name, str)
            owner[name] = module
    built = typer.main.get_command(everything)
    assert isinstance(built, typer.core.TyperGroup)
    real = [
        (name, owner[name], getattr(command, "rich_help_panel", None), summary(command))
        for name, command in built.commands.items()
    ]
    listed = [(c.name, c.module, c.panel, c.summary) for c in COMMANDS]
    assert listed == real


def test_every_module_that_registers_commands_is_listed() -> None:
    registering = {
        info.name
        for info in pkgutil.iter_modules(wegings.cli.__path__)
        if hasattr(importlib.import_module(f"wegings.cli.{info.name}"), "register")
    }
    assert registering == set(_modules())


def test_the_root_builds_the_command_it_is_asked_for() -> None:
    root = typer.main.get_command(wegings.cli.app)
    assert isinstance(root, wegings.cli.WegingsGroup)
    context = typer.Context(root, info_name="wegings")
    assert root.list_commands(context) == [command.name for command in COMMANDS]
    command = root.get_command(context, "db")
    assert isinstance(command, typer.core.TyperGroup)
    assert command.list_commands(context) == ["path", "status", "backup", "upgrade", "init-roles"]
    assert root.get_command(context, "no-such-command") is None
