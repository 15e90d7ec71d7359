"""Commands that onboard an existing register from a spreadsheet: import partners, items and
consents."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Annotated, TypeVar

import typer

from wegings.cli import output
from wegings.cli.state import acting, location
from wegings.text import quote

T = TypeVar("T")

app = typer.Typer(
    help="Onboard an existing register from a CSV file or an Excel workbook, all or nothing.",
    no_args_is_help=True,
    epilog=output.examples(
        "wegings import partners partners.xlsx --dry-run",
        "wegings import partners partners.xlsx",
        "wegings import items items.csv",
        "wegings import consents consents.csv --json",
    ),
)

_FILE_HELP = (
    "A CSV file (UTF-8; comma, semicolon or tab) or an Excel workbook (.xlsx, its first sheet); "
    "- for CSV on stdin. The first row names the columns."
)
_DRY_RUN_HELP = "Only check every row and report; write nothing."
_JSON_HELP = "Print plain JSON: the rows imported and what each is addressed by."


class _Checked(Exception):
    """Raised inside the write transaction to roll it back after a dry run."""


def _with_progress(items: Iterator[T], total: int) -> Iterator[T]:
    """A Rich progress bar on stderr for a long import on a terminal; else the rows as they are."""
    if total < 200 or not sys.stderr.isatty():
        yield from items
        return
    from rich.progress import track

    yield from track(
        items,
        total=total,
        description="Checking rows",
        console=output.stderr_console(),
        transient=True,  # gone when done: the summary or the error line stands alone
    )


def _import(ctx: typer.Context, kind_name: str, source: str, dry_run: bool, as_json: bool) -> None:
    """Read `source`, record its rows as `kind_name` in one transaction, report."""
    from wegings.register.imports import KINDS, import_rows, known_columns, refusal
    from wegings.register.imports import as_json as report_json
    from wegings.sheets import read_sheet
    from wegings.store.engine import recorded_now, session_scope

    kind = KINDS[kind_name]
    sheet = read_sheet(source, known_columns(kind))
    name = "stdin" if source == "-" else source
    report = None
    try:
        with session_scope(location(ctx), write=True) as session:
            actor = acting(ctx, session, f"import {kind.name}")
            report = import_rows(
                session,
                kind,
                sheet,
                source=name,
                actor=actor,
                now=recorded_now(session),
                progress=_with_progress,
            )
            if report.problems:
                raise refusal(report)
            if dry_run:
                raise _Checked
    except _Checked:
        pass
    assert report is not None
    count = len(report.imported)
    noun = kind.noun if count == 1 else kind.name
    if sheet.sheet_name is not None:
        name = f"{name} (sheet {quote(sheet.sheet_name)})"
    if as_json:
        output.emit_json(report_json(report, dry_run=dry_run))
    elif not dry_run:
        for done in report.imported:
            typer.echo(done.key)
    if dry_run:
        output.say(
            f"Checked {count} {noun} in {name}: every row can be imported; nothing was "
            "written (--dry-run)."
        )
    else:
        output.say(f"Imported {count} {noun} from {name}.")
    if report.late:
        rows = ", ".join(str(done.row) for done in report.late)
        ids = "" if dry_run else f" (#{', #'.join(done.key for done in report.late)})"
        output.say(
            f"Note: the consents of rows {rows}{ids} are recorded late (their windows start "
            "before now). They are on record only from now: `can-share --as-of` an earlier "
            "moment does not count them; `--hindsight` does."
        )


@app.command(
    "partners",
    epilog=output.examples(
        "wegings import partners partners.xlsx --dry-run",
        "wegings import partners partners.csv",
        "printf 'name;short;country;kind;groups\\nVoorbeelddienst;vbd;XA;civil;CTG\\n' | "
        "wegings import partners -",
    ),
)
def partners(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE", help=_FILE_HELP, show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_DRY_RUN_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Register the partner services of a spreadsheet, as `new-partner` would each.

    Columns: name, short, country, kind (required), groups (separated by commas, semicolons or
    |) and notes. Every row is checked with the rules of `new-partner`; when any row has a
    problem, each is reported with its row number and nothing is written."""
    _import(ctx, "partners", source, dry_run, as_json)


@app.command(
    "items",
    epilog=output.examples(
        "wegings import items items.xlsx --dry-run",
        "wegings import items items.csv --json",
    ),
)
def items(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE", help=_FILE_HELP, show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_DRY_RUN_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Register the items of a spreadsheet, as `new-item` would each; prints their handles.

    Columns: ref, originator (required), received_from, date (YYYY-MM-DD), personal_data and
    unevaluated (ja/nee, yes/no, true/false, 1/0 or x), classification, subject and tags
    (separated by commas, semicolons or |). All or nothing, every problem with its row."""
    _import(ctx, "items", source, dry_run, as_json)


@app.command(
    "consents",
    epilog=output.examples(
        "wegings import consents consents.xlsx --dry-run",
        "wegings import consents consents.csv",
    ),
)
def consents(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE", help=_FILE_HELP, show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_DRY_RUN_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Record the consents of a spreadsheet, as `consent` would each; prints their ids.

    Columns: to (required); item, or tag with originator (a standing consent); holder,
    purpose, from, until, conditions (one a line, or separated by |) and reference. All or
    nothing, every problem with its row."""
    _import(ctx, "consents", source, dry_run, as_json)


def register(root: typer.Typer) -> None:
    """Add `import` (partners, items, consents) to `root`."""
    root.add_typer(app, name="import", rich_help_panel="Partner register")
