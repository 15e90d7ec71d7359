"""Commands for the partner register: new-partner, edit-partner, partners, show, groups, join,
leave."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from wegings.cli import output
from wegings.cli.state import acting, location
from wegings.domain import PartnerKind


def new_partner(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The service's full name.", show_default=False)],
    short: Annotated[
        str,
        typer.Option("--short", help="Unique handle used in every other command, e.g. bfv."),
    ],
    country: Annotated[
        str,
        typer.Option(
            "--country", metavar="CC", help="ISO 3166-1 alpha-2 code; XA–XZ for fictitious ones."
        ),
    ],
    kind: Annotated[PartnerKind, typer.Option("--kind", help="What sort of service it is.")],
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group", metavar="NAME", help="A group it belongs to, e.g. CTG. Repeatable."
        ),
    ] = None,
    notes: Annotated[str, typer.Option("--notes", metavar="TEXT", help="Free notes.")] = "",
) -> None:
    """Register a foreign partner service."""
    from wegings.register.partners import create_partner, groups_of
    from wegings.store.engine import recorded_now, session_scope

    with session_scope(location(ctx), write=True) as session:
        who = acting(ctx, session, "new-partner")
        now = recorded_now(session)
        partner = create_partner(
            session,
            actor=who,
            now=now,
            name=name,
            short=short,
            country=country,
            kind=kind.value,
            groups=group or [],
            notes=notes,
        )
        groups = groups_of(session, partner, at=now)
    suffix = f" in {', '.join(groups)}" if groups else ""
    output.say(f"Registered partner {partner.short} ({partner.name}){suffix}.")


def edit_partner(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the correction is made.")
    ],
    name: Annotated[
        str | None, typer.Option("--name", metavar="TEXT", help="The service's full name.")
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country", metavar="CC", help="ISO 3166-1 alpha-2 code; XA–XZ for fictitious ones."
        ),
    ] = None,
    kind: Annotated[
        PartnerKind | None, typer.Option("--kind", help="What sort of service it is.")
    ] = None,
    notes: Annotated[
        str | None, typer.Option("--notes", metavar="TEXT", help="Free notes.")
    ] = None,
) -> None:
    """Correct a partner's name, country, kind or notes; the handle never changes."""
    from wegings.register.partners import correct_partner, current_values, get_partner
    from wegings.store.engine import recorded_now, session_scope

    with session_scope(location(ctx), write=True) as session:
        who = acting(ctx, session, "edit-partner")
        found = get_partner(session, partner)
        correction = correct_partner(
            session,
            partner=found,
            actor=who,
            now=recorded_now(session),
            reason=reason,
            name=name,
            country=country,
            kind=kind.value if kind is not None else None,
            notes=notes,
        )
        values = current_values(session, found)
    fields = [f for f in ("name", "country", "kind", "notes") if getattr(correction, f) is not None]
    output.say(f"Corrected {', '.join(fields)} of {found.short} ({values.name}).")


def _as_of(text: str | None, now: Any) -> Any:
    """The moment `--as-of` names (default `now`); the future is refused."""
    from wegings.timeutil import parse_as_of

    return now if text is None else parse_as_of(text, now=now)


AS_OF_HELP = (
    "The moment to answer for: a date (the start of that day in The Hague) or a date-time; "
    "with what was on record then. Default: now."
)


def partners(
    ctx: typer.Context,
    group: Annotated[
        str | None, typer.Option("--group", metavar="NAME", help="Only members of this group.")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="WHEN", help=AS_OF_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help=output.CSV_HELP)] = False,
) -> None:
    """List the registered partner services, or a group's members at a moment."""
    from wegings.register.countries import country_label
    from wegings.register.snapshot_lists import read_partners
    from wegings.store.snapshot import read_snapshot

    with read_snapshot(location(ctx)) as snapshot:
        moment = _as_of(as_of, snapshot.now())
        rows = read_partners(snapshot, group=group, at=moment, known_at=moment)
    output.one_format(as_json, as_csv)
    if as_json or as_csv:
        from wegings.register.listing import partner_json

        data = [partner_json(row) for row in rows]
        output.emit_rows(data, as_csv=as_csv)
        return
    if not rows:
        output.say(
            f"No members of {group} then."
            if group
            else "No partners registered yet. Add one with `wegings new-partner`."
        )
        return
    output.print_table(
        f"Partners{f' in {group}' if group else ''}{f' as of {as_of}' if as_of else ''} "
        f"({len(rows)})",
        ["Handle", "Name", "Country", "Kind", "Groups"],
        [
            (
                r.partner.short,
                r.values.name,
                country_label(r.values.country, "nl"),
                r.values.kind,
                ", ".join(r.groups),
            )
            for r in rows
        ],
    )


