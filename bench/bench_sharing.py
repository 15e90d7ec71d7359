"""Benchmark of `can-share --batch`: cost per check as consents grow, beside SQLite's own lookups.

Builds a database (schema by the real migrations) with 200 partners, N items and 10,000
consents, and copies of it with more consents (--consents, default 1,000,000; --consents-large
N for one more, e.g. 10,000,000). The bulk data is inserted with raw SQL in one transaction,
then given one audit event per row (the snapshot wegings would have written, hash-chained),
since a check relies only on records that match their events. Then, every database in every
round (A B C A B C …, medians of --rounds), it measures:

- the batch of all rows (--rows, default 100,000) and of its first --base-rows (1,000): a
  check's cost after start-up is the difference over the rows between, in CPU time of the
  batch process (decisive) and wall time; the ratio of that cost at more consents to that at
  10,000;
- SQLite's own per-row lookups for the same rows on the same database (plain sqlite3: the item
  by its reference, its consents by originator, holder and item), CPU per row, and the batch's
  CPU per check over it;
- the batch process's peak memory (max RSS) at the base rows and at all rows.

Last, in one process, what holding every record to its audit event costs (the same checks with
and without that integrity check, paired). The start-up of single processes is
bench_startup's; bench_goals runs both and PostgreSQL beside SQLite in one table.

    python bench/bench_sharing.py                        # 1,000,000 items and consents
    python bench/bench_sharing.py --consents-large 10000000
    python bench/bench_sharing.py --quick                # 20,000 items, 100,000 consents
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.paired import (
    NOISE,
    Command,
    Goal,
    Machine,
    Sample,
    in_process,
    interleaved,
    median,
    per_row,
    print_summary,
    ratio,
    sqlite_env,
    wegings_command,
)
from wegings.config import Location
from wegings.store.engine import session_scope
from wegings.store.stored import stored_datetime_text

PARTNERS = 200
GROUP_MEMBERS = 12
SMALL_CONSENTS = 10_000
EVENT_CHUNK = 50_000
TAGS = ("ct", "cyber", "proliferatie", "spionage", "extremisme")
FORMS_STANDARD = ["knowledge_exchange", "evaluated_data", "personal_data", "unevaluated_data"]
FORMS_ELEVATED = ["knowledge_exchange", "evaluated_data", "personal_data"]


def stamp(moment: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it on SQLite (naive, microseconds)."""
    return stored_datetime_text(moment)


