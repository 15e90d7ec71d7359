"""Can-share through the database: the facts the store loads give the rules' answers.

Each reason code the records can produce is reached here end to end at least once (the pure
rules are tested without a database in test_sharing_rules.py). `note_superseded` cannot arise
from records written by wegings: a later establishment is itself the note in force, so the rules
never fall back on the superseded one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.sharing_world import add_consent, add_item, add_partner, establish_note, flag, world
from wegings.config import Location
from wegings.domain import Role
from wegings.errors import InvalidInput, NotFound
from wegings.notes.notes import withdraw
from wegings.register.partners import get_partner
from wegings.sharing.batch import BatchSummary, read_rows, result_json, run_batch
from wegings.sharing.consents import record_permission, revoke_consent
from wegings.sharing.facts import GroupFacts
from wegings.sharing.outcome import Outcome
from wegings.sharing.result import CheckResult, decision_json
from wegings.sharing.store import SharingReader, check_one
from wegings.store.engine import session_scope
from wegings.timeutil import end_of_day

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ITEMS_AT = T0 + timedelta(hours=1)
CONSENTS_AT = T0 + timedelta(hours=2)
CHECK_AT = T0 + timedelta(days=1)
BASE = "Not to be passed on to third parties without the consent of AIVD"
SOURCE = "Do not name the originating service (source protection)"
PERSONAL = "State the reliability and the age of the personal data"
# The conditions and mitigating measures of the demo notes (scripts/demo/*.toml).
RVD_NOTE = "Geen verdere verstrekking zonder toestemming van de AIVD."
SMI_NOTE = (
    "Persoonsgegevens alleen na toestemming per verstrekking.",
    "Geen gegevens die tot vervolging wegens politieke activiteiten kunnen leiden.",
)


@pytest.fixture
def db(location: Location, migrated_db: object) -> Location:
    """rvd (CTG, standaard), smi (CTG, verhoogd, a risicodienst), bsv (flagged, no note)."""
    world(location, T0)
    return location


def check(
    location: Location, item: str, to: str, *, at: datetime = CHECK_AT, **extra: str
) -> CheckResult:
    with session_scope(location, write=False) as session:
        return check_one(session, item, to, at=at, **extra)


def codes(result: CheckResult) -> list[str]:
    return [reason.code.value for reason in result.decision.reasons]


def permit(location: Location, item: str, to: str, role: Role, *, now: datetime) -> None:
    with session_scope(location, write=True) as session:
        record_permission(
            session,
            actor="minister.bz",
            now=now,
            item=item,
            to=to,
            role=role,
            valid_until=end_of_day((now + timedelta(days=30)).date()),
            reason="Besluit",
            granted_by="mr. A. Minister",
            ctivd_notified=True,
        )


# --------------------------------------------------------------------------- rule 1


def test_item_consent_allows_and_its_conditions_are_carried(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    consent = add_consent(
        db, now=CONSENTS_AT, item="RVD-1", to="smi", conditions=["Alleen parafraseren"]
    )
    result = check(db, "RVD-1", "smi")
    assert result.decision.outcome is Outcome.allowed
    assert codes(result) == ["consent_present", "note_in_force", "form_permitted"]
    assert result.decision.reasons[0].ref == f"consent #{consent}"
    # The recipient's note carries its own conditions and mitigating measures (DOMAIN.md).
    assert result.decision.conditions == (BASE, "Alleen parafraseren", *SMI_NOTE, SOURCE)
    assert result.exit_code == 0


def test_no_consent_denies_and_names_what_is_missing(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    result = check(db, "RVD-1", "smi")
    assert result.decision.outcome is Outcome.denied
    assert codes(result)[0] == "no_consent"
    assert result.decision.reasons[0].ref == "missing: consent from rvd to self for smi"
    assert result.exit_code == 1


def test_our_own_item_and_an_item_back_to_its_originator_need_no_consent(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    own = check(db, "AIVD-1", "rvd")
    back = check(db, "RVD-1", "rvd")
    assert own.decision.outcome is back.decision.outcome is Outcome.allowed
    assert codes(own)[0] == codes(back)[0] == "originator_is_party"
    assert SOURCE not in back.decision.conditions


def test_expired_consent(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    add_consent(
        db, now=CONSENTS_AT, item="RVD-1", to="smi", valid_until=end_of_day(CHECK_AT.date())
    )
    assert check(db, "RVD-1", "smi").decision.outcome is Outcome.allowed
    later = check(db, "RVD-1", "smi", at=CHECK_AT + timedelta(days=1))
    assert codes(later)[0] == "consent_expired"
    assert later.decision.outcome is Outcome.denied


def test_consent_not_yet_valid(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    add_consent(db, now=CONSENTS_AT, item="RVD-1", to="smi", valid_from=T0 + timedelta(days=10))
    assert codes(check(db, "RVD-1", "smi"))[0] == "consent_not_yet_valid"
    assert check(db, "RVD-1", "smi", at=T0 + timedelta(days=11)).decision.outcome == "allowed"


def test_purpose_is_matched_case_insensitively(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    add_consent(db, now=CONSENTS_AT, item="RVD-1", to="smi", purpose="CT-onderzoek")
    assert codes(check(db, "RVD-1", "smi", purpose="Cyber"))[0] == "consent_purpose_mismatch"
    assert codes(check(db, "RVD-1", "smi"))[0] == "consent_purpose_mismatch"
    matched = check(db, "RVD-1", "smi", purpose=" ct-ONDERZOEK ")
    assert matched.decision.outcome is Outcome.allowed


def test_revoked_consent_counts_as_of_before_its_revocation(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    consent = add_consent(db, now=CONSENTS_AT, item="RVD-1", to="smi")
    revoked_at = T0 + timedelta(days=2)
    with session_scope(db, write=True) as session:
        revoke_consent(session, consent_id=consent, reason="Brief", actor="a", now=revoked_at)
    before = check(db, "RVD-1", "smi", at=revoked_at - timedelta(seconds=1))
    after = check(db, "RVD-1", "smi", at=revoked_at)
    assert before.decision.outcome is Outcome.allowed
    assert after.decision.outcome is Outcome.denied
    assert codes(after)[0] == "consent_revoked"


def test_standing_consent_covers_the_tag_of_its_originator_only(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT, tags=["CT"])
    add_item(db, "RVD-2", "rvd", now=ITEMS_AT, tags=["cyber"])
    add_item(db, "SMI-1", "smi", now=ITEMS_AT, tags=["ct"])
    add_consent(
        db,
        now=CONSENTS_AT,
        tag="ct",
        originator="rvd",
        to="ctg",
        valid_until=end_of_day((T0 + timedelta(days=30)).date()),
    )
    assert check(db, "RVD-1", "smi").decision.outcome is Outcome.allowed
    assert codes(check(db, "RVD-2", "smi"))[0] == "no_consent"
    assert codes(check(db, "SMI-1", "rvd"))[0] == "no_consent"


def test_a_consent_recorded_later_does_not_count_earlier(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT)
    add_consent(db, now=T0 + timedelta(days=2), item="RVD-1", to="smi", valid_from=T0)
    assert codes(check(db, "RVD-1", "smi"))[0] == "no_consent"
    assert check(db, "RVD-1", "smi", at=T0 + timedelta(days=3)).decision.outcome == "allowed"


# --------------------------------------------------------------------------- rules 2 and 3


def test_no_note_and_flag(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    result = check(db, "AIVD-1", "bsv")
    assert codes(result) == ["originator_is_party", "no_note", "permission_required_flagged"]
    assert result.decision.outcome is Outcome.denied


def test_note_overdue(location: Location) -> None:
    add_partner(location, "old", now=T0 - timedelta(days=800), note="standaard")
    add_item(location, "AIVD-1", "self", now=ITEMS_AT)
    result = check(location, "AIVD-1", "old")
    assert codes(result) == ["originator_is_party", "note_overdue"]


def test_note_withdrawn(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    with session_scope(db, write=True) as session:
        withdraw(
            session,
            partner=get_partner(session, "rvd"),
            reason="Onrust",
            actor="minister.bz",
            now=T0 + timedelta(hours=3),
        )
    assert codes(check(db, "AIVD-1", "rvd"))[1] == "note_withdrawn"
    before = check(db, "AIVD-1", "rvd", at=T0 + timedelta(hours=2))
    assert before.decision.outcome is Outcome.allowed


def test_note_established_later_does_not_count_earlier(db: Location) -> None:
    add_partner(db, "lat", now=T0)
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    establish_note(db, "lat", "standaard", now=T0 + timedelta(days=2))
    assert codes(check(db, "AIVD-1", "lat"))[1] == "no_note"
    later = check(db, "AIVD-1", "lat", at=T0 + timedelta(days=3))
    assert later.decision.outcome is Outcome.allowed


def test_form_not_permitted(db: Location) -> None:
    add_partner(db, "evo", now=T0, note="standaard", forms=["knowledge_exchange", "evaluated_data"])
    add_item(db, "AIVD-1", "self", now=ITEMS_AT, personal_data=True)
    result = check(db, "AIVD-1", "evo")
    assert codes(result) == ["originator_is_party", "note_in_force", "form_not_permitted"]
    assert result.decision.conditions == (BASE, RVD_NOTE, PERSONAL)


# --------------------------------------------------------------------------- rule 4


def test_personal_data_to_a_risicodienst_needs_a_permission(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT, personal_data=True)
    needed = check(db, "AIVD-1", "smi")
    assert needed.decision.outcome is Outcome.needs_permission
    assert codes(needed)[-1] == "permission_required_risk"
    assert needed.exit_code == 3
    permit(db, "AIVD-1", "smi", Role.dg, now=T0 + timedelta(hours=5))
    granted = check(db, "AIVD-1", "smi")
    assert granted.decision.outcome is Outcome.allowed
    assert codes(granted)[-1] == "permission_present"
    assert granted.decision.reasons[-1].ref == "permission #1"


def test_unevaluated_data_needs_the_ministers_permission(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT, unevaluated=True)
    assert codes(check(db, "AIVD-1", "rvd"))[-1] == "permission_required_unevaluated"
    permit(db, "AIVD-1", "rvd", Role.minister, now=T0 + timedelta(hours=5))
    assert check(db, "AIVD-1", "rvd").decision.outcome is Outcome.allowed
    # The permission was recorded later, so as of before it the answer stands.
    before = check(db, "AIVD-1", "rvd", at=T0 + timedelta(hours=4))
    assert before.decision.outcome is Outcome.needs_permission


def test_a_flag_needs_a_permission_until_a_new_note_is_established(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    flag(db, "rvd", now=T0 + timedelta(hours=3))
    assert codes(check(db, "AIVD-1", "rvd"))[-1] == "permission_required_flagged"
    establish_note(db, "rvd", "standaard", now=T0 + timedelta(days=2))
    assert check(db, "AIVD-1", "rvd", at=T0 + timedelta(days=3)).decision.outcome == "allowed"
    assert check(db, "AIVD-1", "rvd").decision.outcome is Outcome.needs_permission


# --------------------------------------------------------------------------- rule 5


def test_group_is_the_worst_member_and_names_it(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT, personal_data=True)
    result = check(db, "AIVD-1", "ctg")
    decision = result.decision
    assert decision.outcome is Outcome.needs_permission
    assert decision.member_outcomes == (
        ("rvd", Outcome.allowed),
        ("smi", Outcome.needs_permission),
    )
    failing = [r for r in decision.reasons if r.code.value == "group_member"]
    assert [r.member for r in failing] == ["smi"]
    assert result.is_group
    members = decision_json(result)["members"]
    assert [(m["member"], m["decision"]) for m in members] == [
        ("rvd", "allowed"),
        ("smi", "needs_permission"),
    ]
    assert all(isinstance(m["conditions"], list) for m in members)


def test_group_members_as_of_are_those_added_by_then(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    add_partner(db, "lid", now=T0 + timedelta(days=2), groups=("CTG",))
    earlier = check(db, "AIVD-1", "ctg")
    later = check(db, "AIVD-1", "ctg", at=T0 + timedelta(days=3))
    assert [m for m, _ in earlier.decision.member_outcomes] == ["rvd", "smi"]
    assert [m for m, _ in later.decision.member_outcomes] == ["lid", "rvd", "smi"]
    assert later.decision.outcome is Outcome.denied  # lid has no note


def test_group_without_members_then_is_denied(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    add_partner(db, "nw1", now=T0 + timedelta(days=2), groups=("Five",))
    result = check(db, "AIVD-1", "five")
    assert codes(result) == ["group_empty"]
    assert result.decision.outcome is Outcome.denied


def test_partner_holder_passing_our_item_to_a_group_it_belongs_to(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    add_consent(db, now=CONSENTS_AT, item="AIVD-1", holder="rvd", to="ctg")
    result = check(db, "AIVD-1", "ctg", holder="rvd")
    assert result.decision.outcome is Outcome.allowed
    # Our consent to rvd is a provision by proxy: smi's note must also be in force (rules 2-4).
    assert codes(result) == [
        "member_is_holder",
        "consent_present",
        "note_in_force",
        "form_permitted",
    ]
    assert result.holder == "rvd"
    assert codes(check(db, "AIVD-1", "smi", holder="bsv"))[0] == "no_consent"


# --------------------------------------------------------------------------- names and moments


def test_item_not_on_record_at_the_moment_is_an_error(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    with pytest.raises(InvalidInput) as caught:
        check(db, "AIVD-1", "rvd", at=T0)
    assert caught.value.message == (
        "Item self/AIVD-1 was registered only on 2026-01-05T10:00:00Z, after "
        "2026-01-05T09:00:00Z; it was not on record then."
    )


def test_ambiguous_reference_needs_the_originator(db: Location) -> None:
    add_item(db, "X-1", "rvd", now=ITEMS_AT)
    add_item(db, "X-1", "smi", now=ITEMS_AT)
    with pytest.raises(InvalidInput) as caught:
        check(db, "X-1", "rvd")
    assert caught.value.message == "Item 'X-1' is ambiguous: rvd/X-1, smi/X-1. Give ORIGINATOR/REF."
    assert check(db, "SMI/X-1", "smi").item.handle == "smi/X-1"


@pytest.mark.parametrize(
    ("item", "to", "holder", "message"),
    [
        ("NOPE", "rvd", None, "No item 'NOPE'. See `wegings items`."),
        (
            "AIVD-1",
            "rdv",
            None,
            "No partner or group 'rdv'. Did you mean: rvd? See `wegings partners`.",
        ),
        ("AIVD-1", "self", None, "'self' is our own service; give a partner or a group with --to."),
        ("AIVD-1", "rvd", "ctg", "The holder must be a partner or self, not the group 'ctg'."),
        ("AIVD-1", "rvd", "smj", "No partner 'smj'. Did you mean: smi? See `wegings partners`."),
        ("AIVD-1", "rvd", "rvd", "The holder rvd cannot pass the item to itself."),
    ],
)
def test_bad_names_are_errors(
    db: Location, item: str, to: str, holder: str | None, message: str
) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT)
    with pytest.raises(InvalidInput) as caught:
        check(db, item, to, at=CHECK_AT, **({"holder": holder} if holder else {}))
    assert caught.value.message == message
    assert isinstance(caught.value, NotFound) == message.startswith("No ")


# --------------------------------------------------------------------------- batch


def batch(location: Location, text: str) -> tuple[list[dict[str, object]], BatchSummary]:
    summary = BatchSummary()
    rows = []
    with session_scope(location, write=False) as session:
        reader = SharingReader(session)
        for result in run_batch(reader, read_rows(text.splitlines(keepends=True)), now=CHECK_AT):
            summary.add(result)
            rows.append(result_json(result))
    return rows, summary


def test_batch_csv_reports_bad_rows_as_errors_and_exits_with_the_worst(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT, personal_data=True)
    text = (
        "\ufeffItem, To ,purpose,as_of\n"
        "AIVD-1,rvd,,\n"
        "\n"
        "AIVD-1,smi,,\n"
        "AIVD-1,bsv,,\n"
        "NOPE,rvd,,\n"
        "AIVD-1,rvd,,yesterday\n"
        "AIVD-1,rvd\n"
        ",rvd,,\n"
        "AIVD-1,rvd,,2026-01-05T09:30\n"
    )
    rows, summary = batch(db, text)
    assert [(r["row"], r["decision"]) for r in rows] == [
        (1, "allowed"),
        (2, "needs_permission"),
        (3, "denied"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
        (7, "error"),
        (8, "error"),
    ]
    assert [r["error"] for r in rows[3:]] == [
        "No item 'NOPE'. See `wegings items`.",
        "as_of 'yesterday' is not an ISO date or date-time; use e.g. 2026-11-29 or "
        "2026-11-29T14:30+01:00.",
        "Row 6: the row has 2 fields, the header 4.",
        "Row 7: field 'item' is empty.",
        "Item self/AIVD-1 was registered only on 2026-01-05T10:00:00Z, after "
        "2026-01-05T09:30:00Z; it was not on record then.",
    ]
    assert summary.exit_code == 2
    assert summary.describe() == (
        "Checked 8 rows: 1 allowed, 1 need permission, 1 denied, 5 errors."
    )


def test_batch_json_lines(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT, personal_data=True)
    text = (
        '{"item": "AIVD-1", "to": "rvd", "purpose": null}\n'
        '{"item": "AIVD-1", "to": "smi", "as_of": "2026-01-06"}\n'
        '{"item": "AIVD-1", "to": 7}\n'
        '["AIVD-1", "rvd"]\n'
        '{"item": "AIVD-1", "to": "rvd", "tooo": "x"}\n'
        "{not json\n"
    )
    rows, summary = batch(db, text)
    assert [r["decision"] for r in rows] == [
        "allowed",
        "needs_permission",
        "error",
        "error",
        "error",
        "error",
    ]
    assert rows[1]["as_of"] == "2026-01-05T23:00:00Z"  # the day starts in The Hague
    assert [r["error"] for r in rows[2:]] == [
        "Row 3: field 'to' must be text, not int.",
        "Row 4: the line is not a JSON object.",
        "Row 5: unknown field 'tooo'; the fields are item, to, holder, purpose, as_of, basis, "
        "hindsight.",
        "Row 6: not valid JSON (Expecting property name enclosed in double quotes).",
    ]
    assert summary.exit_code == 2


def test_batch_exit_code_is_the_worst_outcome(db: Location) -> None:
    add_item(db, "AIVD-1", "self", now=ITEMS_AT, personal_data=True)
    assert batch(db, "item,to\nAIVD-1,rvd\n")[1].exit_code == 0
    assert batch(db, "item,to\nAIVD-1,rvd\nAIVD-1,smi\n")[1].exit_code == 3
    assert batch(db, "item,to\nAIVD-1,smi\nAIVD-1,bsv\nAIVD-1,rvd\n")[1].exit_code == 1


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "item,too\n",
            "The batch header names an unknown field 'too'; the fields are item, to, holder, "
            "purpose, as_of, basis, hindsight.",
        ),
        ("item,purpose\n", "The batch header lacks the field 'to'; it needs item and to."),
        ("item,to,to\n", "The batch header names a field twice."),
    ],
)
def test_bad_batch_header_is_refused(db: Location, header: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        batch(db, header + "AIVD-1,rvd\n")
    assert caught.value.message == message


def test_batch_results_equal_single_checks(db: Location) -> None:
    add_item(db, "RVD-1", "rvd", now=ITEMS_AT, tags=["ct"], personal_data=True)
    add_consent(db, now=CONSENTS_AT, item="RVD-1", to="smi", purpose="CT")
    rows, _ = batch(db, "item,to,purpose\nRVD-1,smi,CT\nRVD-1,ctg,\nRVD-1,bsv,CT\n")
    for row, (to, purpose) in zip(rows, [("smi", "CT"), ("ctg", None), ("bsv", "CT")], strict=True):
        single = decision_json(
            check(db, "RVD-1", to, at=CHECK_AT, **({"purpose": purpose} if purpose else {}))
        )
        assert {k: v for k, v in row.items() if k not in ("row", "error")} == single


def test_reader_clears_flags_as_the_notes_do(db: Location) -> None:
    """The loader's flags agree with notes.open_flags, including drafts older than a flag."""
    from tests.sharing_world import note_answers
    from wegings.notes.notes import establish, open_flags, raise_flag, save_draft
    from wegings.sharing.facts import active_flags

    def hours(n: float) -> datetime:
        return T0 + timedelta(hours=n)

    def step(action: str, when: datetime, reason: str = "") -> None:
        with session_scope(db, write=True) as session:
            partner = get_partner(session, "rvd")
            if action == "flag":
                raise_flag(
                    session,
                    partner=partner,
                    reason=reason,
                    observed_on=when.date(),
                    actor="a",
                    now=when,
                )
            elif action == "draft":
                save_draft(
                    session,
                    partner=partner,
                    answers=note_answers("standaard"),
                    actor="author",
                    now=when,
                )
            else:
                establish(session, partner=partner, role=Role.dg, actor="dg", now=when)

    step("flag", hours(1), "first")
    step("draft", hours(2))
    step("flag", hours(3), "second")
    step("establish", hours(4))  # written after the first flag only
    step("draft", hours(5))
    step("establish", hours(6))
    for moment in [hours(n / 2) for n in range(0, 16)]:
        with session_scope(db, write=False) as session:
            expected = [f.reason for f in open_flags(session, get_partner(session, "rvd"), moment)]
            facts = SharingReader(session).recipient("rvd", moment)
        assert not isinstance(facts, GroupFacts)
        assert [f.reason for f in active_flags(facts, moment)] == expected, moment


def test_batch_streams_rows_one_at_a_time(db: Location) -> None:
    """An endless input still yields answers: nothing reads ahead or collects the rows."""
    import itertools

    add_item(db, "AIVD-1", "self", now=ITEMS_AT)

    def endless() -> Iterator[str]:
        yield "item,to\n"
        while True:
            yield "AIVD-1,rvd\n"

    with session_scope(db, write=False) as session:
        results = run_batch(SharingReader(session), read_rows(endless()), now=CHECK_AT)
        first = list(itertools.islice(results, 3))
    assert [(r.row.number, r.outcome) for r in first] == [
        (1, "allowed"),
        (2, "allowed"),
        (3, "allowed"),
    ]
