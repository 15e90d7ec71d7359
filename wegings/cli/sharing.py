"""Commands for the third-party rule: can-share (one check or a batch), share, transfers."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from wegings.cli import output
from wegings.cli.state import acting, location
from wegings.errors import InvalidInput, StoreError
from wegings.text import printable

if TYPE_CHECKING:
    from wegings.sharing.batch import BatchResult
    from wegings.sharing.result import CheckResult

_JSON = typer.Option("--json", help="Print plain JSON (JSON Lines with --batch).")
_PROGRESS_EVERY = 500
_BATCH_COLUMNS = (("ROW", 6), ("DECISION", 16), ("ITEM", 28), ("TO", 10))


def can_share(
    ctx: typer.Context,
    item: Annotated[
        str | None, typer.Argument(help="The item (REF or ORIGINATOR/REF).", show_default=False)
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", metavar="RECIPIENT", help="The partner or group.")
    ] = None,
    holder: Annotated[
        str | None,
        typer.Option("--holder", metavar="PARTNER", help="Who passes it on; default us (self)."),
    ] = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", metavar="TEXT", help="The purpose of the transfer.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="WHEN",
            help="Answer as the records stood then (ISO date or date-time; UTC unless an offset).",
        ),
    ] = None,
    basis: Annotated[
        str | None,
        typer.Option(
            "--basis",
            metavar="SEQ:HASH",
            help="Replay a decision exactly: only what was on record at this audit event "
            "counts (the basis a decision printed; needs --as-of, the moment it answered for).",
        ),
    ] = None,
    hindsight: Annotated[
        bool,
        typer.Option(
            "--hindsight",
            help="Judge the moment of --as-of with everything on record now: corrections, late "
            "letters, retractions, joins and leaves recorded since (not with --basis).",
        ),
    ] = False,
    batch: Annotated[
        str | None,
        typer.Option(
            "--batch",
            metavar="FILE",
            help="Check every row of a CSV (with header; comma, semicolon or tab) or JSON "
            "Lines file; - for stdin. Fields: item, to, holder, purpose, as_of, basis, "
            "hindsight.",
        ),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """May an item be passed on? Exit 0 allowed, 1 denied, 3 needs permission, 2 bad input."""
    if batch is not None:
        singles = (
            ("ITEM", item),
            ("--to", to),
            ("--holder", holder),
            ("--purpose", purpose),
            ("--as-of", as_of),
            ("--basis", basis),
            ("--hindsight", True if hindsight else None),
        )
        given = [name for name, value in singles if value is not None]
        if given:
            raise InvalidInput(
                f"--batch takes every field from the file; leave out {', '.join(given)}."
            )
        with _store_fault_is_an_error():
            code = _run_batch(ctx, batch, as_json=as_json)
        raise typer.Exit(code)
    if item is None or to is None:
        raise InvalidInput("Give an ITEM and --to RECIPIENT, or --batch FILE.")
    if holder is not None and not holder.strip():
        raise InvalidInput("--holder needs a partner's handle (or self).")
    if basis is not None and as_of is None:
        raise InvalidInput(
            "--basis replays a decision as of the moment it answered for; give that moment "
            "with --as-of too (its as_of)."
        )
    if hindsight and as_of is None:
        raise InvalidInput(
            "--hindsight judges a past moment with what is on record now; give that moment "
            "with --as-of."
        )
    if hindsight and basis is not None:
        raise InvalidInput(
            "--hindsight judges with everything on record now and --basis with what was on "
            "record at a decision's basis: give one of them."
        )
    from wegings.service import own_service
    from wegings.sharing.result import decision_json
    from wegings.sharing.store import SharingReader
    from wegings.store.snapshot import read_snapshot
    from wegings.timeutil import parse_as_of

    service = own_service()
    # Reads only: the database is opened read-only, so this works on a read-only copy too.
    with _store_fault_is_an_error(), read_snapshot(location(ctx)) as snapshot:
        now = snapshot.now()  # before the first read: "now" is that of this snapshot
        at = parse_as_of(as_of, now=now) if as_of is not None else now
        reader = SharingReader(snapshot, service_name=service)
        result = reader.check(
            item, to, at=at, holder=holder, purpose=purpose, basis=basis, hindsight=hindsight
        )
        lag = snapshot.standby()
    if as_json:
        answer = decision_json(result)
        if lag is not None:
            # Read on a standby, the answer says how far behind the primary it may be.
            answer["standby"] = lag.as_json()
        output.emit_json(answer)
    else:
        _print_decision(result)
    raise typer.Exit(result.exit_code)


@contextmanager
def _store_fault_is_an_error() -> Iterator[None]:
    """A database that cannot be read exits 2 here: exit 1 would read as "denied"."""
    try:
        yield
    except StoreError as exc:
        raise InvalidInput(exc.message) from None


def _print_decision(result: CheckResult) -> None:
    """The decision, its reasons and conditions as tables on stdout."""
    from wegings.sharing.outcome import Outcome
    from wegings.sharing.result import member_conditions
    from wegings.timeutil import iso

    decision = result.decision
    fields: list[tuple[str, object]] = [
        ("Decision", decision.outcome.value),
        ("Holder", "us (self)" if result.holder == "self" else result.holder),
        ("Purpose", result.purpose or "any"),
        ("As of", iso(result.at)),
    ]
    if result.known_at is not None:
        fields.append(("On record by", iso(result.known_at)))
    if result.hindsight:
        fields.append(("Hindsight", "yes: judged with everything on record now"))
    fields.append(("Basis", result.basis))
    if decision.member_outcomes:
        fields.append(("Members", ", ".join(f"{m} {o.value}" for m, o in decision.member_outcomes)))
    output.print_fields(f"Item {result.item.handle} to {result.recipient}", fields)
    # The member column only when the recipient is a group; the code says the effect.
    columns = ["Rule", "Code", "Reason", "Relies on"]
    rows: list[tuple[object, ...]] = [
        (int(r.rule), r.code.value, r.message, r.ref) for r in decision.reasons
    ]
    if decision.member_outcomes:
        columns.insert(1, "Member")
        rows = [(int(r.rule), r.member, r.code.value, r.message, r.ref) for r in decision.reasons]
    output.print_table("Reasons", columns, rows)
    # Only an allowed transfer happens, so only then are there conditions it must carry.
    if decision.outcome is not Outcome.allowed:
        return
    output.print_table(
        "Conditions the transfer must carry",
        ["#", "Condition"],
        [(n, c) for n, c in enumerate(decision.conditions, 1)],
    )
    per_member = member_conditions(decision)
    if per_member:
        output.print_table(
            "Conditions per member",
            ["Member", "#", "Condition"],
            [
                (member, n, condition)
                for member, conditions in per_member.items()
                for n, condition in enumerate(conditions, 1)
            ],
        )


def _open_input(name: str, stack: ExitStack) -> tuple[IO[bytes], int | None]:
    """The input as bytes, and its total size if known."""
    if name == "-":
        return sys.stdin.buffer, None
    path = Path(name)
    try:
        raw = stack.enter_context(path.open("rb"))
        return raw, path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"Cannot read the batch file {name}: {exc.strerror}.") from None


def _lines(raw: IO[bytes], stack: ExitStack) -> Iterator[str]:
    """The input's lines as text; the input itself is left open for its owner to close."""
    text = io.TextIOWrapper(
        io.BufferedReader(raw, 1 << 16),  # type: ignore[type-var]
        encoding="utf-8-sig",
        errors="strict",
        newline="",
    )
    # Detached at the end, so that the wrapper never closes stdin under us.
    stack.callback(lambda: text.detach().detach())
    return iter(text)


