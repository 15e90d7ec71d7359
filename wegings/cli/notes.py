"""Commands for weighing notes: establish, withdraw, flag, retract-flag, due, history, diff."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from wegings.cli import output
from wegings.cli.state import acting, location
from wegings.domain import Role
from wegings.errors import InvalidInput


def _short_date(value: str | None) -> str:
    from wegings.timeutil import display_day

    return display_day(value)


def establish(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    role: Annotated[Role, typer.Option("--role", help="Who establishes: minister, or dg.")],
    version: Annotated[
        int | None,
        typer.Option("--version", min=1, help="Establish this version, not the latest draft."),
    ] = None,
    decision: Annotated[
        str, typer.Option("--decision", metavar="TEXT", help="The decision's text or reference.")
    ] = "",
) -> None:
    """Establish the latest draft (four eyes; a verhoogd note only by the minister)."""
    from wegings.notes.notes import establish as establish_note
    from wegings.register.partners import get_partner
    from wegings.store.engine import recorded_now, session_scope

    with session_scope(location(ctx), write=True) as session:
        who = acting(ctx, session, "establish", role=role.value)
        found = get_partner(session, partner)
        state = establish_note(
            session,
            partner=found,
            role=role,
            actor=who,
            now=recorded_now(session),
            version=version,
            decision=decision,
        )
    assert state.establishment is not None
    output.say(
        f"Established {found.short} version {state.version} ({state.profile.value}) by {who} "
        f"as {role.value}; review due {state.establishment.review_due.date().isoformat()}."
    )


def withdraw(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why cooperation stops.")],
) -> None:
    """Withdraw the established note: cooperation is suspended until a new one is established."""
    from wegings.notes.notes import withdraw as withdraw_note
    from wegings.register.partners import get_partner
    from wegings.store.engine import recorded_now, session_scope

    with session_scope(location(ctx), write=True) as session:
        who = acting(ctx, session, "withdraw")
        found = get_partner(session, partner)
        state = withdraw_note(
            session, partner=found, reason=reason, actor=who, now=recorded_now(session)
        )
    output.say(
        f"Withdrew {found.short} version {state.version}; cooperation is suspended until a new "
        "version is established."
    )


def flag(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    reason: Annotated[
        str,
        typer.Option("--reason", metavar="TEXT", help="The developments, e.g. political unrest."),
    ],
    on: Annotated[
        str | None,
        typer.Option(
            "--date", metavar="DATE", help="When they took place (ISO date; default today)."
        ),
    ] = None,
) -> None:
    """Record developments that require the note to be rewritten; print the flag's id."""
    from wegings.notes.notes import raise_flag
    from wegings.register.partners import get_partner
    from wegings.store.engine import recorded_now, session_scope
    from wegings.timeutil import local_day, parse_day

    given = parse_day(on, field="--date") if on else None
    with session_scope(location(ctx), write=True) as session:
        who = acting(ctx, session, "flag")
        found = get_partner(session, partner)
        # Recorded, and "today" by default, as of when the write lock is held, not before.
        now = recorded_now(session)
        observed = given if given is not None else local_day(now)
        recorded = raise_flag(
            session, partner=found, reason=reason, observed_on=observed, actor=who, now=now
        )
    # The id on stdout, so that `wegings retract-flag "$(wegings flag …)"` works.
    typer.echo(str(recorded.id))
    output.say(
        f"Flagged {found.short} (flag {recorded.id}): the note must be rewritten; until a new "
        "version is established every transfer needs a recorded higher permission."
    )


