"""The people register: who may act, under which full name and function, in which roles.

Every action is done by a known person (DOMAIN.md, "People and roles"). While the register is
empty the tool works as it always did, for one user: whoever `--as` (or the login name) says is
recorded. From the first registered person on, every writing command is done by a registered
person holding a role that `GATES` lists for it, and the four-eyes rule compares registered
persons. On a PostgreSQL server the acting person is the database user the server
authenticated, matched to the register exactly (case and all: `Alice` and `alice` are two
database users), and the roles are its database roles (`wegings.store.server`), checked against
`GATES` whether anyone is registered or not.

The register is managed by the head of service or the minister: the first person registered
(on an empty register, by anyone) must be the one registering and must hold `dg` or `minister`;
after that only a registered `dg` or `minister` adds people, corrects them, and grants or revokes
roles; nobody grants a role to themselves nor corrects their own name or function; an
overseer (CTIVD) holds no other role; and no revocation leaves the register without a `dg` or
`minister`. A person is one login: a full name that is the name of a registered person (by
`same_full_name`: case, spacing, punctuation, accents and look-alikes ignored) is refused, and
two records under one name count as one person all the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from wegings.errors import InvalidInput, NotFound, Refused
from wegings.notes.weighing import same_full_name, same_person
from wegings.register.roster import ASSESSOR as ASSESSOR
from wegings.register.roster import DESK as DESK
from wegings.register.roster import DG as DG
from wegings.register.roster import MINISTER as MINISTER
from wegings.register.roster import OVERSEER as OVERSEER
from wegings.register.roster import ROLES as ROLES
from wegings.register.roster import corrected, grants_held, on_record, ordered_roles
from wegings.store.audit import record_change
from wegings.store.models import Person, PersonCorrection, RoleGrant, RoleRevocation
from wegings.text import MAX_TEXT_LENGTH, clean_text, quote, reject_invisible, suggestion

ROLE_DUTIES: dict[str, str] = {
    DESK: "items, consents, transfers and the partner register",
    ASSESSOR: "scores notes",
    DG: "establishes notes, grants permissions, manages the people register",
    MINISTER: "establishes notes, grants permissions, manages the people register",
    OVERSEER: "CTIVD: reads and exports, changes nothing",
}

AUTHORITIES = frozenset({DG, MINISTER})
"""Who establishes notes, grants permissions and manages the people register."""

_LOGIN = re.compile(r"^[^\W_][\w.@'-]*$")
MAX_LOGIN_LENGTH = 100


@dataclass(frozen=True)
class Gate:
    """Who may run a writing command: a holder of any of `roles`.

    With `by_role_option` the command names the role it is done in (`--role dg`): the acting
    person must hold exactly that role, which must be one of `roles`.
    """

    roles: frozenset[str]
    by_role_option: bool = False


def _gate(*roles: str, by_role_option: bool = False) -> Gate:
    return Gate(frozenset(roles), by_role_option)


GATES: dict[str, Gate] = {
    # The partner register is kept by the foreign-liaison desk.
    "new-partner": _gate(DESK),
    "edit-partner": _gate(DESK),
    "join": _gate(DESK),
    "leave": _gate(DESK),
    # Developments are seen by the desk and by the assessors; taking a flag back undoes a
    # safeguard, so that is for whoever weighs the note or decides on it.
    "flag": _gate(DESK, ASSESSOR),
    "retract-flag": _gate(ASSESSOR, DG, MINISTER),
    # Weighing notes: written by an assessor, established and withdrawn by the authority.
    "score": _gate(ASSESSOR),
    "establish": _gate(DG, MINISTER, by_role_option=True),
    "withdraw": _gate(DG, MINISTER),
    # The third-party rule: the desk records; higher permissions are the authority's.
    "new-item": _gate(DESK),
    "correct-item": _gate(DESK),
    "consent": _gate(DESK),
    "revoke": _gate(DESK),
    "share": _gate(DESK),
    "permit": _gate(DG, MINISTER, by_role_option=True),
    "revoke-permission": _gate(DG, MINISTER),
    # Onboarding a register from a spreadsheet: the desk's, as each row's single command is.
    "import partners": _gate(DESK),
    "import items": _gate(DESK),
    "import consents": _gate(DESK),
    # The people register itself.
    "person add": _gate(DG, MINISTER),
    "person edit": _gate(DG, MINISTER),
    "person grant": _gate(DG, MINISTER),
    "person revoke": _gate(DG, MINISTER),
}
"""Every writing command and the roles that may run it: the one table of who may do what.

