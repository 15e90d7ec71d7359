"""Commands for the register of the third-party rule: items, consents, permissions."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from wegings.cli import output
from wegings.cli.state import acting, acting_person, location
from wegings.domain import Role

_JSON = typer.Option("--json", help="Print plain JSON.")


def new_item(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(help="The item's reference, unique per originator.", show_default=False)
    ],
    originator: Annotated[
        str,
        typer.Option(
            "--originator", metavar="PARTNER|self", help="Who it comes from; self = our service."
        ),
    ],
    received_from: Annotated[
        str | None,
        typer.Option(
            "--received-from",
            metavar="PARTNER",
            help="The partner we got it from (not for our own items).",
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--date", metavar="DATE", help="When we received it (ISO; default today)."),
    ] = None,
    personal_data: Annotated[
        bool, typer.Option("--personal-data", help="It holds personal data.")
    ] = False,
    unevaluated: Annotated[
        bool, typer.Option("--unevaluated", help="It is unevaluated data.")
    ] = False,
    classification: Annotated[
        str, typer.Option("--classification", metavar="TEXT", help="Its classification.")
    ] = "",
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", metavar="TAG", help="A tag that standing consents match. Repeatable."
        ),
    ] = None,
    subject: Annotated[
        str, typer.Option("--subject", metavar="TEXT", help="What it is about, in short.")
    ] = "",
) -> None:
    """Register an item of information; prints the handle it is addressed by."""
    from wegings.sharing.items import create_item
    from wegings.store.engine import recorded_now, session_scope
    from wegings.timeutil import parse_day

    received_on = parse_day(on, field="--date") if on else None
    with session_scope(location(ctx), write=True) as session:
        row = create_item(
            session,
            actor=acting(ctx, session, "new-item"),
            now=recorded_now(session),
            ref=ref,
            originator=originator,
            received_from=received_from,
            received_on=received_on,
            personal_data=personal_data,
            unevaluated=unevaluated,
            classification=classification,
            subject=subject,
            tags=tag or [],
        )
    typer.echo(row.handle)
    source = f" received from {row.item.received_from}" if row.item.received_from else ""
    output.say(f"Registered item {row.handle} from {row.item.originator}{source}.")


def items(
    ctx: typer.Context,
    originator: Annotated[
        str | None,
        typer.Option("--originator", metavar="PARTNER|self", help="Only items from this one."),
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", metavar="TAG", help="Only with this tag.")] = (
        None
    ),
    as_json: Annotated[bool, _JSON] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help=output.CSV_HELP)] = False,
) -> None:
    """List the registered items."""
    from wegings.sharing.listing import item_json
    from wegings.sharing.snapshot_lists import read_items
    from wegings.store.snapshot import read_snapshot

    with read_snapshot(location(ctx)) as snapshot:
        rows = read_items(snapshot, originator=originator, tag=tag)
    output.one_format(as_json, as_csv)
    if as_json or as_csv:
        data = [item_json(row) for row in rows]
        output.emit_rows(data, as_csv=as_csv)
        return
    if not rows:
        output.say("No items found. Register one with `wegings new-item`.")
        return
    output.print_table(
        f"Items ({len(rows)})",
        ["Handle", "Originator", "Received from", "Date", "Data", "Tags", "Subject"],
        [
            (
                r.handle,
                r.item.originator,
                r.item.received_from,
                r.item.received_on.isoformat(),
                data_kind(r.values.personal_data, r.values.unevaluated),
                ", ".join(r.tags),
                r.values.subject + (" (corrected)" if r.corrections else ""),
            )
            for r in rows
        ],
    )


def data_kind(personal_data: bool, unevaluated: bool) -> str:
    """personal, unevaluated, both, or evaluated: the kind of data an item is."""
    kinds = [
        name for name, flag in (("personal", personal_data), ("unevaluated", unevaluated)) if flag
    ]
    return ", ".join(kinds) or "evaluated"


def correct_item(
    ctx: typer.Context,
    item: Annotated[
        str, typer.Argument(help="The item (REF or ORIGINATOR/REF).", show_default=False)
    ],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the registration was wrong.")
    ],
    personal_data: Annotated[
        bool | None,
        typer.Option(
            "--personal-data/--no-personal-data",
            help="It holds personal data / it does not.",
            show_default=False,
        ),
    ] = None,
    unevaluated: Annotated[
        bool | None,
        typer.Option(
            "--unevaluated/--no-unevaluated",
            help="It is unevaluated data / it is evaluated.",
            show_default=False,
        ),
    ] = None,
    classification: Annotated[
        str | None,
        typer.Option("--classification", metavar="TEXT", help="Its right classification."),
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", metavar="TEXT", help="What it is about, in short.")
    ] = None,
    add_tag: Annotated[
        list[str] | None,
        typer.Option("--add-tag", metavar="TAG", help="A tag it should have. Repeatable."),
    ] = None,
    remove_tag: Annotated[
        list[str] | None,
        typer.Option("--remove-tag", metavar="TAG", help="A tag it should not have. Repeatable."),
    ] = None,
) -> None:
    """Correct an item's flags, classification, subject or tags (a new record; nothing is
    edited). It holds from the registration but is on record only from now: `can-share
    --as-of` an earlier moment keeps the old answer, `--hindsight` shows the new one."""
    from wegings.sharing.items import correct_item as record_correction
    from wegings.store.engine import recorded_now, session_scope

    with session_scope(location(ctx), write=True) as session:
        correction, row = record_correction(
            session,
            actor=acting(ctx, session, "correct-item"),
            now=recorded_now(session),
            item=item,
            reason=reason,
            personal_data=personal_data,
            unevaluated=unevaluated,
            classification=classification,
            subject=subject,
            add_tags=add_tag or [],
            remove_tags=remove_tag or [],
        )
    typer.echo(str(correction.id))
    output.say(
        f"Recorded correction #{correction.id} of item {row.handle}: now "
        f"{data_kind(row.values.personal_data, row.values.unevaluated)} data"
        + (f", tags {', '.join(row.tags)}" if row.tags else ", no tags")
        + ". Checks as of before now keep the old values; see `wegings show-item "
        f"{row.handle}`."
    )


def show_item(
    ctx: typer.Context,
    item: Annotated[
        str, typer.Argument(help="The item (REF or ORIGINATOR/REF).", show_default=False)
    ],
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Show an item's current values and every correction: who, when, why, from what to what."""
    from wegings.sharing.items import item_history, item_json, item_row
    from wegings.store.engine import session_scope
    from wegings.timeutil import display_minute

    with session_scope(location(ctx), write=False) as session:
        row = item_row(session, item)
    details = item_json(row)
    history = item_history(row)
    if as_json:
        output.emit_json({**details, "history": history})
        return
    values = row.values
    output.print_fields(
        f"Item {row.handle}",
        [
            ("Originator", row.item.originator),
            ("Received from", row.item.received_from),
            ("Date", row.item.received_on.isoformat()),
            ("Data", data_kind(values.personal_data, values.unevaluated)),
            ("Classification", values.classification),
            ("Subject", values.subject),
            ("Tags", ", ".join(values.tags)),
            ("Registered", f"{display_minute(row.item.recorded_at)} by {row.item.recorded_by}"),
        ],
    )
    if not history:
        output.say(f"No corrections. Correct it with `wegings correct-item {row.handle}`.")
        return
    output.print_table(
        f"Corrections ({len(history)})",
        ["Id", "Recorded", "By", "Changes", "Reason"],
        [
            (
                f"#{entry['id']}",
                display_minute(entry["recorded_at"]),
                entry["recorded_by"],
                "; ".join(_change_text(key, change) for key, change in entry["changes"].items()),
                entry["reason"],
            )
            for entry in history
        ],
    )


