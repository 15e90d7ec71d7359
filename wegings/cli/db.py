"""Commands for the store itself: db path, status, upgrade, backup, and a server's roles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wegings.cli import output
from wegings.cli.state import location

app = typer.Typer(
    help="Where the database is, its state, schema upgrades, backups, and a server's roles.",
    no_args_is_help=True,
    epilog=output.examples(
        "wegings db status", "wegings db upgrade", "wegings db backup wegings-copy.db"
    ),
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
    """Show the location, size, schema revision and record counts (a server: its database)."""
    from wegings.store.engine import status as store_status

    result = store_status(location(ctx))
    standby = result.standby
    if as_json:
        output.emit_json(
            {
                "location": result.location,
                "exists": result.exists,
                "server": result.server,
                "size_bytes": result.size_bytes,
                "schema_revision": result.revision,
                "schema_head": result.head,
                "up_to_date": result.up_to_date,
                "schema_note": result.schema_note if result.exists else None,
                "standby": None if standby is None else standby.as_json(),
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
    fields = [("Location", result.location), ("Size", size), ("Schema revision", schema)]
    if standby is not None:
        fields.append(("Standby", standby.note))
    output.print_fields("Database", fields)
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


@app.command(
    "upgrade",
    epilog=output.examples(
        "wegings db upgrade",
        "WEGINGS_DATABASE_URL=postgresql://wegings_admin@db.example/wegings wegings db upgrade",
    ),
)
def upgrade(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """Bring the database's schema up to date: on a server the only way (reads never do)."""
    from wegings.store.engine import upgrade_location

    result = upgrade_location(location(ctx))
    if as_json:
        output.emit_json(
            {
                "location": result.location,
                "before": result.before,
                "after": result.after,
                "changed": result.changed,
            }
        )
        return
    if result.changed:
        output.say(
            f"Schema of {result.location} upgraded from {result.before or 'nothing'} "
            f"to {result.after}."
        )
    else:
        output.say(f"Schema of {result.location} is up to date ({result.after}).")


@app.command(
    "init-roles",
    epilog=output.examples(
        "wegings db init-roles",
        "psql -c 'GRANT wegings_desk TO j_jansen' wegings",
    ),
)
def init_roles(ctx: typer.Context) -> None:
    """Create a server's wegings roles with least privileges (once, by the database's owner).

    A NOLOGIN owner role (wegings_owner) owns the tables; the group roles wegings_desk,
    wegings_assessor, wegings_dg, wegings_minister and wegings_overseer may SELECT, and INSERT
    only where their commands write (the overseer: SELECT only); nobody may UPDATE, DELETE or
    TRUNCATE, and a trigger refuses those even to the owner. Only the database's owner and
    members of these roles may connect (CONNECT and TEMPORARY are taken from PUBLIC). Running
    it again changes nothing.
    """
    from wegings.store.server import init_roles_at

    result = init_roles_at(location(ctx))
    made = ", ".join(result.created) if result.created else "none (all existed)"
    output.say(
        f"Roles ready: created {made}; {result.tables} tables belong to wegings_owner and "
        "refuse UPDATE, DELETE and TRUNCATE; only the owner and the wegings roles may connect. "
        "Give people their roles with GRANT, e.g. GRANT wegings_desk TO j_jansen;"
    )


def register(root: typer.Typer) -> None:
    """Add `db` (path, status, backup, upgrade, init-roles) to `root`."""
    root.add_typer(app, name="db", rich_help_panel="Store and audit trail")
