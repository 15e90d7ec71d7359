"""`wegings score`: the five criteria scored interactively, from a file, or exported."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from wegings.cli import output
from wegings.cli.state import acting, location
from wegings.errors import InvalidInput, Refused, ValidationFailed

if TYPE_CHECKING:
    from wegings.notes.answers import Answers

T = TypeVar("T")

KEEP_HINT = "Enter keeps the value in brackets; '-' clears an optional one."


class Cancelled(Refused):
    """The person stopped the session (Ctrl-C or end of input)."""


MAX_ANSWERS_BYTES = 1_000_000


def read_answers_file(path: str) -> Any:
    """The parsed contents of a TOML or JSON answers file ('-' reads standard input)."""
    import tomllib

    name = "standard input" if path == "-" else path
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"No answers file {name}.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{name} is a directory, not an answers file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Cannot read the answers file {name}: {exc}.") from None
    raw = raw.removeprefix("\ufeff")
    if len(raw) > MAX_ANSWERS_BYTES:
        raise InvalidInput(f"{name} is larger than {MAX_ANSWERS_BYTES:,} characters.")
    try:
        if path.lower().endswith(".json") or raw.lstrip().startswith("{"):
            try:
                return json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InvalidInput(
                    f"{name} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
                ) from None
        try:
            return tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{name} is not valid TOML: {exc}.") from None
    except (RecursionError, ValueError) as exc:
        # Absurd nesting or a number of thousands of digits: malformed, not a crash.
        raise InvalidInput(f"{name} cannot be read as answers: {exc}.") from None


class Interview:
    """The prompts of an interactive weighing, on stderr so stdout stays data."""

    def __init__(self, *, use_editor: bool) -> None:
        self.console = output.stderr_console()
        self.use_editor = use_editor

    def line(self, prompt: str, default: str = "") -> str:
        """One line of input; the default when the line is empty."""
        shown = default.replace("\n", " ")
        if len(shown) > 60:
            shown = shown[:57] + "..."
        suffix = f" [{shown}]" if default else ""
        try:
            answer = self.console.input(Text(f"{prompt}{suffix}: ", style="bold"))
        except (EOFError, KeyboardInterrupt):
            raise Cancelled("Stopped before the end; nothing was saved.") from None
        if answer.strip() == "":
            return default
        if answer.strip() == "-":
            return ""
        return answer

    def text(self, prompt: str, default: str = "") -> str:
        """A possibly long text: in $EDITOR with --editor, else one line."""
        if not self.use_editor:
            return self.line(prompt, default)
        self.console.print(Text(f"{prompt}: opening your editor…", style="dim"))
        return edit_text(default)

    def ask(self, prompt: str, check: Callable[[str], T], default: str = "") -> T:
        """Ask until `check` accepts the answer, showing the reason each time it does not."""
        while True:
            try:
                return check(self.line(prompt, default))
            except (InvalidInput, ValidationFailed) as exc:
                self.warn(exc.message)

    def ask_text(self, prompt: str, check: Callable[[str], T], default: str = "") -> T:
        """Like `ask`, for a text that may be long."""
        while True:
            # Outside the try: an editor that cannot start is an error, not a wrong answer
            # to ask again (that would loop for ever).
            answer = self.text(prompt, default)
            try:
                return check(answer)
            except (InvalidInput, ValidationFailed) as exc:
                self.warn(exc.message)

    def warn(self, message: str) -> None:
        """Say why an answer was not accepted."""
        self.console.print(Text(f"  ✗ {message}", style="red"))

    def show(self, renderable: Any) -> None:
        """Print something for the person."""
        self.console.print(renderable)


def edit_text(initial: str) -> str:
    """Let the person edit `initial` in $VISUAL or $EDITOR and return the result."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise InvalidInput("--editor needs $EDITOR (or $VISUAL) to name your editor.")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        handle.write(initial)
        name = handle.name
    try:
        try:
            completed = subprocess.run([*shlex.split(editor), name], check=False)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"Cannot start the editor {editor!r}: {exc}.") from None
        if completed.returncode != 0:
            raise Cancelled(f"The editor exited with code {completed.returncode}; nothing saved.")
        return Path(name).read_text(encoding="utf-8").strip()
    finally:
        Path(name).unlink(missing_ok=True)


def split_items(text: str, kept: Sequence[str]) -> list[str]:
    """Sources or conditions typed separated by ';'; the kept ones as they were on Enter."""
    # An item may itself contain ';': splitting the pre-filled default would change it.
    if kept and text == "; ".join(kept):
        return list(kept)
    return [item for item in text.split(";") if item.strip()]


