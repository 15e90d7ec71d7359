"""Pure decision rules for weighing notes: risk profile, who may establish, review date, texts.

No database, no printing, no Typer: every function takes plain values and either returns a
result or raises a `WegingsError` subclass whose message names the bad value and the fix.
"""

from __future__ import annotations

import calendar
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from wegings.domain import (
    CRITERION_KEYS,
    FORM_KEYS,
    MAX_SCORE,
    MIN_SCORE,
    REVIEW_MONTHS,
    STANDARD_MIN_SCORE,
    STANDARD_ONLY_FORMS,
    NoteStatus,
    RiskProfile,
    Role,
)
from wegings.errors import InvalidInput, Problem, Refused, ValidationFailed
from wegings.text import closest, is_invisible

MIN_SENTENCE_CHARACTERS = 20
MIN_SENTENCE_WORDS = 4
SENTENCE_HINT = (
    f"write at least one real sentence ({MIN_SENTENCE_WORDS} words and "
    f"{MIN_SENTENCE_CHARACTERS} characters or more)"
)

# Words that stand in for a motivation without giving one. A text made only of these words
# ("n.v.t.", "tbd", "zie boven", "todo todo todo todo") is a placeholder. Compared after
# case-folding and dropping punctuation, so "N.v.t." and "n/a" are caught as "nvt" and "na".
PLACEHOLDER_WORDS: frozenset[str] = frozenset(
    {
        "nvt",
        "na",
        "tbd",
        "tba",
        "todo",
        "fixme",
        "xxx",
        "idem",
        "zie",
        "boven",
        "see",
        "above",
        "lorem",
        "ipsum",
    }
)


def type_name(value: object) -> str:
    """How the type of a parsed TOML or JSON value is named in messages ("a string", ...)."""
    # bool before int: True is an int in Python but a boolean in TOML and JSON.
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return "a date-time"
    return f"a {type(value).__name__}"


def _score_problems(scores: Mapping[str, int]) -> list[Problem]:
    """Every missing, unknown or out-of-range score, keyed by criterion."""
    problems = [
        Problem(key, f"unknown criterion; {_suggest(key, CRITERION_KEYS)}")
        for key in scores
        if key not in CRITERION_KEYS
    ]
    for key in CRITERION_KEYS:
        if key not in scores:
            problems.append(
                Problem(key, "score is missing; every one of the five criteria needs one")
            )
            continue
        score = scores[key]
        # A bool is an int in Python; refuse it so that `true` never passes as a score of 1.
        if isinstance(score, bool) or not isinstance(score, int):
            problems.append(Problem(key, f"must be a whole number from 1 to 5, got {score!r}"))
        elif not MIN_SCORE <= score <= MAX_SCORE:
            problems.append(Problem(key, f"must be a whole number from 1 to 5, got {score}"))
    return problems


def _suggest(word: str, choices: Sequence[str]) -> str:
    """'did you mean X? Choose from …' or 'choose from …' for an unknown word."""
    listed = ", ".join(choices)
    close = closest(word, choices)
    if close:
        return f"did you mean {close[0]}? Choose from {listed}"
    return f"choose from {listed}"


def risk_profile(scores: Mapping[str, int]) -> RiskProfile:
    """`standaard` iff every one of the five criteria scores 4 or 5, else `verhoogd`."""
    problems = _score_problems(scores)
    if problems:
        raise ValidationFailed("Scores", problems)
    if all(scores[key] >= STANDARD_MIN_SCORE for key in CRITERION_KEYS):
        return RiskProfile.standaard
    return RiskProfile.verhoogd


def profile_causes(scores: Mapping[str, int]) -> list[str]:
    """The criteria (in fixed order) whose score of 3 or lower makes the profile `verhoogd`."""
    problems = _score_problems(scores)
    if problems:
        raise ValidationFailed("Scores", problems)
    return [key for key in CRITERION_KEYS if scores[key] < STANDARD_MIN_SCORE]


def same_person(first: str, second: str) -> bool:
    """Whether two logins (or names typed after `--as`) denote one person, or could pass for one.

    Case, surrounding and repeated blanks, Unicode compatibility forms and characters that show
    as nothing (`wegings.text.is_invisible`) are ignored, and the names are compared by their
    confusable skeleton (UTS #39), so that "Tester", "tester ", "tes\u200bter" and "t\u0435ster"
    (a Cyrillic e) count as one person (four eyes). Punctuation counts: a login may hold
    . _ @ ' - and "j.jansen" and "jjansen" are two logins. Full names: `same_full_name`.
    """
    keys = _person_keys(first)
    return any(mine == theirs for mine, theirs in zip(keys, _person_keys(second), strict=True))


def same_full_name(first: str, second: str) -> bool:
    """Whether two full names are one person's name: `same_person`, and accents, spacing and
    punctuation ignored too.

    A full name is written in more ways than a login is typed: "mr. D. Generaal" and
    "mr.D. Generaal", "A. B. de Vries", "A.B. de Vries", "A B de Vries", "A. B. deVries" and
    "A. B. de Vri\u00e9s" are one name, so one person under two logins cannot pass four eyes.
    Two people are told apart by initials or function ("mr. H.J. de Boer"), not by a dot.
    """
    keys = _full_name_keys(first)
    return any(mine == theirs for mine, theirs in zip(keys, _full_name_keys(second), strict=True))


