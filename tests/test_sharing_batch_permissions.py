"""A batch reads an item's permissions with its chunk and skips the corrections of items that
have none: every check that needs permissions (personal or unevaluated data, also when a
correction made it so, or a recipient with flags) answers as a check on its own."""

from __future__ import annotations

import pytest

from tests.test_sharing_batch_chunks import batched, db, one_at_a_time
from wegings.config import Location
from wegings.sharing import store
from wegings.sharing.batch import BatchRow
from wegings.sharing.items import correct_item
from wegings.store.engine import recorded_now, session_scope

__all__ = ["db"]  # the fixture, shared with the chunk tests


@pytest.mark.parametrize("loaded", [True, False])
def test_every_check_that_needs_permissions_answers_as_on_its_own(
    db: Location, monkeypatch: pytest.MonkeyPatch, loaded: bool
) -> None:
    if not loaded:  # corrections not read whole: each check reads its item's own
        monkeypatch.setattr(store, "_MAX_LOADED_CORRECTIONS", -1)
    with session_scope(db, write=True) as session:
        correct_item(
            session,
            actor="analist",
            now=recorded_now(session),
            item="rvd/X-1",
            reason="Onbeoordeeld",
            unevaluated=True,
        )
    checked = [
        BatchRow(n + 1, item=item, to=to)
        for n, (item, to) in enumerate(
            (item, to)
            for item in ("rvd/X-1", "smi/X-1", "RVD-2", "AIVD-1")
            for to in ("smi", "rvd", "bsv", "ctg")
        )
    ]
    answers = batched(db, checked)
    assert answers == one_at_a_time(db, checked)
    # rvd/X-1 is unevaluated by its correction: rule 4 asks the minister's permission.
    codes = {reason["code"] for answer in answers[:4] for reason in answer.get("reasons", [])}
    assert "permission_required_unevaluated" in codes
