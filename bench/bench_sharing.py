"""Benchmark of can-share: start-up of one check, and batch throughput as consents grow.

Builds a database (schema by the real migrations) with 200 partners, N items and M consents,
then measures:

(a) the wall time of one `wegings can-share` process next to a bare
    `python -c "import sqlmodel"` process (median of several runs each, interleaved);
(b) batch throughput (checks per second after start-up, in wall time and per CPU second of the
    batch process) for 100,000 rows with 10,000 consents and, on a copy, with M consents, the
    two databases taking turns (A B A B), and the ratio of the per-check costs.

The bulk data is inserted with raw SQL in one transaction, then given one audit event per
row (the snapshot wegings would have written, hash-chained), since a check relies only on
records that match their events. (c) pairs, in one process, the same checks with and
without that integrity check, and prints what it costs per check and per opened reader.

    python bench/bench_sharing.py                              # full size: 1,000,000 each
    python bench/bench_sharing.py --items 50000 --consents 50000 --rows 20000   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wegings.config import Location
from wegings.store.engine import session_scope
from wegings.store.stored import stored_datetime_text

PARTNERS = 200
GROUP_MEMBERS = 12
SMALL_CONSENTS = 10_000
TAGS = ("ct", "cyber", "proliferatie", "spionage", "extremisme")
FORMS_STANDARD = ["knowledge_exchange", "evaluated_data", "personal_data", "unevaluated_data"]
FORMS_ELEVATED = ["knowledge_exchange", "evaluated_data", "personal_data"]


def stamp(moment: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it on SQLite (naive, microseconds)."""
    return stored_datetime_text(moment)


