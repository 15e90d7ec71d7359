"""Pure-rule tests for the weighing decision rules (no database, no CLI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wegings.domain import CRITERION_KEYS, FORM_KEYS, NoteStatus, RiskProfile, Role
from wegings.errors import InvalidInput, Problem, Refused, ValidationFailed
from wegings.notes.weighing import (
    SENTENCE_HINT,
    add_months,
    check_establish,
    check_forms,
    is_real_sentence,
    profile_causes,
    review_due,
    risk_profile,
    same_full_name,
    same_person,
)
from wegings.text import check_free_text

UNEVALUATED_RULE = (
    "unevaluated_data may only be permitted in a standaard note (only positively assessed, "
    "trusted services receive unevaluated data)"
)
ALL_FORMS = ", ".join(FORM_KEYS)


def scores_with(**changes: int) -> dict[str, int]:
    """Five scores of 4, with some criteria changed."""
    scores = dict.fromkeys(CRITERION_KEYS, 4)
    scores.update(changes)
    return scores


# Risk profile


def test_all_fours_are_standaard() -> None:
    assert risk_profile(scores_with()) == RiskProfile.standaard


def test_all_fives_are_standaard() -> None:
    assert risk_profile(dict.fromkeys(CRITERION_KEYS, 5)) == RiskProfile.standaard


@pytest.mark.parametrize("key", CRITERION_KEYS)
def test_one_three_makes_verhoogd(key: str) -> None:
    assert risk_profile(scores_with(**{key: 3})) == RiskProfile.verhoogd


@pytest.mark.parametrize(
    ("score", "expected"), [(1, "verhoogd"), (3, "verhoogd"), (4, "standaard")]
)
def test_boundary_between_three_and_four(score: int, expected: str) -> None:
    assert risk_profile(scores_with(data_protection=score)) == expected


@given(st.fixed_dictionaries({key: st.integers(1, 5) for key in CRITERION_KEYS}))
def test_standaard_iff_minimum_is_at_least_four(scores: dict[str, int]) -> None:
    expected = RiskProfile.standaard if min(scores.values()) >= 4 else RiskProfile.verhoogd
    assert risk_profile(scores) == expected
    assert (profile_causes(scores) == []) == (expected == RiskProfile.standaard)


def test_missing_score_is_invalid() -> None:
    scores = scores_with()
    del scores["human_rights"]
    with pytest.raises(InvalidInput) as caught:
        risk_profile(scores)
    assert caught.value.message == (
        "Scores: 1 problem: human_rights: score is missing; every one of the five criteria "
        "needs one"
    )


def test_unknown_criterion_is_invalid() -> None:
    with pytest.raises(ValidationFailed) as caught:
        risk_profile({**scores_with(), "humanrights": 4})
    assert caught.value.problems == [
        Problem(
            "humanrights",
            "unknown criterion; did you mean human_rights? Choose from "
            + ", ".join(CRITERION_KEYS),
        )
    ]


@pytest.mark.parametrize(("score", "shown"), [(0, "0"), (6, "6"), (True, "True"), (-1, "-1")])
def test_score_outside_scale_is_invalid(score: int, shown: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        risk_profile(scores_with(legal_powers=score))
    assert caught.value.problems == [
        Problem("legal_powers", f"must be a whole number from 1 to 5, got {shown}")
    ]


def test_profile_causes_in_fixed_order() -> None:
    scores = scores_with(data_protection=1, human_rights=3, professionalism=4)
    assert profile_causes(scores) == ["human_rights", "data_protection"]


def test_profile_causes_empty_for_standaard() -> None:
    assert profile_causes(scores_with(legal_powers=5)) == []


# Who may establish


def establish(
    *,
    profile: RiskProfile = RiskProfile.standaard,
    role: Role = Role.dg,
    author: str = "anna",
    actor: str = "bert",
    status: NoteStatus = NoteStatus.draft,
) -> None:
    """Call check_establish with a valid standaard request unless told otherwise."""
    check_establish(profile=profile, role=role, author=author, actor=actor, status=status)


def test_standaard_may_be_established_by_dg_or_minister() -> None:
    establish(role=Role.dg)
    establish(role=Role.minister)


def test_verhoogd_may_be_established_by_minister() -> None:
    establish(profile=RiskProfile.verhoogd, role=Role.minister)


def test_verhoogd_refused_for_dg() -> None:
    with pytest.raises(Refused) as caught:
        establish(profile=RiskProfile.verhoogd, role=Role.dg)
    assert caught.value.message == (
        "A verhoogd note can only be established by the minister; it was asked as dg. "
        "Use --role minister."
    )


@pytest.mark.parametrize("actor", ["anna", "ANNA", "  Anna "])
def test_four_eyes(actor: str) -> None:
    with pytest.raises(Refused) as caught:
        establish(author="Anna", actor=actor)
    assert caught.value.message == (
        "The note was written by 'Anna'; another person must establish it (four eyes). "
        "Use --as NAME."
    )


@pytest.mark.parametrize(
    "status", [NoteStatus.established, NoteStatus.superseded, NoteStatus.withdrawn]
)
def test_only_a_draft_can_be_established(status: NoteStatus) -> None:
    with pytest.raises(Refused) as caught:
        establish(status=status)
    assert caught.value.message == (
        f"Only a draft can be established; this version is {status.value}. "
        "Start a new version instead."
    )


def test_blank_actor_is_invalid() -> None:
    with pytest.raises(InvalidInput) as caught:
        establish(actor="  ")
    assert caught.value.message == "Name the person who establishes the note. Use --as NAME."


def test_blank_author_is_refused() -> None:
    with pytest.raises(Refused, match="no recorded author"):
        establish(author="")


def test_same_person_ignores_case_and_blanks() -> None:
    assert same_person(" Jan de Vries", "jan de vries ")
    assert not same_person("jan", "jans")


@pytest.mark.parametrize(
    "look_alike",
    [
        "al\u0456ce",  # Cyrillic i
        "\u0430lice",  # Cyrillic a
        "ALI\u0421E",  # Cyrillic capital es
        "al\u0131ce",  # dotless i
        "\uff41lice",  # fullwidth a
        "al\u200bice",  # zero-width space
    ],
)
def test_a_look_alike_name_is_the_same_person(look_alike: str) -> None:
    assert same_person("alice", look_alike)
    with pytest.raises(Refused, match="four eyes"):
        establish(author="alice", actor=look_alike)


def test_different_people_stay_different() -> None:
    assert not same_person("alice", "alina")
    assert not same_person("jan de vries", "jan de vries-bos")
    assert not same_full_name("alice", "alina")
    assert not same_full_name("jan de vries", "jan de vries-bos")
    assert not same_full_name("mr. H. de Boer", "mr. H.J. de Boer")
    assert not same_full_name("A. B. de Vries", "A. C. de Vries")


@pytest.mark.parametrize(
    ("name", "written_otherwise"),
    [
        ("mr. D. Generaal", "mr.D. Generaal"),
        ("A. B. de Vries", "A.B. de Vries"),
        ("A. B. de Vries", "A. B. deVries"),
        ("A. B. de Vries", "A B de Vries"),
        ("A. B. de Vries", "A. B. de Vri\u00e9s"),  # an accent
        ("A. B. de Vries", "A. B. de Vrie\u0301s"),  # the accent as a combining mark
        ("A. B. de Vries", "A. B. \u0257e Vries"),  # d with hook
        ("A. B. de Vries", "a.b. DE VRIES"),
        ("J. van 't Hof", "J. van t Hof"),
        ("K. Klaas-Smit", "K. Klaas Smit"),
        ("mr. H. de Boer", "mr. \u041d. de Boer"),  # a Cyrillic capital en
    ],
)
def test_a_full_name_ignores_spacing_punctuation_and_accents(
    name: str, written_otherwise: str
) -> None:
    assert same_full_name(name, written_otherwise)
    assert same_full_name(written_otherwise, name)


@pytest.mark.parametrize(
    ("login", "other"),
    [("j.jansen", "jjansen"), ("j_jansen", "j-jansen"), ("jan@bz", "janbz"), ("o'neill", "oneill")],
)
def test_a_login_keeps_its_punctuation(login: str, other: str) -> None:
    assert not same_person(login, other)
    establish(author=login, actor=other)


# Review date


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("established", "profile", "due"),
    [
        (utc(2024, 3, 15, 10, 30), RiskProfile.standaard, utc(2026, 3, 15, 10, 30)),
        (utc(2024, 3, 15, 10, 30), RiskProfile.verhoogd, utc(2025, 3, 15, 10, 30)),
        (utc(2024, 2, 29), RiskProfile.verhoogd, utc(2025, 2, 28)),
        (utc(2024, 2, 29), RiskProfile.standaard, utc(2026, 2, 28)),
        (utc(2023, 2, 28), RiskProfile.verhoogd, utc(2024, 2, 28)),
        (utc(2024, 12, 31, 23, 59), RiskProfile.verhoogd, utc(2025, 12, 31, 23, 59)),
    ],
)
def test_review_due(established: datetime, profile: RiskProfile, due: datetime) -> None:
    assert review_due(established, profile) == due


def test_review_due_is_utc_for_other_time_zones() -> None:
    amsterdam_summer = timezone(timedelta(hours=2))
    # 00:30 on 1 July in Amsterdam is still 30 June in UTC.
    due = review_due(datetime(2024, 7, 1, 0, 30, tzinfo=amsterdam_summer), RiskProfile.verhoogd)
    assert due == utc(2025, 6, 30, 22, 30)
    assert due.tzinfo is UTC


def test_review_due_refuses_naive_datetime() -> None:
    with pytest.raises(InvalidInput) as caught:
        review_due(datetime(2024, 1, 1), RiskProfile.standaard)
    assert caught.value.message == (
        "The establishment time 2024-01-01T00:00:00 has no time zone; give it in UTC."
    )


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (utc(2024, 1, 31), 1, utc(2024, 2, 29)),
        (utc(2023, 1, 31), 1, utc(2023, 2, 28)),
        (utc(2024, 11, 30), 3, utc(2025, 2, 28)),
        (utc(2024, 5, 31), 1, utc(2024, 6, 30)),
        (utc(2024, 5, 15), 0, utc(2024, 5, 15)),
    ],
)
def test_add_months_clamps_day(start: datetime, months: int, end: datetime) -> None:
    assert add_months(start, months) == end


@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(list(RiskProfile)),
)
def test_review_due_is_whole_months_later(established: datetime, profile: RiskProfile) -> None:
    due = review_due(established, profile)
    months = 12 if profile == RiskProfile.verhoogd else 24
    assert (due.year - established.year) * 12 + due.month - established.month == months
    assert due.day <= established.day
    assert due.time() == established.time()


# Forms


def test_forms_valid_for_standaard() -> None:
    assert check_forms(RiskProfile.standaard, list(FORM_KEYS)) == []


def test_unknown_form_with_suggestion() -> None:
    assert check_forms(
        RiskProfile.standaard, ["personal_dta", "foo"], path="cooperation.forms"
    ) == [
        Problem(
            "cooperation.forms[0]",
            f"unknown form 'personal_dta'; did you mean personal_data? Choose from {ALL_FORMS}",
        ),
        Problem("cooperation.forms[1]", f"unknown form 'foo'; choose from {ALL_FORMS}"),
    ]


def test_duplicate_form() -> None:
    assert check_forms(RiskProfile.standaard, ["evaluated_data", " evaluated_data"]) == [
        Problem("forms[1]", "listed twice (first at forms[0]); list it once")
    ]


def test_unevaluated_data_refused_in_verhoogd() -> None:
    assert check_forms(RiskProfile.verhoogd, ["knowledge_exchange", "unevaluated_data"]) == [
        Problem("forms[1]", UNEVALUATED_RULE)
    ]


def test_unevaluated_data_allowed_in_standaard_and_unknown_profile() -> None:
    assert check_forms(RiskProfile.standaard, ["unevaluated_data"]) == []
    assert check_forms(None, ["unevaluated_data"]) == []


def test_form_must_be_a_string() -> None:
    assert check_forms(RiskProfile.standaard, [3]) == [
        Problem("forms[0]", "must be a form key (a string), got an integer")
    ]


# Real sentences


@pytest.mark.parametrize(
    "text",
    [
        "De dienst staat onder parlementaire controle.",
        "Oversight by a judge and a committee.",
        "Four words here, ok!",  # exactly 20 characters and 4 words
        "Zie boven: de dienst werd in 2023 opnieuw beoordeeld.",
    ],
)
def test_real_sentences_pass(text: str) -> None:
    assert is_real_sentence(text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is empty"),
        ("   \n ", "is empty"),
        ("- - - - - - - - - - - - -", "contains no letters"),
        ("1234 5678 9012 3456 7890", "contains no letters"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "repeats one character"),
        ("a a a a a a a a a a a a a a", "repeats one character"),
        ("n.v.t.", "is a placeholder, not a sentence"),
        ("N.V.T.", "is a placeholder, not a sentence"),
        ("n/a", "is a placeholder, not a sentence"),
        ("tbd", "is a placeholder, not a sentence"),
        ("TODO", "is a placeholder, not a sentence"),
        ("xxx", "is a placeholder, not a sentence"),
        ("zie boven", "is a placeholder, not a sentence"),
        ("Zie boven.", "is a placeholder, not a sentence"),
        ("todo todo todo todo todo todo", "is a placeholder, not a sentence"),
        (
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
            "is a placeholder, not a sentence",
        ),
        ("Goede dienst.", "is too short (13 characters)"),
        ("Twenty characters ok", "has too few words (3)"),
        ("Parliamentary-oversight exists", "has too few words (2)"),
    ],
)
def test_not_a_real_sentence(text: str, reason: str) -> None:
    assert is_real_sentence(text) == f"{reason}; {SENTENCE_HINT}"


def test_sentence_boundary_nineteen_characters() -> None:
    text = "Aa bb cc dd eeeeeee"
    assert len(text) == 19
    assert is_real_sentence(text) == f"is too short (19 characters); {SENTENCE_HINT}"
    assert is_real_sentence(text + "e") is None


def test_sentence_hint_names_the_bar() -> None:
    assert SENTENCE_HINT == "write at least one real sentence (4 words and 20 characters or more)"


# Free text


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "{{ 7*7 }} and {% raw %}",
        "#set page(width: 1cm)",
        "*bold* _under_ $x$ \\ `code` ```fence```",
        "مرحبا بالعالم",
        "abc\u202edcba\u200f\u2066x\u2069",
        "tab\there",
        "שלום",
    ],
)
@pytest.mark.parametrize("multiline", [True, False])
def test_printable_hostile_text_is_allowed(text: str, multiline: bool) -> None:
    assert check_free_text(text, multiline=multiline, max_length=100) is None


def test_line_breaks_allowed_only_in_multiline() -> None:
    assert check_free_text("one\ntwo", multiline=True, max_length=100) is None
    assert check_free_text("one\ntwo", multiline=False, max_length=100) == (
        "must be on one line; remove the line break at character 4"
    )


@pytest.mark.parametrize(
    ("text", "code", "position"),
    [("a\x1b[31mred", "001B", 2), ("a\rb", "000D", 2), ("\x00", "0000", 1), ("ab\x7f", "007F", 3)],
)
@pytest.mark.parametrize("multiline", [True, False])
def test_control_characters_refused(text: str, code: str, position: int, multiline: bool) -> None:
    assert check_free_text(text, multiline=multiline, max_length=100) == (
        f"contains a control character (U+{code}) at character {position}; remove it"
    )


def test_unicode_line_separator() -> None:
    assert check_free_text("a\u2028b", multiline=True, max_length=100) == (
        "contains a Unicode separator (U+2028) at character 2; use an ordinary line break"
    )
    assert check_free_text("a\u2029b", multiline=False, max_length=100) == (
        "must be on one line; remove the line break at character 2"
    )


def test_length_boundary() -> None:
    assert check_free_text("x" * 10, multiline=False, max_length=10) is None
    assert check_free_text("x" * 11, multiline=False, max_length=10) == (
        "is too long (11 characters; at most 10)"
    )


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))))
def test_any_printable_single_line_text_is_allowed(text: str) -> None:
    assert check_free_text(text, multiline=False, max_length=len(text)) is None
