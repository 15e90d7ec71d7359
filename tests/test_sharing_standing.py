"""The recipient-level part of a decision (`rules.standing`), computed once and reused.

A batch computes what rules 2-4 find about one recipient at one moment once and passes it to
`decide` for every row to that recipient then; the answer must be the one `decide` gives
without it, for any item, holder, purpose, consents and permissions.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_sharing_rules import (
    PROPERTY_SETTINGS,
    T,
    make_item,
    make_partner,
    scenarios,
)
from wegings.errors import InvalidInput
from wegings.sharing.facts import GroupFacts
from wegings.sharing.outcome import Decision
from wegings.sharing.rules import decide, standing

KNOWN_AT = st.sampled_from((None, T, T - timedelta(hours=300), T + timedelta(hours=300)))


def answer(**kwargs: Any) -> Decision | str:
    """The decision, or the message of the InvalidInput that refused the check."""
    try:
        return decide(**kwargs)
    except InvalidInput as exc:
        return f"InvalidInput: {exc.message}"


@PROPERTY_SETTINGS
@given(scenario=scenarios(), known_at=KNOWN_AT)
def test_property_a_given_standing_gives_the_same_decision(
    scenario: dict[str, Any], known_at: Any
) -> None:
    fresh = answer(**scenario, known_at=known_at)
    once = standing(scenario["recipient"], scenario["at"], known_at)
    assert answer(**scenario, known_at=known_at, standing_of=once) == fresh


@PROPERTY_SETTINGS
@given(first=scenarios(), others=st.lists(scenarios(), min_size=1, max_size=4), known_at=KNOWN_AT)
def test_property_one_standing_serves_every_row_to_its_recipient(
    first: dict[str, Any], others: list[dict[str, Any]], known_at: Any
) -> None:
    # One recipient at one moment, as a batch has it; the items, holders, purposes, consents
    # and permissions of other checks.
    recipient = first["recipient"]
    once = standing(recipient, T, known_at)
    for scenario in [first, *others]:
        row = {**scenario, "recipient": recipient, "known_at": known_at}
        assert answer(**row, standing_of=once) == answer(**row)


def test_a_standing_for_another_recipient_or_moment_is_refused() -> None:
    mi5, cia = make_partner("mi5"), make_partner("cia")
    item = make_item()
    kwargs: dict[str, Any] = {"our_service_name": "AIVD"}
    message = "The recipient's standing given to decide is for another recipient or moment."
    for given_standing, recipient, known_at in (
        (standing(cia, T), mi5, None),
        (standing(replace(mi5), T), mi5, None),  # equal facts, but not these facts
        (standing(mi5, T - timedelta(hours=1)), mi5, None),
        (standing(mi5, T, T - timedelta(hours=1)), mi5, None),
        (standing(mi5, T), mi5, T - timedelta(hours=1)),
    ):
        with pytest.raises(InvalidInput) as refused:
            decide(item, recipient, T, known_at=known_at, standing_of=given_standing, **kwargs)
        assert refused.value.message == message
    assert decide(item, mi5, T, standing_of=standing(mi5, T, T), **kwargs) == decide(
        item, mi5, T, **kwargs
    )


def test_a_standing_checks_its_moments() -> None:
    with pytest.raises(InvalidInput, match="The moment of the check must be"):
        standing(make_partner(), T.replace(tzinfo=None))
    with pytest.raises(InvalidInput, match=r"The on-record cutoff \(known_at\) must be"):
        standing(make_partner(), T, T.replace(tzinfo=None))


def test_rows_to_one_recipient_share_its_note_reasons() -> None:
    # The same reason objects for every item: found once, not once a row.
    group = GroupFacts("ctg", "CTG", (make_partner("mi5"), make_partner("cia", notes=())))
    once = standing(group, T)
    first = decide(make_item(), group, T, our_service_name="AIVD", standing_of=once)
    second = decide(
        make_item(id=2, handle="bfv/REF-2"), group, T, our_service_name="AIVD", standing_of=once
    )
    shared = [r for r in first.reasons if r.rule in (2, 3)]
    assert shared
    assert all(any(r is s for s in second.reasons) for r in shared)
