"""The `wegings` command line: parse, call one core function, show the result.

Start-up stays fast. The root knows each command's name, panel and summary from COMMANDS, so
`wegings --help` and shell completion import no command module; a command's module is imported,
and the command built from it, only when that command runs, shows its help or completes its
options. Help is Click's plain text, with a section per panel, as docs/cli.md shows it: Typer's
Rich help imports a Markdown parser and Pygments, and Rich's panels alone (its import and their
layout) cost `wegings --help` almost as much CPU as importing Typer. No module of this package
imports SQLAlchemy, SQLModel or Jinja2 at its top: commands import the core inside their
functions.
"""

from __future__ import annotations

import copy
import importlib
import inspect
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # Typer's own bundled copy
from typer._click.shell_completion import CompletionItem
from typer._click.utils import make_default_short_help
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.main import get_command_from_info, get_group_from_info, solve_typer_info_defaults

from wegings import __version__
from wegings.cli import output
from wegings.errors import EXIT_USAGE, WegingsError

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

if TYPE_CHECKING:
    from typer._click import Command, Context, HelpFormatter
    from typer.models import TyperInfo


@dataclass(frozen=True)
class Listed:
    """A command as the root lists it, known without importing the module that defines it."""

    name: str
    module: str  # wegings.cli.<module>.register adds it
    panel: str
    summary: str  # the first paragraph of its help, on one line


_PARTNERS, _NOTES, _RULE = "Partner register", "Weighing notes", "Third-party rule"
_PEOPLE, _OVERSIGHT, _STORE = "People and roles", "Oversight", "Store and audit trail"

