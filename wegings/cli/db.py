"""Commands for the store itself: db path, db status, db backup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wegings.cli import output
from wegings.cli.state import location

app = typer.Typer(
    help="Where the database is, its state, and consistent backups.",
    no_args_is_help=True,
    epilog=output.examples("wegings db status", "wegings db backup wegings-copy.db"),
)


@app.command(
    "path",
    epilog=output.examples("wegings db path", "WEGINGS_DB=/srv/wegings.db wegings db path"),
)
def path(ctx: typer.Context) -> None:
    """Print where the database is (it is not created)."""
    typer.echo(location(ctx).describe())


@app.command(
    "status",
    epilog=output.examples("wegings db status", "wegings db status --json | jq .counts"),
)
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """Show the location, schema revision and record counts."""
    from wegings.store.engine import status as store_status

    result = store_status(location(ctx))
    if as_json:
        output.emit_json(
            {
                "location": result.location,
                "exists": result.exists,
                "size_bytes": result.size_bytes,
                "schema_revision": result.revision,
                "schema_head": result.head,
                "up_to_date": result.up_to_date,
                "schema_note": result.schema_note if result.exists else None,
                "counts": result.counts,
            }
        )
        return
    if not result.exists:
        output.print_fields(
            "Database",
            [("Location", result.location), ("Exists", "no (created on the first change)")],
        )
        return
    schema = f"{result.revision or '—'} ({result.schema_note})"
    size = f"{result.size_bytes:,} bytes" if result.size_bytes is not None else "—"
    output.print_fields(
        "Database",
        [("Location", result.location), ("Size", size), ("Schema revision", schema)],
    )
    output.print_table("Records", ["Table", "Count"], sorted(result.counts.items()))


@app.command(
    "backup",
    epilog=output.examples(
        "wegings db backup wegings-2026-11-29.db", "wegings db backup /mnt/safe/w.db --force"
    ),
)
def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the copy.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Write a consistent copy of the database, safe while others use it."""
    from wegings.store.engine import backup as store_backup

    size = store_backup(location(ctx), file, overwrite=force)
    output.say(f"Backup written to {file} ({size:,} bytes).")