An overseer is in none of them: an overseer reads and exports, and changes nothing.
"""


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class RoleHeld:
    """A grant of a role with its revocation, if any (as on record at the moment asked)."""

    grant: RoleGrant
    revocation: RoleRevocation | None

    @property
    def held(self) -> bool:
        """Whether the role is held: granted and not revoked (as on record at that moment)."""
        return self.revocation is None


@dataclass(frozen=True)
class PersonAt:
    """A person as on record at a moment: current name and function, roles held then."""

    person: Person
    name: str
    function: str
    roles: tuple[str, ...]
    grants: tuple[RoleHeld, ...]
    corrections: tuple[PersonCorrection, ...]

    @property
    def login(self) -> str:
        """The person's login."""
        return self.person.login

    def describe(self) -> str:
        """'login (full name)' for messages."""
        return f"{quote(self.login)} ({self.name})"


def register_is_empty(session: Session) -> bool:
    """Whether nobody is registered: then the tool works for one user, as before the register."""
    return session.exec(select(Person.id).limit(1)).first() is None


def person_at(session: Session, person: Person, at: datetime | None = None) -> PersonAt:
    """`person` with the corrections and roles on record at `at` (None: everything on record)."""
    corrections = tuple(
        c
        for c in session.exec(
            select(PersonCorrection)
            .where(PersonCorrection.person_id == person.id)
            .order_by(col(PersonCorrection.id))
        )
        if on_record(c.recorded_at, at)
    )
    name, function = corrected(person.name, person.function, corrections)
    grants = session.exec(
        select(RoleGrant).where(RoleGrant.person_id == person.id).order_by(col(RoleGrant.id))
    ).all()
    revocations = session.exec(
        select(RoleRevocation).where(col(RoleRevocation.grant_id).in_([g.id for g in grants]))
    )
    held, roles = grants_held(grants, revocations, at)
    return PersonAt(
        person, name, function, roles, tuple(RoleHeld(g, r) for g, r in held), corrections
    )


def list_people(session: Session, *, at: datetime | None = None) -> list[PersonAt]:
    """Everyone registered by `at` (None: now), in login order, with their roles then."""
    people = session.exec(select(Person).order_by(col(Person.login))).all()
    return [person_at(session, p, at) for p in people if on_record(p.recorded_at, at)]


def _registered(session: Session) -> list[Person]:
    return list(session.exec(select(Person).order_by(col(Person.id))))


def _fold(login: str) -> str:
    return unicodedata.normalize("NFC", login).casefold()


def find_person(session: Session, login: str, *, exact: bool = False) -> Person | None:
    """The person whose login this is (case-insensitive), or None.

    A login that only looks like a registered one (a Cyrillic 'і' in 'alіce') is refused: it
    names nobody, and must not pass for the person it resembles. With `exact` (the login a
    server authenticated) the login must be the registered one as it is, case and all: a
    registered login that differs only in case is another database user, so it is refused.
    """
    typed = login.strip()
    wanted = _fold(typed)
    people = _registered(session)
    for person in people:
        if (person.login == typed) if exact else (_fold(person.login) == wanted):
            return person
    for person in people:
        if exact and _fold(person.login) == wanted:
            raise Refused(
                f"Login {quote(typed)} is not registered: the registered login "
                f"{quote(person.login)} differs in case, and on a server that is another "
                f"database user. Connect as {quote(person.login)} to act as them; see "
                "`wegings people`."
            )
    for person in people:
        if same_person(person.login, login):
            raise Refused(
                f"Login {quote(login.strip())} is not registered, but looks like the registered "
                f"login {quote(person.login)} (a look-alike character?); type it exactly. See "
                "`wegings people`."
            )
    return None


def get_person(session: Session, login: str) -> Person:
    """The registered person with this login, or NotFound with the closest known logins."""
    person = find_person(session, login)
    if person is None:
        known = [p.login for p in _registered(session)]
        raise NotFound(suggestion(login.strip(), known, what="person", listing="wegings people"))
    return person


