"""wegings sweep: every transfer replayed with its basis and judged again in hindsight."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, sql
from tests.sharing_world import add_item, add_partner
from tests.test_proofs import rewrite_history
from wegings.config import Location
from wegings.sharing.outcome import Decision, Outcome
from wegings.store.chain import canonical
from wegings.store.models import AuditEvent
from wegings.timeutil import local_day, utcnow


@pytest.fixture
def db(location: Location, run: Run, migrated_db: Location) -> Location:
    """rvd (standaard) and smi (verhoogd) in the CTG, our item AIVD-3 (no personal data) passed
    to rvd and to the CTG; recorded times in the order of the trail, as the tool records them."""
    base = utcnow() - timedelta(days=1)
    add_partner(location, "rvd", now=base, groups=("CTG",), note="standaard")
    add_partner(location, "smi", now=base + timedelta(minutes=1), groups=("CTG",), note="verhoogd")
    add_item(location, "AIVD-3", "self", now=base + timedelta(hours=1))
    assert run("share", "AIVD-3", "--to", "rvd").exit_code == 0
    assert run("share", "AIVD-3", "--to", "ctg").exit_code == 0
    return location


def test_nothing_changed_exits_0(run: Run, db: Location) -> None:
    result = run("sweep")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "2 transfers replayed: every replay gives its recorded decision; 0 with a different "
        "answer in hindsight.\n"
    )
    data = json.loads(run("sweep", "--json").stdout)
    assert data == {"transfers": 2, "changed": 0, "problems": 0, "findings": []}


def test_an_item_corrected_to_personal_data_is_found(run: Run, db: Location) -> None:
    corrected = run(
        "correct-item", "self/AIVD-3", "--personal-data", "--reason", "Bevat toch namen."
    )
    assert corrected.exit_code == 0, corrected.output
    result = run("sweep", "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    # rvd's note permits personal data; the CTG holds smi, a risicodienst (verhoogd), for
    # which personal data needs a permission.
    assert (data["transfers"], data["changed"], data["problems"]) == (2, 1, 0)
    (finding,) = data["findings"]
    assert (finding["transfer"], finding["to"], finding["status"]) == (2, "ctg", "changed")
    assert finding["recorded"] == finding["replayed"] == "allowed"
    assert finding["hindsight"] == "needs_permission"
    assert finding["changes"][0] == "Item self/AIVD-3 was corrected since: it holds personal data."
    assert len(finding["changes"]) > 1  # and the rules' own reason for smi
    table = run("sweep")
    assert table.exit_code == 1
    assert "Transfers whose answer is not the recorded one" in table.stdout
    assert "needs_permission" in table.stdout
    # The live answers already say so; the transfers stay recorded as they were decided.
    assert run("can-share", "AIVD-3", "--to", "ctg").exit_code == 3


def test_a_changed_record_is_a_loud_finding(run: Run, db: Location) -> None:
    # The recorded decision of transfer #1 rewritten outside wegings: its replay cannot match.
    (decision,) = sql(db, "SELECT decision FROM transfer WHERE id = 1")[0]
    assert isinstance(decision, str)
    altered = json.loads(decision) | {"decision": "needs_permission"}
    sql(db, "UPDATE transfer SET decision = ? WHERE id = 1", json.dumps(altered))
    result = run("sweep", "--json")
    assert result.exit_code == 2
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["transfer"], finding["status"]) == (1, "error")
    assert finding["problem"] == (
        "Transfer #1 no longer matches its audit event 11: it was changed outside wegings; "
        "run `wegings audit verify`."
    )


def test_a_replay_that_differs_from_the_record_is_a_loud_finding(
    run: Run, db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the rules had changed since the transfers were decided: every replay now denies.
    import wegings.sharing.rules as rules
    import wegings.sharing.store as store

    real = rules.decide

    def stricter(*args: Any, **kwargs: Any) -> Decision:
        decision = real(*args, **kwargs)
        return dataclasses.replace(decision, outcome=Outcome.denied)

    monkeypatch.setattr(store, "decide", stricter)
    result = run("sweep", "--json")
    assert result.exit_code == 2
    findings = json.loads(result.stdout)["findings"]
    assert [f["status"] for f in findings] == ["replay_mismatch", "replay_mismatch"]
    assert findings[0]["problem"].startswith("Replaying transfer #1 with its basis 10:")
    assert "gives denied, not the recorded allowed" in findings[0]["problem"]
    table = run("sweep")
    assert table.exit_code == 2
    assert table.stderr.endswith("2 that could not be replayed as recorded.\n")


def test_the_period_selects_transfers_by_day_in_the_hague(run: Run, db: Location) -> None:
    today = local_day(utcnow()).isoformat()
    yesterday = (local_day(utcnow()) - timedelta(days=1)).isoformat()
    assert json.loads(run("sweep", "--from", today, "--json").stdout)["transfers"] == 2
    assert json.loads(run("sweep", "--until", yesterday, "--json").stdout)["transfers"] == 0
    assert json.loads(run("sweep", "--until", today, "--json").stdout)["transfers"] == 2
    backwards = run("sweep", "--from", today, "--until", yesterday)
    assert backwards.exit_code == 2
    assert backwards.stderr == f"Error: --until {yesterday} lies before --from {today}.\n"
    bad = run("sweep", "--from", "20261128")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: --from '20261128'")


def test_a_deleted_transfer_is_a_loud_finding(run: Run, db: Location) -> None:
    sql(db, "DELETE FROM transfer WHERE id = 1")
    result = run("sweep", "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert (data["transfers"], data["problems"]) == (2, 1)
    (finding,) = data["findings"]
    assert (finding["transfer"], finding["status"], finding["to"]) == (1, "error", "rvd")
    assert finding["problem"] == (
        "Transfer #1 of audit event 11 no longer exists: it was deleted outside wegings; run "
        "`wegings audit verify`."
    )


def test_a_decision_naming_another_item_is_a_loud_finding(
    run: Run, location: Location, migrated_db: Location
) -> None:
    # Two items, one transfer; its recorded decision rewritten to name the other item, and its
    # audit event and the chain after it rewritten to match: record and event agree, the
    # transfer does not.
    base = utcnow() - timedelta(days=1)
    add_partner(location, "rvd", now=base, note="standaard")
    add_item(location, "AIVD-3", "self", now=base + timedelta(hours=1))
    add_item(location, "AIVD-4", "self", now=base + timedelta(hours=2))
    assert run("share", "AIVD-3", "--to", "rvd").exit_code == 0
    ((seq, decision),) = sql(
        location,
        "SELECT e.seq, t.decision FROM transfer t JOIN audit_event e "
        "ON e.entity = 'transfer' AND e.entity_id = '1' WHERE t.id = 1",
    )
    assert isinstance(seq, int)
    assert isinstance(decision, str)
    altered = decision.replace("self/AIVD-3", "self/AIVD-4")
    sql(location, "UPDATE transfer SET decision = ? WHERE id = 1", altered)

    def rewrite(event: AuditEvent) -> None:
        event.change = canonical(json.loads(event.change) | {"decision": altered})

    rewrite_history(location, seq, alter=rewrite)
    assert run("audit", "verify").exit_code == 0
    result = run("sweep", "--json")
    assert result.exit_code == 2
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["transfer"], finding["status"]) == (1, "error")
    assert finding["problem"] == (
        "The decision recorded with transfer #1 names item self/AIVD-4, not the transfer's own "
        "item #1: it was changed outside wegings; run `wegings audit verify`."
    )


def test_a_decision_that_is_not_json_is_a_loud_finding_not_the_end_of_the_sweep(
    run: Run, db: Location
) -> None:
    sql(db, "UPDATE transfer SET decision = '{not json' WHERE id = 1")
    result = run("sweep", "--json")
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert (data["transfers"], data["problems"]) == (2, 1)
    (finding,) = data["findings"]
    assert (finding["transfer"], finding["status"], finding["item"]) == (1, "error", "?")
    assert finding["problem"] == (
        "Transfer #1 no longer matches its audit event 11: it was changed outside wegings; "
        "run `wegings audit verify`."
    )


def test_a_deleted_transfer_whose_event_is_not_json_is_a_loud_finding(
    run: Run, db: Location
) -> None:
    sql(db, "DELETE FROM transfer WHERE id = 1")
    sql(db, "UPDATE audit_event SET change = 'garbage' WHERE entity = 'transfer' AND seq = 11")
    result = run("sweep", "--json")
    assert result.exit_code == 2, result.output
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["transfer"], finding["status"], finding["to"]) == (1, "error", "?")


@pytest.mark.parametrize("option", ["--from", "--until"])
def test_an_empty_day_is_refused_not_read_as_no_bound(run: Run, db: Location, option: str) -> None:
    result = run("sweep", option, "")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: {option} '' is not an ISO date; use e.g. 2026-11-29.\n"


def test_a_sweep_that_cannot_run_exits_2_never_1(run: Run, tmp_path: Path) -> None:
    # Exit 1 says an answer changed in hindsight; a missing database must not say that.
    missing = tmp_path / "nowhere.db"
    result = run("sweep", db=missing)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: No database at {missing} yet.")
    assert result.stderr.count("\n") == 1