def _change_text(key: str, change: Any) -> str:
    """One change of a correction, as a person reads it."""
    if key == "add_tags":
        return "tags added: " + ", ".join(change)
    if key == "remove_tags":
        return "tags removed: " + ", ".join(change)
    label = key.replace("_", " ")
    return f"{label}: {_shown(change['from'])} → {_shown(change['to'])}"


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"'{value}'" if value != "" else "(empty)"


def consent(
    ctx: typer.Context,
    to: Annotated[
        str, typer.Option("--to", metavar="RECIPIENT", help="The partner or group it may go to.")
    ],
    item: Annotated[
        str | None,
        typer.Argument(help="The item (REF or ORIGINATOR/REF); or use --tag.", show_default=False),
    ] = None,
    holder: Annotated[
        str | None,
        typer.Option(
            "--holder",
            metavar="PARTNER",
            help="Who may pass it on; default us. A partner holder gets our consent.",
        ),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", metavar="TAG", help="Standing consent: all items with this tag."),
    ] = None,
    originator: Annotated[
        str | None,
        typer.Option(
            "--originator", metavar="PARTNER|self", help="Whose tagged items (with --tag)."
        ),
    ] = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", metavar="TEXT", help="The only purpose it covers.")
    ] = None,
    valid_from: Annotated[
        str | None,
        typer.Option("--from", metavar="DATE", help="Valid from (ISO; default now)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", metavar="DATE", help="Valid until, the whole day (required with --tag)."
        ),
    ] = None,
    condition: Annotated[
        list[str] | None,
        typer.Option("--condition", metavar="TEXT", help="A condition it attaches. Repeatable."),
    ] = None,
    reference: Annotated[
        str, typer.Option("--reference", metavar="TEXT", help="The originator's reference.")
    ] = "",
) -> None:
    """Record an originator's consent to pass an item (or tagged items) on; prints its id.

    A letter that arrives late is recorded with its real window, also one in the past; it is on
    record only from now (a check --as-of an earlier moment does not count it)."""
    from wegings.sharing.consents import parse_end, record_consent, recorded_late
    from wegings.store.engine import recorded_now, session_scope
    from wegings.timeutil import display_minute, parse_when

    start = parse_when(valid_from, field="--from") if valid_from else None
    end = parse_end(until, field="--until") if until else None
    with session_scope(location(ctx), write=True) as session:
        record = record_consent(
            session,
            actor=acting(ctx, session, "consent"),
            now=recorded_now(session),
            to=to,
            item=item,
            tag=tag,
            originator=originator,
            holder=holder,
            purpose=purpose,
            valid_from=start,
            valid_until=end,
            conditions=condition or [],
            reference=reference,
        )
    typer.echo(str(record.id))
    scope = f"item {item.strip()}" if item else f"items of {record.originator} tagged {record.tag}"
    holder_text = "us" if record.holder == "self" else record.holder
    output.say(
        f"Recorded consent #{record.id} from {record.originator} for {holder_text} to pass "
        f"{scope} to {record.recipient}."
    )
    if recorded_late(record):
        output.say(
            f"Note: consent #{record.id} is recorded late (its window starts "
            f"{display_minute(record.valid_from)}, before now). It is on record only from now: "
            "`can-share --as-of` an earlier moment does not count it; `--hindsight` does."
        )