def roles_of(session: Session, login: str, at: datetime | None = None) -> tuple[str, ...]:
    """The roles `login` held at `at` (None: now) by the register; () for nobody registered."""
    person = find_person(session, login)
    if person is None or not on_record(person.recorded_at, at):
        return ()
    return person_at(session, person, at).roles


def parse_role(text: str) -> str:
    """A role as typed (any case), or NotFound with the closest role names."""
    role = text.strip().lower()
    if role not in ROLES:
        raise NotFound(
            suggestion(
                text.strip(), list(ROLES), what="role", listing="wegings person grant --help"
            )
        )
    return role


def normalise_login(text: str) -> str:
    """A login to register: one word of letters, digits and . _ @ ' - , nothing invisible."""
    login = unicodedata.normalize(
        "NFC", clean_text(text, field="Login", max_length=MAX_LOGIN_LENGTH)
    )
    reject_invisible(login, field="Login")
    for char in login:
        if unicodedata.category(char) == "Zs" and char != " ":
            # Shown as a blank, so 'k\u00a0klaas' would read as the login 'k klaas'.
            raise InvalidInput(
                f"Login contains the space character U+{ord(char):04X}; a login has no spaces."
            )
    if not _LOGIN.match(login):
        raise InvalidInput(
            f"Login {quote(login)} may hold letters, digits and . _ @ ' - only, starting with a "
            "letter or digit (no spaces)."
        )
    return login


def _person_text(value: str, *, field: str) -> str:
    """A full name or function, checked as partner names are: one line, nothing invisible."""
    return reject_invisible(clean_text(value, field=field, max_length=200), field=field)


def _reason(value: str) -> str:
    return clean_text(value, field="Reason (--reason)", multiline=True, max_length=MAX_TEXT_LENGTH)


def same_registered_person(first: PersonAt, second: PersonAt) -> bool:
    """Whether two registered persons are one: one record, or one full name (`same_full_name`).

    A name is refused when it is a registered person's already, but two records under one name
    may be on record from before that; they are one person for four eyes and self-grants.
    """
    return first.person.id == second.person.id or same_full_name(first.name, second.name)


def registered_as_one(
    session: Session, first: str, second: str
) -> tuple[PersonAt, PersonAt] | None:
    """The registered persons of two logins when they are one person, else None (also when
    either is not registered)."""
    try:
        one, other = find_person(session, first), find_person(session, second)
    except Refused:
        return None
    if one is None or other is None:
        return None
    pair = person_at(session, one), person_at(session, other)
    return pair if same_registered_person(*pair) else None


def _refuse_a_registered_name(session: Session, name: str, *, but: Person | None = None) -> None:
    """Refused when `name` is the full name of a registered person other than `but`: one person
    under two logins would count as two (four eyes, self-grants)."""
    for other in list_people(session):
        if (but is None or other.person.id != but.id) and same_full_name(other.name, name):
            raise Refused(
                f"Full name {quote(name)} is the name of the registered person "
                f"{other.describe()}: one person under two logins would pass four eyes. If "
                "they are two people, distinguish the names by initials or function (e.g. "
                f"'{other.name} (function)'); one person keeps one login."
            )


# --------------------------------------------------------------------------- who is acting


@dataclass(frozen=True)
class Acting:
    """The person a command is done by.

    `person` is None while the register is empty (on a file one user, as before the register;
    on a server the login with its database roles). `roles` are the register's roles on a SQLite
    file and the database roles on a server. `login` is who is recorded as acting: on a server
    exactly the login it authenticated.
    """

    login: str
    person: PersonAt | None
    roles: frozenset[str]
    on_server: bool


def _server(session: Session) -> tuple[str, frozenset[str]] | None:
    """(login, roles) as the PostgreSQL server vouches for them, or None on a SQLite file."""
    from wegings.store.server import is_server, server_roles, session_login

    if not is_server(session):
        return None
    return session_login(session), frozenset(server_roles(session))


