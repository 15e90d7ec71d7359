"""The Unicode confusable skeleton (UTS #39, section 4) of a name, for comparing people.

Two names with one skeleton look alike on screen ("alice" and "al\u0456ce" with a Cyrillic i), so
the four-eyes rule treats them as one person. The prototype mapping is the Unicode
confusables.txt data that `confusable-homoglyphs` ships; that package stores each line in both
directions, so the direction (look-alike → prototype) is recovered here, as described below.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Each confusable character's prototype, from the library's confusables.txt data.

    The data lists, for every character, what it may be confused with, in both directions of
    each line of confusables.txt. A character mapped to a prototype (a source) has exactly one
    line, so one entry; a prototype never is a source. So a one-entry character is a source when
    its partner is a string of several characters, has several entries, occurs inside such a
    string, or (a pair of two characters) comes after it in the data: the generator writes each
    line's source before its prototype.
    """
    from confusable_homoglyphs.confusables import confusables_data  # type: ignore[import-untyped]

    data: dict[str, list[dict[str, str]]] = confusables_data
    order = {key: index for index, key in enumerate(data)}
    inside = {char for key in data if len(key) > 1 for char in key}
    mapping: dict[str, str] = {}
    for key, entries in data.items():
        if len(key) != 1 or len(entries) != 1 or key in inside:
            continue
        target = entries[0]["c"]
        if target == key:
            continue
        partners = data.get(target, [])
        if len(target) > 1 or len(partners) > 1 or target in inside or order[key] < order[target]:
            mapping[key] = target
    return mapping


def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(prototypes.get(c, c) for c in decomposed))
