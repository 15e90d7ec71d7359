"""How items are addressed: always shown as ORIGINATOR/REF; typed as REF while unambiguous."""

from __future__ import annotations

import unicodedata

from wegings.errors import InvalidInput, NotFound
from wegings.text import quote


def full_handle(originator: str, ref: str) -> str:
    """The handle that is never ambiguous: ORIGINATOR/REF."""
    return f"{originator}/{ref}"


def split_handle(text: str) -> tuple[str | None, str]:
    """(originator or None, reference) of an item handle as typed."""
    # References are stored NFKC-folded, so look-alike spellings find the same item.
    raw = unicodedata.normalize("NFKC", text.strip())
    if "/" in raw:
        originator, ref = raw.split("/", 1)
        return originator.strip().lower(), ref.strip()
    return None, raw


def ambiguous_item(ref: str, originators: list[str]) -> InvalidInput:
    """The error for a reference that several originators used."""
    options = ", ".join(full_handle(o, ref) for o in sorted(originators))
    return InvalidInput(f"Item {quote(ref)} is ambiguous: {options}. Give ORIGINATOR/REF.")


def unknown_item(text: str) -> NotFound:
    """The error for an item that is not registered."""
    return NotFound(f"No item {quote(text.strip())}. See `wegings items`.")
