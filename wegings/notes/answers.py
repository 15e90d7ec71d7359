"""The answers of a weighing, validated the same way whether typed in or read from a file.

A weighing file (TOML or JSON) has this shape::

    context = "…"
    [criteria.democratic_embedding]   # likewise the other four criteria
    score = 4
    motivation = "…"
    sources = ["…"]
    [interest]
    added_value = "…"
    international_obligations = "…"
    quid_pro_quo = "…"
    operational_interest = "…"        # mandatory when the profile is verhoogd
    [cooperation]
    forms = ["knowledge_exchange", "evaluated_data"]
    conditions = ["…"]

`validate_answers` checks a whole file and reports every problem at once. The per-field
`check_*` functions hold the same rules and messages for an interactive prompt: each raises
`InvalidInput` (one message, no path) or `ValidationFailed` (problems with paths under the
`path` it was given), and returns the cleaned value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import tomli_w

from wegings.domain import (
    CRITERION_KEYS,
    FORM_KEYS,
    MAX_SCORE,
    MIN_SCORE,
    RiskProfile,
)
from wegings.errors import InvalidInput, Problem, ValidationFailed
from wegings.notes.weighing import (
    check_forms,
    is_real_sentence,
    risk_profile,
    type_name,
)
from wegings.text import check_free_text, closest

MAX_TEXT_LENGTH = 5000
"""Longest context, motivation or interest text (multi-line)."""
MAX_ITEM_LENGTH = 500
"""Longest single source or condition (one line)."""

TOP_KEYS = ("context", "criteria", "interest", "cooperation")
CRITERION_FIELDS = ("score", "motivation", "sources")
INTEREST_FIELDS = (
    "added_value",
    "international_obligations",
    "quid_pro_quo",
    "operational_interest",
)
COOPERATION_FIELDS = ("forms", "conditions")

SCORE_RULE = f"must be a whole number from {MIN_SCORE} to {MAX_SCORE}"
OPERATIONAL_INTEREST_RULE = (
    "is mandatory for a verhoogd profile (state the weighty operational interest that "
    "outweighs the risk)"
)
CONDITIONS_RULE = "at least one mitigating condition is mandatory for a verhoogd profile"

NO_ANSWERS = (
    "none given; `wegings score {handle} --template` prints a blank answers file to fill in"
)

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class CriterionAnswer:
    """The score, motivation and sources given for one criterion."""

    score: int
    motivation: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Interest:
    """The interest side of the weighing; an empty string means not given."""

    added_value: str
    international_obligations: str = ""
    quid_pro_quo: str = ""
    operational_interest: str = ""


@dataclass(frozen=True)
class Answers:
    """A complete, validated weighing: criteria in fixed order, forms in FORMS order."""

    context: str
    criteria: dict[str, CriterionAnswer]
    interest: Interest
    forms: tuple[str, ...]
    conditions: tuple[str, ...]

    @property
    def scores(self) -> dict[str, int]:
        """The score of each criterion, in fixed order."""
        return {key: self.criteria[key].score for key in CRITERION_KEYS}

    @property
    def profile(self) -> RiskProfile:
        """The risk profile the scores give."""
        return risk_profile(self.scores)


class AnswersInvalid(ValidationFailed):
    """What is wrong with a whole weighing: one problem on the Error line, several one a line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("Answers", problems)
        if len(problems) > 1:
            # Shown as 'Error: Answers: 3 problems:' and an indented line for each problem.
            self.message = f"Answers: {len(problems)} problems:"
            self.details = tuple(str(problem) for problem in problems)
            self.args = (self.message,)


# Per-field rules, shared with the interactive prompt.


def _describe(value: object) -> str:
    """A short, safe rendering of a bad value for a message: 7, true, '7', an array."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # repr escapes control characters, so a hostile value cannot drive the terminal.
        return repr(value if len(value) <= 40 else value[:40] + "…")
    return type_name(value)


def check_score(value: object) -> int:
    """A score from a file: a whole number from 1 to 5 (a boolean or "4" is refused)."""
    # bool is a subclass of int; `score = true` must not pass as 1.
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_SCORE <= value <= MAX_SCORE:
        raise InvalidInput(f"{SCORE_RULE}, got {_describe(value)}")
    return value


def parse_score(text: str) -> int:
    """A score typed at a prompt: ASCII digits only, then the same rule as `check_score`."""
    stripped = text.strip()
    if not re.fullmatch(r"[0-9]+", stripped):
        raise InvalidInput(f"{SCORE_RULE}, got {_describe(stripped)}")
    return check_score(int(stripped))


def check_text(
    value: object,
    *,
    mandatory: bool = False,
    multiline: bool = True,
    max_length: int = MAX_TEXT_LENGTH,
) -> str:
    """A free text, stripped and with CRLF made LF; `InvalidInput` when it breaks a rule."""
    if not isinstance(value, str):
        raise InvalidInput(f"must be a string, got {type_name(value)}")
    text = value.replace("\r\n", "\n").strip()
    if mandatory and not text:
        raise InvalidInput("is mandatory")
    reason = check_free_text(text, multiline=multiline, max_length=max_length)
    if reason:
        raise InvalidInput(reason)
    return text


def check_motivation(value: object) -> str:
    """A criterion's motivation: mandatory, and a real sentence."""
    text = check_text(value, mandatory=True)
    reason = is_real_sentence(text)
    if reason:
        raise InvalidInput(reason)
    return text