def _table_line(result: BatchResult) -> str:
    from wegings.sharing.batch import result_detail

    row = result.row
    handle = result.result.item.handle if result.result is not None else row.item
    to = result.result.recipient if result.result is not None else row.to
    cells = (str(row.number), result.outcome, handle, to)
    text = "  ".join(
        cell.ljust(width) for cell, (_, width) in zip(cells, _BATCH_COLUMNS, strict=True)
    )
    line = f"{text}  {result_detail(result)}".rstrip()
    return " ".join(printable(line).split("\n")) + "\n"


def _run_batch(ctx: typer.Context, name: str, *, as_json: bool) -> int:
    """Check every row, write one result a row as it comes, and return the worst exit code."""
    from wegings.service import own_service
    from wegings.sharing.batch import BatchSummary, read_rows, result_line, run_batch
    from wegings.sharing.store import SharingReader
    from wegings.store.snapshot import read_snapshot

    summary = BatchSummary()
    write = sys.stdout.write
    with ExitStack() as stack:
        raw, total = _open_input(name, stack)
        service = own_service()
        snapshot = stack.enter_context(read_snapshot(location(ctx)))
        now = snapshot.now()  # before the first read: "now" is that of this snapshot
        reader = SharingReader(snapshot, service_name=service)
        raw, progress = _progress(stack, raw, total)
        lines = _lines(raw, stack)
        started = time.perf_counter()
        header = "  ".join(title.ljust(width) for title, width in _BATCH_COLUMNS)
        try:
            for result in run_batch(reader, read_rows(lines), now=now):
                if not as_json and not summary.rows:
                    write(f"{header}  DETAIL\n")  # with the first row: none for a bad header
                summary.add(result)
                if as_json:
                    write(result_line(result))
                else:
                    write(_table_line(result))
                if progress is not None and summary.rows % _PROGRESS_EVERY == 0:
                    progress(summary.rows)
        except UnicodeDecodeError:
            raise InvalidInput(
                f"The batch is not UTF-8 text (after row {summary.rows}); save it as UTF-8."
            ) from None
        elapsed = time.perf_counter() - started
    sys.stdout.flush()
    if summary.rows == 0:
        raise InvalidInput("The batch has no rows; give a header line and one row per check.")
    rate = f" ({summary.rows / elapsed:,.0f} checks/s)" if elapsed > 0 else ""
    output.say(summary.describe()[:-1] + rate + ".")
    return summary.exit_code


