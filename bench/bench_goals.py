"""The performance goals, each measured in one run and printed beside its goal.

Runs, in this order: bench_sharing's databases (N items with 10,000 consents and a copy with
--consents, and with --consents-large N when asked); bench_startup's start-up ratios, the check
on the 10,000-consent database; bench_sharing's batches beside SQLite's own lookups, their
memory and their cost as consents grow; what the integrity check costs; and bench_backends'
PostgreSQL beside SQLite (on its own, smaller dataset), when a server is there. Then one table:
each ratio, its goal, whether it is met, and the date and machine. `make bench` runs it under
scripts/with-postgres.sh, which starts a throwaway server.

    python bench/bench_goals.py                          # full size: 15 to 30 minutes
    python bench/bench_goals.py --consents-large 10000000
    python bench/bench_goals.py --quick                  # small sizes: a few minutes
    scripts/with-postgres.sh --required python bench/bench_goals.py --quick
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import bench_backends, bench_sharing, bench_startup
from bench.paired import Machine, markdown_summary, print_summary


def main() -> None:
    """Build, measure everything, print the table of goals."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    bench_sharing.add_arguments(parser)
    parser.add_argument("--startup-rounds", type=int, default=None, help="default 9 (quick: 5)")
    bench_backends.add_arguments(parser, prefix="pg-")
    parser.add_argument(
        "--markdown", type=Path, default=None, help="also write the table to this file, in Markdown"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a measured goal is not met"
    )
    args = parser.parse_args()
    size = bench_sharing.sizes(args)
    server = bench_backends.options(args, prefix="pg-")
    startup_rounds = args.startup_rounds or (5 if args.quick else 9)
    machine = Machine()

    with tempfile.TemporaryDirectory(prefix="wegings-bench-") as temporary:
        where = args.dir or Path(temporary)
        where.mkdir(parents=True, exist_ok=True)
        datasets = bench_sharing.prepare(where, size.items, size.consents, args.seed)
        batch, base = bench_sharing.batch_files(where, size, args.seed)
        note_db = bench_startup.note_database(where / "note.db")
        print(f"\nStart-up ({startup_rounds} rounds)…", flush=True)
        small = datasets[0]
        startup = bench_startup.measure(
            small.path,
            note_db,
            where,
            startup_rounds,
            f"the check on {size.items:,} items, {small.consents:,} consents",
        )
        print(f"Batches ({size.rounds} rounds)…", flush=True)
        figures = bench_sharing.measure_batches(
            datasets, batch, base, size.rows, size.base_rows, size.rounds
        )
        bench_sharing.report(figures, size.rows, size.rounds)
        if size.integrity_rounds:
            bench_sharing.report_integrity(datasets[-1].path, batch, size.integrity_rounds)
        print()
        failed = False
        if not server.url:
            print("No PostgreSQL server (WEGINGS_TEST_DATABASE_URL, --url): not compared.")
            backends = bench_backends.unmeasured()
        else:
            try:
                backends = bench_backends.compare(server, where)
            except SystemExit as stop:  # the other figures of a long run are kept
                print(f"PostgreSQL beside SQLite failed: {stop}", flush=True)
                last = str(stop).strip().splitlines()[-1:] or ["?"]
                backends = bench_backends.unmeasured(f"the comparison failed: {last[0]}")
                failed = True

    goals = [
        *startup,
        *bench_sharing.floor_goals(figures, size.rows, size.rounds),
        backends,
        *bench_sharing.scaling_goals(figures, size.rows, size.rounds),
        bench_sharing.memory_goal(figures, size.rows, size.base_rows, size.rounds),
    ]
    title = (
        f"The performance goals{' (--quick: small sizes)' if args.quick else ''}: "
        f"{size.items:,} items, batches of {size.rows:,} rows"
    )
    print_summary(goals, machine, title=title)
    if args.markdown is not None:
        args.markdown.write_text(markdown_summary(goals, machine), encoding="utf-8")
        print(f"Wrote {args.markdown}.")
    if failed or (args.check and any(goal.met is False for goal in goals)):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