def check_item(value: object) -> str:
    """One source or condition: a non-empty single line."""
    text = check_text(value, multiline=False, max_length=MAX_ITEM_LENGTH)
    if not text:
        raise InvalidInput("is empty; fill it in or leave it out")
    return text


def check_added_value(value: object) -> str:
    """The added value of the relationship: mandatory, and a real sentence (it is what the
    risk is weighed against)."""
    text = check_text(value, mandatory=True)
    reason = is_real_sentence(text)
    if reason:
        raise InvalidInput(reason)
    return text


def check_operational_interest(profile: RiskProfile | None, value: object) -> str:
    """The weighty operational interest: mandatory when the profile is `verhoogd`, and then (as
    whenever it is given) a real sentence: a 'y' meant for another prompt names no interest."""
    text = check_text(value)
    if profile == RiskProfile.verhoogd and not text:
        raise InvalidInput(OPERATIONAL_INTEREST_RULE)
    if text:
        reason = is_real_sentence(text)
        if reason:
            raise InvalidInput(reason)
    return text


def _array(value: object, path: str, what: str) -> Sequence[object]:
    """`value` as a list, or `ValidationFailed` naming `path` when it is not an array."""
    if not isinstance(value, list | tuple):
        raise ValidationFailed(what, [Problem(path, f"must be an array, got {type_name(value)}")])
    return value


def _items(value: object, path: str, what: str) -> tuple[str, ...]:
    """An array of sources or conditions, every item checked with `check_item`."""
    problems: list[Problem] = []
    items: list[str] = []
    for index, item in enumerate(_array(value, path, what)):
        try:
            items.append(check_item(item))
        except InvalidInput as error:
            problems.append(Problem(f"{path}[{index}]", error.message))
    if problems:
        raise ValidationFailed(what, problems)
    return tuple(items)


def check_sources(value: object, *, path: str = "sources") -> tuple[str, ...]:
    """A criterion's sources: an array (possibly empty) of single lines."""
    return _items(value, path, "Sources")


def check_conditions(
    profile: RiskProfile | None, value: object, *, path: str = "conditions"
) -> tuple[str, ...]:
    """The mitigating conditions: single lines, at least one when the profile is `verhoogd`."""
    conditions = _items(value, path, "Conditions")
    if profile == RiskProfile.verhoogd and not conditions:
        raise ValidationFailed("Conditions", [Problem(path, CONDITIONS_RULE)])
    return conditions


def parse_forms(text: str) -> list[str]:
    """Forms typed at a prompt, split on commas or blanks; a number n stands for the nth form."""
    forms: list[str] = []
    for word in re.split(r"[,\s]+", text.strip()):
        if re.fullmatch(r"[0-9]+", word) and 1 <= int(word) <= len(FORM_KEYS):
            forms.append(FORM_KEYS[int(word) - 1])
        elif word:
            forms.append(word)
    return forms


def check_forms_choice(
    profile: RiskProfile | None, value: object, *, path: str = "forms"
) -> tuple[str, ...]:
    """The permitted forms: known keys, each once, standard-only ones only when `standaard`."""
    forms = _array(value, path, "Forms")
    problems = check_forms(profile, forms, path=path)
    if problems:
        raise ValidationFailed("Forms", problems)
    chosen = {form.strip() for form in forms if isinstance(form, str)}
    return tuple(key for key in FORM_KEYS if key in chosen)


# The whole file.


