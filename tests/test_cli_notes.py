"""Weighing notes through the CLI: score from a file, establish, withdraw, flag, due, history, diff.

The clock is fixed (and ticks one second a call) so dates in messages are exact.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.conftest import NOW, Run, add_partner, exists, four_eyes_tail, sql
from wegings.config import Location

DEMO = Path(__file__).resolve().parent / "data"
STANDAARD = DEMO / "rvd-standaard.toml"
VERHOOGD = DEMO / "smi-verhoogd.toml"
COUNT_AUDITED_RECORDS = (
    "SELECT (SELECT count(*) FROM partner) + (SELECT count(*) FROM partner_group)"
    " + (SELECT count(*) FROM group_membership) + (SELECT count(*) FROM note_version)"
    " + (SELECT count(*) FROM note_establishment) + (SELECT count(*) FROM note_withdrawal)"
    " + (SELECT count(*) FROM partner_flag)"
)


@dataclass
class Clock:
    """The time every command sees; one second passes on each reading."""

    now: datetime = field(default=NOW)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every command reads this clock instead of the real one."""
    fixed = Clock()
    monkeypatch.setattr("wegings.timeutil.utcnow", fixed)
    return fixed


@pytest.fixture(autouse=True)
def audit_stays_intact(run: Run, location: Location) -> Iterator[None]:
    """Whatever a test did or was refused, the audit trail still verifies afterwards."""
    yield
    if exists(location):
        assert_audit_intact(run, location)


def raw(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def write_toml(path: Path, data: dict[str, Any]) -> str:
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return str(path)


def score(run: Run, short: str, answers: Path | str, *, who: str = "tester") -> None:
    result = run("--as", who, "score", short, "--answers", str(answers))
    assert result.exit_code == 0, result.output


def establish(run: Run, short: str, role: str, *, who: str = "h.de.boer", **more: str) -> None:
    extra = [item for name, value in more.items() for item in (f"--{name}", value)]
    result = run("--as", who, "establish", short, "--role", role, *extra)
    assert result.exit_code == 0, result.output


def count(db: Location, statement: str) -> int:
    [(number,)] = sql(db, statement)
    assert isinstance(number, int)
    return number


def events(db: Location) -> int:
    return count(db, "SELECT count(*) FROM audit_event")


def note_rows(db: Location) -> list[tuple[object, ...]]:
    return sql(db, "SELECT * FROM note_version ORDER BY id")


def assert_audit_intact(run: Run, db: Location) -> None:
    records = count(db, COUNT_AUDITED_RECORDS)
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"Audit trail intact: {events(db)} events and {records} records checked. Head "
    )


def history(run: Run, short: str) -> list[dict[str, Any]]:
    result = run("history", short, "--json")
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def show(run: Run, short: str) -> dict[str, Any]:
    result = run("show", short, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def due(run: Run, *args: str) -> list[dict[str, Any]]:
    result = run("due", "--json", *args)
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


@pytest.fixture
def smi(run: Run, migrated_db: Location) -> Run:
    """Partner smi with a verhoogd draft v1 by tester."""
    add_partner(run, "smi")
    score(run, "smi", VERHOOGD)
    return run


@pytest.fixture
def rvd(run: Run, migrated_db: Location) -> Run:
    """Partner rvd with a standaard draft v1 by tester."""
    add_partner(run, "rvd")
    score(run, "rvd", STANDAARD)
    return run


# score --answers


def test_score_from_a_file_saves_a_draft(run: Run, location: Location) -> None:
    add_partner(run, "rvd")
    result = run("score", "rvd", "--answers", str(STANDAARD))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        "Saved rvd version 1 as a draft (standaard). Another person establishes it with "
        "`wegings establish rvd --role …`.\n"
    )
    [entry] = history(run, "rvd")
    assert (entry["version"], entry["status"], entry["author"]) == (1, "draft", "tester")
    assert_audit_intact(run, location)


def test_score_reads_json_and_standard_input(run: Run, tmp_path: Path) -> None:
    add_partner(run, "smi")
    as_json = tmp_path / "smi.json"
    as_json.write_text(json.dumps(raw(VERHOOGD)), encoding="utf-8")
    score(run, "smi", as_json)
    piped = run("score", "smi", "--answers", "-", input=VERHOOGD.read_text(encoding="utf-8"))
    assert piped.exit_code == 0
    assert piped.stderr.startswith("Saved smi version 2 as a draft (verhoogd).")
    diff = json.loads(run("diff", "smi", "1", "2", "--json").stdout)
    assert not any(
        c["score_from"] != c["score_to"] or c["motivation_from"] != c["motivation_to"]
        for c in diff["criteria"]
    )


