"""`wegings score`: the five criteria scored interactively, from a file, or exported."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from wegings.cli import output
from wegings.cli.state import acting, location
from wegings.domain import Criterion, RiskProfile
from wegings.errors import InvalidInput, Problem, Refused, ValidationFailed
from wegings.text import printable

if TYPE_CHECKING:
    from wegings.notes.answers import Answers

T = TypeVar("T")

KEEP_HINT = "Enter keeps the value in brackets (or shown above it); '-' clears an optional one."
CONFIRM = "Save as a new draft version? (y/n, or a number to change that answer)"
INLINE_DEFAULT = 40
"""Longest pre-filled answer shown in the prompt's brackets; a longer one is shown above it."""
EDITOR_MARKER = "# ------------------------ >8 ------------------------"
EXIT_INTERRUPTED = 130
"""Ctrl-C: 128 + SIGINT, as the shell reports it (and Typer, outside the session)."""

CONTEXT_GUIDE = "Which developments in the country (e.g. political unrest) prompted this weighing?"
INTEREST_PROMPTS = {
    "added_value": (
        "Toegevoegde waarde / added value (mandatory)",
        "What does cooperation with this service add to our own tasks and information?",
    ),
    "international_obligations": (
        "Internationale verplichtingen / international obligations (optional)",
        "Which international obligations (treaties, alliances, agreements) bear on it?",
    ),
    "quid_pro_quo": (
        "Quid pro quo (optional)",
        "What does this service give in return for what we share with it (reciprocity)?",
    ),
}
OPERATIONAL_GUIDE = "Which weighty operational interest outweighs the risk of this cooperation?"


class Cancelled(Refused):
    """The person stopped the session (end of input, or saying no)."""


class Interrupted(Cancelled):
    """The person pressed Ctrl-C during the session."""

    exit_code = EXIT_INTERRUPTED


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
            raise InvalidInput(f"{name} is not valid TOML: {toml_problem(raw, exc)}.") from None
    # Absurd nesting or a number of thousands of digits: malformed, not a crash, and said in
    # the person's terms, not Python's ("maximum recursion depth", "set_int_max_str_digits").
    except RecursionError:
        raise InvalidInput(f"{name} cannot be read as answers: it is nested too deeply.") from None
    except ValueError:
        raise InvalidInput(
            f"{name} cannot be read as answers: it holds a number of more than "
            f"{sys.get_int_max_str_digits():,} digits."
        ) from None


_TOML_POSITION = re.compile(r"\(at line ([0-9]+), column ([0-9]+)\)$")
_TOML_MOMENT = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})([Tt ][0-9:.]+)?([Zz]|[+-][0-9:]+)?")


def toml_problem(raw: str, exc: ValueError) -> str:
    """What tomllib found wrong, with a date that does not exist named as such."""
    from datetime import date

    message = str(exc)
    position = _TOML_POSITION.search(message)
    if not message.startswith("Invalid date or datetime") or position is None:
        return message
    line, column = int(position[1]), int(position[2])
    lines = raw.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    moment = _TOML_MOMENT.match(text, max(column - 1, 0))
    if moment is None:
        return message
    try:
        date.fromisoformat(moment[1])
    except ValueError:
        return f"{moment[1]}: no such day (line {line}, column {column})"
    return f"{moment[0]}: no such time (line {line}, column {column})"