COMMANDS: tuple[Listed, ...] = (
    Listed("new-partner", "partners", _PARTNERS, "Register a foreign partner service."),
    Listed(
        "partners",
        "partners",
        _PARTNERS,
        "List the registered partner services, or a group's members at a moment.",
    ),
    Listed(
        "show",
        "partners",
        _PARTNERS,
        "Show one partner service with its current values, groups, note and open flags.",
    ),
    Listed(
        "edit-partner",
        "partners",
        _PARTNERS,
        "Correct a partner's name, country, kind or notes; the handle never changes.",
    ),
    Listed(
        "groups",
        "partners",
        _PARTNERS,
        "List the groups of partners with their members at a moment.",
    ),
    Listed("join", "partners", _PARTNERS, "Record that a partner joins a group from a day."),
    Listed("leave", "partners", _PARTNERS, "Record that a partner leaves a group from a day."),
    Listed(
        "score",
        "scoring",
        _NOTES,
        "Score the five criteria and save the weighing as a new draft version.",
    ),
    Listed(
        "establish",
        "notes",
        _NOTES,
        "Establish the latest draft (four eyes; a verhoogd note only by the minister).",
    ),
    Listed(
        "withdraw",
        "notes",
        _NOTES,
        "Withdraw the established note: cooperation is suspended until a new one is established.",
    ),
    Listed(
        "flag",
        "notes",
        _NOTES,
        "Record developments that require the note to be rewritten; print the flag's id.",
    ),
    Listed(
        "retract-flag",
        "notes",
        _NOTES,
        "Retract a flag recorded by mistake: it no longer counts from now on; history keeps it.",
    ),
    Listed("due", "notes", _NOTES, "List partners that need attention, most urgent first."),
    Listed(
        "history",
        "notes",
        _NOTES,
        "List every version of the partner's note with its status and who decided.",
    ),
    Listed(
        "diff",
        "notes",
        _NOTES,
        "Show what changed between two versions: every field, with its old and new text.",
    ),
    Listed(
        "render",
        "render",
        _NOTES,
        "Render a weighing note as a document for sign-off and the oversight committee.",
    ),
    Listed(
        "new-item",
        "items",
        _RULE,
        "Register an item of information; prints the handle it is addressed by.",
    ),
    Listed("items", "items", _RULE, "List the registered items."),
    Listed(
        "correct-item",
        "items",
        _RULE,
        "Correct an item's flags, classification, subject or tags (a new record; nothing is "
        "edited). It holds from the registration but is on record only from now: `can-share "
        "--as-of` an earlier moment keeps the old answer, `--hindsight` shows the new one.",
    ),
    Listed(
        "show-item",
        "items",
        _RULE,
        "Show an item's current values and every correction: who, when, why, from what to what.",
    ),
    Listed(
        "consent",
        "items",
        _RULE,
        "Record an originator's consent to pass an item (or tagged items) on; prints its id.",
    ),
    Listed(
        "revoke",
        "items",
        _RULE,
        "Revoke a consent from now on (earlier checks as of before now still count it).",
    ),
    Listed(
        "consents",
        "items",
        _RULE,
        "List consents with their status now (valid, expired, revoked, not yet valid).",
    ),
    Listed(
        "permit",
        "items",
        _RULE,
        "Record a higher permission for passing one item to one recipient, with who granted it.",
    ),
    Listed(
        "permissions",
        "items",
        _RULE,
        "List permissions with their status now: valid, expired, revoked, not yet valid, or no "
        "longer counts (granted before what it must weigh: a newer note, a flag), and why.",
    ),
    Listed(
        "revoke-permission",
        "items",
        _RULE,
        "Revoke a permission from now on (earlier checks as of before now still count it).",
    ),
    Listed(
        "can-share",
        "sharing",
        _RULE,
        "May an item be passed on? Exit 0 allowed, 1 denied, 3 needs permission, 2 bad input.",
    ),
    Listed(
        "share",
        "sharing",
        _RULE,
        "Record a transfer, only when can-share says allowed now; prints the transfer's id.",
    ),
    Listed(
        "transfers",
        "sharing",
        _RULE,
        "List recorded transfers with the decision and conditions they carried.",
    ),
    Listed(
        "people",
        "people",
        _PEOPLE,
        "List the registered people with function and roles (and, in JSON, every grant).",
    ),
    Listed(
        "sweep",
        "oversight",
        _OVERSIGHT,
        "Replay every recorded transfer with its basis and judge it again in hindsight.",
    ),
    Listed(
        "person",
        "people",
        _PEOPLE,
        "The people register: who may act, with full name, function and roles.",
    ),
    Listed(
        "export",
        "oversight",
        _OVERSIGHT,
        "Write the dossier for the oversight committee into DIR: a BagIt bag that checks itself.",
    ),
    Listed(
        "import",
        "imports",
        _PARTNERS,
        "Onboard an existing register from a CSV file or an Excel workbook, all or nothing.",
    ),
    Listed(
        "db",
        "db",
        _STORE,
        "Where the database is, its state, schema upgrades, backups, and a server's roles.",
    ),
    Listed("audit", "audit", _STORE, "The hash-chained audit trail of every change."),
)
"""Every command of the root, in the order `wegings --help` lists them.

tests/test_startup.py holds this to what the modules register (names, panels, summaries, order).
"""


@cache
def registered(module: str) -> typer.Typer:
    """What wegings.cli.<module> registers, on a Typer of its own (the module is imported once)."""
    registry = typer.Typer()
    importlib.import_module(f"wegings.cli.{module}").register(registry)
    return registry


HelpEntry = tuple[str, str | None, str]
"""A command as its group's help lists it: name, panel (None: "Commands") and summary."""


def summary(command: Command) -> str:
    """The first paragraph of a command's help, on one line: what its group's help lists."""
    text = inspect.cleandoc(command.short_help or command.help or "")
    return " ".join(text.partition("\f")[0].split("\n\n")[0].split())


def _validation_problem(exc: BaseException) -> dict[str, Any] | None:
    """The first problem of the validation error behind a bad parameter (Typer validates a
    value with pydantic), as its `errors()` gives it; None when there is none."""
    cause: BaseException | None = exc
    while cause is not None:
        errors = getattr(cause, "errors", None)
        if callable(errors):
            found = errors()
            if isinstance(found, list) and found and isinstance(found[0], dict):
                problem: dict[str, Any] = found[0]
                return problem
        cause = cause.__cause__ or cause.__context__
    return None


