"""Benchmark of start-up: whole `wegings` processes beside bare imports of what they build on.

Each round runs, in turn, `wegings --help`, `python -c "import typer"`, `wegings --version`,
one `wegings can-share`, `python -c "import sqlmodel"` and one `wegings render --format pdf`;
the figures are the medians of the rounds, in CPU time of the process (decisive: steadier on a
shared machine) and wall time. The check runs on a database built by bench_sharing's builder
(or the one --db names), the render on a small one holding the demo's rvd note.

    python bench/bench_startup.py                 # 9 rounds, a database of 100,000 items
    python bench/bench_startup.py --quick         # 5 rounds, 10,000 items
    python bench/bench_startup.py --db bench.db   # the check on an existing benchmark database
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import bench_sharing
from bench.paired import (
    Command,
    Goal,
    Machine,
    interleaved,
    print_summary,
    ratio_goal,
    sqlite_env,
    wegings_command,
)

HERE = Path(__file__).resolve().parent
ANSWERS = HERE.parent / "scripts" / "demo" / "rvd-standaard.toml"


def note_database(path: Path) -> Path:
    """A database holding one partner with a scored note (the demo's rvd), to render."""
    env = {**sqlite_env(), "WEGINGS_USER": "bench"}
    steps = [
        ("new-partner", "Ruritaanse Veiligheidsdienst", "--short", "rvd", "--country", "XR",
         "--kind", "civil"),
        ("score", "rvd", "--answers", str(ANSWERS)),
    ]  # fmt: skip
    for step in steps:
        Command(wegings_command("--db", str(path), *step), env=env)()
    return path


CHECK = ("can-share", "I0000001", "--to", "p001", "--json")


def check_answers(db: Path) -> None:
    """Stop unless the check gives a decision (exit 1 is a denial, or a database problem)."""
    done = subprocess.run(
        wegings_command("--db", str(db), *CHECK), env=sqlite_env(), capture_output=True, check=False
    )
    try:
        decision = json.loads(done.stdout)["decision"]
    except (ValueError, KeyError, TypeError):
        said = done.stderr.decode(errors="replace").strip()
        raise SystemExit(
            f"can-share on {db} gave no decision ({done.returncode}): {said}"
        ) from None
    print(f"  the check: {decision}", flush=True)


def measure(check_db: Path, note_db: Path, where: Path, rounds: int, about: str) -> list[Goal]:
    """The four start-up ratios, all in one interleaved series of rounds."""
    check_answers(check_db)
    env = sqlite_env()
    python = sys.executable
    pdf = where / "startup.pdf"
    commands = {
        "help": Command(wegings_command("--help"), env=env),
        "typer": Command([python, "-c", "import typer"], env=env),
        "version": Command(wegings_command("--version"), env=env),
        "check": Command(
            wegings_command("--db", str(check_db), *CHECK),
            env=env,
            exit_codes=(0, 1, 3),  # allowed, denied, needs a permission: all answers
        ),
        "sqlmodel": Command([python, "-c", "import sqlmodel"], env=env),
        "render": Command(
            wegings_command(
                "--db", str(note_db), "render", "rvd", "--format", "pdf", "-o", str(pdf), "--force"
            ),
            env=env,
        ),
    }
    s = interleaved(commands, rounds)
    common = f"median of {rounds}, interleaved"
    typer, sqlmodel = '`python -c "import typer"`', '`python -c "import sqlmodel"`'
    note = "the demo's rvd note (standaard, draft)"
    return [
        ratio_goal(f"`wegings --help` / {typer}", s["help"], s["typer"], 1.5, detail=common),
        ratio_goal(f"`wegings --version` / {typer}", s["version"], s["typer"], 1.5, detail=common),
        ratio_goal(
            f"one `wegings can-share` process / {sqlmodel}",
            s["check"], s["sqlmodel"], 0.6, detail=f"{common}; {about}",
        ),
        ratio_goal(
            f"one `wegings render --format pdf` process / {sqlmodel}",
            s["render"], s["sqlmodel"], 1.2, detail=f"{common}; {note}",
        ),
    ]  # fmt: skip


def main() -> None:
    """Build the databases (unless given), measure, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds, 10,000 items")
    parser.add_argument("--rounds", type=int, default=None, help="default 9 (quick: 5)")
    parser.add_argument("--items", type=int, default=None, help="default 100,000 (quick 10,000)")
    parser.add_argument("--db", type=Path, default=None, help="an existing benchmark database")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rounds = args.rounds or (5 if args.quick else 9)
    items = args.items or (10_000 if args.quick else 100_000)
    machine = Machine()
    with tempfile.TemporaryDirectory(prefix="wegings-bench-") as temporary:
        where = Path(temporary)
        check_db = args.db
        about = f"the check on {args.db}"
        if check_db is None:
            check_db = where / "bench.db"
            consents = bench_sharing.SMALL_CONSENTS
            print(f"Building {items:,} items, {consents:,} consents…", flush=True)
            bench_sharing.build(check_db, items, consents, args.seed)
            about = f"the check on {items:,} items, {consents:,} consents"
        note_db = note_database(where / "note.db")
        goals = measure(check_db, note_db, where, rounds, about)
    print_summary(goals, machine, title="Start-up")


if __name__ == "__main__":
    main()