def interview(previous: Answers | None, partner_label: str, *, use_editor: bool) -> dict[str, Any]:
    """Ask every answer of a weighing; return them in the answers-file shape."""
    from wegings.domain import CRITERIA, FORMS, SCORES, RiskProfile
    from wegings.notes import answers as rules
    from wegings.notes.weighing import profile_causes, risk_profile

    ui = Interview(use_editor=use_editor)
    ui.show(
        Panel(
            Text(
                f"Weighing note for {partner_label}.\n"
                + (
                    "Every answer is pre-filled from the latest version. "
                    if previous
                    else "A first weighing. "
                )
                + KEEP_HINT
                + "\nCtrl-C stops without saving anything."
            ),
            title="wegings score",
        )
    )
    context = ui.ask_text(
        "Context: developments in the country that prompted this weighing (optional)",
        rules.check_text,
        previous.context if previous else "",
    )
    scale = Table(show_header=False, box=None, padding=(0, 1))
    for score in sorted(SCORES, reverse=True):
        level = SCORES[score]
        scale.add_row(str(score), level.label_nl, f"({level.label_en}, risk {level.risk})")
    criteria: dict[str, dict[str, Any]] = {}
    for number, criterion in enumerate(CRITERIA, start=1):
        before = previous.criteria[criterion.key] if previous else None
        ui.show(
            Panel(
                Text(f"{criterion.question_nl}\n{criterion.question_en}"),
                title=f"{number}/5 {criterion.label_nl} ({criterion.key})",
                title_align="left",
            )
        )
        ui.show(scale)
        score = ui.ask("Score 1–5", rules.parse_score, str(before.score) if before else "")
        motivation = ui.ask_text(
            "Motivation (mandatory, a real sentence)",
            rules.check_motivation,
            before.motivation if before else "",
        )
        kept_sources = before.sources if before else ()

        def check_sources(text: str, kept: Sequence[str] = kept_sources) -> tuple[str, ...]:
            return rules.check_sources(split_items(text, kept))

        sources = ui.ask(
            "Sources, separated by ';' (optional)", check_sources, "; ".join(kept_sources)
        )
        criteria[criterion.key] = {
            "score": score,
            "motivation": motivation,
            "sources": list(sources),
        }

    interest_before = previous.interest if previous else None
    ui.show(Panel(Text("The interest of the relationship (no score)."), title="Belang"))
    added_value = ui.ask_text(
        "Toegevoegde waarde / added value (mandatory)",
        rules.check_added_value,
        interest_before.added_value if interest_before else "",
    )
    obligations = ui.ask_text(
        "Internationale verplichtingen / international obligations (optional)",
        rules.check_text,
        interest_before.international_obligations if interest_before else "",
    )
    quid = ui.ask_text(
        "Quid pro quo (optional)",
        rules.check_text,
        interest_before.quid_pro_quo if interest_before else "",
    )

    scores = {key: int(entry["score"]) for key, entry in criteria.items()}
    profile = risk_profile(scores)
    causes = profile_causes(scores)
    if profile is RiskProfile.verhoogd:
        labels = ", ".join(f"{key} ({scores[key]})" for key in causes)
        ui.show(
            Text(
                f"Risk profile: verhoogd (elevated), because of {labels}. The partner will be a "
                "risicodienst: the weighty operational interest and at least one mitigating "
                "condition are mandatory.",
                style="yellow",
            )
        )
    else:
        ui.show(Text("Risk profile: standaard (every criterion scores 4 or 5).", style="green"))
    operational = ui.ask_text(
        "Zwaarwegend operationeel belang / weighty operational interest"
        + (" (mandatory)" if profile is RiskProfile.verhoogd else " (optional)"),
        lambda text: rules.check_operational_interest(profile, text),
        interest_before.operational_interest if interest_before else "",
    )
    kept_conditions = previous.conditions if previous else ()
    conditions = ui.ask(
        "Conditions and mitigating measures, separated by ';'"
        + (" (at least one)" if profile is RiskProfile.verhoogd else " (optional)"),
        lambda text: rules.check_conditions(profile, split_items(text, kept_conditions)),
        "; ".join(kept_conditions),
    )
    menu = Table(show_header=False, box=None, padding=(0, 1))
    for number, form in enumerate(FORMS, start=1):
        menu.add_row(str(number), form.key, form.label_nl)
    ui.show(Panel(menu, title="Permitted forms of cooperation", title_align="left"))
    forms = ui.ask(
        "Permitted forms: numbers or keys, separated by commas",
        lambda text: rules.check_forms_choice(profile, rules.parse_forms(text)),
        ", ".join(previous.forms) if previous else "",
    )
    return {
        "context": context,
        "criteria": criteria,
        "interest": {
            "added_value": added_value,
            "international_obligations": obligations,
            "quid_pro_quo": quid,
            "operational_interest": operational,
        },
        "cooperation": {"forms": list(forms), "conditions": list(conditions)},
    }