def _missing_group_roles(session: Session, roles: Iterable[str]) -> bool:
    """Whether any of the group roles of `roles` is missing on the server (before `wegings db
    init-roles`)."""
    from sqlalchemy import bindparam, text

    from wegings.store.server import group_role

    names = sorted({group_role(role) for role in roles})
    query = text("SELECT count(*) FROM pg_roles WHERE rolname IN :names").bindparams(
        bindparam("names", expanding=True)
    )
    return int(session.execute(query, {"names": names}).scalar_one()) < len(names)


def acting_person(
    session: Session,
    *,
    claimed: str,
    source: str | None,
    command: str,
    role: str | None = None,
) -> Acting:
    """Who does `command`, checked against the register and `GATES`; Refused when not allowed.

    `claimed` is who `--as`, WEGINGS_USER or the login name says is acting (`source` names the
    first two, None for the login name). On a server the authenticated database user acts, a
    claim of anyone else is refused, and its database roles are checked against `GATES` also
    while the register is empty; on a SQLite file an empty register lets anyone act (one user).
    `role` is the role the command is done in (`--role`).
    """
    gate = GATES[command]
    server = _server(session)
    if server is not None:
        login, roles = server
        if source is not None and claimed != login:
            raise Refused(
                f"On the server you act as {quote(login)}, the database user it authenticated; "
                f"{source} {quote(claimed)} names someone else. Connect as that person to act "
                "as them."
            )
    else:
        login, roles = claimed, frozenset()
    if server is not None and command in _REGISTER_GRANTS:
        # Before the gate: on a server nobody grants roles here, whatever roles they hold.
        raise Refused(_no_grants(command))
    if register_is_empty(session):
        acting = Acting(login, None, roles, server is not None)
        if server is not None:
            _check_gate(acting, command, gate, role, session=session)
        return acting
    person = find_person(session, login, exact=server is not None)
    if person is None:
        if server is None:
            fix = f"`wegings person add {login} --name NAME --function FUNCTION --role ROLE`"
        else:
            # `person add --role` is refused on a server: the database owner grants the roles.
            fix = f"`wegings person add {login} --name NAME --function FUNCTION`"
            needed = frozenset({role}) if gate.by_role_option and role else gate.roles
            if not roles & needed:
                named = next(iter(needed)) if len(needed) == 1 else "ROLE"
                fix += (
                    ", and the database owner grants the role: "
                    f"GRANT wegings_{named} TO {_sql_name(login)}"
                )
        raise Refused(
            f"{quote(login)} is not in the people register, so cannot {command}. A dg or "
            f"minister registers them: {fix}; see `wegings people`."
        )
    current = person_at(session, person)
    if server is None:
        roles = frozenset(current.roles)
    # On a server `person.login` is the authenticated login exactly (find_person, exact).
    acting = Acting(person.login, current, roles, server is not None)
    _check_gate(acting, command, gate, role, session=session)
    return acting


def _roles_text(roles: Iterable[str]) -> str:
    held = ordered_roles(roles)
    return f"holds {', '.join(held)}" if held else "holds no role"


def _sql_name(login: str) -> str:
    """A login as GRANT takes it: as it is when a plain lower-case identifier, else quoted."""
    if re.fullmatch(r"[a-z_][a-z0-9_]*", login):
        return login
    return '"' + login.replace('"', '""') + '"'


def _check_gate(
    acting: Acting, command: str, gate: Gate, role: str | None, *, session: Session
) -> None:
    if gate.by_role_option:
        if role is None or role not in gate.roles:
            raise RuntimeError(f"{command} must name the role it is done in, not {role!r}")
        needed, what = frozenset({role}), f"{command} as {role}"
    else:
        needed, what = gate.roles, command
    if acting.roles & needed:
        return
    if acting.person is not None:
        who = acting.person.describe()
    else:
        # A server with nobody registered yet: the login is all there is to name.
        who = f"the database user {quote(acting.login)}"
    if acting.roles == {OVERSEER}:
        raise Refused(
            f"{who[:1].upper()}{who[1:]} is an overseer (CTIVD): an overseer reads and exports "
            f"and changes nothing, so cannot {command}."
        )
    wanted = " or ".join(ordered_roles(needed))
    named = wanted if len(needed) == 1 else "ROLE"
    if acting.on_server:
        grant = f"GRANT wegings_{named} TO {_sql_name(acting.login)}"
        if _missing_group_roles(session, needed):
            fix = (
                "The database has no wegings roles yet: its owner runs `wegings db init-roles`, "
                f"then {grant}."
            )
        else:
            fix = f"The database owner grants it: {grant}."
    else:
        fix = (
            f"A dg or minister grants it: `wegings person grant {acting.login} {named} "
            "--reason TEXT`."
        )
    kind = "the database role" if acting.on_server else "the role"
    raise Refused(f"{what} needs {kind} {wanted}; {who} {_roles_text(acting.roles)}. {fix}")


