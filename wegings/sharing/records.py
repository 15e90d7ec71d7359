"""Records as a can-share check reads them: each value strictly typed, each row held to its event.

Every audited row has exactly one audit event whose `change` is the row's canonical snapshot
(`wegings.store.audit.snapshot`). A check relies on a row only when it reads back exactly as that
snapshot: the snapshot is rebuilt here from the raw column values (tests/test_sharing_records.py
proves it equal to `audit.snapshot` for every audited table), so no ORM object is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from wegings.errors import StoreError
from wegings.store.chain import json_text
from wegings.store.stored import (
    Unreadable,
    read_bool,
    read_date,
    read_datetime,
    read_int,
    read_text,
    shown,
    snapshot_value,
)

VERIFY_HINT = "run `wegings audit verify`"

# Entities whose rows a decision can rely on; transfers are records of decisions, not inputs.
RELIED_ON = (
    "partner",
    "group",
    "membership",
    "note",
    "establishment",
    "withdrawal",
    "flag",
    "item",
    "item_tag",
    "consent",
    "revocation",
    "permission",
    "partner_correction",
    "membership_change",
    "item_correction",
    "permission_revocation",
    "permission_grant",
    "flag_retraction",
)


class UnreadableRecord(StoreError):
    """A stored value of the wrong type or form, or a row that differs from its audit event."""


def unreadable(label: str, column: str, value: Any) -> UnreadableRecord:
    """The one-line error for a value that cannot be read as what the column holds."""
    return UnreadableRecord(
        f"{label} holds an unreadable value in {column} ({shown(value)}) — the record was "
        f"changed outside wegings; {VERIFY_HINT}."
    )


def unaudited(label: str) -> UnreadableRecord:
    """The error for a row without an audit event."""
    return UnreadableRecord(
        f"{label} has no audit event — it was written outside wegings; {VERIFY_HINT}."
    )


def altered(label: str) -> UnreadableRecord:
    """The error for a row that no longer equals its audit event."""
    return UnreadableRecord(
        f"{label} no longer matches its audit event — it was changed outside wegings; "
        f"{VERIFY_HINT}."
    )


def vanished(label: str) -> UnreadableRecord:
    """The error for an audit event whose row is gone."""
    return UnreadableRecord(
        f"{label} of its audit event no longer exists — it was deleted outside wegings; "
        f"{VERIFY_HINT}."
    )


_READERS: dict[str, Callable[[Any], Any]] = {
    "int": read_int,
    "text": read_text,
    "bool": read_bool,
    "datetime": read_datetime,
    "date": read_date,
}


@dataclass(frozen=True, slots=True)
class RecordKind:
    """One audited table: its entity name, SQL name and columns in model order."""

    entity: str
    table: str
    columns: tuple[str, ...]
    readers: tuple[Callable[[Any], Any], ...]
    nullable: tuple[bool, ...]
    # The columns in sorted order (as the canonical JSON has them), each with what turns its
    # typed value into the snapshot's (None: kept as it is), so no sort and no type test runs
    # per record.
    snapshot_order: tuple[tuple[str, int, Callable[[Any], Any] | None], ...] = ()
    # What each column holds ("int", "text", "bool", "datetime", "date"), and the snapshot's
    # canonical text with a %s for each value, in `snapshot_order`: `read_held` fills it in.
    stored: tuple[str, ...] = ()
    template: str = ""
    # `read_held` for this table: a function written for its columns (`_held_reader`).
    held: Callable[[Sequence[Any]], tuple[tuple[Any, ...], str] | None] | None = None

    def select(self, alias: str) -> str:
        """The table's columns for a SELECT list, prefixed by `alias`."""
        return ", ".join(f"{alias}.{name}" for name in self.columns)

    @property
    def width(self) -> int:
        """How many columns a row of this table has."""
        return len(self.columns)

    def read(self, values: Sequence[Any], label: Callable[[], str]) -> tuple[Any, ...]:
        """The row's values, each of exactly its stored type; `label()` names the record."""
        typed: list[Any] = []
        for name, reader, nullable, value in zip(
            self.columns, self.readers, self.nullable, values, strict=True
        ):
            if value is None:
                if not nullable:
                    raise unreadable(label(), name, value)
                typed.append(None)
                continue
            try:
                typed.append(reader(value))
            except Unreadable:
                raise unreadable(label(), name, value) from None
        return tuple(typed)

    def read_held(self, values: Sequence[Any]) -> tuple[tuple[Any, ...], str] | None:
        """`read(values)` and `snapshot_text` of it in one pass, for a row whose every value is
        of its usual stored form; None for any other row (`read` then names the fault).

        A check reads and holds to its event every record it relies on, so this is the loader's
        hot path: each value's snapshot text is written from the stored value itself (a
        datetime's ISO text from SQLite's, a string by the canonical encoder's own function),
        by a function written for this table (`_held_reader`).
        """
        if self.held is None:
            return None
        return self.held(values)

    def snapshot_text(self, typed: Sequence[Any]) -> str:
        """The canonical JSON `audit.snapshot` gives for this row (from its typed values)."""
        from wegings.store.chain import canonical

        if not self.snapshot_order:
            return canonical(
                {name: snapshot_value(v) for name, v in zip(self.columns, typed, strict=True)}
            )
        snapshot: dict[str, Any] = {}
        for name, index, convert in self.snapshot_order:
            value = typed[index]
            snapshot[name] = value if convert is None or value is None else convert(value)
        return canonical(snapshot)


