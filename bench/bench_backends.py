"""Benchmark of `can-share --batch` on PostgreSQL beside SQLite: one dataset, one run.

Builds one dataset with bench_sharing's builder into a SQLite file, and the Merkle tree of
its audit trail (the builder leaves `audit_node` empty), then creates a database on the
PostgreSQL server that WEGINGS_TEST_DATABASE_URL (or --url) names, migrates it with
`wegings db upgrade` and copies every table's rows into it (COPY, in foreign-key order, the
columns taken from the SQLite file; then the id sequences and ANALYZE). Both copies must pass
`wegings audit verify` with the same head and root, and give the same answers to the batch.

Then the same batch runs on both, the backends taking turns (A B A B), and a table gives, for
each, the checks per second after start-up in wall time and per CPU second of the wegings
process, the server's CPU per check, and the start-up (a one-row batch). When PostgreSQL
does less than half of SQLite's checks per second, one batch on it is profiled (cProfile of
the wegings process): the top costs, and the statements and waits on the server per check.
Last, the goal (PostgreSQL at least half SQLite's checks per second) as a table; bench_goals
prints it with the others.

    scripts/with-postgres.sh --required .venv/bin/python bench/bench_backends.py
    scripts/with-postgres.sh --required .venv/bin/python bench/bench_backends.py --quick
    WEGINGS_TEST_DATABASE_URL=postgresql+psycopg://… python bench/bench_backends.py --rows 5000
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import graphlib
import json
import os
import pstats
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from sqlalchemy.engine import make_url

from bench import bench_sharing  # the checkout is on the path (the editable install)
from bench.paired import (
    NOISE,
    Command,
    Goal,
    Machine,
    Sample,
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

HALF = 0.5
"""Below this PostgreSQL / SQLite ratio of checks per second, a batch on PostgreSQL is
profiled."""


@dataclass(frozen=True)
class Backend:
    """One database the wegings processes are pointed at."""

    name: str
    args: list[str]  # global options of `wegings` (--db FILE, or none)
    env: dict[str, str] = field(repr=False)

    def command(self, *args: str, profile: Path | None = None) -> list[str]:
        """The command line of one wegings process on this database."""
        if profile is None:
            return wegings_command(*self.args, *args)
        python = [sys.executable, "-m", "cProfile", "-o", str(profile)]
        return [*python, "-m", "wegings", *self.args, *args]


def sqlite_backend(path: Path) -> Backend:
    """The SQLite file, whatever WEGINGS_DATABASE_URL says in this shell."""
    return Backend("SQLite", ["--db", str(path)], sqlite_env())


def server_backend(url: str) -> Backend:
    """The PostgreSQL database at `url`."""
    return Backend("PostgreSQL", [], {**os.environ, "WEGINGS_DATABASE_URL": url})


def libpq(url: str, database: str | None = None) -> str:
    """A SQLAlchemy URL as libpq takes it (postgresql://…), optionally naming another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def wegings_url(url: str, database: str) -> str:
    """The URL wegings is given for `database` on the server `url` names."""
    parsed = make_url(url).set(drivername="postgresql+psycopg", database=database)
    return parsed.render_as_string(hide_password=False)


@contextlib.contextmanager
def server_database(url: str, name: str, *, keep: bool) -> Iterator[str]:
    """A new, empty database `name` on the server; dropped afterwards unless `keep`."""
    with psycopg.connect(libpq(url), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield wegings_url(url, name)
    finally:
        if not keep:
            with psycopg.connect(libpq(url), autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def build_tree(path: Path) -> int:
    """Store the Merkle tree of the file's audit trail, as migration 0007 does; its nodes."""
    from sqlmodel import col, select

    from wegings.store.models import AuditEvent
    from wegings.store.tree import build

    with session_scope(Location(path=path), write=False) as session:
        events = select(AuditEvent).order_by(col(AuditEvent.seq)).execution_options(yield_per=5000)
        _edge, rows = build(session.exec(events))
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        connection.execute("DELETE FROM audit_node")
        connection.executemany("INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)", rows)
        connection.execute("COMMIT")
    finally:
        connection.close()
    return len(rows)


def sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    """The file's tables (not Alembic's nor SQLite's own), referenced tables first."""
    names = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version'"
        )
    ]
    graph: dict[str, set[str]] = {}
    for name in names:
        references = connection.execute(f"PRAGMA foreign_key_list('{name}')").fetchall()
        graph[name] = {row[2] for row in references} - {name}  # a row may name its own table
    return list(graphlib.TopologicalSorter(graph).static_order())


def sqlite_columns(connection: sqlite3.Connection, table: str) -> list[str]:
    """The table's columns in the SQLite file, in their order."""
    return [row[1] for row in connection.execute(f"PRAGMA table_info('{table}')")]


def copy_to_server(path: Path, url: str) -> dict[str, int]:
    """Copy every table's rows from the SQLite file into the migrated server database.

    COPY, table by table in foreign-key order, in one transaction; the columns are the file's,
    so a column a migration added comes along. Then every id sequence is set past the highest
    id, and the tables are analysed. Returns the rows copied per table.
    """
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    copied: dict[str, int] = {}
    try:
        with psycopg.connect(libpq(url)) as server:
            revision = server.execute("SELECT version_num FROM alembic_version").fetchone()
            (ours,) = source.execute("SELECT version_num FROM alembic_version").fetchone()
            if revision is None or revision[0] != ours:
                raise SystemExit(f"The server is at revision {revision}, the file at {ours!r}.")
            present = server_columns(server)
            for table in sqlite_tables(source):
                columns = sqlite_columns(source, table)
                missing = [c for c in columns if c not in present.get(table, set())]
                if missing:
                    raise SystemExit(f"The server's {table} lacks the file's columns {missing}.")
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
                )
                select = f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid"  # noqa: S608
                count = 0
                with server.cursor() as cursor, cursor.copy(statement) as copy:
                    for row in source.execute(select):
                        copy.write_row(row)
                        count += 1
                copied[table] = count
            for table in set(present) - set(copied) - {"alembic_version"}:
                print(f"    (the server has a table {table} the file lacks)")
            reset_sequences(server)
            server.commit()
            server.autocommit = True
            server.execute("ANALYZE")
            for table, count in copied.items():
                counted = server.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
                ).fetchone()
                if counted is None or counted[0] != count:
                    raise SystemExit(f"{table}: {count} rows copied, {counted} on the server.")
    finally:
        source.close()
    return copied


