"""The `wegings` command line: parse, call one core function, show the result.

Start-up stays fast: this package imports neither SQLAlchemy, SQLModel nor Jinja2; commands
import the core inside their functions.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # Typer's own bundled copy
from typer.core import TyperGroup

from wegings import __version__
from wegings.cli.output import examples, report_error
from wegings.cli.state import AppState
from wegings.errors import EXIT_USAGE, WegingsError


def _usage_error(exc: UsageError) -> NoReturn:
    """Report a usage error (unknown option, bad choice, missing value) as one line, exit 2."""
    message = exc.format_message().rstrip()
    if not message.endswith((".", "?", "!")):
        message += "."
    hint = f" See `{exc.ctx.command_path} --help`." if exc.ctx is not None else ""
    report_error(f"{message}{hint}")
    raise typer.Exit(EXIT_USAGE)


class WegingsGroup(TyperGroup):
    """The root command group: the one place where errors become one line and an exit code."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Parse the global options; a usage error there is one line too."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            _usage_error(exc)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        """Run the command; report a WegingsError or a usage error as one line on stderr."""
        try:
            return super().invoke(ctx)
        except WegingsError as exc:
            report_error(exc.message)
            raise typer.Exit(exc.exit_code) from None
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            _usage_error(exc)


app = typer.Typer(
    cls=WegingsGroup,
    name="wegings",
    help="Weighing notes and the third-party rule for cooperation with foreign services "
    "(Wiv 2017).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"wegings {__version__}")
        raise typer.Exit()


@app.callback(
    epilog=examples(
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
    ctx.obj = AppState(db=db, actor=actor)


def _register() -> None:
    from wegings.cli import audit, db, notes, oversight, partners, people, render, sharing

    partners.register(app)
    notes.register(app)
    render.register(app)
    sharing.register(app)
    people.register(app)
    oversight.register(app)
    app.add_typer(db.app, name="db", rich_help_panel="Store and audit trail")
    app.add_typer(audit.app, name="audit", rich_help_panel="Store and audit trail")


_register()


def main() -> None:
    """Console-script entry point."""
    app()
