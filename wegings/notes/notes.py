"""Weighing notes: saving versions, establishing, withdrawing, flags, what is due, differences.

A version is never edited. Its status follows from the establishment and withdrawal records:
established when it has an establishment; superseded once a later version is established;
withdrawn when it has a withdrawal; otherwise a draft.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from wegings.domain import CRITERION_KEYS, NoteStatus, RiskProfile, Role
from wegings.errors import InvalidInput, NotFound, Refused
from wegings.notes import lifecycle
from wegings.notes.answers import (
    Answers,
    answers_from_mapping,
    answers_to_mapping,
)
from wegings.notes.attention import attention, check_within, latest_established, urgency
from wegings.notes.lifecycle import flag_cleared_at
from wegings.notes.weighing import check_establish, review_due
from wegings.register.partners import list_partners
from wegings.store.audit import record_change
from wegings.store.engine import stored_json
from wegings.store.models import (
    FlagRetraction,
    NoteEstablishment,
    NoteVersion,
    NoteWithdrawal,
    Partner,
    PartnerFlag,
)
from wegings.text import MAX_RECORD_ID, MAX_TEXT_LENGTH, clean_text
from wegings.timeutil import local_day


def answers_from_json(text: str) -> Answers:
    """The answers as stored with a version (validated when saved, so read as they are)."""
    return answers_from_mapping(stored_json(text, "answers of a note"))


@dataclass(frozen=True)
class NoteState:
    """A version with its answers and the status its records give it."""

    note: NoteVersion
    answers: Answers
    status: NoteStatus
    establishment: NoteEstablishment | None = None
    withdrawal: NoteWithdrawal | None = None
    superseded_at: datetime | None = None
    superseded_by: int | None = None

    @property
    def version(self) -> int:
        """The version number."""
        return self.note.version

    @property
    def profile(self) -> RiskProfile:
        """The version's risk profile."""
        return RiskProfile(self.note.profile)

    @property
    def ended_at(self) -> datetime | None:
        """When this version stopped being in force (superseded or withdrawn), if it did."""
        end = lifecycle.note_end(
            self.superseded_at, self.withdrawal.withdrawn_at if self.withdrawal else None
        )
        return None if end is None else end[0]

    def in_force(self, at: datetime) -> bool:
        """Established by `at`, not yet superseded or withdrawn, and not past its review date."""
        if self.establishment is None:
            return False
        return lifecycle.in_force(
            established_at=self.establishment.established_at,
            ended_at=self.ended_at,
            review_due=self.establishment.review_due,
            at=at,
        )


def derive_states(
    versions: list[NoteVersion],
    establishments: list[NoteEstablishment],
    withdrawals: list[NoteWithdrawal],
) -> list[NoteState]:
    """Each version's status from the records about it, oldest version first."""
    established = {e.note_id: e for e in establishments}
    withdrawn = {w.note_id: w for w in withdrawals}
    by_time = sorted(establishments, key=lambda e: e.established_at)
    version_of = {v.id: v.version for v in versions}
    states = []
    for note in sorted(versions, key=lambda v: v.version):
        establishment = established.get(note.id or -1)
        withdrawal = withdrawn.get(note.id or -1)
        superseded_at = superseded_by = None
        if establishment is not None:
            later = [e for e in by_time if e.established_at > establishment.established_at]
            if later:
                superseded_at = later[0].established_at
                superseded_by = version_of.get(later[0].note_id)
        status = lifecycle.note_status(
            established=establishment is not None,
            superseded_at=superseded_at,
            withdrawn_at=withdrawal.withdrawn_at if withdrawal is not None else None,
        )
        states.append(
            NoteState(
                note=note,
                answers=answers_from_json(note.answers),
                status=status,
                establishment=establishment,
                withdrawal=withdrawal,
                superseded_at=superseded_at,
                superseded_by=superseded_by,
            )
        )
    return states


def note_states(session: Session, partner: Partner) -> list[NoteState]:
    """Every version of the partner's note with its status, oldest first."""
    versions = list(session.exec(select(NoteVersion).where(NoteVersion.partner_id == partner.id)))
    establishments = list(
        session.exec(select(NoteEstablishment).where(NoteEstablishment.partner_id == partner.id))
    )
    withdrawals = list(
        session.exec(select(NoteWithdrawal).where(NoteWithdrawal.partner_id == partner.id))
    )
    return derive_states(versions, establishments, withdrawals)