def server_columns(server: psycopg.Connection[TupleRow]) -> dict[str, set[str]]:
    """Every table of the server database's schema and its columns."""
    present: dict[str, set[str]] = {}
    for table, column in server.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema()"
    ):
        present.setdefault(table, set()).add(column)
    return present


def reset_sequences(server: psycopg.Connection[TupleRow]) -> None:
    """Set each serial or identity column's sequence past the highest value copied."""
    owned = server.execute(
        "SELECT c.relname, a.attname, pg_get_serial_sequence(format('%I', c.relname), a.attname) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 "
        "AND NOT a.attisdropped "
        "AND pg_get_serial_sequence(format('%I', c.relname), a.attname) IS NOT NULL"
    ).fetchall()
    for table, column, sequence in owned:
        server.execute(
            sql.SQL("SELECT setval(%s, coalesce((SELECT max({}) FROM {}), 0) + 1, false)").format(
                sql.Identifier(column), sql.Identifier(table)
            ),
            (sequence,),
        )


def verified(backend: Backend) -> dict[str, object]:
    """`wegings audit verify --json` on the backend; stops the run when it fails."""
    done = subprocess.run(
        backend.command("audit", "verify", "--json"),
        env=backend.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"audit verify on {backend.name} failed: {done.stderr.strip()}")
    result: dict[str, object] = json.loads(done.stdout)
    return result


def answers(backend: Backend, batch: Path) -> list[dict[str, object]]:
    """The batch's answers (JSON Lines) without their `as_of`; stops the run on an error row."""
    with batch.open("rb") as rows:
        done = subprocess.run(
            backend.command("can-share", "--batch", "-", "--json"),
            env=backend.env,
            stdin=rows,
            capture_output=True,
            check=False,
        )
    summary = done.stderr.decode().strip()
    if done.returncode not in (0, 1, 3) or " 0 errors" not in summary:
        raise SystemExit(f"The batch on {backend.name} failed ({done.returncode}): {summary}")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    for line in lines:
        line.pop("as_of", None)
    return lines


def batch_run(
    backend: Backend, stdin: Path, server_cpu: Callable[[], float] | None
) -> Callable[[], Sample]:
    """One batch process on the backend, measured; with the server's CPU when it is metered."""
    command = Command(
        backend.command("can-share", "--batch", "-", "--json"),
        stdin=stdin,
        env=backend.env,
        exit_codes=(0, 1, 3),  # the worst row allowed, denied, or needing a permission
    )
    if server_cpu is None:
        return command

    def measured() -> Sample:
        served = server_cpu()
        sample = command()
        time.sleep(0.05)  # the server process of the connection exits just after the client
        return dataclasses.replace(sample, server_cpu=server_cpu() - served)

    return measured


