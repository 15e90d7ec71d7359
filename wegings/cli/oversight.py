"""Commands for the oversight committee: the sweep of past transfers, and the dossier."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer._click.exceptions import UsageError  # Typer's own bundled copy
from typer.core import TyperGroup

from wegings.cli import output
from wegings.cli.state import actor, location

if TYPE_CHECKING:
    from wegings.sharing.sweep import SweepReport

T = TypeVar("T")

_FROM_HELP = "Only transfers made on or after this day (YYYY-MM-DD, in The Hague)."
_UNTIL_HELP = "Only transfers made on or before this day (YYYY-MM-DD, in The Hague)."


def _period(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    from wegings.errors import InvalidInput
    from wegings.timeutil import end_of_day, parse_day, parse_when

    # `is not None`: an empty --from '' is a malformed day, not the whole history.
    start = parse_when(parse_day(since, field="--from").isoformat()) if since is not None else None
    end = end_of_day(parse_day(until, field="--until")) if until is not None else None
    if start is not None and end is not None and end < start:
        raise InvalidInput(f"--until {until} lies before --from {since}.")
    return start, end


def _with_progress(
    items: Iterator[T], total: int, description: str = "Replaying transfers"
) -> Iterator[T]:
    """A Rich progress bar on stderr for a long step on a terminal; else the items as they are."""
    if total < 50 or not sys.stderr.isatty():
        yield from items
        return
    from rich.progress import track

    yield from track(items, total=total, description=description, console=output.stderr_console())


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
    from wegings.errors import EXIT_USAGE, WegingsError
    from wegings.service import own_service
    from wegings.sharing.sweep import finding_json
    from wegings.sharing.sweep import sweep as run_sweep
    from wegings.store.engine import session_scope

    start, end = _period(since, until)
    try:
        with session_scope(location(ctx), write=False) as session:
            report = run_sweep(
                session,
                since=start,
                until=end,
                service_name=own_service(),
                progress=_with_progress,
            )
    except WegingsError as failure:
        # Exit 1 of the sweep says an answer changed; a sweep that could not run says 2.
        failure.exit_code = EXIT_USAGE
        raise
    if as_json:
        output.emit_json(
            {
                "transfers": len(report.findings),
                "changed": report.changed,
                "problems": report.problems,
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
    changed, problems = report.changed, report.problems
    total = len(report.findings)
    replays = f"{total} transfer{'s' if total != 1 else ''} replayed" + (
        ": every replay gives its recorded decision" if not problems else ""
    )
    parts = [replays, f"{changed} with a different answer in hindsight"]
    if problems:
        parts.append(f"{problems} that could not be replayed as recorded")
    output.say("; ".join(parts) + ".")


class ExportGroup(TyperGroup):
    """`wegings export DIR ...` writes a dossier; `wegings export verify DIR` checks one.

    Click would read `verify` as DIR: a first argument naming a subcommand runs that command,
    and anything else is the export's own DIR and options."""

    allow_interspersed_args = True

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        """A subcommand first runs it; else DIR and the options are the export's own."""
        if args and args[0] in self.commands:
            for param in self.get_params(ctx):  # the export's own options stay unset
                param.handle_parse_result(ctx, {}, [])
            ctx._protected_args, ctx.args = args[:1], args[1:]
            return ctx.args
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            return super().parse_args(ctx, args)  # the help
        rest = super(TyperGroup, self).parse_args(ctx, args)
        if rest:
            raise UsageError(f"Got unexpected extra argument(s) ({' '.join(rest)})", ctx)
        return []

    def get_params(self, ctx: typer.Context) -> list[Any]:  # type: ignore[override]
        """The export's parameters; seen from `verify`, not its DIR (so that the subcommand's
        path reads `wegings export verify`, not `wegings export [DIR] verify`)."""
        params: list[Any] = super().get_params(ctx)
        if ctx.command is self:
            return params
        return [p for p in params if p.param_type_name != "argument"]

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        """`[OPTIONS] DIR`: the export's own usage (`verify` is listed under Commands)."""
        return ["[OPTIONS] DIR"]


export_app = typer.Typer(
    cls=ExportGroup,
    invoke_without_command=True,
    no_args_is_help=True,
)

_PARTNER_HELP = "Only the records about this partner (repeat for more). Default: every partner."
_KEY_PATH_HELP = "The log key. Default: $WEGINGS_LOG_KEY, else log-key in the user data directory."


