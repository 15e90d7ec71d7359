"""`wegings score` asked interactively, driven through standard input.

Prompts and warnings go to stderr (Rich reads each answer with input()), so stdout stays empty.
A weighing asks, in order: context; score, motivation and sources for each of the five criteria;
added value, international obligations, quid pro quo; operational interest; conditions; forms;
and finally, under a numbered summary, whether to save, or which answer to change first.
"""

from __future__ import annotations

import builtins
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.conftest import Run, add_partner, exists, sql
from wegings.config import Location
from wegings.domain import CRITERION_KEYS

DEMO = Path(__file__).resolve().parent / "data"
STANDAARD = DEMO / "rvd-standaard.toml"
VERHOOGD = DEMO / "smi-verhoogd.toml"
PROMPTS = 23  # 22 answers and the confirmation
STOPPED = "Error: Stopped before the end; nothing was saved.\n"
INTERRUPTED = "\nError: Stopped (Ctrl-C); nothing was saved.\n"
CONFIRM = "Save as a new draft version? (y/n, or a number to change that answer) [n]: "
RVD_SAVED = (
    "Saved rvd version {version} as a draft ({profile}). Another person establishes it with "
    "`wegings establish rvd --role …`.\n"
)
FORMS_RULE = (
    "unevaluated_data may only be permitted in a standaard note (only positively assessed, "
    "trusted services receive unevaluated data)"
)


@pytest.fixture(autouse=True)
def audit_stays_intact(run: Run, location: Location) -> Iterator[None]:
    """Whatever a test typed, saved or abandoned, the audit trail still verifies afterwards."""
    yield
    if exists(location):
        assert_audit_intact(run)


