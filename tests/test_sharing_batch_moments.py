"""A batch keeps what it found about a recipient at a moment (its standing, the text of its
reasons) for several moments at once: rows that take turns between moments are answered as
each would be on its own, and the line written is what the JSON encoder gives."""

from __future__ import annotations

import gc
import json
from collections.abc import Generator
from datetime import timedelta
from typing import Any

from tests.test_sharing_batch_chunks import ITEMS, RECIPIENTS, _timeless, db
from wegings.config import Location
from wegings.errors import WegingsError
from wegings.sharing.batch import BatchRow, result_json, result_line, run_batch
from wegings.sharing.result import decision_json
from wegings.sharing.store import SharingReader, live_now
from wegings.store.engine import session_scope
from wegings.timeutil import iso, parse_as_of, utcnow

__all__ = ["db"]  # the fixture, used by name

ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def moments() -> list[str]:
    """Three past moments after the items were registered, as a row gives them."""
    now = utcnow()
    return [str(iso(now - timedelta(hours=hours))) for hours in (20, 2, 1)]


def taking_turns(count: int) -> list[BatchRow]:
    """`count` rows whose moments (and purposes) change from row to row."""
    texts = moments()
    return [
        BatchRow(
            n + 1,
            item=ITEMS[n % (len(ITEMS) - 1)],
            to=RECIPIENTS[n % len(RECIPIENTS)],
            as_of=texts[n % len(texts)],
            purpose="CT-onderzoek" if n % 5 == 0 else None,
        )
        for n in range(count)
    ]


def alone(location: Location, row: BatchRow) -> dict[str, Any]:
    """One row checked by a reader of its own."""
    assert row.as_of is not None
    with session_scope(location, write=False) as session:
        now = live_now(session)
        reader = SharingReader(session, service_name="AIVD")
        try:
            at = parse_as_of(row.as_of, now=now, field="as_of")
            checked = reader.check(row.item, row.to, at=at, purpose=row.purpose)
            return decision_json(checked, row=row.number)
        except WegingsError as exc:
            return {"row": row.number, "error": exc.message}


def test_rows_that_take_turns_between_moments_are_answered_as_on_their_own(
    db: Location,
) -> None:
    checked = taking_turns(3 * len(RECIPIENTS) * (len(ITEMS) - 1))
    with session_scope(db, write=False) as session:
        now = live_now(session)
        reader = SharingReader(session, service_name="AIVD")
        answers = []
        for result in run_batch(reader, checked, now=now):
            assert result_line(result) == ENCODE(result_json(result)) + "\n"
            answer = result_json(result)
            if result.error is not None:
                answers.append({"row": answer["row"], "error": answer["error"]})
                continue
            answer.pop("error")
            answers.append(answer)
    assert len({a["as_of"] for a in answers if "as_of" in a}) == 3
    assert _timeless(answers) == _timeless([alone(db, row) for row in checked])


def test_a_batch_leaves_the_collector_as_it_found_it(db: Location) -> None:
    with session_scope(db, write=False) as session:
        now = live_now(session)
        reader = SharingReader(session, service_name="AIVD")
        results = run_batch(reader, taking_turns(3), now=now)
        assert isinstance(results, Generator)
        next(results)
        results.close()  # a batch stopped early
        assert gc.get_freeze_count() == 0
        assert len(list(run_batch(reader, taking_turns(3), now=now))) == 3
        assert gc.get_freeze_count() == 0
