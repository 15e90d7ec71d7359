"""A shared PostgreSQL server: who the server says is acting, and in which wegings roles.

On a server the acting person is the database user the server authenticated (`session_user`,
which `SET ROLE` cannot change), and a person's roles are the group roles `wegings_<role>` that
user is a member of. These functions only ask the server; what to allow is the caller's rule,
except for what `wegings db init-roles` installs in the database itself: the privileges, and
triggers that keep every row append-only, in its inserter's name, and the trail in order.
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
    the append-only trigger and the insert triggers (`install_insert_triggers`); the same result
    however often it runs. Returns the table count."""
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
    # Nobody else creates objects in the schema (PostgreSQL before 15 lets PUBLIC): a function
    # or operator of a login's own there could stand in for the catalog's in others' queries.
    run(text(f"REVOKE CREATE ON SCHEMA {_ident(schema)} FROM PUBLIC"))
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
    install_insert_triggers(session, schema, tables)
    return len(tables)


# ------------------------------------------------------------------ who inserts, and in order
#
# The privileges say which tables a login may insert into; these triggers say what it may
# insert there: only rows in its own name (`session_user`, which `SET ROLE` cannot change), and
# on the trail only the next event, hashed as wegings hashes it, dated now, with its record and
# the nodes it completes; establishments and permissions only in a role the login holds. So a
# row typed in by hand can neither lie about who acted or when, nor decide with an authority
# its login lacks, nor leave the trail in a state the next writer trips over. They bind
# everybody, the owner too; but a member of the owner role may `ALTER TABLE … DISABLE TRIGGER`
# (and a superuser switch them off), and only `wegings audit verify` then finds what it wrote.

ACTING_COLUMNS = (
    "recorded_by",
    "created_by",
    "added_by",
    "author",
    "established_by",
    "withdrawn_by",
    "revoked_by",
)
"""The columns in which a record names who recorded it: the acting login, on a server.

(`permission_grant.granted_by` is not one: it names the minister or DG who decided, whom the
recording login may differ from.)
"""

RECORDED_TIME_COLUMNS = (
    "created_at",
    "added_at",
    "established_at",
    "withdrawn_at",
    "revoked_at",
    "transferred_at",
    "recorded_at",
)
"""The columns in which a record holds when it was recorded: the time of its audit event.

(`valid_from`, `valid_until`, `observed_on` and `review_due` are moments in the world, given
or derived, not the moment of recording.)
"""

MAX_EVENT_AGE_SECONDS = 60
"""How long before the server's clock an audit event may be dated.

wegings reads the server's clock once a write, with the writer lock held (the lock is the
transaction's first statement; `engine.recorded_now`), and appends that write's events within
the same transaction, milliseconds later. A time further back was typed in: without this bound
an event could be dated back to the newest event, before an answer already given "now" (which
`--as-of` that moment must repeat). A write that took longer between reading the clock and its
last event is refused whole, and nothing of it is recorded.
"""

INSERT_GUARD = "wegings_insert_guard"
"""Every record table: waits for the writer lock, refuses a row in someone else's name."""
EVENT_GUARD = "wegings_audit_event_next"
"""audit_event: waits for the writer lock, refuses anything but the login's next event."""
NODE_GUARD = "wegings_audit_node_due"
"""audit_node: waits for the writer lock, refuses a node no event on the trail completes, or
with another hash than its event's leaf hash or its two children's node hash (recomputed)."""
EVENT_COMPLETE = "wegings_audit_event_complete"
"""audit_event, at commit: refuses an event without its tree nodes, without its record, or
whose `change` is not its record as wegings writes it (recomputed)."""
RECORD_AUDITED = "wegings_record_audited"
"""Every record table, at commit: refuses a record without its audit event, or whose recorded
time (`RECORDED_TIME_COLUMNS`) is not its event's."""
NOTE_AUTHORITY = "wegings_note_authority"
"""note_establishment: refuses a role the login does not hold, a `verhoogd` note established by
anyone but the minister, and a note established by its own author (four eyes)."""
NOTE_PARTNER = "wegings_note_partner"
"""note_establishment, note_withdrawal: refuses a row whose `partner_id` is not its note's
partner (else a standaard note of one partner could stand as another's established note)."""
PERMISSION_AUTHORITY = "wegings_permission_authority"
"""permission: refuses a role other than the minister's or the DG's, or one the login lacks."""

