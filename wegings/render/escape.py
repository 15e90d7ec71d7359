"""Keep free text literal in each output format.

- Markdown: backslash-escape what Markdown would read as markup, so a viewer shows the text as
  typed and the raw file still reads as plain text.
- Typst: user text never enters the Typst source. Each string is put in a table that reaches
  Typst as JSON through `sys.inputs`; the source only says "print string number 7".
- All formats: text with right-to-left characters or bidi controls (e.g. U+202E) is wrapped in
  a Unicode isolate, so it cannot reorder the labels around it.

HTML needs nothing here: Jinja's autoescape (markupsafe) does it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Final

FIRST_STRONG_ISOLATE: Final = "\u2068"
POP_DIRECTIONAL_ISOLATE: Final = "\u2069"
_RTL_OR_CONTROL: Final = frozenset(
    {"R", "AL", "AN", "RLE", "LRE", "RLO", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"}
)

# Significant anywhere in a line: emphasis, code, links, raw HTML, entities, GFM tables and
# strikethrough, and the `$` of math extensions.
_MD_INLINE: Final = re.compile(r"([\\`*_\[\]<&|~$])")
# Significant only where a line starts: headings, quotes, lists, setext underlines, definition
# lists. Checked after the inline pass, so `*` and `|` are already escaped.
_MD_LINE_START: Final = re.compile(r"^([#>+\-=:])")
_MD_ORDERED_ITEM: Final = re.compile(r"^(\d+)([.)])")
_LEADING_BLANKS: Final = re.compile(r"^[ \t]+")
_NBSP: Final = "\u00a0"
MD_HARD_BREAK: Final = "  \n"


def needs_isolation(text: str) -> bool:
    """True if `text` holds right-to-left letters or bidi controls that could reorder a line."""
    return any(unicodedata.bidirectional(ch) in _RTL_OR_CONTROL for ch in text)


def isolate(text: str) -> str:
    """Wrap `text` in a bidi isolate when it needs one, so its direction stays inside it."""
    if needs_isolation(text):
        return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"
    return text


def _markdown_line(line: str) -> str:
    # Leading blanks would start an indented code block; no-break spaces keep the indent
    # visible without that meaning.
    blanks = _LEADING_BLANKS.match(line)
    indent = ""
    if blanks:
        indent = blanks.group().replace("\t", "    ").replace(" ", _NBSP)
        line = line[blanks.end() :]
    line = _MD_INLINE.sub(r"\\\1", line)
    line = _MD_ORDERED_ITEM.sub(r"\1\\\2", line)
    line = _MD_LINE_START.sub(r"\\\1", line)
    # An empty line would end the paragraph (and any list item around it).
    return indent + line if indent or line else _NBSP


def escape_markdown(text: str) -> str:
    """`text` as Markdown that displays literally; its line breaks become hard breaks."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return isolate(MD_HARD_BREAK.join(_markdown_line(line) for line in lines))


ZERO_WIDTH_SPACE: Final = "\u200b"
_LONG_WORD: Final = re.compile(r"\S{41,}")
_PIECE: Final = 20


def breakable(text: str) -> str:
    """`text` with a zero-width space every 20 characters of a word longer than 40 (a URL, a
    hash, a reference without spaces), where a line may break: a PDF line does not break
    inside a word, and such a word would run off the page. Nothing shows where it goes."""
    return _LONG_WORD.sub(
        lambda word: ZERO_WIDTH_SPACE.join(
            word.group()[at : at + _PIECE] for at in range(0, len(word.group()), _PIECE)
        ),
        text,
    )


class TypstTexts:
    """The strings one Typst document prints, passed to Typst as data instead of source."""

    INPUT_KEY: Final = "wegings-texts"
    """The `sys.inputs` key the Typst preamble reads the table from."""

    PREAMBLE: Final = (
        '#let wg-texts = json(bytes(sys.inputs.at("wegings-texts")))\n'
        "#let wgt(i) = wg-texts.at(i)\n"
    )
    """Typst that loads the table; prepended to every generated document on one line each."""

    def __init__(self) -> None:
        self._texts: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, text: str) -> int:
        """Store `text` (once) and return its index in the table."""
        known = self._index.get(text)
        if known is not None:
            return known
        self._texts.append(text)
        self._index[text] = len(self._texts) - 1
        return len(self._texts) - 1

    def content(self, text: str) -> str:
        """Typst markup that prints `text` literally (isolated if it is right-to-left), a word
        too long for a line breakable (`breakable`)."""
        # The `;` ends the embedded expression, so a following "(" or "[" in the template is
        # plain markup, not a call.
        return f"#wgt({self.add(isolate(breakable(text)))});"

    def expression(self, text: str) -> str:
        """A Typst code expression that evaluates to the string `text`."""
        return f"wgt({self.add(text)})"

    def as_json(self) -> str:
        """The table as the JSON `sys.inputs` value the preamble reads."""
        return json.dumps(self._texts, ensure_ascii=False)
