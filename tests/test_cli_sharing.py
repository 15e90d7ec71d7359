"""The third-party rule through the CLI: exit codes, exact messages, nothing written on refusal.

The partners and their notes are set up in the core a day before the real clock, since the
commands themselves run at the current time.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import Run, sql
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.timeutil import local_day, utcnow

SUMMARY = re.compile(
    r"Checked (\d+) rows?: (\d+) allowed, (\d+) need permission, (\d+) denied, (\d+) errors?"
    r" \([\d,]+ checks/s\)\.\n"
)


@pytest.fixture
def db(location: Location, migrated_db: Location) -> Location:
    """rvd (CTG, standaard), smi (CTG, verhoogd), bsv (flagged, no note), and three items."""
    base = utcnow() - timedelta(days=1)
    world(location, base)
    later = base + timedelta(hours=1)
    add_item(location, "RVD-1", "rvd", now=later, tags=["ct"])
    add_item(location, "AIVD-1", "self", now=later, personal_data=True)
    add_item(location, "AIVD-2", "self", now=later, unevaluated=True)
    return location


def events(db: Location) -> int:
    (count,) = sql(db, "SELECT count(*) FROM audit_event")[0]
    assert isinstance(count, int)
    return count


def until() -> str:
    return (utcnow() + timedelta(days=90)).date().isoformat()


# --------------------------------------------------------------------------- items


def test_new_item_prints_its_handle(run: Run, db: Location) -> None:
    result = run(
        "new-item", "SMI-7", "--originator", "smi", "--received-from", "rvd", "--tag", "CT"
    )
    assert result.exit_code == 0
    assert result.stdout == "smi/SMI-7\n"
    assert result.stderr == "Registered item smi/SMI-7 from smi received from rvd.\n"
    clash = run("new-item", "SMI-7", "--originator", "self", "--personal-data")
    assert (clash.exit_code, clash.stdout) == (0, "self/SMI-7\n")
    assert clash.stderr == "Registered item self/SMI-7 from self.\n"


def test_new_item_refusals_write_nothing(run: Run, db: Location) -> None:
    before = events(db)
    duplicate = run("new-item", "RVD-1", "--originator", "rvd", "--received-from", "rvd")
    assert duplicate.exit_code == 1
    assert duplicate.stderr == (
        "Error: Item rvd/RVD-1 exists already; a reference is unique per originator. "
        "See `wegings items --originator rvd`.\n"
    )
    missing = run("new-item", "RVD-2", "--originator", "rvd")
    assert missing.exit_code == 2
    assert missing.stderr == (
        "Error: An item from rvd needs --received-from PARTNER: the service we got it from.\n"
    )
    unknown = run("new-item", "X", "--originator", "rdv", "--received-from", "rvd")
    assert unknown.exit_code == 2
    assert unknown.stderr == "Error: No partner 'rdv'. Did you mean: rvd? See `wegings partners`.\n"
    bad_date = run("new-item", "X", "--originator", "self", "--date", "29-11-2026")
    assert bad_date.exit_code == 2
    assert bad_date.stderr == (
        "Error: --date '29-11-2026' is not an ISO date; use e.g. 2026-11-29.\n"
    )
    assert events(db) == before


def test_items_json_and_table(run: Run, db: Location) -> None:
    data = json.loads(run("items", "--json").stdout)
    assert [i["handle"] for i in data] == ["rvd/RVD-1", "self/AIVD-1", "self/AIVD-2"]
    assert [i["ref"] for i in json.loads(run("items", "--tag", "ct", "--json").stdout)] == ["RVD-1"]
    table = run("items", "--originator", "self")
    assert table.exit_code == 0
    assert "AIVD-1" in table.stdout
    assert "RVD-1" not in table.stdout
    none = run("items", "--tag", "cyber")
    assert (none.exit_code, none.stdout) == (0, "")
    assert none.stderr == "No items found. Register one with `wegings new-item`.\n"


# --------------------------------------------------------------------------- consents


def test_consent_revoke_and_list(run: Run, db: Location) -> None:
    result = run(
        "consent",
        "RVD-1",
        "--to",
        "smi",
        "--purpose",
        "CT",
        "--until",
        until(),
        "--condition",
        "Parafraseren",
        "--reference",
        "RVD-C-1",
    )
    assert result.exit_code == 0
    assert result.stdout == "1\n"
    assert result.stderr == "Recorded consent #1 from rvd for us to pass item RVD-1 to smi.\n"
    standing = run(
        "consent", "--tag", "ct", "--originator", "rvd", "--to", "ctg", "--until", until()
    )
    assert standing.stdout == "2\n"
    assert standing.stderr == (
        "Recorded consent #2 from rvd for us to pass items of rvd tagged ct to ctg.\n"
    )
    ours = run("consent", "AIVD-1", "--holder", "rvd", "--to", "smi", "--until", until())
    assert ours.stderr == "Recorded consent #3 from self for rvd to pass item AIVD-1 to smi.\n"
    listed = json.loads(run("consents", "--item", "RVD-1", "--json").stdout)
    assert [(c["id"], c["status"]) for c in listed] == [(1, "valid"), (2, "valid")]
    revoked = run("revoke", "#1", "--reason", "Brief van RVD")
    assert (revoked.exit_code, revoked.stderr) == (0, "Revoked consent #1 from now on.\n")
    assert json.loads(run("consents", "--json").stdout)[0]["status"] == "revoked"
    before = events(db)
    again = run("revoke", "1", "--reason", "Nog eens")
    assert again.exit_code == 1
    assert again.stderr.startswith("Error: Consent #1 was revoked already on ")
    assert run("revoke", "9", "--reason", "x").stderr == (
        "Error: No consent #9. See `wegings consents`.\n"
    )
    bad = run("revoke", "één", "--reason", "x")
    assert bad.exit_code == 2
    assert bad.stderr == "Error: Consent id 'één' is not a number; see `wegings consents`.\n"
    assert events(db) == before
    table = run("consents")
    assert table.exit_code == 0
    assert "Parafraseren" in table.stdout


def test_consent_refusals(run: Run, db: Location) -> None:
    before = events(db)
    cases = [
        (
            ("consent", "--tag", "ct", "--originator", "rvd", "--to", "ctg"),
            2,
            "Error: A standing consent (--tag) must have an end date: give --until DATE.\n",
        ),
        (
            ("consent", "AIVD-1", "--to", "rvd"),
            1,
            "Error: Item self/AIVD-1 is our own; we need no consent to pass on our own items.\n",
        ),
        (("consent", "NOPE", "--to", "rvd"), 2, "Error: No item 'NOPE'. See `wegings items`.\n"),
        (
            ("consent", "RVD-1", "--to", "smi", "--until", "2026-13-01"),
            2,
            "Error: --until '2026-13-01': no such month; a month is 01 to 12.\n",
        ),
    ]
    for args, code, message in cases:
        result = run(*args)
        assert (result.exit_code, result.stderr) == (code, message), args
    missing_to = run("consent", "RVD-1")
    assert missing_to.exit_code == 2
    assert "Missing option '--to'" in missing_to.stderr
    assert events(db) == before


# --------------------------------------------------------------------------- permissions


def test_permit(run: Run, db: Location) -> None:
    before = events(db)
    refused = run(
        "permit",
        "--granted-by",
        "mr. A. Minister",
        "AIVD-2",
        "--to",
        "rvd",
        "--role",
        "dg",
        "--until",
        until(),
        "--reason",
        "x",
    )
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: Item self/AIVD-2 is unevaluated data: only the minister may permit passing it "
        "on (--role minister).\n"
    )
    unnotified = run(
        "permit",
        "--granted-by",
        "mr. A. Minister",
        "AIVD-2",
        "--to",
        "rvd",
        "--role",
        "minister",
        "--until",
        until(),
        "--reason",
        "x",
    )
    assert unnotified.exit_code == 1
    assert unnotified.stderr == (
        "Error: Item self/AIVD-2 is unevaluated data: the CTIVD must be notified of the "
        "permission; record it with --ctivd-notified once that is done.\n"
    )
    assert events(db) == before
    granted = run(
        "--as",
        "minister.bz",
        "permit",
        "--granted-by",
        "mr. A. Minister",
        "AIVD-2",
        "--to",
        "rvd",
        "--role",
        "minister",
        "--until",
        until(),
        "--reason",
        "Besluit 2026/3",
        "--ctivd-notified",
    )
    assert granted.exit_code == 0
    assert granted.stdout == "1\n"
    assert granted.stderr == (
        f"Recorded permission #1 by the minister (mr. A. Minister) for item self/AIVD-2 to rvd "
        f"until {until()}.\n"
    )
    assert run("can-share", "AIVD-2", "--to", "rvd").exit_code == 0


# --------------------------------------------------------------------------- can-share


def test_can_share_exit_codes(run: Run, db: Location) -> None:
    assert run("can-share", "AIVD-1", "--to", "rvd").exit_code == 0
    assert run("can-share", "RVD-1", "--to", "smi").exit_code == 1
    assert run("can-share", "AIVD-1", "--to", "smi").exit_code == 3
    unknown = run("can-share", "AIVD-1", "--to", "nobody")
    assert unknown.exit_code == 2
    assert unknown.stderr == (
        "Error: No partner or group 'nobody'. Known: bsv, ctg, rvd, smi. See `wegings partners`.\n"
    )
    usage = run("can-share", "AIVD-1")
    assert usage.exit_code == 2
    assert usage.stderr == "Error: Give an ITEM and --to RECIPIENT, or --batch FILE.\n"
    bad_moment = run("can-share", "AIVD-1", "--to", "rvd", "--as-of", "gisteren")
    assert bad_moment.exit_code == 2
    assert bad_moment.stderr == (
        "Error: --as-of 'gisteren' is not an ISO date or date-time; use e.g. 2026-11-29 or "
        "2026-11-29T14:30+01:00.\n"
    )


def test_can_share_json_and_table(run: Run, db: Location) -> None:
    result = run("can-share", "AIVD-1", "--to", "ctg", "--purpose", "CT", "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert list(data) == [
        "decision", "item", "to", "holder", "purpose", "as_of", "basis", "reasons", "conditions",
        "members",
    ]  # fmt: skip
    assert re.fullmatch(r"\d+:[0-9a-f]{16}", data["basis"])
    assert (data["decision"], data["item"], data["to"], data["purpose"]) == (
        "needs_permission",
        "self/AIVD-1",
        "ctg",
        "CT",
    )
    assert list(data["reasons"][0]) == ["code", "message", "rule", "effect", "ref", "member"]
    assert [(m["member"], m["decision"]) for m in data["members"]] == [
        ("rvd", "allowed"),
        ("smi", "needs_permission"),
    ]
    # Every condition any member's provision carries: the notes' conditions of rvd and smi too.
    assert data["conditions"] == [
        "Not to be passed on to third parties without the consent of AIVD",
        "Geen verdere verstrekking zonder toestemming van de AIVD.",
        "State the reliability and the age of the personal data",
        "Persoonsgegevens alleen na toestemming per verstrekking.",
        "Geen gegevens die tot vervolging wegens politieke activiteiten kunnen leiden.",
    ]
    table = run("can-share", "RVD-1", "--to", "smi")
    assert table.exit_code == 1
    assert "needs_permission" not in table.stdout
    assert "no_consent" in table.stdout
    assert "missing: consent from rvd to self for smi" in table.stdout
    assert table.stderr == ""


def test_as_of_before_and_after_a_revocation(run: Run, db: Location) -> None:
    run("consent", "RVD-1", "--to", "smi", "--until", until())
    before = utcnow().isoformat()
    run("revoke", "1", "--reason", "Brief")
    now = run("can-share", "RVD-1", "--to", "smi", "--json")
    then = run("can-share", "RVD-1", "--to", "smi", "--as-of", before, "--json")
    assert (now.exit_code, then.exit_code) == (1, 0)
    assert json.loads(now.stdout)["reasons"][0]["code"] == "consent_revoked"
    assert json.loads(then.stdout)["reasons"][0]["code"] == "consent_present"


def test_as_of_before_an_establishment(run: Run, db: Location) -> None:
    from tests.sharing_world import add_partner, establish_note

    add_partner(db, "lat", now=utcnow() - timedelta(hours=5))
    establish_note(db, "lat", "standaard", now=utcnow() - timedelta(hours=2))
    earlier = (utcnow() - timedelta(hours=3)).isoformat()
    assert run("can-share", "AIVD-2", "--to", "lat", "--as-of", earlier).exit_code == 1
    data = json.loads(run("can-share", "AIVD-2", "--to", "lat", "--json").stdout)
    assert [r["code"] for r in data["reasons"]] == [
        "originator_is_party",
        "note_in_force",
        "form_permitted",
        "permission_required_unevaluated",
    ]


@pytest.mark.sqlite_only(reason="a read-only copy of the database file")
def test_can_share_works_on_a_read_only_copy(run: Run, db: Location, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    assert db.path is not None
    shutil.copyfile(db.path, copy)
    copy.chmod(0o444)
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    result = run("can-share", "AIVD-1", "--to", "rvd", "--json", db=copy)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    # A file is no standby: the answer is as of the file itself, and says nothing of a lag.
    assert answer["decision"] == "allowed"
    assert "standby" not in answer
    batch = tmp_path / "rows.csv"
    batch.write_text("item,to\nAIVD-1,rvd\n", encoding="utf-8")
    assert run("can-share", "--batch", str(batch), db=copy).exit_code == 0
    # As root the mode bits do not stop a write, so check that nothing was written.
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == digest


# --------------------------------------------------------------------------- batch


def test_batch_csv_table(run: Run, db: Location, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("item,to\nAIVD-1,rvd\nAIVD-1,smi\nRVD-1,smi\nNOPE,rvd\n", encoding="utf-8")
    result = run("can-share", "--batch", str(rows))
    assert result.exit_code == 2
    cells = [
        ("ROW", "DECISION", "ITEM", "TO", "DETAIL"),
        ("1", "allowed", "self/AIVD-1", "rvd", ""),
        ("2", "needs_permission", "self/AIVD-1", "smi", "permission_required_risk"),
        ("3", "denied", "rvd/RVD-1", "smi", "no_consent"),
        ("4", "error", "NOPE", "rvd", "No item 'NOPE'. See `wegings items`."),
    ]
    assert result.stdout.splitlines() == [
        f"{row:<6}  {outcome:<16}  {item:<28}  {to:<10}  {detail}".rstrip()
        for row, outcome, item, to, detail in cells
    ]
    match = SUMMARY.fullmatch(result.stderr)
    assert match is not None, result.stderr
    assert match.groups() == ("4", "1", "1", "1", "1")


def test_a_dutch_excel_file_is_checked(run: Run, db: Location, tmp_path: Path) -> None:
    rows = tmp_path / "controle.csv"
    # What Excel in Dutch saves as "CSV UTF-8 (gescheiden door lijstscheidingsteken)".
    rows.write_bytes("\ufeffitem;to\r\nAIVD-1;rvd\r\nRVD-1;smi\r\n".encode())
    result = run("can-share", "--batch", str(rows), "--json")
    assert result.exit_code == 1, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["row"], a["item"], a["to"], a["decision"]) for a in answers] == [
        (1, "self/AIVD-1", "rvd", "allowed"),
        (2, "rvd/RVD-1", "smi", "denied"),
    ]


def test_batch_json_lines_from_stdin(run: Run, db: Location) -> None:
    lines = (
        '{"item": "AIVD-1", "to": "rvd"}\n'
        '{"item": "AIVD-1", "to": "smi", "holder": null}\n'
        '{"item": "RVD-1", "to": "bsv"}\n'
    )
    result = run("can-share", "--batch", "-", "--json", input=lines)
    assert result.exit_code == 1  # denied is worse than needs permission
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["row"], a["decision"], a["error"]) for a in answers] == [
        (1, "allowed", None),
        (2, "needs_permission", None),
        (3, "denied", None),
    ]
    assert SUMMARY.fullmatch(result.stderr) is not None
    only_allowed = run("can-share", "--batch", "-", input="item,to\nAIVD-1,rvd\n")
    assert only_allowed.exit_code == 0
    needs = run("can-share", "--batch", "-", input="item,to\nAIVD-1,rvd\nAIVD-1,smi\n")
    assert needs.exit_code == 3


def test_batch_usage_errors(run: Run, db: Location, tmp_path: Path) -> None:
    mixed = run("can-share", "AIVD-1", "--batch", "-", input="item,to\n")
    assert mixed.exit_code == 2
    assert mixed.stderr == "Error: --batch takes every field from the file; leave out ITEM.\n"
    missing = run("can-share", "--batch", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2
    assert missing.stderr == (
        f"Error: Cannot read the batch file {tmp_path / 'nope.csv'}: No such file or directory.\n"
    )
    empty = run("can-share", "--batch", "-", input="")
    assert empty.exit_code == 2
    assert empty.stderr == (
        "Error: The batch has no rows; give a header line and one row per check.\n"
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes("item,to\nCAFÉ,rvd\n".encode("latin-1"))
    undecodable = run("can-share", "--batch", str(latin), "--json")
    assert undecodable.exit_code == 2
    assert undecodable.stderr == (
        "Error: The batch is not UTF-8 text (after row 0); save it as UTF-8.\n"
    )


# --------------------------------------------------------------------------- share, transfers


def test_share_records_only_what_is_allowed(run: Run, db: Location) -> None:
    before = events(db)
    denied = run("share", "RVD-1", "--to", "smi")
    assert denied.exit_code == 1
    assert denied.stderr == (
        "Error: Item rvd/RVD-1 may not be passed to smi now (denied): No consent from rvd to "
        "AIVD covers item rvd/RVD-1 for smi or any group it belongs to (ctg); the third-party "
        "rule forbids passing it on. Nothing was recorded.\n"
    )
    needs = run("share", "AIVD-1", "--to", "smi", "--reliability", "B2", "--age", "2025")
    assert needs.exit_code == 3
    assert needs.stderr.startswith(
        "Error: Item self/AIVD-1 may not be passed to smi now (needs permission): "
    )
    statements = run("share", "AIVD-1", "--to", "rvd", "--age", "2025")
    assert statements.exit_code == 2
    assert statements.stderr == (
        "Error: Item self/AIVD-1 holds personal data: state the reliability (--reliability) "
        "and the age (--age) of the data; nothing was recorded.\n"
    )
    assert events(db) == before
    shared = run(
        "share",
        "AIVD-1",
        "--to",
        "rvd",
        "--purpose",
        "CT",
        "--reliability",
        "B2",
        "--age",
        "Oktober 2025",
    )
    assert shared.exit_code == 0
    assert shared.stdout == "1\n"
    # The decision read the trail as it was before the transfer's own event.
    head = sql(db, "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1 OFFSET 1")[0]
    basis = f"{head[0]}:{str(head[1])[:16]}"
    assert shared.stderr == (
        "Recorded transfer #1: item self/AIVD-1 to rvd. It must carry these conditions: "
        "(1) Not to be passed on to third parties without the consent of AIVD. "
        "(2) Geen verdere verstrekking zonder toestemming van de AIVD. "
        f"(3) State the reliability and the age of the personal data. Basis: {basis}.\n"
    )
    assert events(db) == before + 1
    data = json.loads(run("transfers", "--to", "rvd", "--json").stdout)
    assert [(t["id"], t["item"], t["to"], t["reliability"]) for t in data] == [
        (1, "self/AIVD-1", "rvd", "B2")
    ]
    assert data[0]["decision"]["decision"] == "allowed"
    assert json.loads(run("transfers", "--to", "smi", "--json").stdout) == []
    assert "AIVD-1" in run("transfers").stdout
    today = local_day(utcnow())
    tomorrow = today + timedelta(days=1)
    for args, found in [
        (("--item", "AIVD-1"), [1]),
        (("--item", "RVD-1"), []),
        (("--since", today.isoformat(), "--until", today.isoformat()), [1]),
        (("--since", tomorrow.isoformat()), []),
        (("--until", (today - timedelta(days=1)).isoformat()), []),
    ]:
        listed = run("transfers", *args, "--json")
        assert listed.exit_code == 0, listed.output
        assert [t["id"] for t in json.loads(listed.stdout)] == found, args
    backwards = run("transfers", "--since", tomorrow.isoformat(), "--until", today.isoformat())
    assert (backwards.exit_code, backwards.stderr) == (
        2,
        f"Error: --until {today.isoformat()} lies before --since {tomorrow.isoformat()}.\n",
    )
    assert run("audit", "verify").exit_code == 0


def test_show_includes_consents_and_transfers(run: Run, db: Location) -> None:
    run("consent", "--tag", "ct", "--originator", "rvd", "--to", "ctg", "--until", until())
    run("share", "RVD-1", "--to", "smi")
    shown = run("show", "smi")
    assert shown.exit_code == 0
    assert "Consents it gave, holds or receives" in shown.stdout
    assert "Transfers to it" in shown.stdout
    data = json.loads(run("show", "smi", "--json").stdout)
    assert [c["tag"] for c in data["consents"]] == ["ct"]
    assert [t["item"] for t in data["transfers"]] == ["rvd/RVD-1"]
    assert run("audit", "verify").stdout.startswith("Audit trail intact")


@pytest.mark.sqlite_only(reason="a database file that is not there")
def test_an_unreadable_database_is_an_error_never_a_denial(run: Run, tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    result = run("can-share", "X", "--to", "rvd", db=missing)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: No database at {missing} yet. The first command that records something "
        "creates it, e.g. `wegings new-partner`.\n"
    )
    batch = run("can-share", "--batch", "-", input="item,to\nX,rvd\n", db=missing)
    assert batch.exit_code == 2
    assert not missing.exists()
