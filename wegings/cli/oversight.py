"""Commands for the oversight committee: the sweep of past transfers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from wegings.cli import output
from wegings.cli.state import location

if TYPE_CHECKING:
    from wegings.sharing.sweep import SweepReport

T = TypeVar("T")

_FROM_HELP = "Only transfers made on or after this day (YYYY-MM-DD, in The Hague)."
_UNTIL_HELP = "Only transfers made on or before this day (YYYY-MM-DD, in The Hague)."


def _period(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    from wegings.errors import InvalidInput
    from wegings.timeutil import end_of_day, parse_day, parse_when

    start = parse_when(parse_day(since, field="--from").isoformat()) if since else None
    end = end_of_day(parse_day(until, field="--until")) if until else None
    if start is not None and end is not None and end < start:
        raise InvalidInput(f"--until {until} lies before --from {since}.")
    return start, end


def _with_progress(items: Iterator[T], total: int) -> Iterator[T]:
    """A Rich progress bar on stderr for a long sweep on a terminal; else the items as they are."""
    if total < 50 or not sys.stderr.isatty():
        yield from items
        return
    from rich.progress import track

    yield from track(
        items, total=total, description="Replaying transfers", console=output.stderr_console()
    )


def sweep(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help=_FROM_HELP, show_default=False)
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help=_UNTIL_HELP, show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """Replay every recorded transfer with its basis and judge it again in hindsight.

    Each replay must give exactly the recorded decision; a transfer whose answer is different
    now (an item corrected to personal data, developments dated before it, a membership or a
    letter recorded later) is listed with what changed it. Exit 0 when nothing changed, 1 when
    an answer did, 2 when a replay does not match or a record is damaged.
    """
    from wegings.service import own_service
    from wegings.sharing.sweep import finding_json
    from wegings.sharing.sweep import sweep as run_sweep
    from wegings.store.engine import session_scope

    start, end = _period(since, until)
    with session_scope(location(ctx), write=False) as session:
        report = run_sweep(
            session, since=start, until=end, service_name=own_service(), progress=_with_progress
        )
    if as_json:
        output.emit_json(
            {
                "transfers": len(report.findings),
                "changed": sum(1 for f in report.findings if f.status == "changed"),
                "problems": sum(
                    1 for f in report.findings if f.status in ("replay_mismatch", "error")
                ),
                "findings": [finding_json(f) for f in report.findings if f.status != "unchanged"],
            }
        )
    else:
        _print_report(report)
    raise typer.Exit(report.exit_code)


def _print_report(report: SweepReport) -> None:
    from wegings.sharing.sweep import SweepStatus
    from wegings.timeutil import display_minute

    listed = [f for f in report.findings if f.status is not SweepStatus.unchanged]
    if listed:
        output.print_table(
            "Transfers whose answer is not the recorded one",
            ("TRANSFER", "WHEN", "ITEM", "TO", "RECORDED", "NOW", "WHY"),
            (
                (
                    f"#{f.transfer_id}",
                    display_minute(f.transferred_at),
                    f.item,
                    f.to,
                    f.recorded,
                    f.hindsight if f.status is SweepStatus.changed else f.status.value,
                    f.problem or " ".join(f.changes),
                )
                for f in listed
            ),
        )
    changed = report.count(SweepStatus.changed)
    problems = report.count(SweepStatus.replay_mismatch) + report.count(SweepStatus.error)
    total = len(report.findings)
    replays = f"{total} transfer{'s' if total != 1 else ''} replayed" + (
        ": every replay gives its recorded decision" if not problems else ""
    )
    parts = [replays, f"{changed} with a different answer in hindsight"]
    if problems:
        parts.append(f"{problems} that could not be replayed as recorded")
    output.say("; ".join(parts) + ".")


def register(app: typer.Typer) -> None:
    """Add the oversight commands."""
    app.command(
        "sweep",
        rich_help_panel="Oversight",
        epilog=output.examples(
            "wegings sweep",
            "wegings sweep --from 2026-01-01 --until 2026-06-30",
            "wegings sweep --json",
        ),
    )(sweep)
