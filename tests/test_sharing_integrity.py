"""Records changed behind wegings' back never read as answers: stored values of the wrong
form or type, and records deleted, added or altered outside wegings.

Each corruption is made as a user of the database's shell (sqlite3, psql) would, then asked
through the CLI: a single check exits 2 with one line naming the record; a batch (CSV and JSON
Lines) gives an error row for each check relying on it and goes on; `share` refuses and writes
nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import Run, sql
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.timeutil import utcnow

HINT = "run `wegings audit verify`."
CHANGED = f"the record was changed outside wegings; {HINT}"


def until() -> str:
    return (utcnow() + timedelta(days=90)).date().isoformat()


@pytest.fixture
def db(location: Location, run: Run, migrated_db: Location) -> Location:
    """rvd (CTG, standaard), smi (CTG, verhoogd), bsv (flagged); items, a consent, a permit.

    Ids: items rvd/RVD-1 #1, self/AIVD-1 #2 (personal data), self/AIVD-2 #3 (unevaluated);
    consent #1 from rvd to us for RVD-1 to smi, revoked; consent #2 the same to rvd;
    permission #1 for AIVD-2 to rvd.
    """
    base = utcnow() - timedelta(days=1)
    world(location, base)
    later = base + timedelta(hours=1)
    add_item(location, "RVD-1", "rvd", now=later, tags=["ct"])
    add_item(location, "AIVD-1", "self", now=later, personal_data=True)
    add_item(location, "AIVD-2", "self", now=later, unevaluated=True)
    assert run("consent", "RVD-1", "--to", "smi", "--until", until()).exit_code == 0
    assert run("revoke", "#1", "--reason", "Brief van RVD").exit_code == 0
    assert run("consent", "RVD-1", "--to", "bsv", "--until", until()).exit_code == 0
    granted = run(
        "--as", "minister.bz", "permit", "--granted-by", "mr. A. Minister", "AIVD-2",
        "--to", "rvd", "--role", "minister",
        "--until", until(), "--reason", "Besluit 2026/3", "--ctivd-notified",
    )  # fmt: skip
    assert granted.exit_code == 0, granted.output
    return location


def counts(db: Location) -> tuple[int, int]:
    """(audit events, transfers)."""
    events = sql(db, "SELECT count(*) FROM audit_event")[0][0]
    transfers = sql(db, "SELECT count(*) FROM transfer")[0][0]
    return int(events), int(transfers)  # type: ignore[call-overload]


# (name, SQL, the check that relies on it, its answer before, the error line after)
CORRUPTIONS = [
    (
        "bool ''",
        "UPDATE item SET personal_data = '' WHERE id = 2",
        ("self/AIVD-1", "smi"),
        3,
        f"Item self/AIVD-1 (#2) holds an unreadable value in personal_data ('') — {CHANGED}",
    ),
    (
        "bool 'false'",
        "UPDATE item SET personal_data = 'false' WHERE id = 2",
        ("self/AIVD-1", "smi"),
        3,
        f"Item self/AIVD-1 (#2) holds an unreadable value in personal_data ('false') — {CHANGED}",
    ),
    (
        "bool 2",
        "UPDATE item SET unevaluated = 2 WHERE id = 3",
        ("self/AIVD-2", "rvd"),
        0,
        f"Item self/AIVD-2 (#3) holds an unreadable value in unevaluated (2) — {CHANGED}",
    ),
    (
        "ctivd_notified 'false'",
        "UPDATE permission SET ctivd_notified = 'false' WHERE id = 1",
        ("self/AIVD-2", "rvd"),
        0,
        f"Permission #1 holds an unreadable value in ctivd_notified ('false') — {CHANGED}",
    ),
    (
        "malformed date",
        "UPDATE consent SET valid_until = '2027-02-30 00:00:00.000000' WHERE id = 2",
        ("RVD-1", "bsv"),
        1,
        "Consent #2 holds an unreadable value in valid_until ('2027-02-30 00:00:00.000000') "
        f"— {CHANGED}",
    ),
    (
        "date without microseconds",
        "UPDATE consent SET recorded_at = substr(recorded_at, 1, 19) WHERE id = 2",
        ("RVD-1", "bsv"),
        1,
        None,  # the message quotes the stored time; checked by its start
    ),
    (
        "unknown profile",
        "UPDATE note_version SET profile = 'onbekend' WHERE partner_id = 2",
        ("self/AIVD-2", "smi"),
        1,
        "Note v1 of smi (#2) no longer matches its audit event — it was changed outside "
        f"wegings; {HINT}",
    ),
    (
        "bad forms JSON",
        "UPDATE note_version SET forms = '[\"personal_data\"' WHERE partner_id = 1",
        ("self/AIVD-1", "rvd"),
        0,
        "Note v1 of rvd (#1) no longer matches its audit event — it was changed outside "
        f"wegings; {HINT}",
    ),
    (
        "deleted revocation",
        "DELETE FROM consent_revocation",
        ("RVD-1", "smi"),
        1,
        "consent_revocation: 0 records but 1 audit event — a record was deleted outside "
        f"wegings; {HINT}",
    ),
    (
        "altered consent recipient",
        "UPDATE consent SET recipient = 'rvd' WHERE id = 2",
        ("self/AIVD-1", "rvd"),  # an answer on its own records, but the snapshot is unsound
        0,
        None,
    ),
    (
        "altered consent recipient relied on",
        "UPDATE consent SET recipient = 'smi' WHERE id = 2",
        ("RVD-1", "smi"),
        1,
        f"Consent #2 no longer matches its audit event — it was changed outside wegings; {HINT}",
    ),
    (
        "inserted consent",
        "INSERT INTO consent (originator, holder, recipient, item_id, tag, purpose, valid_from, "
        "valid_until, conditions, reference, recorded_at, recorded_by) SELECT originator, holder, "
        "'smi', item_id, tag, purpose, valid_from, valid_until, conditions, reference, "
        "recorded_at, recorded_by FROM consent WHERE id = 2",
        ("RVD-1", "smi"),
        1,
        f"consent: 3 records but 2 audit events — a record was added outside wegings; {HINT}",
    ),
]
LOOSELY_TYPED = pytest.mark.sqlite_only(
    reason="PostgreSQL's typed columns refuse this value, or read it as a valid one"
)
ONLY_SQLITE_TAKES = {
    "bool ''",
    "bool 'false'",
    "bool 2",
    "ctivd_notified 'false'",
    "malformed date",
    "date without microseconds",
}
"""The corruptions only SQLite's loose typing lets in: '' or 2 in a boolean, a February 30th."""