class Interview:
    """The prompts of an interactive weighing, on stderr so stdout stays data."""

    def __init__(self, *, use_editor: bool) -> None:
        self.console = output.stderr_console()
        self.use_editor = use_editor

    def line(self, prompt: str, default: str = "") -> str:
        """One line of input; the default when the line is empty."""
        if len(default) > INLINE_DEFAULT or "\n" in default:
            # In full, wrapped: a pre-filled motivation cut short cannot be judged.
            self.show(Padding(Text(printable(default), style="dim"), (0, 0, 0, 4)))
            suffix = " [as above]"
        else:
            suffix = f" [{printable(default)}]" if default else ""
        try:
            answer = self.console.input(Text(f"{prompt}{suffix}: ", style="bold"))
        except EOFError:
            self.console.print()  # the prompt's line ends here, not in the error
            raise Cancelled("Stopped before the end; nothing was saved.") from None
        if answer.strip() == "":
            return default
        if answer.strip() == "-":
            return ""
        return answer

    def text(self, prompt: str, default: str = "", guide: Sequence[str] = ()) -> str:
        """A possibly long text: in $EDITOR with --editor (`guide` as comments), else one line."""
        if not self.use_editor:
            return self.line(prompt, default)
        self.console.print(Text(f"{prompt}: opening your editor…", style="dim"))
        return edit_text(default, guide)

    def ask(self, prompt: str, check: Callable[[str], T], default: str = "") -> T:
        """Ask until `check` accepts the answer, showing the reason each time it does not."""
        while True:
            try:
                return check(self.line(prompt, default))
            except InvalidInput as exc:
                self.refused(exc)

    def ask_text(
        self, prompt: str, check: Callable[[str], T], default: str = "", guide: Sequence[str] = ()
    ) -> T:
        """Like `ask`, for a text that may be long."""
        shown = default
        notes: tuple[str, ...] = ()
        while True:
            # Outside the try: an editor that cannot start is an error, not a wrong answer
            # to ask again (that would loop for ever).
            answer = self.text(prompt, shown, (*guide, *notes))
            try:
                return check(answer)
            except InvalidInput as exc:
                self.refused(exc)
                if self.use_editor:
                    # Reopened with what was written and why it was refused, not the old text.
                    shown, notes = answer, tuple(f"Not accepted: {r}" for r in reasons(exc))

    def refused(self, exc: InvalidInput) -> None:
        """Say why an answer was not accepted, one line a problem."""
        for reason in reasons(exc):
            self.warn(reason)

    def warn(self, message: str) -> None:
        """Say why an answer was not accepted."""
        self.console.print(Text(f"  ✗ {message}", style="red"))

    def show(self, renderable: Any) -> None:
        """Print something for the person."""
        self.console.print(renderable)


_INDEXED = re.compile(r"\b(forms|sources|conditions)\[([0-9]+)\]")
_ITEM = {"forms": "form", "sources": "source", "conditions": "condition"}


def counted_from_one(problem: Problem) -> str:
    """A problem as a prompt shows it: 'form 3: …' for the file's 'forms[2]: …'; a path
    without an item number is left out, as the prompt already names the field."""
    text = (
        f"{problem.path}: {problem.message}" if _INDEXED.search(problem.path) else problem.message
    )
    return _INDEXED.sub(lambda found: f"{_ITEM[found[1]]} {int(found[2]) + 1}", text)


def reasons(exc: InvalidInput) -> list[str]:
    """Why an answer at a prompt was refused: one reason, or one for each problem."""
    if isinstance(exc, ValidationFailed):
        return [counted_from_one(problem) for problem in exc.problems]
    return [exc.message]


def editor_file(initial: str, guide: Sequence[str]) -> str:
    """The file the editor opens: the guide as comments above the marker, `initial` below."""
    comments = [f"# {line}".rstrip() for line in guide]
    comments += ["# Write below the line; everything above it is ignored.", EDITOR_MARKER]
    return "\n".join([*comments, initial]) + "\n"


def written_text(content: str) -> str:
    """What was written in the editor: below the marker, or (marker deleted) after the
    leading comment lines."""
    lines = content.splitlines()
    if EDITOR_MARKER in lines:
        lines = lines[lines.index(EDITOR_MARKER) + 1 :]
    else:
        while lines and lines[0].startswith("#"):
            lines.pop(0)
    return "\n".join(lines).strip()


