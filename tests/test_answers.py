"""Tests for validating, exporting and re-reading the answers of a weighing."""

from __future__ import annotations

import copy
import json
import tomllib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wegings.domain import CRITERION_KEYS, FORM_KEYS, RiskProfile
from wegings.errors import InvalidInput, Problem, ValidationFailed
from wegings.notes.answers import (
    CONDITIONS_RULE,
    MAX_ITEM_LENGTH,
    NO_ANSWERS,
    OPERATIONAL_INTEREST_RULE,
    Answers,
    CriterionAnswer,
    Interest,
    answers_to_mapping,
    answers_to_toml,
    check_added_value,
    check_conditions,
    check_forms_choice,
    check_item,
    check_motivation,
    check_operational_interest,
    check_score,
    check_sources,
    parse_forms,
    parse_score,
    validate_answers,
)
from wegings.notes.weighing import SENTENCE_HINT

MOTIVATION = "The service has a statutory basis and is overseen by parliament."
ALL_FORMS = ", ".join(FORM_KEYS)
UNEVALUATED_RULE = (
    "unevaluated_data may only be permitted in a standaard note (only positively assessed, "
    "trusted services receive unevaluated data)"
)


def valid_raw(score: int = 4) -> dict[str, Any]:
    """A complete, valid weighing file as parsed, every criterion scored `score`."""
    return {
        "context": "Re-assessment after the 2024 elections.",
        "criteria": {
            key: {"score": score, "motivation": MOTIVATION, "sources": ["CTIVD report 60"]}
            for key in CRITERION_KEYS
        },
        "interest": {
            "added_value": "Unique reporting on regional terrorism.",
            "international_obligations": "",
            "quid_pro_quo": "They share what we lack.",
            "operational_interest": "Imminent threats to Dutch troops." if score < 4 else "",
        },
        "cooperation": {
            "forms": ["knowledge_exchange", "evaluated_data"],
            "conditions": ["No onward transfer without consent."] if score < 4 else [],
        },
    }


def problems_of(raw: object) -> list[Problem]:
    """The problems validate_answers reports for `raw` (which must be invalid)."""
    with pytest.raises(ValidationFailed) as caught:
        validate_answers(raw)
    return caught.value.problems


# Valid answers


def test_valid_standaard_answers() -> None:
    answers = validate_answers(valid_raw())
    assert answers.profile == RiskProfile.standaard
    assert answers.scores == dict.fromkeys(CRITERION_KEYS, 4)
    assert list(answers.criteria) == list(CRITERION_KEYS)
    assert answers.criteria["human_rights"] == CriterionAnswer(4, MOTIVATION, ("CTIVD report 60",))
    assert answers.interest == Interest(
        "Unique reporting on regional terrorism.", "", "They share what we lack.", ""
    )
    assert answers.forms == ("knowledge_exchange", "evaluated_data")
    assert answers.conditions == ()


def test_valid_verhoogd_answers() -> None:
    raw = valid_raw(score=3)
    raw["criteria"]["professionalism"]["score"] = 5
    answers = validate_answers(raw)
    assert answers.profile == RiskProfile.verhoogd
    assert answers.conditions == ("No onward transfer without consent.",)


def test_texts_are_stripped_and_forms_put_in_fixed_order() -> None:
    raw = valid_raw()
    raw["context"] = "  \n Context. \n"
    raw["criteria"]["legal_powers"]["motivation"] = f"\n  {MOTIVATION}\r\nSecond line.  "
    raw["criteria"]["legal_powers"]["sources"] = ["  a source "]
    raw["cooperation"]["forms"] = ["technical_support", " personal_data ", "knowledge_exchange"]
    answers = validate_answers(raw)
    assert answers.context == "Context."
    assert answers.criteria["legal_powers"].motivation == f"{MOTIVATION}\nSecond line."
    assert answers.criteria["legal_powers"].sources == ("a source",)
    assert answers.forms == ("knowledge_exchange", "personal_data", "technical_support")


