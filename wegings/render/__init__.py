"""Render a wegingsnotitie as Markdown, HTML or PDF, in Dutch or English.

The public API: build a `NoteDocument` (plain data), call `render`, save with
`write_atomically`. Importing this package stays cheap: Jinja2, Babel and Typst load only when
`render` runs, so `wegings --help` does not pay for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from wegings.render.document import (
    CriterionAssessment,
    Flag,
    InterestWeighing,
    NoteDocument,
    PartnerInfo,
)
from wegings.render.files import templates_dir, write_atomically

__all__ = [
    "CriterionAssessment",
    "Flag",
    "InterestWeighing",
    "NoteDocument",
    "PartnerInfo",
    "render",
    "templates_dir",
    "write_atomically",
]


def render(
    doc: NoteDocument,
    *,
    fmt: Literal["md", "html", "pdf"],
    lang: Literal["nl", "en"],
    template: Path | None = None,
) -> bytes:
    """The note as `fmt` bytes in `lang`, from the built-in or a custom sandboxed template."""
    from wegings.render.engine import render_document

    return render_document(doc, fmt=fmt, lang=lang, template=template)