@dataclass(frozen=True)
class Rates:
    """What one backend measured: checks per second after start-up, and start-up itself."""

    wall: float  # checks per second
    cpu: float  # checks per CPU second of the wegings process
    server_us: float | None  # the server's CPU per check, in microseconds
    startup_wall: float  # seconds of a one-row batch
    startup_cpu: float


def throughput(
    backends: list[Backend],
    batch: Path,
    one: Path,
    rows: int,
    rounds: int,
    server_cpu: dict[str, Callable[[], float]],
) -> list[Rates]:
    """(rows - 1) / (a batch of all rows - a batch of one row), the medians of `rounds`.

    The backends and the two batches take turns (A B A B), so that a busy machine weighs on
    all of them alike. (answers() ran every batch once before: the caches are warm.)
    """
    measurements: dict[str, Callable[[], Sample]] = {}
    for backend in backends:
        meter = server_cpu.get(backend.name)
        measurements[f"{backend.name}/full"] = batch_run(backend, batch, meter)
        measurements[f"{backend.name}/one"] = batch_run(backend, one, meter)
    samples = interleaved(measurements, rounds, warmup=0)
    rates = []
    for backend in backends:
        whole, single = samples[f"{backend.name}/full"], samples[f"{backend.name}/one"]
        rates.append(
            Rates(
                wall=1 / per_row(whole, single, rows - 1, "wall"),
                cpu=1 / per_row(whole, single, rows - 1, "cpu"),
                server_us=per_row(whole, single, rows - 1, "server_cpu") * 1e6
                if backend.name in server_cpu
                else None,
                startup_wall=median(single, "wall"),
                startup_cpu=median(single, "cpu"),
            )
        )
    return rates


def postmaster_cpu(url: str) -> Callable[[], float] | None:
    """A reader of the CPU seconds of the server's finished processes, when it runs here.

    The postmaster reaps each connection's process, so its children's user and system time
    grows by what every finished connection cost the server (and by autovacuum's, which is
    idle after ANALYZE). None when the server is elsewhere or its files are not readable.
    """
    try:
        with psycopg.connect(libpq(url)) as server:
            row = server.execute("SELECT current_setting('data_directory')").fetchone()
        assert row is not None
        pid = int(Path(row[0], "postmaster.pid").read_text().split()[0])
        stat = Path(f"/proc/{pid}/stat")
        stat.read_text()
    except (OSError, ValueError, IndexError, psycopg.Error):
        return None
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / ticks  # cutime, cstime (fields 16, 17)

    return read


def profile(backend: Backend, batch: Path, rows: int, where: Path, top: int) -> None:
    """cProfile one batch on the backend: its top costs, and statements and waits per check."""
    output = where / "postgres-batch.prof"
    url = backend.env["WEGINGS_DATABASE_URL"]
    counting = statement_counts_reset(url)
    with batch.open("rb") as source:
        subprocess.run(
            backend.command("can-share", "--batch", "-", "--json", profile=output),
            env=backend.env,
            stdin=source,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    stats = pstats.Stats(str(output))
    table: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    table = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for _cc, _nc, tt, _ct, _callers in table.values())
    print(f"\nProfile of one batch of {rows:,} rows on {backend.name} ({output}):")

    def calls(module: str, names: tuple[str, ...]) -> tuple[int, float]:
        found = [
            (nc, ct)
            for (file, _line, name), (_cc, nc, _tt, ct, _callers) in table.items()
            if file.replace(os.sep, "/").endswith(module) and name in names
        ]
        return sum(nc for nc, _ in found), max((ct for _, ct in found), default=0.0)

    executes, execute_time = calls("psycopg/cursor.py", ("execute", "executemany"))
    # Connection.wait runs one exchange with the server to its end: a round trip.
    trips, trip_time = calls("psycopg/connection.py", ("wait",))
    print(
        f"  {executes:,} statements ({executes / rows:.2f} per check, {execute_time:.2f} s in "
        f"execute); {trips:,} round trips ({trips / rows:.2f} per check, {trip_time:.2f} s "
        f"waiting on them, {trip_time / max(total, 1e-9):.0%} of {total:.2f} s profiled)"
    )
    print(f"  top {top} by own time:")
    ranked = sorted(table.items(), key=lambda entry: entry[1][2], reverse=True)[:top]
    for (file, line, name), (_cc, nc, tt, ct, _callers) in ranked:
        place = f"{short_path(file)}:{line}({name})" if line else name
        print(f"    {tt:7.2f} s own {ct:7.2f} s cumulative {nc:>9,} calls  {place}")
    if counting:
        statement_counts(url, rows, top)
    else:
        print(
            "  (no pg_stat_statements: add shared_preload_libraries = 'pg_stat_statements' to "
            "the server's postgresql.conf and restart it to see the statements' server time)"
        )
    print("  top by cumulative time (wegings code):")
    ours = [
        entry
        for entry in table.items()
        if "/wegings/" in entry[0][0].replace(os.sep, "/")
        and "/site-packages/" not in entry[0][0]
        and entry[0][2] != "<module>"  # importing a module: start-up, measured apart
    ]
    for (file, line, name), (_cc, nc, tt, ct, _callers) in sorted(
        ours, key=lambda entry: entry[1][3], reverse=True
    )[:top]:
        print(f"    {ct:7.2f} s cumulative {tt:7.2f} s own {nc:>9,} calls  "
              f"{short_path(file)}:{line}({name})")  # fmt: skip


