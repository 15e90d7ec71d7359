"""Spreadsheets in: the rows of a CSV file or an Excel workbook, as text, with the row numbers a
person sees in the spreadsheet (the header is row 1).

A CSV file is UTF-8 (a byte-order mark is dropped) separated by commas, semicolons (as Excel in
Dutch saves it) or tabs: the header line tells which. An `.xlsx` workbook is read with openpyxl
(the sheet it opens on, the values a spreadsheet saved, never a formula run); a cell is taken
as a person reads it, a date as YYYY-MM-DD, a date-time as the time in The Hague, a whole number
without a decimal point.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from wegings.errors import InvalidInput
from wegings.text import FORMULA_START, quote
from wegings.timeutil import display_zone

SEPARATORS: tuple[str, ...] = (",", ";", "\t")
MAX_BYTES = 50 * 1024 * 1024
"""The largest file read: a register of a service fits many times over."""
MAX_ROWS = 100_000
MAX_CELL = 10_000  # characters: far above any field's own limit, which the checks then name


@dataclass(frozen=True)
class SheetRow:
    """One row under the header: its number in the spreadsheet and its cells by column name."""

    number: int
    values: dict[str, str]


@dataclass(frozen=True)
class Sheet:
    """The named columns of a spreadsheet and its non-blank rows."""

    columns: tuple[str, ...]
    rows: tuple[SheetRow, ...]
    sheet_name: str | None = None  # the workbook's sheet it was read from


def column_name(text: str) -> str:
    """A header cell as a column name: trimmed, lower case, '-' and spaces as '_'
    ('Received-From' and 'received from' are `received_from`)."""
    return "_".join(text.strip().lower().replace("-", " ").split())


def separator(header: str, known: Iterable[str]) -> str:
    """The separator of a CSV file, told by its header line: the one that splits it into known
    column names only; else the one that splits it into the most cells."""
    names = set(known)
    split = {
        mark: [column_name(cell) for cell in next(csv.reader([header], delimiter=mark), [])]
        for mark in SEPARATORS
    }
    for mark, cells in split.items():
        if len(cells) > 1 and all(cell in names for cell in cells):
            return mark
    return max(SEPARATORS, key=lambda mark: len(split[mark]))


def cell_text(value: object) -> str:
    """A workbook cell as a person reads it: empty for none, dates as YYYY-MM-DD (a date-time
    with its time), whole numbers without '.0', booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        # A spreadsheet's date-time has no zone: it is the time on the clock in The Hague.
        return (
            value.replace(tzinfo=display_zone()).isoformat()
            if value.tzinfo is None
            else (value.isoformat())
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(name: str, records: Iterator[Sequence[str]], known: Sequence[str]) -> Sheet:
    """The header and rows of `records` (cells as text), numbered from 1 for the header."""
    header: list[str] | None = None
    rows: list[SheetRow] = []
    for number, record in enumerate(records, start=1):
        cells = [cell.strip() for cell in record]
        if not any(cells):
            continue  # a blank row
        if any(len(cell) > MAX_CELL for cell in cells):
            raise InvalidInput(f"{name}: row {number} has a cell of over {MAX_CELL:,} characters.")
        if header is None:
            header = [column_name(cell) for cell in cells]
            unknown = [column for column in header if column and column not in known]
            if unknown:
                raise InvalidInput(
                    f"{name}: the header names an unknown column {quote(unknown[0])}; the "
                    f"columns are {', '.join(known)}."
                )
            doubled = sorted({column for column in header if column and header.count(column) > 1})
            if doubled:
                raise InvalidInput(
                    f"{name}: the header names the column {quote(doubled[0])} twice."
                )
            continue
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(f"{name}: more than {MAX_ROWS:,} rows; split the file.")
        orphan = next(
            (
                cell
                for at, cell in enumerate(cells)
                if cell and (at >= len(header) or not header[at])
            ),
            None,
        )
        if orphan is not None:
            raise InvalidInput(
                f"{name}: row {number} has a value under no column name ({quote(orphan)}); "
                "name every column in the header row."
            )
        values = {column: cell for column, cell in zip(header, cells, strict=False) if column}
        rows.append(SheetRow(number, values))
    if header is None:
        raise InvalidInput(f"{name} is empty; give a header row and one row per record.")
    return Sheet(tuple(column for column in header if column), tuple(rows))


def _unquoted(cell: str) -> str:
    """A cell as it was before `--csv` put an apostrophe before a formula's start
    (`output.csv_cell`, `text.FORMULA_START`): read back, the apostrophe goes."""
    quoted = cell.startswith("'") and cell[1:].startswith((*FORMULA_START, "'"))
    return cell[1:] if quoted else cell


def _csv_sheet(name: str, data: bytes, known: Sequence[str]) -> Sheet:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name} is not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8."
        ) from None
    if "\x00" in text:
        raise InvalidInput(f"{name} holds a NUL character: it is not a CSV text file.")
    first = next((line for line in text.splitlines() if line.strip()), "")
    # strict: an unterminated quote is an error, not the rest of the file in one cell.
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=separator(first, known), strict=True
    )
    try:
        return _table(name, ([_unquoted(cell) for cell in record] for record in reader), known)
    except csv.Error as exc:
        raise InvalidInput(
            f"{name} is not valid CSV after line {reader.line_num}: {exc}."
        ) from None