INSERT_TRIGGERS = (
    INSERT_GUARD,
    EVENT_GUARD,
    NODE_GUARD,
    EVENT_COMPLETE,
    RECORD_AUDITED,
    NOTE_AUTHORITY,
    NOTE_PARTNER,
    PERMISSION_AUTHORITY,
)
"""The triggers (each named as its function) `apply_privileges` installs besides append-only."""

AUTHORITY_TRIGGERS = {"note_establishment": NOTE_AUTHORITY, "permission": PERMISSION_AUTHORITY}
"""The tables of decisions only the minister or the DG takes, and the trigger that says so."""

NOTE_PARTNER_TABLES = ("note_establishment", "note_withdrawal")
"""The tables that name a note and its partner both, which `NOTE_PARTNER` keeps in step."""

EVENT_BYTES_FUNCTION = "wegings_audit_event_bytes"
"""An audit event's canonical bytes in SQL, as `wegings.store.chain.event_bytes` makes them: the
trigger on audit_event hashes them (SHA-256) and refuses any other hash."""

MAX_NODE_LEVEL = 62
"""The highest level of an audit tree node: 2**62 events, as far as a bigint counts."""

_DEFINER = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
# A definer's function with a fixed search path: it reads the trail with the owner's rights
# whoever inserts, and no one's own objects can stand in for the catalog's.


