"""The audit log as people read it: which events concern a partner, and a summary of each.

Pure: it works on the events' recorded snapshots (the `change` of each event), oldest first, so
that a record is known by the time a later one refers to it. A record concerns a partner when it
names the partner (its id in `partner_id`, its handle as originator, holder, recipient or where an
item came from) or refers to a record that does (a revocation to a consent to it, a tag or a
correction to its item, a retraction to its flag, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Where a record refers to another, and to which kind.
_REFERENCES: dict[str, str] = {
    "partner_id": "partner",
    "group_id": "group",
    "item_id": "item",
    "consent_id": "consent",
    "permission_id": "permission",
    "note_id": "note",
    "flag_id": "flag",
    "person_id": "person",
}
# Fields that hold a partner's handle.
_HANDLES = ("originator", "received_from", "holder", "recipient")


@dataclass(frozen=True)
class LoggedEvent:
    """One audit event as the log shows it."""

    seq: int
    at: datetime
    actor: str
    os_login: str | None
    action: str
    entity: str
    entity_id: str
    change: Mapping[str, Any]
    prev_hash: str
    hash: str


def parse_change(text: str) -> Mapping[str, Any]:
    """An event's recorded snapshot; an unreadable one as empty (`audit verify` names it)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


class Names:
    """What the records of the trail are called, learnt from their events in order; one not
    learnt (its event is older than those read) is asked of `lookup`, once."""

    def __init__(self, lookup: Callable[[str, str], str | None] | None = None) -> None:
        self._by_record: dict[tuple[str, str], str] = {}
        self._lookup = lookup

    def learn(self, event: LoggedEvent) -> None:
        """Remember what `event`'s record is called, for the summaries of later events."""
        change = event.change
        name = None
        if event.entity == "partner":
            name = change.get("short")
        elif event.entity == "group":
            name = change.get("key")
        elif event.entity == "person":
            name = change.get("login")
        elif event.entity == "item":
            originator, ref = change.get("originator"), change.get("ref")
            if originator is not None and ref is not None:
                name = f"{originator}/{ref}"
        elif event.entity == "note":
            partner = self.of("partner", change.get("partner_id"))
            name = f"v{change.get('version')} of {partner}"
        elif event.entity == "consent":
            name = f"consent #{event.entity_id}"
        elif event.entity == "permission":
            name = f"permission #{event.entity_id}"
        elif event.entity == "flag":
            name = f"flag #{event.entity_id} of {self.of('partner', change.get('partner_id'))}"
        if isinstance(name, str):
            self._by_record[(event.entity, event.entity_id)] = name

    def of(self, entity: str, record_id: object) -> str:
        """The name of record `record_id` of kind `entity`; '#ID' when it is not known."""
        key = (entity, str(record_id))
        found = self._by_record.get(key)
        if found is None:
            looked_up = self._lookup(*key) if self._lookup is not None else None
            found = self._by_record[key] = looked_up or f"#{record_id}"
        return found


def _item_scope(change: Mapping[str, Any], names: Names) -> str:
    if change.get("item_id") is not None:
        return f"item {names.of('item', change.get('item_id'))}"
    return f"items of {change.get('originator')} tagged {change.get('tag')}"


def summary(event: LoggedEvent, names: Names) -> str:
    """A few words on what `event` recorded, naming the records it concerns."""
    change, of = event.change, names.of
    partner = of("partner", change.get("partner_id"))
    match event.entity:
        case "partner":
            return f"{change.get('short')} ({change.get('name')})"
        case "group":
            return f"{change.get('key')} ({change.get('name')})"
        case "membership":
            return f"{partner} in {of('group', change.get('group_id'))}"
        case "membership_change":
            verb = "joins" if change.get("change") == "join" else "leaves"
            return f"{partner} {verb} {of('group', change.get('group_id'))}"
        case "partner_correction":
            fields = [key for key in ("name", "country", "kind", "notes") if change.get(key)]
            return f"{partner}: {', '.join(fields) or 'correction'}"
        case "note":
            return f"v{change.get('version')} of {partner} ({change.get('profile')})"
        case "establishment":
            return f"{of('note', change.get('note_id'))} by {change.get('established_by')}"
        case "withdrawal":
            return f"{of('note', change.get('note_id'))}: {change.get('reason')}"
        case "flag":
            return f"{partner}: {change.get('reason')}"
        case "flag_retraction":
            return f"{of('flag', change.get('flag_id'))}: {change.get('reason')}"
        case "item":
            source = change.get("received_from")
            return f"{change.get('originator')}/{change.get('ref')}" + (
                f" received from {source}" if source else ""
            )
        case "item_tag":
            return f"{of('item', change.get('item_id'))} tagged {change.get('tag')}"
        case "item_correction":
            return f"{of('item', change.get('item_id'))}: {change.get('reason')}"
        case "consent":
            return (
                f"{change.get('originator')} lets {change.get('holder')} pass "
                f"{_item_scope(change, names)} to {change.get('recipient')}"
            )
        case "revocation":
            return f"{of('consent', change.get('consent_id'))}: {change.get('reason')}"
        case "permission":
            return (
                f"{change.get('role')} for {of('item', change.get('item_id'))} to "
                f"{change.get('recipient')}"
            )
        case "permission_revocation":
            return f"{of('permission', change.get('permission_id'))}: {change.get('reason')}"
        case "permission_grant":
            return f"{of('permission', change.get('permission_id'))} by {change.get('granted_by')}"
        case "transfer":
            return (
                f"{of('item', change.get('item_id'))} from {change.get('holder')} to "
                f"{change.get('recipient')}"
            )
        case "person":
            return f"{change.get('login')} ({change.get('name')}, {change.get('function')})"
        case "person_correction":
            return f"{of('person', change.get('person_id'))}: {change.get('reason')}"
        case "role_grant":
            return f"{change.get('role')} for {of('person', change.get('person_id'))}"
        case "role_revocation":
            return f"role of {of('person', change.get('person_id'))}: {change.get('reason')}"
    return ""


@dataclass(frozen=True)
class LogFilter:
    """What `audit log` asks for; None: any."""

    partner: tuple[int, str] | None = None  # the partner's id and handle
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # inclusive


def _names_partner(change: Mapping[str, Any], partner_id: int, short: str) -> bool:
    if change.get("partner_id") == partner_id:
        return True
    return any(change.get(field) == short for field in _HANDLES)


def select_events(
    events: Iterable[LoggedEvent], wanted: LogFilter, names: Names | None = None
) -> list[tuple[LoggedEvent, str]]:
    """The events `wanted` asks for, oldest first, each with its summary."""
    names = Names() if names is None else names
    concerned: set[tuple[str, str]] = set()
    chosen = []
    for event in events:
        names.learn(event)
        if wanted.partner is not None:
            partner_id, short = wanted.partner
            about = (event.entity == "partner" and event.entity_id == str(partner_id)) or (
                _names_partner(event.change, partner_id, short)
                or any(
                    (entity, str(event.change.get(key))) in concerned
                    for key, entity in _REFERENCES.items()
                    if event.change.get(key) is not None
                )
            )
            if not about:
                continue
            concerned.add((event.entity, event.entity_id))
        if wanted.actor is not None and event.actor.casefold() != wanted.actor.casefold():
            continue
        if wanted.since is not None and event.at < wanted.since:
            continue
        if wanted.until is not None and event.at > wanted.until:
            continue
        chosen.append((event, summary(event, names)))
    return chosen
