"""Commands for the people register: person add, edit, grant, revoke, and people."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from wegings.cli import output
from wegings.cli.state import acting_person, location

if TYPE_CHECKING:
    from wegings.register.people import PersonAt

ROLE_CHOICES = "desk, assessor, dg, minister or overseer"

app = typer.Typer(
    help="The people register: who may act, with full name, function and roles.",
    no_args_is_help=True,
    epilog=output.examples(
        "wegings --as h.de.boer person add h.de.boer --name 'mr. H. de Boer' "
        "--function directeur-generaal --role dg",
        "wegings people",
    ),
)

_LOGIN = typer.Argument(help="The person's login (as with --as).", show_default=False)
_ROLE = typer.Argument(help=f"The role: {ROLE_CHOICES}.", show_default=False)


def _roles(person: PersonAt) -> str:
    return ", ".join(person.roles) or "no role"


def add(
    ctx: typer.Context,
    login: Annotated[str, _LOGIN],
    name: Annotated[
        str, typer.Option("--name", metavar="TEXT", help="Full name, as documents print it.")
    ],
    function: Annotated[
        str,
        typer.Option("--function", metavar="TEXT", help="Function, e.g. directeur-generaal."),
    ],
    role: Annotated[
        list[str] | None,
        typer.Option("--role", metavar="ROLE", help=f"A role: {ROLE_CHOICES}. Repeatable."),
    ] = None,
) -> None:
    """Register a person with full name and function, and the roles given.

    The first person on an empty register is the one registering, as dg or minister; after
    that a registered dg or minister adds people.
    """
    from wegings.register.people import add_person
    from wegings.store.engine import recorded_now, session_scope

    with session_scope(location(ctx), write=True) as session:
        who = acting_person(ctx, session, "person add")
        person = add_person(
            session,
            acting=who,
            now=recorded_now(session),
            login=login,
            name=name,
            function=function,
            roles=role or [],
        )
    output.say(
        f"Registered {person.login} ({person.name}, {person.function}) with {_roles(person)}."
    )


def edit(
    ctx: typer.Context,
    login: Annotated[str, _LOGIN],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the correction is made.")
    ],
    name: Annotated[str | None, typer.Option("--name", metavar="TEXT", help="Full name.")] = None,
    function: Annotated[
        str | None, typer.Option("--function", metavar="TEXT", help="Function.")
    ] = None,
) -> None:
    """Correct a person's full name or function (a new record; the login never changes)."""
    from wegings.register.people import correct_person
    from wegings.store.engine import recorded_now, session_scope

    with session_scope(location(ctx), write=True) as session:
        who = acting_person(ctx, session, "person edit")
        correction, person = correct_person(
            session,
            acting=who,
            now=recorded_now(session),
            login=login,
            reason=reason,
            name=name,
            function=function,
        )
    fields = [f for f in ("name", "function") if getattr(correction, f) is not None]
    output.say(
        f"Corrected {' and '.join(fields)} of {person.login}: now {person.name}, {person.function}."
    )


def grant(
    ctx: typer.Context,
    login: Annotated[str, _LOGIN],
    role: Annotated[str, _ROLE],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why it is granted.")],
) -> None:
    """Grant a role to a registered person from now on (by a dg or minister, never oneself)."""
    from wegings.register.people import grant_role
    from wegings.store.engine import recorded_now, session_scope

    with session_scope(location(ctx), write=True) as session:
        who = acting_person(ctx, session, "person grant")
        record, person = grant_role(
            session, acting=who, now=recorded_now(session), login=login, role=role, reason=reason
        )
    output.say(f"Granted {record.role} to {person.login} ({person.name}); holds {_roles(person)}.")


def revoke(
    ctx: typer.Context,
    login: Annotated[str, _LOGIN],
    role: Annotated[str, _ROLE],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why it is revoked.")],
) -> None:
    """Revoke a person's role from now on (a new record; the grant stays on record)."""
    from wegings.register.people import revoke_role
    from wegings.store.engine import recorded_now, session_scope

    with session_scope(location(ctx), write=True) as session:
        who = acting_person(ctx, session, "person revoke")
        _, person = revoke_role(
            session, acting=who, now=recorded_now(session), login=login, role=role, reason=reason
        )
    output.say(
        f"Revoked {role.strip().lower()} of {person.login} ({person.name}) from now on; "
        f"holds {_roles(person)}."
    )