def _literal(value: str) -> str:
    """A quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _trigger_functions(schema: str) -> dict[str, str]:
    """The body of each insert trigger's function, for the tables of `schema`."""
    from wegings.domain import RiskProfile, Role
    from wegings.store.chain import GENESIS_HASH
    from wegings.store.engine import WRITE_LOCK_KEY

    events = f"{_ident(schema)}.audit_event"
    nodes = f"{_ident(schema)}.audit_node"
    notes = f"{_ident(schema)}.note_version"
    event_bytes = f"{_ident(schema)}.{_ident(EVENT_BYTES_FUNCTION)}"
    # Waits for a writer in flight, as wegings' writers do; they hold it already (re-entrant).
    lock = f"PERFORM pg_advisory_xact_lock({WRITE_LOCK_KEY});"
    hint = "HINT = 'Record it with wegings, logged in as yourself.'"
    # Formatted in are only quoted identifiers and constants (hence the S608 waivers).
    return {
        INSERT_GUARD: f"""
DECLARE
  named text;
BEGIN
  {lock}
  FOR i IN 0 .. TG_NARGS - 1 LOOP
    named := to_jsonb(NEW) ->> TG_ARGV[i];
    IF named IS DISTINCT FROM session_user::text THEN
      RAISE EXCEPTION 'wegings records name who recorded them: % in % names %, but this login is %',
        TG_ARGV[i], TG_TABLE_NAME, coalesce(quote_literal(named), 'nobody'),
        quote_literal(session_user::text)
        USING ERRCODE = 'insufficient_privilege', {hint};
    END IF;
  END LOOP;
  RETURN NEW;
END""",
        EVENT_GUARD: f"""
DECLARE
  last_seq bigint;
  last_hash text;
  last_at timestamp;
  clock timestamp;
  expected text;
BEGIN
  {lock}
  IF NEW.actor IS DISTINCT FROM session_user::text THEN
    RAISE EXCEPTION 'an audit event names who acted: actor % refused, this login is %',
      coalesce(quote_literal(NEW.actor), 'nobody'), quote_literal(session_user::text)
      USING ERRCODE = 'insufficient_privilege', {hint};
  END IF;
  SELECT e.seq, e.hash, e.at INTO last_seq, last_hash, last_at
    FROM {events} e ORDER BY e.seq DESC LIMIT 1;
  IF NEW.seq IS DISTINCT FROM coalesce(last_seq, 0) + 1 THEN
    RAISE EXCEPTION 'audit event % refused: the next event on the trail is %',
      coalesce(NEW.seq::text, 'without a number'), coalesce(last_seq, 0) + 1
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  IF NEW.prev_hash IS DISTINCT FROM coalesce(last_hash, '{GENESIS_HASH}') THEN
    RAISE EXCEPTION 'audit event % refused: its prev_hash must be %, the hash of event %',
      NEW.seq, coalesce(last_hash, '{GENESIS_HASH}'), coalesce(last_seq, 0)
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  IF NEW.hash IS NULL OR NEW.hash !~ '^[0-9a-f]{{64}}$' THEN
    RAISE EXCEPTION 'audit event % refused: its hash is not 64 lowercase hex digits', NEW.seq
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  -- A writer stamps the server's clock, or just after the newest event when that is later: a
  -- time beyond both would push every later record's time after it.
  clock := clock_timestamp() AT TIME ZONE 'UTC';
  IF NEW.at IS NULL OR NEW.at < last_at
      OR NEW.at > greatest(clock, last_at + interval '1 microsecond') THEN
    RAISE EXCEPTION 'audit event % refused: its time % is before the newest event or after now',
      NEW.seq, coalesce(NEW.at::text, 'none')
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  -- Nor may it be dated back, before what others read meanwhile (MAX_EVENT_AGE_SECONDS).
  IF NEW.at < clock - interval '{MAX_EVENT_AGE_SECONDS} seconds' THEN
    RAISE EXCEPTION
      'audit event % refused: its time % is more than % seconds before the server clock, %',
      NEW.seq, NEW.at, {MAX_EVENT_AGE_SECONDS}, clock
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  -- The hash wegings computes (chain.chain_hash): any other would break the chain for all.
  expected := encode(sha256({event_bytes}(NEW.seq, NEW.at, NEW.actor, NEW.action, NEW.entity,
    NEW.entity_id, NEW.change, NEW.prev_hash, to_jsonb(NEW) ->> 'os_login')), 'hex');
  IF NEW.hash IS DISTINCT FROM expected THEN
    RAISE EXCEPTION 'audit event % refused: its hash must be %, the SHA-256 of its content',
      NEW.seq, expected USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  RETURN NEW;
END""",  # noqa: S608
        NODE_GUARD: f"""
DECLARE
  completing numeric;
  expected text;
BEGIN
  {lock}
  IF NEW.level IS NULL OR NEW.idx IS NULL OR NEW.level < 0 OR NEW.level > {MAX_NODE_LEVEL}
      OR NEW.idx < 0 THEN
    RAISE EXCEPTION
      'audit tree node (%, %) refused: its level runs from 0 to {MAX_NODE_LEVEL}, its idx from 0',
      coalesce(NEW.level::text, 'none'), coalesce(NEW.idx::text, 'none')
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  IF NEW.hash IS NULL OR NEW.hash !~ '^[0-9a-f]{{64}}$' THEN
    RAISE EXCEPTION 'audit tree node (%, %) refused: its hash is not 64 lowercase hex digits',
      NEW.level, NEW.idx USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  -- The event that completes the subtree of the 2**level events from idx * 2**level on.
  completing := (NEW.idx::numeric + 1) * (1::bigint << NEW.level);
  IF completing > 9223372036854775807 THEN
    completing := NULL;
  END IF;
  IF completing IS NULL
      OR NOT EXISTS (SELECT 1 FROM {events} e WHERE e.seq = completing::bigint) THEN
    RAISE EXCEPTION
      'audit tree node (%, %) refused: event %, which completes it, is not on the trail',
      NEW.level, NEW.idx, (NEW.idx::numeric + 1) * (1::bigint << NEW.level)
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  -- The hash wegings computes (merkle, RFC 6962): a leaf hashes its event, a node its two
  -- children, stored before it; any other would break every proof and `audit verify` for all.
  IF NEW.level = 0 THEN
    SELECT encode(sha256('\\x00'::bytea || {event_bytes}(e.seq, e.at, e.actor, e.action,
      e.entity, e.entity_id, e.change, e.prev_hash, to_jsonb(e) ->> 'os_login')), 'hex')
      INTO expected FROM {events} e WHERE e.seq = NEW.idx + 1;
  ELSE
    SELECT encode(sha256('\\x01'::bytea || decode(l.hash, 'hex') || decode(r.hash, 'hex')),
      'hex') INTO expected FROM {nodes} l, {nodes} r
      WHERE l.level = NEW.level - 1 AND l.idx = 2 * NEW.idx
      AND r.level = NEW.level - 1 AND r.idx = 2 * NEW.idx + 1;
  END IF;
  IF expected IS NULL THEN
    RAISE EXCEPTION 'audit tree node (%, %) refused: the nodes below it are not stored yet',
      NEW.level, NEW.idx USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  IF NEW.hash IS DISTINCT FROM expected THEN
    RAISE EXCEPTION
      'audit tree node (%, %) refused: its hash must be %, the hash of what it covers',
      NEW.level, NEW.idx, expected USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  RETURN NEW;
END""",  # noqa: S608
        # TG_ARGV: the pairs (entity, table) of the audited records.
        EVENT_COMPLETE: f"""
DECLARE
  lvl integer := 0;
  span bigint := 1;
  record_table text;
  id_type text;
  stored jsonb;
  expected_change text;
  events_of_record bigint;
BEGIN
  WHILE span <= NEW.seq AND NEW.seq % span = 0 LOOP
    IF NOT EXISTS (SELECT 1 FROM {nodes} n WHERE n.level = lvl AND n.idx = NEW.seq / span - 1)
    THEN
      RAISE EXCEPTION 'audit event % lacks the node (%, %) of the audit tree it completes',
        NEW.seq, lvl, NEW.seq / span - 1
        USING ERRCODE = 'integrity_constraint_violation', {hint};
    END IF;
    lvl := lvl + 1;
    span := span * 2;
  END LOOP;
  FOR i IN 0 .. TG_NARGS / 2 - 1 LOOP
    IF TG_ARGV[2 * i] = NEW.entity THEN
      record_table := TG_ARGV[2 * i + 1];
    END IF;
  END LOOP;
  IF record_table IS NULL THEN
    RAISE EXCEPTION 'audit event % names no kind of wegings record (entity %)',
      NEW.seq, quote_literal(NEW.entity)
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  SELECT format_type(a.atttypid, a.atttypmod) INTO id_type FROM pg_attribute a
    WHERE a.attrelid = format('%I.%I', {_literal(schema)}, record_table)::regclass
    AND a.attname = 'id' AND NOT a.attisdropped;
  BEGIN
    EXECUTE format('SELECT to_jsonb(r) FROM %I.%I r WHERE id = CAST($1 AS %s)',
      {_literal(schema)}, record_table, id_type) INTO stored USING NEW.entity_id;
  EXCEPTION WHEN data_exception THEN
    stored := NULL;
  END;
  IF stored IS NULL THEN
    RAISE EXCEPTION 'audit event % names % %, which is not recorded',
      NEW.seq, NEW.entity, quote_literal(NEW.entity_id)
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  SELECT count(*) INTO events_of_record FROM {events} e
    WHERE e.entity = NEW.entity AND e.entity_id = NEW.entity_id;
  IF events_of_record > 1 THEN
    RAISE EXCEPTION 'audit event % names % %, which has its audit event already',
      NEW.seq, NEW.entity, quote_literal(NEW.entity_id)
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  -- Its change is the record as wegings writes it (chain.canonical of audit.snapshot), the
  -- text `audit verify` holds the record to: any other would be a break for everybody.
  SELECT '{{' || coalesce(string_agg(to_json(j.key)::text || ':' || CASE
      WHEN jsonb_typeof(j.value) = 'null' THEN 'null'
      WHEN a.atttypid = 'timestamp'::regtype
        THEN to_json({_iso_sql("(j.value #>> '{}')::timestamp")})::text
      ELSE j.value::text END, ',' ORDER BY j.key COLLATE "C"), '') || '}}'
    INTO expected_change
    FROM jsonb_each(stored) j JOIN pg_attribute a
      ON a.attrelid = format('%I.%I', {_literal(schema)}, record_table)::regclass
      AND a.attname = j.key;
  IF NEW.change IS DISTINCT FROM expected_change THEN
    RAISE EXCEPTION 'audit event % refused: its change is not % % as recorded, which is %',
      NEW.seq, NEW.entity, quote_literal(NEW.entity_id), expected_change
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  RETURN NULL;
END""",  # noqa: S608
        # TG_ARGV[0]: the entity the record's events name; then its RECORDED_TIME_COLUMNS.
        RECORD_AUDITED: f"""
DECLARE
  record_id text := to_jsonb(NEW) ->> 'id';
  event_at timestamp;
  recorded timestamp;
BEGIN
  SELECT e.at INTO event_at FROM {events} e
    WHERE e.entity = TG_ARGV[0] AND e.entity_id = record_id ORDER BY e.seq LIMIT 1;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% % refused: a record is committed with its audit event, and it has none',
      TG_TABLE_NAME, coalesce(record_id, 'without an id')
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  FOR i IN 1 .. TG_NARGS - 1 LOOP
    recorded := CAST(to_jsonb(NEW) ->> TG_ARGV[i] AS timestamp);
    IF recorded IS DISTINCT FROM event_at THEN
      RAISE EXCEPTION '% % refused: its % % is not %, the time of its audit event',
        TG_TABLE_NAME, record_id, TG_ARGV[i], coalesce(recorded::text, 'none'), event_at
        USING ERRCODE = 'integrity_constraint_violation', {hint};
    END IF;
  END LOOP;
  RETURN NULL;
END""",  # noqa: S608
        NOTE_AUTHORITY: f"""
DECLARE
  note_author text;
  note_profile text;
BEGIN
  {_authority("a note is established")}
  SELECT n.author, n.profile INTO note_author, note_profile FROM {notes} n
    WHERE n.id = NEW.note_id;
  IF NOT FOUND THEN
    RETURN NEW;  -- the foreign key refuses it
  END IF;
  IF NEW.role IS DISTINCT FROM '{Role.minister.value}'
      AND note_profile IS DISTINCT FROM '{RiskProfile.standaard.value}' THEN
    RAISE EXCEPTION
      'a note is established by the minister unless it is %: note % is %, the role % refused',
      '{RiskProfile.standaard.value}', NEW.note_id,
      coalesce(quote_literal(note_profile), 'without a profile'), quote_literal(NEW.role)
      USING ERRCODE = 'insufficient_privilege', {_AUTHORITY_HINT};
  END IF;
  IF note_author IS NOT DISTINCT FROM session_user::text THEN
    RAISE EXCEPTION
      'a note is established by another login than its author (four eyes): % wrote note %',
      quote_literal(session_user::text), NEW.note_id
      USING ERRCODE = 'insufficient_privilege', {_AUTHORITY_HINT};
  END IF;
  RETURN NEW;
END""",  # noqa: S608
        NOTE_PARTNER: f"""
DECLARE
  note_partner integer;
BEGIN
  SELECT n.partner_id INTO note_partner FROM {notes} n WHERE n.id = NEW.note_id;
  IF FOUND AND NEW.partner_id IS DISTINCT FROM note_partner THEN
    RAISE EXCEPTION '% of note % refused: it is a note of partner %, not of partner %',
      TG_TABLE_NAME, NEW.note_id, note_partner, coalesce(NEW.partner_id::text, 'none')
      USING ERRCODE = 'integrity_constraint_violation', {hint};
  END IF;
  RETURN NEW;
END""",  # noqa: S608
        PERMISSION_AUTHORITY: f"""
BEGIN
  {_authority("a permission is granted")}
  RETURN NEW;
END""",
    }


