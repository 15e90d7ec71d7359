"""What the benchmarks share: paired timing of processes, and the table of goals they print.

Machines here are shared and noisy, so every comparison takes turns (A B A B …) and reports
medians, in CPU time of the measured process (user + system, from `os.wait4`, the most stable
figure) as well as wall time; a process's peak memory comes from the same call.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One measured run: wall and CPU seconds, peak memory, and a database server's CPU."""

    wall: float
    cpu: float  # user + system seconds of the process
    max_rss: int = 0  # bytes, the process's peak resident set
    server_cpu: float = 0.0  # seconds the PostgreSQL server's processes spent meanwhile


@dataclass(frozen=True)
class Command:
    """A process to measure: its command line, standard input and environment."""

    argv: Sequence[str]
    stdin: Path | None = None
    env: Mapping[str, str] | None = None
    exit_codes: tuple[int, ...] = (0,)  # the exits that mean it did its job

    def __call__(self) -> Sample:
        """Run it once, output discarded; a failure (another exit) stops the benchmark."""
        return run(self)


def run(command: Command) -> Sample:
    """Run the process once; its wall time, and its CPU time and peak memory from `os.wait4`."""
    with (
        open(command.stdin or os.devnull, "rb") as source,
        tempfile.TemporaryFile() as errors,
    ):
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command.argv),
            stdin=source,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=child_env(os.environ if command.env is None else command.env),
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if process.returncode not in command.exit_codes:
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip().splitlines()[-3:]
            raise SystemExit(
                f"{' '.join(command.argv)} exited {process.returncode}: {' / '.join(said)}"
            )
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return Sample(elapsed, usage.ru_utime + usage.ru_stime, rss)