def test_three_faulty_fields_are_reported_one_a_line(
    run: Run, location: Location, tmp_path: Path
) -> None:
    add_partner(run, "rvd")
    data = raw(STANDAARD)
    data["criteria"]["human_rights"]["score"] = 7
    data["criteria"]["professionalism"]["motivation"] = "ok"
    data["cooperation"]["forms"].append("coffee")
    before = events(location)
    result = run("score", "rvd", "--answers", write_toml(tmp_path / "bad.toml", data))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: Answers: 3 problems:\n"
        "  criteria.human_rights.score: must be a whole number from 1 to 5, got 7\n"
        "  criteria.professionalism.motivation: is too short (2 characters); write at least one "
        "real sentence (4 words and 20 characters or more)\n"
        "  cooperation.forms[5]: unknown form 'coffee'; choose from knowledge_exchange, "
        "evaluated_data, personal_data, unevaluated_data, joint_operations, technical_support\n"
    )
    assert events(location) == before
    assert note_rows(location) == []


def test_unevaluated_data_in_a_verhoogd_file_is_refused(run: Run, tmp_path: Path) -> None:
    add_partner(run, "smi")
    data = raw(VERHOOGD)
    data["cooperation"]["forms"].append("unevaluated_data")
    data["interest"]["operational_interest"] = ""
    result = run("score", "smi", "--answers", write_toml(tmp_path / "bad.toml", data))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Answers: 2 problems:\n"
        "  interest.operational_interest: is mandatory for a verhoogd profile (state the weighty "
        "operational interest that outweighs the risk)\n"
        "  cooperation.forms[3]: unevaluated_data may only be permitted in a standaard note (only "
        "positively assessed, trusted services receive unevaluated data)\n"
    )


def test_malformed_toml_is_one_clear_line(run: Run, location: Location, tmp_path: Path) -> None:
    add_partner(run, "rvd")
    bad = tmp_path / "bad.toml"
    bad.write_text('context = "unterminated\n[criteria\n', encoding="utf-8")
    with pytest.raises(tomllib.TOMLDecodeError) as parse_error:
        tomllib.loads(bad.read_text(encoding="utf-8"))
    before = events(location)
    result = run("score", "rvd", "--answers", str(bad))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {bad} is not valid TOML: {parse_error.value}.\n"
    assert events(location) == before


def test_malformed_json_is_one_clear_line(run: Run, tmp_path: Path) -> None:
    add_partner(run, "rvd")
    bad = tmp_path / "bad.json"
    bad.write_text('{"context": ', encoding="utf-8")
    result = run("score", "rvd", "--answers", str(bad))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {bad} is not valid JSON: Expecting value (line 1, column 13).\n"
    )


def test_answers_that_are_not_a_table_are_refused(run: Run, tmp_path: Path) -> None:
    add_partner(run, "rvd")
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    result = run("score", "rvd", "--answers", str(listed))
    assert result.exit_code == 2
    assert result.stderr == "Error: Answers: 1 problem: must be a table of answers, got an array\n"


def test_missing_answers_file_is_refused(run: Run, location: Location, tmp_path: Path) -> None:
    add_partner(run, "rvd")
    missing = tmp_path / "nope.toml"
    result = run("score", "rvd", "--answers", str(missing))
    assert result.exit_code == 2
    assert result.stderr == f"Error: No answers file {missing}.\n"
    assert note_rows(location) == []


def test_answers_and_export_together_are_refused(run: Run) -> None:
    add_partner(run, "rvd")
    result = run("score", "rvd", "--answers", str(STANDAARD), "--export-answers")
    assert result.exit_code == 2
    assert result.stderr == "Error: Give either --answers or --export-answers, not both.\n"


def test_export_without_a_note_is_refused(run: Run) -> None:
    add_partner(run, "rvd")
    result = run("score", "rvd", "--export-answers")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: rvd has no weighing note yet to export. For a blank answers file to fill in: "
        "`wegings score rvd --template > rvd.toml`.\n"
    )