def revoke(
    ctx: typer.Context,
    consent_id: Annotated[
        str, typer.Argument(metavar="CONSENT_ID", help="The consent's id.", show_default=False)
    ],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why it is revoked.")],
) -> None:
    """Revoke a consent from now on (earlier checks as of before now still count it)."""
    from wegings.sharing.consents import parse_consent_id, revoke_consent
    from wegings.store.engine import recorded_now, session_scope

    number = parse_consent_id(consent_id)
    with session_scope(location(ctx), write=True) as session:
        revoke_consent(
            session,
            consent_id=number,
            reason=reason,
            actor=acting(ctx, session, "revoke"),
            now=recorded_now(session),
        )
    output.say(f"Revoked consent #{number} from now on.")


def consents(
    ctx: typer.Context,
    item: Annotated[
        str | None,
        typer.Option("--item", metavar="ITEM", help="Only those that bear on this item."),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help=output.CSV_HELP)] = False,
) -> None:
    """List consents with their status now (valid, expired, revoked, not yet valid)."""
    from wegings.sharing.snapshot_lists import read_consents
    from wegings.store.snapshot import read_snapshot

    with read_snapshot(location(ctx)) as snapshot:
        rows = read_consents(snapshot, now=snapshot.now(), item=item)
    output.one_format(as_json, as_csv)
    if as_json or as_csv:
        output.emit_rows(rows, as_csv=as_csv)
        return
    if not rows:
        output.say("No consents found. Record one with `wegings consent`.")
        return
    print_consents(f"Consents ({len(rows)})", rows)