def is_registered(session: Session, login: str) -> bool:
    """Whether `login` (as recorded) is exactly a registered person's login, not a look-alike."""
    try:
        return find_person(session, login) is not None
    except Refused:
        return False


def grantor(acting: Acting, granted_by: str | None, role: str) -> str:
    """Who granted a higher permission, as recorded beside who entered it.

    Without a register that is `--granted-by` (required): the desk officer records the decision
    of the minister or DG. With a register the minister or DG records it themselves (the gate
    of `permit`), so it is their registered full name; a `--granted-by` naming anyone else is
    refused rather than recorded as a typed name.
    """
    if acting.person is None:
        if granted_by is None:
            raise InvalidInput(
                f"Give --granted-by NAME: the {role} who decided on the permission "
                "(you are recorded as who entered it)."
            )
        return granted_by
    person = acting.person
    if granted_by is not None:
        named = granted_by.strip()
        if not (same_person(named, person.login) or same_full_name(named, person.name)):
            raise Refused(
                f"--granted-by {quote(named)} is not you: with the people register the {role} "
                f"who grants a permission records it themselves, and you act as "
                f"{person.describe()}. Leave out --granted-by, or let them record it."
            )
    return person.name


# --------------------------------------------------------------------------- writing


def _check_combination(login: str, held: Sequence[str], role: str) -> None:
    """An overseer is independent of the service: overseer and another role never combine."""
    if role == OVERSEER and held:
        raise Refused(
            f"{quote(login)} {_roles_text(held)}; an overseer (CTIVD) is independent of the "
            "service and holds no other role. Register the overseer with a login of their own."
        )
    if role != OVERSEER and OVERSEER in held:
        raise Refused(
            f"{quote(login)} is an overseer (CTIVD), who is independent of the service and holds "
            f"no other role; {role} is not granted."
        )


def _as_you(acting: Acting, target: PersonAt) -> str:
    """' (X has your full name, so is you)' when `target` is the acting person under another
    login; '' when it is their own record."""
    if acting.person is None or acting.person.person.id == target.person.id:
        return ""
    return f" ({target.describe()} has your full name, so is you)"


_REGISTER_GRANTS: dict[str, str] = {
    "person grant": "grants them (GRANT wegings_ROLE TO login)",
    "person revoke": "revokes them (REVOKE wegings_ROLE FROM login)",
}
"""The commands that grant or revoke the register's roles, which a server has none of: there the
database owner does it."""


def _no_grants_on_server(acting: Acting, command: str = "person grant") -> None:
    """Refused on a server: the roles are database roles there, granted by the database owner."""
    if acting.on_server:
        raise Refused(_no_grants(command))


def _no_grants(command: str) -> str:
    return (
        f"On a server roles are database roles: the database owner {_REGISTER_GRANTS[command]}, "
        f"not `wegings {command}`."
    )


def _grant(
    session: Session, *, person: Person, role: str, reason: str, actor: str, now: datetime
) -> RoleGrant:
    grant = RoleGrant(
        person_id=person.id or -1, role=role, reason=reason, recorded_at=now, recorded_by=actor
    )
    record_change(session, actor=actor, action="role.grant", record=grant, now=now)
    return grant


