"""Shell completion of what a command names: partner, group and item handles, tags, logins, and
the ids of consents, permissions and flags, read from the database.

Quick and read-only: a plain `sqlite3` connection in read-only mode that waits for no lock (a
completion never holds up, nor waits for, a writer), nothing imported beyond the standard
library. Completion that cannot read the database (none yet, a server URL, a damaged file)
offers nothing rather than an error: a shell's Tab must never print a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typer._click import Context, Parameter
    from typer._click.shell_completion import CompletionItem

MAX_OFFERED = 200  # a shell shows no more usefully; the rest narrow down as one types

Rows = list[tuple[str, str | None]]  # (value, help)


def _database(ctx: Context) -> Path | None:
    """The SQLite file this command line works on, as `config.resolve_location` finds it;
    None for a server (completion reads files only) or when there is none yet."""
    given = ctx.find_root().params.get("db")
    if isinstance(given, str) and given.strip():
        path = Path(given).expanduser()
    elif os.environ.get("WEGINGS_DATABASE_URL", "").strip():
        return None
    elif os.environ.get("WEGINGS_DB", "").strip():
        path = Path(os.environ["WEGINGS_DB"]).expanduser()
    else:
        from wegings.config import default_db_path

        path = default_db_path()
    return path if path.is_file() else None


def _read(ctx: Context, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of `sql` on this command line's database; none when it cannot be read."""
    path = _database(ctx)
    if path is None:
        return []
    import sqlite3  # here: building a command for its --help needs none of this

    try:
        connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=0)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        return []


def _like(incomplete: str) -> str:
    """A LIKE pattern for values that start with `incomplete` (its wildcards taken literally)."""
    escaped = incomplete.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def partners(ctx: Context, incomplete: str) -> Rows:
    """Partner handles, with the partner's name."""
    rows = _read(
        ctx,
        "SELECT short, name FROM partner WHERE short LIKE ? ESCAPE '\\' ORDER BY short LIMIT ?",
        (_like(incomplete.lower()), MAX_OFFERED),
    )
    return [(str(short), str(name)) for short, name in rows]


def groups(ctx: Context, incomplete: str) -> Rows:
    """Group handles, with the group's name."""
    rows = _read(
        ctx,
        "SELECT key, name FROM partner_group WHERE key LIKE ? ESCAPE '\\' ORDER BY key LIMIT ?",
        (_like(incomplete.lower()), MAX_OFFERED),
    )
    return [(str(key), str(name)) for key, name in rows]


def recipients(ctx: Context, incomplete: str) -> Rows:
    """What an item may go to: partners and groups."""
    return partners(ctx, incomplete) + groups(ctx, incomplete)


def originators(ctx: Context, incomplete: str) -> Rows:
    """Who an item comes from: a partner, or self (our own service)."""
    own = [("self", "our own service")] if "self".startswith(incomplete.lower()) else []
    return own + partners(ctx, incomplete)


def items(ctx: Context, incomplete: str) -> Rows:
    """Item handles: REF where one originator uses it, ORIGINATOR/REF where more do, with the
    subject."""
    if "/" in incomplete:
        rows = _read(
            ctx,
            "SELECT originator || '/' || ref, subject FROM item WHERE originator || '/' || ref "
            "LIKE ? ESCAPE '\\' ORDER BY 1 LIMIT ?",
            (_like(incomplete), MAX_OFFERED),
        )
        return [(str(handle), str(subject) or None) for handle, subject in rows]
    rows = _read(
        ctx,
        "SELECT ref, min(originator), count(*), min(subject) FROM item WHERE ref LIKE ? "
        "ESCAPE '\\' GROUP BY ref ORDER BY ref LIMIT ?",
        (_like(incomplete), MAX_OFFERED),
    )
    offered: Rows = []
    for ref, originator, count, subject in rows:
        if count == 1:
            offered.append((str(ref), str(subject) or str(originator)))
        else:
            offered += [
                (f"{other}/{ref}", None)
                for (other,) in _read(
                    ctx, "SELECT originator FROM item WHERE ref = ? ORDER BY originator", (ref,)
                )
            ]
    return offered


