"""A CSV batch is read whatever separator the spreadsheet wrote: comma, semicolon (Dutch Excel)
or tab, with or without a byte-order mark."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wegings.errors import InvalidInput
from wegings.sharing.batch import DELIMITERS, FIELDS, BatchRow, csv_delimiter, read_rows


def rows_of(text: str) -> list[BatchRow]:
    return list(read_rows(text.splitlines(keepends=True)))


@pytest.mark.parametrize("delimiter", DELIMITERS)
def test_each_separator_gives_the_same_rows(delimiter: str) -> None:
    lines = [
        ["item", "to", "purpose", "as_of"],
        ["AIVD-1", "rvd", "liaison; weekly", "2026-11-28"],
        ["rvd/RVD-1", "smi", "", ""],
    ]
    quoted = [
        delimiter.join(f'"{cell}"' if delimiter in cell else cell for cell in line)
        for line in lines
    ]
    found = rows_of("\ufeff" + "\r\n".join(quoted) + "\r\n")
    assert [(r.number, r.item, r.to, r.purpose, r.as_of, r.problem) for r in found] == [
        (1, "AIVD-1", "rvd", "liaison; weekly", "2026-11-28", None),
        (2, "rvd/RVD-1", "smi", None, None, None),
    ]


def test_a_comma_inside_a_semicolon_file_stays_in_its_field() -> None:
    found = rows_of("item;to;purpose\nAIVD-1;rvd;liaison, weekly\n")
    assert [(r.item, r.to, r.purpose) for r in found] == [("AIVD-1", "rvd", "liaison, weekly")]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("item;to;colour", "unknown field 'colour'"),
        ("item\tfrom", "unknown field 'from'"),
        ("item", "lacks the field 'to'"),
    ],
)
def test_a_header_of_unknown_fields_is_told_in_any_separator(header: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        rows_of(f"{header}\nAIVD-1\n")


@given(
    st.lists(st.sampled_from(FIELDS), min_size=2, unique=True).filter(
        lambda names: {"item", "to"} <= set(names)
    ),
    st.sampled_from(DELIMITERS),
)
def test_any_valid_header_tells_its_own_separator(names: list[str], delimiter: str) -> None:
    assert csv_delimiter(delimiter.join(names)) == delimiter


def test_an_unterminated_quote_is_an_error_not_a_lost_row() -> None:
    with pytest.raises(InvalidInput, match="not valid CSV in its header or first row"):
        rows_of('item,to\n"AIVD-1,rvd\nRVD-1,smi\n')
    with pytest.raises(InvalidInput, match="not valid CSV after row 1"):
        rows_of('item,to\nAIVD-1,rvd\nRVD-1,"smi\nX,y\n')
