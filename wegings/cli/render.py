"""`wegings render`: the weighing note as a document (Markdown, HTML or PDF; Dutch or English)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegings.cli import output
from wegings.cli.state import location
from wegings.errors import InvalidInput


class Format(StrEnum):
    """Output formats."""

    md = "md"
    html = "html"
    pdf = "pdf"


class Lang(StrEnum):
    """Document languages."""

    nl = "nl"
    en = "en"


def render(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    version: Annotated[
        int | None,
        typer.Option(
            "--version",
            min=1,
            help="This version (default: the note in force, else the latest draft).",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.md,
    lang: Annotated[Lang, typer.Option("--lang", help="Document language.")] = Lang.nl,
    out: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", metavar="FILE", help="Write to FILE (atomically); PDF needs it."
        ),
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template", metavar="FILE", help="A custom Jinja template (runs sandboxed)."
        ),
    ] = None,
    marking: Annotated[
        str | None,
        typer.Option(
            "--classification",
            metavar="TEXT",
            help="Marking on every page (default $WEGINGS_CLASSIFICATION, else STG. GEHEIM).",
        ),
    ] = None,
) -> None:
    """Render a weighing note as a document for sign-off and the oversight committee."""
    from wegings.documents import classification, note_document, own_service
    from wegings.render import render as render_note
    from wegings.render import write_atomically
    from wegings.store import session_scope
    from wegings.timeutil import utcnow

    if fmt is Format.pdf and out is None:
        raise InvalidInput("PDF output needs a file: add -o FILE.pdf.")
    if template is not None and not template.is_file():
        raise InvalidInput(f"No template file {template}.")
    marking_text = classification(marking)
    service = own_service()
    with session_scope(location(ctx), write=False) as session:
        document = note_document(
            session, partner, version=version, marking=marking_text, service=service, now=utcnow()
        )
    data = render_note(document, fmt=fmt.value, lang=lang.value, template=template)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    write_atomically(out, data)
    output.say(
        f"Wrote {out} ({fmt.value}, {lang.value}, {document.partner.short} version "
        f"{document.version}, {document.status.value}, {len(data):,} bytes)."
    )


def register(app: typer.Typer) -> None:
    """Add the render command to `app`."""
    app.command(
        "render",
        epilog=output.examples(
            "wegings render rvd",
            "wegings render rvd --format pdf -o rvd.pdf",
            "wegings render smi --format html --lang en -o smi-en.html",
            "wegings render rvd --version 1 --classification 'DEPARTEMENTAAL VERTROUWELIJK'",
        ),
    )(render)
