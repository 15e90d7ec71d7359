"""Commands for the audit trail: audit log, audit verify."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from wegings.cli import output
from wegings.cli.state import location

app = typer.Typer(
    help="The hash-chained audit trail of every change.",
    no_args_is_help=True,
    epilog=output.examples("wegings audit log --limit 10", "wegings audit verify"),
)


def _summary(change: str) -> str:
    """A few words on what the event recorded."""
    data = json.loads(change)
    if not isinstance(data, dict):
        return ""
    if "group_id" in data and "partner_id" in data:
        return f"partner #{data['partner_id']} in group #{data['group_id']}"
    for key in ("short", "name", "key", "reason"):
        if data.get(key):
            return str(data[key])
    return ""


@app.command(
    "log",
    epilog=output.examples(
        "wegings audit log",
        "wegings audit log --entity partner --limit 5",
        "wegings audit log --json",
    ),
)
def log(
    ctx: typer.Context,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, max=1_000_000_000, help="Show at most this many, newest first."
        ),
    ] = None,
    entity: Annotated[
        str | None, typer.Option("--entity", help="Only events about this kind of record.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """List audit events, newest first."""
    from wegings.store.audit import list_events
    from wegings.store.engine import session_scope
    from wegings.timeutil import iso

    with session_scope(location(ctx), write=False) as session:
        events = list_events(session, limit=limit, entity=entity)
    if as_json:
        output.emit_json(
            [
                {
                    "seq": e.seq,
                    "at": iso(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "entity": e.entity,
                    "entity_id": e.entity_id,
                    "change": json.loads(e.change),
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in events
            ]
        )
        return
    output.print_table(
        f"Audit events ({len(events)})",
        ["#", "Time (UTC)", "Actor", "Action", "Record", "Summary"],
        [
            (
                e.seq,
                e.at.strftime("%Y-%m-%d %H:%M:%S"),
                e.actor,
                e.action,
                f"{e.entity} #{e.entity_id}",
                _summary(e.change),
            )
            for e in events
        ],
    )


@app.command(
    "verify",
    epilog=output.examples(
        "wegings audit verify",
        "wegings audit verify --expect 12:3fa9c2d1e07b4a55",
        "wegings audit verify --json",
    ),
)
def verify(
    ctx: typer.Context,
    expect: Annotated[
        str | None,
        typer.Option(
            "--expect",
            metavar="SEQ:HASH",
            help="An anchor printed by an earlier verify: proves no event was cut off the end.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """Check that no event or record was altered, removed or reordered."""
    from wegings.store.audit import parse_anchor
    from wegings.store.audit import verify as verify_trail
    from wegings.store.engine import session_scope

    anchor = parse_anchor(expect) if expect is not None else None
    with session_scope(location(ctx), write=False) as session:
        result = verify_trail(session, expect=anchor)
    if as_json:
        output.emit_json(
            {
                "intact": True,
                "events": result.events,
                "records": result.records,
                "head": result.head,
                "head_hash": result.head_hash,
            }
        )
        return
    typer.echo(
        f"Audit trail intact: {result.events} events and {result.records} records checked. "
        f"Head {result.head} (write it down; check later with --expect)."
    )