def _full_name_keys(name: str) -> tuple[str, str]:
    """The two keys of `_person_keys`, each with only its letters and digits, unaccented.

    Decomposed (NFD) the accents are combining marks, which are not letters, so they go with
    the blanks and punctuation: "\u00e9" is "e", and "\u0257" (d with hook, whose skeleton is d
    with a combining mark) is "d".
    """

    def letters_and_digits(key: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", key) if c.isalnum())

    first, second = _person_keys(name)
    return letters_and_digits(first), letters_and_digits(second)


def _person_keys(name: str) -> tuple[str, str]:
    """Two keys of the name: two names that share either look alike.

    The name is NFKC-folded, without characters that show as nothing and with its blanks
    collapsed to one space. A skeleton is not the same in every case ("I" becomes "l", "i"
    stays), and a capital may look like a Latin capital whose lower case it does not resemble
    (Cyrillic "\u041d" is "H", its "\u043d" no "h"): so one key folds the case before the
    skeleton, the other takes the skeleton first. Each is folded again after its skeleton, as a
    prototype may be a capital ("\u0421" → "C").
    """
    from wegings.skeleton import skeleton

    compatible = unicodedata.normalize("NFKC", name)
    visible = " ".join("".join(c for c in compatible if not is_invisible(c)).split())

    def folded(text: str) -> str:
        return unicodedata.normalize("NFKC", text).casefold()

    return folded(skeleton(folded(visible))), folded(skeleton(folded(skeleton(visible))))


def check_establish(
    *, profile: RiskProfile, role: Role, author: str, actor: str, status: NoteStatus
) -> None:
    """Raise `Refused` unless `actor` acting as `role` may establish this note version."""
    if not actor.strip():
        raise InvalidInput("Name the person who establishes the note. Use --as NAME.")
    if status != NoteStatus.draft:
        raise Refused(
            f"Only a draft can be established; this version is {status.value}. "
            "Start a new version instead."
        )
    if profile == RiskProfile.verhoogd and role != Role.minister:
        raise Refused(
            "A verhoogd note can only be established by the minister; "
            f"it was asked as {role.value}. Use --role minister."
        )
    # Deny by default: without a recorded author the four-eyes rule cannot be checked.
    if not author.strip():
        raise Refused(
            "The note has no recorded author, so four eyes cannot be checked. "
            "Start a new version with an author."
        )
    if same_person(author, actor):
        raise Refused(
            f"The note was written by {author.strip()!r}; another person must establish it "
            "(four eyes). Use --as NAME."
        )


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months, the day clamped to the month's end (Jan 31 → Feb 28)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def review_due(established_at: datetime, profile: RiskProfile) -> datetime:
    """When an established note falls due for review: 24 months (standaard) or 12 (verhoogd)."""
    if established_at.tzinfo is None or established_at.utcoffset() is None:
        raise InvalidInput(
            f"The establishment time {established_at.isoformat()} has no time zone; give it in UTC."
        )
    # Count months in UTC so the due date does not depend on where the note was established.
    return add_months(established_at.astimezone(UTC), REVIEW_MONTHS[profile])


def check_forms(
    profile: RiskProfile | None, forms: Sequence[object], *, path: str = "forms"
) -> list[Problem]:
    """Problems with a list of permitted forms: non-strings, unknown keys, doubles, standard-only.

    `profile` None means the scores are not known yet; the standard-only rule is then skipped.
    """
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    for index, form in enumerate(forms):
        where = f"{path}[{index}]"
        if not isinstance(form, str):
            problems.append(Problem(where, f"must be a form key (a string), got {type_name(form)}"))
            continue
        key = form.strip()
        if key not in FORM_KEYS:
            problems.append(Problem(where, f"unknown form {key!r}; {_suggest(key, FORM_KEYS)}"))
        elif key in first_seen:
            problems.append(
                Problem(where, f"listed twice (first at {path}[{first_seen[key]}]); list it once")
            )
        else:
            first_seen[key] = index
            if profile == RiskProfile.verhoogd and key in STANDARD_ONLY_FORMS:
                problems.append(
                    Problem(
                        where,
                        f"{key} may only be permitted in a standaard note (only positively "
                        "assessed, trusted services receive unevaluated data)",
                    )
                )
    return problems


def _words(text: str) -> list[str]:
    """The whitespace-separated tokens that contain at least one letter or digit."""
    return [token for token in text.split() if any(char.isalnum() for char in token)]


def _is_placeholder(text: str) -> bool:
    """Whether the text is made only of placeholder words, or is lorem ipsum."""
    folded = text.casefold()
    if "lorem ipsum" in folded:
        return True
    tokens = ["".join(char for char in token if char.isalnum()) for token in folded.split()]
    tokens = [token for token in tokens if token]
    return bool(tokens) and all(token in PLACEHOLDER_WORDS for token in tokens)


def is_real_sentence(text: str) -> str | None:
    """None when `text` reads as a real sentence, else the reason it does not.

    The bar is deliberately low and mechanical (the CTIVD found motivations missing, not
    badly written): after stripping, at least 20 characters and 4 words (tokens with a letter
    or digit), some letters, not one character repeated, and not a placeholder such as
    "n.v.t.", "tbd", "todo", "xxx", "-", "zie boven" or "lorem ipsum".
    """
    stripped = text.strip()
    if not stripped:
        return f"is empty; {SENTENCE_HINT}"
    if not any(char.isalpha() for char in stripped):
        return f"contains no letters; {SENTENCE_HINT}"
    if _is_placeholder(stripped):
        return f"is a placeholder, not a sentence; {SENTENCE_HINT}"
    if len({char for char in stripped if not char.isspace()}) == 1:
        return f"repeats one character; {SENTENCE_HINT}"
    if len(stripped) < MIN_SENTENCE_CHARACTERS:
        return f"is too short ({len(stripped)} characters); {SENTENCE_HINT}"
    word_count = len(_words(stripped))
    if word_count < MIN_SENTENCE_WORDS:
        return f"has too few words ({word_count}); {SENTENCE_HINT}"
    return None
