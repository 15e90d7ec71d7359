"""A weighing note's document read from a SQLite read snapshot, without the ORM.

`wegings render` on a SQLite file reads the note through the snapshot's cursor
(`wegings.store.snapshot`), so a render loads neither SQLAlchemy nor SQLModel. It builds the
very `NoteDocument` that `wegings.notes.documents.note_document` builds through the session:
the same statements (so rows come in the same order), each value read as the model reads it,
every derived fact from the same pure rules (`notes.lifecycle`, `sharing.facts`,
`notes.weighing`), and the same refusals; tests/test_render_snapshot.py holds the two equal.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from wegings.domain import NoteStatus, RiskProfile
from wegings.errors import NotFound, Refused, StoreError
from wegings.notes import lifecycle
from wegings.notes.answers import Answers, answers_from_mapping
from wegings.notes.documents import assessments, default_state, replaced_version
from wegings.notes.weighing import profile_causes
from wegings.register.listing import CORRECTED_FIELDS
from wegings.render.document import Flag, NoteDocument, PartnerInfo
from wegings.sharing.facts import MembershipFacts, memberships_at
from wegings.store.engine import stored_json, stored_utc
from wegings.store.snapshot import ReadSnapshot
from wegings.text import suggestion


def _moment(value: Any) -> datetime:
    """A UTC time column as the model reads it on SQLite; none of those read here is null."""
    return stored_utc(value, "time")


def _day(value: Any) -> date:
    """A date column as the model reads it on SQLite."""
    if type(value) is str:
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value)
    raise StoreError(
        f"The database holds an unreadable date ({value!r:.60}): it was changed outside "
        "wegings. Run `wegings audit verify`."
    )


@dataclass(frozen=True)
class _Version:
    id: int
    version: int
    created_at: datetime
    author: str
    profile: str
    answers: str


@dataclass(frozen=True)
class _Establishment:
    note_id: int
    role: str
    established_by: str
    established_at: datetime
    review_due: datetime
    decision: str


@dataclass(frozen=True)
class _Withdrawal:
    note_id: int
    withdrawn_at: datetime
    reason: str


@dataclass(frozen=True)
class _State:
    """A version with its answers and status (`notes.NoteState`)."""

    note: _Version
    answers: Answers
    status: NoteStatus
    establishment: _Establishment | None
    withdrawal: _Withdrawal | None
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


def _answers(text: str) -> Answers:
    """`notes.answers_from_json`: the answers as stored with a version."""
    return answers_from_mapping(stored_json(text, "answers of a note"))


class SnapshotReader:
    """The statements `note_document` (and `notes.due`) run through the ORM, on the snapshot's
    cursor."""

    def __init__(self, snapshot: ReadSnapshot) -> None:
        self._cursor = snapshot.cursor()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = self._cursor.fetchall()
        return rows

    def partner(self, handle: str) -> tuple[int, str]:
        """`register.get_partner`: the partner's id and handle, or NotFound with suggestions."""
        key = handle.strip().lower()
        found = self.rows("SELECT id, short FROM partner WHERE partner.short = ?", (key,))
        if not found:
            known = [row[0] for row in self.rows("SELECT partner.short FROM partner")]
            raise NotFound(suggestion(handle, known, what="partner", listing="wegings partners"))
        return found[0][0], found[0][1]

    def states(self, partner_id: int) -> list[_State]:
        """`notes.note_states`: every version with its status, oldest first."""
        versions = [
            _Version(id_, version, _moment(created), author, profile, answers)
            for id_, version, created, author, profile, answers in self.rows(
                "SELECT id, version, created_at, author, profile, answers FROM note_version "
                "WHERE note_version.partner_id = ?",
                (partner_id,),
            )
        ]
        establishments = [
            _Establishment(note_id, role, by, _moment(at), _moment(due), decision)
            for note_id, role, by, at, due, decision in self.rows(
                "SELECT note_id, role, established_by, established_at, review_due, decision "
                "FROM note_establishment WHERE note_establishment.partner_id = ?",
                (partner_id,),
            )
        ]
        withdrawals = [
            _Withdrawal(note_id, _moment(at), reason)
            for note_id, at, reason in self.rows(
                "SELECT note_id, withdrawn_at, reason FROM note_withdrawal "
                "WHERE note_withdrawal.partner_id = ?",
                (partner_id,),
            )
        ]
        # As `notes.derive_states`.
        established = {e.note_id: e for e in establishments}
        withdrawn = {w.note_id: w for w in withdrawals}
        by_time = sorted(establishments, key=lambda e: e.established_at)
        version_of = {v.id: v.version for v in versions}
        states = []
        for note in sorted(versions, key=lambda v: v.version):
            establishment = established.get(note.id)
            withdrawal = withdrawn.get(note.id)
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
                _State(
                    note,
                    _answers(note.answers),
                    status,
                    establishment,
                    withdrawal,
                    superseded_at=superseded_at,
                    superseded_by=superseded_by,
                )
            )
        return states

    def open_flags(self, partner_id: int, at: datetime) -> list[tuple[str, date]]:
        """`notes.open_flags`: (reason, observed_on) of the flags that hold at `at`."""
        rewrites = [
            (_moment(established), _moment(written))
            for established, written in self.rows(
                "SELECT note_establishment.established_at, note_version.created_at "
                "FROM note_establishment JOIN note_version "
                "ON note_version.id = note_establishment.note_id "
                "WHERE note_establishment.partner_id = ?",
                (partner_id,),
            )
        ]
        retracted = {
            flag_id: _moment(recorded)
            for flag_id, recorded in self.rows(
                "SELECT flag_retraction.flag_id, flag_retraction.recorded_at "
                "FROM flag_retraction JOIN partner_flag "
                "ON partner_flag.id = flag_retraction.flag_id WHERE partner_flag.partner_id = ?",
                (partner_id,),
            )
        }
        result = []
        for flag_id, reason, observed, recorded in self.rows(
            "SELECT id, reason, observed_on, recorded_at FROM partner_flag "
            "WHERE partner_flag.partner_id = ? "
            "ORDER BY partner_flag.recorded_at, partner_flag.id",
            (partner_id,),
        ):
            raised = _moment(recorded)
            if lifecycle.flag_holds(
                raised_at=raised,
                cleared_at=lifecycle.flag_cleared_at(raised, rewrites),
                at=at,
                retracted_at=retracted.get(flag_id),
            ):
                result.append((reason, _day(observed)))
        return result

    def current_values(self, partner_id: int) -> dict[str, Any]:
        """`register.current_values`: name, country, kind and notes after every correction."""
        [row] = self.rows(
            "SELECT name, country, kind, notes FROM partner WHERE partner.id = ?", (partner_id,)
        )
        values = dict(zip(CORRECTED_FIELDS, row, strict=True))
        for correction in self.rows(
            "SELECT name, country, kind, notes FROM partner_correction "
            "WHERE partner_correction.partner_id = ? "
            "ORDER BY partner_correction.recorded_at, partner_correction.id",
            (partner_id,),
        ):
            for field, value in zip(CORRECTED_FIELDS, correction, strict=True):
                if value is not None:
                    values[field] = value
        return values

    def membership_events(self, partner_id: int) -> dict[int, list[MembershipFacts]]:
        """Every join and leave of the partner on record, by group id: its first joins and its
        later changes, as `sharing.facts.memberships_at` reads them (also for the lists)."""
        events: dict[int, list[MembershipFacts]] = {}
        for group_id, added in self.rows(
            "SELECT group_id, added_at FROM group_membership WHERE group_membership.partner_id = ?",
            (partner_id,),
        ):
            moment = _moment(added)
            events.setdefault(group_id, []).append(
                MembershipFacts(group="group", joins=True, valid_from=moment, recorded_at=moment)
            )
        for group_id, change, valid_from, recorded in self.rows(
            "SELECT group_id, change, valid_from, recorded_at FROM membership_change "
            "WHERE membership_change.partner_id = ?",
            (partner_id,),
        ):
            events.setdefault(group_id, []).append(
                MembershipFacts(
                    group="group",
                    joins=change == "join",
                    valid_from=_moment(valid_from),
                    recorded_at=_moment(recorded),
                )
            )
        return events

    def groups(self, partner_id: int, at: datetime) -> tuple[str, ...]:
        """`register.groups_of`: the display names of the partner's groups at `at`."""
        events = self.membership_events(partner_id)
        member_of = {g for g, changes in events.items() if memberships_at(changes, at, known_at=at)}
        return tuple(
            name
            for group_id, name in self.rows(
                "SELECT id, name FROM partner_group ORDER BY partner_group.key"
            )
            if group_id in member_of
        )

    def signatory(self, login: str, at: datetime) -> tuple[str, str] | None:
        """`people.signatory`: the registered person's (name, function) on record at `at`."""
        people = self.rows(
            "SELECT id, login, name, function, recorded_at FROM person ORDER BY person.id"
        )
        if not people:
            return None
        wanted = unicodedata.normalize("NFC", login.strip()).casefold()
        person = next(
            (p for p in people if unicodedata.normalize("NFC", p[1]).casefold() == wanted), None
        )
        # A look-alike of a registered login names nobody either (`find_person` refuses it).
        if person is None:
            return None
        person_id, _, name, function, recorded = person
        registered = _moment(recorded)
        cutoff = at if registered <= at else None
        for new_name, new_function, corrected in self.rows(
            "SELECT name, function, recorded_at FROM person_correction "
            "WHERE person_correction.person_id = ? ORDER BY person_correction.id",
            (person_id,),
        ):
            moment = _moment(corrected)
            if cutoff is None or moment <= cutoff:
                name = new_name if new_name is not None else name
                function = new_function if new_function is not None else function
        return name, function