def statement_counts_reset(url: str) -> bool:
    """Start counting the database's statements afresh; False without pg_stat_statements."""
    try:
        with psycopg.connect(libpq(url), autocommit=True) as server:
            server.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            server.execute("SELECT pg_stat_statements_reset()")
    except psycopg.Error:
        return False  # the library is not loaded (shared_preload_libraries)
    return True


def statement_shape(query: str) -> str:
    """A statement's text with its parameters and repeated conditions folded, to group by."""
    text = re.sub(r"\$\d+", "$", " ".join(query.split()))
    text = re.sub(r"\$(?:, \$)+", "$…", text)  # IN ($1, $2, …)
    return re.sub(r"(\([^()]*\))(?: OR \1)+", r"\1 OR …", text)  # (a = $ AND b = $) OR …


def statement_counts(url: str, rows: int, top: int) -> None:
    """The statements the batch sent, grouped by shape, by server time (pg_stat_statements).

    Planning time is there when the server sets pg_stat_statements.track_planning.
    """
    with psycopg.connect(libpq(url)) as server:
        found = server.execute(
            "SELECT query, calls, plans, total_plan_time, total_exec_time, rows "
            "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
            "WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'"
        ).fetchall()
    groups: dict[str, list[float]] = {}
    for query, calls, plans, planning, executing, returned in found:
        group = groups.setdefault(statement_shape(str(query)), [0, 0, 0, 0.0, 0.0, 0])
        for index, value in enumerate((1, calls, plans, planning, executing, returned)):
            group[index] += float(value)
    calls = sum(group[1] for group in groups.values())
    planned = sum(group[3] for group in groups.values())
    spent = sum(group[4] for group in groups.values())
    print(
        f"  on the server (pg_stat_statements): {calls:,.0f} statements ({calls / rows:.2f} per "
        f"check) of {len(found)} distinct texts; {planned / 1000:.2f} s planning, "
        f"{spent / 1000:.2f} s executing ({(planned + spent) * 1000 / rows:.0f} µs per check). "
        "By server time:"
    )
    ranked = sorted(groups.items(), key=lambda entry: entry[1][3] + entry[1][4], reverse=True)
    for shape, (texts, n, plans, planning, executing, returned) in ranked[:top]:
        where = shape.find(" WHERE ")
        text = shape if where < 0 else f"{shape[:40]} … {shape[where + 1 :]}"
        print(
            f"    {(planning + executing) / 1000:6.2f} s {n:>7,.0f} calls {texts:>5,.0f} texts "
            f"{plans:>5,.0f} plans ({planning / 1000:.2f} s) {returned / max(n, 1):7.1f} rows  "
            f"{text[:110]}{'…' if len(text) > 110 else ''}"
        )