def _progress(
    stack: ExitStack, raw: IO[bytes], total: int | None
) -> tuple[IO[bytes], Callable[[int], None] | None]:
    """On a terminal: the input read through a Rich progress bar on stderr, and its row update.

    Rich's `Progress.wrap_file` counts the bytes read when the size is known (a file); on stdin
    the bar shows the rows only. Elsewhere: the input as it is, and None.
    """
    if not sys.stderr.isatty():
        return raw, None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = stack.enter_context(
        Progress(
            TextColumn("Checking"),
            BarColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=output.stderr_console(),
            transient=True,
        )
    )
    task = bar.add_task("batch", total=total, rows=0)
    if total is not None:
        raw = bar.wrap_file(raw, total=total, task_id=task)  # type: ignore[arg-type]

    def update(rows: int) -> None:
        bar.update(task, rows=rows)

    return raw, update


def share(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="The item.", show_default=False)],
    to: Annotated[str, typer.Option("--to", metavar="RECIPIENT", help="The partner or group.")],
    purpose: Annotated[
        str | None, typer.Option("--purpose", metavar="TEXT", help="The purpose of the transfer.")
    ] = None,
    reliability: Annotated[
        str | None,
        typer.Option(
            "--reliability", metavar="TEXT", help="How reliable the data is (personal data)."
        ),
    ] = None,
    age: Annotated[
        str | None,
        typer.Option("--age", metavar="TEXT", help="How old the data is (personal data)."),
    ] = None,
) -> None:
    """Record a transfer, only when can-share says allowed now; prints the transfer's id."""
    from wegings.sharing.transfers import carried_conditions
    from wegings.sharing.transfers import share as record_share
    from wegings.store.engine import session_scope

    with _store_fault_is_an_error(), session_scope(location(ctx), write=True) as session:
        transfer, result = record_share(
            session,
            actor=acting(ctx, session, "share"),
            item=item,
            to=to,
            purpose=purpose,
            reliability=reliability,
            age=age,
        )
    typer.echo(str(transfer.id))
    conditions = " ".join(
        f"({n}) {c.rstrip('.')}." for n, c in enumerate(carried_conditions(result), 1)
    )
    output.say(
        f"Recorded transfer #{transfer.id}: item {result.item.handle} to {result.recipient}. "
        f"It must carry these conditions: {conditions} Basis: {result.basis}."
    )