def add_person(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    login: str,
    name: str,
    function: str,
    roles: Sequence[str] = (),
) -> PersonAt:
    """Register a person with their full name and function, and grant them `roles`.

    On an empty register the first person must be the one registering and must be a dg or
    minister (somebody has to manage the register); after that the gate of `person add` holds.
    """
    new_login = normalise_login(login)
    full_name = _person_text(name, field="Full name (--name)")
    role_list = [parse_role(r) for r in roles]
    duplicates = sorted({r for r in role_list if role_list.count(r) > 1})
    if duplicates:
        raise InvalidInput(f"Role {duplicates[0]} is given twice; give each role once.")
    function_text = _person_text(function, field="Function (--function)")
    if role_list:
        _no_grants_on_server(acting)
    for other in _registered(session):
        if _fold(other.login) != _fold(new_login) and same_person(other.login, new_login):
            raise Refused(
                f"Login {quote(new_login)} looks like the registered login {quote(other.login)} "
                "(same confusable skeleton): one could pass for the other. Choose another login."
            )
    existing = find_person(session, new_login)
    if existing is not None:
        raise Refused(
            f"{quote(existing.login)} is registered already. Correct a name or function with "
            f"`wegings person edit {existing.login}`; grant a role with `wegings person grant`."
        )
    _refuse_a_registered_name(session, full_name)
    first = acting.person is None
    if first:
        # On a server the login is the one it authenticated, exactly; a file compares folded.
        if (
            acting.login != new_login
            if acting.on_server
            else _fold(acting.login) != _fold(new_login)
        ):
            raise Refused(
                "The people register is empty, so the first person registered is the one who "
                f"registers: you act as {quote(acting.login)}, not {quote(new_login)}. Register "
                + (
                    f"yourself first, or let {quote(new_login)} connect to the server and "
                    "register themselves (--as cannot name another login there)."
                    if acting.on_server
                    else "yourself first (give --as to act under your own login)."
                )
            )
        holds = set(acting.roles) if acting.on_server else set(role_list)
        if not AUTHORITIES & holds:
            where = "hold the database role" if acting.on_server else "get --role"
            raise Refused(
                "The first person registered manages the people register, so must "
                f"{where} dg or minister; they register the others."
            )
    held: list[str] = []
    for role in role_list:
        _check_combination(new_login, held, role)
        held.append(role)
    # Recorded as who acts: on a server exactly the authenticated login; on a file the first
    # person as registered, not as typed after --as.
    actor = new_login if first and not acting.on_server else acting.login
    person = Person(
        login=new_login,
        name=full_name,
        function=function_text,
        recorded_at=now,
        recorded_by=actor,
    )
    record_change(session, actor=actor, action="person.add", record=person, now=now)
    for role in role_list:
        _grant(session, person=person, role=role, reason="", actor=actor, now=now)
    return person_at(session, person)


def correct_person(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    login: str,
    reason: str,
    name: str | None = None,
    function: str | None = None,
) -> tuple[PersonCorrection, PersonAt]:
    """Record a correction of a person's full name or function (a new record, with why)."""
    text = _reason(reason)
    given = {
        "name": _person_text(name, field="Full name (--name)") if name is not None else None,
        "function": _person_text(function, field="Function (--function)")
        if function is not None
        else None,
    }
    if all(value is None for value in given.values()):
        raise InvalidInput("Give --name or --function to correct; the login never changes.")
    person = get_person(session, login)
    current = person_at(session, person)
    if acting.person is not None and same_registered_person(acting.person, current):
        raise Refused(
            f"Nobody corrects their own name or function{_as_you(acting, current)}: another dg "
            f"or minister corrects {current.describe()}."
        )
    if given["name"] is not None:
        _refuse_a_registered_name(session, given["name"], but=person)
    for field, value in given.items():
        if value is not None and value == getattr(current, field):
            raise Refused(
                f"The {field} of {quote(person.login)} is {quote(value)} already; nothing to "
                "correct."
            )
    correction = PersonCorrection(
        person_id=person.id or -1,
        name=given["name"],
        function=given["function"],
        reason=text,
        recorded_at=now,
        recorded_by=acting.login,
    )
    record_change(session, actor=acting.login, action="person.correct", record=correction, now=now)
    return correction, person_at(session, person)


def grant_role(
    session: Session, *, acting: Acting, now: datetime, login: str, role: str, reason: str
) -> tuple[RoleGrant, PersonAt]:
    """Grant `role` to a registered person, with why; never to oneself."""
    _no_grants_on_server(acting)
    wanted = parse_role(role)
    text = _reason(reason)
    person = get_person(session, login)
    current = person_at(session, person)
    if acting.person is None or same_registered_person(acting.person, current):
        raise Refused(
            f"Nobody grants a role to themselves{_as_you(acting, current)}: another dg or "
            f"minister grants {quote(person.login)} the role {wanted}."
        )
    if wanted in current.roles:
        raise Refused(f"{current.describe()} holds the role {wanted} already.")
    _check_combination(person.login, current.roles, wanted)
    grant = _grant(session, person=person, role=wanted, reason=text, actor=acting.login, now=now)
    return grant, person_at(session, person)


