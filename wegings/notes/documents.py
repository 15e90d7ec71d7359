"""Build the document of a weighing note from the store, for `wegings render`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Protocol, TypeVar

from wegings.domain import CRITERION_KEYS, NoteStatus, RiskProfile
from wegings.errors import Refused
from wegings.notes.weighing import profile_causes
from wegings.render.document import (
    CriterionAssessment,
    Flag,
    NoteDocument,
    PartnerInfo,
    ReplacedVersion,
    version_changes,
)
from wegings.service import DEFAULT_SERVICE as DEFAULT_SERVICE
from wegings.service import own_service as own_service  # the one home of the service name
from wegings.text import clean_text

if TYPE_CHECKING:
    from sqlmodel import Session

    from wegings.notes.answers import Answers
    from wegings.store.snapshot import ReadSnapshot

DEFAULT_CLASSIFICATION = "STG. GEHEIM"


def classification(option: str | None) -> str:
    """The marking: --classification, else WEGINGS_CLASSIFICATION, else STG. GEHEIM."""
    value = (
        option
        if option is not None
        else os.environ.get("WEGINGS_CLASSIFICATION", "").strip() or DEFAULT_CLASSIFICATION
    )
    return clean_text(value, field="Classification", max_length=80)


class _HasStatus(Protocol):
    @property
    def status(self) -> NoteStatus: ...


_S = TypeVar("_S", bound=_HasStatus)


def default_state(states: Sequence[_S]) -> _S | None:
    """The established note (standing, even if overdue), else the latest draft.

    A superseded or withdrawn version is rendered only when asked for with --version.
    """
    established = [s for s in states if s.status is NoteStatus.established]
    if established:
        return established[-1]
    drafts = [s for s in states if s.status is NoteStatus.draft]
    return drafts[-1] if drafts else None


class _EstablishedAt(Protocol):
    @property
    def established_at(self) -> datetime: ...


class _Lineage(Protocol):
    """What `replaced_version` reads of a version: `notes.NoteState` and the snapshot's state."""

    @property
    def version(self) -> int: ...
    @property
    def status(self) -> NoteStatus: ...
    @property
    def profile(self) -> RiskProfile: ...
    @property
    def answers(self) -> Answers: ...
    @property
    def establishment(self) -> _EstablishedAt | None: ...
    @property
    def superseded_by(self) -> int | None: ...


_L = TypeVar("_L", bound=_Lineage)


def replaced_version(states: Sequence[_L], state: _L) -> ReplacedVersion | None:
    """The established version `state` replaces, with what it changes; None for a first one.

    An established (later superseded or withdrawn) version replaces the version its
    establishment superseded. A draft would replace the version established last, if that is
    an earlier one.
    """
    if state.establishment is not None:
        previous = [s for s in states if s.superseded_by == state.version]
    else:
        standing = [s for s in states if s.establishment is not None and s.superseded_by is None]
        previous = [s for s in standing if s.version < state.version]
    old = previous[0] if previous else None
    if old is None or old.establishment is None:
        return None
    return ReplacedVersion(
        version=old.version,
        established_at=old.establishment.established_at,
        changes=version_changes(
            old.answers, state.answers, profile_from=old.profile, profile_to=state.profile
        ),
    )


def assessments(answers: Answers) -> tuple[CriterionAssessment, ...]:
    """The five criteria of `answers` as the document shows them, in their fixed order."""
    return tuple(
        CriterionAssessment(
            key=key,
            score=answers.criteria[key].score,
            motivation=answers.criteria[key].motivation,
            sources=answers.criteria[key].sources,
        )
        for key in CRITERION_KEYS
    )


def read_note_document(
    snapshot: ReadSnapshot,
    handle: str,
    *,
    version: int | None,
    marking: str,
    service: str,
    now: datetime,
) -> NoteDocument:
    """`note_document` read from a read snapshot: through its session on a server, without the
    ORM on a SQLite file (`snapshot_document`, which builds the same document)."""
    from wegings.store.snapshot import SessionSnapshot

    if isinstance(snapshot, SessionSnapshot):
        return note_document(
            snapshot.session, handle, version=version, marking=marking, service=service, now=now
        )
    from wegings.notes.snapshot_document import snapshot_note_document

    return snapshot_note_document(
        snapshot, handle, version=version, marking=marking, service=service, now=now
    )


def note_document(
    session: Session,
    handle: str,
    *,
    version: int | None,
    marking: str,
    service: str,
    now: datetime,
) -> NoteDocument:
    """The plain document of version `version` (default: current established, else draft)."""
    # The note store loads the ORM: imported here, so that a render on a SQLite file
    # (`read_note_document`) never loads it.
    from wegings.notes.notes import get_version, note_states, open_flags
    from wegings.register.partners import current_values, get_partner, groups_of
    from wegings.register.people import signatory

    partner = get_partner(session, handle)
    states = note_states(session, partner)
    if not states:
        raise Refused(
            f"{partner.short} has no weighing note yet. Score one with "
            f"`wegings score {partner.short}`."
        )
    state = get_version(states, version, partner) if version is not None else default_state(states)
    if state is None:
        state = states[-1]
    answers = state.answers
    establishment = state.establishment
    withdrawal = state.withdrawal
    # A retracted flag is not an open flag, so it does not print.
    flags = open_flags(session, partner, now) if state.status is not NoteStatus.superseded else []
    values = current_values(session, partner)
    # Who wrote and who established it, by full name and function as on record then; the
    # recorded login while the people register is empty (or for someone never registered).
    author = signatory(session, state.note.author, state.note.created_at)
    establisher = (
        signatory(session, establishment.established_by, establishment.established_at)
        if establishment
        else None
    )
    return NoteDocument(
        partner=PartnerInfo(
            name=values.name,
            short=partner.short,
            country_code=values.country,
            kind=values.kind,  # type: ignore[arg-type]
            groups=groups_of(session, partner, at=now),
        ),
        own_service=service,
        classification=marking,
        version=state.version,
        status=state.status,
        profile=state.profile,
        created_at=state.note.created_at,
        author=author.name if author else state.note.author,
        author_function=author.function if author else "",
        context=answers.context,
        criteria=assessments(answers),
        interest=answers.interest,
        forms=answers.forms,
        conditions=answers.conditions,
        profile_causes=tuple(profile_causes(answers.scores)),
        established_at=establishment.established_at if establishment else None,
        established_by=(
            (establisher.name if establisher else establishment.established_by)
            if establishment
            else None
        ),
        established_by_function=establisher.function if establisher else "",
        established_role=establishment.role if establishment else None,  # type: ignore[arg-type]
        decision_text=(establishment.decision or None) if establishment else None,
        review_due=establishment.review_due if establishment else None,
        flags=tuple(
            # Noon UTC is the same calendar day in The Hague, where dates are shown.
            Flag(reason=f.reason, flagged_at=datetime.combine(f.observed_on, time(12), UTC))
            for f in flags
        ),
        withdrawn_at=withdrawal.withdrawn_at if withdrawal else None,
        withdrawn_reason=withdrawal.reason if withdrawal else None,
        replaces=replaced_version(states, state),
        superseded_by=state.superseded_by,
        superseded_at=state.superseded_at,
    )