def test_optional_parts_may_be_left_out() -> None:
    raw = valid_raw()
    del raw["context"]
    for entry in raw["criteria"].values():
        del entry["sources"]
    raw["interest"] = {"added_value": "Unique reporting on regional terrorism."}
    raw["cooperation"] = {"forms": []}
    answers = validate_answers(raw)
    assert answers.context == ""
    assert answers.criteria["human_rights"].sources == ()
    assert answers.interest.quid_pro_quo == ""
    assert answers.forms == ()


def test_unevaluated_data_allowed_for_standaard() -> None:
    raw = valid_raw()
    raw["cooperation"]["forms"] = ["unevaluated_data"]
    assert validate_answers(raw).forms == ("unevaluated_data",)


def test_json_input_is_accepted() -> None:
    assert validate_answers(json.loads(json.dumps(valid_raw()))) == validate_answers(valid_raw())


# One rule at a time, with exact messages


@pytest.mark.parametrize(
    ("score", "shown"),
    [
        (7, "7"),
        (0, "0"),
        (True, "true"),
        (False, "false"),
        ("4", "'4'"),
        (4.0, "4.0"),
        ([4], "an array"),
    ],
)
def test_bad_score(score: object, shown: str) -> None:
    raw = valid_raw()
    raw["criteria"]["human_rights"]["score"] = score
    assert problems_of(raw) == [
        Problem("criteria.human_rights.score", f"must be a whole number from 1 to 5, got {shown}")
    ]


def test_missing_score() -> None:
    raw = valid_raw()
    del raw["criteria"]["professionalism"]["score"]
    assert problems_of(raw) == [
        Problem("criteria.professionalism.score", "is mandatory (a whole number from 1 to 5)")
    ]


@pytest.mark.parametrize(
    ("motivation", "message"),
    [
        ("", "is mandatory"),
        ("   ", "is mandatory"),
        ("n.v.t.", f"is a placeholder, not a sentence; {SENTENCE_HINT}"),
        ("tbd", f"is a placeholder, not a sentence; {SENTENCE_HINT}"),
        ("Goed.", f"is too short (5 characters); {SENTENCE_HINT}"),
        (42, "must be a string, got an integer"),
        (
            "Bad\x07bell in the middle of it",
            "contains a control character (U+0007) at character 4; remove it",
        ),
        ("x" * 5001, "is too long (5001 characters; at most 5000)"),
    ],
)
def test_bad_motivation(motivation: object, message: str) -> None:
    raw = valid_raw()
    raw["criteria"]["legal_powers"]["motivation"] = motivation
    assert problems_of(raw) == [Problem("criteria.legal_powers.motivation", message)]


def test_missing_motivation() -> None:
    raw = valid_raw()
    del raw["criteria"]["legal_powers"]["motivation"]
    assert problems_of(raw) == [Problem("criteria.legal_powers.motivation", "is mandatory")]


def test_bad_sources() -> None:
    raw = valid_raw()
    raw["criteria"]["data_protection"]["sources"] = ["ok", "", 3, "two\nlines"]
    raw["criteria"]["human_rights"]["sources"] = "a single string"
    assert problems_of(raw) == [
        Problem("criteria.human_rights.sources", "must be an array, got a string"),
        Problem("criteria.data_protection.sources[1]", "is empty; fill it in or leave it out"),
        Problem("criteria.data_protection.sources[2]", "must be a string, got an integer"),
        Problem(
            "criteria.data_protection.sources[3]",
            "must be on one line; remove the line break at character 4",
        ),
    ]


def test_source_too_long() -> None:
    raw = valid_raw()
    raw["criteria"]["data_protection"]["sources"] = ["s" * (MAX_ITEM_LENGTH + 1)]
    assert problems_of(raw) == [
        Problem("criteria.data_protection.sources[0]", "is too long (501 characters; at most 500)")
    ]


def test_added_value_is_mandatory() -> None:
    raw = valid_raw()
    raw["interest"]["added_value"] = " "
    assert problems_of(raw) == [Problem("interest.added_value", "is mandatory")]
    del raw["interest"]
    assert problems_of(raw) == [Problem("interest.added_value", "is mandatory")]


def test_unknown_form() -> None:
    raw = valid_raw()
    raw["cooperation"]["forms"] = ["knowledge_exchange", "evaluated_data", "foo"]
    assert problems_of(raw) == [
        Problem("cooperation.forms[2]", f"unknown form 'foo'; choose from {ALL_FORMS}")
    ]


