"""Checking many transfers at once: rows from CSV or JSON Lines in, one result per row out.

Rows are read, checked and handed on one at a time, so memory does not grow with the input.
A row that cannot be checked (a missing field, an unknown name, a bad date, a record that
cannot be read or no longer matches the audit trail) is an error for that row, and never an
allow; the batch goes on.
"""

from __future__ import annotations

import csv
import gc
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any

from wegings.errors import EXIT_USAGE, InvalidInput
from wegings.sharing.frozen import quick_init
from wegings.sharing.outcome import Outcome, Reason, ReasonCode, Rule
from wegings.sharing.records import UnreadableRecord
from wegings.sharing.result import EXIT_CODES, CheckResult, decision_json, iso_remembered
from wegings.sharing.store import SharingReader
from wegings.store.basis import BasisMismatch
from wegings.store.stored import shown
from wegings.text import quote
from wegings.timeutil import parse_as_of

FIELDS: tuple[str, ...] = ("item", "to", "holder", "purpose", "as_of", "basis", "hindsight")
_TEXT_FIELDS = FIELDS[:-1]
# A CSV cell is text; JSON Lines gives true or false. An empty cell is false.
_HINDSIGHT: dict[object, bool] = {"": False, "true": True, "false": False}
REQUIRED: tuple[str, ...] = ("item", "to")
ERROR = "error"

# Worst first: an error, then the outcomes in their own order (DOMAIN.md).
_SEVERITY: dict[str, int] = {ERROR: 0, **{o.value: 1 + o.rank for o in Outcome}}
_EXIT_CODES: dict[str, int] = {ERROR: EXIT_USAGE, **{o.value: c for o, c in EXIT_CODES.items()}}


@quick_init
@dataclass(frozen=True, slots=True)
class BatchRow:
    """One row of the input: its number (from 1), its fields, or why it cannot be read."""

    number: int
    item: str = ""
    to: str = ""
    holder: str | None = None
    purpose: str | None = None
    as_of: str | None = None
    basis: str | None = None
    hindsight: bool = False
    problem: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class BatchResult:
    """A row and its answer: a check result, or the error that stopped it."""

    row: BatchRow
    result: CheckResult | None
    error: str | None = None

    @property
    def outcome(self) -> str:
        """allowed, needs_permission, denied, or error."""
        return self.result.decision.outcome if self.result is not None else ERROR