def _iso_text(value: datetime) -> str:
    # As stored.snapshot_value: read values are aware UTC already (read_datetime).
    return value.isoformat().replace("+00:00", "Z")


def _date_text(value: date) -> str:
    return value.isoformat()


# SQLite's forms of a stored datetime and date (`wegings.store.stored` reads them the same way);
# any other form (a server's datetime objects) takes `RecordKind.read`.
_STORED_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\Z")
_STORED_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _template(names: Sequence[str]) -> str:
    """The canonical JSON of an object with these keys (sorted) and a %s for each value."""
    if any("%" in name for name in names):
        raise RuntimeError(f"a column name with a % sign: {names}")  # names are code, not data
    return "{" + ",".join(f"{json_text(name)}:%s" for name in names) + "}"


# What `_held_reader` writes for one column value (`@v`) of each stored kind: the checks of its
# usual stored form (any other form returns None: `read` then names the fault), its typed value
# (`@t`) and its snapshot text (`@s`).
_HELD_CODE: dict[str, tuple[str, ...]] = {
    "text": ("if type(@v) is not str:", "    return None", "@t = @v", "@s = json_text(@v)"),
    "int": ("if type(@v) is not int:", "    return None", "@t = @v", "@s = str(@v)"),
    "bool": (
        "if @v is True or (type(@v) is int and @v == 1):",
        "    @t = True",
        "    @s = 'true'",
        "elif @v is False or (type(@v) is int and @v == 0):",
        "    @t = False",
        "    @s = 'false'",
        "else:",
        "    return None",
    ),
    "datetime": (
        "if type(@v) is not str or stored_datetime(@v) is None:",
        "    return None",
        "try:",
        "    @t = fromisoformat(@v).replace(tzinfo=UTC)",
        "except ValueError:",
        "    return None",
        # As isoformat() writes it: without the fraction when it is zero.
        "if @v.endswith('.000000'):",
        "    @s = f'\"{@v[:10]}T{@v[11:19]}Z\"'",
        "else:",
        "    @s = f'\"{@v[:10]}T{@v[11:]}Z\"'",
    ),
    "date": (
        "if type(@v) is not str or stored_date(@v) is None:",
        "    return None",
        "try:",
        "    @t = date_fromisoformat(@v)",
        "except ValueError:",
        "    return None",
        "@s = f'\"{@v}\"'",
    ),
}


