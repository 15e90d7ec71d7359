"""Onboarding an existing register from a spreadsheet: partners, items or consents, all or nothing.

Every row is recorded by the very function its single command uses (`new-partner`, `new-item`,
`consent`), so it is checked by the same rules and audited the same way, each in a savepoint of
the one write transaction: a bad row is rolled back and the next rows are still checked, so
that every problem is reported with its row. Only when no row has one is anything kept.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wegings.errors import InvalidInput, WegingsError
from wegings.sheets import Sheet, SheetRow
from wegings.text import quote

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class Kind:
    """What an import records: its columns (named like the options), which must be filled,
    the single command whose rules and role it follows, and the singular of each list column."""

    name: str  # partners, items, consents
    noun: str  # partner, item, consent
    command: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    aliases: dict[str, str]  # a column's other spelling (the option's singular) -> the column
    ignored: tuple[str, ...] = ()  # columns of the list's --csv that say nothing to record


PARTNERS = Kind(
    "partners",
    "partner",
    "new-partner",
    ("name", "short", "country", "kind", "groups", "notes"),
    ("name", "short", "country", "kind"),
    {"group": "groups"},
    # `wegings partners --csv` of another register imports as it is.
    ("country_name", "country_label", "created_at", "created_by"),
)
ITEMS = Kind(
    "items",
    "item",
    "new-item",
    (
        "ref",
        "originator",
        "received_from",
        "date",
        "personal_data",
        "unevaluated",
        "classification",
        "subject",
        "tags",
    ),
    ("ref", "originator"),
    {"tag": "tags", "received_on": "date"},
    # `wegings items --csv` of another register imports as it is (its current values).
    ("handle", "recorded_at", "recorded_by", "corrections"),
)
CONSENTS = Kind(
    "consents",
    "consent",
    "consent",
    (
        "item",
        "to",
        "holder",
        "tag",
        "originator",
        "purpose",
        "from",
        "until",
        "conditions",
        "reference",
    ),
    ("to",),
    {"condition": "conditions"},
)
KINDS = {kind.name: kind for kind in (PARTNERS, ITEMS, CONSENTS)}


def known_columns(kind: Kind) -> tuple[str, ...]:
    """Every column name a header may use for `kind`: its columns and their other spellings."""
    return (*kind.columns, *kind.aliases, *kind.ignored)


_YES = frozenset({"ja", "j", "yes", "y", "true", "waar", "1", "x"})
_NO = frozenset({"", "nee", "n", "no", "false", "onwaar", "0"})


def yes_or_no(text: str, column: str) -> bool:
    """A yes/no cell: ja/nee, yes/no, true/false, 1/0 or x (any case); empty is no."""
    value = text.strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise InvalidInput(f"{column} must be ja or nee (or true or false), not {quote(text)}.")


def names_list(text: str) -> list[str]:
    """The names in a cell of groups or tags, separated by commas, semicolons or '|' (as
    `--csv` writes a list)."""
    return [
        name.strip() for name in text.replace(";", ",").replace("|", ",").split(",") if name.strip()
    ]


def texts_list(text: str) -> list[str]:
    """The texts in a cell of conditions: one a line, or separated by '|' (a condition may
    hold a comma)."""
    return [part.strip() for part in text.replace("|", "\n").splitlines() if part.strip()]


@dataclass(frozen=True)
class Imported:
    """A row recorded: its number in the spreadsheet and what it is addressed by."""

    row: int
    key: str  # a partner's handle, an item's handle, a consent's id


@dataclass(frozen=True)
class ImportReport:
    """What an import recorded (or would, with --dry-run) and the problems it met, by row."""

    kind: Kind
    source: str
    imported: tuple[Imported, ...]
    problems: tuple[tuple[int, str], ...]
    late: tuple[Imported, ...] = ()  # consents whose window began before they were recorded


def _values(kind: Kind, row: SheetRow) -> dict[str, str]:
    """The row's cells under their column names (a singular spelling taken as its column)."""
    values = {
        kind.aliases.get(column, column): text
        for column, text in row.values.items()
        if column not in kind.ignored
    }
    for column in kind.columns:
        values.setdefault(column, "")
    return values


def _partner(
    session: Session, actor: str, now: datetime, values: dict[str, str]
) -> tuple[str, bool]:
    from wegings.register.partners import create_partner

    partner = create_partner(
        session,
        actor=actor,
        now=now,
        name=values["name"],
        short=values["short"],
        country=values["country"],
        kind=values["kind"],
        groups=names_list(values["groups"]),
        notes=values["notes"],
    )
    return partner.short, False


def _item(session: Session, actor: str, now: datetime, values: dict[str, str]) -> tuple[str, bool]:
    from wegings.sharing.items import create_item
    from wegings.timeutil import parse_day

    day = values["date"]
    row = create_item(
        session,
        actor=actor,
        now=now,
        ref=values["ref"],
        originator=values["originator"],
        received_from=values["received_from"] or None,
        received_on=parse_day(day, field="date") if day else None,
        personal_data=yes_or_no(values["personal_data"], "personal_data"),
        unevaluated=yes_or_no(values["unevaluated"], "unevaluated"),
        classification=values["classification"],
        subject=values["subject"],
        tags=names_list(values["tags"]),
    )
    return row.handle, False