def current_note(states: list[NoteState]) -> NoteState | None:
    """The note that stands for the partner: the established (or withdrawn) one, else the latest."""
    established = latest_established(states)
    return established if established is not None else (states[-1] if states else None)


def get_version(states: list[NoteState], version: int, partner: Partner) -> NoteState:
    """Version `version` of the partner's note, or NotFound listing the versions there are."""
    for state in states:
        if state.version == version:
            return state
    known = ", ".join(str(s.version) for s in states) or "none yet"
    raise NotFound(
        f"{partner.short} has no version {version} (versions: {known}). "
        f"See `wegings history {partner.short}`."
    )


def save_draft(
    session: Session,
    *,
    partner: Partner,
    answers: Answers,
    actor: str,
    now: datetime,
    based_on: int | Literal["latest"] | None = "latest",
) -> NoteVersion:
    """Save the answers as the partner's next version, a draft.

    `based_on` is the version the answers were pre-filled from (None: none was shown), so that
    a version saved by someone else meanwhile is not claimed as its basis.
    """
    states = note_states(session, partner)
    latest = states[-1] if states else None
    if based_on == "latest":
        based_on = latest.version if latest else None
    note = NoteVersion(
        partner_id=_id(partner),
        version=(latest.version + 1) if latest else 1,
        created_at=now,
        author=actor,
        profile=answers.profile.value,
        forms=json.dumps(list(answers.forms)),
        answers=json.dumps(answers_to_mapping(answers), ensure_ascii=False, sort_keys=True),
        based_on=based_on,
    )
    record_change(session, actor=actor, action="note.draft", record=note, now=now)
    return note


_AS_ANOTHER = "(four eyes). Use --as NAME."


def _four_eyes_on_a_server(session: Session, refusal: Refused) -> Refused:
    """`refusal`, but on a server a four-eyes refusal says to connect as the other person:
    there `--as` cannot name anyone but the database user the server authenticated."""
    from wegings.store.server import is_server

    if not refusal.message.endswith(_AS_ANOTHER) or not is_server(session):
        return refusal
    return Refused(
        refusal.message.removesuffix(_AS_ANOTHER) + "(four eyes): they connect to the server as "
        "their own login to establish it; --as cannot name another person there."
    )


def _four_eyes_of_registered_persons(
    session: Session, target: NoteState, partner: Partner, actor: str
) -> None:
    """With a people register, four eyes compares registered persons, never typed names.

    The establishing person is registered (the gate of `establish`); the author must be too, or
    the author and the establisher cannot be told apart as persons. A draft saved before its
    author was registered is saved again, as a new version, by a registered assessor. Two
    logins of one person (one record, or one full name) are one person.
    """
    from wegings.register.people import is_registered, register_is_empty, registered_as_one

    author = target.note.author
    if register_is_empty(session):
        return
    if is_registered(session, author):
        one = registered_as_one(session, author, actor)
        if one is None:
            return
        writer, establisher = one
        raise Refused(
            f"Version {target.version} of {partner.short} was written by {writer.describe()}, "
            f"who has the full name of {establisher.describe()}, as whom you act: one person "
            "under two logins; another person must establish it (four eyes)."
        )
    raise Refused(
        f"Version {target.version} of {partner.short} was written by {author.strip()!r}, who is "
        "not in the people register, so four eyes cannot compare registered persons. A "
        f"registered assessor saves it again as a new version: `wegings score {partner.short} "
        f"--export-answers > {partner.short}.toml`, then `wegings score {partner.short} "
        f"--answers {partner.short}.toml`."
    )