def raw(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def typed(data: dict[str, Any], *, forms: str | None = None, confirm: str = "y") -> list[str]:
    """The lines a person types to give `data` (in the answers-file shape) at the prompts."""
    lines = [data["context"]]
    for key in CRITERION_KEYS:
        criterion = data["criteria"][key]
        lines += [str(criterion["score"]), criterion["motivation"], "; ".join(criterion["sources"])]
    interest = data["interest"]
    lines += [
        interest["added_value"],
        interest["international_obligations"],
        interest["quid_pro_quo"],
        interest["operational_interest"],
        "; ".join(data["cooperation"]["conditions"]),
        ", ".join(data["cooperation"]["forms"]) if forms is None else forms,
        confirm,
    ]
    assert len(lines) == PROMPTS
    return lines


def with_retries(lines: list[str], retries: dict[int, list[str]]) -> list[str]:
    """`lines` with wrong answers typed before the answer at each index of `retries`."""
    return [word for index, line in enumerate(lines) for word in (*retries.get(index, []), line)]


def stdin(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def count(db: Location, statement: str) -> int:
    [(number,)] = sql(db, statement)
    assert isinstance(number, int)
    return number


def events(db: Location) -> int:
    return count(db, "SELECT count(*) FROM audit_event")


def note_rows(db: Location) -> list[tuple[object, ...]]:
    return sql(db, "SELECT * FROM note_version ORDER BY id")


def exported(run: Run, short: str) -> dict[str, Any]:
    result = run("score", short, "--export-answers")
    assert result.exit_code == 0, result.output
    return tomllib.loads(result.stdout)


def history(run: Run, short: str) -> list[dict[str, Any]]:
    result = run("history", short, "--json")
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def assert_audit_intact(run: Run) -> None:
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Audit trail intact: ")


def warnings(stderr: str) -> list[str]:
    """The reasons given for refused answers, in order."""
    # A warning follows the prompt on its line: the typed answer is not echoed.
    return re.findall(r"  ✗ (.*)", stderr)


# A first weighing


def test_first_weighing_typed_in_is_saved_as_a_draft(run: Run, location: Location) -> None:
    add_partner(run, "rvd")
    data = raw(STANDAARD)
    result = run("--as", "j.jansen", "score", "rvd", input=stdin(typed(data, forms="1, 2,3 4 5")))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "A first weighing." in result.stderr
    assert "1/5 Democratische inbedding (democratic_embedding)" in result.stderr
    assert "5/5 Niveau van gegevensbescherming (data_protection)" in result.stderr
    assert "Risk profile: standaard (every criterion scores 4 or 5).\n" in result.stderr
    assert "Summary: risk profile standaard" in result.stderr
    assert warnings(result.stderr) == []
    assert result.stderr.endswith(CONFIRM + RVD_SAVED.format(version=1, profile="standaard"))
    [entry] = history(run, "rvd")
    assert (entry["version"], entry["status"], entry["author"], entry["based_on"]) == (
        1,
        "draft",
        "j.jansen",
        None,
    )
    assert entry["scores"] == {key: data["criteria"][key]["score"] for key in CRITERION_KEYS}
    overview = json.loads(run("show", "rvd", "--json").stdout)
    assert (overview["versions"], overview["note"]["status"]) == (1, "draft")
    assert overview["note"]["forms"] == data["cooperation"]["forms"]
    assert exported(run, "rvd") == data
    assert_audit_intact(run)


def test_wrong_answers_are_asked_again_with_the_reason(run: Run) -> None:
    add_partner(run, "smi")
    data = raw(VERHOOGD)
    lines = with_retries(
        typed(data, forms="1,2,3"),
        {
            1: ["7", "vier"],  # first score
            2: ["ok", "n.v.t."],  # first motivation
            16: [""],  # added value
            19: [""],  # operational interest
            20: [""],  # conditions
            21: ["1,2,4", "1,koffie"],  # forms
        },
    )

    result = run("score", "smi", input=stdin(lines))

    assert result.exit_code == 0, result.output
    assert warnings(result.stderr) == [
        "must be a whole number from 1 to 5, got 7",
        "must be a whole number from 1 to 5, got 'vier'",
        "is too short (2 characters); write at least one real sentence (4 words and 20 "
        "characters or more)",
        "is a placeholder, not a sentence; write at least one real sentence (4 words and 20 "
        "characters or more)",
        "is mandatory",
        "is mandatory for a verhoogd profile (state the weighty operational interest that "
        "outweighs the risk)",
        "at least one mitigating condition is mandatory for a verhoogd profile",
        f"form 3: {FORMS_RULE}",
        "form 2: unknown form 'koffie'; choose from knowledge_exchange, evaluated_data, "
        "personal_data, unevaluated_data, joint_operations, technical_support",
    ]
    assert (
        "Risk profile: verhoogd (elevated), because of democratic_embedding (2), human_rights "
        "(2), professionalism (3), legal_powers (3), data_protection (2). The partner will be a "
        "risicodienst: the weighty operational interest and at least one mitigating condition "
        "are mandatory."
    ) in " ".join(result.stderr.split())
    assert "Zwaarwegend operationeel belang / weighty operational interest (mandatory): " in (
        result.stderr
    )
    assert result.stderr.count("Score 1–5: ") == 7
    assert result.stderr.endswith(
        "Saved smi version 1 as a draft (verhoogd). Another person establishes it with "
        "`wegings establish smi --role …`.\n"
    )
    assert exported(run, "smi") == data
    assert_audit_intact(run)


def test_standaard_profile_lets_operational_interest_and_conditions_be_empty(run: Run) -> None:
    add_partner(run, "rvd")
    data = raw(STANDAARD)
    data["cooperation"]["conditions"] = []
    result = run("score", "rvd", input=stdin(typed(data)))
    assert result.exit_code == 0, result.output
    assert "Zwaarwegend operationeel belang / weighty operational interest (optional): " in (
        result.stderr
    )
    assert warnings(result.stderr) == []
    assert exported(run, "rvd")["cooperation"]["conditions"] == []


def test_yes_saves_without_asking(run: Run) -> None:
    add_partner(run, "rvd")
    lines = typed(raw(STANDAARD))[:-1]
    result = run("score", "rvd", "--yes", input=stdin(lines))
    assert result.exit_code == 0, result.output
    assert "Save as a new draft version?" not in result.stderr
    assert [e["version"] for e in history(run, "rvd")] == [1]


# Stopping without saving


@pytest.mark.parametrize("answered", [0, 5, PROMPTS - 1])
def test_end_of_input_halfway_saves_nothing(run: Run, location: Location, answered: int) -> None:
    add_partner(run, "rvd")
    before = events(location)
    result = run("score", "rvd", input=stdin(typed(raw(STANDAARD))[:answered]))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.endswith(STOPPED)
    assert "Saved" not in result.stderr
    assert events(location) == before
    assert note_rows(location) == []
    assert_audit_intact(run)


def test_ctrl_c_saves_nothing(
    run: Run, location: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_partner(run, "rvd")
    answers = iter(typed(raw(STANDAARD))[:2])

    def keyboard(prompt: object = "") -> str:
        try:
            return next(answers)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr(builtins, "input", keyboard)
    before = events(location)
    result = run("score", "rvd")
    assert result.exit_code == 130
    assert result.stdout == ""
    assert result.stderr.endswith("Motivation (mandatory, a real sentence): " + INTERRUPTED)
    assert events(location) == before
    assert note_rows(location) == []


@pytest.mark.parametrize("reply", ["n", "", "nee"])
def test_not_confirming_saves_nothing(run: Run, location: Location, reply: str) -> None:
    add_partner(run, "rvd")
    before = events(location)
    result = run("score", "rvd", input=stdin(typed(raw(STANDAARD), confirm=reply)))
    assert result.exit_code == 1
    assert result.stderr.endswith(CONFIRM + "Error: Not saved.\n")
    assert events(location) == before
    assert note_rows(location) == []


# Re-assessment


@pytest.mark.parametrize("demo", [STANDAARD, VERHOOGD], ids=["standaard", "verhoogd"])
def test_reassessment_prefills_every_answer(run: Run, location: Location, demo: Path) -> None:
    add_partner(run, "rvd")
    assert run("score", "rvd", "--answers", str(demo)).exit_code == 0
    assert run("--as", "minister.office", "establish", "rvd", "--role", "minister").exit_code == 0
    rows = note_rows(location)
    data = raw(demo)
    first = data["criteria"]["democratic_embedding"]

    result = run("score", "rvd", input=stdin([""] * (PROMPTS - 1) + ["y"]))

    assert result.exit_code == 0, result.output
    assert "Every answer is pre-filled from the latest version." in result.stderr
    assert f"Score 1–5 [{first['score']}]: " in result.stderr
    # A long pre-filled answer is shown in full, wrapped, above its prompt.
    assert "Motivation (mandatory, a real sentence) [as above]: " in result.stderr
    assert " ".join(first["motivation"].split()) in " ".join(result.stderr.split())
    assert warnings(result.stderr) == []
    profile = "standaard" if demo == STANDAARD else "verhoogd"
    assert result.stderr.endswith(RVD_SAVED.format(version=2, profile=profile))
    first_version, second_version = history(run, "rvd")
    assert (first_version["status"], second_version["status"]) == ("established", "draft")
    assert (second_version["based_on"], second_version["author"]) == (1, "tester")
    assert exported(run, "rvd") == data
    diff = json.loads(run("diff", "rvd", "1", "2", "--json").stdout)
    assert [c for c in diff["criteria"] if c["score_from"] != c["score_to"]] == []
    assert diff["forms_added"] == diff["forms_removed"] == []
    assert diff["interest_changed"] == []
    assert diff["context_changed"] is False
    assert note_rows(location)[:1] == rows
    assert_audit_intact(run)


def test_enter_keeps_sources_and_conditions_that_contain_a_semicolon(
    run: Run, tmp_path: Path
) -> None:
    """Regression: the pre-filled items were split on ';' again, so Enter changed them."""
    add_partner(run, "smi")
    data = raw(VERHOOGD)
    data["criteria"]["human_rights"]["sources"] = ["Rapport 2026; hoofdstuk 3", "Persbericht"]
    data["cooperation"]["conditions"][0] = (
        "Persoonsgegevens alleen na toestemming; elke verstrekking wordt vastgelegd."
    )
    answers_file = tmp_path / "smi.toml"
    answers_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    assert run("score", "smi", "--answers", str(answers_file)).exit_code == 0

    result = run("score", "smi", input=stdin([""] * (PROMPTS - 1) + ["y"]))

    assert result.exit_code == 0, result.output
    assert exported(run, "smi") == data
    # Typing the items anew still splits them on ';'.
    lines = [""] * (PROMPTS - 1) + ["y"]
    lines[20] = "Eerste voorwaarde; tweede voorwaarde"
    assert run("score", "smi", input=stdin(lines)).exit_code == 0
    conditions = exported(run, "smi")["cooperation"]["conditions"]
    assert conditions == ["Eerste voorwaarde", "tweede voorwaarde"]


def test_reassessment_that_lowers_a_score_asks_for_what_verhoogd_needs(run: Run) -> None:
    add_partner(run, "rvd")
    assert run("score", "rvd", "--answers", str(STANDAARD)).exit_code == 0
    operational = "Zonder deze dienst ontbreekt zicht op netwerken in de regio."
    lines = [""] * (PROMPTS - 1) + ["y"]
    lines[1] = "3"  # democratic_embedding: was 5
    lines[18] = "-"  # quid pro quo: cleared
    lines[19] = operational
    lines[21] = "knowledge_exchange, evaluated_data"
    # Keeping the old (empty) operational interest or the old forms, which include
    # unevaluated_data, is refused now that the profile is verhoogd.
    lines = with_retries(lines, {19: [""], 21: [""]})

    result = run("score", "rvd", input=stdin(lines))

    assert result.exit_code == 0, result.output
    assert warnings(result.stderr) == [
        "is mandatory for a verhoogd profile (state the weighty operational interest that "
        "outweighs the risk)",
        f"form 4: {FORMS_RULE}",
    ]
    assert "Risk profile: verhoogd (elevated), because of democratic_embedding (3)." in (
        result.stderr
    )
    assert result.stderr.endswith(RVD_SAVED.format(version=2, profile="verhoogd"))
    diff = json.loads(run("diff", "rvd", "1", "2", "--json").stdout)
    assert [(c["key"], c["score_from"], c["score_to"]) for c in diff["criteria"]] == [
        ("democratic_embedding", 5, 3),
        ("human_rights", 4, 4),
        ("professionalism", 5, 5),
        ("legal_powers", 4, 4),
        ("data_protection", 4, 4),
    ]
    assert diff["forms_removed"] == ["personal_data", "unevaluated_data", "joint_operations"]
    assert diff["interest_changed"] == ["quid_pro_quo", "operational_interest"]
    assert exported(run, "rvd")["interest"]["operational_interest"] == operational
    assert_audit_intact(run)


# Long texts in an editor


def editor_writing(text: str) -> str:
    """An $EDITOR command that replaces the file it is given with `text`."""
    script = f"import sys; open(sys.argv[1], 'w', encoding='utf-8').write({text!r})"
    return f"{sys.executable} -c {json.dumps(script)}"


def test_editor_writes_the_long_texts(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    add_partner(run, "rvd")
    sentence = "De dienst werkt al jaren betrouwbaar en professioneel met ons samen."
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editor_writing(sentence))
    # Only the short answers are typed: five times score and sources, conditions, forms.
    lines = [part for score in "45454" for part in (score, "")] + ["", "1,2", "y"]
    result = run("score", "rvd", "--editor", input=stdin(lines))
    assert result.exit_code == 0, result.output
    assert result.stderr.count("opening your editor…") == 10
    answers = exported(run, "rvd")
    assert answers["context"] == sentence
    assert {answers["criteria"][k]["motivation"] for k in CRITERION_KEYS} == {sentence}
    assert answers["interest"]["added_value"] == sentence
    assert answers["cooperation"]["forms"] == ["knowledge_exchange", "evaluated_data"]


def test_editor_that_fails_saves_nothing(
    run: Run, location: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_partner(run, "rvd")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} -c 'raise SystemExit(3)'")
    result = run("score", "rvd", "--editor", input="\n" * PROMPTS)
    assert result.exit_code == 1
    assert result.stderr.endswith("Error: The editor exited with code 3; nothing saved.\n")
    assert note_rows(location) == []


def test_editor_option_without_an_editor_is_refused(
    run: Run, location: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the missing editor was taken for a wrong answer and asked for ever."""
    add_partner(run, "rvd")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    result = run("score", "rvd", "--editor", input="\n" * PROMPTS)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: --editor needs $EDITOR (or $VISUAL) to name your editor.\n"
    )
    assert result.stderr.count("opening your editor…") == 1
    assert note_rows(location) == []


# Going back from the summary


SUMMARY_ENTRIES = 12  # context, five criteria, three interest texts, operational, conditions, forms


def summary_texts(stderr: str) -> str:
    """The last summary's Answer and Text columns, their wrapped lines joined by single spaces."""
    table = stderr[stderr.rindex("Summary: ") : stderr.rindex(CONFIRM)]
    cells = [line.split("│") for line in table.splitlines() if line.startswith("│")]
    return " ".join(" ".join(f"{row[2]} {row[4]}" for row in cells if len(row) == 6).split())


def test_summary_shows_every_answer_in_full_with_the_interest_side(run: Run) -> None:
    add_partner(run, "rvd")
    data = raw(STANDAARD)
    result = run("score", "rvd", input=stdin(typed(data)))
    assert result.exit_code == 0, result.output
    summary = summary_texts(result.stderr)
    for text in (
        data["context"],
        *(data["criteria"][key]["motivation"] for key in CRITERION_KEYS),
        "Sources: Wet op de Ruritaanse veiligheidsdienst (fictief); Jaarverslag toezichthouder",
        "Toegevoegde waarde",
        data["interest"]["added_value"],
        "Internationale verplichtingen",
        data["interest"]["international_obligations"],
        "Quid pro quo",
        data["interest"]["quid_pro_quo"],
        "Zwaarwegend operationeel belang",
        "Conditions",
        data["cooperation"]["conditions"][0],
        "Permitted forms",
    ):
        assert " ".join(text.split()) in summary, text
    assert [int(n) for n in re.findall(r"^│ +([0-9]+) │", result.stderr, re.MULTILINE)] == list(
        range(1, SUMMARY_ENTRIES + 1)
    )


def test_going_back_from_the_summary_changes_a_criterion_and_a_field(
    run: Run, location: Location
) -> None:
    add_partner(run, "rvd")
    data = raw(STANDAARD)
    motivation = (
        "Het land heeft alle belangrijke mensenrechtenverdragen geratificeerd en nageleefd."
    )
    obligations = "Lid van de CTG en partij bij het Europees Verdrag voor de Rechten van de Mens."
    lines = typed(data, confirm="3")  # 3: human_rights, the second criterion
    lines += ["5", motivation, ""]  # score, motivation, sources kept
    lines += ["8", obligations]  # 8: international obligations
    lines += ["y"]
    before = events(location)

    result = run("score", "rvd", input=stdin(lines))

    assert result.exit_code == 0, result.output
    assert warnings(result.stderr) == []
    assert result.stderr.count("Summary: risk profile standaard") == 3
    assert result.stderr.count("2/5 Mensenrechtensituatie (human_rights)") == 2
    assert result.stderr.count(CONFIRM) == 3
    assert result.stderr.endswith(CONFIRM + RVD_SAVED.format(version=1, profile="standaard"))
    [entry] = history(run, "rvd")
    assert entry["status"] == "draft"
    assert entry["scores"]["human_rights"] == 5
    expected = raw(STANDAARD)
    expected["criteria"]["human_rights"]["score"] = 5
    expected["criteria"]["human_rights"]["motivation"] = motivation
    expected["interest"]["international_obligations"] = obligations
    assert exported(run, "rvd") == expected
    assert events(location) > before


def test_a_lower_score_from_the_summary_asks_again_what_verhoogd_needs(run: Run) -> None:
    add_partner(run, "rvd")
    data = raw(STANDAARD)
    data["cooperation"]["conditions"] = []
    operational = "Zonder deze dienst ontbreekt zicht op netwerken in de regio."
    condition = "Persoonsgegevens alleen met toestemming van de minister."
    lines = typed(data, confirm="2")  # 2: democratic_embedding
    lines += ["3", "", ""]  # score 3, motivation and sources kept
    # The new profile refuses the empty operational interest and conditions and the forms
    # with unevaluated_data: each is asked again, with the reason.
    lines += [operational, condition, "1, 2"]
    lines += ["y"]

    result = run("score", "rvd", input=stdin(lines))

    assert result.exit_code == 0, result.output
    assert warnings(result.stderr) == [
        "is mandatory for a verhoogd profile (state the weighty operational interest that "
        "outweighs the risk)",
        "at least one mitigating condition is mandatory for a verhoogd profile",
        f"form 4: {FORMS_RULE}",
    ]
    assert "Risk profile: verhoogd (elevated), because of democratic_embedding (3)." in (
        result.stderr
    )
    assert "Summary: risk profile verhoogd" in result.stderr
    assert result.stderr.endswith(RVD_SAVED.format(version=1, profile="verhoogd"))
    [entry] = history(run, "rvd")
    assert entry["scores"]["democratic_embedding"] == 3
    saved = exported(run, "rvd")
    assert saved["interest"]["operational_interest"] == operational
    assert saved["cooperation"] == {
        "forms": ["knowledge_exchange", "evaluated_data"],
        "conditions": [condition],
    }


@pytest.mark.parametrize("reply", ["0", "13", "maybe", "٣"])
def test_a_reply_that_is_no_choice_is_asked_again(run: Run, reply: str) -> None:
    add_partner(run, "rvd")
    result = run("score", "rvd", input=stdin([*typed(raw(STANDAARD), confirm=reply), "y"]))
    assert result.exit_code == 0, result.output
    assert warnings(result.stderr) == [
        f"answer y to save, n to stop, or a number from 1 to {SUMMARY_ENTRIES} to change it"
    ]
    assert [e["version"] for e in history(run, "rvd")] == [1]


def test_stopping_after_going_back_saves_nothing(run: Run, location: Location) -> None:
    add_partner(run, "rvd")
    before = events(location)
    lines = [*typed(raw(STANDAARD), confirm="1"), "Nieuwe ontwikkelingen in het land.", "n"]
    result = run("score", "rvd", input=stdin(lines))
    assert result.exit_code == 1
    assert result.stderr.endswith(CONFIRM + "Error: Not saved.\n")
    assert events(location) == before
    assert note_rows(location) == []


def test_end_of_input_ends_the_prompt_line(run: Run) -> None:
    add_partner(run, "rvd")
    result = run("score", "rvd", input=stdin(typed(raw(STANDAARD))[:2]))
    assert result.exit_code == 1
    assert result.stderr.endswith("Motivation (mandatory, a real sentence): \n" + STOPPED)


def test_short_prefilled_answers_stay_in_the_brackets(run: Run) -> None:
    add_partner(run, "rvd")
    assert run("score", "rvd", "--answers", str(STANDAARD)).exit_code == 0
    result = run("score", "rvd", input=stdin([""] * (PROMPTS - 1) + ["y"]))
    assert result.exit_code == 0, result.output
    assert "Score 1–5 [5]: " in result.stderr
    assert "Sources, separated by ';' (optional) [Rapport mensenrechtenorganisatie 2025]: " in (
        result.stderr
    )
    assert "..." not in result.stderr


# The editor's file


def editor_recording(log: Path, *texts: str) -> str:
    """An $EDITOR command that appends the file it is given to `log`, then writes below the
    marker line the nth of `texts` the nth time it runs (the last one from then on)."""
    script = (
        "import sys; p = sys.argv[1]; c = open(p, encoding='utf-8').read(); "
        f"log = {str(log)!r}; texts = {list(texts)!r}; "
        "import os; n = open(log, encoding='utf-8').read().count('\\f') "
        "if os.path.exists(log) else 0; "
        "open(log, 'a', encoding='utf-8').write(c + '\\f'); "
        "m = '# ------------------------ >8 ------------------------'; "
        "open(p, 'w', encoding='utf-8').write(c[: c.index(m) + len(m)] + '\\n' "
        "+ texts[min(n, len(texts) - 1)])"
    )
    return f"{sys.executable} -c {json.dumps(script)}"


def test_editor_file_names_the_field_and_its_guiding_question(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wegings.domain import CRITERIA_BY_KEY

    add_partner(run, "rvd")
    log = tmp_path / "opened.txt"
    sentence = "# Geen kop.\nDe dienst werkt al jaren betrouwbaar en professioneel met ons samen."
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editor_recording(log, sentence))
    lines = [part for score in "45454" for part in (score, "")] + ["", "1,2", "y"]
    result = run("score", "rvd", "--editor", input=stdin(lines))
    assert result.exit_code == 0, result.output
    opened = log.read_text(encoding="utf-8").split("\f")[:-1]
    assert len(opened) == 10
    human_rights = CRITERIA_BY_KEY["human_rights"]
    assert opened[2] == (
        "# Motivation of 2/5 Mensenrechtensituatie (Human-rights situation), "
        "criteria.human_rights.motivation: mandatory, at least one real sentence.\n"
        f"# {human_rights.question_nl}\n"
        f"# {human_rights.question_en}\n"
        "# Score given: 5 voldoet volledig (fully meets).\n"
        "# Write below the line; everything above it is ignored.\n"
        "# ------------------------ >8 ------------------------\n"
        "\n"
    )
    assert opened[0].startswith("# Context (context), optional.\n# Which developments")
    assert opened[6].startswith(
        "# Toegevoegde waarde / added value (mandatory), interest.added_value.\n"
        "# What does cooperation with this service add"
    )
    assert opened[9].startswith(
        "# Zwaarwegend operationeel belang / weighty operational interest (optional), "
        "interest.operational_interest.\n# Which weighty operational interest"
    )
    answers = exported(run, "rvd")
    # A line of one's own that starts with '#' is kept: only what is above the marker goes.
    assert answers["criteria"]["human_rights"]["motivation"] == sentence
    assert answers["interest"]["added_value"] == sentence


def test_editor_reopens_a_refused_text_with_the_reason(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_partner(run, "rvd")
    log = tmp_path / "opened.txt"
    sentence = "De dienst werkt al jaren betrouwbaar en professioneel met ons samen."
    monkeypatch.delenv("VISUAL", raising=False)
    # The context, then a placeholder for the first motivation (refused), then good texts.
    monkeypatch.setenv("EDITOR", editor_recording(log, "", "n.v.t.", sentence))
    lines = [part for score in "45454" for part in (score, "")] + ["", "1,2", "y"]
    result = run("score", "rvd", "--editor", input=stdin(lines))
    assert result.exit_code == 0, result.output
    assert warnings(result.stderr) == [
        "is a placeholder, not a sentence; write at least one real sentence (4 words and 20 "
        "characters or more)"
    ]
    opened = log.read_text(encoding="utf-8").split("\f")[:-1]
    assert len(opened) == 11
    assert "# Not accepted: " not in opened[1]
    assert "\n# Not accepted: is a placeholder, not a sentence; write at least one" in opened[2]
    assert opened[2].endswith("------------------------ >8 ------------------------\nn.v.t.\n")
    assert exported(run, "rvd")["criteria"]["democratic_embedding"]["motivation"] == sentence


def test_text_written_without_the_marker_drops_only_the_leading_comments() -> None:
    from wegings.cli.scoring import editor_file, written_text

    assert written_text(editor_file("Oude tekst.\n# blijft", ["Veld", "Vraag?"])) == (
        "Oude tekst.\n# blijft"
    )
    assert written_text("# Veld\n# Vraag?\n\nNieuwe tekst.\n# blijft\n") == (
        "Nieuwe tekst.\n# blijft"
    )
    assert written_text("Alles weg gehaald.") == "Alles weg gehaald."


@pytest.mark.parametrize(
    ("problem", "shown"),
    [
        (
            ("forms[2]", "listed twice (first at forms[0]); list it once"),
            "form 3: listed twice (first at form 1); list it once",
        ),
        (
            ("sources[0]", "is too long (600 characters; at most 500)"),
            "source 1: is too long (600 characters; at most 500)",
        ),
        (("conditions", "at least one"), "at least one"),
    ],
)
def test_prompt_problems_count_items_from_one(problem: tuple[str, str], shown: str) -> None:
    from wegings.cli.scoring import counted_from_one
    from wegings.errors import Problem

    assert counted_from_one(Problem(*problem)) == shown
