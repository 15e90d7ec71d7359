"""Benchmark of the audit trail's Merkle tree: appending an event, a checkpoint and proofs, at a
small trail and at a large one (default 1,000,000 events), paired in one process.

Builds two databases with the real migrations, fills each with N hash-chained events and their
tree nodes by bulk SQL (as `record_change` would have written them), then measures, alternating
between the two trails (A B A B), in CPU time and wall time:

- appending one event through `record_change` (a new partner and its event and tree nodes, one
  committed transaction), and the tree's part of it alone;
- a signed checkpoint of the whole trail, checked from the checkpoint signed before it (the
  key's remembered one) 1 and 1,000 events earlier: the stored nodes of the old size, and the
  new events hashed again onto them;
- an inclusion proof of one event, and a consistency proof from the trail one event before;
- a checkpoint with no remembered one (the whole trail checked, as `audit verify`), and `audit
  verify` itself (once each, large trail only; they read everything).

    python bench/bench_audit.py                      # 1,000 and 1,000,000 events
    python bench/bench_audit.py --events 100000      # quicker
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from wegings.config import Location
from wegings.store import merkle
from wegings.store.audit import event_hash, record_change, verify
from wegings.store.chain import GENESIS_HASH
from wegings.store.checkpoint import Checkpoint, Signer
from wegings.store.engine import recorded_now, session_scope
from wegings.store.models import Partner
from wegings.store.proofs import checkpoint, prove_event, prove_since
from wegings.store.stored import stored_datetime_text
from wegings.store.tree import StoredTree, event_data

SMALL = 1_000


def build(path: Path, events: int) -> float:
    """A migrated database holding `events` chained events and their tree; seconds taken."""
    started = time.perf_counter()
    with session_scope(Location(path=path), write=True):
        pass  # creates and migrates the file
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("BEGIN")
    at = datetime.now(UTC) - timedelta(days=400)
    previous, edge = GENESIS_HASH, merkle.CompactRange()
    batch: list[tuple[object, ...]] = []
    nodes: list[tuple[int, int, str]] = []
    for seq in range(1, events + 1):
        event = SimpleNamespace(
            seq=seq, at=at + timedelta(seconds=seq), actor="bench", action="bench.event",
            entity="bench", entity_id=str(seq), change='{"n":' + str(seq) + "}",
            prev_hash=previous, hash="",
        )  # fmt: skip
        event.hash = previous = event_hash(event)  # type: ignore[arg-type]
        batch.append(
            (seq, stored_datetime_text(event.at), "bench", event.action, "bench",
             event.entity_id, event.change, event.prev_hash, event.hash)
        )  # fmt: skip
        for level, idx, digest in edge.append(merkle.leaf_hash(event_data(event))):
            nodes.append((level, idx, digest.hex()))
        if len(batch) >= 50_000:
            _flush(connection, batch, nodes)
    _flush(connection, batch, nodes)
    connection.execute("COMMIT")
    connection.close()
    return time.perf_counter() - started


def _flush(
    connection: sqlite3.Connection,
    batch: list[tuple[object, ...]],
    nodes: list[tuple[int, int, str]],
) -> None:
    connection.executemany(
        "INSERT INTO audit_event (seq, at, actor, action, entity, entity_id, change, prev_hash, "
        "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        batch,
    )
    connection.executemany("INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)", nodes)
    batch.clear()
    nodes.clear()


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    return time.process_time() - cpu, time.perf_counter() - wall


def paired(actions: dict[str, Callable[[], object]], rounds: int) -> dict[str, tuple[float, float]]:
    """Median (CPU, wall) per action, the actions alternating A B A B."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in actions}
    for _ in range(rounds):
        for name, action in actions.items():
            samples[name].append(timed(action))
    return {
        name: (statistics.median(s[0] for s in got), statistics.median(s[1] for s in got))
        for name, got in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--dir", type=Path, default=None, help="keep the databases here")
    args = parser.parse_args()
    signer = Signer.generate("bench.wegings.example/audit")
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="wegings-bench-audit-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = {"small": SMALL, "large": args.events}
    paths = {name: workdir / f"audit-{size}.db" for name, size in sizes.items()}
    for name, path in paths.items():
        if not path.exists():
            seconds = build(path, sizes[name])
            print(f"built {sizes[name]:,} events with their tree in {seconds:.1f} s")
    counter = iter(range(int(time.time() * 1000) % 10**9, 10**10))
    rng = random.Random(2026)

    def append(name: str) -> Callable[[], object]:
        def run() -> None:
            with session_scope(Location(path=paths[name]), write=True) as session:
                n, now = next(counter), recorded_now(session)
                partner = Partner(
                    name=f"Bench {n}", short=f"b{n}", country="XB", kind="civil",
                    created_at=now, created_by="bench",
                )  # fmt: skip
                record_change(
                    session, actor="bench", action="partner.create", record=partner, now=now
                )

        return run

    def tree_only(name: str) -> Callable[[], object]:
        def run() -> None:
            with session_scope(Location(path=paths[name]), write=True) as session:
                tree = StoredTree(session)
                size = tree.size()
                last = SimpleNamespace(
                    seq=size + 1, at=datetime.now(UTC), actor="bench", action="bench.event",
                    entity="bench", entity_id="x", change="{}", prev_hash="0" * 64,
                )  # fmt: skip
                started = time.process_time()
                tree.append(last)
                tree_cpu.append(time.process_time() - started)
                session.rollback()

        return run

    def read(name: str, what: Callable[..., object]) -> Callable[[], object]:
        def run() -> None:
            with session_scope(Location(path=paths[name]), write=False) as session:
                what(session)

        return run

    tree_cpu: list[float] = []
    results = paired(
        {f"append/{name}": append(name) for name in sizes}
        | {f"tree/{name}": tree_only(name) for name in sizes},
        args.rounds,
    )
    tree_small = statistics.median(tree_cpu[0::2])
    tree_large = statistics.median(tree_cpu[1::2])

    def signed_before(name: str, behind: int) -> Checkpoint:
        """The checkpoint the key would have signed `behind` events ago (the trails were built
        honestly, so the stored tree's root is the one it signed)."""
        with session_scope(Location(path=paths[name]), write=False) as session:
            tree = StoredTree(session)
            size = max(tree.size() - behind, 0)
            return Checkpoint(signer.name, size, tree.root(size))

    last = {(n, behind): signed_before(n, behind) for n in sizes for behind in (0, 1, 1000)}
    reads = paired(
        {
            f"checkpoint{behind}/{name}": read(
                name, lambda s, k=(name, behind): checkpoint(s, signer, last=last[k])
            )
            for behind in (1, 1000)
            for name in sizes
        }
        | {
            f"inclusion/{name}": read(
                name,
                lambda s, n=name: prove_event(s, signer, rng.randint(1, sizes[n]), last=last[n, 0]),
            )
            for name in sizes
        },
        args.rounds,
    )
    olds: dict[str, str] = {}
    for name in sizes:
        with session_scope(Location(path=paths[name]), write=False) as session:
            olds[name] = checkpoint(session, signer, last=last[name, 0])[1]
    for name in sizes:
        append(name)()  # so the old checkpoint is one event behind: a real consistency proof
    consistency = paired(
        {
            f"consistency/{name}": read(
                name, lambda s, n=name: prove_since(s, signer, olds[n], last=last[n, 0])
            )
            for name in sizes
        },
        args.rounds,
    )
    full_cpu, full_wall = timed(read("large", lambda s: checkpoint(s, signer)))
    verify_cpu, verify_wall = timed(read("large", lambda s: verify(s)))
    print(f"\nAudit tree, {SMALL:,} and {args.events:,} events, paired medians of {args.rounds}:")
    print(f"{'what':<44}{'small CPU':>12}{'large CPU':>12}{'large wall':>12}{'ratio':>8}")

    def line(label: str, key: str, table: dict[str, tuple[float, float]]) -> None:
        small, large = table[f"{key}/small"], table[f"{key}/large"]
        ratio = large[0] / small[0] if small[0] else float("nan")
        print(
            f"{label:<44}{small[0] * 1e3:>10.2f}ms{large[0] * 1e3:>10.2f}ms"
            f"{large[1] * 1e3:>10.2f}ms{ratio:>7.2f}x"
        )

    line("append one event (record_change, committed)", "append", results)
    print(
        f"{'  of which the tree':<44}{tree_small * 1e6:>10.0f}µs{tree_large * 1e6:>10.0f}µs"
        f"{'':>12}{tree_large / tree_small if tree_small else float('nan'):>7.2f}x"
    )
    line("checkpoint, 1 event after the last signed", "checkpoint1", reads)
    line("checkpoint, 1,000 events after the last", "checkpoint1000", reads)
    line("inclusion proof of one event", "inclusion", reads)
    line("consistency proof from the trail before", "consistency", consistency)
    print(
        f"{'checkpoint, none remembered (full check)':<44}{'':>12}{full_cpu:>10.1f}s "
        f"{full_wall:>10.1f}s"
    )
    print(
        f"{'audit verify, whole large trail':<44}{'':>12}{verify_cpu:>10.1f}s {verify_wall:>10.1f}s"
    )


if __name__ == "__main__":
    main()
