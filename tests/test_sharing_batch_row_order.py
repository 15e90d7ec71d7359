"""A chunk's items come from one query without ORDER BY; `prefetch` puts each reference's rows
in the order the per-check query gives them (by item, then by tag), so every answer and every
error, down to which faulty record is named first, stays that of a check on its own."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from tests.conftest import sql
from tests.sharing_world import add_item
from tests.test_sharing_batch_chunks import HINT, batched, db, one_at_a_time
from wegings.config import Location
from wegings.sharing.batch import BatchRow
from wegings.sharing.store import _sql_order
from wegings.timeutil import utcnow

__all__ = ["db"]  # the fixture, shared with the chunk tests


def test_values_sort_as_sqlite_orders_them() -> None:
    values = [None, 3, "b", 2.5, b"\x01", "a", -1, "\u00e9", "z", b"\x00", None, 10, "B"]
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (v)")
    connection.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    ordered = [row[0] for row in connection.execute("SELECT v FROM t ORDER BY v")]
    assert sorted(values, key=_sql_order) == ordered


def _checks() -> list[BatchRow]:
    handles = ["rvd/T-1", "smi/T-1", "T-1", "rvd/X-1"]
    return [
        BatchRow(n + 1, item=handle, to=to)
        for n, (handle, to) in enumerate((h, t) for h in handles for t in ("smi", "bsv", "ctg"))
    ]


def test_an_item_with_several_tags_is_read_as_on_its_own(db: Location) -> None:
    later = utcnow() - timedelta(hours=2)
    add_item(db, "T-1", "rvd", now=later, tags=["ct", "cyber", "aa"])
    add_item(db, "T-1", "smi", now=later, tags=["zz", "ct"])
    checked = _checks()
    answers = batched(db, checked)
    assert answers == one_at_a_time(db, checked)
    assert [a.get("error") for a in answers[6:9]] == [
        "Item 'T-1' is ambiguous: rvd/T-1, smi/T-1. Give ORIGINATOR/REF."
    ] * 3


def test_the_first_faulty_tag_named_is_that_of_a_check_on_its_own(
    db: Location, db_path: Path
) -> None:
    later = utcnow() - timedelta(hours=2)
    add_item(db, "T-1", "rvd", now=later, tags=["ct", "cyber", "aa"])
    add_item(db, "T-1", "smi", now=later, tags=["zz", "ct"])
    # Two tags changed behind wegings' back: by tag the second comes first, by id the first.
    sql(db_path, "UPDATE item_tag SET tag = 'zz1' WHERE tag = 'ct' AND item_id = "
        "(SELECT id FROM item WHERE originator = 'rvd' AND ref = 'T-1')")  # fmt: skip
    sql(db_path, "UPDATE item_tag SET tag = 'aa1' WHERE tag = 'cyber'")
    checked = _checks()
    answers = batched(db, checked)
    assert answers == one_at_a_time(db, checked)
    errors = {a.get("error") for a in answers[:3]}
    assert len(errors) == 1
    (error,) = errors
    assert error is not None
    assert error.endswith(f"of item rvd/T-1 no longer matches its audit event — it was "
                          f"changed outside wegings; {HINT}")  # fmt: skip
    assert all("error" not in a for a in answers[3:6] + answers[9:])
