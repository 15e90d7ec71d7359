"""What the global options carry to every command."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from wegings.config import Location, resolve_actor, resolve_location


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
    """The store this invocation works on."""
    return resolve_location(state(ctx).db)


def actor(ctx: typer.Context) -> str:
    """Who is acting, for the audit trail."""
    return resolve_actor(state(ctx).actor)
