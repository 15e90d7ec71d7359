"""Pure rules over corrections and changes: groups over time, item corrections, retractions.

DOMAIN.md, "Corrections and changes" and "Time, basis and replay": a replay keeps what was on
record then; hindsight judges the same moment with what is on record now.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_sharing_rules import (
    PROPERTY_SETTINGS,
    T,
    at,
    make_consent,
    make_item,
    make_partner,
    scenarios,
)
from wegings.errors import InvalidInput
from wegings.notes.lifecycle import flag_holds, flag_retracted
from wegings.sharing.facts import (
    FlagFacts,
    ItemCorrectionFacts,
    MembershipFacts,
    active_flags,
    item_as_known,
    memberships_at,
)
from wegings.sharing.outcome import Outcome, ReasonCode
from wegings.sharing.rules import decide


def joins(group: str, since: datetime, recorded: datetime | None = None) -> MembershipFacts:
    return MembershipFacts(group, True, since, since if recorded is None else recorded)


def leaves(group: str, since: datetime, recorded: datetime | None = None) -> MembershipFacts:
    return MembershipFacts(group, False, since, since if recorded is None else recorded)


# --------------------------------------------------------------------------- groups over time


def test_membership_at_a_moment_follows_joins_and_leaves_as_on_record() -> None:
    changes = (joins("ctg", at(-400)), leaves("ctg", at(-10), recorded=at(5)))
    assert memberships_at(changes, T) == (("ctg", at(-400)),)  # the leave not yet on record
    assert memberships_at(changes, T, known_at=at(5)) == ()  # in hindsight it had left
    assert memberships_at(changes, at(-20), known_at=at(5)) == (("ctg", at(-400)),)
    again = (*changes, joins("ctg", at(-2), recorded=at(6)))
    assert memberships_at(again, T, known_at=at(6)) == (("ctg", at(-2)),)


def test_a_join_recorded_late_with_an_earlier_date_counts_once_on_record() -> None:
    changes = (joins("ctg", at(-100), recorded=at(3)),)
    assert memberships_at(changes, T) == ()
    assert memberships_at(changes, T, known_at=at(3)) == (("ctg", at(-100)),)


def test_a_leave_on_the_day_of_a_join_recorded_together_ends_it() -> None:
    changes = (joins("ctg", at(-1)), leaves("ctg", at(-1)))
    assert memberships_at(changes, T) == ()


def partner_at(changes: tuple[MembershipFacts, ...], when: datetime, known: datetime) -> Any:
    joined = memberships_at(changes, when, known_at=known)
    return make_partner("mi5", groups=frozenset(g for g, _ in joined), joined=joined)


def test_a_group_consent_covers_a_member_only_while_it_stays_one() -> None:
    consent = make_consent(recipient="ctg")  # recorded at(-30)
    stayed = partner_at((joins("ctg", at(-400)),), T, T)
    assert decide(make_item(), stayed, T, consents=(consent,), our_service_name="AIVD").outcome is (
        Outcome.allowed
    )
    rejoined = (joins("ctg", at(-400)), leaves("ctg", at(-20)), joins("ctg", at(-10)))
    decision = decide(
        make_item(), partner_at(rejoined, T, T), T, consents=(consent,), our_service_name="AIVD"
    )
    assert decision.reasons[0].code is ReasonCode.no_consent


@PROPERTY_SETTINGS
@given(
    joined=st.integers(-3000, 0),
    stayed=st.integers(0, 3000),
    recorded_after=st.integers(0, 500),
    consent_at=st.integers(-3000, 100),
    later=st.integers(0, 500),
    known_later=st.integers(0, 500),
)
def test_property_a_member_that_left_is_never_covered_after_it_left(
    joined: int, stayed: int, recorded_after: int, consent_at: int, later: int, known_later: int
) -> None:
    hour = timedelta(hours=1)
    left_at = T + (joined + stayed) * hour
    leave_recorded = left_at + recorded_after * hour
    changes = (joins("ctg", T + joined * hour), leaves("ctg", left_at, recorded=leave_recorded))
    when = left_at + later * hour
    known = max(when, leave_recorded) + known_later * hour
    consent = make_consent(
        recipient="ctg", recorded_at=T + consent_at * hour, valid_from=T - 4000 * hour
    )
    decision = decide(
        make_item(),
        partner_at(changes, when, known),
        when,
        consents=(consent,),
        our_service_name="AIVD",
        known_at=known,
    )
    assert decision.reasons[0].code is not ReasonCode.consent_present


# --------------------------------------------------------------------------- item corrections


def test_corrections_apply_in_the_order_they_were_recorded() -> None:
    item = make_item()
    corrections = (
        ItemCorrectionFacts(2, at(2), personal_data=False, remove_tags=frozenset({"ct"})),
        ItemCorrectionFacts(1, at(1), personal_data=True, add_tags=frozenset({"cyber"})),
    )
    assert item_as_known(item, corrections, T) is item
    first = item_as_known(item, corrections, at(1))
    assert (first.personal_data, first.tags) == (True, frozenset({"ct", "cyber"}))
    both = item_as_known(item, corrections, at(2))
    assert (both.personal_data, both.tags) == (False, frozenset({"cyber"}))
    classified = item_as_known(
        item, (ItemCorrectionFacts(3, at(1), classification="Geheim", subject="X"),), at(1)
    )
    assert (classified.classification, classified.subject) == ("Geheim", "X")


def test_a_corrupt_correction_is_refused() -> None:
    with pytest.raises(InvalidInput):
        ItemCorrectionFacts(1, at(1), personal_data=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        ItemCorrectionFacts(1, at(1), add_tags="ct")  # type: ignore[arg-type]


corrections = st.lists(
    st.builds(
        ItemCorrectionFacts,
        id=st.integers(1, 50),
        recorded_at=st.integers(-500, 500).map(lambda h: T + timedelta(hours=h)),
        personal_data=st.none() | st.booleans(),
        unevaluated=st.none() | st.booleans(),
        add_tags=st.frozensets(st.sampled_from(("ct", "cyber"))),
        remove_tags=st.frozensets(st.sampled_from(("ct", "cyber"))),
    ),
    max_size=4,
)


@PROPERTY_SETTINGS
@given(scenario=scenarios(), early=corrections, late=corrections, back=st.integers(0, 400))
def test_property_a_correction_never_changes_a_replayed_answer(
    scenario: dict[str, Any], early: list[ItemCorrectionFacts], late: list[ItemCorrectionFacts],
    back: int,
) -> None:  # fmt: skip
    known = T - timedelta(hours=back)
    on_record = [c for c in early if c.recorded_at <= known]
    recorded_later = [replace(c, recorded_at=known + timedelta(hours=1 + i)) for i, c in
                      enumerate(late)]  # fmt: skip
    item = scenario["item"]
    replay = decide(**scenario | {"item": item_as_known(item, on_record, known), "known_at": known})
    with_later = item_as_known(item, [*on_record, *recorded_later], known)
    assert decide(**scenario | {"item": with_later, "known_at": known}) == replay


@PROPERTY_SETTINGS
@given(scenario=scenarios(), later=st.integers(1, 5000))
def test_property_hindsight_with_nothing_recorded_later_equals_the_replay(
    scenario: dict[str, Any], later: int
) -> None:
    on_record = tuple(c for c in scenario["consents"] if c.recorded_at <= T)
    plain = scenario | {"consents": on_record}
    hindsight = plain | {"known_at": T + timedelta(hours=later)}
    assert decide(**hindsight) == decide(**plain)


# --------------------------------------------------------------------------- flag retractions


def test_a_retracted_flag_no_longer_counts_from_its_retraction_on_record() -> None:
    flag = FlagFacts(raised_at=at(-10), reason="Coup", retracted_at=at(5))
    partner = make_partner(flags=(flag,))
    assert active_flags(partner, T) == (flag,)
    assert active_flags(partner, at(6)) == ()
    assert active_flags(partner, at(6), known_at=at(4)) == (flag,)  # replayed before it
    # Once known, a retraction undoes the mistake for every moment (hindsight).
    assert active_flags(partner, T, known_at=at(6)) == ()
    assert flag_retracted(at(5), at(6))
    assert not flag_retracted(None, at(6))
    assert not flag_holds(raised_at=at(-10), cleared_at=None, at=at(6), retracted_at=at(5))


def test_a_flag_retracted_before_it_was_raised_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        FlagFacts(raised_at=at(-10), reason="Coup", retracted_at=at(-11))
    assert raised.value.message == "Flag 'Coup' is retracted before it was raised."