@pytest.mark.parametrize(
    ("name", "statement", "check", "before", "message"),
    [
        pytest.param(*c, id=c[0], marks=[LOOSELY_TYPED] if c[0] in ONLY_SQLITE_TAKES else [])
        for c in CORRUPTIONS
    ],
)
def test_a_single_check_on_a_corrupted_record_is_an_error(
    run: Run,
    db: Location,
    name: str,
    statement: str,
    check: tuple[str, str],
    before: int,
    message: str | None,
) -> None:
    item, to = check
    assert run("can-share", item, "--to", to).exit_code == before
    sql(db, statement)
    if message is None and name == "altered consent recipient":
        # Not relied on by this check, yet the snapshot no longer matches: still no allow
        # built on it when it is read, and a check that reads it is an error.
        relied = run("can-share", "RVD-1", "--to", "rvd")
        assert relied.exit_code == 2
        assert relied.stderr == (
            f"Error: Consent #2 no longer matches its audit event — it was changed outside "
            f"wegings; {HINT}\n"
        )
        return
    for extra in ((), ("--json",), ("--as-of", utcnow().isoformat())):
        result = run("can-share", item, "--to", to, *extra)
        assert result.exit_code == 2, (extra, result.output)
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1
        if message is not None:
            assert result.stderr == f"Error: {message}\n"
        else:
            assert result.stderr.startswith("Error: Consent #2 holds an unreadable value in ")