_AUTHORITY_HINT = "HINT = 'The minister or the DG records it with wegings, logged in as such.'"


def _authority(decision: str) -> str:
    """The statements that refuse a `decision` (an establishment, a permission) whose `role` is
    not the minister's or the DG's, or is a role the inserting login does not hold."""
    from wegings.domain import Role

    roles = ", ".join(_literal(role.value) for role in Role)
    names = " or ".join(role.value for role in Role)
    return f"""IF NEW.role IS NULL OR NEW.role NOT IN ({roles}) THEN
    RAISE EXCEPTION '{decision} in the role {names}: the role % refused',
      coalesce(quote_literal(NEW.role), 'none')
      USING ERRCODE = 'insufficient_privilege', {_AUTHORITY_HINT};
  END IF;
  IF NOT pg_has_role(session_user, {_literal(ROLE_PREFIX)} || NEW.role, 'MEMBER') THEN
    RAISE EXCEPTION '{decision} in a role its login holds: % is not a member of %',
      quote_literal(session_user::text), {_literal(ROLE_PREFIX)} || NEW.role
      USING ERRCODE = 'insufficient_privilege', {_AUTHORITY_HINT};
  END IF;"""


def _iso_sql(moment: str) -> str:
    """The SQL of `timeutil.iso` of the `timestamp` (naive UTC) `moment`: ISO 8601 with `T`,
    the microseconds only when there are any, and `Z`."""
    return (
        f"to_char({moment}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN {moment} = "
        f"date_trunc('second', {moment}) THEN '' ELSE to_char({moment}, '.US') END || 'Z'"
    )