def add_events(path: Path, start_seq: int = 0, prev: str = "0" * 64) -> tuple[int, str]:
    """One audit event for every row that has none yet, as wegings would have written it."""
    from types import SimpleNamespace

    from wegings.sharing.records import record_kinds
    from wegings.store.audit import event_hash

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("BEGIN")
    at = datetime.now(UTC) - timedelta(days=62)
    seq = start_seq
    for kind in record_kinds().values():
        rows = connection.execute(
            f"SELECT {kind.select('t')} FROM {kind.table} t WHERE NOT EXISTS (SELECT 1 FROM "  # noqa: S608
            f"audit_event e WHERE e.entity = '{kind.entity}' AND e.entity_id = CAST(t.id AS TEXT))"
        ).fetchall()
        batch = []
        for values in rows:
            seq += 1
            event = SimpleNamespace(
                seq=seq, at=at, actor="bench", action=f"{kind.entity}.bench", entity=kind.entity,
                entity_id=str(values[0]),
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


def run(command: list[str], stdin: Path | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one process, from start to exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(stdin or "/dev/null", "rb") as source:
        subprocess.run(
            command, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def wall(command: list[str], stdin: Path | None = None) -> float:
    """Seconds one process takes, from start to exit."""
    return run(command, stdin)[0]


def wegings(db: Path, *args: str) -> list[str]:
    """The command line of one wegings process on the benchmark database."""
    return [sys.executable, "-m", "wegings", "--db", str(db), *args]


def startup(db: Path, runs: int) -> tuple[float, float]:
    """Median seconds of one can-share process and of `python -c "import sqlmodel"`."""
    check = wegings(db, "can-share", "I0000001", "--to", "p001", "--json")
    bare = [sys.executable, "-c", "import sqlmodel"]
    wall(check)  # warm the file cache
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(wall(check))
        theirs.append(wall(bare))
    return statistics.median(ours), statistics.median(theirs)


def throughput(
    dbs: list[Path], batch: Path, one: Path, rows: int, runs: int
) -> list[tuple[float, float]]:
    """Checks per second after start-up for each database, wall and per CPU second.

    (rows - 1) / (a batch of all rows - a batch of one row), each the median of `runs`; the
    databases and the two batches take turns (A B A B), so that a busy machine weighs on all
    of them alike.
    """
    commands = [wegings(db, "can-share", "--batch", "-", "--json") for db in dbs]
    for command in commands:
        run(command, one)  # warm the file cache
    full: list[list[tuple[float, float]]] = [[] for _ in dbs]
    base: list[list[tuple[float, float]]] = [[] for _ in dbs]
    for _ in range(runs):
        for index, command in enumerate(commands):
            full[index].append(run(command, batch))
            base[index].append(run(command, one))
    rates = []
    for whole, single in zip(full, base, strict=True):
        wall_cost = statistics.median(w for w, _ in whole) - statistics.median(w for w, _ in single)
        cpu_cost = statistics.median(c for _, c in whole) - statistics.median(c for _, c in single)
        rates.append(((rows - 1) / wall_cost, (rows - 1) / cpu_cost))
    return rates


def main() -> None:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--consents", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs per batch measurement")
    parser.add_argument("--startup-runs", type=int, default=9)
    parser.add_argument("--integrity-rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--dir", type=Path, default=None, help="keep the database here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wegings-bench-") as temporary:
        where = args.dir or Path(temporary)
        where.mkdir(parents=True, exist_ok=True)
        db = where / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        print(
            f"Building {PARTNERS} partners, {args.items:,} items, "
            f"{min(args.consents, SMALL_CONSENTS):,} consents (bulk SQL, then their audit "
            "events)…",
            flush=True,
        )
        built = build(db, args.items, args.consents, args.seed)
        print(f"  built in {built:.1f} s")
        batch = where / "batch.csv"
        one = where / "one.csv"
        write_rows(batch, args.rows, args.items, args.seed)
        write_rows(one, 1, args.items, args.seed)

        ours, bare = startup(db, args.startup_runs)
        print(
            f"(a) one can-share process: {ours * 1000:.0f} ms; python -c 'import sqlmodel': "
            f"{bare * 1000:.0f} ms; ratio {ours / bare:.2f} (median of {args.startup_runs})"
        )
        small_count = min(args.consents, SMALL_CONSENTS)
        dbs = [db]
        if args.consents > SMALL_CONSENTS:
            large_db = where / "bench-large.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{large_db}{suffix}").unlink(missing_ok=True)
            with sqlite3.connect(db) as source, sqlite3.connect(large_db) as copy:
                source.backup(copy)  # a consistent copy, whatever the write-ahead log holds
            started = time.perf_counter()
            add_consents(large_db, args.items, None, SMALL_CONSENTS, args.consents, args.seed)
            print(
                f"    (a copy with consents up to {args.consents:,} in "
                f"{time.perf_counter() - started:.1f} s)"
            )
            dbs.append(large_db)
        rates = throughput(dbs, batch, one, args.rows, args.runs)
        load = os.getloadavg()[0]
        print(
            f"(b) batch of {args.rows:,} rows at {small_count:,} consents: "
            f"{rates[0][0]:,.0f} checks/s, {rates[0][1]:,.0f} checks per CPU second "
            f"(median of {args.runs}, paired; load average {load:.2f} on {os.cpu_count()} cores)"
        )
        if len(rates) > 1:
            print(
                f"    batch of {args.rows:,} rows at {args.consents:,} consents: "
                f"{rates[1][0]:,.0f} checks/s, {rates[1][1]:,.0f} checks per CPU second"
            )
            print(
                f"    per-check cost at {args.consents:,} / at {small_count:,} consents: "
                f"{rates[0][0] / rates[1][0]:.2f}x wall, {rates[0][1] / rates[1][1]:.2f}x CPU"
            )
            db = dbs[-1]
        with_check, without, open_with, open_without = integrity_cost(
            db, batch, args.integrity_rounds
        )
        print(
            f"(c) integrity check (counts and records relied on against their audit events): "
            f"{with_check:.1f} µs per check with, {without:.1f} µs without "
            f"(+{with_check - without:.1f} µs, {with_check / without:.2f}x); opening a reader "
            f"{open_with:.1f} ms with, {open_without:.1f} ms without "
            f"(median of {args.integrity_rounds}, paired)"
        )


if __name__ == "__main__":
    main()
