"""All terminal output: Rich tables for people, plain JSON for programs, talk on stderr.

Rich and json are imported by the functions that print with them: `wegings --help`, `--version`
and shell completion print nothing through either, and start faster without them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from wegings.text import FORMULA_START, printable

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


CSV_HELP = (
    "Print CSV for a spreadsheet: UTF-8 with a byte-order mark, separated by semicolons, as "
    "Excel in Dutch opens it; the columns are the keys of --json."
)
CSV_SEPARATOR = ";"


def csv_cell(value: object) -> str:
    """One value of a JSON row as a spreadsheet cell: lists of plain values joined with ' | ',
    nested ones as JSON, booleans as true/false, nothing as empty; text that a spreadsheet
    would run as a formula is quoted with an apostrophe."""
    import json

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(
        item is None or isinstance(item, str | int | float) for item in value
    ):
        text = " | ".join("" if item is None else str(item) for item in value)
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return f"'{text}" if _quoted_on_export(text) else text


def _quoted_on_export(text: str) -> bool:
    """Whether a cell gets a leading apostrophe: text a spreadsheet would run as a formula,
    and text that starts with an apostrophe before such a start or another apostrophe (so that
    reading it back, which takes one apostrophe off just those, gives the text as it was)."""
    if text.startswith(FORMULA_START):
        return True
    return text.startswith("'") and text[1:].startswith((*FORMULA_START, "'"))


def emit_csv(rows: Sequence[Mapping[str, Any]]) -> None:
    """Print the rows of a list (as --json gives them) as CSV on stdout (see CSV_HELP)."""
    import csv
    import io

    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, lineterminator="\r\n")
    if columns:
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(row.get(column)) for column in columns])
    sys.stdout.buffer.write(("\ufeff" + buffer.getvalue()).encode("utf-8"))
    sys.stdout.flush()


def emit_rows(rows: Sequence[Mapping[str, Any]], *, as_csv: bool) -> None:
    """The rows of a list as --json prints them, or as --csv does."""
    if as_csv:
        emit_csv(rows)
    else:
        emit_json(rows)


def one_format(as_json: bool, as_csv: bool) -> None:
    """Refuse --json together with --csv."""
    if as_json and as_csv:
        from wegings.errors import InvalidInput

        raise InvalidInput("Give --json or --csv, not both.")


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