def test_forms_must_be_given() -> None:
    raw = valid_raw()
    del raw["cooperation"]
    assert problems_of(raw) == [
        Problem(
            "cooperation.forms",
            f"is mandatory (an array of permitted forms; choose from {ALL_FORMS})",
        )
    ]


def test_verhoogd_needs_operational_interest_and_condition() -> None:
    raw = valid_raw(score=2)
    raw["interest"]["operational_interest"] = ""
    raw["cooperation"]["conditions"] = []
    assert problems_of(raw) == [
        Problem(
            "interest.operational_interest",
            "is mandatory for a verhoogd profile (state the weighty operational interest that "
            "outweighs the risk)",
        ),
        Problem(
            "cooperation.conditions",
            "at least one mitigating condition is mandatory for a verhoogd profile",
        ),
    ]


def test_verhoogd_refuses_unevaluated_data() -> None:
    raw = valid_raw(score=3)
    raw["cooperation"]["forms"] = ["knowledge_exchange", "unevaluated_data"]
    assert problems_of(raw) == [Problem("cooperation.forms[1]", UNEVALUATED_RULE)]


def test_unknown_keys_everywhere() -> None:
    raw = valid_raw()
    raw["contxt"] = "typo"
    raw["criteria"]["humanrights"] = raw["criteria"].pop("human_rights")
    raw["criteria"]["legal_powers"]["scroe"] = 4
    raw["interest"]["quid_pro_qou"] = ""
    raw["cooperation"]["zzz"] = []
    assert problems_of(raw) == [
        Problem("contxt", "unknown key; did you mean context?"),
        Problem("criteria.humanrights", "unknown key; did you mean human_rights?"),
        Problem(
            "criteria.human_rights", "is mandatory (a table with score, motivation and sources)"
        ),
        Problem("criteria.legal_powers.scroe", "unknown key; did you mean score?"),
        Problem("interest.quid_pro_qou", "unknown key; did you mean quid_pro_quo?"),
        Problem("cooperation.zzz", "unknown key; expected one of forms, conditions"),
    ]


def test_wrong_types_of_tables() -> None:
    raw = valid_raw()
    raw["criteria"]["professionalism"] = 4
    raw["interest"] = "much"
    raw["cooperation"]["forms"] = "knowledge_exchange"
    assert problems_of(raw) == [
        Problem("criteria.professionalism", "must be a table, got an integer"),
        Problem("interest", "must be a table, got a string"),
        Problem("cooperation.forms", "must be an array, got a string"),
    ]


def test_criteria_must_be_a_table() -> None:
    raw = valid_raw()
    raw["criteria"] = [1, 2, 3]
    assert problems_of(raw) == [Problem("criteria", "must be a table, got an array")]


def test_answers_must_be_a_table() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_answers(["not", "a", "table"])
    assert caught.value.message == "Answers: 1 problem: must be a table of answers, got an array"


def test_message_lists_every_problem() -> None:
    raw = valid_raw()
    raw["criteria"]["human_rights"]["score"] = 7
    raw["interest"]["added_value"] = ""
    with pytest.raises(ValidationFailed) as caught:
        validate_answers(raw)
    assert caught.value.message == "Answers: 2 problems:"
    assert caught.value.details == (
        "criteria.human_rights.score: must be a whole number from 1 to 5, got 7",
        "interest.added_value: is mandatory",
    )


def test_three_faulty_fields_are_all_reported() -> None:
    raw = valid_raw(score=3)
    raw["criteria"]["legal_powers"]["motivation"] = "zie boven"
    raw["interest"]["operational_interest"] = ""
    raw["cooperation"]["forms"] = ["knowledge_exchange", "unevaluated_data"]
    paths = [problem.path for problem in problems_of(raw)]
    assert paths == [
        "criteria.legal_powers.motivation",
        "interest.operational_interest",
        "cooperation.forms[1]",
    ]


def test_cross_field_rules_skipped_when_a_score_is_invalid() -> None:
    raw = valid_raw(score=2)
    raw["criteria"]["human_rights"]["score"] = "two"
    raw["interest"]["operational_interest"] = ""
    raw["cooperation"]["forms"] = ["unevaluated_data"]
    # Without all five scores the profile is unknown, so only the score itself is reported.
    assert [problem.path for problem in problems_of(raw)] == ["criteria.human_rights.score"]