def edit_text(initial: str, guide: Sequence[str] = ()) -> str:
    """Let the person edit `initial` in $VISUAL or $EDITOR and return the result."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise InvalidInput("--editor needs $EDITOR (or $VISUAL) to name your editor.")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        handle.write(editor_file(initial, guide))
        name = handle.name
    try:
        try:
            completed = subprocess.run([*shlex.split(editor), name], check=False)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"Cannot start the editor {editor!r}: {exc}.") from None
        if completed.returncode != 0:
            raise Cancelled(f"The editor exited with code {completed.returncode}; nothing saved.")
        return written_text(Path(name).read_text(encoding="utf-8"))
    finally:
        Path(name).unlink(missing_ok=True)


def split_items(text: str, kept: Sequence[str]) -> list[str]:
    """Sources or conditions typed separated by ';'; the kept ones as they were on Enter."""
    # An item may itself contain ';': splitting the pre-filled default would change it.
    if kept and text == "; ".join(kept):
        return list(kept)
    return [item for item in text.split(";") if item.strip()]


class Weighing:
    """The answers of one interactive weighing, asked in order and changed from the summary."""

    def __init__(self, ui: Interview, previous: Answers | None) -> None:
        from wegings.domain import CRITERIA
        from wegings.notes.answers import answers_to_mapping

        self.ui = ui
        self.data: dict[str, Any] = (
            answers_to_mapping(previous)
            if previous
            else {
                "context": "",
                "criteria": {
                    c.key: {"score": None, "motivation": "", "sources": []} for c in CRITERIA
                },
                "interest": {
                    "added_value": "",
                    "international_obligations": "",
                    "quid_pro_quo": "",
                    "operational_interest": "",
                },
                "cooperation": {"forms": [], "conditions": []},
            }
        )
        # What the summary numbers, from 1: each entry asks its answers again.
        self.entries: list[Callable[[], None]] = [
            self.ask_context,
            *(partial(self.ask_criterion, n, c) for n, c in enumerate(CRITERIA, start=1)),
            *(partial(self.ask_interest, key) for key in INTEREST_PROMPTS),
            self.ask_operational_interest,
            self.ask_conditions,
            self.ask_forms,
        ]

    def profile(self) -> RiskProfile:
        """The risk profile the scores given so far make."""
        from wegings.notes.weighing import risk_profile

        return risk_profile({k: int(v["score"]) for k, v in self.data["criteria"].items()})

    def ask_all(self) -> None:
        """Every answer in order, as a first weighing or a re-assessment asks them."""
        *before, operational, conditions, forms = self.entries
        for entry in before:
            entry()
        self.show_profile()
        for entry in (operational, conditions, forms):
            entry()

    def change(self, number: int) -> None:
        """Ask the answers of summary entry `number` again; then whatever the (possibly new)
        risk profile no longer accepts."""
        from wegings.notes import answers as rules

        before = self.profile()
        self.entries[number - 1]()
        profile = self.profile()
        if profile is not before:
            self.show_profile()
        cooperation, interest = self.data["cooperation"], self.data["interest"]
        follow_ups: list[tuple[Callable[[], object], Callable[[], None]]] = [
            (
                lambda: rules.check_operational_interest(profile, interest["operational_interest"]),
                self.ask_operational_interest,
            ),
            (
                lambda: rules.check_conditions(profile, cooperation["conditions"]),
                self.ask_conditions,
            ),
            (lambda: rules.check_forms_choice(profile, cooperation["forms"]), self.ask_forms),
        ]
        for check, ask in follow_ups:
            try:
                check()
            except InvalidInput as exc:
                self.ui.refused(exc)
                ask()

    def show_profile(self) -> None:
        """The risk profile the scores make, and what it asks for."""
        from wegings.notes.weighing import profile_causes

        scores = {k: int(v["score"]) for k, v in self.data["criteria"].items()}
        if self.profile() is RiskProfile.verhoogd:
            labels = ", ".join(f"{key} ({scores[key]})" for key in profile_causes(scores))
            self.ui.show(
                Text(
                    f"Risk profile: verhoogd (elevated), because of {labels}. The partner will "
                    "be a risicodienst: the weighty operational interest and at least one "
                    "mitigating condition are mandatory.",
                    style="yellow",
                )
            )
        else:
            self.ui.show(
                Text("Risk profile: standaard (every criterion scores 4 or 5).", style="green")
            )

    def ask_context(self) -> None:
        """The developments that prompted the weighing."""
        from wegings.notes import answers as rules

        self.data["context"] = self.ui.ask_text(
            "Context: developments in the country that prompted this weighing (optional)",
            rules.check_text,
            self.data["context"],
            ("Context (context), optional.", CONTEXT_GUIDE),
        )

    def ask_criterion(self, number: int, criterion: Criterion) -> None:
        """The score, motivation and sources of one criterion."""
        from wegings.domain import SCORES
        from wegings.notes import answers as rules

        entry = self.data["criteria"][criterion.key]
        self.ui.show(
            Panel(
                Text(f"{criterion.question_nl}\n{criterion.question_en}"),
                title=f"{number}/5 {criterion.label_nl} ({criterion.key})",
                title_align="left",
            )
        )
        scale = Table(show_header=False, box=None, padding=(0, 1))
        for score in sorted(SCORES, reverse=True):
            level = SCORES[score]
            scale.add_row(str(score), level.label_nl, f"({level.label_en}, risk {level.risk})")
        self.ui.show(scale)
        given = entry["score"]
        score = self.ui.ask("Score 1–5", rules.parse_score, "" if given is None else str(given))
        level = SCORES[score]
        motivation = self.ui.ask_text(
            "Motivation (mandatory, a real sentence)",
            rules.check_motivation,
            entry["motivation"],
            (
                f"Motivation of {number}/5 {criterion.label_nl} ({criterion.label_en}), "
                f"criteria.{criterion.key}.motivation: mandatory, at least one real sentence.",
                criterion.question_nl,
                criterion.question_en,
                f"Score given: {score} {level.label_nl} ({level.label_en}).",
            ),
        )
        kept: Sequence[str] = entry["sources"]
        sources = self.ui.ask(
            "Sources, separated by ';' (optional)",
            lambda text: rules.check_sources(split_items(text, kept)),
            "; ".join(kept),
        )
        self.data["criteria"][criterion.key] = {
            "score": score,
            "motivation": motivation,
            "sources": list(sources),
        }

    def ask_interest(self, key: str) -> None:
        """One of the texts of the interest side that do not depend on the risk profile."""
        from wegings.notes import answers as rules

        prompt, guide = INTEREST_PROMPTS[key]
        check = rules.check_added_value if key == "added_value" else rules.check_text
        self.data["interest"][key] = self.ui.ask_text(
            prompt, check, self.data["interest"][key], (f"{prompt}, interest.{key}.", guide)
        )

    def ask_operational_interest(self) -> None:
        """The weighty operational interest: mandatory when the profile is verhoogd."""
        from wegings.notes import answers as rules

        profile = self.profile()
        prompt = "Zwaarwegend operationeel belang / weighty operational interest" + (
            " (mandatory)" if profile is RiskProfile.verhoogd else " (optional)"
        )
        self.data["interest"]["operational_interest"] = self.ui.ask_text(
            prompt,
            lambda text: rules.check_operational_interest(profile, text),
            self.data["interest"]["operational_interest"],
            (f"{prompt}, interest.operational_interest.", OPERATIONAL_GUIDE),
        )

    def ask_conditions(self) -> None:
        """The conditions and mitigating measures: at least one when the profile is verhoogd."""
        from wegings.notes import answers as rules

        profile = self.profile()
        kept: Sequence[str] = self.data["cooperation"]["conditions"]
        conditions = self.ui.ask(
            "Conditions and mitigating measures, separated by ';'"
            + (" (at least one)" if profile is RiskProfile.verhoogd else " (optional)"),
            lambda text: rules.check_conditions(profile, split_items(text, kept)),
            "; ".join(kept),
        )
        self.data["cooperation"]["conditions"] = list(conditions)

    def ask_forms(self) -> None:
        """The permitted forms of cooperation, by number or key."""
        from wegings.domain import FORMS
        from wegings.notes import answers as rules

        profile = self.profile()
        menu = Table(show_header=False, box=None, padding=(0, 1))
        for number, form in enumerate(FORMS, start=1):
            menu.add_row(str(number), form.key, form.label_nl)
        self.ui.show(Panel(menu, title="Permitted forms of cooperation", title_align="left"))
        forms = self.ui.ask(
            "Permitted forms: numbers or keys, separated by commas",
            lambda text: rules.check_forms_choice(profile, rules.parse_forms(text)),
            ", ".join(self.data["cooperation"]["forms"]),
        )
        self.data["cooperation"]["forms"] = list(forms)


def interview(previous: Answers | None, partner_label: str, *, use_editor: bool) -> Weighing:
    """Ask every answer of a weighing, in order."""
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
    weighing = Weighing(ui, previous)
    weighing.ask_all()
    return weighing


def review(weighing: Weighing, *, confirm: bool) -> Answers:
    """The summary, and (with `confirm`) save, stop, or change a numbered answer and review
    again; the answers to save."""
    from wegings.notes.answers import validate_answers

    ui = weighing.ui
    answers = validate_answers(weighing.data)
    ui.show(summary_table(answers))
    last = len(weighing.entries)
    while confirm:
        reply = ui.line(CONFIRM, "n").strip().lower()
        if reply in {"y", "yes", "j", "ja"}:
            break
        if reply in {"n", "no", "nee"}:
            raise Cancelled("Not saved.")
        if reply.isascii() and reply.isdigit() and 1 <= int(reply) <= last:
            weighing.change(int(reply))
            answers = validate_answers(weighing.data)
            ui.show(summary_table(answers))
        else:
            ui.warn(f"answer y to save, n to stop, or a number from 1 to {last} to change it")
    return answers


def summary_table(answers: Answers) -> Table:
    """Every answer in full, numbered from 1 as the confirmation lets one change them."""
    from wegings.domain import CRITERIA, SCORES

    table = Table(title=f"Summary: risk profile {answers.profile.value}", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Answer")
    table.add_column("Score")
    table.add_column("Text", overflow="fold")

    def text(value: str) -> Text:
        return output.cell(value) if value else Text("none", style="dim")

    table.add_row("1", "Context", "", text(answers.context))
    for number, criterion in enumerate(CRITERIA, start=2):
        answer = answers.criteria[criterion.key]
        sources = f"\nSources: {'; '.join(answer.sources)}" if answer.sources else ""
        table.add_row(
            str(number),
            criterion.label_nl,
            f"{answer.score} {SCORES[answer.score].label_nl}",
            output.cell(answer.motivation + sources),
        )
    interest = answers.interest
    rows = [
        ("Toegevoegde waarde", interest.added_value),
        ("Internationale verplichtingen", interest.international_obligations),
        ("Quid pro quo", interest.quid_pro_quo),
        ("Zwaarwegend operationeel belang", interest.operational_interest),
        ("Conditions", "; ".join(answers.conditions)),
        ("Permitted forms", ", ".join(answers.forms)),
    ]
    for number, (label, value) in enumerate(rows, start=len(CRITERIA) + 2):
        table.add_row(str(number), label, "", text(value))
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
        answers = validate_answers(read_answers_file(answers_file), handle=found.short)
    else:
        try:
            weighing = interview(
                previous.answers if previous else None,
                f"{name} ({found.short})",
                use_editor=editor,
            )
            answers = review(weighing, confirm=not yes)
        except KeyboardInterrupt:
            sys.stderr.write("\n")  # the interrupted prompt's line ends here
            raise Interrupted("Stopped (Ctrl-C); nothing was saved.") from None
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