_BYTECODE: tempfile.TemporaryDirectory[str] | None = None


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` for a measured process, with its bytecode cached as an installed tool has it.

    An editable install compiles wegings' own modules on every start when bytecode is not
    written (PYTHONDONTWRITEBYTECODE, set on some machines); the measured processes share one
    cache directory of this run instead (PYTHONPYCACHEPREFIX), filled by the warm-up round.
    """
    global _BYTECODE
    if _BYTECODE is None:
        _BYTECODE = tempfile.TemporaryDirectory(prefix="wegings-bench-pycache-")
    result = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result["PYTHONPYCACHEPREFIX"] = _BYTECODE.name
    return result


def in_process(action: Callable[[], object]) -> Sample:
    """Run `action` in this process once: its wall and CPU (this process's) seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return Sample(time.perf_counter() - started, time.process_time() - cpu)


def interleaved(
    measurements: Mapping[str, Callable[[], Sample]], rounds: int, *, warmup: int = 1
) -> dict[str, list[Sample]]:
    """Each measurement `rounds` times, taking turns (A B C A B C …), after `warmup` rounds
    that are not kept (they fill the file cache), so that a busy machine weighs on all alike."""
    for _ in range(warmup):
        for measure in measurements.values():
            measure()
    samples: dict[str, list[Sample]] = {name: [] for name in measurements}
    for _ in range(rounds):
        for name, measure in measurements.items():
            samples[name].append(measure())
    return samples


def median(samples: Iterable[Sample], part: str) -> float:
    """The median of one part of the samples ("wall", "cpu", "max_rss", "server_cpu")."""
    values: list[float] = [float(getattr(sample, part)) for sample in samples]
    return statistics.median(values)


def per_row(whole: list[Sample], base: list[Sample], rows: int, part: str) -> float:
    """Seconds per row after start-up: (whole - base) / rows, each the median of its runs.

    `whole` and `base` are runs of the same process on more and fewer rows; `rows` is how
    many more the whole one had.
    """
    return (median(whole, part) - median(base, part)) / rows


def ratio(ours: float, theirs: float) -> float | None:
    """ours / theirs, or None when either is not positive: a cost after start-up that noise
    made zero or negative (the larger batch no slower than the smaller) measures nothing."""
    return ours / theirs if ours > 0 and theirs > 0 else None


NOISE = "not measurable: a larger batch was no slower than a smaller one; more rows or rounds"


@dataclass(frozen=True)
class Goal:
    """A measured ratio beside its goal, and the figures it comes from."""

    what: str
    measured: float | None  # None: not measured in this run
    limit: float
    at_most: bool = True  # the goal is measured ≤ limit (else ≥)
    basis: str = "CPU"  # which figure decides: "CPU", "wall", "peak RSS"
    also: str = ""  # the other figures, e.g. "wall 1.32×"
    detail: str = ""  # what was compared, and how often
    goal_text: str = ""  # the goal as written, when not just ≤ or ≥ the limit

    @property
    def met(self) -> bool | None:
        """Whether the goal is met; None when it was not measured."""
        if self.measured is None:
            return None
        return self.measured <= self.limit if self.at_most else self.measured >= self.limit


def ratio_goal(
    what: str,
    ours: list[Sample],
    theirs: list[Sample],
    limit: float,
    *,
    detail: str,
    at_most: bool = True,
) -> Goal:
    """The goal on the ratio of two processes' medians, decided on CPU, with wall beside it."""
    cpu = median(ours, "cpu") / median(theirs, "cpu")
    wall = median(ours, "wall") / median(theirs, "wall")
    figures = (
        f"{median(ours, 'cpu') * 1e3:,.0f} / {median(theirs, 'cpu') * 1e3:,.0f} ms CPU, "
        f"{median(ours, 'wall') * 1e3:,.0f} / {median(theirs, 'wall') * 1e3:,.0f} ms wall"
    )
    return Goal(
        what, cpu, limit, at_most, "CPU", f"wall {wall:.2f}×", f"{figures}; {detail}".strip("; ")
    )


@dataclass
class Machine:
    """Where and when a run happened, for the README to quote beside its figures."""

    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    load_at_start: float = field(default_factory=lambda: os.getloadavg()[0])

    def describe(self) -> str:
        """Date, cores, memory, load, system, Python and SQLite, on one line."""
        cores = os.cpu_count() or 0
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        one, five, _fifteen = os.getloadavg()
        local = self.started.astimezone()
        return (
            f"{local:%-d %B %Y %H:%M %Z}; {usable} of {cores} cores, {ram:.0f} GiB RAM; load "
            f"average {self.load_at_start:.2f} at the start, {one:.2f} (1 min) {five:.2f} "
            f"(5 min) at the end; {platform.system()} {platform.release()} "
            f"{platform.machine()}, Python {platform.python_version()}, SQLite "
            f"{sqlite3.sqlite_version}"
        )


def print_summary(goals: Sequence[Goal], machine: Machine, *, title: str) -> None:
    """The goals as a table (measured, goal, met, and what was compared), then the machine."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("what")
    table.add_column("measured", justify="right")
    table.add_column("goal", justify="right")
    table.add_column("met", justify="center")
    table.add_column("figures", overflow="fold")
    for goal in goals:
        if goal.measured is None:
            shown, met = "not measured", "[yellow]–[/]"
        else:
            shown = f"{goal.measured:.2f}× {goal.basis}"
            if goal.also:
                shown += f"\n({goal.also})"
            met = "[green]yes[/]" if goal.met else "[red]no[/]"
        wanted = goal.goal_text or f"{'≤' if goal.at_most else '≥'} {goal.limit:g}×"
        table.add_row(goal.what, shown, wanted, met, goal.detail)
    console = Console(width=max(120, Console().width))
    console.print()
    console.print(table)
    console.print(f"Ran {machine.describe()}.", highlight=False)
    reached = sum(goal.met is True for goal in goals)
    measured = sum(goal.met is not None for goal in goals)
    console.print(f"{reached} of {measured} measured goals met.", highlight=False)


def markdown_summary(goals: Sequence[Goal], machine: Machine) -> str:
    """The same table in Markdown, as the README quotes it."""
    lines = ["| what | measured | goal | met |", "| --- | --- | --- | --- |"]
    for goal in goals:
        wanted = goal.goal_text or f"{'≤' if goal.at_most else '≥'} {goal.limit:g}×"
        if goal.measured is None:
            lines.append(f"| {goal.what} | not measured | {wanted} | |")
            continue
        shown = f"{goal.measured:.2f}× {goal.basis}" + (f" ({goal.also})" if goal.also else "")
        lines.append(f"| {goal.what} | {shown} | {wanted} | {'yes' if goal.met else 'no'} |")
    return "\n".join(lines) + f"\n\nRan {machine.describe()}.\n"


def wegings_command(*args: str) -> list[str]:
    """The command line of one `wegings` process, as a user starts it (the console script)."""
    script = Path(sys.executable).with_name("wegings")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "wegings", *args]


def sqlite_env() -> dict[str, str]:
    """This environment without WEGINGS_DATABASE_URL, so that `--db FILE` is what is used."""
    return {k: v for k, v in os.environ.items() if k != "WEGINGS_DATABASE_URL"}