def test_export_edit_and_read_back_round_trips(
    rvd: Run, location: Location, tmp_path: Path
) -> None:
    exported = rvd("score", "rvd", "--export-answers")
    assert exported.exit_code == 0
    assert exported.stderr == ""
    assert tomllib.loads(exported.stdout) == raw(STANDAARD)
    unchanged = tmp_path / "rvd.toml"
    unchanged.write_text(exported.stdout, encoding="utf-8")
    score(rvd, "rvd", unchanged)
    assert rvd("score", "rvd", "--export-answers").stdout == exported.stdout
    # Edit the export as a person would: a lower score makes it verhoogd, so more must change.
    edited_text = (
        exported.stdout.replace("score = 5", "score = 3", 1)
        .replace('    "unevaluated_data",\n', "")
        .replace(
            'operational_interest = ""',
            'operational_interest = "Zonder deze dienst ontbreekt zicht op netwerken in de regio."',
        )
        .replace("conditions = [\n", 'conditions = [\n    "Halfjaarlijkse evaluatie.",\n')
    )
    edited = tmp_path / "edited.toml"
    edited.write_text(edited_text, encoding="utf-8")
    score(rvd, "rvd", edited)
    assert tomllib.loads(rvd("score", "rvd", "--export-answers").stdout) == tomllib.loads(
        edited_text
    )
    versions = history(rvd, "rvd")
    assert [(v["version"], v["based_on"], v["profile"]) for v in versions] == [
        (1, None, "standaard"),
        (2, 1, "standaard"),
        (3, 2, "verhoogd"),
    ]
    assert_audit_intact(rvd, location)


# establish


def test_verhoogd_note_is_not_established_by_dg(smi: Run, location: Location) -> None:
    before, rows = events(location), note_rows(location)
    result = smi("--as", "h.de.boer", "establish", "smi", "--role", "dg")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: A verhoogd note can only be established by the minister; it was asked as dg. "
        "Use --role minister.\n"
    )
    assert events(location) == before
    assert note_rows(location) == rows
    assert sql(location, "SELECT count(*) FROM note_establishment") == [(0,)]


def test_author_cannot_establish_own_note(smi: Run, location: Location, backend: str) -> None:
    before = events(location)
    result = smi("--as", "tester", "establish", "smi", "--role", "minister")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: The note was written by 'tester'; another person must establish it "
        f"{four_eyes_tail(backend)}\n"
    )
    assert events(location) == before
    assert history(smi, "smi")[0]["status"] == "draft"


def test_minister_establishes_verhoogd_note_for_12_months(smi: Run, location: Location) -> None:
    rows = note_rows(location)
    result = smi(
        "--as",
        "minister.office",
        "establish",
        "smi",
        "--role",
        "minister",
        "--decision",
        "Ministerieel besluit 2026/7",
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        "Established smi version 1 (verhoogd) by minister.office as minister; "
        "review due 2027-11-29.\n"
    )
    [entry] = history(smi, "smi")
    assert entry["status"] == "established"
    assert entry["established_by"] == "minister.office"
    assert entry["established_role"] == "minister"
    assert entry["decision"] == "Ministerieel besluit 2026/7"
    assert entry["established_at"][:10] == "2026-11-29"
    assert entry["review_due"] == entry["established_at"].replace("2026-", "2027-", 1)
    overview = show(smi, "smi")
    assert overview["risicodienst"] is True
    assert overview["note"]["in_force"] is True
    assert note_rows(location) == rows
    assert_audit_intact(smi, location)


def test_dg_establishes_standaard_note_for_24_months(rvd: Run, location: Location) -> None:
    result = rvd("--as", "h.de.boer", "establish", "rvd", "--role", "dg")
    assert result.exit_code == 0
    assert result.stderr == (
        "Established rvd version 1 (standaard) by h.de.boer as dg; review due 2028-11-29.\n"
    )
    [entry] = history(rvd, "rvd")
    assert entry["review_due"] == entry["established_at"].replace("2026-", "2028-", 1)
    assert show(rvd, "rvd")["risicodienst"] is False
    assert_audit_intact(rvd, location)


