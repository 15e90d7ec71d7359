"""Render a note through a sandboxed Jinja template into Markdown, HTML or (via Typst) PDF.

Every template, built-in or given with `--template`, runs in Jinja's immutable sandbox with
autoescaping on and `StrictUndefined`. What `{{ … }}` prints is made literal per format:

- html: markupsafe escaping;
- md: `escape_markdown` (backslash escapes, hard line breaks);
- pdf: the value goes into a string table handed to Typst as JSON, and the Typst source only
  gets a reference to it (`#wgt(7);`), so user text never reaches the Typst parser.

Macro output and `{% set %}` blocks are already-rendered markup and pass through unchanged, as in
HTML. In a Typst template, use `{{ value | typst_str }}` where Typst code (not markup) needs the
string, e.g. `#set document(title: {{ note.title | typst_str }})`.

What a template sees: `note` (the `NoteView`: localised labels, dates, country), `doc` (the raw
`NoteDocument`), `t` (the fixed labels of `strings.STRINGS` for the language), `lang` and `fmt`.
A PDF template also finds the watermark word of a draft, superseded or withdrawn note drawn
as an SVG of outlines (no text) in `sys.inputs.at("wegings-watermark")`.
Filters beyond Jinja's own: `fill` (`{{ t.third_party | fill(service=note.own_service) }}`) and,
for Typst, `typst_str`. Blocks are trimmed (`trim_blocks`, `lstrip_blocks`); an unknown name is
an error, not an empty string. A custom template may `{% extends "builtin/note.md.j2" %}`.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from wegings.errors import InvalidInput, WegingsError
from wegings.render.document import NoteDocument
from wegings.render.escape import TypstTexts, escape_markdown
from wegings.render.files import templates_dir
from wegings.render.strings import STRINGS
from wegings.render.view import build_view, marking_word

if TYPE_CHECKING:
    import typst

Format = Literal["md", "html", "pdf"]
Language = Literal["nl", "en"]

FORMATS: Final[tuple[str, ...]] = ("md", "html", "pdf")
LANGUAGES: Final[tuple[str, ...]] = ("nl", "en")
TEMPLATE_NAMES: Final[dict[str, str]] = {
    "md": "note.md.j2",
    "html": "note.html.j2",
    "pdf": "note.typ.j2",
}
"""The built-in template per format; a PDF template produces Typst source."""

BUILTIN_PREFIX: Final = "builtin"
"""A custom template can `{% extends "builtin/note.md.j2" %}` to reuse the built-in layout."""

PDF_STANDARD: Final = "a-2b"
"""PDF/A-2b: self-contained with embedded fonts, fit for the archive the CTIVD reviews."""

# The Typst string table of the document being rendered, reachable from the finalize hook.
_typst_texts: ContextVar[TypstTexts] = ContextVar("wegings_typst_texts")


def _escaped(text: str) -> Markup:
    # The one place that marks text as final: callers pass only text just made literal for the
    # target format (escape_markdown or a Typst string-table reference).
    return Markup(text)  # noqa: S704


def _markup_passthrough(value: object) -> bool:
    # Macro output and `{% set %}` blocks arrive as Markup: already rendered, not user text.
    return hasattr(value, "__html__")


@pass_context
def _finalize_markdown(context: Context, value: object) -> object:
    # pass_context keeps Jinja from folding constants at compile time with this hook.
    del context
    if _markup_passthrough(value):
        return value
    return _escaped(escape_markdown(str(value)))


@pass_context
def _finalize_typst(context: Context, value: object) -> object:
    del context
    if _markup_passthrough(value):
        return value
    return _escaped(_typst_texts.get().content(str(value)))


def _typst_str(value: object) -> Markup:
    """Jinja filter: a Typst code expression evaluating to the string `value`."""
    return _escaped(_typst_texts.get().expression(str(value)))


def _fill(text: str, **values: object) -> str:
    """Jinja filter: fill `{name}` placeholders of a fixed string; the result is escaped later."""
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


_FINALIZERS: Final[dict[str, Callable[..., object] | None]] = {
    "html": None,
    "md": _finalize_markdown,
    "pdf": _finalize_typst,
}


def _escape_filter(fmt: str) -> Callable[[object], Markup]:
    # `|e` must mean "literal in this format", not HTML escaping inside Markdown or Typst.
    if fmt == "md":
        return lambda value: _escaped(escape_markdown(str(value)))
    if fmt == "pdf":
        return lambda value: _escaped(_typst_texts.get().content(str(value)))
    return lambda value: Markup.escape(value)


@lru_cache(maxsize=16)
def _environment(fmt: str, custom_dir: str | None) -> ImmutableSandboxedEnvironment:
    builtin = FileSystemLoader(str(templates_dir()))
    loaders: list[Any] = [PrefixLoader({BUILTIN_PREFIX: builtin})]
    if custom_dir is None:
        loaders.insert(0, builtin)
    else:
        loaders.insert(0, FileSystemLoader(custom_dir))
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        finalize=_FINALIZERS[fmt],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fill"] = _fill
    env.filters["e"] = env.filters["escape"] = _escape_filter(fmt)
    if fmt == "pdf":
        env.filters["typst_str"] = _typst_str
    return env


def _template_error(exc: BaseException, shown_name: str, file_name: str) -> InvalidInput:
    """Turn a template failure into one line naming the template file and line."""
    if isinstance(exc, TemplateSyntaxError):
        name = shown_name if exc.filename == file_name or exc.name is None else exc.name
        message = " ".join((exc.message or "syntax error").split())
        return InvalidInput(f"Template {name}, line {exc.lineno}: {message}")
    # Jinja rewrites tracebacks so template frames carry the template's own file and line.
    name, line = shown_name, None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == file_name:
            name, line = shown_name, frame.lineno
        elif frame.filename.endswith((".j2", ".jinja", ".html", ".md", ".typ")):
            name, line = Path(frame.filename).name, frame.lineno
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    message = " ".join(str(message).split())  # one line on stderr, whatever the cause
    where = f"Template {name}, line {line}" if line is not None else f"Template {name}"
    return InvalidInput(f"{where}: {message}")


def render_source(
    doc: NoteDocument,
    *,
    fmt: Format,
    lang: Language,
    template: Path | None = None,
    texts: TypstTexts | None = None,
) -> str:
    """The filled-in template as text: Markdown, HTML, or Typst source (for "pdf")."""
    if fmt not in TEMPLATE_NAMES:
        raise InvalidInput(f"Unknown format {fmt!r}. Known: {', '.join(FORMATS)}")
    if lang not in STRINGS:
        raise InvalidInput(f"Unknown language {lang!r}. Known: {', '.join(LANGUAGES)}")
    if template is None:
        env = _environment(fmt, None)
        name = shown = TEMPLATE_NAMES[fmt]
    else:
        template = Path(template)
        if not template.is_file():
            raise InvalidInput(f"Template {template} not found (or not a file)")
        env = _environment(fmt, str(template.parent.resolve()))
        name, shown = template.name, str(template)
    context = {
        "doc": doc,
        "note": build_view(doc, lang),
        # A copy, so no template can change the labels of a later render.
        "t": dict(STRINGS[lang]),
        "lang": lang,
        "fmt": fmt,
    }
    token = _typst_texts.set(texts if texts is not None else TypstTexts())
    try:
        loaded = env.get_template(name)
        return loaded.render(context)
    except TemplateNotFound as exc:
        raise InvalidInput(f"Template {shown}: cannot find {exc.name}") from exc
    except WegingsError:
        raise
    except Exception as exc:
        if template is None:
            raise  # a fault in a built-in template is a bug: keep the traceback
        file_name = str(template.parent.resolve() / template.name)
        raise _template_error(exc, shown, file_name) from exc
    finally:
        _typst_texts.reset(token)


_compiler_lock = threading.Lock()

WATERMARK_INPUT_KEY: Final = "wegings-watermark"
"""The `sys.inputs` key holding the watermark (CONCEPT, VERVANGEN, ...) as an SVG drawing."""

WATERMARK_TYPST: Final = (
    "#set page(width: auto, height: auto, margin: 0pt, fill: none)\n"
    '#text(font: "Libertinus Serif", size: 84pt, weight: "bold", fill: rgb("#f4dcdc"))'
    '[#sys.inputs.at("word")]\n'
)
"""The watermark word on its own, typeset in the note's font and light red."""