def short_path(file: str) -> str:
    """A source file's path from its package on, for the profile's lines."""
    for marker in ("site-packages/", "/main/", "lib/python"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def server_version(url: str) -> str:
    """The server's version as it reports it."""
    with psycopg.connect(libpq(url)) as server:
        row = server.execute("SHOW server_version").fetchone()
    return str(row[0]) if row is not None else "?"


@dataclass(frozen=True)
class Options:
    """What a comparison of the backends is asked to do."""

    items: int
    consents: int
    rows: int
    rounds: int
    seed: int
    url: str
    database: str
    profile: str  # "auto", "always", "never"
    top: int
    keep: bool


def add_arguments(parser: argparse.ArgumentParser, *, prefix: str = "") -> None:
    """The options of a comparison; `prefix` keeps the sizes apart from another benchmark's."""
    parser.add_argument(f"--{prefix}items", type=int, help="default 100,000 (quick: 20,000)")
    parser.add_argument(f"--{prefix}consents", type=int, default=10_000)
    parser.add_argument(f"--{prefix}rows", type=int, help="default 20,000 (quick: 5,000)")
    parser.add_argument(f"--{prefix}rounds", type=int, default=3, help="rounds of paired batches")
    parser.add_argument(
        "--url",
        default=os.environ.get("WEGINGS_TEST_DATABASE_URL"),
        help="a PostgreSQL server (postgresql+psycopg://…) where a database may be created; "
        "default WEGINGS_TEST_DATABASE_URL",
    )
    parser.add_argument(
        "--database", default=f"wegings_bench_{os.getpid()}", help="the server database to create"
    )
    parser.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help=f"profile a batch on PostgreSQL (auto: when below {HALF}x SQLite's checks/s)",
    )
    parser.add_argument("--top", type=int, default=15, help="lines of the profile")
    parser.add_argument(
        "--keep", action="store_true", help="keep the server database (and the files, in --dir)"
    )


def options(args: argparse.Namespace, *, prefix: str = "") -> Options:
    """The options the arguments give, --quick giving the defaults its smaller sizes."""
    given = vars(args)
    prefix = prefix.replace("-", "_")  # --pg-items is pg_items
    quick = bool(given.get("quick"))
    return Options(
        items=given[f"{prefix}items"] or (20_000 if quick else 100_000),
        consents=given[f"{prefix}consents"],
        rows=given[f"{prefix}rows"] or (5_000 if quick else 20_000),
        rounds=given[f"{prefix}rounds"],
        seed=args.seed,
        url=args.url or "",
        database=args.database,
        profile=args.profile,
        top=args.top,
        keep=args.keep,
    )


NO_SERVER = (
    "no PostgreSQL server: run under scripts/with-postgres.sh, or set WEGINGS_TEST_DATABASE_URL "
    "or --url"
)


def unmeasured(why: str = NO_SERVER) -> Goal:
    """The goal when it could not be measured (no server, or the comparison failed)."""
    return Goal(GOAL_TEXT, None, HALF, at_most=False, basis="wall", detail=why)


GOAL_TEXT = "batch throughput on PostgreSQL / on SQLite, same rows, one run"