def print_consents(title: str, rows: list[dict[str, Any]]) -> None:
    """Print consents (as consent_json gives them) as a table."""
    from wegings.timeutil import display_day

    output.print_table(
        title,
        ["Id", "Originator", "Holder", "Scope", "To", "Purpose", "Valid", "Status", "Conditions"],
        [
            (
                f"#{r['id']}",
                r["originator"],
                r["holder"],
                r["item"] or f"tag {r['tag']}",
                r["recipient"],
                r["purpose"],
                f"{display_day(r['valid_from'])} – "
                f"{display_day(r['valid_until']) if r['valid_until'] else 'open'}",
                r["status"],
                "; ".join(r["conditions"]),
            )
            for r in rows
        ],
    )


def permit(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="The item.", show_default=False)],
    to: Annotated[str, typer.Option("--to", metavar="RECIPIENT", help="The partner or group.")],
    role: Annotated[Role, typer.Option("--role", help="Who grants it: minister, or dg.")],
    until: Annotated[
        str, typer.Option("--until", metavar="DATE", help="Valid until, the whole day.")
    ],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="The motivation and decision.")
    ],
    granted_by: Annotated[
        str | None,
        typer.Option(
            "--granted-by",
            metavar="NAME",
            help="Who decided, the minister or DG by name (you record it); required while "
            "the people register is empty, else the one acting is who decided.",
        ),
    ] = None,
    ctivd_notified: Annotated[
        bool,
        typer.Option("--ctivd-notified", help="The CTIVD has been notified (unevaluated data)."),
    ] = False,
) -> None:
    """Record a higher permission for passing one item to one recipient, with who granted it."""
    from wegings.register.people import grantor
    from wegings.sharing.consents import parse_end, record_permission
    from wegings.store.engine import recorded_now, session_scope

    end = parse_end(until, field="--until")
    with session_scope(location(ctx), write=True) as session:
        who = acting_person(ctx, session, "permit", role=role.value)
        # Every change is made by a known person: the one who decided is named, not only the
        # desk officer who records it; with a people register that is who acts.
        decided_by = grantor(who, granted_by, role.value)
        permission, handle = record_permission(
            session,
            actor=who.login,
            now=recorded_now(session),
            item=item,
            to=to,
            role=role,
            valid_until=end,
            reason=reason,
            granted_by=decided_by,
            ctivd_notified=ctivd_notified,
        )
    typer.echo(str(permission.id))
    output.say(
        f"Recorded permission #{permission.id} by the {role.value} ({decided_by.strip()}) for "
        f"item {handle} to {permission.recipient} until {end.date().isoformat()}."
    )


def permissions(
    ctx: typer.Context,
    item: Annotated[
        str | None, typer.Option("--item", metavar="ITEM", help="Only those for this item.")
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="RECIPIENT",
            help="Only those to this partner (also through its groups) or group.",
        ),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help=output.CSV_HELP)] = False,
) -> None:
    """List permissions with their status now: valid, expired, revoked, not yet valid, or no
    longer counts (granted before what it must weigh: a newer note, a flag), and why."""
    from wegings.sharing.snapshot_lists import read_permissions
    from wegings.store.snapshot import read_snapshot

    with read_snapshot(location(ctx)) as snapshot:
        rows = read_permissions(snapshot, now=snapshot.now(), item=item, to=to)
    output.one_format(as_json, as_csv)
    if as_json or as_csv:
        output.emit_rows(rows, as_csv=as_csv)
        return
    if not rows:
        output.say("No permissions found. Record one with `wegings permit`.")
        return
    print_permissions(f"Permissions ({len(rows)})", rows)


def print_permissions(title: str, rows: list[dict[str, Any]]) -> None:
    """Print permissions (as permission_json gives them) as a table."""
    from wegings.timeutil import display_day

    output.print_table(
        title,
        ["Id", "Item", "To", "Granted by", "Valid", "Status", "Reason"],
        [
            (
                f"#{r['id']}",
                r["item"],
                r["recipient"],
                f"{r['role']}" + (f" ({r['granted_by']})" if r["granted_by"] else ""),
                f"{display_day(r['valid_from'])} – {display_day(r['valid_until'])}",
                r["status"] + (f": {r['status_reason']}" if r["status_reason"] else ""),
                r["reason"],
            )
            for r in rows
        ],
    )