def _event_bytes_function(schema: str) -> str:
    r"""CREATE the SQL function of an event's canonical bytes (`EVENT_BYTES_FUNCTION`).

    `chain.event_bytes` writes a JSON list without spaces, each string as Python's
    `json.encoder.encode_basestring` writes it (ensure_ascii=False): `"` and `\` escaped, \b \f
    \n \r \t as such, other characters below U+0020 as \u00xx in lowercase hex, everything
    else as it is, in UTF-8; PostgreSQL's `to_json(text)` escapes exactly so (a test compares
    the two on any text). The time is `timeutil.iso`: ISO 8601 with `T`, the microseconds only
    when there are any, and `Z`; the OS login is a ninth element only when there is one.
    """
    as_json = "coalesce(to_json({})::text, 'null')".format
    at = _iso_sql("$2")
    fields = [
        "coalesce($1::text, 'null')",
        as_json(f"CASE WHEN $2 IS NULL THEN NULL ELSE {at} END"),
        *(as_json(f"${n}") for n in range(3, 9)),
    ]
    login = "CASE WHEN $9 IS NULL THEN '' ELSE ',' || to_json($9)::text END"
    payload = " || ',' || ".join(fields)
    return (
        f"CREATE OR REPLACE FUNCTION {_ident(schema)}.{_ident(EVENT_BYTES_FUNCTION)}("
        "bigint, timestamp, text, text, text, text, text, text, text) RETURNS bytea "
        "LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp "
        f"AS $$ SELECT convert_to('[' || {payload} || {login} || ']', 'UTF8') $$"
    )