def test_newer_establishment_supersedes_and_leaves_versions_untouched(
    rvd: Run, location: Location, clock: Clock
) -> None:
    establish(rvd, "rvd", "dg")
    clock.advance(days=30)
    score(rvd, "rvd", STANDAARD)
    rows = note_rows(location)
    establish(rvd, "rvd", "minister", who="minister.office")
    first, second = history(rvd, "rvd")
    assert (first["status"], first["superseded_by"]) == ("superseded", 2)
    assert first["superseded_at"] == second["established_at"]
    assert (second["status"], second["based_on"]) == ("established", 1)
    assert show(rvd, "rvd")["note"]["version"] == 2
    assert note_rows(location) == rows
    assert_audit_intact(rvd, location)


def test_establishing_without_a_draft_is_refused(rvd: Run, location: Location) -> None:
    establish(rvd, "rvd", "dg")
    before = events(location)
    result = rvd("--as", "h.de.boer", "establish", "rvd", "--role", "dg")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: rvd has no draft to establish; the latest version 1 is established. "
        "Start a new version with `wegings score rvd`.\n"
    )
    assert events(location) == before


def test_establishing_an_unknown_version_is_refused(rvd: Run, location: Location) -> None:
    before = events(location)
    result = rvd("--as", "h.de.boer", "establish", "rvd", "--role", "dg", "--version", "4")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: rvd has no version 4 (versions: 1). See `wegings history rvd`.\n"
    )
    assert events(location) == before


# flag, withdraw, due


def test_establishing_clears_an_open_flag(rvd: Run, location: Location, clock: Clock) -> None:
    establish(rvd, "rvd", "dg")
    clock.advance(days=10)
    result = rvd(
        "flag", "rvd", "--reason", "Politieke onrust na verkiezingen", "--date", "2026-12-08"
    )
    assert result.exit_code == 0
    assert result.stdout == "1\n"
    assert result.stderr == (
        "Flagged rvd (flag 1): the note must be rewritten; until a new version is established "
        "every transfer needs a recorded higher permission.\n"
    )
    flags = show(rvd, "rvd")["flags"]
    assert [(f["observed_on"], f["reason"], f["recorded_by"]) for f in flags] == [
        ("2026-12-08", "Politieke onrust na verkiezingen", "tester")
    ]
    [row] = due(rvd)
    assert row["partner"] == "rvd"
    assert row["reasons"] == ["flagged 2026-12-08: Politieke onrust na verkiezingen"]
    table = rvd("show", "rvd")
    assert table.exit_code == 0
    assert "Open flags: the note must be rewritten" in table.stdout
    assert "Politieke onrust na verkiezingen" in table.stdout
    rows = note_rows(location)
    score(rvd, "rvd", VERHOOGD)
    establish(rvd, "rvd", "minister", who="minister.office")
    assert show(rvd, "rvd")["flags"] == []
    assert due(rvd) == []
    assert note_rows(location)[: len(rows)] == rows
    assert_audit_intact(rvd, location)


def test_flag_defaults_to_today(rvd: Run) -> None:
    result = rvd("flag", "rvd", "--reason", "Staatsgreep")
    assert result.exit_code == 0
    assert show(rvd, "rvd")["flags"][0]["observed_on"] == "2026-11-29"


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2026-11-30", "Error: The date 2026-11-30 lies in the future.\n"),
        ("29-11-2026", "Error: --date '29-11-2026' is not an ISO date; use e.g. 2026-11-29.\n"),
    ],
)
def test_flag_with_a_future_or_bad_date_is_refused(
    rvd: Run, location: Location, date: str, message: str
) -> None:
    before = events(location)
    result = rvd("flag", "rvd", "--reason", "Onrust", "--date", date)
    assert result.exit_code == 2
    assert result.stderr == message
    assert events(location) == before


def test_flag_without_a_reason_is_refused(rvd: Run) -> None:
    result = rvd("flag", "rvd", "--reason", "  ")
    assert result.exit_code == 2
    assert result.stderr == "Error: Reason must not be empty.\n"