@dataclass
class BatchSummary:
    """How many rows had each outcome, and the exit code of the worst."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_SEVERITY, 0))

    def add(self, result: BatchResult) -> None:
        """Count one row."""
        self.counts[result.outcome] += 1

    @property
    def rows(self) -> int:
        """How many rows were checked."""
        return sum(self.counts.values())

    @property
    def worst(self) -> str | None:
        """The worst outcome of any row, or None without rows."""
        present = [key for key, count in self.counts.items() if count]
        return min(present, key=_SEVERITY.__getitem__) if present else None

    @property
    def exit_code(self) -> int:
        """2 for an error row, else 1 denied, 3 needs permission, 0 allowed."""
        worst = self.worst
        return _EXIT_CODES[worst] if worst is not None else 0

    def describe(self) -> str:
        """One sentence for stderr."""
        counts = self.counts
        noun = "row" if self.rows == 1 else "rows"
        return (
            f"Checked {self.rows} {noun}: {counts['allowed']} allowed, "
            f"{counts['needs_permission']} need permission, {counts['denied']} denied, "
            f"{counts[ERROR]} error{'' if counts[ERROR] == 1 else 's'}."
        )


def _text(name: str, value: Any) -> tuple[str | None, str | None]:
    """(value, problem) of one field: a string, or empty/None for an absent optional one."""
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, f"field {quote(name)} must be text, not {type(value).__name__}"
    stripped = value.strip()
    return (stripped or None), None


def _row(number: int, values: dict[str, Any]) -> BatchRow:
    """A BatchRow from the named values of one input row."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        return BatchRow(
            number,
            problem=f"unknown field {quote(unknown[0])}; the fields are {', '.join(FIELDS)}",
        )
    clean: dict[str, str | None] = {}
    for name in _TEXT_FIELDS:
        text, problem = _text(name, values.get(name))
        if problem is not None:
            return BatchRow(number, problem=problem)
        clean[name] = text
    for name in REQUIRED:
        if not clean[name]:
            return BatchRow(
                number,
                item=clean["item"] or "",
                to=clean["to"] or "",
                problem=f"field {quote(name)} is empty",
            )
    raw = values.get("hindsight")
    hindsight = raw if isinstance(raw, bool) else None
    if raw is None:
        hindsight = False
    elif isinstance(raw, str):
        hindsight = _HINDSIGHT.get(raw.strip().lower())
    if hindsight is None:
        return BatchRow(
            number,
            item=clean["item"] or "",
            to=clean["to"] or "",
            problem=f"field 'hindsight' must be true or false, not {shown(raw)}",
        )
    if hindsight and not clean["as_of"]:
        return BatchRow(
            number,
            item=clean["item"] or "",
            to=clean["to"] or "",
            problem="field 'hindsight' judges a past moment with what is on record now; give "
            "that moment in 'as_of'",
        )
    if clean["basis"] and not clean["as_of"]:
        return BatchRow(
            number,
            item=clean["item"] or "",
            to=clean["to"] or "",
            problem="field 'basis' replays a decision as of its moment; give that moment in "
            "'as_of' too",
        )
    return BatchRow(
        number,
        item=clean["item"] or "",
        to=clean["to"] or "",
        holder=clean["holder"],
        purpose=clean["purpose"],
        as_of=clean["as_of"],
        basis=clean["basis"],
        hindsight=hindsight,
    )


# The field separators spreadsheets write: English Excel and most tools a comma, Dutch Excel
# (where the comma is the decimal sign) a semicolon, "text (tab-delimited)" a tab.
DELIMITERS: tuple[str, ...] = (",", ";", "\t")


def _names(header: str, delimiter: str) -> list[str]:
    """The header line's field names when split at `delimiter`."""
    fields = next(csv.reader([header], delimiter=delimiter), [])
    return [name.strip().lower() for name in fields]


def csv_delimiter(header: str) -> str:
    """The separator of a CSV batch, told by its header line: the one of `DELIMITERS` that
    splits it into known field names only (item and to among them); else the one that splits
    it into the most fields, so that the header's own error names what is wrong."""
    split = {delimiter: _names(header, delimiter) for delimiter in DELIMITERS}
    for delimiter, names in split.items():
        if all(name in FIELDS for name in names) and set(REQUIRED) <= set(names):
            return delimiter
    return max(DELIMITERS, key=lambda delimiter: len(split[delimiter]))


def _csv_rows(lines: Iterator[str], first: str) -> Iterator[BatchRow]:
    # strict: an unterminated quote is an error, not the rest of the batch in one field.
    reader = csv.reader(_prepend(first, lines), delimiter=csv_delimiter(first), strict=True)
    header = [name.strip().lower() for name in next(reader)]
    unknown = [name for name in header if name not in FIELDS]
    if unknown:
        raise InvalidInput(
            f"The batch header names an unknown field {quote(unknown[0])}; the fields are "
            f"{', '.join(FIELDS)}."
        )
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InvalidInput(
            f"The batch header lacks the field {quote(missing[0])}; it needs item and to."
        )
    if len(set(header)) != len(header):
        raise InvalidInput("The batch header names a field twice.")
    number = 0
    width = len(header)
    item_at, to_at = header.index("item"), header.index("to")
    optional = [name for name in header if name not in REQUIRED]
    try:
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # a blank line
            number += 1
            if len(record) != width:
                yield BatchRow(
                    number,
                    problem=f"the row has {len(record)} fields, the header {width}",
                )
                continue
            item, to = record[item_at].strip(), record[to_at].strip()
            if item and to and not optional:
                yield BatchRow(number, item, to)  # the common case, made cheap
            else:
                yield _row(number, dict(zip(header, record, strict=True)))
    except csv.Error as exc:
        where = f"after row {number}" if number else "in its header or first row"
        raise InvalidInput(f"The batch is not valid CSV {where}: {exc}.") from None