MAX_UNPACKED = 200 * 1024 * 1024
"""The most a workbook may unpack to: far above any register, far below a zip bomb."""


def _unpacked_size(name: str, data: bytes) -> None:
    """Refuse a workbook that is no zip, or that would unpack to more than MAX_UNPACKED."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InvalidInput(
            f"{name} is not an Excel workbook (.xlsx) that can be read: it is no zip archive."
        ) from None
    if total > MAX_UNPACKED:
        raise InvalidInput(
            f"{name} unpacks to more than {MAX_UNPACKED // (1024 * 1024)} MB; it is no register "
            "a workbook would hold."
        )


def _workbook(name: str, data: bytes, *, values: bool) -> Any:
    """The workbook, with each formula cell's saved value (`values`) or the formula itself."""
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), data_only=values)
    except Exception as exc:  # any fault of a damaged file gets the same answer
        raise InvalidInput(
            f"{name} is not an Excel workbook (.xlsx) that can be read ({type(exc).__name__})."
        ) from None


def _active_sheet(name: str, workbook: Any) -> Any:
    """The sheet the workbook opens on, which is what a person sees; refused when hidden."""
    sheet = workbook.active
    if sheet is None or not hasattr(sheet, "iter_rows"):
        raise InvalidInput(f"{name} has no sheet of cells to import.")
    if sheet.sheet_state != "visible":
        raise InvalidInput(
            f"{name} opens on the hidden sheet {quote(sheet.title)}; show it or open the "
            "workbook on the sheet to import."
        )
    return sheet


def _xlsx_sheet(name: str, data: bytes, known: Sequence[str]) -> tuple[Sheet, str]:
    """The rows of the sheet a workbook opens on, and that sheet's title.

    Read in full (not openpyxl's read-only mode, which trusts a stored dimension that may
    leave out rows and columns); refused: merged cells (only the first cell of a merge holds
    the value, the others would read as empty) and a formula whose value the file does not
    hold (a file written by a program rather than saved by a spreadsheet).
    """
    _unpacked_size(name, data)
    workbook = _workbook(name, data, values=False)
    sheet = _active_sheet(name, workbook)
    if sheet.merged_cells.ranges:
        merged = sorted(str(cells) for cells in sheet.merged_cells.ranges)
        raise InvalidInput(
            f"{name}: sheet {quote(sheet.title)} has merged cells ({', '.join(merged[:3])}); "
            "unmerge them, so that every row holds its own values."
        )
    formulas = {
        (cell.row, cell.column)
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    }
    saved = _active_sheet(name, _workbook(name, data, values=True)) if formulas else sheet
    records = []
    for row in saved.iter_rows():
        cells = []
        for cell in row:
            if (cell.row, cell.column) in formulas and cell.value is None:
                raise InvalidInput(
                    f"{name}: cell {cell.coordinate} holds a formula whose value the file does "
                    "not hold; open and save it in a spreadsheet, or type the value."
                )
            cells.append(cell_text(cell.value))
        records.append(cells)
    return _table(name, iter(records), known), str(sheet.title)


def read_sheet(source: str, known: Sequence[str]) -> Sheet:
    """The rows of the CSV or `.xlsx` file at `source` (`-`: CSV on stdin), whose header must
    name only `known` columns; a file that cannot be read is one clear InvalidInput."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        name, suffix = "stdin", ".csv"
    else:
        path = Path(source)
        name, suffix = source, path.suffix.lower()
        if suffix not in (".csv", ".txt", ".tsv", ".xlsx"):
            raise InvalidInput(
                f"{quote(source)} is neither a CSV file (.csv) nor an Excel workbook (.xlsx)."
            )
        try:
            with path.open("rb") as file:
                data = file.read(MAX_BYTES + 1)
        except OSError as exc:
            raise InvalidInput(f"Cannot read {source}: {exc.strerror or exc}.") from None
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{name} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if suffix == ".xlsx":
        sheet, title = _xlsx_sheet(name, data, known)
        return replace(sheet, sheet_name=title)
    return _csv_sheet(name, data, known)