def retract_flag(
    ctx: typer.Context,
    flag_id: Annotated[
        int,
        typer.Argument(
            min=1,
            help="The flag's id, as `flag` printed it or `show --json` lists it.",
            show_default=False,
        ),
    ],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the flag was a mistake.")
    ],
) -> None:
    """Retract a flag recorded by mistake: it no longer counts from now on; history keeps it."""
    from wegings.notes.notes import retract_flag as retract
    from wegings.register.partners import current_values
    from wegings.store.engine import recorded_now, session_scope
    from wegings.store.models import Partner

    with session_scope(location(ctx), write=True) as session:
        who = acting(ctx, session, "retract-flag")
        flag_record, _ = retract(
            session, flag_id=flag_id, reason=reason, actor=who, now=recorded_now(session)
        )
        partner = session.get(Partner, flag_record.partner_id)
        assert partner is not None
        shown = current_values(session, partner)
    output.say(
        f"Retracted flag {flag_id} of {shown.short} ({shown.name}): it no longer counts; "
        f"`wegings show {shown.short} --history` keeps it."
    )


def due(
    ctx: typer.Context,
    within: Annotated[
        int,
        typer.Option(
            "--within",
            min=0,
            max=36_500,
            metavar="DAYS",
            help="The window: reviews, consents and permissions due or ending this soon.",
        ),
    ] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help=output.CSV_HELP)] = False,
) -> None:
    """List partners that need attention, most urgent first.

    No note in force, a review past or near, open flags, and consents and permissions that end
    within the window: a consent with its originator, who must renew it; a permission with its
    recipient."""
    from wegings.notes.attention import check_within, expiring, with_expiring
    from wegings.notes.due_listing import read_due
    from wegings.register.snapshot_lists import read_groups
    from wegings.sharing.snapshot_lists import read_consents, read_permissions
    from wegings.store.snapshot import read_snapshot

    with read_snapshot(location(ctx)) as snapshot:
        now = snapshot.now()
        check_within(within)
        ending = expiring(
            read_consents(snapshot, now=now),
            read_permissions(snapshot, now=now),
            now=now,
            within_days=within,
        )
        rows = read_due(snapshot, now=now, within_days=within, ending=ending)
        names = {}
        if set(ending) - {row["partner"] for row in rows}:
            names = {r.group.key: r.group.name for r in read_groups(snapshot, at=now)}
        data = with_expiring(rows, ending, names)
    output.one_format(as_json, as_csv)
    if as_json or as_csv:
        output.emit_rows(data, as_csv=as_csv)
        return
    if not data:
        output.say(f"Nothing due: every note is in force and none is due within {within} days.")
        return
    output.print_table(
        f"Due ({len(data)})",
        ["Partner", "Note", "Review due", "Days", "Why"],
        [
            (
                d["partner"],
                f"v{d['version']} {d['status']}" if d["version"] else "—",
                _short_date(d["review_due"]),
                d["days_left"],
                "; ".join(d["reasons"]),
            )
            for d in data
        ],
    )


def history(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help=output.CSV_HELP)] = False,
) -> None:
    """List every version of the partner's note with its status and who decided."""
    from wegings.notes.notes import note_states, state_json
    from wegings.register.partners import current_values, get_partner
    from wegings.store.engine import session_scope

    with session_scope(location(ctx), write=False) as session:
        found = get_partner(session, partner)
        name = current_values(session, found).name
        states = [state_json(s) for s in note_states(session, found)]
    output.one_format(as_json, as_csv)
    if as_json or as_csv:
        for entry in states:
            del entry["answers"]
        output.emit_rows(states, as_csv=as_csv)
        return
    if not states:
        output.say(
            f"{found.short} has no weighing note yet. Score one with `wegings score {found.short}`."
        )
        return
    output.print_table(
        f"Weighing notes of {name} ({found.short})",
        ["v", "Status", "Profile", "Author", "Created", "Established", "Review due"],
        [
            (
                s["version"],
                s["status"],
                s["profile"],
                s["author"],
                _short_date(s["created_at"]),
                f"{_short_date(s['established_at'])} {s['established_by']} "
                f"({s['established_role']})"
                if s["established_at"]
                else "—",
                _short_date(s["review_due"]),
            )
            for s in states
        ],
    )


