"""A quicker `__init__` for the frozen, slotted dataclasses a can-share check builds per row.

The `__init__` that `dataclasses` writes for a frozen class sets each field with
`object.__setattr__(self, name, value)`: the generic attribute path, a name looked up through
the class for every field. A batch builds several such records for every row (the row, the item,
the check, a reason, the decision, the result), so that lookup alone was about a tenth of its
time. `quick_init` gives the class an `__init__` with the same signature that sets each slot
through its own descriptor instead: the same object, half the cost. The class stays what it was:
a frozen dataclass (assignment raises `FrozenInstanceError`, `dataclasses.replace` works), with
its `__post_init__` called as before.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, TypeVar

_T = TypeVar("_T")


def quick_init(cls: type[_T]) -> type[_T]:
    """Replace the `__init__` of a frozen, slotted dataclass with one that sets its slots
    directly (same parameters, defaults, default factories and `__post_init__`)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen, slotted dataclass")
    if any(isinstance(value, dataclasses.InitVar) for value in cls.__annotations__.values()):
        raise TypeError(f"{cls.__name__} has an InitVar, which quick_init does not pass on")
    names: dict[str, Any] = {"_MISSING": dataclasses.MISSING}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = field.name
        if not name.isidentifier() or name.startswith("_"):
            raise TypeError(f"{cls.__name__}.{name}: quick_init takes public field names only")
        setter = f"_set_{name}"
        names[setter] = cls.__dict__[name].__set__  # the slot's member descriptor
        has_factory = field.default_factory is not dataclasses.MISSING
        if field.init:
            if field.default is not dataclasses.MISSING:
                names[f"_default_{name}"] = field.default
                param = f"{name}=_default_{name}"
            elif has_factory:
                param = f"{name}=_MISSING"
            else:
                param = name
            (keyword if field.kw_only else positional).append(param)
        if has_factory:
            names[f"_factory_{name}"] = field.default_factory
            value = (
                f"_factory_{name}() if {name} is _MISSING else {name}"
                if field.init
                else f"_factory_{name}()"
            )
        elif field.init:
            value = name
        else:
            if field.default is dataclasses.MISSING:
                continue  # left unset, as dataclasses leaves it
            names[f"_default_{name}"] = field.default
            value = f"_default_{name}"
        body.append(f"    {setter}(self, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({signature}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(source, names)  # noqa: S102 (the text is made of the class's own field names)
    init = names["__init__"]
    original = cls.__init__
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = original.__doc__
    init.__annotations__ = original.__annotations__
    init.__signature__ = inspect.signature(original)  # as help() and inspect show it
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