def _held_reader(
    stored: Sequence[str], nullable: Sequence[bool], template: str, order: Sequence[int]
) -> Callable[[Sequence[Any]], tuple[tuple[Any, ...], str] | None]:
    """`RecordKind.read_held` written out for one table: no loop, no dispatch on the kind.

    The source is built from the column kinds alone (code, never data): each value is checked
    and written by straight-line code, with the same result as a loop over the columns.
    """
    width = len(stored)
    lines = ["def held(values):", f"    if len(values) != {width}:", "        return None"]
    lines.append(f"    {''.join(f'v{i}, ' for i in range(width))}= values")
    for index, (kind, may_be_null) in enumerate(zip(stored, nullable, strict=True)):
        code = [
            line.replace("@v", f"v{index}").replace("@t", f"t{index}").replace("@s", f"s{index}")
            for line in _HELD_CODE[kind]
        ]
        if may_be_null:
            lines += [f"    if v{index} is None:", f"        t{index} = None"]
            lines += [f"        s{index} = 'null'", "    else:"]
            lines += [f"        {line}" for line in code]
        else:
            lines += [f"    {line}" for line in code]
    typed = "".join(f"t{i}, " for i in range(width))
    texts = "".join(f"s{i}, " for i in order)
    lines.append(f"    return ({typed}), template % ({texts})")
    scope: dict[str, Any] = {
        "json_text": json_text,
        "stored_datetime": _STORED_DATETIME.match,
        "stored_date": _STORED_DATE.match,
        "fromisoformat": datetime.fromisoformat,
        "date_fromisoformat": date.fromisoformat,
        "UTC": UTC,
        "template": template,
    }
    exec("\n".join(lines), scope)  # noqa: S102 (the source is built from column kinds only)
    function: Callable[[Sequence[Any]], tuple[tuple[Any, ...], str] | None] = scope["held"]
    return function


_SNAPSHOT_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "datetime": _iso_text,
    "date": _date_text,
}


# Every audited table by the entity name its events carry (`wegings.store.audit.AUDITED`, in its
# order): the SQL table and its columns in model order, each `name:kind` with a trailing `?`
# when it may be null. Written out, so that a check reads the store without the ORM;
# tests/test_read_snapshot.py holds it equal to what the models say.
AUDITED_TABLES: dict[str, tuple[str, str]] = {
    "partner": (
        "partner",
        "id:int short:text name:text country:text kind:text notes:text created_at:datetime "
        "created_by:text",
    ),
    "group": ("partner_group", "id:int key:text name:text created_at:datetime created_by:text"),
    "membership": (
        "group_membership",
        "id:int group_id:int partner_id:int added_at:datetime added_by:text",
    ),
    "note": (
        "note_version",
        "id:int partner_id:int version:int created_at:datetime author:text profile:text "
        "forms:text answers:text based_on:int?",
    ),
    "establishment": (
        "note_establishment",
        "id:int note_id:int partner_id:int role:text established_by:text "
        "established_at:datetime review_due:datetime decision:text",
    ),
    "withdrawal": (
        "note_withdrawal",
        "id:int note_id:int partner_id:int withdrawn_by:text withdrawn_at:datetime reason:text",
    ),
    "flag": (
        "partner_flag",
        "id:int partner_id:int reason:text observed_on:date recorded_at:datetime recorded_by:text",
    ),
    "item": (
        "item",
        "id:int ref:text originator:text received_from:text? received_on:date "
        "personal_data:bool unevaluated:bool classification:text subject:text "
        "recorded_at:datetime recorded_by:text",
    ),
    "item_tag": ("item_tag", "id:int item_id:int tag:text"),
    "consent": (
        "consent",
        "id:int originator:text holder:text recipient:text item_id:int? tag:text? purpose:text? "
        "valid_from:datetime valid_until:datetime? conditions:text reference:text "
        "recorded_at:datetime recorded_by:text",
    ),
    "revocation": (
        "consent_revocation",
        "id:int consent_id:int revoked_at:datetime revoked_by:text reason:text",
    ),
    "permission": (
        "permission",
        "id:int item_id:int recipient:text role:text valid_from:datetime valid_until:datetime "
        "reason:text ctivd_notified:bool recorded_at:datetime recorded_by:text",
    ),
    "transfer": (
        "transfer",
        "id:int item_id:int holder:text recipient:text purpose:text? transferred_at:datetime "
        "recorded_by:text decision:text conditions:text reliability:text? age:text?",
    ),
    "partner_correction": (
        "partner_correction",
        "id:int partner_id:int name:text? country:text? kind:text? notes:text? reason:text "
        "recorded_at:datetime recorded_by:text",
    ),
    "membership_change": (
        "membership_change",
        "id:int group_id:int partner_id:int change:text valid_from:datetime reference:text "
        "reason:text recorded_at:datetime recorded_by:text",
    ),
    "item_correction": (
        "item_correction",
        "id:int item_id:int personal_data:bool? unevaluated:bool? classification:text? "
        "subject:text? add_tags:text remove_tags:text reason:text recorded_at:datetime "
        "recorded_by:text",
    ),
    "permission_revocation": (
        "permission_revocation",
        "id:int permission_id:int reason:text recorded_at:datetime recorded_by:text",
    ),
    "permission_grant": ("permission_grant", "id:int permission_id:int granted_by:text"),
    "flag_retraction": (
        "flag_retraction",
        "id:int flag_id:int reason:text recorded_at:datetime recorded_by:text",
    ),
    "person": (
        "person",
        "id:int login:text name:text function:text recorded_at:datetime recorded_by:text",
    ),
    "person_correction": (
        "person_correction",
        "id:int person_id:int name:text? function:text? reason:text recorded_at:datetime "
        "recorded_by:text",
    ),
    "role_grant": (
        "role_grant",
        "id:int person_id:int role:text reason:text recorded_at:datetime recorded_by:text",
    ),
    "role_revocation": (
        "role_revocation",
        "id:int grant_id:int reason:text recorded_at:datetime recorded_by:text",
    ),
}