@LOOSELY_TYPED
def test_a_batch_gives_an_error_row_and_goes_on(run: Run, db: Location) -> None:
    """A corrupt note of smi makes only the checks to smi (and its group) errors."""
    sql(db, "UPDATE note_version SET profile = 'onbekend' WHERE partner_id = 2")
    sql(db, "UPDATE item SET personal_data = '' WHERE id = 2")
    rows = [
        ("self/AIVD-2", "smi"),
        ("self/AIVD-2", "rvd"),
        ("self/AIVD-1", "rvd"),
        ("self/AIVD-2", "ctg"),
        ("RVD-1", "bsv"),
    ]
    csv_text = "item,to\n" + "".join(f"{i},{t}\n" for i, t in rows)
    jsonl_text = "".join(json.dumps({"item": i, "to": t}) + "\n" for i, t in rows)
    smi = (
        "Note v1 of smi (#2) no longer matches its audit event — it was changed outside "
        f"wegings; {HINT}"
    )
    item = f"Item self/AIVD-1 (#2) holds an unreadable value in personal_data ('') — {CHANGED}"
    for text in (csv_text, jsonl_text):
        result = run("can-share", "--batch", "-", "--json", input=text)
        assert result.exit_code == 2
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(a["row"], a["decision"], a["error"]) for a in answers] == [
            (1, "error", smi),
            (2, "allowed", None),
            (3, "error", item),
            (4, "error", smi),
            (5, "denied", None),
        ]
        assert result.stderr.startswith(
            "Checked 5 rows: 1 allowed, 0 need permission, 1 denied, 3 errors"
        )
    table = run("can-share", "--batch", "-", input=csv_text)
    assert table.exit_code == 2
    line = table.stdout.splitlines()[3]
    assert line.split()[:4] == ["3", "error", "self/AIVD-1", "rvd"]
    assert line.endswith(item)


def test_a_count_mismatch_makes_every_row_an_error(run: Run, db: Location) -> None:
    sql(db, "DELETE FROM consent_revocation")
    result = run("can-share", "--batch", "-", "--json", input="item,to\nRVD-1,smi\nAIVD-2,rvd\n")
    assert result.exit_code == 2
    errors = [json.loads(line)["error"] for line in result.stdout.splitlines()]
    assert (
        errors
        == [
            "consent_revocation: 0 records but 1 audit event — a record was deleted outside "
            f"wegings; {HINT}"
        ]
        * 2
    )


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE item SET personal_data = '' WHERE id = 2", marks=LOOSELY_TYPED),
        "UPDATE item SET personal_data = false WHERE id = 2",
        "DELETE FROM consent_revocation",
        "UPDATE note_version SET forms = '[]' WHERE partner_id = 1",
    ],
)
def test_share_refuses_and_writes_nothing(run: Run, db: Location, statement: str) -> None:
    sql(db, statement)
    before = counts(db)
    result = run("share", "AIVD-1", "--to", "rvd", "--reliability", "B2", "--age", "2025")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.endswith(f"{HINT}\n")
    assert counts(db) == before


def test_a_revocation_moved_to_another_consent_still_counts(run: Run, db: Location) -> None:
    """Re-pointing a revocation keeps every count, but the revoked consent is held to it."""
    sql(db, "UPDATE consent_revocation SET consent_id = 2")
    result = run("can-share", "RVD-1", "--to", "smi")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Revocation #1 of consent #1 of its audit event no longer exists — it was "
        f"deleted outside wegings; {HINT}\n"
    )


def test_a_superseding_note_moved_away_is_blamed_on_both_partners(run: Run, db: Location) -> None:
    sql(db, "UPDATE note_establishment SET partner_id = 2 WHERE partner_id = 1")
    for to in ("rvd", "smi"):
        result = run("can-share", "self/AIVD-2", "--to", to)
        assert result.exit_code == 2
        assert "Establishment #1 of " in result.stderr
        assert result.stderr.endswith(
            f"no longer matches its audit event — it was changed outside wegings; {HINT}\n"
        )
    assert run("can-share", "RVD-1", "--to", "bsv").exit_code == 1  # bsv does not rely on it


@LOOSELY_TYPED
def test_the_same_checks_answer_again_once_the_record_is_restored(run: Run, db: Location) -> None:
    sql(db, "UPDATE item SET personal_data = '' WHERE id = 2")
    assert run("can-share", "self/AIVD-1", "--to", "smi").exit_code == 2
    sql(db, "UPDATE item SET personal_data = true WHERE id = 2")
    assert run("can-share", "self/AIVD-1", "--to", "smi").exit_code == 3
    assert run("audit", "verify").exit_code == 0


