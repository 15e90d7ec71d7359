"""A shared PostgreSQL server: who the server says is acting, and in which wegings roles.

On a server the acting person is the database user the server authenticated (`session_user`,
which `SET ROLE` cannot change), and a person's roles are the group roles `wegings_<role>` that
user is a member of. These functions only ask the server; what to allow is the caller's rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

    from wegings.config import Location

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


# ------------------------------------------------------------------------- db init-roles

INSERTS: dict[str, tuple[str, ...]] = {
    # The partner register, items, consents and transfers are the desk's; it sees developments.
    "desk": (
        "partner",
        "partner_group",
        "group_membership",
        "partner_correction",
        "membership_change",
        "partner_flag",
        "item",
        "item_tag",
        "item_correction",
        "consent",
        "consent_revocation",
        "transfer",
    ),
    # An assessor writes the notes, sees developments, and may take a mistaken flag back.
    "assessor": ("note_version", "partner_flag", "flag_retraction"),
    # The authority establishes and withdraws notes, grants permissions, keeps the register.
    "dg": (
        "note_establishment",
        "note_withdrawal",
        "flag_retraction",
        "permission",
        "permission_grant",
        "permission_revocation",
        "person",
        "person_correction",
        "role_grant",
        "role_revocation",
    ),
    "minister": (
        "note_establishment",
        "note_withdrawal",
        "flag_retraction",
        "permission",
        "permission_grant",
        "permission_revocation",
        "person",
        "person_correction",
        "role_grant",
        "role_revocation",
    ),
    # The overseer (CTIVD) reads and exports, and changes nothing.
    "overseer": (),
}
"""The tables each group role may INSERT into, besides the audit trail (every writer's).

Every role may SELECT every table; nobody but the owner holds UPDATE, DELETE or TRUNCATE, and
a trigger refuses those even to the owner. A test keeps this in step with the models: a new
table is given to the roles whose commands write it.
"""

TRAIL_TABLES = ("audit_event", "audit_node")
"""The audit trail and its Merkle tree: every writing role appends to them."""

APPEND_ONLY_FUNCTION = "wegings_append_only"
"""The trigger function that refuses UPDATE, DELETE and TRUNCATE on every wegings table."""

UNGUARDED_TABLES = frozenset({"alembic_version"})
"""Tables the append-only trigger leaves alone: Alembic rewrites its one row when migrating."""


@dataclass(frozen=True)
class RolesResult:
    """What `wegings db init-roles` did."""

    created: tuple[str, ...]
    """The roles that did not exist before (the others were brought to the same privileges)."""
    tables: int
    """How many tables now belong to the owner role and carry the append-only trigger."""


def _ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _create_role(session: Session, role: str) -> bool:
    """Create a NOLOGIN role unless it exists; True when it was created now.

    Roles belong to the whole cluster, so two databases may be set up at once: a role created
    meanwhile by the other is taken as it is.
    """
    from sqlalchemy import text

    exists = session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    if exists.first() is not None:
        return False
    session.execute(
        text(
            "DO $$ BEGIN CREATE ROLE " + _ident(role) + " NOLOGIN; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    )
    return True


def wegings_tables(session: Session) -> list[str]:
    """The tables of the wegings schema in the session's current schema, by name."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    import wegings.store.models  # noqa: F401  (registers the tables)

    present = {
        str(name)
        for name in session.execute(
            text("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")
        ).scalars()
    }
    wanted = {table.name for table in SQLModel.metadata.sorted_tables} | {"alembic_version"}
    return sorted(wanted & present)


def _id_sequence(session: Session, schema: str, table: str) -> str | None:
    """The sequence that numbers a table's `id` column, if it has one."""
    from sqlalchemy import text

    return session.execute(
        text(
            "SELECT pg_get_serial_sequence(:t, 'id') FROM pg_catalog.pg_attribute "
            "WHERE attrelid = CAST(:t AS regclass) AND attname = 'id' AND NOT attisdropped"
        ),
        {"t": f"{_ident(schema)}.{_ident(table)}"},
    ).scalar()


def apply_privileges(session: Session) -> int:
    """Give the schema to the owner role, each group role its least privileges, and every table
    the append-only trigger; the same result however often it runs. Returns the table count."""
    from sqlalchemy import text

    schema = str(session.execute(text("SELECT current_schema()")).scalar_one())
    tables = wegings_tables(session)
    owner = _ident(OWNER_ROLE)
    groups = [group_role(role) for role in ROLES]
    run = session.execute
    if not session.execute(
        text("SELECT pg_has_role(current_user, :r, 'MEMBER')"), {"r": OWNER_ROLE}
    ).scalar_one():
        # Only a member of the owner role may give it tables (and run `db upgrade` as it).
        run(text(f"GRANT {owner} TO CURRENT_USER"))
    run(text(f"GRANT USAGE, CREATE ON SCHEMA {_ident(schema)} TO {owner}"))
    for group in groups:
        run(text(f"GRANT USAGE ON SCHEMA {_ident(schema)} TO {_ident(group)}"))
    run(
        text(
            f"CREATE OR REPLACE FUNCTION {_ident(schema)}.{APPEND_ONLY_FUNCTION}() "
            "RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'wegings records are append-only: % on % refused', "
            "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege', "
            "HINT = 'Record a correction with wegings instead.'; END $$"
        )
    )
    run(text(f"ALTER FUNCTION {_ident(schema)}.{APPEND_ONLY_FUNCTION}() OWNER TO {owner}"))
    for table in tables:
        name = f"{_ident(schema)}.{_ident(table)}"
        run(text(f"ALTER TABLE {name} OWNER TO {owner}"))
        run(text(f"REVOKE ALL ON {name} FROM PUBLIC"))
        for group in groups:
            run(text(f"REVOKE ALL ON {name} FROM {_ident(group)}"))
            run(text(f"GRANT SELECT ON {name} TO {_ident(group)}"))
        if table not in UNGUARDED_TABLES:
            trigger = _ident(APPEND_ONLY_FUNCTION)
            run(text(f"DROP TRIGGER IF EXISTS {trigger} ON {name}"))
            run(
                text(
                    f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE OR TRUNCATE ON {name} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION "
                    f"{_ident(schema)}.{APPEND_ONLY_FUNCTION}()"
                )
            )
    for role in ROLES:
        writes = INSERTS[role]
        if not writes:
            continue
        for table in (*writes, *TRAIL_TABLES):
            if table not in tables:
                continue
            name = f"{_ident(schema)}.{_ident(table)}"
            run(text(f"GRANT INSERT ON {name} TO {_ident(group_role(role))}"))
            sequence = _id_sequence(session, schema, table)
            if sequence is not None:
                run(text(f"REVOKE ALL ON SEQUENCE {sequence} FROM PUBLIC"))
                run(text(f"GRANT USAGE ON SEQUENCE {sequence} TO {_ident(group_role(role))}"))
    return len(tables)


def init_roles(session: Session) -> RolesResult:
    """Create the owner and group roles (NOLOGIN) and apply the least privileges (idempotent).

    Run by the database's owner (who may create roles) once, and again after an upgrade that
    added tables (`db upgrade` does that itself once the roles exist).
    """
    _require_server(session, "init_roles")
    created = [
        role for role in (OWNER_ROLE, *map(group_role, ROLES)) if _create_role(session, role)
    ]
    tables = apply_privileges(session)
    return RolesResult(created=tuple(created), tables=tables)


def roles_initialised(session: Session) -> bool:
    """Whether `wegings db init-roles` ran in this database: the owner role owns its tables."""
    from sqlalchemy import text

    owner = session.execute(
        text(
            "SELECT tableowner FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
            "AND tablename = 'alembic_version'"
        )
    ).scalar()
    return owner == OWNER_ROLE


def init_roles_at(location: Location) -> RolesResult:
    """`wegings db init-roles`: the roles and privileges of a server database, in one write."""
    from wegings.errors import InvalidInput
    from wegings.store.engine import session_scope

    if not location.is_server:
        raise InvalidInput(
            "db init-roles sets up the roles of a PostgreSQL server (WEGINGS_DATABASE_URL); a "
            "SQLite file is kept private by its file mode (0600)."
        )
    with session_scope(location, write=True) as session:
        return init_roles(session)


def is_owner_member(session: Session) -> bool:
    """Whether the current user may act as the owner role (SET ROLE, give it tables)."""
    from sqlalchemy import text

    return bool(
        session.execute(
            text("SELECT pg_has_role(current_user, :r, 'MEMBER')"), {"r": OWNER_ROLE}
        ).scalar_one()
    )