def revoke_permission(
    ctx: typer.Context,
    permission_id: Annotated[
        str,
        typer.Argument(metavar="PERMISSION_ID", help="The permission's id.", show_default=False),
    ],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why it is revoked.")],
) -> None:
    """Revoke a permission from now on (earlier checks as of before now still count it)."""
    from wegings.sharing.permissions import parse_permission_id
    from wegings.sharing.permissions import revoke_permission as record_revocation
    from wegings.store.engine import recorded_now, session_scope

    number = parse_permission_id(permission_id)
    with session_scope(location(ctx), write=True) as session:
        record_revocation(
            session,
            permission_id=number,
            reason=reason,
            actor=acting(ctx, session, "revoke-permission"),
            now=recorded_now(session),
        )
    output.say(f"Revoked permission #{number} from now on.")


def register(app: typer.Typer) -> None:
    """Add the item, consent and permission commands to `app`."""
    app.command(
        "new-item",
        rich_help_panel="Third-party rule",
        epilog=output.examples(
            "wegings new-item RVD-2026-0042 --originator rvd --received-from rvd "
            "--personal-data --tag ct --subject 'Reisbewegingen'",
            "wegings new-item AIVD-7 --originator self --tag ct",
        ),
    )(new_item)
    app.command(
        "items",
        rich_help_panel="Third-party rule",
        epilog=output.examples("wegings items", "wegings items --originator rvd --json"),
    )(items)
    app.command(
        "correct-item",
        rich_help_panel="Third-party rule",
        epilog=output.examples(
            "wegings correct-item RVD-2026-0042 --personal-data "
            "--reason 'Bevat namen; bij registratie gemist'",
            "wegings correct-item AIVD-7 --add-tag ct --remove-tag cyber --reason 'Fout getagd'",
        ),
    )(correct_item)
    app.command(
        "show-item",
        rich_help_panel="Third-party rule",
        epilog=output.examples(
            "wegings show-item RVD-2026-0042", "wegings show-item rvd/RVD-2026-0042 --json"
        ),
    )(show_item)
    app.command(
        "consent",
        rich_help_panel="Third-party rule",
        epilog=output.examples(
            "wegings consent RVD-2026-0042 --to smi --purpose 'CT-onderzoek' --until 2027-06-30 "
            "--condition 'Alleen parafraseren'",
            "wegings consent --tag ct --originator rvd --to ctg --until 2027-12-31",
            "wegings consent AIVD-7 --holder rvd --to smi --until 2027-01-31",
            "wegings consent RVD-2026-0042 --to smi --from 2026-10-01 --until 2026-11-30 "
            "--reference 'Brief RVD 2026/71, laat ontvangen'",
        ),
    )(consent)
    app.command(
        "revoke",
        rich_help_panel="Third-party rule",
        epilog=output.examples("wegings revoke 3 --reason 'Ingetrokken bij brief van 1 dec.'"),
    )(revoke)
    app.command(
        "consents",
        rich_help_panel="Third-party rule",
        epilog=output.examples("wegings consents", "wegings consents --item RVD-2026-0042 --json"),
    )(consents)
    app.command(
        "permit",
        rich_help_panel="Third-party rule",
        epilog=output.examples(
            "wegings permit RVD-2026-0042 --to smi --role minister --granted-by 'mr. A. de Vries' "
            "--until 2027-03-31 --reason 'Ministerieel besluit 2026/12'",
            "wegings permit AIVD-9 --to rvd --role minister --granted-by 'mr. A. de Vries' "
            "--until 2027-01-31 --reason 'Besluit 2026/15' --ctivd-notified",
        ),
    )(permit)
    app.command(
        "permissions",
        rich_help_panel="Third-party rule",
        epilog=output.examples("wegings permissions", "wegings permissions --to smi --json"),
    )(permissions)
    app.command(
        "revoke-permission",
        rich_help_panel="Third-party rule",
        epilog=output.examples(
            "wegings revoke-permission 4 --reason 'Ingetrokken bij ministerieel besluit 2026/20'"
        ),
    )(revoke_permission)