def establish(
    session: Session,
    *,
    partner: Partner,
    role: Role,
    actor: str,
    now: datetime,
    version: int | None = None,
    decision: str = "",
) -> NoteState:
    """Establish the latest draft (or `version`) with the authority the rules require."""
    decision_text = clean_text(
        decision, field="Decision", required=False, multiline=True, max_length=MAX_TEXT_LENGTH
    )
    states = note_states(session, partner)
    if not states:
        raise Refused(
            f"{partner.short} has no weighing note yet. Score one with "
            f"`wegings score {partner.short}`."
        )
    standing = latest_established(states)
    if version is None:
        # Only a draft newer than the established version can replace it.
        drafts = [
            s
            for s in states
            if s.status is NoteStatus.draft and (standing is None or s.version > standing.version)
        ]
        if not drafts:
            latest = states[-1]
            raise Refused(
                f"{partner.short} has no draft to establish; the latest version "
                f"{latest.version} is {latest.status.value}. Start a new version with "
                f"`wegings score {partner.short}`."
            )
        target = drafts[-1]
    else:
        target = get_version(states, version, partner)
    try:
        check_establish(
            profile=target.profile,
            role=role,
            author=target.note.author,
            actor=actor,
            status=target.status,
        )
    except Refused as refusal:
        raise _four_eyes_on_a_server(session, refusal) from None
    _four_eyes_of_registered_persons(session, target, partner, actor)
    if standing is not None and standing.version > target.version:
        raise Refused(
            f"Version {target.version} is older than version {standing.version}, which was "
            "established already; re-assess with `wegings score` instead."
        )
    record = NoteEstablishment(
        note_id=_id(target.note),
        partner_id=_id(partner),
        role=role.value,
        established_by=actor,
        established_at=now,
        review_due=review_due(now, target.profile),
        decision=decision_text,
    )
    record_change(session, actor=actor, action="note.establish", record=record, now=now)
    return next(s for s in note_states(session, partner) if s.version == target.version)


def withdraw(
    session: Session, *, partner: Partner, reason: str, actor: str, now: datetime
) -> NoteState:
    """Withdraw the established note: cooperation is suspended until a new one is established."""
    text = clean_text(reason, field="Reason", multiline=True, max_length=MAX_TEXT_LENGTH)
    states = note_states(session, partner)
    standing = [s for s in states if s.status is NoteStatus.established]
    if not standing:
        raise Refused(f"{partner.short} has no established note to withdraw.")
    target = standing[-1]
    record = NoteWithdrawal(
        note_id=_id(target.note),
        partner_id=_id(partner),
        withdrawn_by=actor,
        withdrawn_at=now,
        reason=text,
    )
    record_change(session, actor=actor, action="note.withdraw", record=record, now=now)
    return next(s for s in note_states(session, partner) if s.version == target.version)


def raise_flag(
    session: Session,
    *,
    partner: Partner,
    reason: str,
    observed_on: date,
    actor: str,
    now: datetime,
) -> PartnerFlag:
    """Record developments that require the partner's note to be rewritten."""
    text = clean_text(reason, field="Reason", multiline=True, max_length=MAX_TEXT_LENGTH)
    if observed_on > local_day(now):
        raise InvalidInput(f"The date {observed_on.isoformat()} lies in the future.")
    flag = PartnerFlag(
        partner_id=_id(partner),
        reason=text,
        observed_on=observed_on,
        recorded_at=now,
        recorded_by=actor,
    )
    record_change(session, actor=actor, action="partner.flag", record=flag, now=now)
    return flag


def rewrites_of(session: Session, partner: Partner) -> list[tuple[datetime, datetime]]:
    """(established_at, written_at) of every establishment of the partner's note."""
    query = (
        select(NoteEstablishment.established_at, NoteVersion.created_at)
        .join(NoteVersion, col(NoteVersion.id) == col(NoteEstablishment.note_id))
        .where(NoteEstablishment.partner_id == partner.id)
    )
    return [(established, written) for established, written in session.exec(query)]


def retractions_of(session: Session, partner: Partner) -> dict[int, FlagRetraction]:
    """The retractions of the partner's flags, by flag id."""
    query = (
        select(FlagRetraction)
        .join(PartnerFlag, col(PartnerFlag.id) == col(FlagRetraction.flag_id))
        .where(PartnerFlag.partner_id == partner.id)
    )
    return {r.flag_id: r for r in session.exec(query)}


def flags_of(session: Session, partner: Partner) -> list[PartnerFlag]:
    """Every flag recorded on the partner, retracted or not, in the order recorded."""
    query = (
        select(PartnerFlag)
        .where(PartnerFlag.partner_id == partner.id)
        .order_by(col(PartnerFlag.recorded_at), col(PartnerFlag.id))
    )
    return list(session.exec(query))