def _attempt(
    problems: list[Problem],
    field: str,
    check: Callable[P, T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T | None:
    """Run one field check; on failure record its problems (under `field`) and return None."""
    try:
        return check(*args, **kwargs)
    except ValidationFailed as failure:
        # These already carry their full paths: the check was given one.
        problems.extend(failure.problems)
    except InvalidInput as error:
        problems.append(Problem(field, error.message))
    return None


def _unknown_keys(table: Mapping[Any, object], known: Sequence[str], path: str) -> list[Problem]:
    """A problem for every key of `table` not in `known`, suggesting the closest known key."""
    problems: list[Problem] = []
    for key in table:
        name = str(key)
        if name in known:
            continue
        # The key ends up in a message on a terminal: escape anything unprintable in it.
        shown = name if name.isprintable() else repr(name)
        where = f"{path}.{shown}" if path else shown
        close = closest(name, known)
        hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(known)}"
        problems.append(Problem(where, f"unknown key; {hint}"))
    return problems


def _table(
    problems: list[Problem], parent: Mapping[Any, object], key: str, path: str
) -> Mapping[Any, object] | None:
    """The sub-table `key` (empty when absent), or None after recording that it is no table."""
    value = parent.get(key, {})
    if not isinstance(value, Mapping):
        problems.append(Problem(path, f"must be a table, got {type_name(value)}"))
        return None
    return value


def validate_answers(raw: object, *, handle: str = "PARTNER") -> Answers:
    """Validate a parsed weighing file; raise `AnswersInvalid` listing every problem at once.

    `handle` is the partner's, for the hint an empty file gets."""
    if not isinstance(raw, Mapping):
        raise AnswersInvalid([Problem("", f"must be a table of answers, got {type_name(raw)}")])
    if not raw:
        # An empty file: one problem, not one for each mandatory field.
        raise AnswersInvalid([Problem("", NO_ANSWERS.format(handle=handle))])
    problems = _unknown_keys(raw, TOP_KEYS, "")
    context = _attempt(problems, "context", check_text, raw.get("context", ""))

    criteria: dict[str, CriterionAnswer] = {}
    scores: dict[str, int] = {}
    criteria_table = _table(problems, raw, "criteria", "criteria")
    if criteria_table is not None:
        problems += _unknown_keys(criteria_table, CRITERION_KEYS, "criteria")
        for key in CRITERION_KEYS:
            path = f"criteria.{key}"
            if key not in criteria_table:
                problems.append(
                    Problem(path, "is mandatory (a table with score, motivation and sources)")
                )
                continue
            entry = _table(problems, criteria_table, key, path)
            if entry is None:
                continue
            problems += _unknown_keys(entry, CRITERION_FIELDS, path)
            if "score" in entry:
                score = _attempt(problems, f"{path}.score", check_score, entry["score"])
            else:
                score = None
                problems.append(
                    Problem(
                        f"{path}.score",
                        f"is mandatory (a whole number from {MIN_SCORE} to {MAX_SCORE})",
                    )
                )
            motivation = _attempt(
                problems, f"{path}.motivation", check_motivation, entry.get("motivation", "")
            )
            sources = _attempt(
                problems,
                f"{path}.sources",
                check_sources,
                entry.get("sources", []),
                path=f"{path}.sources",
            )
            if score is not None:
                scores[key] = score
            if score is not None and motivation is not None and sources is not None:
                criteria[key] = CriterionAnswer(score, motivation, sources)

    # The cross-field rules need only the five scores, so they run even when other fields
    # are faulty: one pass then reports everything that is wrong.
    profile = risk_profile(scores) if len(scores) == len(CRITERION_KEYS) else None

    interest = Interest("")
    interest_table = _table(problems, raw, "interest", "interest")
    if interest_table is not None:
        problems += _unknown_keys(interest_table, INTEREST_FIELDS, "interest")
        added_value = _attempt(
            problems,
            "interest.added_value",
            check_added_value,
            interest_table.get("added_value", ""),
        )
        obligations = _attempt(
            problems,
            "interest.international_obligations",
            check_text,
            interest_table.get("international_obligations", ""),
        )
        quid_pro_quo = _attempt(
            problems, "interest.quid_pro_quo", check_text, interest_table.get("quid_pro_quo", "")
        )
        operational = _attempt(
            problems,
            "interest.operational_interest",
            check_operational_interest,
            profile,
            interest_table.get("operational_interest", ""),
        )
        interest = Interest(
            added_value or "", obligations or "", quid_pro_quo or "", operational or ""
        )

    forms: tuple[str, ...] | None = ()
    conditions: tuple[str, ...] | None = ()
    cooperation = _table(problems, raw, "cooperation", "cooperation")
    if cooperation is not None:
        problems += _unknown_keys(cooperation, COOPERATION_FIELDS, "cooperation")
        if "forms" in cooperation:
            forms = _attempt(
                problems,
                "cooperation.forms",
                check_forms_choice,
                profile,
                cooperation["forms"],
                path="cooperation.forms",
            )
        else:
            # An explicit list, even an empty one: a note must say what it permits.
            problems.append(
                Problem(
                    "cooperation.forms",
                    "is mandatory (an array of permitted forms; choose from "
                    f"{', '.join(FORM_KEYS)})",
                )
            )
        conditions = _attempt(
            problems,
            "cooperation.conditions",
            check_conditions,
            profile,
            cooperation.get("conditions", []),
            path="cooperation.conditions",
        )

    if problems:
        raise AnswersInvalid(problems)
    return Answers(
        context=context or "",
        criteria=criteria,
        interest=interest,
        forms=forms or (),
        conditions=conditions or (),
    )


def answers_from_mapping(data: Mapping[str, Any]) -> Answers:
    """The answers as stored with a version, in the file shape (validated when saved, so
    read as they are): the inverse of `answers_to_mapping`."""
    return Answers(
        context=data["context"],
        criteria={
            key: CriterionAnswer(
                score=int(entry["score"]),
                motivation=entry["motivation"],
                sources=tuple(entry["sources"]),
            )
            for key, entry in ((k, data["criteria"][k]) for k in CRITERION_KEYS)
        },
        interest=Interest(**data["interest"]),
        forms=tuple(data["cooperation"]["forms"]),
        conditions=tuple(data["cooperation"]["conditions"]),
    )


def answers_to_mapping(answers: Answers) -> dict[str, Any]:
    """The answers in the file shape, every key present so an export is a complete template."""
    return {
        "context": answers.context,
        "criteria": {
            key: {
                "score": answer.score,
                "motivation": answer.motivation,
                "sources": list(answer.sources),
            }
            for key, answer in ((key, answers.criteria[key]) for key in CRITERION_KEYS)
        },
        "interest": {
            "added_value": answers.interest.added_value,
            "international_obligations": answers.interest.international_obligations,
            "quid_pro_quo": answers.interest.quid_pro_quo,
            "operational_interest": answers.interest.operational_interest,
        },
        "cooperation": {
            "forms": list(answers.forms),
            "conditions": list(answers.conditions),
        },
    }


def answers_to_toml(answers: Answers) -> str:
    """The answers as a TOML weighing file that `validate_answers` reads back unchanged."""
    # Multi-line strings keep motivations readable when the export is edited by hand.
    return tomli_w.dumps(answers_to_mapping(answers), multiline_strings=True)


def answers_template(partner_label: str, handle: str) -> str:
    """A blank answers file in TOML: every field, the guiding questions and the scale as comments.

    Filled in, it is read by `validate_answers` like any other answers file.
    """
    from wegings.domain import CRITERIA, FORMS, SCORES, STANDARD_ONLY_FORMS

    def comment(text: str) -> str:
        return f"# {text}".rstrip()

    lines = [
        comment(f"Answers for a weighing note of {partner_label}."),
        comment(f"Fill in every field, then: wegings score {handle} --answers {handle}.toml"),
        "#",
        comment("Score scale, for each of the five criteria:"),
        *(
            comment(f"  {level.score}  {level.label_nl} ({level.label_en}), risk {level.risk}")
            for level in (SCORES[s] for s in sorted(SCORES, reverse=True))
        ),
        comment("Risk profile: standaard when every criterion scores 4 or 5; otherwise verhoogd,"),
        comment("and then operational_interest and at least one condition are mandatory."),
        "",
        comment("Developments in the country that prompted this weighing (optional)."),
        'context = ""',
    ]
    for number, criterion in enumerate(CRITERIA, start=1):
        lines += [
            "",
            f"[criteria.{criterion.key}]",
            comment(f"{number}/5 {criterion.label_nl} ({criterion.label_en})"),
            comment(criterion.question_nl),
            comment(criterion.question_en),
            comment(
                f"score: a whole number from {MIN_SCORE} to {MAX_SCORE} (see the scale above)."
            ),
            "score = 0",
            comment("motivation: mandatory, at least one real sentence."),
            'motivation = ""',
            comment('sources: optional, one line each, e.g. ["Jaarverslag toezichthouder 2025"].'),
            "sources = []",
        ]
    lines += [
        "",
        "[interest]",
        comment("Toegevoegde waarde / added value of the relationship (mandatory)."),
        'added_value = ""',
        comment("Internationale verplichtingen / international obligations (optional)."),
        'international_obligations = ""',
        comment("Quid pro quo / reciprocity (optional)."),
        'quid_pro_quo = ""',
        comment(
            "Zwaarwegend operationeel belang / weighty operational interest that outweighs the"
        ),
        comment("risk (mandatory for a verhoogd profile)."),
        'operational_interest = ""',
        "",
        "[cooperation]",
        comment("forms: the permitted forms of cooperation, any of:"),
        *(comment(f"  {form.key}: {form.label_nl} ({form.label_en})") for form in FORMS),
        comment(f"{', '.join(sorted(STANDARD_ONLY_FORMS))} only in a standaard note."),
        "forms = []",
        comment("conditions: mitigating measures, one line each (at least one when verhoogd)."),
        "conditions = []",
    ]
    return "\n".join(lines) + "\n"