def people(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="WHEN",
            help="The register as on record then (a date: the start of that day in The Hague, "
            "or a date-time). Default: now.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help=output.CSV_HELP)] = False,
) -> None:
    """List the registered people with function and roles (and, in JSON, every grant).

    On a PostgreSQL server the roles shown are the database roles each login holds on the
    server now (the ones that count there), "no database login" when there is none.
    """
    from wegings.register.roster import people_json
    from wegings.register.snapshot_lists import read_people
    from wegings.store.snapshot import read_snapshot
    from wegings.timeutil import display_day, parse_as_of

    with read_snapshot(location(ctx)) as snapshot:
        now = snapshot.now()
        moment = now if as_of is None else parse_as_of(as_of, now=now)
        rows, database_roles = read_people(snapshot, at=moment)
        data: list[dict[str, Any]] = people_json(rows, database_roles)
    output.one_format(as_json, as_csv)
    if as_json or as_csv:
        output.emit_rows(data, as_csv=as_csv)
        return
    on_server = database_roles is not None
    if not data:
        if as_of:
            output.say("Nobody registered then.")
        elif on_server:
            output.say(
                "Nobody registered: on the server each database user acts as the login it "
                "authenticated, with its database roles. Start the register with `wegings "
                "person add` (yourself, holding the database role dg or minister)."
            )
        else:
            output.say(
                "Nobody registered: wegings works for one user, as `--as` says. Start the "
                "register with `wegings person add` (yourself, as dg or minister)."
            )
        return
    whose = (
        "roles: the database roles each login holds on the server now"
        if on_server
        else "roles: as granted in the register"
    )
    output.print_table(
        f"People{f' as of {as_of}' if as_of else ''} ({len(data)}); {whose}",
        [
            "Login",
            "Name",
            "Function",
            "Database roles" if on_server else "Roles",
            "Registered",
            "By",
        ],
        [
            (
                d["login"],
                d["name"],
                d["function"],
                _shown_roles(d, on_server=on_server),
                display_day(d["registered_at"]),
                d["registered_by"],
            )
            for d in data
        ],
    )


def _shown_roles(entry: dict[str, Any], *, on_server: bool) -> str | None:
    """The roles column of `people`: the database roles on a server, else the register's."""
    if not on_server:
        return ", ".join(entry["roles"]) or None
    held = entry["database_roles"]
    if held is None:
        return "no database login"
    return ", ".join(held) or "no wegings role"


def register(root: typer.Typer) -> None:
    """Add `person` (add, edit, grant, revoke) and `people` to `root`."""
    ex = output.examples
    app.command(
        "add",
        epilog=ex(
            "wegings --as h.de.boer person add h.de.boer --name 'mr. H. de Boer' "
            "--function directeur-generaal --role dg",
            "wegings --as h.de.boer person add j.jansen --name 'J. Jansen' "
            "--function 'medewerker liaisonbureau' --role desk",
        ),
    )(add)
    app.command(
        "edit",
        epilog=ex(
            "wegings person edit j.jansen --function 'senior medewerker liaisonbureau' "
            "--reason 'Bevorderd per 1 december.'",
        ),
    )(edit)
    app.command(
        "grant",
        epilog=ex("wegings person grant a.analist assessor --reason 'Benoemd tot beoordelaar.'"),
    )(grant)
    app.command(
        "revoke",
        epilog=ex(
            "wegings person revoke j.jansen desk --reason 'Vertrokken naar een andere afdeling.'"
        ),
    )(revoke)
    root.add_typer(app, name="person", rich_help_panel="People and roles")
    root.command(
        "people",
        rich_help_panel="People and roles",
        epilog=ex("wegings people", "wegings people --as-of 2026-12-01 --json"),
    )(people)
