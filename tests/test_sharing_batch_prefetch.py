"""A batch reads the consents and permissions of a chunk's items in one query, and the standing
consents once, and writes its JSON Lines itself: answers, errors and bytes stay those of the
per-check queries and of the generic JSON encoder."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import sql
from tests.sharing_world import add_consent, add_item
from tests.test_sharing_batch_chunks import HINT, batched, db, one_at_a_time, rows
from wegings.config import Location
from wegings.sharing import store
from wegings.sharing.batch import BatchRow, result_json, result_line, run_batch
from wegings.sharing.store import SharingReader, live_now
from wegings.store.engine import session_scope
from wegings.timeutil import iso, utcnow

__all__ = ["db"]  # the fixture, shared with the chunk tests

ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def test_a_changed_consent_is_an_error_for_the_rows_that_rely_on_it_only(
    db: Location, db_path: Path
) -> None:
    sql(db_path, "UPDATE consent SET reference = 'Anders' WHERE item_id = 1")
    checked = rows(2 * 9 * 4)
    answers = batched(db, checked)
    assert answers == one_at_a_time(db, checked)
    message = (
        f"Consent #1 no longer matches its audit event — it was changed outside wegings; {HINT}"
    )
    failed = {(row.item, row.to) for row in checked for a in answers
              if a["row"] == row.number and a.get("error") == message}  # fmt: skip
    # Only a check that reads the consent (of rvd's X-1, to smi or a group smi is in) fails.
    assert failed == {("rvd/X-1", "smi"), ("rvd/X-1", "ctg")}


def test_a_changed_standing_consent_is_an_error_for_the_rows_that_rely_on_it_only(
    db: Location, db_path: Path
) -> None:
    sql(db_path, "UPDATE consent SET reference = 'Anders' WHERE tag = 'ct'")
    add_item(db, "SMI-2", "smi", now=utcnow() - timedelta(hours=1), tags=["ct"])
    checked = [BatchRow(n + 1, item=item, to=to) for n, (item, to) in enumerate(
        [("SMI-2", "rvd"), ("SMI-2", "bsv"), ("RVD-2", "rvd"), ("SMI-2", "ctg")] * 3
    )]  # fmt: skip
    answers = batched(db, checked)
    assert answers == one_at_a_time(db, checked)
    message = (
        f"Consent #3 no longer matches its audit event — it was changed outside wegings; {HINT}"
    )
    assert [a.get("error") == message for a in answers] == [True, False, False, True] * 3


def test_few_cached_standing_consents_give_the_same_answers(
    db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    until = utcnow() + timedelta(days=90)
    earlier = utcnow() - timedelta(hours=1)
    for to in ("smi", "bsv", "ctg"):
        add_consent(db, now=earlier, to=to, tag="ct", originator="rvd", valid_until=until)
    checked = rows(3 * 9 * 4)
    answers = batched(db, checked)
    monkeypatch.setattr(store, "_MAX_CACHED_TAG_CONSENTS", 1)
    assert batched(db, checked) == answers
    monkeypatch.setattr(SharingReader, "prefetch", lambda self, items: None)
    assert batched(db, checked) == answers


def test_a_chunk_reads_in_full_only_the_consents_its_own_checks_could_rely_on(
    db: Location,
) -> None:
    """Per check, not per chunk: rvd's X-1 to bsv beside RVD-2 to smi reads X-1's consent to
    bsv and RVD-2's to the CTG (which smi is in), not X-1's to smi."""
    bsv = add_consent(db, now=utcnow() - timedelta(hours=1), to="bsv", item="rvd/X-1",
                      valid_until=utcnow() + timedelta(days=90))  # fmt: skip
    with session_scope(db, write=False) as session:
        live_now(session)
        reader = SharingReader(session, service_name="AIVD")
        reader.read_many()
        reader.prefetch(["rvd/X-1", "RVD-2"])
        reader.prefetch_consents([("rvd/X-1", "bsv"), ("RVD-2", "smi")])
        assert sorted(reader._consent_rows) == [2, bsv]
        reader.prefetch_consents([("rvd/X-1", "smi"), ("RVD-2", "bsv")])
        assert sorted(reader._consent_rows) == [1]


def test_a_row_held_by_a_partner_reads_its_own_consents(
    db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = [
        BatchRow(1, item="AIVD-1", to="smi", holder="rvd"),
        BatchRow(2, item="AIVD-1", to="smi"),
        BatchRow(3, item="rvd/X-1", to="bsv", holder="smi"),
    ]

    def answers() -> list[dict[str, Any]]:
        with session_scope(db, write=False) as session:
            now = live_now(session)
            reader = SharingReader(session, service_name="AIVD")
            found = [result_json(r) for r in run_batch(reader, checked, now=now)]
        return [{key: value for key, value in a.items() if key != "as_of"} for a in found]

    prefetched = answers()
    outcomes = [(a["row"], a["holder"], a["decision"], a["error"]) for a in prefetched]
    assert outcomes == [
        (1, "rvd", "denied", None),
        (2, "self", "needs_permission", None),
        (3, "smi", "error", "A partner holder (smi) can only be checked for our own items; item "
         "rvd/X-1 originates with rvd."),
    ]  # fmt: skip
    monkeypatch.setattr(SharingReader, "prefetch", lambda self, items: None)
    assert answers() == prefetched


def test_result_line_is_what_the_json_encoder_writes(db: Location) -> None:
    moment = iso(utcnow())
    checked = [
        *rows(2 * 9 * 4),
        BatchRow(100, item="rvd/X-1", to="smi", as_of=moment, hindsight=True),
        BatchRow(101, item="rvd/X-1", to="ctg", purpose='CT \u00e9\u00e9n "quote" \\'),
        BatchRow(102, item="AIVD-1", to="smi", holder="rvd"),
        BatchRow(103, item="rvd/X-1", to="smi", as_of=moment, basis="1:00000000"),
        BatchRow(104, item="rvd/X-1", to="smi", problem="the row has 3 fields, the header 2"),
    ]
    with session_scope(db, write=False) as session:
        now = live_now(session)
        reader = SharingReader(session, service_name="AIVD")
        results = list(run_batch(reader, checked, now=now))
    kinds = {r.outcome for r in results}
    assert kinds == {"allowed", "denied", "needs_permission", "error"}
    assert any(r.result is not None and r.result.is_group for r in results)
    assert any(r.result is not None and r.result.hindsight for r in results)
    for result in results:
        assert result_line(result) == ENCODE(result_json(result)) + "\n"