def diff(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    first: Annotated[int, typer.Argument(help="The older version.", show_default=False)],
    second: Annotated[int, typer.Argument(help="The newer version.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """Show what changed between two versions: every field, with its old and new text."""
    from wegings.domain import CRITERIA_BY_KEY
    from wegings.notes.notes import diff as note_diff
    from wegings.notes.notes import diff_json, get_version, note_states
    from wegings.register.partners import get_partner
    from wegings.store.engine import session_scope

    if first == second:
        raise InvalidInput(f"Give two different versions to compare, not {first} twice.")
    with session_scope(location(ctx), write=False) as session:
        found = get_partner(session, partner)
        states = note_states(session, found)
        result = note_diff(get_version(states, first, found), get_version(states, second, found))
    if as_json:
        output.emit_json(diff_json(result))
        return

    def sources(change: Any) -> str:
        lines = [f"+ {s}" for s in change.sources_added]
        lines += [f"- {s}" for s in change.sources_removed]
        return "\n".join(lines) or "unchanged"

    output.print_table(
        f"{found.short}: version {first} → {second} (profile {result.profile_from} → "
        f"{result.profile_to})",
        ["Criterion", "Score", "Motivation", "Sources"],
        [
            (
                CRITERIA_BY_KEY[c.key].label_nl,
                f"{c.score_from} → {c.score_to}" if c.score_from != c.score_to else c.score_to,
                f"was: {c.motivation_from}\nnow: {c.motivation_to}"
                if c.motivation_from != c.motivation_to
                else "unchanged",
                sources(c),
            )
            for c in result.criteria
        ],
    )
    texts = [t for t in (result.context, *result.interest) if t.changed]
    if texts:
        output.print_table(
            "Texts changed",
            ["Field", "Was", "Now"],
            [(t.field, t.text_from or "—", t.text_to or "—") for t in texts],
        )
    changes = [
        ("Forms added", ", ".join(result.forms_added)),
        ("Forms removed", ", ".join(result.forms_removed)),
        ("Conditions added", "; ".join(result.conditions_added)),
        ("Conditions removed", "; ".join(result.conditions_removed)),
    ]
    output.print_fields("Other changes", [(k, v) for k, v in changes if v] or [("None", "")])


def register(app: typer.Typer) -> None:
    """Add the weighing-note commands to `app` (wegings.cli.scoring adds score)."""
    ex = output.examples
    app.command(
        "establish",
        rich_help_panel="Weighing notes",
        epilog=ex(
            "wegings --as h.de.boer establish rvd --role dg --decision 'DG-besluit 2026/114'",
            "wegings --as minister.office establish smi --role minister --version 2",
        ),
    )(establish)
    app.command(
        "withdraw",
        rich_help_panel="Weighing notes",
        epilog=ex("wegings withdraw smi --reason 'Samenwerking opgeschort na staatsgreep.'"),
    )(withdraw)
    app.command(
        "flag",
        rich_help_panel="Weighing notes",
        epilog=ex(
            "wegings flag smi --reason 'Politieke onrust na verkiezingen' --date 2026-11-20",
            "FLAG=$(wegings flag smi --reason 'Staatsgreep')",
        ),
    )(flag)
    app.command(
        "retract-flag",
        rich_help_panel="Weighing notes",
        epilog=ex(
            "wegings retract-flag 3 --reason 'Geregistreerd bij de verkeerde partner.'",
            "wegings show smi --json | jq '.flags[].id'",
        ),
    )(retract_flag)
    app.command(
        "due",
        rich_help_panel="Weighing notes",
        epilog=ex("wegings due", "wegings due --within 180 --json"),
    )(due)
    app.command(
        "history",
        rich_help_panel="Weighing notes",
        epilog=ex("wegings history rvd", "wegings history rvd --json"),
    )(history)
    app.command(
        "diff",
        rich_help_panel="Weighing notes",
        epilog=ex("wegings diff rvd 1 2", "wegings diff rvd 1 2 --json"),
    )(diff)