def _acting_columns(session: Session, schema: str) -> dict[str, list[str]]:
    """The `ACTING_COLUMNS` each table of `schema` has, by table."""
    return _columns_named(session, schema, ACTING_COLUMNS)


def _recorded_time_columns(session: Session, schema: str) -> dict[str, list[str]]:
    """The `RECORDED_TIME_COLUMNS` each table of `schema` has, by table."""
    return _columns_named(session, schema, RECORDED_TIME_COLUMNS)


def _columns_named(session: Session, schema: str, names: tuple[str, ...]) -> dict[str, list[str]]:
    """The columns called one of `names` that each table of `schema` has, by table."""
    from sqlalchemy import bindparam, text

    rows = session.execute(
        text(
            "SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a "
            "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND a.attnum > 0 AND NOT a.attisdropped "
            "AND a.attname IN :columns ORDER BY a.attnum"
        ).bindparams(bindparam("columns", expanding=True)),
        {"schema": schema, "columns": list(names)},
    )
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(str(table), []).append(str(column))
    return columns


def _audited_tables() -> dict[str, str]:
    """Each audited record table and the entity its audit events name."""
    from wegings.store.audit import AUDITED

    return {str(model.__tablename__): entity for entity, model in AUDITED.items()}


def install_insert_triggers(session: Session, schema: str, tables: list[str]) -> None:
    """Install (again) the functions and the triggers of `INSERT_TRIGGERS` on `tables`: each
    exactly once, whatever was there before."""
    from sqlalchemy import text

    run = session.execute
    run(text(_event_bytes_function(schema)))
    run(
        text(
            f"ALTER FUNCTION {_ident(schema)}.{_ident(EVENT_BYTES_FUNCTION)}(bigint, timestamp, "
            f"text, text, text, text, text, text, text) OWNER TO {_ident(OWNER_ROLE)}"
        )
    )
    for name, body in _trigger_functions(schema).items():
        function = f"{_ident(schema)}.{_ident(name)}"
        run(
            text(
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger {_DEFINER} "
                f"AS $$ {body} $$"
            )
        )
        run(text(f"ALTER FUNCTION {function}() OWNER TO {_ident(OWNER_ROLE)}"))

    def trigger(table: str, name: str, arguments: list[str], *, at_commit: bool = False) -> None:
        on = f"{_ident(schema)}.{_ident(table)}"
        kind = "CONSTRAINT TRIGGER" if at_commit else "TRIGGER"
        timing = "AFTER INSERT" if at_commit else "BEFORE INSERT"
        deferred = " DEFERRABLE INITIALLY DEFERRED" if at_commit else ""
        run(text(f"DROP TRIGGER IF EXISTS {_ident(name)} ON {on}"))
        run(
            text(
                f"CREATE {kind} {_ident(name)} {timing} ON {on}{deferred} FOR EACH ROW "
                f"EXECUTE FUNCTION {_ident(schema)}.{_ident(name)}"
                f"({', '.join(map(_literal, arguments))})"
            )
        )

    acting = _acting_columns(session, schema)
    recorded_times = _recorded_time_columns(session, schema)
    audited = {table: entity for table, entity in _audited_tables().items() if table in tables}
    for table in tables:
        if table in UNGUARDED_TABLES or table in TRAIL_TABLES:
            continue
        trigger(table, INSERT_GUARD, acting.get(table, []))
        if table in audited:
            times = recorded_times.get(table, [])
            trigger(table, RECORD_AUDITED, [audited[table], *times], at_commit=True)
        if table in AUTHORITY_TRIGGERS:
            trigger(table, AUTHORITY_TRIGGERS[table], [])
        if table in NOTE_PARTNER_TABLES:
            trigger(table, NOTE_PARTNER, [])
    if "audit_event" in tables:
        trigger("audit_event", EVENT_GUARD, [])
        pairs = [name for table, entity in sorted(audited.items()) for name in (entity, table)]
        trigger("audit_event", EVENT_COMPLETE, pairs, at_commit=True)
    if "audit_node" in tables:
        trigger("audit_node", NODE_GUARD, [])