def transfers(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="RECIPIENT", help="Only to this partner (or its groups)."),
    ] = None,
    item: Annotated[
        str | None,
        typer.Option("--item", metavar="ITEM", help="Only of this item (REF or ORIGINATOR/REF)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Only those made from then: a date (its start in The Hague) or a date-time.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            metavar="WHEN",
            help="Only those made until then: a date (the whole day) or a date-time.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help=output.CSV_HELP)] = False,
) -> None:
    """List recorded transfers with the decision and conditions they carried."""
    from wegings.sharing.snapshot_lists import read_transfers
    from wegings.store.snapshot import read_snapshot
    from wegings.timeutil import parse_end, parse_when

    start = parse_when(since, field="--since") if since else None
    end = parse_end(until, field="--until") if until else None
    if start is not None and end is not None and end < start:
        raise InvalidInput(f"--until {until} lies before --since {since}.")
    with read_snapshot(location(ctx)) as snapshot:
        rows = read_transfers(snapshot, to=to, item=item, since=start, until=end)
    output.one_format(as_json, as_csv)
    if as_json or as_csv:
        output.emit_rows(rows, as_csv=as_csv)
        return
    if not rows:
        output.say("No transfers recorded. Record one with `wegings share`.")
        return
    print_transfers(f"Transfers ({len(rows)})", rows)


def print_transfers(title: str, rows: list[dict[str, Any]]) -> None:
    """Print transfers (as transfer_json gives them) as a table."""
    from wegings.timeutil import display_minute

    output.print_table(
        title,
        ["Id", "Item", "To", "Members", "Purpose", "When", "By", "Conditions"],
        [
            (
                f"#{r['id']}",
                r["item"],
                r["to"],
                ", ".join(r["members"]) or None,
                r["purpose"],
                display_minute(r["transferred_at"]),
                r["recorded_by"],
                "; ".join(r["conditions"]),
            )
            for r in rows
        ],
    )


def register(app: typer.Typer) -> None:
    """Add can-share, share and transfers to `app` (wegings.cli.items adds the rest of the rule)."""
    app.command(
        "can-share",
        rich_help_panel="Third-party rule",
        epilog=output.examples(
            "wegings can-share RVD-2026-0042 --to smi --purpose 'CT-onderzoek'",
            "wegings can-share RVD-2026-0042 --to ctg --as-of 2026-12-01 --json",
            "wegings can-share RVD-2026-0042 --to smi --as-of 2026-11-02 --hindsight",
            "wegings can-share --batch checks.csv --json > answers.jsonl",
        ),
    )(can_share)
    app.command(
        "share",
        rich_help_panel="Third-party rule",
        epilog=output.examples(
            "wegings share RVD-2026-0042 --to smi --purpose 'CT-onderzoek' "
            "--reliability 'B2: meestal betrouwbaar' --age 'Juni 2026'",
        ),
    )(share)
    app.command(
        "transfers",
        rich_help_panel="Third-party rule",
        epilog=output.examples("wegings transfers", "wegings transfers --to smi --json"),
    )(transfers)