def test_withdraw_suspends_cooperation_and_due_lists_it(
    smi: Run, location: Location, clock: Clock
) -> None:
    establish(smi, "smi", "minister", who="minister.office")
    rows = note_rows(location)
    clock.advance(days=2)
    result = smi(
        "--as", "desk", "withdraw", "smi", "--reason", "Samenwerking opgeschort na staatsgreep."
    )
    assert result.exit_code == 0
    assert result.stderr == (
        "Withdrew smi version 1; cooperation is suspended until a new version is established.\n"
    )
    [entry] = history(smi, "smi")
    assert entry["status"] == "withdrawn"
    assert entry["withdrawn_by"] == "desk"
    assert entry["withdrawal_reason"] == "Samenwerking opgeschort na staatsgreep."
    overview = show(smi, "smi")
    assert (overview["note"]["in_force"], overview["risicodienst"]) == (
        False,
        True,
    )  # still a risicodienst, not in force
    [row] = due(smi)
    assert (row["partner"], row["version"], row["status"]) == ("smi", 1, "withdrawn")
    assert row["reasons"] == ["note v1 withdrawn: cooperation suspended"]
    assert note_rows(location) == rows
    assert_audit_intact(smi, location)


def test_withdraw_without_an_established_note_is_refused(smi: Run, location: Location) -> None:
    before = events(location)
    result = smi("withdraw", "smi", "--reason", "Opgeschort.")
    assert result.exit_code == 1
    assert result.stderr == "Error: smi has no established note to withdraw.\n"
    assert events(location) == before


def test_due_orders_most_urgent_first(run: Run, clock: Clock) -> None:
    # Handles in reverse order of urgency, so sorting by name would fail.
    for short in ("zulu", "yank", "xray", "vict", "uni"):
        add_partner(run, short)
    score(run, "zulu", STANDAARD)
    establish(run, "zulu", "dg")  # review due 2028-11-29
    clock.now = datetime(2028, 1, 1, 12, 0, tzinfo=UTC)
    score(run, "vict", VERHOOGD)  # review due 2029-01-01
    establish(run, "vict", "minister", who="minister.office")
    score(run, "yank", STANDAARD)
    establish(run, "yank", "dg")
    score(run, "uni", STANDAARD)
    establish(run, "uni", "dg")
    clock.now = datetime(2028, 12, 4, 12, 0, tzinfo=UTC)
    assert run("flag", "yank", "--reason", "Onrust").exit_code == 0
    rows = due(run, "--within", "30")
    assert [(r["partner"], r["status"], r["days_left"]) for r in rows] == [
        ("zulu", "established", -5),
        ("yank", "established", 393),
        ("xray", None, None),
        ("vict", "established", 28),
    ]
    assert rows[0]["reasons"] == ["review of v1 overdue by 5 days"]
    assert rows[2]["reasons"] == ["no established note"]
    assert rows[3]["reasons"] == ["review of v1 due in 28 days"]
    assert [r["partner"] for r in due(run, "--within", "0")] == ["zulu", "yank", "xray"]
    table = run("due", "--within", "30")
    assert table.exit_code == 0
    assert "review of v1 overdue by 5 days" in table.stdout
    assert table.stdout.index("zulu") < table.stdout.index("vict")


def test_due_says_when_nothing_is_due(rvd: Run) -> None:
    establish(rvd, "rvd", "dg")
    result = rvd("due")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        "Nothing due: every note is in force and none is due within 90 days.\n"
    )
    assert due(rvd) == []


# history, diff


def test_history_json_has_every_field(rvd: Run, clock: Clock) -> None:
    establish(rvd, "rvd", "dg", decision="DG-besluit 2026/114")
    clock.advance(days=1)
    score(rvd, "rvd", STANDAARD, who="j.jansen")
    first, second = history(rvd, "rvd")
    assert list(first) == [
        "version",
        "status",
        "profile",
        "risicodienst",
        "author",
        "created_at",
        "based_on",
        "established_by",
        "established_role",
        "established_at",
        "decision",
        "review_due",
        "superseded_at",
        "superseded_by",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
        "scores",
        "forms",
    ]
    assert first["created_at"] == "2026-11-29T12:00:02Z"
    assert (first["established_at"], first["review_due"]) == (
        "2026-11-29T12:00:03Z",
        "2028-11-29T12:00:03Z",
    )
    assert first["decision"] == "DG-besluit 2026/114"
    assert first["scores"] == {
        "democratic_embedding": 5,
        "human_rights": 4,
        "professionalism": 5,
        "legal_powers": 4,
        "data_protection": 4,
    }
    assert first["forms"] == raw(STANDAARD)["cooperation"]["forms"]
    assert second == {
        **{key: None for key in first},
        "version": 2,
        "status": "draft",
        "profile": "standaard",
        "risicodienst": False,
        "author": "j.jansen",
        "created_at": second["created_at"],
        "based_on": 1,
        "scores": first["scores"],
        "forms": first["forms"],
    }
    table = rvd("history", "rvd")
    assert table.exit_code == 0
    assert "Weighing notes of Dienst RVD (rvd)" in table.stdout
    assert "2028-11-29" in table.stdout