def calm_problem(problem: Mapping[str, Any]) -> str | None:
    """A validation problem in a person's terms ("'abc' is not a whole number"), or None when
    it is of a kind not known here."""
    given, limits = problem.get("input"), problem.get("ctx") or {}
    shown = repr(given) if isinstance(given, str) else str(given)
    kind = problem.get("type")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{shown} is not a whole number"
    if kind in ("float_parsing", "float_type"):
        return f"{shown} is not a number"
    if kind == "bool_parsing":
        return f"{shown} is neither true nor false"
    bounds = {
        "greater_than_equal": ("ge", "{} or more"),
        "greater_than": ("gt", "more than {}"),
        "less_than_equal": ("le", "{} or less"),
        "less_than": ("lt", "less than {}"),
    }
    if kind in bounds:
        key, wording = bounds[kind]
        return f"{shown} is out of range: give {wording.format(limits.get(key))}"
    if kind == "value_error" and limits.get("error") is not None:
        return str(limits["error"]).rstrip(".")
    return None


def _usage_error(exc: UsageError, command_path: str | None = None) -> NoReturn:
    """Report a usage error (unknown option, bad choice, missing value) as one line, exit 2;
    `command_path` names the command when the error does not (an option without its value)."""
    problem = _validation_problem(exc)
    calm = calm_problem(problem) if problem is not None else None
    if calm is not None and isinstance(getattr(exc, "message", None), str):
        exc.message = calm  # "Invalid value for '--limit': 'abc' is not a whole number."
    message = exc.format_message().rstrip()
    if not message.endswith((".", "?", "!")):
        message += "."
    path = exc.ctx.command_path if exc.ctx is not None else command_path
    hint = f" See `{path} --help`." if path else ""
    output.report_error(f"{message}{hint}")
    raise typer.Exit(EXIT_USAGE)


def _no_arguments(exc: NoArgsIsHelpError) -> NoReturn:
    """A group given no command shows its help, on stdout as for `--help`, and exits 2."""
    typer.echo(exc.format_message())
    raise typer.Exit(EXIT_USAGE)


def _write_commands(formatter: HelpFormatter, entries: Sequence[HelpEntry]) -> None:
    """The commands under a heading per panel ("Commands" first), each with its whole summary,
    the names in one column across the panels."""
    width = max((len(name) for name, _, _ in entries), default=0)
    panels: dict[str, list[tuple[str, str]]] = {"Commands": []}
    for name, panel, text in entries:
        panels.setdefault(panel or "Commands", []).append((name.ljust(width), text))
    for panel, rows in panels.items():
        if rows:
            with formatter.section(panel):
                formatter.write_dl(rows)


class WegingsSubgroup(TyperGroup):
    """A group below the root (`db`, `audit`, `person`): it lists its commands as the root does."""

    def invoke(self, ctx: Context) -> Any:
        """Run the command; a usage error that names no command is told whose it is."""
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            if exc.ctx is None and ctx.invoked_subcommand and not hasattr(exc, "command_path"):
                exc.command_path = f"{ctx.command_path} {ctx.invoked_subcommand}"  # type: ignore[attr-defined]
            raise

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The commands by panel, each with its whole summary."""
        entries = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                entries.append((name, getattr(command, "rich_help_panel", None), summary(command)))
        _write_commands(formatter, entries)


def _group_info(info: TyperInfo) -> TyperInfo:
    """`info`, with it and the groups below it built as WegingsSubgroup unless they name a class
    of their own. A copy: the modules' Typer apps are left as they are."""
    assert info.typer_instance is not None
    group = copy.copy(info.typer_instance)
    group.registered_groups = [_group_info(g) for g in group.registered_groups]
    ours = copy.copy(info)
    ours.typer_instance = group
    if solve_typer_info_defaults(info).cls is None:
        ours.cls = WegingsSubgroup
    return ours


def ascii_lower(token: str) -> str:
    """`token` in lower case when it is ASCII; else as it is, so that no look-alike (the
    Kelvin sign K, the dotted İ) is folded into a choice or an option."""
    return token.lower() if token.isascii() else token


def _value_name(param: TyperOption | TyperArgument) -> str:
    """What a value is called in help when the command names none: its choices, N for a
    number, else the parameter's name (`--entity` takes ENTITY)."""
    described = param.type_descriptor
    if described.is_choice and described.choices:
        return "|".join(str(getattr(choice, "value", choice)) for choice in described.choices)
    if described.is_ranged or described.annotation in (int, float):
        return "N"
    return (param.name or "value").upper()