def open_flags(session: Session, partner: Partner, at: datetime) -> list[PartnerFlag]:
    """Flags recorded by `at`, not cleared by an establishment and not retracted by then."""
    rewrites = rewrites_of(session, partner)
    retractions = retractions_of(session, partner)
    result = []
    for flag in flags_of(session, partner):
        cleared = flag_cleared_at(flag.recorded_at, rewrites)
        retraction = retractions.get(flag.id or -1)
        if lifecycle.flag_holds(
            raised_at=flag.recorded_at,
            cleared_at=cleared,
            at=at,
            retracted_at=retraction.recorded_at if retraction is not None else None,
        ):
            result.append(flag)
    return result


def get_flag(session: Session, flag_id: int) -> PartnerFlag:
    """The flag with this id, or NotFound pointing to where flag ids are shown."""
    flag = session.get(PartnerFlag, flag_id) if 0 < flag_id <= MAX_RECORD_ID else None
    if flag is None:
        raise NotFound(
            f"No flag {flag_id}. A partner's flags and their ids are in "
            "`wegings show PARTNER --json`."
        )
    return flag


def retract_flag(
    session: Session, *, flag_id: int, reason: str, actor: str, now: datetime
) -> tuple[PartnerFlag, FlagRetraction]:
    """Retract a flag recorded by mistake: from now on it no longer counts; it stays on record."""
    text = clean_text(reason, field="Reason", multiline=True, max_length=MAX_TEXT_LENGTH)
    flag = get_flag(session, flag_id)
    existing = session.exec(select(FlagRetraction).where(FlagRetraction.flag_id == flag_id)).first()
    if existing is not None:
        partner = session.get(Partner, flag.partner_id)
        handle = partner.short if partner is not None else "PARTNER"
        raise Refused(
            f"Flag {flag_id} was retracted already on {local_day(existing.recorded_at).isoformat()}"
            f" by {existing.recorded_by}. See `wegings show {handle} --history`."
        )
    retraction = FlagRetraction(flag_id=flag_id, reason=text, recorded_at=now, recorded_by=actor)
    record_change(session, actor=actor, action="flag.retract", record=retraction, now=now)
    return flag, retraction


@dataclass(frozen=True)
class DueRow:
    """A partner that needs attention, and why."""

    partner: Partner
    rank: int  # lower is more urgent
    days: int | None  # days until review (negative: overdue)
    reasons: tuple[str, ...]
    note: NoteState | None
    expiring: tuple[Mapping[str, Any], ...] = ()  # what ends soon (`attention.expiring`)
    sort_days: int | None = None  # what `attention.urgency` orders by


