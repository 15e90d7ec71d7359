"""Commands for the audit trail: log, verify, and the log key, checkpoints and proofs."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Annotated

import typer

from wegings.cli import output
from wegings.cli.state import location
from wegings.errors import InvalidInput, Refused

app = typer.Typer(
    help="The hash-chained audit trail of every change.",
    no_args_is_help=True,
    epilog=output.examples("wegings audit log --limit 10", "wegings audit verify"),
)


_SINCE_HELP = "Only events recorded from then: a date (its start in The Hague) or a date-time."
_UNTIL_HELP = "Only events recorded until then: a date (the whole day) or a date-time."


@app.command(
    "log",
    epilog=output.examples(
        "wegings audit log",
        "wegings audit log --entity partner --limit 5",
        "wegings audit log --partner bfv",
        "wegings audit log --actor j.jansen --since 2026-11-01 --until 2026-11-30",
        "wegings audit log --json",
    ),
)
def log(
    ctx: typer.Context,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            max=1_000_000_000,
            metavar="N",
            help="Show at most this many (1 or more), newest first.",
        ),
    ] = None,
    entity: Annotated[
        str | None,
        typer.Option("--entity", metavar="KIND", help="Only events about this kind of record."),
    ] = None,
    partner: Annotated[
        str | None,
        typer.Option(
            "--partner",
            metavar="PARTNER",
            help="Only events about this partner: its own records and those that refer to "
            "them (its items, consents, permissions, notes, flags, transfers).",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", metavar="LOGIN", help="Only events recorded by this person."),
    ] = None,
    since: Annotated[str | None, typer.Option("--since", metavar="WHEN", help=_SINCE_HELP)] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="WHEN", help=_UNTIL_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help=output.CSV_HELP)] = False,
) -> None:
    """List audit events, newest first, each with a summary of what it recorded."""
    from wegings.store.audit import log_events
    from wegings.store.audit_log import LogFilter
    from wegings.store.engine import session_scope
    from wegings.timeutil import iso, parse_end, parse_when

    start = parse_when(since, field="--since") if since else None
    end = parse_end(until, field="--until") if until else None
    if start is not None and end is not None and end < start:
        raise InvalidInput(f"--until {until} lies before --since {since}.")
    who = actor.strip() if actor is not None else None
    if who == "":
        raise InvalidInput("--actor is empty; give a login.")
    with session_scope(location(ctx), write=False) as session:
        about = None
        if partner is not None:
            from wegings.register.partners import get_partner

            found = get_partner(session, partner)
            assert found.id is not None
            about = (found.id, found.short)
        wanted = LogFilter(partner=about, actor=who, since=start, until=end)
        events = log_events(session, wanted=wanted, entity=entity, limit=limit)
    output.one_format(as_json, as_csv)
    if as_json or as_csv:
        data = [
            {
                "seq": e.seq,
                "at": iso(e.at),
                "actor": e.actor,
                "os_login": e.os_login,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "summary": text,
                "change": dict(e.change),
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e, text in events
        ]
        output.emit_rows(data, as_csv=as_csv)
        return
    output.print_table(
        f"Audit events ({len(events)})",
        ["#", "Time (UTC)", "Actor", "Action", "Record", "Summary"],
        [
            (
                e.seq,
                e.at.strftime("%Y-%m-%d %H:%M:%S"),
                e.actor if e.os_login in (None, e.actor) else f"{e.actor} (OS login: {e.os_login})",
                e.action,
                f"{e.entity} #{e.entity_id}",
                text,
            )
            for e, text in events
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
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            metavar="FILE",
            help="A checkpoint kept earlier (`audit checkpoint`): the trail must extend it.",
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            metavar="VERIFIER_KEY",
            help="The log's verifier key, as `audit key init` printed it, or a file holding it.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """Check that no event or record was altered, removed or reordered.

    Also rebuilds the Merkle tree from the events and holds every stored node to it. With
    --checkpoint and --key, the checkpoint's signature must hold and the trail's first events
    must give its root: nothing it covered was changed or removed since.
    """
    from wegings.store.audit import AuditBroken, parse_anchor
    from wegings.store.audit import verify as verify_trail
    from wegings.store.checkpoint import SignatureFails, open_checkpoint
    from wegings.store.engine import session_scope, standby
    from wegings.store.logkey import read_verifier

    anchor = parse_anchor(expect) if expect is not None else None
    if (checkpoint_file is None) != (key is None):
        raise InvalidInput("--checkpoint and --key go together: the checkpoint and the key.")
    kept = None
    if checkpoint_file is not None and key is not None:
        text = read_small_text(checkpoint_file, "--checkpoint")
        try:
            kept = open_checkpoint(text, read_verifier(key))
        except SignatureFails as failure:
            raise Refused(f"--checkpoint {checkpoint_file}: {failure.message}") from None
    with session_scope(location(ctx), write=False) as session:
        lag = standby(session)
        try:
            result = verify_trail(session, expect=anchor, checkpoint=kept)
        except AuditBroken as broken:
            if as_json:
                # A broken trail is a verdict, so it is data too; the error line still follows.
                finding = {"seq": broken.seq, "reason": broken.reason, "message": broken.message}
                verdict: dict[str, object] = {"intact": False, "findings": [finding]}
                if lag is not None:
                    verdict["standby"] = lag.as_json()
                output.emit_json(verdict)
            raise
    if as_json:
        answer: dict[str, object] = {
            "intact": True,
            "events": result.events,
            "records": result.records,
            "head": result.head,
            "head_hash": result.head_hash,
            "tree_size": result.events,
            "root": base64.b64encode(result.root).decode(),
            "checkpoint": None
            if kept is None
            else {"origin": kept.origin, "size": kept.size, "consistent": True},
        }
        if lag is not None:
            # Read on a standby, the verdict says how far behind the primary it may be.
            answer["standby"] = lag.as_json()
        output.emit_json(answer)
        return
    extra = (
        f" Consistent with the checkpoint of {kept.origin} at {kept.size} events."
        if kept is not None
        else ""
    )
    typer.echo(
        f"Audit trail intact: {result.events} events and {result.records} records checked. "
        f"Head {result.head} (write it down; check later with --expect).{extra}"
    )


def read_small_text(path: Path, option: str) -> str:
    """A small text file given to an option (a checkpoint, a proof); one clear line if it
    cannot be read."""
    from wegings.store.logkey import read_small_file

    return read_small_file(path, f"{option} {path}")


def _write_or_print(
    text: str, out: Path | None, *, force: bool, ctx: typer.Context, key: Path
) -> None:
    from wegings.cli.render import check_output_path
    from wegings.render.files import write_atomically

    if out is None or str(out) == "-":
        sys.stdout.write(text)
        return
    check_output_path(out, database=location(ctx).path, force=force, log_key=key)
    write_atomically(out, text.encode("utf-8"))


_KEY_PATH = typer.Option(
    "--key-path",
    metavar="FILE",
    help="The log key. Default: $WEGINGS_LOG_KEY, else log-key in the user data directory.",
)
_OUT = typer.Option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
_FORCE = typer.Option("--force", help="Replace FILE if it exists.")

key_app = typer.Typer(
    help="The log key that signs checkpoints of the audit trail.",
    no_args_is_help=True,
    epilog=output.examples("wegings audit key init", "wegings audit key show"),
)
app.add_typer(key_app, name="key")


@key_app.command(
    "init",
    epilog=output.examples(
        "wegings audit key init",
        "wegings audit key init --path /srv/wegings/log-key --origin aivd.wegings.nl/audit",
    ),
)
def key_init(
    path: Annotated[
        Path | None,
        typer.Option(
            "--path",
            metavar="FILE",
            help="Where to create it. Default: $WEGINGS_LOG_KEY, else log-key in the user "
            "data directory.",
        ),
    ] = None,
    origin: Annotated[
        str | None,
        typer.Option(
            "--origin",
            metavar="NAME",
            help="The log's name in its checkpoints (default: wegings.<service>/audit).",
        ),
    ] = None,
) -> None:
    """Create the Ed25519 log key (mode 0600) and print its verifier key.

    Give the verifier key to the oversight committee: with it they check every checkpoint and
    proof offline. A key is never replaced.
    """
    from wegings.service import own_service
    from wegings.store.logkey import create_key, key_path

    target = key_path(path)
    name = origin if origin is not None else f"wegings.{own_service().lower()}/audit"
    signer = create_key(target, name)
    typer.echo(signer.verifier.text())
    output.say(
        f"Created the log key {target} (readable by you only). The line above is its verifier "
        "key: give it to the oversight committee."
    )


@key_app.command("show", epilog=output.examples("wegings audit key show"))
def key_show(key_path_option: Annotated[Path | None, _KEY_PATH] = None) -> None:
    """Print the verifier key of the log key."""
    from wegings.store.logkey import key_path, load_key

    typer.echo(load_key(key_path(key_path_option)).verifier.text())


@app.command(
    "checkpoint",
    epilog=output.examples(
        "wegings audit checkpoint -o 2026-12-02.checkpoint",
        "wegings audit checkpoint --key-path /srv/wegings/log-key",
    ),
)
def checkpoint(
    ctx: typer.Context,
    out: Annotated[Path | None, _OUT] = None,
    key_path_option: Annotated[Path | None, _KEY_PATH] = None,
    force: Annotated[bool, _FORCE] = False,
) -> None:
    """Write a signed checkpoint of the whole trail (c2sp.org/tlog-checkpoint).

    The oversight committee keeps it; later, `audit prove --since` shows that the trail then is
    the start of the trail now, and `audit verify --checkpoint` checks a database against it.
    The key signs only what was checked: the last checkpoint it signed is kept beside it
    (KEYFILE.checkpoint); the stored tree must still give that checkpoint's root, and the events
    after it are hashed again onto it. Without one, the whole trail is checked first.
    """
    from wegings.store.engine import session_scope
    from wegings.store.logkey import key_path, load_key, load_remembered, remember
    from wegings.store.proofs import checkpoint as make_checkpoint

    key_file = key_path(key_path_option)
    signer = load_key(key_file)
    last = load_remembered(key_file, signer)
    with session_scope(location(ctx), write=False) as session:
        head, signed = make_checkpoint(session, signer, last=last)
    _write_or_print(signed, out, force=force, ctx=ctx, key=key_file)
    remember(key_file, signed)
    checked = (
        "the whole trail verified"
        if last is None
        else f"checked from the checkpoint signed at {last.size} events"
    )
    output.say(f"Checkpoint of {head.origin}: {head.size} events ({checked}).")


@app.command(
    "prove",
    epilog=output.examples(
        "wegings audit prove --since 2026-11-01.checkpoint -o since-november.proof",
        "wegings audit prove --event 42 -o transfer-42.tlog-proof",
    ),
)
def prove(
    ctx: typer.Context,
    since: Annotated[
        Path | None,
        typer.Option(
            "--since",
            metavar="OLD_CHECKPOINT",
            help="Prove the trail now extends this older checkpoint (a consistency proof).",
        ),
    ] = None,
    event: Annotated[
        int | None,
        typer.Option(
            "--event",
            metavar="SEQ",
            min=1,
            max=2**62,
            help="Prove this event is in the trail now (an inclusion proof, c2sp.org/tlog-proof).",
        ),
    ] = None,
    out: Annotated[Path | None, _OUT] = None,
    key_path_option: Annotated[Path | None, _KEY_PATH] = None,
    force: Annotated[bool, _FORCE] = False,
) -> None:
    """Write a proof, with the current signed checkpoint, that an overseer checks offline.

    The overseer checks it with `wegings audit check-proof FILE --key VERIFIER_KEY`, with no
    database; a consistency proof carries the older checkpoint it starts from.
    """
    from wegings.store.engine import session_scope
    from wegings.store.logkey import key_path, load_key, load_remembered, remember
    from wegings.store.proofs import prove_event, prove_since

    if (since is None) == (event is None):
        raise InvalidInput("Give --since OLD_CHECKPOINT or --event SEQ (one of them).")
    key_file = key_path(key_path_option)
    signer = load_key(key_file)
    last = load_remembered(key_file, signer)
    old = read_small_text(since, "--since") if since is not None else None
    with session_scope(location(ctx), write=False) as session:
        if old is not None:
            head, text = prove_since(session, signer, old, last=last)
        else:
            assert event is not None
            head, text = prove_event(session, signer, event, last=last)
    _write_or_print(text, out, force=force, ctx=ctx, key=key_file)
    remember(key_file, text.partition("\n\n")[2])  # the checkpoint the proof leads to
    what = f"event {event}" if event is not None else "the older checkpoint"
    output.say(f"Proof of {what} at the checkpoint of {head.origin}: {head.size} events.")


@app.command(
    "check-proof",
    epilog=output.examples(
        "wegings audit check-proof since-november.proof --key verifier-key.txt",
        "wegings audit check-proof since-november.proof --key verifier-key.txt "
        "--checkpoint 2026-11-01.checkpoint",
        "wegings audit check-proof transfer-42.tlog-proof --key 'wegings.aivd/audit+1a2b3c4d+AR…'",
    ),
)
def check_proof(
    proof_file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="A proof written by `audit prove`.", show_default=False
        ),
    ],
    key: Annotated[
        str,
        typer.Option(
            "--key",
            metavar="VERIFIER_KEY",
            help="The log's verifier key, as `audit key init` printed it, or a file holding it.",
            show_default=False,
        ),
    ],
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            metavar="OLD_CHECKPOINT",
            help="The checkpoint you kept: a consistency proof must start from exactly it (an "
            "inclusion proof lead to it).",
        ),
    ] = None,
) -> None:
    """Check a proof offline, with the verifier key alone: no database is read.

    Checks the signatures of the checkpoints in the proof file and the consistency proof (from
    `audit prove --since`: the older trail is the start of the newer one) or the inclusion
    proof (from `audit prove --event`: the event is in the trail). Exit 0 when it holds, 1 when
    it does not, 2 when the file or key cannot be read.
    """
    from wegings.store.checkpoint import SignatureFails, open_checkpoint
    from wegings.store.checkpoint import check_proof as check_proof_file
    from wegings.store.logkey import read_verifier

    verifier = read_verifier(key)
    text = read_small_text(proof_file, "FILE")
    kept = None
    if checkpoint_file is not None:
        try:
            kept = open_checkpoint(read_small_text(checkpoint_file, "--checkpoint"), verifier)
        except SignatureFails as failure:
            raise Refused(f"--checkpoint {checkpoint_file}: {failure.message}") from None
    proof = check_proof_file(text, verifier, kept)
    head = proof.checkpoint
    if proof.kind == "consistency":
        typer.echo(
            f"The proof holds: the trail of {head.origin} at {head.size} events extends its "
            f"trail at {proof.number} events{' (the checkpoint kept)' if kept else ''}: nothing "
            "before was changed or removed."
        )
    else:
        assert proof.extra is not None
        typer.echo(
            f"The proof holds: event {proof.number + 1} is in the trail of {head.origin} at "
            f"{head.size} events."
        )


def register(root: typer.Typer) -> None:
    """Add `audit` (log, verify, checkpoint, prove, check-proof, key) to `root`."""
    root.add_typer(app, name="audit", rich_help_panel="Store and audit trail")
