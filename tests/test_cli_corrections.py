"""Corrections without deleting anything, through the CLI: edit-partner, join, leave, groups,
retract-flag, score --template and a complete diff. Refused input writes nothing."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.conftest import Run, add_partner, exists, sql
from tests.test_cli_notes import STANDAARD, VERHOOGD, Clock, clock, establish, raw, score
from wegings.config import Location

__all__ = ["clock"]  # the fixed clock of the note tests, autouse here too


def events(db: Location) -> int:
    [(number,)] = sql(db, "SELECT count(*) FROM audit_event")
    assert isinstance(number, int)
    return number


def json_of(run: Run, *args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(autouse=True)
def audit_verifies(run: Run, location: Location) -> Any:
    """Whatever a test did or was refused, the audit trail still verifies afterwards."""
    yield
    if exists(location):
        result = run("audit", "verify")
        assert result.exit_code == 0, result.output


def refused(run: Run, db: Location, *args: str, code: int, message: str) -> None:
    """The command is refused with exactly `message` and writes no audit event."""
    before = events(db)
    result = run(*args)
    assert (result.exit_code, result.stderr) == (code, f"Error: {message}\n")
    assert result.stdout == ""
    assert events(db) == before


# edit-partner and show --history


def test_edit_partner_records_a_correction_shown_everywhere(run: Run, location: Location) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    before = events(location)
    result = run(
        "--as", "j.jansen", "edit-partner", "rvd", "--name", "Ruritaanse Dienst",
        "--kind", "combined", "--reason", "Naam gewijzigd per 1 januari.",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == "Corrected name, kind of rvd (Ruritaanse Dienst).\n"
    assert events(location) == before + 1
    shown = json_of(run, "show", "rvd")["partner"]
    assert (shown["short"], shown["name"], shown["kind"]) == (
        "rvd",
        "Ruritaanse Dienst",
        "combined",
    )
    assert json_of(run, "partners")[0]["name"] == "Ruritaanse Dienst"
    assert "Ruritaanse Dienst" in run("partners").stdout
    # The registration itself is untouched: append-only.
    assert sql(location, "SELECT name, kind FROM partner") == [("Dienst RVD", "civil")]


def test_show_history_lists_each_correction_with_who_when_and_why(run: Run) -> None:
    add_partner(run, "rvd")
    assert run("edit-partner", "rvd", "--country", "DE", "--reason", "Typefout.").exit_code == 0
    assert (
        run("--as", "b", "edit-partner", "rvd", "--country", "XR", "--reason", "Terug.").exit_code
        == 0
    )
    history = json_of(run, "show", "rvd", "--history")["history"]
    assert [(h["kind"], h["recorded_by"], h["reason"], h["changes"]) for h in history] == [
        ("correction", "tester", "Typefout.", {"country": {"from": "XR", "to": "DE"}}),
        ("correction", "b", "Terug.", {"country": {"from": "DE", "to": "XR"}}),
    ]
    assert history[0]["recorded_at"] == "2026-11-29T12:00:02Z"
    table = run("show", "rvd", "--history")
    assert table.exit_code == 0
    # Recorded in The Hague local time (UTC+1 in November).
    assert "2026-11-29 13:00" in table.stdout
    assert "country: XR → DE" in table.stdout
    assert "history" not in json_of(run, "show", "rvd")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ((), 2, "Give at least one of --name, --country, --kind or --notes to correct; "
         "the handle never changes."),
        (("--country", "QQ"), 2, None),
        (("--kind", "spy"), 2, None),
        (("--name", "Dienst RVD"), 1,
         "The name of rvd is 'Dienst RVD' already; nothing to correct there."),
        (("--country", "xr"), 1, "The country of rvd is 'XR' already; nothing to correct there."),
    ],
)  # fmt: skip
def test_edit_partner_refuses_bad_or_unchanged_values(
    run: Run, location: Location, args: tuple[str, ...], code: int, message: str | None
) -> None:
    add_partner(run, "rvd")
    before = events(location)
    result = run("edit-partner", "rvd", *args, "--reason", "Correctie.")
    assert result.exit_code == code
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    if message is not None:
        assert result.stderr == f"Error: {message}\n"
    assert events(location) == before


def test_edit_partner_needs_a_reason_and_a_known_partner(run: Run, location: Location) -> None:
    add_partner(run, "rvd")
    refused(run, location, "edit-partner", "rvd", "--name", "X Y", "--reason", " ", code=2,
            message="Reason must not be empty.")  # fmt: skip
    result = run("edit-partner", "rvx", "--name", "X", "--reason", "r")
    assert result.exit_code == 2


# join, leave, groups, partners --group --as-of


def test_join_and_leave_change_membership_from_their_days(run: Run, location: Location) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    add_partner(run, "sdv")
    before = events(location)
    joined = run("join", "sdv", "ctg", "--from", "2026-11-01", "--reference", "CTG-brief 2026/3")
    assert joined.exit_code == 0, joined.output
    assert joined.stderr == "sdv joins CTG from 2026-11-01.\n"
    assert events(location) == before + 1
    left = run("leave", "rvd", "CTG", "--from", "2026-12-01", "--reason", "Uitgetreden.")
    assert left.exit_code == 0, left.output
    assert left.stderr == "rvd leaves CTG from 2026-12-01.\n"
    assert events(location) == before + 2
    now = json_of(run, "groups")
    assert [(g["key"], g["name"], g["members"]) for g in now] == [("ctg", "CTG", ["rvd", "sdv"])]
    members = [p["short"] for p in json_of(run, "partners", "--group", "ctg")]
    assert members == ["rvd", "sdv"]
    assert json_of(run, "show", "rvd")["partner"]["groups"] == ["CTG"]


def test_as_of_shows_members_then_with_what_was_on_record_then(
    run: Run, location: Location, clock: Clock
) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    add_partner(run, "sdv")
    clock.advance(days=3)  # now 2026-12-02
    assert run("join", "sdv", "ctg", "--from", "2026-11-30").exit_code == 0
    assert run("leave", "rvd", "ctg", "--from", "2026-12-01", "--reason", "Weg.").exit_code == 0
    clock.advance(hours=1)
    members = {
        when: [p["short"] for p in json_of(run, "partners", "--group", "CTG", "--as-of", when)]
        for when in ("2026-11-30T12:00Z", "2026-12-01T12:00Z", "2026-12-02T12:30Z")
    }
    # Until the joins and leaves were recorded (on 2026-12-02), the record said rvd alone.
    assert members == {
        "2026-11-30T12:00Z": ["rvd"],
        "2026-12-01T12:00Z": ["rvd"],
        "2026-12-02T12:30Z": ["sdv"],
    }
    groups = json_of(run, "groups", "--as-of", "2026-11-29T11:00Z")
    assert groups == []  # CTG did not exist yet
    table = run("groups")
    assert table.exit_code == 0
    assert "sdv" in table.stdout


def test_a_new_group_may_have_a_display_name_with_spaces(run: Run) -> None:
    add_partner(run, "rvd")
    result = run("join", "rvd", "cdb", "--name", "Club de Berne")
    assert result.exit_code == 0, result.output
    assert result.stderr == "rvd joins Club de Berne from 2026-11-29.\n"
    assert json_of(run, "groups")[0] == {
        "key": "cdb",
        "name": "Club de Berne",
        "members": ["rvd"],
        "created_at": "2026-11-29T12:00:02Z",
        "created_by": "tester",
    }
    assert [p["short"] for p in json_of(run, "partners", "--group", "club de berne")] == ["rvd"]


def test_join_and_leave_refuse_what_is_so_already(run: Run, location: Location) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    add_partner(run, "sdv")
    refused(run, location, "join", "rvd", "ctg", code=1,
            message="rvd is a member of CTG already on 2026-11-29. "
            "See `wegings groups`.")  # fmt: skip
    refused(run, location, "leave", "sdv", "ctg", "--reason", "r", code=1,
            message="sdv is not a member of CTG on 2026-11-29; nothing to leave. "
            "See `wegings groups`.")  # fmt: skip
    refused(run, location, "leave", "rvd", "ctg", "--from", "2026-01-01", "--reason", "r", code=1,
            message="rvd is not a member of CTG on 2026-01-01; nothing to leave. "
            "See `wegings groups`.")  # fmt: skip
    refused(run, location, "join", "sdv", "ctg", "--from", "20261101", code=2,
            message="--from '20261101': write a date as YYYY-MM-DD, e.g. 2026-11-01.")  # fmt: skip
    refused(run, location, "join", "sdv", "ctg", "--from", "2026-11-01T10:00Z", code=2,
            message="--from '2026-11-01T10:00Z': write a date as YYYY-MM-DD, "
            "e.g. 2026-11-01.")  # fmt: skip
    refused(run, location, "join", "sdv", "no group", code=2,
            message="Group name 'no group' must be 2–40 characters: a letter, then letters, "
            "digits, '-' or '_'.")  # fmt: skip
    refused(run, location, "join", "sdv", "rvd", code=1,
            message="Group name 'rvd' is already a partner's handle; choose another.")  # fmt: skip


def test_leave_needs_a_reason(run: Run, location: Location) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    before = events(location)
    result = run("leave", "rvd", "ctg")
    assert result.exit_code == 2
    assert "--reason" in result.stderr
    assert result.stderr.count("\n") == 1
    assert events(location) == before


def test_new_partner_group_stays_a_join_from_today(run: Run) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    assert json_of(run, "partners", "--group", "CTG", "--as-of", "2026-11-29T11:59Z") == []
    assert [p["short"] for p in json_of(run, "partners", "--group", "CTG")] == ["rvd"]


def test_a_left_member_is_shown_after_it_left_only_in_history(run: Run, clock: Clock) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    clock.advance(days=2)
    assert run("leave", "rvd", "ctg", "--reason", "Uitgetreden.").exit_code == 0
    assert json_of(run, "show", "rvd")["partner"]["groups"] == []
    history = json_of(run, "show", "rvd", "--history")["history"]
    # Without --from a leave holds from the moment it is recorded.
    assert [(h["kind"], h["group"], h["valid_from"]) for h in history] == [
        ("leave", "CTG", "2026-12-01T12:00:02Z")
    ]


def test_a_member_that_joined_today_can_leave_today(run: Run, clock: Clock) -> None:
    add_partner(run, "rvd", "--group", "CTG")
    left = run("leave", "rvd", "ctg", "--reason", "Uitgetreden.")
    assert left.exit_code == 0, left.output
    assert json_of(run, "show", "rvd")["partner"]["groups"] == []
    again = run("leave", "rvd", "ctg", "--reason", "Nogmaals.")
    assert again.exit_code != 0
    assert again.stderr.startswith("Error: rvd is not a member of CTG on ")


# flag ids and retract-flag


def test_flag_prints_its_id_and_retract_flag_takes_it_back(rvd: Run, location: Location) -> None:
    establish(rvd, "rvd", "dg")
    flagged = rvd("flag", "rvd", "--reason", "Politieke onrust na verkiezingen")
    assert flagged.exit_code == 0
    flag_id = flagged.stdout.strip()
    assert flag_id == "1"
    [shown] = json_of(rvd, "show", "rvd")["flags"]
    assert (shown["id"], shown["reason"]) == (1, "Politieke onrust na verkiezingen")
    assert any("flagged" in reason for row in json_of(rvd, "due") for reason in row["reasons"])
    document = rvd("render", "rvd", "--format", "md", "--output", "-")
    assert "Politieke onrust na verkiezingen" in document.stdout
    before = events(location)
    result = rvd("--as", "j.jansen", "retract-flag", flag_id, "--reason", "Verkeerde partner.")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Retracted flag 1 of rvd (Dienst RVD): it no longer counts; "
        "`wegings show rvd --history` keeps it.\n"
    )
    assert events(location) == before + 1
    assert json_of(rvd, "show", "rvd")["flags"] == []
    assert json_of(rvd, "due") == []
    assert "Politieke onrust" not in rvd("render", "rvd", "--format", "md", "--output", "-").stdout
    history = json_of(rvd, "show", "rvd", "--history")["history"]
    assert [h["kind"] for h in history] == ["flag", "flag_retraction"]
    assert history[0]["retraction"]["reason"] == "Verkeerde partner."
    assert history[0]["retraction"]["recorded_by"] == "j.jansen"
    assert history[1]["flag_id"] == 1


def test_retract_flag_refuses_unknown_and_twice(rvd: Run, location: Location) -> None:
    assert rvd("flag", "rvd", "--reason", "Onrust").exit_code == 0
    refused(rvd, location, "retract-flag", "9", "--reason", "r", code=2,
            message="No flag 9. A partner's flags and their ids are in "
            "`wegings show PARTNER --json`.")  # fmt: skip
    refused(rvd, location, "retract-flag", "1", "--reason", "", code=2,
            message="Reason must not be empty.")  # fmt: skip
    assert rvd("retract-flag", "1", "--reason", "Vergissing.").exit_code == 0
    refused(rvd, location, "retract-flag", "1", "--reason", "Nogmaals.", code=1,
            message="Flag 1 was retracted already on 2026-11-29 by tester. "
            "See `wegings show rvd --history`.")  # fmt: skip


@pytest.fixture
def rvd(run: Run, migrated_db: Location) -> Run:
    """Partner rvd with a standaard draft v1 by tester."""
    add_partner(run, "rvd")
    score(run, "rvd", STANDAARD)
    return run


# score --template


def fill_in(template: str, answers: dict[str, Any]) -> str:
    """The template with each `key = blank` line given the value of `answers` in its section."""
    lines, section = [], answers
    for line in template.splitlines():
        if line.startswith("["):
            section = answers
            for part in line.strip("[]").split("."):
                section = section[part]
        elif not line.startswith("#") and " = " in line:
            key = line.split(" = ")[0]
            if key in section:
                line = tomli_w.dumps({key: section[key]}).strip()
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_template_is_a_blank_answers_file_that_round_trips(
    run: Run, location: Location, tmp_path: Path
) -> None:
    add_partner(run, "rvd")
    before = events(location)
    result = run("score", "rvd", "--template")
    assert result.exit_code == 0, result.output
    assert events(location) == before
    text = result.stdout
    assert text.startswith("# Answers for a weighing note of Dienst RVD (rvd).\n")
    for expected in (
        "#   5  voldoet volledig (fully meets), risk low",
        "#   1  voldoet niet (does not meet), risk high",
        "[criteria.data_protection]",
        "# 5/5 Niveau van gegevensbescherming",
        "#   unevaluated_data: ",
    ):
        assert expected in text
    blank = tomllib.loads(text)
    assert set(blank) == {"context", "criteria", "interest", "cooperation"}
    assert blank["criteria"]["human_rights"] == {"score": 0, "motivation": "", "sources": []}
    # As it comes, it is not a weighing yet: every mandatory answer is missing.
    path = tmp_path / "rvd.toml"
    path.write_text(text, encoding="utf-8")
    unfilled = run("score", "rvd", "--answers", str(path))
    assert unfilled.exit_code == 2
    assert unfilled.stderr.startswith("Error: Answers: 11 problems:\n  ")
    assert events(location) == before
    # Filled in line by line as a person would (comments kept), it reads as any answers file.
    answers = raw(STANDAARD)
    path.write_text(fill_in(text, answers), encoding="utf-8")
    saved = run("score", "rvd", "--answers", str(path))
    assert saved.exit_code == 0, saved.output
    assert events(location) == before + 1
    note = json_of(run, "history", "rvd")[0]
    assert note["scores"] == {k: v["score"] for k, v in answers["criteria"].items()}
    assert note["forms"] == answers["cooperation"]["forms"]


def test_template_and_other_sources_together_are_refused(run: Run, location: Location) -> None:
    add_partner(run, "rvd")
    refused(run, location, "score", "rvd", "--template", "--export-answers", code=2,
            message="Give either --export-answers or --template, not both.")  # fmt: skip


# diff


def test_diff_gives_sources_and_the_old_and_new_texts(
    run: Run, migrated_db: Location, tmp_path: Path
) -> None:
    add_partner(run, "smi")
    score(run, "smi", VERHOOGD)
    data = raw(VERHOOGD)
    old_sources = data["criteria"]["human_rights"].get("sources", [])
    data["criteria"]["human_rights"]["sources"] = [*old_sources[1:], "Rapport Amnesty 2026"]
    data["context"] = "Nieuwe wet aangenomen."
    data["interest"]["quid_pro_quo"] = "Wederkerigheid in dreigingsinformatie."
    path = tmp_path / "v2.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    score(run, "smi", path)
    changes = json_of(run, "diff", "smi", "1", "2")
    human = next(c for c in changes["criteria"] if c["key"] == "human_rights")
    assert human["sources_added"] == ["Rapport Amnesty 2026"]
    assert human["sources_removed"] == old_sources[:1]
    assert human["changed"] is True
    assert changes["context"] == {
        "changed": True,
        "from": raw(VERHOOGD)["context"],
        "to": "Nieuwe wet aangenomen.",
    }
    assert changes["interest"]["quid_pro_quo"] == {
        "changed": True,
        "from": raw(VERHOOGD)["interest"].get("quid_pro_quo", ""),
        "to": "Wederkerigheid in dreigingsinformatie.",
    }
    assert changes["interest"]["added_value"]["changed"] is False
    assert changes["interest_changed"] == ["quid_pro_quo"]
    assert changes["context_changed"] is True
    table = run("diff", "smi", "1", "2")
    assert table.exit_code == 0
    lines = [" ".join(line.split()) for line in table.stdout.splitlines()]
    out = "\n".join(lines)
    assert "+ Rapport Amnesty 2026" in out
    assert "Nieuwe wet aangenomen." in out
    assert "Wederkerigheid in dreigingsinformatie." in out


def test_show_lists_the_partners_permissions(run: Run) -> None:
    add_partner(run, "rvd")
    assert run("new-item", "AIVD-9", "--originator", "self", "--personal-data").exit_code == 0
    until = "2099-12-31"
    granted = run(
        "--as", "minister.bz", "permit", "AIVD-9", "--to", "rvd", "--role", "minister",
        "--until", until, "--reason", "Besluit 2026/9", "--granted-by", "mr. A. Minister",
    )  # fmt: skip
    assert granted.exit_code == 0, granted.output
    shown = json_of(run, "show", "rvd")
    assert [(p["id"], p["item"], p["status"]) for p in shown["permissions"]] == [
        (1, "self/AIVD-9", "valid")
    ]
    table = run("show", "rvd")
    assert "Permissions for transfers to it" in table.stdout
