"""Checks and display helpers for text that comes from people."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence

from wegings.errors import InvalidInput, NotFound

MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 20_000

MAX_RECORD_ID = 2**63 - 1
"""The largest id a record can have (a signed 64-bit integer); a larger one names no record."""


# Unicode line and paragraph separators are not control characters (their categories are Zl
# and Zp) but renderers break lines on them, so they count as line breaks here.
_SEPARATOR_CATEGORIES = frozenset({"Zl", "Zp"})


def check_free_text(text: str, *, multiline: bool, max_length: int) -> str | None:
    """None when `text` may be stored, else the reason (control characters, line breaks, length).

    Printable content that looks hostile (markup, template syntax, backslashes, right-to-left
    text and bidi marks) is allowed: every renderer shows stored text literally.
    """
    if len(text) > max_length:
        return f"is too long ({len(text)} characters; at most {max_length})"
    for position, char in enumerate(text, start=1):
        category = unicodedata.category(char)
        if char == "\n" or category in _SEPARATOR_CATEGORIES:
            if not multiline:
                return f"must be on one line; remove the line break at character {position}"
            if char != "\n":
                return (
                    f"contains a Unicode separator (U+{ord(char):04X}) at character "
                    f"{position}; use an ordinary line break"
                )
        elif category == "Cc" and char != "\t":
            return (
                f"contains a control character (U+{ord(char):04X}) at character {position}; "
                "remove it"
            )
    return None


def clean_text(
    value: str,
    *,
    field: str,
    required: bool = True,
    multiline: bool = False,
    max_length: int = MAX_NAME_LENGTH,
) -> str:
    """`value` stripped of surrounding space, or InvalidInput naming `field` and the fix."""
    text = value.strip()
    if multiline:
        # Text pasted from Windows or a mail client: the line break is meant, not the CR.
        text = text.replace("\r\n", "\n")
    if required and not text:
        raise InvalidInput(f"{field} must not be empty.")
    reason = check_free_text(text, multiline=multiline, max_length=max_length)
    if reason is not None:
        raise InvalidInput(f"{field} {reason}.")
    return text


def reject_invisible(text: str, *, field: str) -> str:
    """`text`, or InvalidInput when it holds an invisible formatting character.

    Names identify people and services; a zero-width space or a direction override would make
    two different names look the same (and defeat the four-eyes check).
    """
    for char in text:
        if unicodedata.category(char) == "Cf":
            raise InvalidInput(
                f"{field} contains the invisible character U+{ord(char):04X}; remove it."
            )
    return text


def quote(value: object) -> str:
    """`value` quoted for a one-line message, with control characters made visible."""
    text = str(value)
    if len(text) > 80:
        text = text[:77] + "..."
    shown = "".join(
        char if unicodedata.category(char) != "Cc" else f"\\x{ord(char):02x}" for char in text
    )
    return f"'{shown}'"


def printable(value: str) -> str:
    """`value` with control characters other than newline and tab made visible, for terminals."""
    return "".join(
        char if char in "\n\t" or unicodedata.category(char) != "Cc" else f"\\x{ord(char):02x}"
        for char in value
    )


def closest(word: str, choices: Sequence[str], *, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The known names closest to `word`, best first: the one home of "did you mean"."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)


def suggestion(wanted: str, known: list[str], *, what: str, listing: str) -> str:
    """'No X 'y'. Did you mean …?' with the closest known names, or a few known ones."""
    by_key = {name.lower(): name for name in known}
    close = [by_key[key] for key in closest(wanted.lower(), list(by_key), n=3, cutoff=0.5)]
    if close:
        hint = f"Did you mean: {', '.join(close)}?"
    elif known:
        shown = ", ".join(sorted(known)[:10])
        hint = f"Known: {shown}{', …' if len(known) > 10 else ''}."
    else:
        hint = "None are registered yet."
    return f"No {what} {quote(wanted)}. {hint} See `{listing}`."


def parse_record_id(text: str, *, what: str, listing: str) -> int:
    """A record id as typed (12 or #12): InvalidInput when it is no number, NotFound when no
    record can have it. `what` names the record ("consent"), `listing` the command that
    shows the ids."""
    raw = text.strip().removeprefix("#")
    if not raw.isdigit() or not raw.isascii():
        raise InvalidInput(
            f"{what.capitalize()} id {quote(text)} is not a number; see `{listing}`."
        )
    number = int(raw)
    if number > MAX_RECORD_ID:
        raise NotFound(f"No {what} #{number}. See `{listing}`.")
    return number
