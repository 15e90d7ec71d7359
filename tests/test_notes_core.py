"""Weighing notes in the core: versions, establishing, withdrawing, flags, due, diff.

Every step runs in its own transaction with an explicit `now`, as the CLI would run it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NOW, exists, four_eyes_tail, sql
from wegings.config import Location
from wegings.domain import NoteStatus, RiskProfile, Role
from wegings.errors import InvalidInput, NotFound, Refused
from wegings.notes.answers import Answers, validate_answers
from wegings.notes.notes import (
    NoteState,
    diff,
    due,
    establish,
    note_states,
    open_flags,
    raise_flag,
    save_draft,
    state_json,
    withdraw,
)
from wegings.register.overview import partner_overview
from wegings.register.partners import create_partner, get_partner
from wegings.store.audit import count_events, verify
from wegings.store.engine import session_scope

DEMO = Path(__file__).resolve().parent / "data"
STANDAARD = "rvd-standaard.toml"
VERHOOGD = "smi-verhoogd.toml"


def raw_answers(name: str) -> dict[str, Any]:
    """A demo answers file, parsed, to be changed by a test."""
    return tomllib.loads((DEMO / name).read_text(encoding="utf-8"))


def answers(name: str = STANDAARD, change: dict[str, Any] | None = None) -> Answers:
    """Validated answers from a demo file, with top-level tables deep-merged from `change`."""
    raw = raw_answers(name)
    for table, values in (change or {}).items():
        if isinstance(values, dict):
            for key, value in values.items():
                if isinstance(value, dict):
                    raw[table][key].update(value)
                else:
                    raw[table][key] = value
        else:
            raw[table] = values
    return validate_answers(raw)


def add_partner(location: Location, short: str, *, now: datetime = NOW) -> None:
    with session_scope(location, write=True) as session:
        create_partner(
            session,
            actor="registrar",
            now=now,
            name=f"Dienst {short.upper()}",
            short=short,
            country="XR",
            kind="civil",
        )


def draft(
    location: Location,
    short: str,
    answered: Answers,
    *,
    now: datetime,
    actor: str = "author",
) -> int:
    with session_scope(location, write=True) as session:
        note = save_draft(
            session, partner=get_partner(session, short), answers=answered, actor=actor, now=now
        )
        return note.version


def establish_note(
    location: Location,
    short: str,
    *,
    now: datetime,
    role: Role = Role.dg,
    actor: str = "approver",
    version: int | None = None,
    decision: str = "",
) -> NoteState:
    with session_scope(location, write=True) as session:
        return establish(
            session,
            partner=get_partner(session, short),
            role=role,
            actor=actor,
            now=now,
            version=version,
            decision=decision,
        )


def withdraw_note(location: Location, short: str, *, now: datetime) -> NoteState:
    with session_scope(location, write=True) as session:
        return withdraw(
            session,
            partner=get_partner(session, short),
            reason="Samenwerking opgeschort na staatsgreep.",
            actor="desk",
            now=now,
        )


def flag(location: Location, short: str, *, now: datetime, observed_on: date) -> None:
    with session_scope(location, write=True) as session:
        raise_flag(
            session,
            partner=get_partner(session, short),
            reason="Politieke onrust na de verkiezingen.",
            observed_on=observed_on,
            actor="desk",
            now=now,
        )


def states(location: Location, short: str) -> list[NoteState]:
    with session_scope(location, write=False) as session:
        return note_states(session, get_partner(session, short))


def events(location: Location) -> int:
    with session_scope(location, write=False) as session:
        return count_events(session)


def statuses(location: Location, short: str) -> list[tuple[int, NoteStatus]]:
    return [(s.version, s.status) for s in states(location, short)]


def assert_audit_intact(location: Location) -> None:
    with session_scope(location, write=False) as session:
        result = verify(session)
    assert result.events == events(location)


@pytest.fixture(autouse=True)
def audit_stays_intact(location: Location) -> Iterator[None]:
    """Whatever a test did or was refused, the audit trail still verifies afterwards."""
    yield
    if exists(location):
        assert_audit_intact(location)


@pytest.fixture
def rvd(location: Location, migrated_db: Location) -> Location:
    """A store with partner rvd and no note yet."""
    add_partner(location, "rvd")
    return location


# Saving versions


def test_draft_versions_count_up_and_record_what_they_were_based_on(rvd: Location) -> None:
    assert draft(rvd, "rvd", answers(), now=NOW) == 1
    assert draft(rvd, "rvd", answers(VERHOOGD), now=NOW + timedelta(hours=1)) == 2
    first, second = states(rvd, "rvd")
    assert (first.version, first.note.based_on, first.profile) == (1, None, RiskProfile.standaard)
    assert (second.version, second.note.based_on, second.profile) == (2, 1, RiskProfile.verhoogd)
    assert first.status is second.status is NoteStatus.draft
    assert first.answers == answers()
    assert second.answers == answers(VERHOOGD)
    assert first.note.author == "author"
    assert first.note.created_at == NOW
    assert_audit_intact(rvd)


# Establishing


def test_standaard_note_established_by_dg_is_due_for_review_after_24_months(
    rvd: Location,
) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    state = establish_note(rvd, "rvd", now=NOW, role=Role.dg, decision="DG-besluit 2026/114")
    assert state.status is NoteStatus.established
    assert state.establishment is not None
    assert state.establishment.review_due == datetime(2028, 11, 29, 12, 0, tzinfo=UTC)
    assert state.establishment.decision == "DG-besluit 2026/114"
    assert state.establishment.role == "dg"
    assert state.establishment.established_by == "approver"
    assert state.in_force(NOW)
    assert not state.in_force(NOW - timedelta(seconds=1))
    assert not state.in_force(datetime(2028, 11, 29, 12, 0, tzinfo=UTC))


def test_verhoogd_note_established_by_minister_is_due_after_12_months(rvd: Location) -> None:
    draft(rvd, "rvd", answers(VERHOOGD), now=NOW)
    state = establish_note(rvd, "rvd", now=NOW, role=Role.minister)
    assert state.establishment is not None
    assert state.establishment.review_due == datetime(2027, 11, 29, 12, 0, tzinfo=UTC)


def test_review_date_of_a_leap_day_establishment_is_clamped(rvd: Location) -> None:
    leap_day = datetime(2024, 2, 29, 9, 30, tzinfo=UTC)
    draft(rvd, "rvd", answers(VERHOOGD), now=leap_day)
    state = establish_note(rvd, "rvd", now=leap_day, role=Role.minister)
    assert state.establishment is not None
    assert state.establishment.review_due == datetime(2025, 2, 28, 9, 30, tzinfo=UTC)


def test_verhoogd_note_cannot_be_established_by_dg(rvd: Location) -> None:
    draft(rvd, "rvd", answers(VERHOOGD), now=NOW)
    before = events(rvd)
    with pytest.raises(Refused) as refused:
        establish_note(rvd, "rvd", now=NOW, role=Role.dg)
    assert refused.value.message == (
        "A verhoogd note can only be established by the minister; it was asked as dg. "
        "Use --role minister."
    )
    assert events(rvd) == before
    assert statuses(rvd, "rvd") == [(1, NoteStatus.draft)]


def test_author_cannot_establish_own_note_whatever_the_case(rvd: Location, backend: str) -> None:
    draft(rvd, "rvd", answers(), now=NOW, actor="j.jansen")
    before = events(rvd)
    with pytest.raises(Refused) as refused:
        establish_note(rvd, "rvd", now=NOW, role=Role.minister, actor=" J.Jansen ")
    assert refused.value.message == (
        "The note was written by 'j.jansen'; another person must establish it "
        f"{four_eyes_tail(backend)}"
    )
    assert events(rvd) == before


def test_establishing_without_any_note_is_refused(rvd: Location) -> None:
    with pytest.raises(Refused) as refused:
        establish_note(rvd, "rvd", now=NOW)
    assert refused.value.message == (
        "rvd has no weighing note yet. Score one with `wegings score rvd`."
    )


def test_establishing_without_a_draft_is_refused(rvd: Location) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    establish_note(rvd, "rvd", now=NOW)
    with pytest.raises(Refused) as refused:
        establish_note(rvd, "rvd", now=NOW + timedelta(days=1))
    assert refused.value.message == (
        "rvd has no draft to establish; the latest version 1 is established. "
        "Start a new version with `wegings score rvd`."
    )


def test_establishing_an_established_version_again_is_refused(rvd: Location) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    establish_note(rvd, "rvd", now=NOW)
    with pytest.raises(Refused) as refused:
        establish_note(rvd, "rvd", now=NOW + timedelta(days=1), version=1)
    assert refused.value.message == (
        "Only a draft can be established; this version is established. Start a new version instead."
    )


def test_establishing_an_unknown_version_names_the_known_ones(rvd: Location) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    with pytest.raises(NotFound) as missing:
        establish_note(rvd, "rvd", now=NOW, version=3)
    assert missing.value.message == (
        "rvd has no version 3 (versions: 1). See `wegings history rvd`."
    )
    assert missing.value.exit_code == 2


def test_newer_establishment_supersedes_the_previous_one(rvd: Location) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    establish_note(rvd, "rvd", now=NOW)
    later = NOW + timedelta(days=30)
    draft(rvd, "rvd", answers(), now=later)
    establish_note(rvd, "rvd", now=later + timedelta(hours=2))
    first, second = states(rvd, "rvd")
    assert first.status is NoteStatus.superseded
    assert first.superseded_at == later + timedelta(hours=2)
    assert first.superseded_by == 2
    assert second.status is NoteStatus.established
    # The past stays answerable: v1 was in force before v2 was established, not after.
    assert first.in_force(later)
    assert not first.in_force(later + timedelta(hours=2))
    assert second.in_force(later + timedelta(hours=2))


def test_the_latest_of_several_drafts_is_established_and_older_ones_stay_drafts(
    rvd: Location,
) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    draft(rvd, "rvd", answers(), now=NOW + timedelta(hours=1))
    state = establish_note(rvd, "rvd", now=NOW + timedelta(hours=2))
    assert state.version == 2
    assert statuses(rvd, "rvd") == [(1, NoteStatus.draft), (2, NoteStatus.established)]
    with pytest.raises(Refused) as refused:
        establish_note(rvd, "rvd", now=NOW + timedelta(hours=3), version=1)
    assert refused.value.message == (
        "Version 1 is older than version 2, which was established already; re-assess with "
        "`wegings score` instead."
    )


def test_a_named_older_draft_can_be_established(rvd: Location) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    draft(rvd, "rvd", answers(VERHOOGD), now=NOW + timedelta(hours=1))
    state = establish_note(rvd, "rvd", now=NOW + timedelta(hours=2), version=1)
    assert state.version == 1
    assert statuses(rvd, "rvd") == [(1, NoteStatus.established), (2, NoteStatus.draft)]


# Withdrawing


def test_withdrawal_suspends_the_established_note(rvd: Location) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    establish_note(rvd, "rvd", now=NOW)
    withdrawn_at = NOW + timedelta(days=10)
    state = withdraw_note(rvd, "rvd", now=withdrawn_at)
    assert state.status is NoteStatus.withdrawn
    assert state.withdrawal is not None
    assert state.withdrawal.reason == "Samenwerking opgeschort na staatsgreep."
    assert state.ended_at == withdrawn_at
    assert state.in_force(withdrawn_at - timedelta(seconds=1))
    assert not state.in_force(withdrawn_at)
    with pytest.raises(Refused) as refused:
        establish_note(rvd, "rvd", now=withdrawn_at, version=1)
    assert refused.value.message == (
        "Only a draft can be established; this version is withdrawn. Start a new version instead."
    )


def test_withdrawn_note_stays_withdrawn_after_a_new_one_is_established(rvd: Location) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    establish_note(rvd, "rvd", now=NOW)
    withdraw_note(rvd, "rvd", now=NOW + timedelta(days=1))
    draft(rvd, "rvd", answers(), now=NOW + timedelta(days=2))
    establish_note(rvd, "rvd", now=NOW + timedelta(days=3))
    assert statuses(rvd, "rvd") == [(1, NoteStatus.withdrawn), (2, NoteStatus.established)]


def test_withdrawing_without_an_established_note_is_refused(rvd: Location) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    before = events(rvd)
    with pytest.raises(Refused) as refused:
        withdraw_note(rvd, "rvd", now=NOW)
    assert refused.value.message == "rvd has no established note to withdraw."
    assert events(rvd) == before


def test_withdrawing_twice_is_refused(rvd: Location) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    establish_note(rvd, "rvd", now=NOW)
    withdraw_note(rvd, "rvd", now=NOW + timedelta(days=1))
    with pytest.raises(Refused):
        withdraw_note(rvd, "rvd", now=NOW + timedelta(days=2))


# Flags


def test_flag_in_the_future_is_refused(rvd: Location) -> None:
    with pytest.raises(InvalidInput) as invalid:
        flag(rvd, "rvd", now=NOW, observed_on=date(2026, 11, 30))
    assert invalid.value.message == "The date 2026-11-30 lies in the future."
    assert events(rvd) == 1  # only the partner


def test_flag_stays_open_until_a_later_establishment_clears_it(rvd: Location) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    establish_note(rvd, "rvd", now=NOW)
    flagged_at = NOW + timedelta(days=5)
    flag(rvd, "rvd", now=flagged_at, observed_on=date(2026, 12, 3))
    draft(rvd, "rvd", answers(VERHOOGD), now=flagged_at + timedelta(days=1))
    cleared_at = flagged_at + timedelta(days=2)
    establish_note(rvd, "rvd", now=cleared_at, role=Role.minister)
    with session_scope(rvd, write=False) as session:
        partner = get_partner(session, "rvd")
        assert open_flags(session, partner, flagged_at - timedelta(seconds=1)) == []
        [still_open] = open_flags(session, partner, cleared_at - timedelta(seconds=1))
        assert still_open.reason == "Politieke onrust na de verkiezingen."
        assert still_open.observed_on == date(2026, 12, 3)
        assert open_flags(session, partner, cleared_at) == []


def test_a_draft_written_before_the_flag_does_not_clear_it(rvd: Location) -> None:
    """The developments call for a rewrite: establishing an older draft answers nothing."""
    draft(rvd, "rvd", answers(), now=NOW)
    flagged_at = NOW + timedelta(days=1)
    flag(rvd, "rvd", now=flagged_at, observed_on=date(2026, 11, 30))
    establish_note(rvd, "rvd", now=flagged_at + timedelta(days=1))
    with session_scope(rvd, write=False) as session:
        partner = get_partner(session, "rvd")
        [still_open] = open_flags(session, partner, flagged_at + timedelta(days=2))
        assert still_open.observed_on == date(2026, 11, 30)


# What is due


def test_due_lists_the_most_urgent_first(location: Location) -> None:
    # Handles in reverse alphabetical order of urgency, so sorting by name would fail.
    for short in ("zulu", "oscar", "yank", "xray", "whis", "vict", "uni", "tango"):
        add_partner(location, short, now=datetime(2024, 1, 1, tzinfo=UTC))
    # Overdue: reviews fell due 61 and 31 days ago.
    draft(location, "zulu", answers(), now=datetime(2024, 9, 1, tzinfo=UTC))
    establish_note(location, "zulu", now=datetime(2024, 9, 29, 12, 0, tzinfo=UTC))
    draft(location, "oscar", answers(), now=datetime(2024, 10, 1, tzinfo=UTC))
    establish_note(location, "oscar", now=datetime(2024, 10, 29, 12, 0, tzinfo=UTC))
    # Flagged: a note in force, then developments.
    draft(location, "yank", answers(), now=NOW - timedelta(days=20))
    establish_note(location, "yank", now=NOW - timedelta(days=10))
    flag(location, "yank", now=NOW - timedelta(days=1), observed_on=date(2026, 11, 27))
    # Withdrawn.
    draft(location, "xray", answers(), now=NOW - timedelta(days=200))
    establish_note(location, "xray", now=NOW - timedelta(days=100))
    withdraw_note(location, "xray", now=NOW - timedelta(days=5))
    # No established note, only a draft.
    draft(location, "whis", answers(), now=NOW - timedelta(days=3))
    # Review due soon: a verhoogd note established 345 days ago (due in 20 days).
    draft(location, "vict", answers(VERHOOGD), now=datetime(2025, 12, 1, tzinfo=UTC))
    establish_note(
        location, "vict", now=datetime(2025, 12, 19, 12, 0, tzinfo=UTC), role=Role.minister
    )
    # In force and not due; a pending draft alone is no reason to list a partner.
    draft(location, "uni", answers(), now=NOW - timedelta(days=2))
    establish_note(location, "uni", now=NOW - timedelta(days=1))
    draft(location, "tango", answers(), now=NOW - timedelta(days=30))
    establish_note(location, "tango", now=NOW - timedelta(days=29))
    draft(location, "tango", answers(), now=NOW - timedelta(days=1))

    with session_scope(location, write=False) as session:
        rows = due(session, now=NOW, within_days=90)
        soon_excluded = due(session, now=NOW, within_days=19)
        with pytest.raises(InvalidInput) as invalid:
            due(session, now=NOW, within_days=-1)
    assert invalid.value.message == "--within must be 0 or more days."
    assert [(r.partner.short, r.rank, r.days, r.reasons) for r in rows] == [
        ("zulu", 0, -61, ("review of v1 overdue by 61 days",)),
        ("oscar", 0, -31, ("review of v1 overdue by 31 days",)),
        ("yank", 1, 721, ("flagged 2026-11-27: Politieke onrust na de verkiezingen.",)),
        ("xray", 2, 631, ("note v1 withdrawn: cooperation suspended",)),
        ("whis", 3, None, ("no established note", "draft v1 awaits establishment")),
        ("vict", 4, 20, ("review of v1 due in 20 days",)),
    ]
    assert [r.partner.short for r in soon_excluded] == ["zulu", "oscar", "yank", "xray", "whis"]


def test_due_lists_a_partner_without_any_note(rvd: Location) -> None:
    with session_scope(rvd, write=False) as session:
        [row] = due(session, now=NOW, within_days=0)
    assert (row.partner.short, row.note, row.reasons) == ("rvd", None, ("no established note",))


# Differences


def test_diff_names_every_change(rvd: Location) -> None:
    draft(rvd, "rvd", answers(VERHOOGD), now=NOW)
    new_motivation = (
        "Er is sinds kort een wet op de bescherming van persoonsgegevens, maar de uitvoering "
        "is nog onzeker."
    )
    other_human_rights = "Journalisten worden sinds de verkiezingen stelselmatig vervolgd."
    changed = answers(
        VERHOOGD,
        {
            "criteria": {
                "data_protection": {"score": 3, "motivation": new_motivation},
                "human_rights": {"motivation": other_human_rights},
            },
            "interest": {"quid_pro_quo": "Evenwichtiger dan voorheen."},
            "cooperation": {
                "forms": ["knowledge_exchange", "evaluated_data", "technical_support"],
                "conditions": [
                    "Geen gegevens die tot vervolging wegens politieke activiteiten kunnen leiden.",
                    "Halfjaarlijkse evaluatie door de afdeling liaison.",
                ],
            },
        },
    )
    draft(rvd, "rvd", changed, now=NOW + timedelta(days=1))
    first, second = states(rvd, "rvd")
    result = diff(first, second)
    assert (result.version_from, result.version_to) == (1, 2)
    assert (result.profile_from, result.profile_to) == ("verhoogd", "verhoogd")
    changes = {c.key: c for c in result.criteria if c.changed}
    assert sorted(changes) == ["data_protection", "human_rights"]
    assert (changes["data_protection"].score_from, changes["data_protection"].score_to) == (2, 3)
    assert changes["data_protection"].motivation_to == new_motivation
    assert changes["human_rights"].score_from == changes["human_rights"].score_to == 2
    assert changes["human_rights"].motivation_to == other_human_rights
    assert result.forms_added == ("technical_support",)
    assert result.forms_removed == ("personal_data",)
    assert result.conditions_added == ("Halfjaarlijkse evaluatie door de afdeling liaison.",)
    assert result.conditions_removed == (
        "Persoonsgegevens alleen na toestemming per verstrekking.",
    )
    assert result.interest_changed == ("quid_pro_quo",)
    assert result.context_changed is False
    same = diff(first, first)
    assert not any(c.changed for c in same.criteria)
    assert same.forms_added == same.forms_removed == same.conditions_added == ()


# Plain data


def test_state_json_of_a_withdrawn_note(rvd: Location) -> None:
    draft(rvd, "rvd", answers(VERHOOGD), now=NOW)
    establish_note(rvd, "rvd", now=NOW + timedelta(hours=1), role=Role.minister, actor="min")
    withdraw_note(rvd, "rvd", now=NOW + timedelta(days=2))
    [state] = states(rvd, "rvd")
    data = state_json(state)
    assert data["answers"] == raw_answers(VERHOOGD)
    del data["answers"]
    assert data == {
        "version": 1,
        "status": "withdrawn",
        "profile": "verhoogd",
        "risicodienst": True,
        "author": "author",
        "created_at": "2026-11-29T12:00:00Z",
        "based_on": None,
        "established_by": "min",
        "established_role": "minister",
        "established_at": "2026-11-29T13:00:00Z",
        "decision": "",
        "review_due": "2027-11-29T13:00:00Z",
        "superseded_at": None,
        "superseded_by": None,
        "withdrawn_at": "2026-12-01T12:00:00Z",
        "withdrawn_by": "desk",
        "withdrawal_reason": "Samenwerking opgeschort na staatsgreep.",
        "scores": {
            "democratic_embedding": 2,
            "human_rights": 2,
            "professionalism": 3,
            "legal_powers": 3,
            "data_protection": 2,
        },
        "forms": ["knowledge_exchange", "evaluated_data", "personal_data"],
    }


def test_overview_reports_risicodienst_once_a_verhoogd_note_is_established(rvd: Location) -> None:
    """The label follows the current established note, also once it has lapsed."""
    draft(rvd, "rvd", answers(VERHOOGD), now=NOW)
    with session_scope(rvd, write=False) as session:
        drafted = partner_overview(session, "rvd", now=NOW)
    assert drafted["note"]["status"] == "draft"
    assert drafted["note"]["in_force"] is False
    assert drafted["risicodienst"] is False
    establish_note(rvd, "rvd", now=NOW, role=Role.minister)
    with session_scope(rvd, write=False) as session:
        in_force = partner_overview(session, "rvd", now=NOW + timedelta(days=1))
        lapsed = partner_overview(session, "rvd", now=datetime(2027, 11, 29, 12, 0, tzinfo=UTC))
    assert (in_force["note"]["in_force"], in_force["risicodienst"]) == (True, True)
    assert (lapsed["note"]["in_force"], lapsed["risicodienst"]) == (False, True)
    assert "answers" not in in_force["note"]


# Append-only


def test_establish_and_withdraw_leave_every_version_row_unchanged(
    rvd: Location, location: Location
) -> None:
    draft(rvd, "rvd", answers(), now=NOW)
    draft(rvd, "rvd", answers(VERHOOGD), now=NOW + timedelta(hours=1))
    rows = sql(location, "SELECT * FROM note_version ORDER BY id")
    establish_note(rvd, "rvd", now=NOW + timedelta(hours=2), role=Role.minister)
    withdraw_note(rvd, "rvd", now=NOW + timedelta(days=1))
    flag(rvd, "rvd", now=NOW + timedelta(days=1), observed_on=date(2026, 11, 30))
    assert sql(location, "SELECT * FROM note_version ORDER BY id") == rows
    assert_audit_intact(rvd)