def _version_of(states: list[_State], version: int, short: str) -> _State:
    """`notes.get_version`: version `version`, or NotFound listing the versions there are."""
    for state in states:
        if state.note.version == version:
            return state
    known = ", ".join(str(s.note.version) for s in states) or "none yet"
    raise NotFound(
        f"{short} has no version {version} (versions: {known}). See `wegings history {short}`."
    )


def snapshot_note_document(
    snapshot: ReadSnapshot,
    handle: str,
    *,
    version: int | None,
    marking: str,
    service: str,
    now: datetime,
) -> NoteDocument:
    """`documents.note_document`, read from `snapshot` (a SQLite one) without the ORM."""
    reader = SnapshotReader(snapshot)
    partner_id, short = reader.partner(handle)
    states = reader.states(partner_id)
    if not states:
        raise Refused(f"{short} has no weighing note yet. Score one with `wegings score {short}`.")
    state = _version_of(states, version, short) if version is not None else default_state(states)
    if state is None:
        state = states[-1]
    answers = state.answers
    establishment = state.establishment
    withdrawal = state.withdrawal
    flags = reader.open_flags(partner_id, now) if state.status is not NoteStatus.superseded else []
    values = reader.current_values(partner_id)
    author = reader.signatory(state.note.author, state.note.created_at)
    establisher = (
        reader.signatory(establishment.established_by, establishment.established_at)
        if establishment
        else None
    )
    return NoteDocument(
        partner=PartnerInfo(
            name=values["name"],
            short=short,
            country_code=values["country"],
            kind=values["kind"],
            groups=reader.groups(partner_id, now),
        ),
        own_service=service,
        classification=marking,
        version=state.note.version,
        status=state.status,
        profile=RiskProfile(state.note.profile),
        created_at=state.note.created_at,
        author=author[0] if author else state.note.author,
        author_function=author[1] if author else "",
        context=answers.context,
        criteria=assessments(answers),
        interest=answers.interest,
        forms=answers.forms,
        conditions=answers.conditions,
        profile_causes=tuple(profile_causes(answers.scores)),
        established_at=establishment.established_at if establishment else None,
        established_by=(
            (establisher[0] if establisher else establishment.established_by)
            if establishment
            else None
        ),
        established_by_function=establisher[1] if establisher else "",
        established_role=establishment.role if establishment else None,  # type: ignore[arg-type]
        decision_text=(establishment.decision or None) if establishment else None,
        review_due=establishment.review_due if establishment else None,
        flags=tuple(
            # Noon UTC is the same calendar day in The Hague, where dates are shown.
            Flag(reason=reason, flagged_at=datetime.combine(observed, time(12), UTC))
            for reason, observed in flags
        ),
        withdrawn_at=withdrawal.withdrawn_at if withdrawal else None,
        withdrawn_reason=withdrawal.reason if withdrawal else None,
        replaces=replaced_version(states, state),
        superseded_by=state.superseded_by,
        superseded_at=state.superseded_at,
    )