# Export and round-trip


def test_mapping_is_a_complete_template() -> None:
    mapping = answers_to_mapping(validate_answers(valid_raw()))
    assert list(mapping) == ["context", "criteria", "interest", "cooperation"]
    assert list(mapping["criteria"]) == list(CRITERION_KEYS)
    assert list(mapping["criteria"]["human_rights"]) == ["score", "motivation", "sources"]
    assert list(mapping["interest"]) == [
        "added_value",
        "international_obligations",
        "quid_pro_quo",
        "operational_interest",
    ]
    assert mapping["interest"]["international_obligations"] == ""
    assert mapping["cooperation"] == {
        "forms": ["knowledge_exchange", "evaluated_data"],
        "conditions": [],
    }


def test_toml_round_trip_keeps_multiline_and_hostile_text() -> None:
    raw = valid_raw(score=3)
    raw["context"] = (
        'Line one.\n\tIndented "quoted" \\ backslash\n"""triple""" and \'\'\'single\'\'\''
    )
    raw["criteria"]["human_rights"]["motivation"] = (
        "<script>alert(1)</script> {{ 7*7 }} #set page *a* _b_ $c$ `d`\nمرحبا \u202eevil\u202c"
    )
    answers = validate_answers(raw)
    text = answers_to_toml(answers)
    assert 'context = """' in text  # multi-line strings stay readable
    assert validate_answers(tomllib.loads(text)) == answers


# Interactive helpers share the rules and messages


def test_parse_score() -> None:
    assert parse_score(" 4 ") == 4
    for text, shown in [("7", "7"), ("four", "'four'"), ("", "''"), ("٣", "'٣'"), ("-1", "'-1'")]:
        with pytest.raises(InvalidInput) as caught:
            parse_score(text)
        assert caught.value.message == f"must be a whole number from 1 to 5, got {shown}"


def test_check_score_refuses_bool() -> None:
    with pytest.raises(InvalidInput, match=r"got true$"):
        check_score(True)


def test_field_checks_give_the_file_messages() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_motivation("tbd")
    assert caught.value.message == f"is a placeholder, not a sentence; {SENTENCE_HINT}"
    with pytest.raises(InvalidInput) as caught:
        check_added_value("")
    assert caught.value.message == "is mandatory"
    with pytest.raises(InvalidInput) as caught:
        check_operational_interest(RiskProfile.verhoogd, " ")
    assert caught.value.message == OPERATIONAL_INTEREST_RULE
    assert check_operational_interest(RiskProfile.standaard, "") == ""
    with pytest.raises(InvalidInput) as caught:
        check_item("a\nb")
    assert caught.value.message == "must be on one line; remove the line break at character 2"


def test_check_conditions() -> None:
    assert check_conditions(RiskProfile.standaard, []) == ()
    assert check_conditions(RiskProfile.verhoogd, [" paraphrase "]) == ("paraphrase",)
    with pytest.raises(ValidationFailed) as caught:
        check_conditions(RiskProfile.verhoogd, [])
    assert caught.value.problems == [Problem("conditions", CONDITIONS_RULE)]


def test_check_sources_paths() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_sources(["ok", ""])
    assert caught.value.problems == [Problem("sources[1]", "is empty; fill it in or leave it out")]


def test_parse_and_check_forms_at_a_prompt() -> None:
    assert parse_forms("personal_data, 1  2,") == [
        "personal_data",
        "knowledge_exchange",
        "evaluated_data",
    ]
    assert parse_forms("  ") == []
    assert parse_forms("9") == ["9"]
    assert check_forms_choice(RiskProfile.standaard, parse_forms("3,1")) == (
        "knowledge_exchange",
        "personal_data",
    )
    with pytest.raises(ValidationFailed) as caught:
        check_forms_choice(RiskProfile.verhoogd, parse_forms("4"))
    assert caught.value.problems == [Problem("forms[0]", UNEVALUATED_RULE)]


# Properties

