"""`quick_init`: the same frozen dataclass as `dataclasses` makes, built by a quicker __init__."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from typing import Any

import pytest

from wegings.sharing.batch import BatchResult, BatchRow
from wegings.sharing.facts import Check, ConsentFacts, ItemFacts, PermissionFacts
from wegings.sharing.frozen import quick_init
from wegings.sharing.outcome import Decision, Reason
from wegings.sharing.result import CheckResult

_CALLS: list[str] = []


def _record(cls: type) -> type:
    """A frozen, slotted dataclass with every kind of field quick_init must pass on."""

    def __post_init__(self: object) -> None:
        _CALLS.append(type(self).__name__)

    namespace = {
        "__annotations__": {
            "number": "int",
            "text": "str",
            "items": "list[int]",
            "hidden": "str",
            "flag": "bool",
        },
        "text": "",
        "items": field(default_factory=list),
        "hidden": field(default="kept", init=False),
        "flag": field(default=False, kw_only=True),
        "__post_init__": __post_init__,
    }
    return dataclass(frozen=True, slots=True)(type(cls.__name__, (), namespace))


class Plain:
    """The dataclass as `dataclasses` writes it."""


class Quick:
    """The same dataclass, with quick_init."""


PLAIN: Any = _record(Plain)
QUICK: Any = quick_init(_record(Quick))


def test_the_signature_is_the_dataclass_one() -> None:
    assert str(inspect.signature(QUICK)) == str(inspect.signature(PLAIN))
    assert QUICK.__init__.__qualname__ == "Quick.__init__"


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((1,), {}), ((1, "a"), {}), ((1, "a", [2]), {"flag": True}), ((), {"number": 3})],
)
def test_the_same_values_defaults_and_post_init(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    _CALLS.clear()
    plain, quick = PLAIN(*args, **kwargs), QUICK(*args, **kwargs)
    assert _CALLS == ["Plain", "Quick"]
    for name in ("number", "text", "items", "hidden", "flag"):
        assert getattr(quick, name) == getattr(plain, name)


def test_a_default_factory_makes_a_new_value_each_time() -> None:
    first, second = QUICK(1), QUICK(2)
    assert first.items == []
    assert first.items is not second.items


def test_it_stays_frozen_and_replaceable() -> None:
    quick = QUICK(1, "a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.number = 2
    changed = dataclasses.replace(quick, text="b")
    assert (changed.number, changed.text, quick.text) == (1, "b", "a")
    assert QUICK(1, "a") == QUICK(1, "a")


def test_it_refuses_what_it_cannot_stand_in_for() -> None:
    @dataclass(slots=True)
    class Open:
        number: int

    @dataclass(frozen=True)
    class WithoutSlots:
        number: int

    for cls in (Open, WithoutSlots):
        with pytest.raises(TypeError, match="is not a frozen, slotted dataclass"):
            quick_init(cls)


@pytest.mark.parametrize(
    "cls",
    [BatchRow, BatchResult, Check, CheckResult, ConsentFacts, Decision, ItemFacts, Reason],
)
def test_the_records_of_a_check_keep_their_fields_as_parameters(cls: type) -> None:
    fields = [f.name for f in dataclasses.fields(cls) if f.init]
    assert list(inspect.signature(cls).parameters) == fields


def test_a_record_still_validates_itself() -> None:
    with pytest.raises(Exception, match="originator"):
        ItemFacts(1, "bfv/R1", "BFV", None, False, False)
    permission = PermissionFacts.__init__
    assert permission.__qualname__ == "PermissionFacts.__init__"
