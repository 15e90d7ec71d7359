"""A batch reads its rows a chunk at a time and the chunk's items in one query: every answer,
every error and its order stay those of checking each row on its own."""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, sql
from tests.sharing_world import add_consent, add_item, world
from wegings.config import Location
from wegings.errors import WegingsError
from wegings.sharing import batch, store
from wegings.sharing.batch import BatchRow, read_rows, result_json, run_batch
from wegings.sharing.result import decision_json
from wegings.sharing.store import SharingReader, live_now
from wegings.store.engine import session_scope
from wegings.timeutil import utcnow

HINT = "run `wegings audit verify`."


@pytest.fixture
def db(location: Location, migrated_db: Path) -> Location:
    """rvd, smi, bsv; items X-1 of both rvd and smi (an ambiguous reference), RVD-2 tagged ct,
    our own AIVD-1 (personal data); consents for X-1 of rvd to smi, for RVD-2 to the CTG, and a
    standing one of smi for its items tagged ct to rvd."""
    base = utcnow() - timedelta(days=1)
    world(location, base)
    later = base + timedelta(hours=1)
    add_item(location, "X-1", "rvd", now=later)
    add_item(location, "X-1", "smi", now=later)
    add_item(location, "RVD-2", "rvd", now=later, tags=["ct"])
    add_item(location, "AIVD-1", "self", now=later, personal_data=True)
    until = utcnow() + timedelta(days=90)
    add_consent(location, now=later, to="smi", item="rvd/X-1", valid_until=until)
    add_consent(location, now=later, to="ctg", item="rvd/RVD-2", valid_until=until)
    add_consent(location, now=later, to="rvd", tag="ct", originator="smi", valid_until=until)
    return location


ITEMS = ["rvd/X-1", "smi/X-1", "X-1", "RVD-2", "rvd/RVD-2", "AIVD-1", "self/AIVD-1", "NOPE", ""]
RECIPIENTS = ["smi", "rvd", "bsv", "ctg"]


def rows(count: int) -> list[BatchRow]:
    """`count` rows over the items and recipients, more than one chunk of them."""
    return [
        BatchRow(n + 1, item=ITEMS[n % len(ITEMS)], to=RECIPIENTS[n % len(RECIPIENTS)])
        if ITEMS[n % len(ITEMS)]
        else BatchRow(n + 1, problem="field 'item' is empty")
        for n in range(count)
    ]


_CLOCK = re.compile(r" at \d\d:\d\d\b")


def _timeless(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answers without the clock time "now" puts in sentences (" at 14:05"): the two ways of
    checking read the clock apart, and may fall on both sides of a minute."""
    timeless: list[dict[str, Any]] = json.loads(_CLOCK.sub("", json.dumps(answers, default=str)))
    return timeless


def one_at_a_time(location: Location, checked: list[BatchRow]) -> list[dict[str, Any]]:
    """Each row checked by a reader of its own, as a single `can-share` would."""
    answers = []
    for row in checked:
        with session_scope(location, write=False) as session:
            now = live_now(session)
            reader = SharingReader(session, service_name="AIVD")
            try:
                if row.problem is not None:
                    raise WegingsError(f"Row {row.number}: {row.problem}.")
                answer = decision_json(reader.check(row.item, row.to, at=now), row=row.number)
                answer.pop("as_of")
            except WegingsError as exc:
                answer = {"row": row.number, "error": exc.message}
        answers.append(answer)
    return _timeless(answers)


def batched(location: Location, checked: list[BatchRow]) -> list[dict[str, Any]]:
    """The same rows through `run_batch`, in the shape of `one_at_a_time`."""
    with session_scope(location, write=False) as session:
        now = live_now(session)
        reader = SharingReader(session, service_name="AIVD")
        answers = []
        for result in run_batch(reader, checked, now=now):
            answer = result_json(result)
            if result.error is not None:
                answers.append({"row": answer["row"], "error": answer["error"]})
                continue
            answer.pop("error")
            answer.pop("as_of")
            answers.append(answer)
    return _timeless(answers)


def test_a_batch_answers_every_row_as_a_check_of_its_own(db: Location) -> None:
    checked = rows(batch.CHUNK_ROWS + 30)
    answers = batched(db, checked)
    assert len(answers) == len(checked)
    alone = one_at_a_time(db, checked[:40]) + one_at_a_time(db, checked[batch.CHUNK_ROWS - 5 :])
    assert answers[:40] + answers[batch.CHUNK_ROWS - 5 :] == alone
    errors = {a["error"] for a in answers if "error" in a}
    assert errors == {
        "Item 'X-1' is ambiguous: rvd/X-1, smi/X-1. Give ORIGINATOR/REF.",
        "No item 'NOPE'. See `wegings items`.",
        *(f"Row {n}: field 'item' is empty." for n in range(9, len(checked) + 1, 9)),
    }


def test_a_changed_item_in_a_chunk_is_an_error_for_its_rows_only(
    db: Location, db_path: Path
) -> None:
    sql(db_path, "UPDATE item SET subject = 'Anders' WHERE ref = 'RVD-2'")
    checked = rows(2 * len(ITEMS) * len(RECIPIENTS))
    answers = batched(db, checked)
    assert answers == one_at_a_time(db, checked)
    message = (
        f"Item rvd/RVD-2 (#3) no longer matches its audit event — it was changed outside "
        f"wegings; {HINT}"
    )
    failed = [a["row"] for a in answers if a.get("error") == message]
    assert failed == [row.number for row in checked if "RVD-2" in row.item]


def test_the_per_check_queries_give_the_same_answers(
    db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = rows(3 * len(ITEMS))
    answers = batched(db, checked)
    # No prefetched items and no corrections read whole: every check queries its own.
    monkeypatch.setattr(store, "_MAX_LOADED_CORRECTIONS", -1)
    monkeypatch.setattr(SharingReader, "prefetch", lambda self, items: None)
    assert batched(db, checked) == answers


def test_rows_read_before_the_input_fails_are_answered_first(run: Run, db: Location) -> None:
    huge = "x" * 200_000  # beyond the csv module's field limit: not valid CSV
    result = run(
        "can-share",
        "--batch",
        "-",
        "--json",
        input=f"item,to\nrvd/X-1,smi\nAIVD-1,rvd\n{huge},rvd\n",
    )
    assert result.exit_code == 2
    assert [json.loads(line)["row"] for line in result.stdout.splitlines()] == [1, 2]
    assert result.stderr == (
        "Error: The batch is not valid CSV after row 2: field larger than field limit (131072).\n"
    )


class Input:
    """Lines that record whether they were closed."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = iter(lines)
        self.closed = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self.lines)

    def close(self) -> None:
        self.closed = True


def test_closing_the_rows_leaves_the_input_open() -> None:
    lines = Input(["item,to\n", "X-1,smi\n", "X-1,rvd\n"])
    rows = read_rows(lines)
    assert next(rows).item == "X-1"
    assert isinstance(rows, Generator)
    rows.close()
    assert not lines.closed  # the CLI detaches stdin afterwards: closing it would fail
