"""Every decision states its basis; replaying it with that basis gives the same answer."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests.conftest import Run, sql
from tests.sharing_world import add_item, add_partner, flag
from wegings.config import Location
from wegings.timeutil import utcnow

TIMING = ("as_of", "known_at")


def until() -> str:
    return (utcnow() + timedelta(days=90)).date().isoformat()


@pytest.fixture
def db(location: Location, run: Run, migrated_db: Location) -> Location:
    # As sharing_world.world, but with recorded times in the order of the trail, as the tool
    # itself records them: a replay by time needs that order.
    base = utcnow() - timedelta(days=1)
    add_partner(location, "rvd", now=base, groups=("CTG",), note="standaard")
    add_partner(location, "smi", now=base + timedelta(minutes=1), groups=("CTG",), note="verhoogd")
    add_partner(location, "bsv", now=base + timedelta(minutes=2))
    flag(location, "bsv", now=base + timedelta(minutes=3))
    add_item(location, "RVD-1", "rvd", now=base + timedelta(hours=1), tags=["ct"])
    add_item(location, "RVD-2", "rvd", now=base + timedelta(hours=1))
    assert run("consent", "RVD-1", "--to", "smi", "--until", until()).exit_code == 0
    return location


def head(db: Location) -> str:
    seq, digest = sql(db, "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")[0]
    return f"{seq}:{str(digest)[:16]}"


def untimed(data: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in data.items() if k not in TIMING}


def test_a_decision_states_the_head_it_read(run: Run, db: Location) -> None:
    data = json.loads(run("can-share", "RVD-1", "--to", "smi", "--json").stdout)
    assert data["basis"] == head(db)
    assert "known_at" not in data
    table = run("can-share", "RVD-1", "--to", "smi")
    assert re.search(rf"Basis\s+{re.escape(head(db))}", table.stdout)


def test_replay_with_the_basis_gives_the_same_answer_after_later_writes(
    run: Run, db: Location
) -> None:
    live = run("can-share", "RVD-1", "--to", "smi", "--json")
    assert live.exit_code == 0
    first = json.loads(live.stdout)
    assert run("revoke", "#1", "--reason", "Brief van RVD").exit_code == 0
    assert run("consent", "RVD-1", "--to", "bsv", "--until", until()).exit_code == 0
    now = json.loads(run("can-share", "RVD-1", "--to", "smi", "--json").stdout)
    assert now["decision"] == "denied"
    args = ("--as-of", first["as_of"], "--basis", first["basis"], "--json")
    replay = run("can-share", "RVD-1", "--to", "smi", *args)
    assert replay.exit_code == 0, replay.stderr
    again = json.loads(replay.stdout)
    assert untimed(again) == untimed(first)
    assert again["as_of"] == first["as_of"]
    assert again["known_at"] <= first["as_of"]
    # The batch replays the same way, row by row.
    row = json.dumps({"item": "RVD-1", "to": "smi", "as_of": first["as_of"],
                      "basis": first["basis"]})  # fmt: skip
    batch = run("can-share", "--batch", "-", "--json", input=row + "\n")
    assert batch.exit_code == 0
    answer = json.loads(batch.stdout)
    assert untimed({k: v for k, v in answer.items() if k not in ("row", "error")}) == untimed(first)


def test_a_basis_leaves_out_what_was_recorded_after_it(run: Run, db: Location) -> None:
    before = head(db)
    assert run("can-share", "RVD-2", "--to", "smi").exit_code == 1
    assert run("consent", "RVD-2", "--to", "smi", "--until", until()).exit_code == 0
    moment = utcnow().isoformat()
    assert run("can-share", "RVD-2", "--to", "smi", "--as-of", moment).exit_code == 0
    replay = run("can-share", "RVD-2", "--to", "smi", "--as-of", moment, "--basis", before,
                 "--json")  # fmt: skip
    assert replay.exit_code == 1
    assert json.loads(replay.stdout)["reasons"][0]["code"] == "no_consent"


def test_a_recorded_transfer_carries_its_basis(run: Run, db: Location) -> None:
    before = head(db)
    assert run("share", "RVD-1", "--to", "smi").exit_code == 0
    transfer = json.loads(run("transfers", "--json").stdout)[0]
    assert transfer["decision"]["basis"] == before
    replay = run("can-share", "RVD-1", "--to", "smi", "--as-of", transfer["transferred_at"],
                 "--basis", before, "--json")  # fmt: skip
    assert untimed(json.loads(replay.stdout)) == untimed(transfer["decision"])


def test_basis_refusals(run: Run, db: Location) -> None:
    alone = run("can-share", "RVD-1", "--to", "smi", "--basis", head(db))
    assert (alone.exit_code, alone.stderr) == (2, (
        "Error: --basis replays a decision as of the moment it answered for; give that moment "
        "with --as-of too (its as_of).\n"
    ))  # fmt: skip
    moment = utcnow().isoformat()
    bad = run("can-share", "RVD-1", "--to", "smi", "--as-of", moment, "--basis", "12")
    assert (bad.exit_code, bad.stderr) == (2, (
        "Error: --basis '12' is not a decision's basis; give SEQ:HASH as a decision prints it, "
        "e.g. 41:3fa9c2d1e07b4a55.\n"
    ))  # fmt: skip
    wrong = run("can-share", "RVD-1", "--to", "smi", "--as-of", moment, "--basis",
                "3:0000000000000000")  # fmt: skip
    assert wrong.exit_code == 2
    assert len(wrong.stderr.splitlines()) == 1
    row = json.dumps({"item": "RVD-1", "to": "smi", "basis": head(db)})
    batch = run("can-share", "--batch", "-", "--json", input=row + "\n")
    assert batch.exit_code == 2
    assert json.loads(batch.stdout)["error"] == (
        "Row 1: field 'basis' replays a decision as of its moment; give that moment in 'as_of' too."
    )


def test_service_name_is_aivd_or_mivd(
    run: Run, db: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEGINGS_SERVICE", "mivd")
    data = json.loads(run("can-share", "RVD-1", "--to", "smi", "--json").stdout)
    assert any("MIVD" in c for c in data["conditions"])
    assert not any("AIVD" in c for c in data["conditions"])
    monkeypatch.setenv("WEGINGS_SERVICE", "BVD")
    refused = run("can-share", "RVD-1", "--to", "smi")
    assert (refused.exit_code, refused.stderr) == (2, (
        "Error: WEGINGS_SERVICE is 'BVD'; set it to AIVD or MIVD (our own service), or unset it "
        "for AIVD.\n"
    ))  # fmt: skip


def test_a_denied_answer_lists_no_conditions_to_carry(run: Run, db: Location) -> None:
    denied = run("can-share", "RVD-1", "--to", "bsv")
    assert denied.exit_code == 1
    assert "Conditions the transfer must carry" not in denied.stdout
    assert json.loads(run("can-share", "RVD-1", "--to", "bsv", "--json").stdout)["conditions"]
    allowed = run("can-share", "RVD-1", "--to", "smi")
    assert "Conditions the transfer must carry" in allowed.stdout


def test_the_empty_trail_as_basis_replays_nothing_on_record(run: Run, db: Location) -> None:
    moment = utcnow().isoformat()
    single = run("can-share", "RVD-1", "--to", "smi", "--as-of", moment, "--basis", "0:00000000")
    assert single.exit_code == 2, single.output
    assert single.stderr.startswith("Error: Item rvd/RVD-1 was registered only on")
    rows = [
        json.dumps({"item": "RVD-1", "to": "smi", "as_of": moment, "basis": "0:00000000"}),
        json.dumps({"item": "RVD-1", "to": "smi"}),
    ]
    batch = run("can-share", "--batch", "-", "--json", input="\n".join(rows) + "\n")
    answers = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [a.get("decision") or "error" for a in answers] == ["error", "allowed"]
    assert batch.exit_code == 2


@pytest.mark.parametrize("seq", ["²", "١٣", "0x1", "-1", "1.0"])
def test_a_basis_takes_ascii_digits_only(run: Run, db: Location, seq: str) -> None:
    moment = utcnow().isoformat()
    result = run("can-share", "RVD-1", "--to", "smi", "--as-of", moment,
                 "--basis", f"{seq}:00000000")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Error: --basis '{seq}:00000000' is not a decision's basis; give SEQ:HASH as a decision "
        "prints it, e.g. 41:3fa9c2d1e07b4a55.\n"
    )
    anchor = run("audit", "verify", "--expect", f"{seq}:00000000")
    assert anchor.exit_code == 2, anchor.output


def test_as_of_before_the_basis_event_is_refused(run: Run, db: Location) -> None:
    earlier = utcnow().isoformat()
    assert run("flag", "smi", "--reason", "Politieke onrust").exit_code == 0
    basis = head(db)
    result = run("can-share", "RVD-1", "--to", "smi", "--as-of", earlier, "--basis", basis)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: --as-of {earlier[:19]}")
    assert f"lies before the basis {basis}, recorded at" in result.stderr


def test_the_empty_anchor_holds_for_every_intact_trail(run: Run, db: Location) -> None:
    result = run("audit", "verify", "--expect", "0:00000000")
    assert result.exit_code == 0, result.output


def test_a_bad_basis_in_a_batch_is_an_error_for_its_row_only(run: Run, db: Location) -> None:
    moment = utcnow().isoformat()
    seq, digest = head(db).split(":")
    other = ("1" if digest[0] == "0" else "0") + digest[1:8]
    ahead = int(seq) + 5
    bases = ["12", f"{seq}:{other}", f"{ahead}:00000000", head(db)]
    expected_errors = [
        "--basis '12' is not a decision's basis; give SEQ:HASH as a decision prints it, "
        "e.g. 41:3fa9c2d1e07b4a55.",
        f"Basis {seq}:{other} does not match the audit trail: event {seq} has another hash "
        "(rewritten?)",
        f"Basis {ahead}:00000000 does not match the audit trail: there is no event {ahead}, the "
        f"trail ends at event {seq} (removed?)",
        None,
    ]
    lines = [
        json.dumps({"item": "RVD-1", "to": "smi", "as_of": moment, "basis": basis})
        for basis in bases
    ]
    batch = run("can-share", "--batch", "-", "--json", input="\n".join(lines) + "\n")
    answers = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [(a["row"], a["decision"], a["error"]) for a in answers] == [
        (1, "error", expected_errors[0]),
        (2, "error", expected_errors[1]),
        (3, "error", expected_errors[2]),
        (4, "allowed", None),
    ]
    assert batch.exit_code == 2
    assert batch.stderr.startswith(
        "Checked 4 rows: 1 allowed, 0 need permission, 0 denied, 3 errors ("
    )
    csv = "item,to,as_of,basis\n" + "".join(f"RVD-1,smi,{moment},{b}\n" for b in bases)
    table = run("can-share", "--batch", "-", input=csv)
    assert table.exit_code == 2, table.output
    outcomes = [line.split()[:2] for line in table.stdout.splitlines()[1:]]
    assert outcomes == [["1", "error"], ["2", "error"], ["3", "error"], ["4", "allowed"]]