def groups(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="WHEN", help=AS_OF_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help=output.CSV_HELP)] = False,
) -> None:
    """List the groups of partners with their members at a moment."""
    from wegings.register.listing import group_json
    from wegings.register.snapshot_lists import read_groups
    from wegings.store.snapshot import read_snapshot

    with read_snapshot(location(ctx)) as snapshot:
        moment = _as_of(as_of, snapshot.now())
        rows = read_groups(snapshot, at=moment, known_at=moment)
    output.one_format(as_json, as_csv)
    if as_json or as_csv:
        data = [group_json(r) for r in rows]
        output.emit_rows(data, as_csv=as_csv)
        return
    if not rows:
        output.say("No groups yet. A partner joins one with `wegings join PARTNER GROUP`.")
        return
    output.print_table(
        f"Groups{f' as of {as_of}' if as_of else ''} ({len(rows)})",
        ["Handle", "Name", "Members"],
        [(r.group.key, r.group.name, ", ".join(r.members) or "none") for r in rows],
    )


FROM_HELP = "The day it holds from (YYYY-MM-DD, in The Hague). Default: now."


def _start_of_day(text: str | None, now: Any) -> Any:
    """The start of the day `--from` names, in UTC; without --from, the moment of recording
    (so a partner that joined a group today can leave it today)."""
    from wegings.timeutil import parse_day, parse_when

    if text is None:
        return now
    day = parse_day(text, field="--from")
    return parse_when(day.isoformat(), field="--from")


def join(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    group: Annotated[
        str, typer.Argument(help="The group's handle, e.g. ctg; created on first join.")
    ],
    valid_from: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help=FROM_HELP)
    ] = None,
    reference: Annotated[
        str, typer.Option("--reference", metavar="TEXT", help="The letter or decision behind it.")
    ] = "",
    display_name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="TEXT",
            help="The group's display name when this join creates it; may hold spaces.",
        ),
    ] = None,
) -> None:
    """Record that a partner joins a group from a day."""
    from wegings.register.partners import get_partner, join_group
    from wegings.store.engine import recorded_now, session_scope
    from wegings.timeutil import display_day

    if valid_from is not None:
        _start_of_day(valid_from, None)  # refuse a bad date before opening the store
    with session_scope(location(ctx), write=True) as session:
        who = acting(ctx, session, "join")
        now = recorded_now(session)
        found = get_partner(session, partner)
        joined, record = join_group(
            session,
            partner=found,
            group=group,
            valid_from=_start_of_day(valid_from, now),
            actor=who,
            now=now,
            reference=reference,
            display_name=display_name,
        )
    output.say(f"{found.short} joins {joined.name} from {display_day(record.valid_from)}.")


def leave(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    group: Annotated[str, typer.Argument(help="The group's handle or name.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why it leaves.")],
    valid_from: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help=FROM_HELP)
    ] = None,
) -> None:
    """Record that a partner leaves a group from a day."""
    from wegings.register.partners import get_partner, leave_group
    from wegings.store.engine import recorded_now, session_scope
    from wegings.timeutil import display_day

    if valid_from is not None:
        _start_of_day(valid_from, None)
    with session_scope(location(ctx), write=True) as session:
        who = acting(ctx, session, "leave")
        now = recorded_now(session)
        found = get_partner(session, partner)
        left, record = leave_group(
            session,
            partner=found,
            group=group,
            valid_from=_start_of_day(valid_from, now),
            reason=reason,
            actor=who,
            now=now,
        )
    output.say(f"{found.short} leaves {left.name} from {display_day(record.valid_from)}.")