def tags(ctx: Context, incomplete: str) -> Rows:
    """The tags items carry."""
    rows = _read(
        ctx,
        "SELECT DISTINCT tag FROM item_tag WHERE tag LIKE ? ESCAPE '\\' ORDER BY tag LIMIT ?",
        (_like(incomplete.lower()), MAX_OFFERED),
    )
    return [(str(tag), None) for (tag,) in rows]


def logins(ctx: Context, incomplete: str) -> Rows:
    """The logins of the people register, with the person's name."""
    rows = _read(
        ctx,
        "SELECT login, name FROM person WHERE login LIKE ? ESCAPE '\\' ORDER BY login LIMIT ?",
        (_like(incomplete), MAX_OFFERED),
    )
    return [(str(login), str(name)) for login, name in rows]


def _ids(ctx: Context, incomplete: str, sql: str) -> Rows:
    """Record ids that start with `incomplete`, newest first, each with what it is."""
    if incomplete and not incomplete.isdigit():
        return []
    rows = _read(ctx, sql, (_like(incomplete), MAX_OFFERED))
    return [(str(record_id), str(text)) for record_id, text in rows]


def consents(ctx: Context, incomplete: str) -> Rows:
    """Consent ids, with who consented to what."""
    return _ids(
        ctx,
        incomplete,
        "SELECT c.id, c.originator || ' → ' || c.recipient || ' (' || "
        "coalesce(i.originator || '/' || i.ref, 'tag ' || c.tag) || ')' FROM consent c "
        "LEFT JOIN item i ON i.id = c.item_id WHERE CAST(c.id AS TEXT) LIKE ? ESCAPE '\\' "
        "ORDER BY c.id DESC LIMIT ?",
    )


def permissions(ctx: Context, incomplete: str) -> Rows:
    """Permission ids, with the item, recipient and role."""
    return _ids(
        ctx,
        incomplete,
        "SELECT p.id, coalesce(i.originator || '/' || i.ref, '?') || ' → ' || p.recipient || "
        "' (' || p.role || ')' FROM permission p LEFT JOIN item i ON i.id = p.item_id "
        "WHERE CAST(p.id AS TEXT) LIKE ? ESCAPE '\\' ORDER BY p.id DESC LIMIT ?",
    )


def flags(ctx: Context, incomplete: str) -> Rows:
    """Flag ids, with the partner and the reason."""
    return _ids(
        ctx,
        incomplete,
        "SELECT f.id, p.short || ': ' || substr(f.reason, 1, 60) FROM partner_flag f "
        "JOIN partner p ON p.id = f.partner_id WHERE CAST(f.id AS TEXT) LIKE ? ESCAPE '\\' "
        "ORDER BY f.id DESC LIMIT ?",
    )


COMPLETERS: dict[str, Callable[[Context, str], Rows]] = {
    "partner": partners,
    "partners": partners,
    "received_from": partners,
    "holder": partners,
    "group": groups,
    "to": recipients,
    "originator": originators,
    "item": items,
    "tag": tags,
    "add_tag": tags,
    "remove_tag": tags,
    "login": logins,
    "actor": logins,
    "consent_id": consents,
    "permission_id": permissions,
    "flag_id": flags,
}
"""What a parameter of each name completes to, whatever command it belongs to."""


def completer(
    name: str,
) -> Callable[[Context, Parameter, str], list[CompletionItem]] | None:
    """The shell completion for a parameter named `name`; None when it names nothing stored."""
    found = COMPLETERS.get(name)
    if found is None:
        return None

    def complete(ctx: Context, param: Parameter, incomplete: str) -> list[CompletionItem]:
        from typer._click.shell_completion import CompletionItem

        return [CompletionItem(value, help=text) for value, text in found(ctx, incomplete)]

    return complete
