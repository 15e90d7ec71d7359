"""The loader's fast paths give exactly the bytes and values of the general ones.

`chain.event_bytes` writes the common event without the generic JSON walk, and
`RecordKind.read_held` reads a row and writes its snapshot in one pass: both must agree with
`canonical` and with `RecordKind.read` + `snapshot_text` for every input, and hand anything
unusual to the general path.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from wegings.sharing.records import RecordKind, UnreadableRecord, record_kinds
from wegings.store.chain import canonical, event_bytes, json_text

KINDS = sorted(record_kinds())
# Texts as they come: any Unicode (control characters, quotes, backslashes, astral planes).
TEXT = st.text()
DATETIME_TEXT = st.builds(
    lambda y, mo, d, h, mi, s, us: f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{us:06d}",
    st.integers(1, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 24),
    st.integers(0, 60),
    st.integers(0, 60),
    st.sampled_from([0, 1, 500_000, 999_999]),
)
DATE_TEXT = st.builds(
    lambda y, mo, d: f"{y:04d}-{mo:02d}-{d:02d}",
    st.integers(1, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
)
GOOD = {
    "int": st.integers(-(2**63), 2**63 - 1),
    "text": TEXT,
    "bool": st.sampled_from([0, 1, True, False]),
    "datetime": DATETIME_TEXT,
    "date": DATE_TEXT,
}
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    TEXT,
    st.binary(max_size=8),
    DATETIME_TEXT,
    DATE_TEXT,
    st.sampled_from(["2026-01-01T10:00:00", "2026-01-01 10:00:00", " 2026-01-01", "1", "0"]),
)


def general(kind: RecordKind, values: tuple[Any, ...]) -> tuple[tuple[Any, ...], str] | None:
    """What `read` and `snapshot_text` give for the row, or None when `read` refuses it."""
    try:
        typed = kind.read(values, lambda: "the record")
    except UnreadableRecord:
        return None
    return typed, kind.snapshot_text(typed)


@st.composite
def rows(draw: st.DrawFn, good: bool) -> tuple[RecordKind, tuple[Any, ...]]:
    """A row of some audited table: of its usual stored forms, or of any values at all."""
    kind = record_kinds()[draw(st.sampled_from(KINDS))]
    values = []
    for stored, nullable in zip(kind.stored, kind.nullable, strict=True):
        if good:
            values.append(draw(st.none() if nullable and draw(st.booleans()) else GOOD[stored]))
        else:
            values.append(draw(st.one_of(GOOD[stored], ANYTHING)))
    return kind, tuple(values)


@given(rows(good=False))
def test_read_held_agrees_with_read_and_snapshot_text(
    row: tuple[RecordKind, tuple[Any, ...]],
) -> None:
    kind, values = row
    held = kind.read_held(values)
    if held is not None:
        expected = general(kind, values)
        assert expected is not None
        assert held == expected
        # Equal is not enough: True == 1, and a bool must not be read as an int or back.
        assert [type(v) for v in held[0]] == [type(v) for v in expected[0]]


@given(rows(good=True))
def test_read_held_takes_every_row_of_the_usual_forms(
    row: tuple[RecordKind, tuple[Any, ...]],
) -> None:
    kind, values = row
    expected = general(kind, values)
    # A datetime or date of the right shape that is no day (month 13) is refused by both.
    assert kind.read_held(values) == expected


@given(
    st.integers(0, 2**62),
    st.one_of(st.none(), TEXT),
    TEXT,
    TEXT,
    TEXT,
    TEXT,
    TEXT,
    TEXT,
)
def test_event_bytes_are_the_canonical_json_of_the_event(
    seq: int,
    at: str | None,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    change: str,
    prev_hash: str,
) -> None:
    fields = [seq, at, actor, action, entity, entity_id, change, prev_hash]
    assert event_bytes(seq, at, actor, action, entity, entity_id, change, prev_hash) == (
        canonical(fields).encode("utf-8")
    )


@given(TEXT)
def test_json_text_is_how_canonical_writes_a_string(text: str) -> None:
    assert json_text(text) == canonical(text)
    assert f"[{json_text(text)}]" == canonical([text])
