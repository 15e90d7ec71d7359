"""The people register as `wegings people` lists it: the roles, a person as on record at a
moment, and the JSON; pure, without the ORM.

`register.people` (through a session) and `register.snapshot_lists` (from a SQLite read
snapshot) read the records; both decide with these functions which corrections and grants were
on record and which roles were held, so the two listings cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from wegings.timeutil import iso

DESK = "desk"
ASSESSOR = "assessor"
DG = "dg"
MINISTER = "minister"
OVERSEER = "overseer"

ROLES: tuple[str, ...] = (DESK, ASSESSOR, DG, MINISTER, OVERSEER)
"""Every role, in the order lists show them."""


def ordered_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """`roles` once each, in the order of `ROLES`."""
    held = set(roles)
    return tuple(role for role in ROLES if role in held)


def on_record(record_at: datetime, at: datetime | None) -> bool:
    """Whether a record made at `record_at` was on record at `at` (None: now, so always)."""
    return at is None or record_at <= at


class _Recorded(Protocol):
    @property
    def recorded_at(self) -> datetime: ...

    @property
    def recorded_by(self) -> str: ...


class _Correction(_Recorded, Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def name(self) -> str | None: ...

    @property
    def function(self) -> str | None: ...

    @property
    def reason(self) -> str: ...


class _Grant(_Recorded, Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def role(self) -> str: ...

    @property
    def reason(self) -> str: ...


class _Revocation(_Recorded, Protocol):
    @property
    def grant_id(self) -> int: ...

    @property
    def reason(self) -> str: ...


_G = TypeVar("_G", bound=_Grant)
_R = TypeVar("_R", bound=_Revocation)


def corrected(name: str, function: str, corrections: Iterable[_Correction]) -> tuple[str, str]:
    """The full name and function after `corrections`, in the order given."""
    for correction in corrections:
        name = correction.name if correction.name is not None else name
        function = correction.function if correction.function is not None else function
    return name, function


def grants_held(
    grants: Sequence[_G], revocations: Iterable[_R], at: datetime | None
) -> tuple[list[tuple[_G, _R | None]], tuple[str, ...]]:
    """Each grant on record at `at` with its revocation on record then (or None), and the roles
    those leave held, in the order of `ROLES`."""
    revoked = {r.grant_id: r for r in revocations if on_record(r.recorded_at, at)}
    held = [(g, revoked.get(g.id or -1)) for g in grants if on_record(g.recorded_at, at)]
    return held, ordered_roles(g.role for g, revocation in held if revocation is None)


class _Registration(_Recorded, Protocol):
    @property
    def login(self) -> str: ...


class _Held(Protocol):
    @property
    def grant(self) -> _Grant: ...

    @property
    def revocation(self) -> _Revocation | None: ...


class ListedPerson(Protocol):
    """A row of `wegings people` (`people.PersonAt` or a snapshot's)."""

    @property
    def person(self) -> _Registration: ...

    @property
    def login(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def function(self) -> str: ...

    @property
    def roles(self) -> tuple[str, ...]: ...

    @property
    def grants(self) -> Sequence[_Held]: ...

    @property
    def corrections(self) -> Sequence[_Correction]: ...


def people_json(
    rows: Sequence[ListedPerson],
    held_on_server: dict[str, tuple[str, ...] | None] | None = None,
) -> list[dict[str, object]]:
    """The register as plain JSON with stable keys, for `wegings people --json`.

    On a server (`held_on_server` given, as `people.database_roles` answers it) each person
    also has `database_roles`: the wegings roles their login holds on the server now, or null
    when there is no such database login.
    """
    listed: list[dict[str, object]] = [
        {
            "login": p.login,
            "name": p.name,
            "function": p.function,
            "roles": list(p.roles),
            "registered_at": iso(p.person.recorded_at),
            "registered_by": p.person.recorded_by,
            "grants": [
                {
                    "id": h.grant.id,
                    "role": h.grant.role,
                    "granted_at": iso(h.grant.recorded_at),
                    "granted_by": h.grant.recorded_by,
                    "reason": h.grant.reason,
                    "revoked_at": iso(h.revocation.recorded_at) if h.revocation else None,
                    "revoked_by": h.revocation.recorded_by if h.revocation else None,
                    "revocation_reason": h.revocation.reason if h.revocation else None,
                }
                for h in p.grants
            ],
            "corrections": [
                {
                    "id": c.id,
                    "name": c.name,
                    "function": c.function,
                    "reason": c.reason,
                    "recorded_at": iso(c.recorded_at),
                    "recorded_by": c.recorded_by,
                }
                for c in p.corrections
            ],
        }
        for p in rows
    ]
    if held_on_server is not None:
        for entry, person in zip(listed, rows, strict=True):
            held = held_on_server.get(person.login)
            entry["database_roles"] = list(held) if held is not None else None
    return listed