def _file_key(kind: Kind, values: dict[str, str]) -> str | None:
    """What a row registers under, as far as the file tells (a partner's handle, an item's
    ORIGINATOR/REF), to find a second row for the same record; None for consents."""
    if kind is PARTNERS:
        return values["short"].strip().lower()
    if kind is ITEMS:
        ref = unicodedata.normalize("NFKC", values["ref"].strip())
        return f"{values['originator'].strip().lower()}/{ref}"
    return None


def _consent(
    session: Session, actor: str, now: datetime, values: dict[str, str]
) -> tuple[str, bool]:
    from wegings.sharing.consents import parse_end, record_consent
    from wegings.timeutil import parse_when

    start, end = values["from"], values["until"]
    consent = record_consent(
        session,
        actor=actor,
        now=now,
        to=values["to"],
        item=values["item"] or None,
        tag=values["tag"] or None,
        originator=values["originator"] or None,
        holder=values["holder"] or None,
        purpose=values["purpose"] or None,
        valid_from=parse_when(start, field="from") if start else None,
        valid_until=parse_end(end, field="until") if end else None,
        conditions=texts_list(values["conditions"]),
        reference=values["reference"],
    )
    # `consents.recorded_late`: a letter recorded late, said as `consent` says it.
    return str(consent.id), consent.valid_from < consent.recorded_at


# Each returns what the row is addressed by, and whether it was recorded late.
_RECORD: dict[str, Callable[[Session, str, datetime, dict[str, str]], tuple[str, bool]]] = {
    "partners": _partner,
    "items": _item,
    "consents": _consent,
}


def import_rows(
    session: Session,
    kind: Kind,
    sheet: Sheet,
    *,
    source: str,
    actor: str,
    now: datetime,
    progress: Callable[[Iterator[SheetRow], int], Iterable[SheetRow]] | None = None,
) -> ImportReport:
    """Record every row of `sheet` as `kind`, each in a savepoint of `session`; the caller
    keeps the transaction only when the report has no problems."""
    folded: dict[str, list[str]] = {}
    for column in sheet.columns:
        folded.setdefault(kind.aliases.get(column, column), []).append(column)
    twice = [spellings for spellings in folded.values() if len(spellings) > 1]
    if twice:
        raise InvalidInput(
            f"{source}: the header names one column twice ({', '.join(twice[0])}); keep one."
        )
    missing = [column for column in kind.required if column not in _columns(kind, sheet)]
    if missing:
        raise InvalidInput(
            f"{source}: the header lacks the column {quote(missing[0])}; {kind.name} need "
            f"{', '.join(kind.required)}."
        )
    if not sheet.rows:
        raise InvalidInput(f"{source} has a header but no rows.")
    record = _RECORD[kind.name]
    imported: list[Imported] = []
    problems: list[tuple[int, str]] = []
    late: list[Imported] = []
    first_row: dict[str, int] = {}
    rows: Iterable[SheetRow] = sheet.rows
    if progress is not None:
        rows = progress(iter(sheet.rows), len(sheet.rows))
    for row in rows:
        values = _values(kind, row)
        empty = [column for column in kind.required if not values[column]]
        if empty:
            problems.append((row.number, f"{empty[0]} is empty."))
            continue
        file_key = _file_key(kind, values)
        if file_key is not None and file_key in first_row:
            problems.append(
                (row.number, f"{quote(file_key)} is on row {first_row[file_key]} already.")
            )
            continue
        try:
            with session.begin_nested():
                key, recorded_late = record(session, actor, now, values)
        except WegingsError as exc:
            problems.append((row.number, exc.message))
            continue
        if recorded_late:
            late.append(Imported(row.number, key))
        if file_key is not None:
            first_row[file_key] = row.number
        imported.append(Imported(row.number, key))
    return ImportReport(kind, source, tuple(imported), tuple(problems), tuple(late))


def _columns(kind: Kind, sheet: Sheet) -> set[str]:
    return {kind.aliases.get(column, column) for column in sheet.columns}


def refusal(report: ImportReport) -> InvalidInput:
    """The one error of an import with problems: a line, then one line per problem."""
    total = len(report.imported) + len(report.problems)
    bad = len(report.problems)
    rows = "row" if total == 1 else "rows"
    return InvalidInput(
        f"{report.source}: {bad} of {total} {rows} cannot be imported; nothing was written.",
        details=tuple(f"row {number}: {message}" for number, message in report.problems),
    )


def as_json(report: ImportReport, *, dry_run: bool) -> dict[str, Any]:
    """The report as plain JSON."""
    consents = report.kind is CONSENTS
    return {
        "kind": report.kind.name,
        "source": report.source,
        "dry_run": dry_run,
        "rows": len(report.imported),
        # A dry run draws no ids: the consents it would record have none yet.
        "imported": [
            {"row": done.row}
            if consents and dry_run
            else {"row": done.row, "id": int(done.key)}
            if consents
            else {"row": done.row, "handle": done.key}
            for done in report.imported
        ],
        "recorded_late": [done.row for done in report.late],
    }
