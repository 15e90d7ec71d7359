"""Checks and display helpers for text that comes from people."""

from __future__ import annotations

import unicodedata

from wegings.errors import InvalidInput

MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 20_000

_ALLOWED_CONTROLS_MULTILINE = frozenset("\n\t")


def control_character(text: str, *, multiline: bool) -> str | None:
    """The first forbidden control character in `text`, or None.

    Control characters (Unicode category Cc: ESC, NUL, CR, …) can rewrite a terminal or hide
    text, so they are refused; printable look-alikes of markup and right-to-left text are not.
    """
    allowed = _ALLOWED_CONTROLS_MULTILINE if multiline else frozenset()
    for char in text:
        if char not in allowed and unicodedata.category(char) == "Cc":
            return char
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
    if required and not text:
        raise InvalidInput(f"{field} must not be empty.")
    bad = control_character(text, multiline=multiline)
    if bad is not None:
        raise InvalidInput(
            f"{field} contains the control character U+{ord(bad):04X}; remove it and try again."
        )
    if len(text) > max_length:
        raise InvalidInput(f"{field} is {len(text)} characters long; the limit is {max_length}.")
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
    if control_character(value, multiline=True) is None:
        return value
    return "".join(
        char if char in "\n\t" or unicodedata.category(char) != "Cc" else f"\\x{ord(char):02x}"
        for char in value
    )