def compare(given: Options, where: Path) -> Goal:
    """Build, copy, verify, measure, print the table; the goal of PostgreSQL / SQLite."""
    db = where / "backends.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    small = min(given.consents, bench_sharing.SMALL_CONSENTS)
    print(
        f"Building {bench_sharing.PARTNERS} partners, {given.items:,} items, "
        f"{given.consents:,} consents into SQLite (bench_sharing's builder)…",
        flush=True,
    )
    started = time.perf_counter()
    bench_sharing.build(db, given.items, given.consents, given.seed)
    if given.consents > small:
        bench_sharing.add_consents(db, given.items, None, small, given.consents, given.seed)
    nodes = build_tree(db)
    print(
        f"  built in {time.perf_counter() - started:.1f} s, with the audit tree ({nodes:,} nodes)",
        flush=True,
    )
    batch, one = where / "backends-batch.csv", where / "backends-one.csv"
    bench_sharing.write_rows(batch, given.rows, given.items, given.seed)
    bench_sharing.write_rows(one, 1, given.items, given.seed)

    with server_database(given.url, given.database, keep=given.keep) as url:
        version = server_version(url)
        server = server_backend(url)
        upgraded = subprocess.run(
            server.command("db", "upgrade"),
            env=server.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if upgraded.returncode != 0:
            raise SystemExit(f"wegings db upgrade failed: {upgraded.stderr.strip()}")
        started = time.perf_counter()
        copied = copy_to_server(db, url)
        print(
            f"Copied {sum(copied.values()):,} rows of {len(copied)} tables to PostgreSQL "
            f"{version} (database {given.database}) in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        lite = sqlite_backend(db)
        heads = {backend.name: verified(backend) for backend in (lite, server)}
        keys = ("events", "records", "head", "head_hash", "root")
        mine, theirs = ({k: heads[b][k] for k in keys} for b in (lite.name, server.name))
        if mine != theirs:
            raise SystemExit(f"The copies differ: SQLite {mine}, PostgreSQL {theirs}.")
        print(
            f"  audit verify on both: {mine['events']:,} events and {mine['records']:,} "
            f"records intact, head {mine['head']}, same Merkle root",
            flush=True,
        )
        backends = [lite, server]
        given_answers = [answers(backend, batch) for backend in backends]  # warms the caches
        if given_answers[0] != given_answers[1]:
            pairs = zip(*given_answers, strict=True)
            first = next(n for n, (a, b) in enumerate(pairs) if a != b)
            raise SystemExit(f"The backends answer row {first + 1} differently.")
        print(f"  the batch of {given.rows:,} rows gives the same answers on both", flush=True)
        meters: dict[str, Callable[[], float]] = {}
        meter = postmaster_cpu(url)
        if meter is not None:
            meters[server.name] = meter
        load_before = os.getloadavg()[0]
        rates = throughput(backends, batch, one, given.rows, given.rounds, meters)
        print(
            f"\ncan-share --batch of {given.rows:,} rows at {given.consents:,} consents, "
            f"{given.items:,} items (median of {given.rounds}, the backends taking turns):"
        )
        print(f"  {'backend':<12}{'checks/s':>10}{'per CPU s':>11}{'server CPU':>12}"
              f"{'start-up':>10}{'(CPU)':>9}")  # fmt: skip
        for backend, rate in zip(backends, rates, strict=True):
            served = "-" if rate.server_us is None else f"{rate.server_us:.0f} µs"
            print(
                f"  {backend.name:<12}{rate.wall:>10,.0f}{rate.cpu:>11,.0f}{served:>12}"
                f"{rate.startup_wall * 1000:>8.0f} ms{rate.startup_cpu * 1000:>6.0f} ms"
            )
        ratio_wall = rates[1].wall / rates[0].wall
        ratio_cpu = rates[1].cpu / rates[0].cpu
        print(
            f"  PostgreSQL / SQLite: {ratio_wall:.2f}x checks/s, {ratio_cpu:.2f}x per CPU "
            f"second; start-up {rates[1].startup_wall / rates[0].startup_wall:.2f}x"
        )
        print(
            f"  (server CPU: the server processes' CPU per check, read from the postmaster; "
            f"start-up: a one-row batch, wall and the wegings process's CPU)\n"
            f"Ran on PostgreSQL {version}; load average {load_before:.2f} before the batches"
        )
        if given.profile == "always" or (given.profile == "auto" and ratio_wall < HALF):
            profile(server, batch, given.rows, where, given.top)
    also = f"client CPU {ratio_cpu:.2f}×"
    if rates[1].server_us is not None:
        # Checks per CPU second of client and server together (SQLite has no server).
        both = 1 / (1 / rates[1].cpu + rates[1].server_us * 1e-6)
        also += f", client + server CPU {both / rates[0].cpu:.2f}×"
    return Goal(
        GOAL_TEXT,
        ratio(rates[1].wall, rates[0].wall),
        HALF,
        at_most=False,
        basis="wall",
        also=also,
        detail=("" if ratio(rates[1].wall, rates[0].wall) else f"{NOISE}; ")
        + f"{rates[1].wall:,.0f} / {rates[0].wall:,.0f} checks/s; {given.rows:,} rows, "
        f"{given.items:,} items, {given.consents:,} consents; PostgreSQL {version}; median of "
        f"{given.rounds}, the backends taking turns",
    )


def main() -> None:
    """Build, copy, verify, measure, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to try in minutes")
    add_arguments(parser)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--dir", type=Path, default=None, help="keep the files here")
    args = parser.parse_args()
    if not args.url:
        parser.error(
            "no server: set WEGINGS_TEST_DATABASE_URL or pass --url "
            "(scripts/with-postgres.sh --required python bench/bench_backends.py starts one)"
        )
    machine = Machine()
    with tempfile.TemporaryDirectory(prefix="wegings-bench-") as temporary:
        where = args.dir or Path(temporary)
        where.mkdir(parents=True, exist_ok=True)
        goal = compare(options(args), where)
    print_summary([goal], machine, title="PostgreSQL beside SQLite")


if __name__ == "__main__":
    main()