def _jsonl_rows(lines: Iterable[str]) -> Iterator[BatchRow]:
    number = 0
    for line in lines:
        if not line.strip():
            continue
        number += 1
        try:
            values = json.loads(line, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            yield BatchRow(number, problem=f"not valid JSON ({exc.msg})")
            continue
        except (ValueError, RecursionError) as exc:
            yield BatchRow(number, problem=str(exc) or "not valid JSON")
            continue
        if not isinstance(values, dict):
            yield BatchRow(number, problem="the line is not a JSON object")
            continue
        yield _row(number, values)


def read_rows(lines: Iterable[str]) -> Iterator[BatchRow]:
    """The rows of a CSV file with a header (separated by commas, semicolons or tabs, with or
    without a byte-order mark), or of JSON Lines (one object a line)."""
    iterator = iter(lines)
    first = ""
    for line in iterator:
        if line.strip():
            first = line.removeprefix("\ufeff")
            break
    if not first:
        return
    if first.lstrip().startswith("{"):
        yield from _jsonl_rows(_prepend(first, iterator))
    else:
        yield from _csv_rows(iterator, first)


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    # A plain loop, not `yield from`: closing this generator must not close `rest`, the
    # caller's input (a text wrapper that may be detached by then, as the CLI does with stdin).
    for line in rest:  # noqa: UP028
        yield line


def run_batch(
    reader: SharingReader, rows: Iterable[BatchRow], *, now: datetime
) -> Iterator[BatchResult]:
    """Check each row; rows without as_of are checked as of `now` (the batch's snapshot).

    The rows are taken a chunk at a time, and the items of a chunk read in one query, with
    their consents and permissions (`SharingReader.prefetch`, `prefetch_consents`); each row
    is then checked and handed on as before, in order.
    """
    reader.read_many()
    # What exists when the batch starts (the modules, the reader's tables) outlives it: kept
    # out of the collector's full passes, which would otherwise walk it again and again.
    gc.freeze()
    try:
        for chunk, failure in _chunks(rows, CHUNK_ROWS):
            answerable = [row for row in chunk if row.problem is None]
            reader.prefetch([row.item for row in answerable])
            reader.prefetch_consents([(row.item, row.to) for row in answerable])
            for row in chunk:
                yield _checked(reader, row, now)
            if failure is not None:
                # The input failed after these rows (not valid CSV, not UTF-8): they are
                # answered first, as they would have been one at a time.
                raise failure
    finally:
        gc.unfreeze()


CHUNK_ROWS = 256
"""How many rows of a batch are read ahead, and their items loaded at once."""


def _chunks(
    rows: Iterable[BatchRow], size: int
) -> Iterator[tuple[list[BatchRow], BaseException | None]]:
    """The rows in lists of `size`; with the last, the exception that ended the input, if any."""
    iterator = iter(rows)
    while True:
        chunk: list[BatchRow] = []
        try:
            for row in iterator:
                chunk.append(row)
                if len(chunk) == size:
                    break
        except BaseException as exc:  # re-raised by run_batch once the rows read are answered
            yield chunk, exc
            return
        if not chunk:
            return
        yield chunk, None


def _checked(reader: SharingReader, row: BatchRow, now: datetime) -> BatchResult:
    """One row's answer: its check, or the error that stopped it."""
    if row.problem is not None:
        return BatchResult(row, None, f"Row {row.number}: {row.problem}.")
    try:
        at = parse_as_of(row.as_of, now=now, field="as_of") if row.as_of is not None else now
        result = reader.check(
            row.item,
            row.to,
            at=at,
            holder=row.holder,
            purpose=row.purpose,
            basis=row.basis,
            hindsight=row.hindsight,
        )
    except (InvalidInput, BasisMismatch, UnreadableRecord) as exc:
        # Bad input, an unknown name, a basis that is no point of this trail, or a record that
        # cannot be relied on: this row only. A database that cannot be read at all
        # (StoreError) stops the whole batch.
        return BatchResult(row, None, exc.message)
    return BatchResult(row, result)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are each given once: a repeated key is an error, not a guess."""
    values: dict[str, Any] = {}
    for key, value in pairs:
        if key in values:
            raise ValueError(f"the field {key!r} is given twice")
        values[key] = value
    return values


def result_json(result: BatchResult) -> dict[str, Any]:
    """One row's answer as plain JSON: the row number and the decision (or the error)."""
    if result.result is not None:
        json_data = decision_json(result.result, row=result.row.number)
        json_data["error"] = None
        return json_data
    row = result.row
    return {
        "row": row.number,
        "decision": ERROR,
        "item": row.item or None,
        "to": row.to or None,
        "holder": row.holder,
        "purpose": row.purpose,
        "as_of": row.as_of,
        "basis": row.basis,
        **({"hindsight": True} if row.hindsight else {}),
        "reasons": [],
        "conditions": [],
        "members": [],
        "error": result.error,
    }


_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def result_line(result: BatchResult) -> str:
    """One row's answer as a line of JSON Lines: exactly the text `json.JSONEncoder` (with
    ensure_ascii=False) gives `result_json(result)`, and a newline, without building its dicts.

    A batch writes one of these for every row, so it is written out here; any value of another
    type than those a decision holds takes the generic encoder.
    """
    checked = result.result
    if checked is None:
        return _ENCODE(result_json(result)) + "\n"
    try:
        return _decision_line(checked, result.row.number)
    except TypeError:
        return _ENCODE(result_json(result)) + "\n"


def _json_text(value: str | None) -> str:
    """A string or None as JSON; anything else is a TypeError (the caller falls back)."""
    if type(value) is str:  # most values: the cheapest test first
        return encode_basestring(value)
    if value is None:
        return "null"
    if not isinstance(value, str):
        raise TypeError(value)
    return encode_basestring(value)


def _texts(values: Iterable[str]) -> str:
    return "[" + ", ".join([_json_text(value) for value in values]) + "]"


# The text of the parts of a line that repeat from row to row: the reasons of a recipient's
# standing (the same objects for every row to it), the conditions, the fields of what was
# asked. Each cache is cleared when it reaches `_MAX_CACHED_TEXTS`, so memory stays flat.
_MAX_CACHED_TEXTS = 4096


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    """Put `value` in `cache`, emptied first when it holds `_MAX_CACHED_TEXTS` entries."""
    if len(cache) >= _MAX_CACHED_TEXTS:
        cache.clear()
    cache[key] = value


# By the identity of a Reason, with the Reason itself kept beside its text: while an entry
# holds it, no other object can have its id. Only the reasons that are the same objects from
# row to row are kept: those a recipient's standing gives (rule 2's, and rule 3's for a form
# its note permits) and rule 5's for a failing member; the others name the item.
_REASON_TEXTS: dict[int, tuple[Reason, str]] = {}
# Read once: an enum member read through its class costs a property lookup each time.
_NOTE_RULE = Rule.note_in_force
_FORM_PERMITTED = ReasonCode.form_permitted
_GROUP_MEMBER = ReasonCode.group_member
_LIST_TEXTS: dict[tuple[str, ...], str] = {}
_ASKED_TEXTS: dict[tuple[Any, ...], str] = {}
_MEMBER_TEXTS: dict[tuple[str, str, tuple[str, ...]], str] = {}


def _reason_text(reason: Reason) -> str:
    """One reason as JSON, as `_decision_line` writes it (remembered by identity)."""
    entry = _REASON_TEXTS.get(id(reason))
    if entry is not None and entry[0] is reason:
        return entry[1]
    rule = int(reason.rule)
    text = (
        f'{{"code": {_json_text(reason.code)}, "message": {_json_text(reason.message)}, '
        f'"rule": {int.__repr__(rule)}, "effect": {_json_text(reason.effect)}, '
        f'"ref": {_json_text(reason.ref)}, "member": {_json_text(reason.member)}}}'
    )
    if reason.rule is _NOTE_RULE or reason.code is _FORM_PERMITTED or reason.code is _GROUP_MEMBER:
        _keep(_REASON_TEXTS, id(reason), (reason, text))
    return text


def _list_text(values: tuple[str, ...]) -> str:
    """A tuple of strings as a JSON list (remembered by value)."""
    text = _LIST_TEXTS.get(values)
    if text is None:
        if type(values) is not tuple:
            raise TypeError(values)
        text = _texts(values)
        _keep(_LIST_TEXTS, values, text)
    return text


def _asked_text(result: CheckResult) -> str:
    """The fields from "to" to "basis" as JSON, with the comma and space after them."""
    key = (
        result.recipient,
        result.holder,
        result.purpose,
        result.at,
        result.known_at,
        result.hindsight,
        result.basis,
    )
    text = _ASKED_TEXTS.get(key)
    if text is None:
        known = (
            ""
            if result.known_at is None
            else f'"known_at": {_json_text(iso_remembered(result.known_at))}, '
        )
        hindsight = '"hindsight": true, ' if result.hindsight else ""
        text = (
            f'"to": {_json_text(result.recipient)}, "holder": {_json_text(result.holder)}, '
            f'"purpose": {_json_text(result.purpose)}, '
            f'"as_of": {_json_text(iso_remembered(result.at))}, {known}{hindsight}'
            f'"basis": {_json_text(result.basis)}, '
        )
        _keep(_ASKED_TEXTS, key, text)
    return text


def _member_text(short: str, outcome: str, conditions: tuple[str, ...]) -> str:
    """One member of a group's answer as JSON (remembered by value)."""
    key = (short, outcome, conditions)
    text = _MEMBER_TEXTS.get(key)
    if text is None:
        text = (
            f'{{"member": {_json_text(short)}, "decision": {_json_text(outcome)}, '
            f'"conditions": {_list_text(conditions)}}}'
        )
        _keep(_MEMBER_TEXTS, key, text)
    return text


def _decision_line(result: CheckResult, row: int) -> str:
    """`decision_json(result, row=row)` with `"error": null`, as text (see `result_line`)."""
    decision = result.decision
    if type(row) is not int:
        raise TypeError(row)
    reasons = ", ".join([_reason_text(reason) for reason in decision.reasons])
    if decision.member_outcomes:
        conditions = dict(decision.member_conditions)
        members = ", ".join(
            [
                _member_text(short, outcome, conditions.get(short, ()))
                for short, outcome in decision.member_outcomes
            ]
        )
    else:
        members = ""
    return (
        f'{{"row": {int.__repr__(row)}, "decision": {_json_text(decision.outcome)}, '
        f'"item": {_json_text(result.item.handle)}, {_asked_text(result)}'
        f'"reasons": [{reasons}], "conditions": {_list_text(decision.conditions)}, '
        f'"members": [{members}], "error": null}}\n'
    )


def result_detail(result: BatchResult) -> str:
    """What a table line says beside the outcome: the error, or the codes of what failed."""
    if result.result is None:
        return result.error or ""
    failing = [
        f"{reason.member}: {reason.code.value}" if reason.member else reason.code.value
        for reason in result.result.decision.reasons
        if reason.effect is not Outcome.allowed and reason.code.value != "group_member"
    ]
    return "; ".join(failing)
