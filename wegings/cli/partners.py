"""Commands for the partner register: new-partner, partners, show."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from wegings.cli import output
from wegings.cli.state import actor, location
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

    who = actor(ctx)
    with session_scope(location(ctx), write=True) as session:
        partner = create_partner(
            session,
            actor=who,
            now=recorded_now(session),
            name=name,
            short=short,
            country=country,
            kind=kind.value,
            groups=group or [],
            notes=notes,
        )
        groups = groups_of(session, partner)
    suffix = f" in {', '.join(groups)}" if groups else ""
    output.say(f"Registered partner {partner.short} ({partner.name}){suffix}.")


def partners(
    ctx: typer.Context,
    group: Annotated[
        str | None, typer.Option("--group", metavar="NAME", help="Only members of this group.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """List the registered partner services."""
    from wegings.register.countries import country_label
    from wegings.register.partners import list_partners
    from wegings.store.engine import session_scope

    with session_scope(location(ctx), write=False) as session:
        rows = list_partners(session, group=group)
    if as_json:
        from wegings.register.overview import partner_json

        output.emit_json([partner_json(row) for row in rows])
        return
    if not rows:
        output.say("No partners registered yet. Add one with `wegings new-partner`.")
        return
    output.print_table(
        f"Partners{f' in {group}' if group else ''} ({len(rows)})",
        ["Handle", "Name", "Country", "Kind", "Groups"],
        [
            (
                r.partner.short,
                r.partner.name,
                country_label(r.partner.country, "nl"),
                r.partner.kind,
                ", ".join(r.groups),
            )
            for r in rows
        ],
    )


def show(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
) -> None:
    """Show one partner service with its groups, current note and open flags."""
    from wegings.register.overview import partner_overview
    from wegings.store.engine import read_now, session_scope

    with session_scope(location(ctx), write=False) as session:
        details = partner_overview(session, partner, now=read_now(session))
    if as_json:
        output.emit_json(details)
        return
    show_overview(details)


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
            ["Developments on", "Reason", "Recorded by"],
            [(f["observed_on"], f["reason"], f["recorded_by"]) for f in details["flags"]],
        )
    from wegings.cli.items import print_consents
    from wegings.cli.sharing import print_transfers

    if details["consents"]:
        print_consents("Consents it gave, holds or receives", details["consents"])
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
        epilog=output.examples("wegings partners", "wegings partners --group CTG --json"),
    )(partners)
    app.command(
        "show",
        rich_help_panel="Partner register",
        epilog=output.examples("wegings show rvd", "wegings show rvd --json"),
    )(show)