def _no_type(ctx: Context) -> None:
    """No type after a value's name in help: the name and the help text say what it is."""


def _no_range() -> None:
    """No range note ('[1<=x<=1000000000]') in help: the help text says what is allowed."""


def _calm(command: Command) -> Command:
    """`command` (and those below it) with help in a person's terms: every value named (no
    '<str>', '<int range>' or '<bool>'), no range notes, and arguments in the usage line as
    people write them (FILE; [FILE] when optional) instead of {FILE}; and every parameter that
    names a stored record completed from the database."""
    from wegings.cli.complete import completer

    for param in command.params:
        complete = completer(param.name or "")
        if complete is not None and getattr(param, "_custom_shell_complete", None) is None:
            # What Typer's `autocompletion=` sets, for every parameter that names a stored
            # record (wegings.cli.complete), in one place instead of on each option.
            setattr(param, "_custom_shell_complete", complete)  # noqa: B010
        if isinstance(param, TyperOption):
            if param.metavar is None and not param.is_flag and not param.count:
                param.metavar = _value_name(param)
            setattr(param, "_get_number_range_help_str", _no_range)  # noqa: B010
        elif isinstance(param, TyperArgument):
            name = param.metavar or _value_name(param)
            shown = name if param.required else f"[{name}]"
            if param.nargs != 1:
                shown += "..."
            setattr(param, "display_type_rich", _no_type)  # noqa: B010
            setattr(param, "_get_number_range_help_str", _no_range)  # noqa: B010
            setattr(param, "_usage_display_name", lambda shown=shown: shown)  # noqa: B010
            if param.metavar is None:
                param.metavar = name
    for sub in getattr(command, "commands", {}).values():
        _calm(sub)
    return command


class _Commands(MutableMapping[str, "Command"]):
    """The root's commands by name, in the order of COMMANDS; each is built when first asked for.

    Its keys (the names, for `No such command` and its suggestions) need no command built."""

    def __init__(self, root: WegingsGroup, built: Mapping[str, Command]) -> None:
        self._root = root
        self._listed = {listed.name: listed for listed in COMMANDS}
        self._built = dict(built)

    def listed(self, name: str) -> Listed | None:
        """The listing of `name`; None for a command added beside COMMANDS."""
        return self._listed.get(name)

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            self._built[name] = self._root.build(self._listed[name])
        return self._built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._listed.pop(name, None)
        self._built.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._listed or name in self._built

    def __iter__(self) -> Iterator[str]:
        yield from self._listed
        yield from (name for name in self._built if name not in self._listed)

    def __len__(self) -> int:
        return len(self._listed.keys() | self._built.keys())