def summary_table(answers: Answers) -> Table:
    """The answers at a glance, for the confirmation."""
    from wegings.domain import CRITERIA, SCORES

    table = Table(title=f"Summary: risk profile {answers.profile.value}", title_justify="left")
    table.add_column("Criterion")
    table.add_column("Score")
    table.add_column("Motivation", overflow="fold")
    for criterion in CRITERIA:
        answer = answers.criteria[criterion.key]
        table.add_row(
            criterion.label_nl,
            f"{answer.score} {SCORES[answer.score].label_nl}",
            output.cell(answer.motivation),
        )
    table.add_row("Permitted forms", "", output.cell(", ".join(answers.forms) or "none"))
    table.add_row("Conditions", "", output.cell("; ".join(answers.conditions) or "none"))
    return table


def score(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner's handle.", show_default=False)],
    answers_file: Annotated[
        str | None,
        typer.Option(
            "--answers",
            metavar="FILE",
            help="Take the answers from a TOML or JSON file ('-' for stdin) instead of asking.",
        ),
    ] = None,
    export: Annotated[
        bool,
        typer.Option("--export-answers", help="Print the latest version's answers as TOML."),
    ] = False,
    template: Annotated[
        bool,
        typer.Option(
            "--template",
            help="Print a blank answers file (TOML) with the questions and the scale, to fill in.",
        ),
    ] = False,
    editor: Annotated[bool, typer.Option("--editor", help="Write long texts in $EDITOR.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Save without asking for confirmation.")
    ] = False,
) -> None:
    """Score the five criteria and save the weighing as a new draft version."""
    from wegings.notes.answers import answers_template, answers_to_toml, validate_answers
    from wegings.notes.notes import note_states, save_draft
    from wegings.register.partners import current_values, get_partner
    from wegings.store.engine import recorded_now, session_scope

    chosen = [
        name
        for name, given in (
            ("--answers", answers_file is not None),
            ("--export-answers", export),
            ("--template", template),
        )
        if given
    ]
    if len(chosen) > 1:
        raise InvalidInput(f"Give either {' or '.join(chosen)}, not both.")
    writing = not (template or export)
    with session_scope(location(ctx), write=False) as session:
        found = get_partner(session, partner)
        if writing:
            # Asked before the interview, so nobody answers every question in vain; the write
            # below asks again, as that is what counts.
            acting(ctx, session, "score")
        name = current_values(session, found).name
        states = note_states(session, found)
    previous = states[-1] if states else None
    if template:
        sys.stdout.write(answers_template(f"{name} ({found.short})", found.short))
        return
    if export:
        if previous is None:
            raise Refused(
                f"{found.short} has no weighing note yet to export. For a blank answers file to "
                f"fill in: `wegings score {found.short} --template > {found.short}.toml`."
            )
        sys.stdout.write(answers_to_toml(previous.answers))
        return
    if answers_file is not None:
        answers = validate_answers(read_answers_file(answers_file))
    else:
        raw = interview(
            previous.answers if previous else None,
            f"{name} ({found.short})",
            use_editor=editor,
        )
        answers = validate_answers(raw)
        console = output.stderr_console()
        console.print(summary_table(answers))
        if not yes:
            reply = Interview(use_editor=False).line("Save as a new draft version? (y/n)", "n")
            if reply.strip().lower() not in {"y", "yes", "j", "ja"}:
                raise Cancelled("Not saved.")
    with session_scope(location(ctx), write=True) as session:
        who = acting(ctx, session, "score")
        note = save_draft(
            session,
            partner=get_partner(session, partner),
            answers=answers,
            actor=who,
            now=recorded_now(session),
            # The version the person actually saw, even if someone saved another meanwhile.
            based_on=previous.version if previous else None,
        )
    output.say(
        f"Saved {found.short} version {note.version} as a draft ({note.profile}). "
        f"Another person establishes it with `wegings establish {found.short} --role …`."
    )


def register(app: typer.Typer) -> None:
    """Add score to `app`."""
    app.command(
        "score",
        rich_help_panel="Weighing notes",
        epilog=output.examples(
            "wegings score rvd",
            "wegings score rvd --editor",
            "wegings score rvd --template > rvd.toml",
            "wegings score rvd --export-answers > rvd.toml",
            "wegings score rvd --answers rvd.toml",
        ),
    )(score)
