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


# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15.1): characters a
# renderer may draw as nothing at all, whatever their category. Python's unicodedata does not
# carry the property, so its ranges are listed here.
_DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero-width space, joiners, direction marks
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero-width no-break space (byte order mark)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),  # unassigned, reserved as ignorable
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical beam and slur controls
    (0xE0000, 0xE0FFF),  # tag characters, variation selectors supplement, reserved
)

_BLANK_GLYPHS = frozenset({"\u2800"})
"""Visible characters (not default-ignorable) whose glyph is empty: the Braille blank."""


def is_invisible(char: str) -> bool:
    """Whether `char` shows as nothing on screen: a format character (Cf), a default-ignorable
    code point (Hangul fillers, variation selectors, tags …) or a blank glyph (U+2800)."""
    if unicodedata.category(char) == "Cf" or char in _BLANK_GLYPHS:
        return True
    point = ord(char)
    return any(low <= point <= high for low, high in _DEFAULT_IGNORABLE)


def reject_invisible(text: str, *, field: str) -> str:
    """`text`, or InvalidInput when it holds a character that shows as nothing (`is_invisible`).

    Names identify people and services; a zero-width space, a Hangul filler or a direction
    override would make two different names look the same (and defeat the four-eyes check).
    """
    for char in text:
        if is_invisible(char):
            raise InvalidInput(
                f"{field} contains the invisible character U+{ord(char):04X}; remove it."
            )
    return text


FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""How a spreadsheet cell starts that the spreadsheet would run as a formula (OWASP: CSV
injection): `--csv` writes such a text with a leading apostrophe, `import` takes it off."""


def quote(value: object) -> str:
    """`value` quoted for a one-line message, with control and format characters (bidi
    overrides, zero-width ones) made visible: a message shows what was given, never reorders."""
    text = str(value)
    if len(text) > 80:
        text = text[:77] + "..."
    shown = "".join(
        f"\\x{ord(char):02x}"
        if unicodedata.category(char) == "Cc"
        else f"\\u{ord(char):04x}"
        if unicodedata.category(char) == "Cf"
        else char
        for char in text
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