def test_history_without_a_note_says_so(run: Run) -> None:
    add_partner(run, "rvd")
    assert history(run, "rvd") == []
    result = run("history", "rvd")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "rvd has no weighing note yet. Score one with `wegings score rvd`.\n"


def test_diff_shows_scores_motivations_forms_and_conditions(smi: Run, tmp_path: Path) -> None:
    data = raw(VERHOOGD)
    data["criteria"]["data_protection"]["score"] = 3
    data["criteria"]["human_rights"]["motivation"] = (
        "Journalisten worden sinds de verkiezingen stelselmatig vervolgd."
    )
    data["cooperation"]["forms"] = ["knowledge_exchange", "evaluated_data", "technical_support"]
    data["cooperation"]["conditions"] = [
        data["cooperation"]["conditions"][1],
        "Halfjaarlijkse evaluatie door de afdeling liaison.",
    ]
    score(smi, "smi", write_toml(tmp_path / "v2.toml", data))
    result = smi("diff", "smi", "1", "2", "--json")
    assert result.exit_code == 0
    changes = json.loads(result.stdout)
    assert {k: v for k, v in changes.items() if k not in {"criteria", "context", "interest"}} == {
        "version_from": 1,
        "version_to": 2,
        "profile_from": "verhoogd",
        "profile_to": "verhoogd",
        "forms_added": ["technical_support"],
        "forms_removed": ["personal_data"],
        "conditions_added": ["Halfjaarlijkse evaluatie door de afdeling liaison."],
        "conditions_removed": ["Persoonsgegevens alleen na toestemming per verstrekking."],
        "interest_changed": [],
        "context_changed": False,
    }
    by_key = {c["key"]: c for c in changes["criteria"]}
    assert list(by_key) == [
        "democratic_embedding",
        "human_rights",
        "professionalism",
        "legal_powers",
        "data_protection",
    ]
    assert (by_key["data_protection"]["score_from"], by_key["data_protection"]["score_to"]) == (
        2,
        3,
    )
    assert by_key["human_rights"]["motivation_to"] == (
        "Journalisten worden sinds de verkiezingen stelselmatig vervolgd."
    )
    assert (
        by_key["human_rights"]["motivation_from"]
        == (raw(VERHOOGD)["criteria"]["human_rights"]["motivation"])
    )
    table = smi("diff", "smi", "1", "2")
    assert table.exit_code == 0
    out = table.stdout
    assert "smi: version 1 → 2 (profile verhoogd → verhoogd)" in out
    assert "2 → 3" in out
    assert "was: Er zijn berichten over arrestaties van journalisten" in out
    assert "now: Journalisten worden sinds de verkiezingen stelselmatig vervolgd." in out
    for label, value in [
        ("Forms added", "technical_support"),
        ("Forms removed", "personal_data"),
        ("Conditions added", "Halfjaarlijkse evaluatie door de afdeling liaison."),
        ("Conditions removed", "Persoonsgegevens alleen na toestemming per verstrekking."),
    ]:
        assert f"{label} {value}" in [" ".join(line.split()) for line in out.splitlines()]
    assert "Interest changed" not in out


def test_diff_of_an_unknown_version_is_refused(smi: Run) -> None:
    result = smi("diff", "smi", "1", "3")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        result.stderr == "Error: smi has no version 3 (versions: 1). See `wegings history smi`.\n"
    )


@pytest.mark.parametrize(
    "command",
    [
        ("score", "rvx", "--answers", str(STANDAARD)),
        ("score", "rvx"),
        ("establish", "rvx", "--role", "dg"),
        ("withdraw", "rvx", "--reason", "Opgeschort."),
        ("flag", "rvx", "--reason", "Onrust"),
        ("history", "rvx"),
        ("diff", "rvx", "1", "2"),
        ("show", "rvx", "--json"),
    ],
)
def test_unknown_partner_handle_suggests_the_closest(
    rvd: Run, location: Location, command: tuple[str, ...]
) -> None:
    before = events(location)
    result = rvd(*command)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "Error: No partner 'rvx'. Did you mean: rvd? See `wegings partners`.\n"
    assert events(location) == before