def revoke_role(
    session: Session, *, acting: Acting, now: datetime, login: str, role: str, reason: str
) -> tuple[RoleRevocation, PersonAt]:
    """Revoke a role a person holds, from now on, with why (a new record pointing at the grant).

    Refused when it would leave nobody holding dg or minister: then nobody could manage the
    register any more.
    """
    _no_grants_on_server(acting, "person revoke")
    wanted = parse_role(role)
    text = _reason(reason)
    person = get_person(session, login)
    current = person_at(session, person)
    held = [h for h in current.grants if h.grant.role == wanted and h.held]
    if not held:
        raise Refused(
            f"{current.describe()} does not hold the role {wanted} ({_roles_text(current.roles)})."
        )
    if wanted in AUTHORITIES:
        remaining = [
            set(p.roles) - {wanted} if p.person.id == person.id else set(p.roles)
            for p in list_people(session)
        ]
        if not any(AUTHORITIES & roles for roles in remaining):
            raise Refused(
                f"{current.describe()} is the last dg or minister: without one nobody could "
                "manage the people register. Grant dg or minister to someone else first."
            )
    revocation = RoleRevocation(
        grant_id=held[-1].grant.id or -1, reason=text, recorded_at=now, recorded_by=acting.login
    )
    record_change(session, actor=acting.login, action="role.revoke", record=revocation, now=now)
    return revocation, person_at(session, person)


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Signatory:
    """Who wrote or decided, as a document prints them: full name and function then."""

    login: str
    name: str
    function: str


def signatory(session: Session, login: str, at: datetime) -> Signatory | None:
    """The registered person `login` with the name and function on record at `at`, or None."""
    if register_is_empty(session):
        return None
    try:
        person = find_person(session, login)
    except Refused:
        return None
    if person is None:
        return None
    shown = person_at(session, person, at if person.recorded_at <= at else None)
    return Signatory(person.login, shown.name, shown.function)


@dataclass(frozen=True)
class PeopleListing:
    """The register as on record at a moment, and on a server the database roles held now.

    `database_roles` is None on a SQLite file (the roles are the register's grants); on a
    server it gives, per login, the wegings roles that database user holds now, or None when
    there is no database login of that name.
    """

    rows: list[PersonAt]
    database_roles: dict[str, tuple[str, ...] | None] | None


def database_roles(session: Session, logins: Sequence[str]) -> dict[str, tuple[str, ...] | None]:
    """Per login, the wegings roles that database user holds on the server now (member of
    `wegings_<role>`, directly or not), or None when no database user of that name may log in.

    A superuser counts as a member of every role, as the server's `pg_has_role` says.
    """
    from sqlalchemy import bindparam, text

    from wegings.store.server import group_role

    if not logins:
        return {}
    query = text(
        "SELECT u.rolname, g.rolname FROM pg_roles u LEFT JOIN pg_roles g "
        "ON g.rolname IN :groups AND pg_has_role(u.oid, g.oid, 'MEMBER') "
        "WHERE u.rolname IN :logins AND u.rolcanlogin"
    ).bindparams(bindparam("groups", expanding=True), bindparam("logins", expanding=True))
    groups = {group_role(role): role for role in ROLES}
    held: dict[str, set[str]] = {}
    rows = session.execute(query, {"groups": list(groups), "logins": list(logins)})
    for login, group in rows:
        roles = held.setdefault(str(login), set())
        if group is not None:
            roles.add(groups[str(group)])
    return {login: ordered_roles(held[login]) if login in held else None for login in logins}


def people_listing(session: Session, *, at: datetime | None = None) -> PeopleListing:
    """`list_people` at `at`, with the database roles each login holds now on a server."""
    from wegings.store.server import is_server

    rows = list_people(session, at=at)
    on_server = is_server(session)
    roles = database_roles(session, [p.login for p in rows]) if on_server else None
    return PeopleListing(rows, roles)