def show(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    history: Annotated[
        bool,
        typer.Option(
            "--history", help="Also list every correction, join, leave and flag: who, when, why."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """Show one partner service with its current values, groups, note and open flags."""
    from wegings.register.overview import partner_overview
    from wegings.store.engine import read_now, session_scope

    with session_scope(location(ctx), write=False) as session:
        details = partner_overview(session, partner, now=read_now(session), with_history=history)
    if as_json:
        output.emit_json(details)
        return
    show_overview(details)
    if history:
        show_history(details["history"])


def _history_what(entry: dict[str, Any]) -> str:
    """One history entry in words."""
    kind = entry["kind"]
    if kind == "correction":
        return "; ".join(
            f"{field}: {change['from'] or '—'} → {change['to'] or '—'}"
            for field, change in entry["changes"].items()
        )
    if kind in {"join", "leave"}:
        from wegings.timeutil import display_day

        verb = "joins" if kind == "join" else "leaves"
        reference = f" ({entry['reference']})" if entry["reference"] else ""
        return f"{verb} {entry['group']} from {display_day(entry['valid_from'])}{reference}"
    if kind == "flag":
        retracted = " (retracted)" if entry["retraction"] else ""
        return f"flag {entry['id']}: developments on {entry['observed_on']}{retracted}"
    return f"flag {entry['flag_id']} retracted"


def show_history(entries: list[dict[str, Any]]) -> None:
    """Print a partner's history: what, who, when (in The Hague) and why."""
    from wegings.timeutil import display_minute

    if not entries:
        output.say("No corrections, joins, leaves or flags recorded.")
        return
    output.print_table(
        f"History ({len(entries)})",
        ["Recorded", "By", "What", "Why"],
        [
            (display_minute(e["recorded_at"]), e["recorded_by"], _history_what(e), e["reason"])
            for e in entries
        ],
    )


def show_overview(details: dict[str, Any]) -> None:
    """Print what `partner_overview` found as tables."""
    from wegings.domain import CRITERIA, SCORES
    from wegings.timeutil import display_day

    info = details["partner"]
    output.print_fields(
        f"{info['name']} ({info['short']})",
        [
            ("Country", info["country_label"]),
            ("Kind", info["kind"]),
            ("Groups", ", ".join(info["groups"]) or "none"),
            ("Notes", info["notes"] or "none"),
            ("Registered", f"{display_day(info['created_at'])} by {info['created_by']}"),
        ],
    )
    note = details["note"]
    if note is None:
        output.say(f"No weighing note yet. Score one with `wegings score {info['short']}`.")
    else:
        established = (
            f"{display_day(note['established_at'])} by {note['established_by']} "
            f"({note['established_role']})"
            if note["established_at"]
            else "not established"
        )
        output.print_fields(
            f"Weighing note v{note['version']}",
            [
                ("Status", note["status"] + ("" if note["in_force"] else " (not in force)")),
                ("Risk profile", note["profile"]),
                ("Risicodienst", "yes" if details["risicodienst"] else "no"),
                ("Established", established),
                ("Review due", display_day(note["review_due"])),
                ("Permitted forms", ", ".join(note["forms"]) or "none"),
            ],
        )
        output.print_table(
            None,
            ["Criterion", "Score", "Label"],
            [
                (c.label_nl, note["scores"][c.key], SCORES[note["scores"][c.key]].label_nl)
                for c in CRITERIA
            ],
        )
    if details["flags"]:
        output.print_table(
            "Open flags: the note must be rewritten; transfers need a higher permission",
            ["Flag", "Developments on", "Reason", "Recorded by"],
            [(f["id"], f["observed_on"], f["reason"], f["recorded_by"]) for f in details["flags"]],
        )
    from wegings.cli.items import print_consents, print_permissions
    from wegings.cli.sharing import print_transfers

    if details["consents"]:
        print_consents("Consents it gave, holds or receives", details["consents"])
    if details["permissions"]:
        print_permissions("Permissions for transfers to it", details["permissions"])
    if details["transfers"]:
        print_transfers("Transfers to it", details["transfers"])


def register(app: typer.Typer) -> None:
    """Add the partner commands to `app`."""
    app.command(
        "new-partner",
        rich_help_panel="Partner register",
        epilog=output.examples(
            "wegings new-partner 'Ruritaanse Veiligheidsdienst' --short rvd --country XR "
            "--kind civil --group CTG",
            "wegings --as j.jansen new-partner 'Bundesamt für Verfassungsschutz' --short bfv "
            "--country DE --kind civil --group CTG",
        ),
    )(new_partner)
    app.command(
        "partners",
        rich_help_panel="Partner register",
        epilog=output.examples(
            "wegings partners",
            "wegings partners --group CTG --json",
            "wegings partners --group CTG --as-of 2026-06-01",
        ),
    )(partners)
    app.command(
        "show",
        rich_help_panel="Partner register",
        epilog=output.examples(
            "wegings show rvd", "wegings show rvd --history", "wegings show rvd --json"
        ),
    )(show)
    app.command(
        "edit-partner",
        rich_help_panel="Partner register",
        epilog=output.examples(
            "wegings edit-partner rvd --name 'Ruritaanse Algemene Veiligheidsdienst' "
            "--reason 'Naam gewijzigd per 1 januari.'",
            "wegings edit-partner rvd --country XR --kind combined --reason 'Typefout bij invoer.'",
        ),
    )(edit_partner)
    app.command(
        "groups",
        rich_help_panel="Partner register",
        epilog=output.examples("wegings groups", "wegings groups --as-of 2026-06-01 --json"),
    )(groups)
    app.command(
        "join",
        rich_help_panel="Partner register",
        epilog=output.examples(
            "wegings join rvd ctg --from 2026-01-01 --reference 'CTG-brief 2026/3'",
            "wegings join rvd cdb --name 'Club de Berne'",
        ),
    )(join)
    app.command(
        "leave",
        rich_help_panel="Partner register",
        epilog=output.examples(
            "wegings leave rvd ctg --from 2026-12-01 --reason 'Uitgetreden uit de CTG.'"
        ),
    )(leave)
