"""All terminal output: Rich tables for people, plain JSON for programs, talk on stderr.

Rich and json are imported by the functions that print with them: `wegings --help`, `--version`
and shell completion print nothing through either, and start faster without them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from wegings.text import printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


def examples(*lines: str) -> str:
    """A help epilog that lists example invocations, one a line."""
    body = "\n\n".join(f"  $ {line}" for line in lines)
    return f"Examples:\n\n{body}"


# Wide enough for any table: piped into a file or another program, a table is never folded to
# a terminal's width (and never breaks a word); Rich draws it at its natural width.
_PIPED_WIDTH = 10_000


def stdout_console() -> Console:
    """A console on stdout; never interprets markup in the data it prints. On a terminal it is
    as wide as the terminal; piped, as wide as what it prints."""
    from rich.console import Console

    piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(
        highlight=False, markup=False, emoji=False, width=_PIPED_WIDTH if piped else None
    )


def stderr_console() -> Console:
    """A console on stderr, for progress and talk."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, markup=False, emoji=False)


def emit_json(data: Any) -> None:
    """Print `data` as plain, stable JSON on stdout (never through Rich)."""
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def say(message: str) -> None:
    """A confirmation or remark for the person, on stderr so stdout stays data."""
    sys.stderr.write(printable(message) + "\n")


def report_error(message: str, details: Sequence[str] = ()) -> None:
    """The one line an error gets on stderr, and an indented line for each of its problems."""
    line = " ".join(printable(message).split("\n"))
    sys.stderr.write(f"Error: {line}\n")
    for detail in details:
        sys.stderr.write("  " + " ".join(printable(detail).split("\n")) + "\n")


def cell(value: object) -> Text:
    """A table cell that shows `value` literally (no markup, control characters visible)."""
    from rich.text import Text

    if value is None:
        return Text("—", style="dim")
    return Text(printable(str(value)))


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    """A Rich table with literal cells."""
    from rich.table import Table

    result = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*(cell(value) for value in row))
    return result


def print_table(
    title: str | None, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """Print a table on stdout."""
    stdout_console().print(table(title, columns, rows))


def print_fields(title: str, fields: Sequence[tuple[str, object]]) -> None:
    """Print label/value pairs as a two-column table on stdout."""
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for label, value in fields:
        grid.add_row(Text(label), cell(value))
    stdout_console().print(grid)
