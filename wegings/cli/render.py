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


FORMAT_BY_EXTENSION = {
    ".md": Format.md,
    ".html": Format.html,
    ".htm": Format.html,
    ".pdf": Format.pdf,
}
"""The file name decides the format when --format is not given: a .pdf file must hold a PDF."""


def choose_format(fmt: Format | None, target: Path | None) -> Format:
    """--format, else the format of -o FILE's extension (Markdown on stdout); a mismatch refused."""
    if target is None:
        return fmt or Format.md
    extension = target.suffix.lower()
    implied = FORMAT_BY_EXTENSION.get(extension)
    if fmt is None:
        if implied is None:
            *others, last = FORMAT_BY_EXTENSION
            source = repr(extension) if extension else "a name without an extension"
            raise InvalidInput(
                f"Cannot tell the format of -o {target} from {source}: "
                f"name it {', '.join(others)} or {last}, or give --format."
            )
        return implied
    if implied is not None and implied is not fmt:
        raise InvalidInput(
            f"--format {fmt.value} does not match -o {target}, a {extension} file; "
            f"name the file .{fmt.value} or leave out --format."
        )
    return fmt


def check_output_path(
    target: Path, *, database: Path | None, force: bool, log_key: Path | None = None
) -> None:
    """Refuse to write over the database, the log key (`log_key`, or the one found by default),
    a directory, or an existing file without --force."""
    from wegings.store.logkey import refuse_log_key

    if not target.name:
        raise InvalidInput("-o needs a file name.")
    if target.is_dir():
        raise InvalidInput(f"{target} is a directory; give a file name with -o.")
    if database is not None:
        resolved = target.resolve()
        guarded = {database.resolve()} | {
            Path(f"{database.resolve()}{suffix}") for suffix in ("-wal", "-shm", "-journal")
        }
        if resolved in guarded:
            raise InvalidInput(f"{target} is the database itself; choose another file.")
    refuse_log_key(target, given=log_key)
    if target.exists() and not force:
        raise InvalidInput(f"{target} already exists; choose another file or pass --force.")


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
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            help="Output format. Default: from the extension of -o FILE, else md.",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Document language.")] = Lang.nl,
    out: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write to FILE (atomically; '-' for stdout); PDF needs a file.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
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
    from wegings.notes.documents import classification, own_service, read_note_document
    from wegings.render import render as render_note
    from wegings.render import write_atomically
    from wegings.store.snapshot import read_snapshot

    target = None if out in (None, "-") else Path(out)
    if target is not None:
        check_output_path(target, database=location(ctx).path, force=force)
    fmt = choose_format(fmt, target)
    if fmt is Format.pdf and target is None:
        raise InvalidInput("PDF output needs a file: add -o FILE.pdf.")
    if template is not None and not template.is_file():
        raise InvalidInput(f"No template file {template}.")
    marking_text = classification(marking)
    service = own_service()
    with read_snapshot(location(ctx)) as snapshot:
        document = read_note_document(
            snapshot,
            partner,
            version=version,
            marking=marking_text,
            service=service,
            now=snapshot.now(),
        )
    data = render_note(document, fmt=fmt.value, lang=lang.value, template=template)
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    write_atomically(target, data)
    output.say(
        f"Wrote {target} ({fmt.value}, {lang.value}, {document.partner.short} version "
        f"{document.version}, {document.status.value}, {len(data):,} bytes)."
    )


def register(app: typer.Typer) -> None:
    """Add the render command to `app`."""
    app.command(
        "render",
        rich_help_panel="Weighing notes",
        epilog=output.examples(
            "wegings render rvd",
            "wegings render rvd --format pdf -o rvd.pdf",
            "wegings render rvd --format pdf -o rvd.pdf --force",
            "wegings render smi --format html --lang en -o smi-en.html",
            "wegings render rvd --version 1 --classification 'DEPARTEMENTAAL VERTROUWELIJK'",
        ),
    )(render)