@export_app.callback(
    epilog=output.examples(
        "wegings export dossier-2026",
        "wegings export dossier-rvd --partner rvd --from 2026-01-01 --until 2026-06-30",
        "wegings export verify dossier-2026 --key 'wegings.aivd/audit+1a2b3c4d+AR…'",
    ),
)
def export(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR", help="A new or empty folder for the dossier.", show_default=False
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="DATE",
            help="Only transfers made, and consents and permissions valid, on or after this "
            "day (YYYY-MM-DD, in The Hague).",
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            metavar="DATE",
            help="Only transfers made, and consents and permissions valid, on or before this "
            "day (YYYY-MM-DD, in The Hague).",
            show_default=False,
        ),
    ] = None,
    partners: Annotated[
        list[str] | None,
        typer.Option("--partner", metavar="P", help=_PARTNER_HELP, show_default=False),
    ] = None,
    key_path_option: Annotated[
        Path | None, typer.Option("--key-path", metavar="FILE", help=_KEY_PATH_HELP)
    ] = None,
    since_checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--since",
            metavar="OLD_CHECKPOINT",
            help="A checkpoint the overseer kept: the dossier also holds a consistency proof "
            "from it to the dossier's own checkpoint.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the dossier for the oversight committee into DIR: a BagIt bag that checks itself.

    It holds each partner's notes (every version, as JSON and PDF), the transfers with the
    decisions and conditions they carried (CSV and JSON), consents, permissions, flags, people
    and roles, every record's audit event with an inclusion proof, a signed checkpoint, the
    sweep's report, a README and verify.py, which checks it all with nothing but Python and
    cryptography. Files are readable by you only. Check a dossier with `wegings export verify
    DIR`.
    """
    if ctx.invoked_subcommand is not None:
        return
    if directory is None:
        raise UsageError("Missing argument 'DIR'.", ctx)
    from wegings.dossier.export import Scope, check_target, export_dossier
    from wegings.service import own_service
    from wegings.store.engine import session_scope
    from wegings.store.logkey import key_path, load_key, read_small_file

    start, end = _period(since, until)
    signer = load_key(key_path(key_path_option))
    check_target(directory)
    since_note = (
        None
        if since_checkpoint is None
        else read_small_file(since_checkpoint, f"--since {since_checkpoint}")
    )
    scope = Scope(since=start, until=end, partners=tuple(partners or ()))
    with session_scope(location(ctx), write=False) as session:
        exported = export_dossier(
            session,
            directory,
            signer,
            scope=scope,
            service=own_service(),
            actor=actor(ctx),
            progress=_with_progress,
            since_note=since_note,
        )
    counts = exported.counts

    def count(kind: str, one: str, many: str) -> str:
        return f"{counts[kind]} {one if counts[kind] == 1 else many}"

    events = f"{exported.events} audit event{'' if exported.events == 1 else 's'}"
    output.say(
        f"Wrote the dossier {directory}: {count('partner', 'partner', 'partners')}, "
        f"{count('note', 'note version', 'note versions')}, "
        f"{count('transfer', 'transfer', 'transfers')}, "
        f"{count('consent', 'consent', 'consents')}, "
        f"{count('permission', 'permission', 'permissions')}, {events} with their "
        f"proofs, checkpoint of {exported.checkpoint.origin} at {exported.checkpoint.size} "
        f"events{'' if since_note is None else ', and a consistency proof from the one kept'}. "
        f"Check it with `wegings export verify {directory} --key VERIFIER_KEY`."
    )


@export_app.command(
    "verify",
    epilog=output.examples(
        "wegings export verify dossier-2026 --key 'wegings.aivd/audit+1a2b3c4d+AR…'",
        "wegings export verify dossier-2026 --key verifier-key.txt --json",
        "wegings export verify dossier-2026",
    ),
)
def export_verify(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="The dossier's folder.", show_default=False)
    ],
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            metavar="VERIFIER_KEY",
            help="The log's verifier key, as the service gave it, or a file holding it. "
            "Without it, the bag's own copy is used: that shows only that the bag is "
            "consistent in itself.",
        ),
    ] = None,
    since_checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--since",
            metavar="OLD_CHECKPOINT",
            help="A checkpoint you kept: the dossier's consistency proof must start from "
            "exactly it.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """Check a dossier: its manifests, the checkpoint's signature, every proof and record.

    The same checks as the verify.py inside the bag (one implementation), and BagIt's own
    validation besides. Exit 0 when everything holds, 1 when something does not.
    """
    from wegings.dossier.export import bagit_problems, verifier_problems
    from wegings.dossier.verify_bag import (
        Refusal,
        checkpoint_form,
        printable,
        report_json,
        report_lines,
        verify,
    )
    from wegings.errors import InvalidInput, Refused
    from wegings.store.logkey import read_small_file, read_verifier

    if not directory.is_dir():
        raise InvalidInput(f"{directory} is not a folder; give the dossier's folder.")
    key_text = None
    if key is not None:
        key_text = read_verifier(key).text()
    since_note = None
    if since_checkpoint is not None:
        since_note = read_small_file(since_checkpoint, f"--since {since_checkpoint}")
        try:
            checkpoint_form(since_note)
        except Refusal as refusal:
            raise InvalidInput(f"--since {since_checkpoint}: {refusal}.") from None
    report = verify(directory, key_text, since_note)
    # Beside the bag's own checks: BagIt's reference validation, and that verify.py is ours.
    report.checks[0].problems.extend(bagit_problems(directory) + verifier_problems(directory))
    if as_json:
        output.emit_json(report_json(report))
    else:
        for line in report_lines(report):
            sys.stdout.write(printable(line) + "\n")
    if not report.intact:
        count = len(report.problems)
        raise Refused(
            f"The dossier {directory} does not verify: {count} problem"
            f"{'s' if count != 1 else ''}, the first: {report.problems[0]}."
        )


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
    app.add_typer(export_app, name="export", rich_help_panel="Oversight")