def _rewrite_event(db: Location, entity: str, entity_id: int, change: dict[str, object]) -> None:
    """Give the event of one record another snapshot and recompute its own hash, as someone who
    read the source would; the events after it are left as they are."""
    from wegings.store.chain import canonical, chain_hash

    seq, at, actor, action, prev, login = sql(
        db,
        "SELECT seq, at, actor, action, prev_hash, os_login FROM audit_event "
        "WHERE entity = ? AND entity_id = ?",
        entity,
        str(entity_id),
    )[0]
    text = canonical(change)
    moment = str(at).replace(" ", "T") + "Z"
    fields = (str(actor), str(action), entity, str(entity_id), text, str(prev))
    os_login = None if login is None else str(login)
    digest = chain_hash(int(str(seq)), moment, *fields, os_login=os_login)
    sql(db, "UPDATE audit_event SET change = ?, hash = ? WHERE seq = ?", text, digest, seq)


# Tampering with the trail itself, not only with a record (found in review): each made a
# revoked consent count again, or personal data go to a risicodienst without permission.
TRAIL_TAMPERING = [
    (
        "revocation and its event relabelled",
        [
            "DELETE FROM consent_revocation",
            "UPDATE audit_event SET entity = 'revocation_' WHERE entity = 'revocation'",
        ],
        ("rvd/RVD-1", "smi"),
        "The audit trail ends at event {m} but holds {n} events of a known kind: events were "
        f"removed or changed outside wegings; {HINT}",
    ),
    (
        "revocation and its event deleted",
        ["DELETE FROM consent_revocation", "DELETE FROM audit_event WHERE entity = 'revocation'"],
        ("rvd/RVD-1", "smi"),
        "The audit trail ends at event {m} but holds {n} events of a known kind: events were "
        f"removed or changed outside wegings; {HINT}",
    ),
    (
        "item and its snapshot edited alike",
        [
            "UPDATE item SET personal_data = false WHERE id = 2",
            "UPDATE audit_event SET change = replace(change, '\"personal_data\":true', "
            "'\"personal_data\":false') WHERE entity = 'item' AND entity_id = '2'",
        ],
        ("self/AIVD-1", "smi"),
        "Audit event {seq} (item #2) does not match its hash — the audit trail was changed "
        f"outside wegings; {HINT}",
    ),
]


@pytest.mark.parametrize(
    ("sqls", "check", "message"),
    [pytest.param(s, c, m, id=name) for name, s, c, m in TRAIL_TAMPERING],
)
def test_a_tampered_trail_is_an_error_never_an_answer(
    db: Location,
    run: Run,
    sqls: list[str],
    check: tuple[str, str],
    message: str,
) -> None:
    before = run("can-share", check[0], "--to", check[1])
    assert before.exit_code in (1, 3), before.output
    (seq,) = sql(db, "SELECT seq FROM audit_event WHERE entity = 'item' AND entity_id = '2'")[0]
    total = int(sql(db, "SELECT count(*) FROM audit_event")[0][0])  # type: ignore[call-overload]
    for statement in sqls:
        sql(db, statement)
    expected = message.format(seq=seq, n=total - 1, m=total)
    result = run("can-share", check[0], "--to", check[1])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {expected}\n"
    events, transfers = counts(db)
    shared = run("share", check[0], "--to", check[1], "--reliability", "B2", "--age", "2026")
    assert shared.exit_code == 2, shared.output
    assert counts(db) == (events, transfers)


def test_an_event_rehashed_to_match_breaks_the_link_to_the_next(db: Location, run: Run) -> None:
    assert run("can-share", "self/AIVD-1", "--to", "smi").exit_code == 3
    sql(db, "UPDATE item SET personal_data = false WHERE id = 2")
    (change,) = sql(db, "SELECT change FROM audit_event WHERE entity = 'item' AND entity_id = '2'")[
        0
    ]
    snapshot = json.loads(str(change))
    snapshot["personal_data"] = False
    _rewrite_event(db, "item", 2, snapshot)
    (seq,) = sql(db, "SELECT seq FROM audit_event WHERE entity = 'item' AND entity_id = '2'")[0]
    result = run("can-share", "self/AIVD-1", "--to", "smi")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Error: Audit event {seq + 1} does not follow event {seq} (item #2) — the audit trail "  # type: ignore[operator]
        f"was changed outside wegings; {HINT}\n"
    )