@cache
def record_kinds() -> dict[str, RecordKind]:
    """Every audited table by entity name, built once from `AUDITED_TABLES`."""
    kinds = {}
    for entity, (table, spec) in AUDITED_TABLES.items():
        fields: list[str] = []
        stored: list[str] = []
        nullable: list[bool] = []
        for column in spec.split():
            name, _, kind = column.partition(":")
            fields.append(name)
            stored.append(kind.removesuffix("?"))
            nullable.append(kind.endswith("?"))
        order = sorted(enumerate(fields), key=lambda pair: pair[1])
        template = _template([name for _, name in order])
        record = RecordKind(
            entity=entity,
            table=table,
            columns=tuple(fields),
            readers=tuple(_READERS[k] for k in stored),
            nullable=tuple(nullable),
            snapshot_order=tuple(
                (name, index, _SNAPSHOT_CONVERTERS.get(stored[index])) for index, name in order
            ),
            stored=tuple(stored),
            template=template,
        )
        held = _written_when_first_used(record, [index for index, _ in order])
        object.__setattr__(record, "held", held)
        kinds[entity] = record
    return kinds


def _written_when_first_used(
    kind: RecordKind, order: Sequence[int]
) -> Callable[[Sequence[Any]], tuple[tuple[Any, ...], str] | None]:
    """`kind.held` until its first call, which writes the table's `_held_reader` and puts it in
    its place: a check reads only some of the tables, and writing all of them up front costs
    a good part of a single check's start."""

    def first(values: Sequence[Any]) -> tuple[tuple[Any, ...], str] | None:
        held = _held_reader(kind.stored, kind.nullable, kind.template, order)
        object.__setattr__(kind, "held", held)
        return held(values)

    return first


def known_kinds() -> tuple[str, ...]:
    """Every kind of event the trail may hold: each audited table's (transfer's among them)."""
    return tuple(AUDITED_TABLES)


def count_sql(entities: Sequence[str], events_only: Sequence[str] = ()) -> str:
    """One row: per entity of `entities` the number of rows of its table and of its audit
    events; then per entity of `events_only` the number of its events; then the first seq."""
    kinds = record_kinds()
    parts = []
    for entity in entities:
        table = kinds[entity].table
        parts.append(f"(SELECT count(*) FROM {table})")  # noqa: S608
        parts.append(f"(SELECT count(*) FROM audit_event WHERE entity = '{entity}')")  # noqa: S608
    for entity in events_only:
        if not entity.isidentifier():
            raise RuntimeError(f"not an entity name: {entity!r}")  # names are code, not input
        parts.append(f"(SELECT count(*) FROM audit_event WHERE entity = '{entity}')")  # noqa: S608
    parts.append("(SELECT min(seq) FROM audit_event)")
    return "SELECT " + ", ".join(parts)


def count_problem(entities: Sequence[str], counts: Sequence[Any]) -> str | None:
    """The first table whose number of rows differs from its number of audit events."""
    kinds = record_kinds()
    for index, entity in enumerate(entities):
        rows, events = counts[2 * index], counts[2 * index + 1]
        if rows != events:
            what = "deleted" if rows < events else "added"
            return (
                f"{kinds[entity].table}: {rows} record{'' if rows == 1 else 's'} but {events} "
                f"audit event{'' if events == 1 else 's'} — a record was {what} outside "
                f"wegings; {VERIFY_HINT}."
            )
    return None
