"""The CLI reference in docs/cli.md: every command's `--help`, rendered the same on every machine.

Run by cog from the block in docs/cli.md (`make docs` regenerates, `make lint` checks). The help
is what `--help` prints (Click's plain text) at a fixed width, with no dependence on the terminal
that runs it. The commands are walked through the Click objects that Typer builds
(`typer.main.get_command`), by attribute access, so this file needs no `import click`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

WIDTH = 100
PROGRAM = "wegings"
OTHER_PANEL = "Other commands"

# Document the checkout this file is in, also when the venv's editable install is another one's.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@dataclass(frozen=True)
class Entry:
    """One command or group: its path ("db backup"), its help text and the panel it is listed in."""

    path: str
    help: str
    panel: str


def _help(command: Any, context: Any) -> str:
    """`command --help`, without the trailing spaces of wrapped lines."""
    text: str = command.get_help(context)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def _context(command: Any, name: str, parent: Any) -> Any:
    """The context `name --help` would run in (its context_settings, such as -h), at WIDTH."""
    settings = {**(command.context_settings or {}), "terminal_width": WIDTH}
    settings["max_content_width"] = WIDTH
    return typer.Context(command, info_name=name, parent=parent, **settings)


def _walk(command: Any, context: Any, path: str, panel: str) -> Iterator[Entry]:
    yield Entry(path, _help(command, context), panel)
    subcommands = getattr(command, "commands", None) or {}
    for name in command.list_commands(context) if subcommands else []:
        sub = subcommands[name]
        sub_context = _context(sub, name, context)
        sub_panel = getattr(sub, "rich_help_panel", None) or panel
        yield from _walk(sub, sub_context, f"{path} {name}", sub_panel)


def entries() -> list[Entry]:
    """Every command of the `wegings` app, the root first, in the order `--help` lists them."""
    from wegings.cli import app

    root = typer.main.get_command(app)
    return list(_walk(root, _context(root, PROGRAM, None), PROGRAM, OTHER_PANEL))


def _anchor(entry: Entry) -> str:
    """The anchor GitHub gives the heading "`wegings db backup`": wegings-db-backup."""
    return entry.path.replace(" ", "-")


def reference() -> str:
    """The Markdown body of docs/cli.md: contents by panel, then each command's help in full."""
    root, *commands = entries()
    panels: dict[str, list[Entry]] = {}
    for entry in commands:
        panels.setdefault(entry.panel, []).append(entry)
    out: list[str] = []
    for panel, members in panels.items():
        out.append(f"- {panel}: " + ", ".join(f"[`{e.path}`](#{_anchor(e)})" for e in members))
    out += ["", f"## `{root.path}`", "", "```text", root.help.rstrip("\n"), "```", ""]
    for panel, members in panels.items():
        out += [f"## {panel}", ""]
        for entry in members:
            out += [f"### `{entry.path}`", "", "```text", entry.help.rstrip("\n"), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(reference())
