"""A shared PostgreSQL server: who the server says is acting, and in which wegings roles.

On a server the acting person is the database user the server authenticated (`session_user`,
which `SET ROLE` cannot change), and a person's roles are the group roles `wegings_<role>` that
user is a member of. These functions only ask the server; what to allow is the caller's rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

ROLES: tuple[str, ...] = ("desk", "assessor", "dg", "minister", "overseer")
"""The people register's roles, each a group role `wegings_<role>` on a server."""

ROLE_PREFIX = "wegings_"
OWNER_ROLE = "wegings_owner"
"""The NOLOGIN role that owns the schema's tables (`wegings db init-roles`)."""


class NotAServer(RuntimeError):
    """A server function was called on a session that is not on PostgreSQL: a bug in wegings."""


def group_role(role: str) -> str:
    """The database group role of a wegings role: `desk` -> `wegings_desk`."""
    if role not in ROLES:
        raise ValueError(f"no wegings role {role!r}")
    return f"{ROLE_PREFIX}{role}"


def is_server(session: Session) -> bool:
    """Whether the session is on a PostgreSQL server (else a SQLite file)."""
    return session.get_bind().dialect.name == "postgresql"


def _require_server(session: Session, what: str) -> None:
    if not is_server(session):
        raise NotAServer(f"{what} asks a PostgreSQL server; this session is on a SQLite file")


def session_login(session: Session) -> str:
    """The login the server authenticated for this session (`session_user`)."""
    from sqlalchemy import text

    _require_server(session, "session_login")
    return str(session.execute(text("SELECT session_user")).scalar_one())


def server_roles(session: Session) -> frozenset[str]:
    """Which of `ROLES` the session's login holds: member of `wegings_<role>`, directly or not.

    Membership is the server's `pg_has_role(session_user, role, 'MEMBER')`; a role that does not
    exist (before `wegings db init-roles`) is held by nobody. PostgreSQL counts a superuser as a
    member of every role, so a superuser holds them all.
    """
    from sqlalchemy import bindparam, text

    _require_server(session, "server_roles")
    names = [group_role(role) for role in ROLES]
    query = text(
        "SELECT rolname FROM pg_roles WHERE rolname IN :names "
        "AND pg_has_role(session_user, oid, 'MEMBER')"
    ).bindparams(bindparam("names", expanding=True))
    held = {str(name) for name in session.execute(query, {"names": names}).scalars()}
    return frozenset(role for role in ROLES if group_role(role) in held)