class WegingsGroup(TyperGroup):
    """The root command group: the one place where errors become one line and an exit code, and
    the place that builds each command only when it is needed."""

    commands: _Commands

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(self, self.commands)

    def build(self, listed: Listed) -> Command:
        """The command `listed` names, built by Typer from what its module registers."""
        registry = registered(listed.module)
        for info in registry.registered_commands:
            if info.name == listed.name:
                return _calm(
                    get_command_from_info(
                        info,
                        pretty_exceptions_short=app.pretty_exceptions_short,
                        rich_markup_mode=self.rich_markup_mode,
                    )
                )
        for group in registry.registered_groups:
            if group.name == listed.name:
                return _calm(
                    get_group_from_info(
                        _group_info(group),
                        pretty_exceptions_short=app.pretty_exceptions_short,
                        suggest_commands=self.suggest_commands,
                        rich_markup_mode=self.rich_markup_mode,
                    )
                )
        raise RuntimeError(f"wegings.cli.{listed.module} registers no command {listed.name!r}")

    def entries(self) -> list[HelpEntry]:
        """Name, panel and summary of every command: from COMMANDS, building none of them."""
        entries: list[HelpEntry] = []
        for name in self.commands:
            listed = self.commands.listed(name)
            if listed is not None:
                entries.append((name, listed.panel, listed.summary))
                continue
            command = self.commands[name]
            if not command.hidden:
                entries.append((name, getattr(command, "rich_help_panel", None), summary(command)))
        return entries

    def list_commands(self, ctx: Context) -> list[str]:
        """The names, in the order of COMMANDS (none is built to list it)."""
        return list(self.commands)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The commands by panel, each with its whole summary (none is built to list it)."""
        _write_commands(formatter, self.entries())

    def shell_complete(self, ctx: Context, incomplete: str) -> list[CompletionItem]:
        """The commands starting with `incomplete` (none is built), then the root's options."""
        commands = [
            CompletionItem(name, help=make_default_short_help(text))
            for name, _, text in self.entries()
            if name.startswith(ascii_lower(incomplete))
        ]
        return commands + super(TyperGroup, self).shell_complete(ctx, incomplete)

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Parse the global options; a usage error there is one line too."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except NoArgsIsHelpError as exc:
            _no_arguments(exc)
        except UsageError as exc:
            _usage_error(exc, info_name)

    def invoke(self, ctx: Context) -> Any:
        """Run the command; report a WegingsError or a usage error as one line on stderr."""
        try:
            return super().invoke(ctx)
        except WegingsError as exc:
            output.report_error(exc.message, exc.details)
            raise typer.Exit(exc.exit_code) from None
        except NoArgsIsHelpError as exc:
            _no_arguments(exc)
        except UsageError as exc:
            command = ctx.invoked_subcommand
            path = f"{ctx.command_path} {command}" if command else ctx.command_path
            _usage_error(exc, getattr(exc, "command_path", path))
        except KeyboardInterrupt:
            # The line the ^C was typed on ends; a command records all or nothing, so an
            # interrupted one has recorded nothing (what a batch printed stays printed).
            output.say("\nStopped (Ctrl-C); nothing was recorded.")
            raise typer.Exit(EXIT_INTERRUPTED) from None


app = typer.Typer(
    cls=WegingsGroup,
    name="wegings",
    help="Weighing notes and the third-party rule for cooperation with foreign services "
    "(Wiv 2017).",
    no_args_is_help=True,
    rich_markup_mode=None,  # Click's plain help: see the module's docstring
    pretty_exceptions_show_locals=False,
    context_settings={
        "help_option_names": ["-h", "--help"],
        "max_content_width": 100,
        # Choices (and option names) in any case: --role DG, --format PDF.
        "token_normalize_func": ascii_lower,
    },
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"wegings {__version__}")
        raise typer.Exit()


@app.callback(
    epilog=output.examples(
        "wegings new-partner 'Ruritaanse Veiligheidsdienst' --short rvd --country XR "
        "--kind civil --group CTG",
        "wegings partners --json",
        "wegings --db demo.db audit verify",
    ),
)
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH",
            help="The database file. Default: $WEGINGS_DATABASE_URL, else $WEGINGS_DB, "
            "else wegings.db in the user data directory.",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="NAME",
            help="Who is acting, for the audit trail: a registered login once the people "
            "register holds anyone; on a server only the database user. Default: $WEGINGS_USER, "
            "else the login name.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Keep the register of foreign partner services, their weighing notes and transfers."""
    from wegings.cli.state import AppState  # its configuration is needed only by commands

    ctx.obj = AppState(db=db, actor=actor)


def _has_surrogates(text: str) -> bool:
    """Whether `text` holds bytes that were not UTF-8 (Python keeps them as lone surrogates)."""
    return any("\udc80" <= char <= "\udcff" for char in text)


def main() -> None:
    """Console-script entry point."""
    import os
    import sys

    if os.environ.get("_WEGINGS_COMPLETE"):
        # What a shell sends to complete; anything malformed is offered nothing, never a
        # traceback under the prompt.
        words = os.environ.get("COMP_WORDS", "") + os.environ.get("_TYPER_COMPLETE_ARGS", "")
        cword = os.environ.get("COMP_CWORD")
        if _has_surrogates(words) or (cword is not None and not cword.isdigit()):
            return
    else:
        bad = next((arg for arg in sys.argv[1:] if _has_surrogates(arg)), None)
        if bad is not None:
            shown = bad.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            output.report_error(
                f"The argument '{shown}' is not UTF-8 text; type it again or set the terminal "
                "to UTF-8."
            )
            raise SystemExit(EXIT_USAGE)
    app()