# Poppler reads only `/Suspects true` and warns on the valid `/Suspects false` that Typst writes
# ("Syntax Error: Suspects object is wrong type"). False is the default, so the entry can go;
# blanking it keeps every byte offset, and with it the cross-reference table, as it was.
_SUSPECTS_FALSE: Final = b"/Suspects false"


@lru_cache(maxsize=1)
def _compiler() -> typst.Compiler:
    import typst

    # Bundled fonts only: the same PDF on every machine, no dependence on installed fonts.
    return typst.Compiler(ignore_system_fonts=True)


@lru_cache(maxsize=8)
def watermark_svg(word: str) -> str:
    """`word` as an SVG of outlines, not text: drawn on every page, never in the extracted text.

    Typst's SVG output draws glyphs as paths, so the PDF shows the word without a text layer
    that `pdftotext` or a search would pick up between the lines of the note.
    """
    with _compiler_lock:
        result = _compiler().compile(
            input=WATERMARK_TYPST.encode("utf-8"), format="svg", sys_inputs={"word": word}
        )
    if not isinstance(result, bytes):  # pragma: no cover - one word is one page
        raise WegingsError("Typst returned no watermark drawing")
    return result.decode("utf-8")


def compile_pdf(
    source: str, texts: TypstTexts, *, root: Path, timestamp: datetime, watermark: str = ""
) -> bytes:
    """Compile generated Typst `source` with its string table into PDF bytes.

    A non-empty `watermark` word reaches the template as an SVG drawing under
    `sys.inputs.at("wegings-watermark")`.
    """
    full = (TypstTexts.PREAMBLE + source).encode("utf-8")
    inputs = {TypstTexts.INPUT_KEY: texts.as_json()}
    if watermark:
        inputs[WATERMARK_INPUT_KEY] = watermark_svg(watermark)
    with _compiler_lock:
        result = _compiler().compile(
            input=full,
            format="pdf",
            root=str(root),
            sys_inputs=inputs,
            pdf_standards=PDF_STANDARD,
            # A fixed creation date makes the same note give the same bytes; Typst takes whole
            # seconds only.
            timestamp=timestamp.astimezone(UTC).replace(microsecond=0),
        )
    if not isinstance(result, bytes):  # pragma: no cover - only when writing to a file
        raise WegingsError("Typst returned no PDF")
    return result.replace(_SUSPECTS_FALSE, b" " * len(_SUSPECTS_FALSE))


def _typst_failure(exc: Exception, template: Path | None) -> WegingsError:
    message = str(getattr(exc, "message", "") or exc).strip().splitlines()[0]
    if template is not None:
        return InvalidInput(f"Template {template}: Typst cannot compile its output: {message}")
    return WegingsError(f"PDF could not be produced (Typst: {message})")


def render_document(
    doc: NoteDocument, *, fmt: Format, lang: Language, template: Path | None = None
) -> bytes:
    """Render `doc` as `fmt` in `lang`; see `wegings.render.render`."""
    template = Path(template) if template is not None else None
    texts = TypstTexts()
    source = render_source(doc, fmt=fmt, lang=lang, template=template, texts=texts)
    if fmt != "pdf":
        return source.encode("utf-8")
    import typst

    root = templates_dir() if template is None else template.parent.resolve()
    moment = doc.established_at or doc.created_at
    try:
        return compile_pdf(
            source, texts, root=root, timestamp=moment, watermark=marking_word(doc.status, lang)
        )
    except typst.TypstError as exc:
        raise _typst_failure(exc, template) from exc