def add_events(path: Path, start_seq: int = 0, prev: str = "0" * 64) -> tuple[int, str]:
    """One audit event for every row that has none yet, as wegings would have written it.

    Taken EVENT_CHUNK rows at a time (by id), so that 10,000,000 consents fit in memory.
    """
    from types import SimpleNamespace

    from wegings.sharing.records import record_kinds
    from wegings.store.audit import event_hash

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("BEGIN")
    at = datetime.now(UTC) - timedelta(days=62)
    seq = start_seq
    for kind in record_kinds().values():
        last = -1
        while True:
            rows = connection.execute(
                f"SELECT {kind.select('t')} FROM {kind.table} t WHERE t.id > ? AND NOT EXISTS "  # noqa: S608
                f"(SELECT 1 FROM audit_event e WHERE e.entity = '{kind.entity}' AND e.entity_id "
                f"= CAST(t.id AS TEXT)) ORDER BY t.id LIMIT {EVENT_CHUNK}",
                (last,),
            ).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            batch = []
            for values in rows:
                seq += 1
                event = SimpleNamespace(
                    seq=seq, at=at, actor="bench", action=f"{kind.entity}.bench",
                    entity=kind.entity, entity_id=str(values[0]),
                    change=kind.snapshot_text(kind.read(values, lambda: kind.entity)),  # noqa: B023
                    prev_hash=prev, hash="",
                )  # fmt: skip
                event.hash = prev = event_hash(event)  # type: ignore[arg-type]
                batch.append(
                    (event.seq, stamp(at), "bench", event.action, event.entity, event.entity_id,
                     event.change, event.prev_hash, event.hash)
                )  # fmt: skip
            connection.executemany(
                "INSERT INTO audit_event (seq, at, actor, action, entity, entity_id, change, "
                "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
    connection.execute("COMMIT")
    connection.close()
    return seq, prev


def integrity_cost(db: Path, batch: Path, rounds: int) -> tuple[float, float, float, float]:
    """µs per check and ms per opened reader, with and without the integrity check, paired.

    The same rows are checked in one process, alternating the two kinds of reader round by
    round, so both see the same cache and clock conditions.
    """
    from wegings.sharing.batch import read_rows, run_batch
    from wegings.sharing.store import SharingReader, live_now

    rows = list(read_rows(batch.read_text(encoding="utf-8").splitlines(keepends=True)))
    per_check: dict[bool, list[float]] = {True: [], False: []}
    per_open: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for verify in (True, False):
            with session_scope(Location(path=db), write=False) as session:
                now = live_now(session)
                started = time.perf_counter()
                reader = SharingReader(session, service_name="AIVD", verify_records=verify)
                opened = time.perf_counter()
                errors = sum(r.result is None for r in run_batch(reader, rows, now=now))
                done = time.perf_counter()
            assert errors < len(rows), "every check failed: the benchmark data is not intact"
            per_open[verify].append(opened - started)
            per_check[verify].append((done - opened) / len(rows))
    return (
        statistics.median(per_check[True]) * 1e6,
        statistics.median(per_check[False]) * 1e6,
        statistics.median(per_open[True]) * 1e3,
        statistics.median(per_open[False]) * 1e3,
    )


def shorts() -> list[str]:
    """The benchmark partners' handles."""
    return [f"p{n:03d}" for n in range(PARTNERS)]


def usual_recipient(item: int, origin: int) -> int:
    """The partner an item most often goes to: half the consents and a quarter of the checks."""
    return (origin + 1 + item % (PARTNERS - 2)) % PARTNERS


def build(path: Path, items: int, consents: int, seed: int) -> float:
    """Create the schema with the migrations, then bulk-insert partners, items and consents."""
    started = time.perf_counter()
    with session_scope(Location(path=path), write=True):
        pass  # creates the file and runs every migration
    rng = random.Random(seed)
    now = datetime.now(UTC)
    long_ago = stamp(now - timedelta(days=60))
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("BEGIN")
    names = shorts()
    connection.executemany(
        "INSERT INTO partner (id, short, name, country, kind, notes, created_at, created_by) "
        "VALUES (?, ?, ?, 'XR', 'civil', '', ?, 'bench')",
        [(n + 1, short, f"Dienst {short}", long_ago) for n, short in enumerate(names)],
    )
    connection.execute(
        "INSERT INTO partner_group (id, key, name, created_at, created_by) "
        "VALUES (1, 'ctg', 'CTG', ?, 'bench')",
        (long_ago,),
    )
    connection.executemany(
        "INSERT INTO group_membership (group_id, partner_id, added_at, added_by) "
        "VALUES (1, ?, ?, 'bench')",
        [(n + 1, long_ago) for n in range(GROUP_MEMBERS)],
    )
    established = now - timedelta(days=30)
    notes = []
    establishments = []
    for n in range(PARTNERS):
        if n % 20 == 19:
            continue  # some partners have no note
        elevated = n % 5 == 4
        forms = FORMS_ELEVATED if elevated else FORMS_STANDARD
        notes.append(
            (n + 1, n + 1, stamp(established), "verhoogd" if elevated else "standaard", forms)
        )
        review = established + timedelta(days=365 if elevated else 730)
        establishments.append((n + 1, n + 1, stamp(established), stamp(review)))
    connection.executemany(
        "INSERT INTO note_version (id, partner_id, version, created_at, author, profile, forms, "
        "answers, based_on) VALUES (?, ?, 1, ?, 'bench', ?, ?, '{}', NULL)",
        [(i, p, at, profile, json.dumps(forms)) for i, p, at, profile, forms in notes],
    )
    connection.executemany(
        "INSERT INTO note_establishment (note_id, partner_id, role, established_by, "
        "established_at, review_due, decision) VALUES (?, ?, 'minister', 'minister', ?, ?, '')",
        establishments,
    )
    connection.executemany(
        "INSERT INTO partner_flag (partner_id, reason, observed_on, recorded_at, recorded_by) "
        "VALUES (?, 'Onrust (bench)', ?, ?, 'bench')",
        [
            (n + 1, (now - timedelta(days=5)).date().isoformat(), stamp(now - timedelta(days=5)))
            for n in range(7, PARTNERS, 40)
        ],
    )
    origin_of = [rng.randrange(PARTNERS) for _ in range(items)]

    def item_rows() -> Iterator[tuple[object, ...]]:
        for n in range(items):
            origin = names[origin_of[n]]
            personal = rng.random() < 0.2
            unevaluated = rng.random() < 0.05
            yield (
                n + 1,
                f"I{n:07d}",
                origin,
                origin,
                (now - timedelta(days=61)).date().isoformat(),
                personal,
                unevaluated,
                long_ago,
            )

    connection.executemany(
        "INSERT INTO item (id, ref, originator, received_from, received_on, personal_data, "
        "unevaluated, classification, subject, recorded_at, recorded_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, '', '', ?, 'bench')",
        item_rows(),
    )
    connection.executemany(
        "INSERT INTO item_tag (item_id, tag) VALUES (?, ?)",
        ((n + 1, TAGS[n % len(TAGS)]) for n in range(items) if n % 3 == 0),
    )
    connection.executemany(
        "INSERT INTO permission (item_id, recipient, role, valid_from, valid_until, reason, "
        "ctivd_notified, recorded_at, recorded_by) "
        "VALUES (?, ?, 'minister', ?, ?, 'bench', 1, ?, 'bench')",
        (
            (
                rng.randrange(items) + 1,
                names[rng.randrange(PARTNERS)],
                long_ago,
                stamp(now + timedelta(days=90)),
                long_ago,
            )
            for _ in range(max(1, items // 100))
        ),
    )
    connection.execute("COMMIT")
    connection.close()
    add_consents(path, items, origin_of, 0, min(consents, SMALL_CONSENTS), seed)
    add_events(path)
    return time.perf_counter() - started


def add_consents(
    path: Path, items: int, origin_of: list[int] | None, start: int, stop: int, seed: int
) -> None:
    """Insert consents number start..stop-1 (1% standing consents for a tag, with an end)."""
    rng = random.Random(seed * 7919 + start)
    now = datetime.now(UTC)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")
    if origin_of is None:
        origin_of = [0] * (items + 1)
        for item_id, originator in connection.execute("SELECT id, originator FROM item"):
            origin_of[item_id - 1] = int(originator[1:])
    names = shorts()
    long_ago = stamp(now - timedelta(days=59))
    until = stamp(now + timedelta(days=365))

    def rows() -> Iterator[tuple[object, ...]]:
        for _ in range(start, stop):
            item = rng.randrange(items)
            origin = origin_of[item]
            draw = rng.random()
            if draw < 0.05:
                recipient = "ctg"
            elif draw < 0.5:
                recipient = names[usual_recipient(item, origin)]
            else:
                recipient = names[(origin + rng.randrange(1, PARTNERS - 1)) % PARTNERS]
            if rng.random() < 0.01:
                yield (
                    names[origin],
                    recipient,
                    None,
                    TAGS[rng.randrange(len(TAGS))],
                    long_ago,
                    until,
                    long_ago,
                )
            else:
                yield (names[origin], recipient, item + 1, None, long_ago, None, long_ago)

    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO consent (originator, holder, recipient, item_id, tag, purpose, valid_from, "
        "valid_until, conditions, reference, recorded_at, recorded_by) "
        "VALUES (?, 'self', ?, ?, ?, NULL, ?, ?, '[]', '', ?, 'bench')",
        rows(),
    )
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    last = connection.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
    head = last.fetchone()
    connection.close()
    if head is not None:
        add_events(path, head[0], head[1])


def write_rows(path: Path, rows: int, items: int, seed: int) -> None:
    """A CSV batch of checks: a quarter to an item's usual recipient, 2% to the CTG."""
    rng = random.Random(seed + 1)
    origin_of = random.Random(seed)
    origins = [origin_of.randrange(PARTNERS) for _ in range(items)]  # as build() drew them
    names = shorts()
    with path.open("w", encoding="utf-8") as out:
        out.write("item,to\n")
        for _ in range(rows):
            item = rng.randrange(items)
            draw = rng.random()
            if draw < 0.02:
                to = "ctg"
            elif draw < 0.27:
                to = names[usual_recipient(item, origins[item])]
            else:
                to = names[rng.randrange(PARTNERS)]
            out.write(f"I{item:07d},{to}\n")


def wegings(db: Path, *args: str) -> list[str]:
    """The command line of one wegings process on the benchmark database."""
    return wegings_command("--db", str(db), *args)


def remove(db: Path) -> None:
    """Delete a database file and its write-ahead log, if they exist."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


@dataclass(frozen=True)
class Dataset:
    """One benchmark database and how many consents it holds."""

    consents: int
    path: Path


def prepare(where: Path, items: int, sizes: list[int], seed: int) -> list[Dataset]:
    """The database with SMALL_CONSENTS consents, and a copy for each larger count.

    Each copy is grown from the one before it (a consistent SQLite backup, then more consents
    and their events), so the rows checked and everything but the consents stay the same.
    """
    small = where / "bench.db"
    remove(small)
    print(
        f"Building {PARTNERS} partners, {items:,} items, {SMALL_CONSENTS:,} consents (bulk SQL, "
        "then their audit events)…",
        flush=True,
    )
    print(f"  built in {build(small, items, SMALL_CONSENTS, seed):.1f} s", flush=True)
    datasets = [Dataset(SMALL_CONSENTS, small)]
    for consents in sorted(set(sizes)):
        if consents <= datasets[-1].consents:
            continue
        copy = where / f"bench-{consents}.db"
        remove(copy)
        started = time.perf_counter()
        with (
            contextlib.closing(sqlite3.connect(datasets[-1].path)) as source,
            contextlib.closing(sqlite3.connect(copy)) as target,
        ):
            source.backup(target)  # a consistent copy, whatever the write-ahead log holds
        add_consents(copy, items, None, datasets[-1].consents, consents, seed)
        print(
            f"  a copy with consents up to {consents:,} in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        datasets.append(Dataset(consents, copy))
    return datasets


# SQLite settings of a batch's connection (SharingReader.read_many), which the floor uses too.
BATCH_CACHE_KIB = 65_536
BATCH_MMAP_BYTES = 1 << 30


def lookup_floor(db: Path, refs: list[str]) -> Callable[[], Sample]:
    """SQLite's own per-row lookups for the rows, measured in this process.

    What a minimal lookup needs, with plain sqlite3 on a fresh read-only connection with a
    batch's settings: for each row the item by its reference (the rows name no originator: the
    index a check uses then), and the consents on that item by its originator, holder and id
    (the index a check uses), every column of every row fetched. No tags, standing consents,
    revocations, permissions or audit events: this is the floor, not a check.
    """

    def lookups() -> None:
        connection = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            connection.execute(f"PRAGMA cache_size = -{BATCH_CACHE_KIB}")
            connection.execute(f"PRAGMA mmap_size = {BATCH_MMAP_BYTES}")
            for ref in refs:
                item = connection.execute("SELECT * FROM item WHERE ref = ?", (ref,)).fetchone()
                connection.execute(
                    "SELECT * FROM consent WHERE originator = ? AND holder = 'self' "
                    "AND item_id = ?",
                    (item[2], item[0]),  # the item's originator and id
                ).fetchall()
        finally:
            connection.close()

    return lambda: in_process(lookups)


def batch_command(db: Path, rows: Path) -> Command:
    """One `can-share --batch` process on the database, the rows on its standard input."""
    return Command(
        wegings(db, "can-share", "--batch", "-", "--json"),
        stdin=rows,
        env=sqlite_env(),
        exit_codes=(0, 1, 3),  # the worst row allowed, denied, or needing a permission
    )


def check_batch(db: Path, rows: Path) -> None:
    """Stop when a batch on the database has an error row: the data would not be intact."""
    with rows.open("rb") as source:
        done = subprocess.run(
            wegings(db, "can-share", "--batch", "-", "--json"),
            env=sqlite_env(),
            stdin=source,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
    summary = done.stderr.decode(errors="replace").strip()
    if done.returncode not in (0, 1, 3) or " 0 errors" not in summary:
        raise SystemExit(f"The batch on {db} failed ({done.returncode}): {summary}")


@dataclass(frozen=True)
class BatchFigures:
    """What the batch measured on one database: seconds per check and per floor row, memory."""

    consents: int
    cpu: float  # CPU seconds per check after start-up, of the batch process
    wall: float
    floor_cpu: float  # CPU seconds per row of SQLite's own lookups
    floor_wall: float
    rss_base: float  # bytes: median peak resident set of the batch of base rows
    rss_full: float  # … and of the batch of all rows


def measure_batches(
    datasets: list[Dataset], batch: Path, base: Path, rows: int, base_rows: int, rounds: int
) -> list[BatchFigures]:
    """The batch of all rows, the batch of the first base_rows and the floor, on each database.

    All take turns (A B C A B C …, every database in every round); a check's cost is (all
    rows - base rows) / (rows - base_rows), so that start-up drops out, each the median of
    `rounds`. The floor's rows are the whole batch's.
    """
    refs = [line.split(",", 1)[0] for line in batch.read_text(encoding="utf-8").splitlines()[1:]]
    measurements: dict[str, Callable[[], Sample]] = {}
    for dataset in datasets:
        check_batch(dataset.path, base)
        measurements[f"{dataset.consents}/full"] = batch_command(dataset.path, batch)
        measurements[f"{dataset.consents}/base"] = batch_command(dataset.path, base)
        measurements[f"{dataset.consents}/floor"] = lookup_floor(dataset.path, refs)
    samples = interleaved(measurements, rounds)
    figures = []
    for dataset in datasets:
        full, few = samples[f"{dataset.consents}/full"], samples[f"{dataset.consents}/base"]
        floor = samples[f"{dataset.consents}/floor"]
        figures.append(
            BatchFigures(
                consents=dataset.consents,
                cpu=per_row(full, few, rows - base_rows, "cpu"),
                wall=per_row(full, few, rows - base_rows, "wall"),
                floor_cpu=median(floor, "cpu") / len(refs),
                floor_wall=median(floor, "wall") / len(refs),
                rss_base=median(few, "max_rss"),
                rss_full=median(full, "max_rss"),
            )
        )
    return figures


FLAT = 1.1
"""A batch's memory counts as flat when the peak at the most rows is at most this times the
peak at the fewest (what the allocator and the caches may vary)."""


def report(figures: list[BatchFigures], rows: int, rounds: int) -> None:
    """The batch figures of each database, one line each."""
    print(
        f"can-share --batch of {rows:,} rows (median of {rounds}, the databases taking turns; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores):"
    )
    for f in figures:
        print(
            f"  at {f.consents:>10,} consents: {1 / f.wall:>7,.0f} checks/s, {1 / f.cpu:>7,.0f} "
            f"per CPU second ({f.cpu * 1e6:.0f} µs); SQLite's own lookups {f.floor_cpu * 1e6:.1f}"
            f" µs CPU per row; peak RSS {f.rss_base / 2**20:.0f} MiB (base rows), "
            f"{f.rss_full / 2**20:.0f} MiB (all rows)"
        )


def floor_goals(figures: list[BatchFigures], rows: int, rounds: int) -> list[Goal]:
    """The batch's CPU per check over SQLite's own lookups for the same rows, per database."""
    return [
        Goal(
            "batch CPU per check / SQLite's own per-row lookups (item + its consents), at "
            f"{f.consents:,} consents",
            ratio(f.cpu, f.floor_cpu),
            2.0,
            also=f"wall {f.wall / f.floor_wall:.2f}×",
            detail=("" if ratio(f.cpu, f.floor_cpu) else f"{NOISE}; ")
            + f"{f.cpu * 1e6:.0f} / {f.floor_cpu * 1e6:.1f} µs CPU per row, "
            f"{f.wall * 1e6:.0f} / {f.floor_wall * 1e6:.1f} µs wall; {rows:,} rows, median of "
            f"{rounds}, interleaved; the floor: plain sqlite3, the item by its reference and "
            "its consents by originator, holder and item",
        )
        for f in figures
    ]


def scaling_goals(figures: list[BatchFigures], rows: int, rounds: int) -> list[Goal]:
    """The per-check cost at each larger number of consents over that at the smallest."""
    small = figures[0]
    return [
        Goal(
            f"per-check cost at {f.consents:,} consents / at {small.consents:,}",
            ratio(f.cpu, small.cpu),
            1.5,
            also=f"wall {f.wall / small.wall:.2f}×",
            detail=("" if ratio(f.cpu, small.cpu) else f"{NOISE}; ")
            + f"{f.cpu * 1e6:.0f} / {small.cpu * 1e6:.0f} µs CPU per check "
            f"({1 / f.cpu:,.0f} / {1 / small.cpu:,.0f} checks per CPU second, "
            f"{1 / f.wall:,.0f} / {1 / small.wall:,.0f} per second); {rows:,} rows, median "
            f"of {rounds}, the databases taking turns",
        )
        for f in figures[1:]
    ]


def memory_goal(figures: list[BatchFigures], rows: int, base_rows: int, rounds: int) -> Goal:
    """The batch's peak memory at all rows over that at the base rows (smallest database)."""
    f = figures[0]
    return Goal(
        f"batch memory, {base_rows:,} rows vs {rows:,}",
        f.rss_full / f.rss_base,
        FLAT,
        basis="peak RSS",
        detail=f"{f.rss_base / 2**20:.0f} / {f.rss_full / 2**20:.0f} MiB peak RSS of the batch "
        f"process at {base_rows:,} / {rows:,} rows, {f.consents:,} consents; median of {rounds}",
        goal_text=f"flat (≤ {FLAT:g}×)",
    )


def report_integrity(db: Path, batch: Path, rounds: int) -> None:
    """What holding every record to its audit event costs, paired in one process."""
    with_check, without, open_with, open_without = integrity_cost(db, batch, rounds)
    print(
        f"Integrity check (counts and records relied on against their audit events), on {db.name}"
        f": {with_check:.1f} µs per check with, {without:.1f} µs without "
        f"({with_check - without:+.1f} µs, {with_check / without:.2f}x); opening a reader "
        f"{open_with:.1f} ms with, {open_without:.1f} ms without "
        f"(median of {rounds}, paired)"
    )


@dataclass(frozen=True)
class Sizes:
    """How big a run is: the databases, the batches and how often each is measured."""

    items: int
    consents: list[int]  # the larger numbers of consents, beside SMALL_CONSENTS
    rows: int
    base_rows: int
    rounds: int
    integrity_rounds: int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that size a run (shared with bench_goals)."""
    parser.add_argument("--quick", action="store_true", help="small sizes, to try in minutes")
    parser.add_argument("--items", type=int, help="default 1,000,000 (quick: 20,000)")
    parser.add_argument(
        "--consents",
        type=int,
        help=f"consents of the copy compared with {SMALL_CONSENTS:,}: default 1,000,000 "
        "(quick: 100,000)",
    )
    parser.add_argument(
        "--consents-large",
        type=int,
        default=None,
        metavar="N",
        help="also a copy with N consents, e.g. 10000000 (it takes a while to build)",
    )
    parser.add_argument("--rows", type=int, help="rows of the batch: default 100,000 (quick 5,000)")
    parser.add_argument(
        "--base-rows",
        type=int,
        default=1_000,
        help="rows of the batch whose time is subtracted (start-up) and whose memory is compared",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of paired batches")
    parser.add_argument(
        "--integrity-rounds", type=int, help="default 3 (quick: 1); 0 leaves it out"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--dir", type=Path, default=None, help="keep the databases here")


def sizes(args: argparse.Namespace) -> Sizes:
    """The sizes the options ask for, --quick giving the defaults its smaller ones."""
    quick = bool(args.quick)
    consents = [args.consents or (100_000 if quick else 1_000_000)]
    if args.consents_large:
        consents.append(args.consents_large)
    rows = args.rows or (5_000 if quick else 100_000)
    if args.base_rows >= rows:
        raise SystemExit(f"--base-rows ({args.base_rows:,}) must be below --rows ({rows:,}).")
    integrity = args.integrity_rounds
    return Sizes(
        items=args.items or (20_000 if quick else 1_000_000),
        consents=consents,
        rows=rows,
        base_rows=args.base_rows,
        rounds=args.rounds,
        integrity_rounds=(1 if quick else 3) if integrity is None else integrity,
    )


def batch_files(where: Path, size: Sizes, seed: int) -> tuple[Path, Path]:
    """The batch of all rows and the batch of its first base rows."""
    batch, base = where / "batch.csv", where / "base.csv"
    write_rows(batch, size.rows, size.items, seed)
    write_rows(base, size.base_rows, size.items, seed)  # the same draws: the first rows
    return batch, base


def main() -> None:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    size = sizes(args)
    machine = Machine()
    with tempfile.TemporaryDirectory(prefix="wegings-bench-") as temporary:
        where = args.dir or Path(temporary)
        where.mkdir(parents=True, exist_ok=True)
        datasets = prepare(where, size.items, size.consents, args.seed)
        batch, base = batch_files(where, size, args.seed)
        figures = measure_batches(datasets, batch, base, size.rows, size.base_rows, size.rounds)
        report(figures, size.rows, size.rounds)
        if size.integrity_rounds:
            report_integrity(datasets[-1].path, batch, size.integrity_rounds)
    goals = [
        *floor_goals(figures, size.rows, size.rounds),
        *scaling_goals(figures, size.rows, size.rounds),
        memory_goal(figures, size.rows, size.base_rows, size.rounds),
    ]
    print_summary(goals, machine, title=f"can-share --batch, {size.items:,} items")


if __name__ == "__main__":
    main()