def due(
    session: Session,
    *,
    now: datetime,
    within_days: int,
    ending: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> list[DueRow]:
    """Partners with no note in force, a review past or near, open flags, or (of `ending`,
    by handle) a consent or permission that ends soon; most urgent first."""
    check_within(within_days)
    rows = []
    for entry in list_partners(session, at=now):
        partner = entry.partner
        flags = [(flag.reason, flag.observed_on) for flag in open_flags(session, partner, now)]
        found = attention(
            note_states(session, partner),
            flags,
            now=now,
            within_days=within_days,
            ending=(ending or {}).get(partner.short, ()),
        )
        if found is not None:
            rows.append(
                DueRow(
                    partner,
                    found.rank,
                    found.days,
                    found.reasons,
                    found.note,
                    found.expiring,
                    found.sort_days,
                )
            )
    return sorted(rows, key=lambda r: urgency(r.rank, r.sort_days, r.partner.short))


@dataclass(frozen=True)
class CriterionChange:
    """How one criterion differs between two versions."""

    key: str
    score_from: int
    score_to: int
    motivation_from: str
    motivation_to: str
    sources_added: tuple[str, ...] = ()
    sources_removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether score, motivation or sources differ."""
        return (
            self.score_from != self.score_to
            or self.motivation_from != self.motivation_to
            or bool(self.sources_added or self.sources_removed)
        )


@dataclass(frozen=True)
class TextChange:
    """A text field of the note, as it was and as it is (the same when unchanged)."""

    field: str
    text_from: str
    text_to: str

    @property
    def changed(self) -> bool:
        """Whether the text differs."""
        return self.text_from != self.text_to


INTEREST_FIELDS = (
    "added_value",
    "international_obligations",
    "quid_pro_quo",
    "operational_interest",
)


@dataclass(frozen=True)
class NoteDiff:
    """The differences between two versions of a note."""

    version_from: int
    version_to: int
    profile_from: str
    profile_to: str
    criteria: tuple[CriterionChange, ...]
    forms_added: tuple[str, ...]
    forms_removed: tuple[str, ...]
    conditions_added: tuple[str, ...]
    conditions_removed: tuple[str, ...]
    interest: tuple[TextChange, ...]
    context: TextChange

    @property
    def interest_changed(self) -> tuple[str, ...]:
        """The interest fields whose text differs."""
        return tuple(change.field for change in self.interest if change.changed)

    @property
    def context_changed(self) -> bool:
        """Whether the context differs."""
        return self.context.changed


def _added(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[str, ...]:
    """The entries of `after` not in `before`, in their order."""
    return tuple(entry for entry in after if entry not in before)


def diff(first: NoteState, second: NoteState) -> NoteDiff:
    """What changed from `first` to `second`, with the old and the new text of each field."""
    a, b = first.answers, second.answers
    return NoteDiff(
        version_from=first.version,
        version_to=second.version,
        profile_from=first.profile.value,
        profile_to=second.profile.value,
        criteria=tuple(
            CriterionChange(
                key,
                a.criteria[key].score,
                b.criteria[key].score,
                a.criteria[key].motivation,
                b.criteria[key].motivation,
                sources_added=_added(a.criteria[key].sources, b.criteria[key].sources),
                sources_removed=_added(b.criteria[key].sources, a.criteria[key].sources),
            )
            for key in CRITERION_KEYS
        ),
        forms_added=_added(a.forms, b.forms),
        forms_removed=_added(b.forms, a.forms),
        conditions_added=_added(a.conditions, b.conditions),
        conditions_removed=_added(b.conditions, a.conditions),
        interest=tuple(
            TextChange(name, getattr(a.interest, name), getattr(b.interest, name))
            for name in INTEREST_FIELDS
        ),
        context=TextChange("context", a.context, b.context),
    )


def diff_json(result: NoteDiff) -> dict[str, Any]:
    """A diff as plain JSON: every field with its old and new value and whether it changed."""
    return {
        "version_from": result.version_from,
        "version_to": result.version_to,
        "profile_from": result.profile_from,
        "profile_to": result.profile_to,
        "criteria": [
            {
                "key": c.key,
                "changed": c.changed,
                "score_from": c.score_from,
                "score_to": c.score_to,
                "motivation_from": c.motivation_from,
                "motivation_to": c.motivation_to,
                "sources_added": list(c.sources_added),
                "sources_removed": list(c.sources_removed),
            }
            for c in result.criteria
        ],
        "forms_added": list(result.forms_added),
        "forms_removed": list(result.forms_removed),
        "conditions_added": list(result.conditions_added),
        "conditions_removed": list(result.conditions_removed),
        "context": {
            "changed": result.context.changed,
            "from": result.context.text_from,
            "to": result.context.text_to,
        },
        "interest": {
            c.field: {"changed": c.changed, "from": c.text_from, "to": c.text_to}
            for c in result.interest
        },
        "interest_changed": list(result.interest_changed),
        "context_changed": result.context_changed,
    }


def state_json(state: NoteState) -> dict[str, Any]:
    """A version as plain JSON: status, profile, who and when, and the answers."""
    from wegings.timeutil import iso

    establishment = state.establishment
    withdrawal = state.withdrawal
    return {
        "version": state.version,
        "status": state.status.value,
        "profile": state.profile.value,
        "risicodienst": state.profile is RiskProfile.verhoogd,
        "author": state.note.author,
        "created_at": iso(state.note.created_at),
        "based_on": state.note.based_on,
        "established_by": establishment.established_by if establishment else None,
        "established_role": establishment.role if establishment else None,
        "established_at": iso(establishment.established_at) if establishment else None,
        "decision": establishment.decision if establishment else None,
        "review_due": iso(establishment.review_due) if establishment else None,
        "superseded_at": iso(state.superseded_at),
        "superseded_by": state.superseded_by,
        "withdrawn_at": iso(withdrawal.withdrawn_at) if withdrawal else None,
        "withdrawn_by": withdrawal.withdrawn_by if withdrawal else None,
        "withdrawal_reason": withdrawal.reason if withdrawal else None,
        "scores": state.answers.scores,
        "forms": list(state.answers.forms),
        "answers": answers_to_mapping(state.answers),
    }


def _id(record: Partner | NoteVersion) -> int:
    assert record.id is not None
    return record.id