def init_roles(session: Session) -> RolesResult:
    """Create the owner and group roles (NOLOGIN) and apply the least privileges (idempotent).

    Run by the database's owner (who may create roles) once, and again after an upgrade that
    added tables (`db upgrade` does that itself once the roles exist).
    """
    _require_server(session, "init_roles")
    _require_database_owner(session)
    created = [
        role for role in (OWNER_ROLE, *map(group_role, ROLES)) if _create_role(session, role)
    ]
    tables = apply_privileges(session)
    restrict_connect(session)
    return RolesResult(created=tuple(created), tables=tables)


def _require_database_owner(session: Session) -> None:
    """Refuse unless the current user may grant on the database itself (its owner, a member
    of its owner, or a superuser): without that a REVOKE would only warn, and change nothing."""
    from sqlalchemy import text

    from wegings.errors import Refused

    database, owner, may = session.execute(
        text(
            "SELECT datname, pg_get_userbyid(datdba), pg_has_role(current_user, datdba, 'USAGE') "
            "FROM pg_catalog.pg_database WHERE datname = current_database()"
        )
    ).one()
    if not may:
        raise Refused(
            f"db init-roles decides who may connect to the database {database}, which only its "
            f"owner {owner} may: run it as {owner} (or a superuser); nothing was changed."
        )


def restrict_connect(session: Session) -> None:
    """Let only the owner role and the group roles (and so their members) connect.

    A login that can connect can take the writers' advisory lock and hold every writer up, and
    the lock functions cannot be revoked from it; so CONNECT, and TEMPORARY (wegings makes no
    temporary tables), are taken from PUBLIC. The database's owner and superusers connect
    still; any other login (a backup or monitoring one) needs its own GRANT CONNECT.
    """
    from sqlalchemy import text

    database = str(session.execute(text("SELECT current_database()")).scalar_one())
    name = _ident(database)
    session.execute(text(f"REVOKE CONNECT, TEMPORARY ON DATABASE {name} FROM PUBLIC"))
    for role in (OWNER_ROLE, *map(group_role, ROLES)):
        session.execute(text(f"GRANT CONNECT ON DATABASE {name} TO {_ident(role)}"))


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
