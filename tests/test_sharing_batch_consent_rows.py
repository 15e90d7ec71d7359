"""A batch reads in one query, a chunk at a time, the consents its rows could rely on, and
answers exactly as each row on its own would; a check of such a row queries none itself."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import sql
from tests.sharing_world import add_item
from tests.test_sharing_batch_chunks import HINT, batched, db, one_at_a_time, rows
from wegings.config import Location
from wegings.sharing import store
from wegings.sharing.batch import BatchRow
from wegings.sharing.store import SharingReader
from wegings.timeutil import utcnow

__all__ = ["db"]  # the fixture, shared with the chunk tests


def test_a_chunks_consents_read_at_once_give_the_answers_of_each_row_on_its_own(
    db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_item(db, "SMI-2", "smi", now=utcnow() - timedelta(hours=1), tags=["ct"])
    checked = [
        *rows(2 * 9 * 4),
        BatchRow(73, item="SMI-2", to="rvd"),
        BatchRow(74, item="SMI-2", to="ctg"),
    ]
    answers = batched(db, checked)
    assert answers == one_at_a_time(db, checked)
    monkeypatch.setattr(SharingReader, "prefetch_consents", lambda self, recipients: None)
    assert batched(db, checked) == answers
    monkeypatch.undo()
    monkeypatch.setattr(store, "_MAX_PREFETCHED_CONSENTS", 1)  # too many: each reads its own
    assert batched(db, checked) == answers


def test_a_check_in_a_chunk_queries_no_consents_itself(
    db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[str] = []
    real = SharingReader._rows

    def counted(self: SharingReader, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        queries.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(SharingReader, "_rows", counted)
    checked = [BatchRow(n + 1, item="rvd/X-1", to=to) for n, to in enumerate(("smi", "ctg") * 3)]
    batched(db, checked)
    by_ids = [q for q in queries if "WHERE c.id IN" in q or "WHERE c.id = ANY" in q]
    assert len(by_ids) == 1  # the chunk's, none per check


def test_a_changed_consent_read_with_the_chunk_is_an_error_for_its_rows_only(
    db: Location, db_path: Path
) -> None:
    sql(db_path, "UPDATE consent SET reference = 'Anders' WHERE item_id = 1")
    checked = [BatchRow(n + 1, item="rvd/X-1", to=to) for n, to in enumerate(("smi", "bsv") * 2)]
    answers = batched(db, checked)
    assert answers == one_at_a_time(db, checked)
    message = (
        f"Consent #1 no longer matches its audit event — it was changed outside wegings; {HINT}"
    )
    assert [a.get("error") == message for a in answers] == [True, False] * 2
