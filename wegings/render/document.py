"""The view model of a wegingsnotitie: plain, frozen data that the renderer turns into a document.

Nothing here touches the database. The core builds a `NoteDocument` from its records; the
renderer only reads it. Free text (names, motivations, conditions, reasons) is kept exactly as
typed: escaping is the renderer's job, per output format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wegings.domain import (
    CRITERION_KEYS,
    FORM_KEYS,
    MAX_SCORE,
    MIN_SCORE,
    NoteStatus,
    PartnerKind,
    RiskProfile,
    Role,
)
from wegings.errors import InvalidInput
from wegings.notes.answers import INTEREST_FIELDS, Answers, Interest


def _require_aware(what: str, value: datetime | None) -> None:
    # A naive datetime would be shown in whatever zone the machine happens to be in.
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise InvalidInput(f"{what} must be a timezone-aware datetime (UTC), got {value!r}")


@dataclass(frozen=True)
class PartnerInfo:
    """The foreign service the note is about.

    `country_code` is an ISO 3166-1 alpha-2 code (XA–XZ for fictitious countries); `groups`
    are the names of the cooperation groups it belongs to, such as "CTG".
    """

    name: str
    short: str
    country_code: str
    kind: PartnerKind
    groups: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", PartnerKind(self.kind))
        object.__setattr__(self, "country_code", self.country_code.strip().upper())
        object.__setattr__(self, "groups", tuple(self.groups))


@dataclass(frozen=True)
class CriterionAssessment:
    """One of the five criteria: its fixed `key`, the score 1–5, the motivation and sources."""

    key: str
    score: int
    motivation: str
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.key not in CRITERION_KEYS:
            known = ", ".join(CRITERION_KEYS)
            raise InvalidInput(f"Unknown criterion {self.key!r}. Known: {known}")
        if isinstance(self.score, bool) or not MIN_SCORE <= self.score <= MAX_SCORE:
            raise InvalidInput(
                f"Score of {self.key} must be {MIN_SCORE}–{MAX_SCORE}, got {self.score!r}"
            )
        object.__setattr__(self, "sources", tuple(self.sources))


InterestWeighing = Interest
"""The interest side of the weighing, exactly as answered; "" means "not given"."""


@dataclass(frozen=True)
class Flag:
    """A development recorded on the partner (e.g. political unrest) with the day it was noted."""

    reason: str
    flagged_at: datetime

    def __post_init__(self) -> None:
        _require_aware("Flag date", self.flagged_at)


@dataclass(frozen=True)
class CriterionRevision:
    """How one criterion differs from the version replaced: its scores, and what was rewritten."""

    key: str
    score_from: int
    score_to: int
    motivation_changed: bool = False
    sources_changed: bool = False


TEXT_FIELDS: tuple[str, ...] = ("context", *INTEREST_FIELDS)
"""The free-text fields whose revision a new version reports, in the order the note shows them."""


@dataclass(frozen=True)
class VersionChanges:
    """What a version changes in the version it replaces; empty tuples when nothing did.

    `criteria` holds only the criteria that changed; `texts` the keys of `TEXT_FIELDS` whose
    text differs.
    """

    profile_from: RiskProfile
    profile_to: RiskProfile
    criteria: tuple[CriterionRevision, ...] = ()
    texts: tuple[str, ...] = ()
    forms_added: tuple[str, ...] = ()
    forms_removed: tuple[str, ...] = ()
    conditions_added: tuple[str, ...] = ()
    conditions_removed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "profile_from", RiskProfile(self.profile_from))
        object.__setattr__(self, "profile_to", RiskProfile(self.profile_to))
        for name in (
            "criteria",
            "texts",
            "forms_added",
            "forms_removed",
            "conditions_added",
            "conditions_removed",
        ):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def any(self) -> bool:
        """Whether anything changed at all."""
        return self.profile_from is not self.profile_to or any(
            (
                self.criteria,
                self.texts,
                self.forms_added,
                self.forms_removed,
                self.conditions_added,
                self.conditions_removed,
            )
        )


def _added(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[str, ...]:
    """The entries of `after` not in `before`, in their order (as `notes.diff`)."""
    return tuple(entry for entry in after if entry not in before)


def _text_of(answers: Answers, field: str) -> str:
    return answers.context if field == "context" else str(getattr(answers.interest, field))


def version_changes(
    old: Answers, new: Answers, *, profile_from: RiskProfile, profile_to: RiskProfile
) -> VersionChanges:
    """What `new` changes in `old`: the same comparison as `wegings diff` (`notes.diff`)."""
    criteria = []
    for key in CRITERION_KEYS:
        a, b = old.criteria[key], new.criteria[key]
        revision = CriterionRevision(
            key,
            a.score,
            b.score,
            motivation_changed=a.motivation != b.motivation,
            sources_changed=bool(_added(a.sources, b.sources) or _added(b.sources, a.sources)),
        )
        if a.score != b.score or revision.motivation_changed or revision.sources_changed:
            criteria.append(revision)
    return VersionChanges(
        profile_from=profile_from,
        profile_to=profile_to,
        criteria=tuple(criteria),
        texts=tuple(f for f in TEXT_FIELDS if _text_of(old, f) != _text_of(new, f)),
        forms_added=_added(old.forms, new.forms),
        forms_removed=_added(new.forms, old.forms),
        conditions_added=_added(old.conditions, new.conditions),
        conditions_removed=_added(new.conditions, old.conditions),
    )


@dataclass(frozen=True)
class ReplacedVersion:
    """The established version a version replaces (or, for a draft, would replace)."""

    version: int
    established_at: datetime
    changes: VersionChanges

    def __post_init__(self) -> None:
        _require_aware("Established date of the replaced version", self.established_at)


@dataclass(frozen=True)
class NoteDocument:
    """Everything one version of a wegingsnotitie shows, as plain data.

    - `own_service`: our service's name as printed ("AIVD", "MIVD").
    - `classification`: the marking printed at the top and bottom of every page.
    - `profile_causes`: keys of the criteria that made the profile `verhoogd` (empty if standaard).
    - `criteria`: all five assessments; stored in the fixed order of `CRITERIA`.
    - `forms`: keys of the permitted forms of cooperation (any order; shown in `FORMS` order).
    - `conditions`: conditions and mitigating measures, one per entry.
    - `author`, `established_by`: who wrote and who established the note as printed: the
      registered full name, or the recorded login while the people register is empty;
      `author_function`, `established_by_function`: their function then ("" when unknown).
    - `established_*`, `decision_text`: the decision, set once the note is established.
    - `review_due`: when the note must be re-assessed.
    - `flags`: developments recorded on the partner.
    - `withdrawn_at`, `withdrawn_reason`: set when cooperation was suspended.
    - `replaces`: the established version this one replaces (a draft: would replace), with what
      it changes; None for a first version.
    - `superseded_by`, `superseded_at`: the version established after this one, and when; None
      while this one is the latest established (or is a draft).

    Every datetime must be timezone-aware (UTC is stored; dates are shown in Dutch local time).
    """

    partner: PartnerInfo
    own_service: str
    classification: str
    version: int
    status: NoteStatus
    profile: RiskProfile
    created_at: datetime
    author: str
    context: str
    criteria: tuple[CriterionAssessment, ...]
    interest: InterestWeighing
    forms: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    profile_causes: tuple[str, ...] = ()
    established_at: datetime | None = None
    established_by: str | None = None
    established_role: Role | None = None
    decision_text: str | None = None
    review_due: datetime | None = None
    flags: tuple[Flag, ...] = ()
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None
    author_function: str = ""
    established_by_function: str = ""
    replaces: ReplacedVersion | None = None
    superseded_by: int | None = None
    superseded_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", NoteStatus(self.status))
        object.__setattr__(self, "profile", RiskProfile(self.profile))
        if self.established_role is not None:
            object.__setattr__(self, "established_role", Role(self.established_role))
        for name in ("created_at", "established_at", "review_due", "withdrawn_at", "superseded_at"):
            _require_aware(name, getattr(self, name))

        by_key = {c.key: c for c in self.criteria}
        if len(by_key) != len(self.criteria) or set(by_key) != set(CRITERION_KEYS):
            given = ", ".join(c.key for c in self.criteria) or "none"
            raise InvalidInput(
                f"A note needs each of the five criteria exactly once; got: {given}. "
                f"Expected: {', '.join(CRITERION_KEYS)}"
            )
        object.__setattr__(self, "criteria", tuple(by_key[k] for k in CRITERION_KEYS))

        unknown_forms = [f for f in self.forms if f not in FORM_KEYS]
        if unknown_forms:
            raise InvalidInput(
                f"Unknown form(s) of cooperation: {', '.join(unknown_forms)}. "
                f"Known: {', '.join(FORM_KEYS)}"
            )
        unknown_causes = [c for c in self.profile_causes if c not in CRITERION_KEYS]
        if unknown_causes:
            raise InvalidInput(f"Unknown criterion in profile causes: {', '.join(unknown_causes)}")
        for name in ("forms", "conditions", "profile_causes", "flags"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def is_draft(self) -> bool:
        """True while the note has not been established."""
        return self.status is NoteStatus.draft
