"""What the global options carry to every command, and who is acting."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from wegings.config import Location, resolve_actor, resolve_location

if TYPE_CHECKING:
    from sqlmodel import Session

    from wegings.register.people import Acting


@dataclass
class AppState:
    """The global options as given on the command line."""

    db: str | None = None
    actor: str | None = None


def state(ctx: typer.Context) -> AppState:
    """The AppState of the root command."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def location(ctx: typer.Context) -> Location:
    """The store this invocation works on; what the store remarks (a standby read) goes to
    stderr."""
    from dataclasses import replace

    from wegings.cli import output

    return replace(resolve_location(state(ctx).db), notify=output.say)


def actor(ctx: typer.Context) -> str:
    """Who is acting, for the audit trail: `--as`, else WEGINGS_USER, else the login name."""
    return resolve_actor(state(ctx).actor)


def claim_source(ctx: typer.Context) -> str | None:
    """Where the name of who is acting came from: "--as", "WEGINGS_USER", or None (login)."""
    if state(ctx).actor is not None:
        return "--as"
    return "WEGINGS_USER" if os.environ.get("WEGINGS_USER") is not None else None


def acting_person(
    ctx: typer.Context, session: Session, command: str, *, role: str | None = None
) -> Acting:
    """Who does `command` in `session`, checked against the people register and its roles."""
    from wegings.register.people import acting_person as check

    return check(session, claimed=actor(ctx), source=claim_source(ctx), command=command, role=role)


def acting(ctx: typer.Context, session: Session, command: str, *, role: str | None = None) -> str:
    """The login who does `command`, for the records; refused when the register says no."""
    return acting_person(ctx, session, command, role=role).login
