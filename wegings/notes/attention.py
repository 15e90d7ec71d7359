"""What makes a partner need attention (`wegings due`): pure rules over a note's states.

`notes.due` (through a session) and `notes.due_listing` (from a SQLite read snapshot, without
the ORM) decide with these same functions over the states and open flags they read, so both
list the same partners for the same reasons, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from wegings.domain import NoteStatus
from wegings.errors import InvalidInput
from wegings.timeutil import iso, local_day


class _Establishment(Protocol):
    @property
    def established_at(self) -> datetime: ...

    @property
    def review_due(self) -> datetime: ...


class _Version(Protocol):
    @property
    def version(self) -> int: ...


class NoteLike(Protocol):
    """A version of a note with its status (`notes.NoteState` or a snapshot's)."""

    @property
    def note(self) -> _Version: ...

    @property
    def status(self) -> NoteStatus: ...

    @property
    def establishment(self) -> _Establishment | None: ...


_S = TypeVar("_S", bound=NoteLike)


def latest_established(states: Sequence[_S]) -> _S | None:
    """The most recently established version, whatever became of it since."""
    established = [s for s in states if s.establishment is not None]
    if not established:
        return None
    return max(established, key=lambda s: s.establishment.established_at if s.establishment else 0)


def check_within(within_days: int) -> None:
    """Refuse a negative `--within`."""
    if within_days < 0:
        raise InvalidInput("--within must be 0 or more days.")


EXPIRING_RANK = 4  # as a review due soon: not yet a fault, but it needs a letter or a decision


@dataclass(frozen=True)
class Attention(Generic[_S]):
    """Why a partner needs attention: the most urgent reason's rank first."""

    rank: int  # lower is more urgent
    days: int | None  # days until review (negative: overdue)
    reasons: tuple[str, ...]
    note: _S | None  # the latest established version
    expiring: tuple[Mapping[str, Any], ...] = ()  # what ends soon (`expiring`), soonest first
    soonest: int | None = None  # days until the first thing due soon: a review or an end

    @property
    def sort_days(self) -> int | None:
        """The days `urgency` orders by: among things due soon, the soonest of them."""
        return self.soonest if self.rank == EXPIRING_RANK else self.days


def attention(
    states: Sequence[_S],
    open_flags: Iterable[tuple[str, date]],
    *,
    now: datetime,
    within_days: int,
    ending: Sequence[Mapping[str, Any]] = (),
) -> Attention[_S] | None:
    """Why the partner with these note `states` and `open_flags` (reason, observed on) needs
    attention at `now`: no note in force, a review past or within `within_days`, open flags,
    and what of its own `ending` within the window (`expiring`); None when nothing does (a
    pending draft alone is no reason)."""
    standing = latest_established(states)
    reasons: list[tuple[int, str]] = []
    days: int | None = None
    soon: list[int] = [int(record["days_left"]) for record in ending]
    if standing is not None and standing.establishment is not None:
        version = standing.note.version
        review = standing.establishment.review_due
        days = (local_day(review) - local_day(now)).days
        if standing.status is NoteStatus.withdrawn:
            reasons.append((2, f"note v{version} withdrawn: cooperation suspended"))
        elif review <= now:
            reasons.append((0, f"review of v{version} overdue by {-days} days"))
        elif review <= now + timedelta(days=within_days):
            reasons.append((EXPIRING_RANK, f"review of v{version} due in {days} days"))
            soon.append(days)
    else:
        reasons.append((3, "no established note"))
    drafts = [s for s in states if s.status is NoteStatus.draft]
    if drafts and (standing is None or drafts[-1].note.version > standing.note.version):
        reasons.append((5, f"draft v{drafts[-1].note.version} awaits establishment"))
    for reason, observed_on in open_flags:
        reasons.append((1, f"flagged {observed_on.isoformat()}: {reason}"))
    # Last among the reasons of their rank, soonest first, as `expiring` gives them.
    ordered = sorted(reasons) + [(EXPIRING_RANK, str(record["reason"])) for record in ending]
    ordered.sort(key=lambda reason: reason[0])
    if not ordered or min(rank for rank, _ in ordered) >= 5:
        return None
    return Attention(
        rank=ordered[0][0],
        days=days,
        reasons=tuple(text for _, text in ordered),
        note=standing,
        expiring=tuple(ending),
        soonest=min(soon) if soon else None,
    )


def urgency(rank: int, days: int | None, short: str) -> tuple[int, int, str]:
    """The order of `wegings due`: most urgent first, then the nearest review, then handle."""
    return rank, days if days is not None else 0, short


class _Due(Protocol):
    @property
    def days(self) -> int | None: ...

    @property
    def reasons(self) -> tuple[str, ...]: ...

    @property
    def note(self) -> NoteLike | None: ...

    @property
    def expiring(self) -> tuple[Mapping[str, Any], ...]: ...


def due_json(short: str, name: str, row: _Due) -> dict[str, Any]:
    """A row of `wegings due` as plain JSON: the partner, its standing note and why."""
    note = row.note
    return {
        "partner": short,
        "name": name,
        "version": note.note.version if note else None,
        "status": note.status.value if note else None,
        "review_due": iso(note.establishment.review_due) if note and note.establishment else None,
        "days_left": row.days,
        "reasons": list(row.reasons),
        "expiring": [dict(record) for record in row.expiring],
    }


# --------------------------------------------------------------------------- what runs out


def _ends_within(record: Mapping[str, Any], now: datetime, within_days: int) -> int | None:
    """Days until a valid record's end, when it ends after `now` and within the window."""
    until = record.get("valid_until")
    if record.get("status") != "valid" or not isinstance(until, str):
        return None
    ends = datetime.fromisoformat(until)
    days = (local_day(ends) - local_day(now)).days  # in The Hague's calendar, as the window
    return days if now < ends and days <= within_days else None


def _whose(consent: Mapping[str, Any]) -> str:
    """Whose consent: its originator's, or ours to a partner that holds our item."""
    if consent["originator"] == "self":
        return f"of ours for {consent['holder']}"
    return f"of {consent['originator']}"


def _in_days(days: int) -> str:
    return "today" if days == 0 else f"in {days} day{'' if days == 1 else 's'}"


def expiring(
    consents: Iterable[Mapping[str, Any]],
    permissions: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    within_days: int,
) -> dict[str, list[dict[str, Any]]]:
    """The consents and permissions (as `consents --json` and `permissions --json` give them)
    valid at `now` that end within `within_days`, by the partner (or group) they concern: a
    consent its originator, who must renew it (the holder for our own items held by a partner);
    a permission its recipient. Soonest first."""
    from wegings.sharing.explain import spoken_date

    found: dict[str, list[dict[str, Any]]] = {}
    for consent in consents:
        days = _ends_within(consent, now, within_days)
        if days is None:
            continue
        scope = (
            f"item {consent['item']}" if consent.get("item") else f"items tagged {consent['tag']}"
        )
        ends = datetime.fromisoformat(consent["valid_until"])
        concerns = consent["originator"] if consent["originator"] != "self" else consent["holder"]
        found.setdefault(concerns, []).append(
            {
                "kind": "consent",
                "id": consent["id"],
                "valid_until": consent["valid_until"],
                "days_left": days,
                "reason": f"consent #{consent['id']} {_whose(consent)} to pass {scope} "
                f"to {consent['recipient']} ends on {spoken_date(ends)} ({_in_days(days)})",
            }
        )
    for permission in permissions:
        days = _ends_within(permission, now, within_days)
        if days is None:
            continue
        ends = datetime.fromisoformat(permission["valid_until"])
        found.setdefault(permission["recipient"], []).append(
            {
                "kind": "permission",
                "id": permission["id"],
                "valid_until": permission["valid_until"],
                "days_left": days,
                "reason": f"permission #{permission['id']} of the {permission['role']} for item "
                f"{permission['item']} ends on {spoken_date(ends)} ({_in_days(days)})",
            }
        )
    for records in found.values():
        records.sort(key=lambda record: (record["days_left"], record["kind"], record["id"]))
    return found


def with_expiring(
    rows: Sequence[Mapping[str, Any]],
    ending: Mapping[str, Sequence[Mapping[str, Any]]],
    names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The rows of `wegings due` (`due_json`, most urgent first), then a row for each group
    (or other recipient that is no partner) with what of `ending` concerns it, soonest first;
    a partner's own is in its row already (`attention`)."""
    merged = [dict(row) for row in rows]
    listed = {row["partner"] for row in rows}
    extra = sorted(
        (handle for handle in ending if handle not in listed and ending[handle]),
        key=lambda handle: (ending[handle][0]["days_left"], handle),
    )
    for handle in extra:
        records = [dict(record) for record in ending[handle]]
        merged.append(
            {
                "partner": handle,
                "name": names.get(handle),
                "version": None,
                "status": None,
                "review_due": None,
                "days_left": None,
                "reasons": [record["reason"] for record in records],
                "expiring": records,
            }
        )
    return merged