# Printable text as the field may hold it: no control characters except tab and (for
# multi-line fields) newline, and no Unicode line separators.
_printable = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
_line = st.text(st.one_of(_printable, st.just("\t")), max_size=40)
_multiline = st.lists(
    st.one_of(st.text(_printable, max_size=10), st.sampled_from(["\t", "\n", "\r\n"])),
    max_size=10,
).map("".join)
_any_score = st.integers(1, 5)


@st.composite
def raw_answers(draw: st.DrawFn, scores: st.SearchStrategy[int] = _any_score) -> Any:
    """A valid weighing file as parsed, with arbitrary (but allowed) text."""
    drawn_scores = {key: draw(scores) for key in CRITERION_KEYS}
    criteria = {
        key: {
            "score": drawn_scores[key],
            # A real sentence first, so any printable tail keeps it one.
            "motivation": draw(st.just(MOTIVATION + " ") | st.just("  \n" + MOTIVATION + "\n"))
            + draw(_multiline),
            "sources": draw(st.lists(_line.map(lambda text: "source " + text), max_size=3)),
        }
        for key in CRITERION_KEYS
    }
    verhoogd = min(drawn_scores.values()) < 4
    allowed_forms = [key for key in FORM_KEYS if not (verhoogd and key == "unevaluated_data")]
    return {
        "context": draw(_multiline),
        "criteria": criteria,
        "interest": {
            "added_value": "The value it adds to our work: " + draw(_multiline),
            "international_obligations": draw(_multiline),
            "quid_pro_quo": draw(_multiline),
            "operational_interest": (
                "The interest that outweighs the risk: " + draw(_multiline) if verhoogd else ""
            ),
        },
        "cooperation": {
            "forms": draw(st.lists(st.sampled_from(allowed_forms), unique=True)),
            "conditions": draw(
                st.lists(
                    _line.map(lambda text: "condition " + text),
                    min_size=1 if verhoogd else 0,
                    max_size=3,
                )
            ),
        },
    }


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(raw_answers())
def test_toml_round_trip_is_identity(raw: Any) -> None:
    answers = validate_answers(raw)
    assert validate_answers(tomllib.loads(answers_to_toml(answers))) == answers
    assert validate_answers(answers_to_mapping(answers)) == answers


@given(raw_answers())
def test_profile_follows_the_lowest_score(raw: Any) -> None:
    answers = validate_answers(raw)
    lowest = min(entry["score"] for entry in raw["criteria"].values())
    assert (answers.profile == RiskProfile.standaard) == (lowest >= 4)


@given(raw_answers(scores=st.integers(1, 3)), st.data())
def test_verhoogd_never_validates_with_unevaluated_data(raw: Any, data: st.DataObject) -> None:
    raw = copy.deepcopy(raw)
    forms = raw["cooperation"]["forms"]
    forms.insert(data.draw(st.integers(0, len(forms))), "unevaluated_data")
    with pytest.raises(ValidationFailed) as caught:
        validate_answers(raw)
    assert any(problem.message == UNEVALUATED_RULE for problem in caught.value.problems)


def test_answers_equal_when_built_directly() -> None:
    answers = validate_answers(valid_raw())
    rebuilt = Answers(
        context=answers.context,
        criteria=dict(answers.criteria),
        interest=answers.interest,
        forms=answers.forms,
        conditions=answers.conditions,
    )
    assert rebuilt == answers


def test_an_empty_table_is_one_problem_not_one_per_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_answers({})
    assert caught.value.problems == [Problem("", NO_ANSWERS.format(handle="PARTNER"))]
    assert caught.value.details == ()


def test_one_problem_is_one_line_with_no_details() -> None:
    raw = valid_raw()
    raw["interest"]["added_value"] = ""
    with pytest.raises(ValidationFailed) as caught:
        validate_answers(raw)
    assert caught.value.message == "Answers: 1 problem: interest.added_value: is mandatory"
    assert caught.value.details == ()


@pytest.mark.parametrize("field", ["added_value", "operational_interest"])
def test_an_interest_is_a_real_sentence_not_a_stray_reply(field: str) -> None:
    raw = valid_raw(score=3)
    raw["interest"][field] = "y"
    problems = problems_of(raw)
    assert [problem.path for problem in problems] == [f"interest.{field}"]
    assert "real sentence" in problems[0].message
