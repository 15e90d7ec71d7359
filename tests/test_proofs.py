"""The log key, signed checkpoints and proofs of the audit trail, end to end: what an overseer
keeps and checks offline, and the rewrites it catches that a hash chain alone cannot."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import col, select, text

from tests.conftest import Run, add_partner
from wegings.config import Location
from wegings.store import checkpoint, merkle
from wegings.store.audit import event_hash
from wegings.store.chain import GENESIS_HASH
from wegings.store.engine import session_scope
from wegings.store.models import AuditEvent
from wegings.store.tree import build


@pytest.fixture
def key(tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> str:
    """A log key at $WEGINGS_LOG_KEY; its verifier key as `key init` printed it."""
    path = tmp_path / "keys" / "log-key"
    monkeypatch.setenv("WEGINGS_LOG_KEY", str(path))
    result = run("audit", "key", "init", "--origin", "aivd.wegings.example/audit", db=None)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def events(run: Run, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        add_partner(run, f"p{n:02d}")


def rewrite_history(
    location: Location,
    seq: int,
    *,
    keep: int | None = None,
    alter: Callable[[AuditEvent], None] | None = None,
) -> None:
    """What whoever holds the database file can do: alter event `seq` (its actor, or as
    `alter` says), or cut the trail to `keep` events; rehash the whole chain and rebuild the
    tree, consistently."""
    with session_scope(location, write=True) as session:
        rows = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))))
        if keep is not None:
            for event in rows[keep:]:
                session.delete(event)
            rows = rows[:keep]
        previous = GENESIS_HASH
        for event in rows:
            if event.seq == seq:
                if alter is None:
                    event.actor = "someone-else"
                else:
                    alter(event)
            event.prev_hash = previous
            event.hash = event_hash(event)
            previous = event.hash
        session.flush()
        session.execute(text("DELETE FROM audit_node"))
        _edge, nodes = build(rows)
        for level, idx, digest in nodes:
            session.execute(
                text("INSERT INTO audit_node (level, idx, hash) VALUES (:l, :i, :h)"),
                {"l": level, "i": idx, "h": digest},
            )


def test_key_init_writes_a_private_key_once_and_prints_its_verifier(
    run: Run, key: str, tmp_path: Path
) -> None:
    path = tmp_path / "keys" / "log-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    verifier = checkpoint.parse_verifier(key)
    assert verifier.name == "aivd.wegings.example/audit"
    assert run("audit", "key", "show", db=None).stdout.strip() == key
    again = run("audit", "key", "init", db=None)
    assert again.exit_code == 2
    assert again.stderr.startswith(f"Error: {path} exists already; a log key is never replaced.")
    path.chmod(0o644)
    loose = run("audit", "key", "show", db=None)
    assert loose.exit_code == 2
    assert "may be read by others (mode 644)" in loose.stderr


def test_checkpoints_and_proofs_check_offline(
    run: Run, key: str, location: Location, tmp_path: Path
) -> None:
    events(run, 5)
    old = tmp_path / "old.checkpoint"
    result = run("audit", "checkpoint", "-o", str(old))
    assert result.exit_code == 0, result.output
    verifier = checkpoint.parse_verifier(key)
    first = checkpoint.open_checkpoint(old.read_text(), verifier)
    assert first.size == 5
    assert old.read_text().startswith("aivd.wegings.example/audit\n5\n")
    events(run, 6, start=5)

    proof = run("audit", "prove", "--since", str(old))
    assert proof.exit_code == 0, proof.output
    parsed = checkpoint.parse_proof(proof.stdout, verifier)
    assert (parsed.kind, parsed.number, parsed.checkpoint.size) == ("consistency", 5, 11)
    merkle.verify_consistency(5, 11, first.root, parsed.checkpoint.root, parsed.hashes)

    inclusion = run("audit", "prove", "--event", "7")
    assert inclusion.exit_code == 0, inclusion.output
    assert inclusion.stdout.startswith("c2sp.org/tlog-proof@v1\nextra ")
    included = checkpoint.parse_proof(inclusion.stdout, verifier)
    assert included.number == 6
    assert included.extra is not None
    assert json.loads(included.extra)[0] == 7  # the event itself, its sequence number first
    merkle.verify_inclusion(
        6, 11, merkle.leaf_hash(included.extra), included.hashes, included.checkpoint.root
    )

    verified = run("audit", "verify", "--checkpoint", str(old), "--key", key)
    assert verified.exit_code == 0, verified.output
    assert "Consistent with the checkpoint of aivd.wegings.example/audit at 5 events." in (
        verified.stdout
    )
    key_file = tmp_path / "verifier.txt"
    key_file.write_text(key + "\n")
    data = json.loads(
        run("audit", "verify", "--checkpoint", str(old), "--key", str(key_file), "--json").stdout
    )
    assert data["checkpoint"] == {
        "origin": "aivd.wegings.example/audit",
        "size": 5,
        "consistent": True,
    }
    assert data["tree_size"] == 11


def test_a_consistent_rewrite_of_the_whole_chain_is_caught_by_the_checkpoint(
    run: Run, key: str, location: Location, tmp_path: Path
) -> None:
    events(run, 6)
    kept = tmp_path / "kept.checkpoint"
    assert run("audit", "checkpoint", "-o", str(kept)).exit_code == 0
    events(run, 2, start=6)
    rewrite_history(location, 3)
    # Event 3 now names another actor; chain and tree are consistent again, and no record
    # holds the actor, so verify alone cannot see it.
    assert run("audit", "verify").exit_code == 0
    checked = run("audit", "verify", "--checkpoint", str(kept), "--key", key)
    assert checked.exit_code == 1
    assert "no longer give the checkpoint's root (rewritten)" in checked.stderr
    refused = run("audit", "prove", "--since", str(kept))
    assert refused.exit_code == 1
    assert "rewritten" in refused.stderr


def test_events_cut_off_the_end_are_caught_by_the_checkpoint(
    run: Run, key: str, location: Location, tmp_path: Path
) -> None:
    events(run, 4)
    kept = tmp_path / "kept.checkpoint"
    assert run("audit", "checkpoint", "-o", str(kept)).exit_code == 0
    with session_scope(location, write=True) as session:
        session.execute(text("DELETE FROM partner WHERE short = 'p03'"))
    rewrite_history(location, 0, keep=3)
    assert run("audit", "verify").exit_code == 0  # a shorter trail, consistent in itself
    checked = run("audit", "verify", "--checkpoint", str(kept), "--key", key)
    assert checked.exit_code == 1
    assert "the checkpoint holds 4 events but the trail only 3" in checked.stderr


def test_a_changed_tree_node_is_caught_by_verify(run: Run, location: Location) -> None:
    events(run, 4)
    assert run("audit", "verify").exit_code == 0
    with session_scope(location, write=True) as session:
        session.execute(
            text("UPDATE audit_node SET hash = :h WHERE level = 1 AND idx = 1"), {"h": "0" * 64}
        )
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert "the audit tree's node (1, 1) does not match the events" in broken.stderr


def test_bad_checkpoints_keys_and_requests_are_one_line_errors(
    run: Run, key: str, tmp_path: Path
) -> None:
    events(run, 2)
    kept = tmp_path / "kept.checkpoint"
    assert run("audit", "checkpoint", "-o", str(kept)).exit_code == 0
    other = checkpoint.Signer.generate("aivd.wegings.example/audit").verifier.text()
    wrong = run("audit", "verify", "--checkpoint", str(kept), "--key", other)
    assert wrong.exit_code == 2
    assert (
        wrong.stderr
        == "Error: The note carries no signature of the key aivd.wegings.example/audit.\n"
    )
    altered = tmp_path / "altered.checkpoint"
    altered.write_text(kept.read_text().replace("\n2\n", "\n3\n", 1))
    bad = run("audit", "verify", "--checkpoint", str(altered), "--key", key)
    assert bad.exit_code == 2
    assert "does not hold" in bad.stderr
    assert run("audit", "verify", "--checkpoint", str(kept)).exit_code == 2
    assert run("audit", "verify", "--key", key).exit_code == 2
    missing = run("audit", "verify", "--checkpoint", str(tmp_path / "nope"), "--key", key)
    assert missing.stderr == f"Error: --checkpoint {tmp_path / 'nope'}: no such file.\n"
    assert run("audit", "verify", "--checkpoint", str(kept), "--key", "garbage").exit_code == 2
    assert run("audit", "prove").exit_code == 2
    assert run("audit", "prove", "--event", "99").stderr == (
        "Error: --event 99: the trail holds events 1 to 2.\n"
    )
    assert run("audit", "checkpoint", "-o", str(kept)).exit_code == 2  # exists; no --force


@pytest.mark.sqlite_only(reason="only SQLite stores text in an integer column")
def test_a_malformed_tree_node_is_one_line_not_a_traceback(
    run: Run, key: str, location: Location
) -> None:
    events(run, 3)
    with session_scope(location, write=True) as session:
        session.execute(
            text("INSERT INTO audit_node (level, idx, hash) VALUES (0, 'x', :h)"), {"h": "a" * 64}
        )
    for args in (("audit", "checkpoint"), ("audit", "prove", "--event", "2")):
        result = run(*args)
        assert result.exit_code == 1, result.output
        assert result.stderr == (
            "Error: The audit tree holds a leaf numbered 'x': it was changed outside wegings; "
            "run `wegings audit verify`.\n"
        )


@pytest.mark.sqlite_only(
    reason="db backup copies a SQLite file; a server is backed up with pg_dump"
)
def test_no_output_ever_replaces_the_log_key(
    run: Run, key: str, tmp_path: Path, location: Location
) -> None:
    events(run, 2)
    path = tmp_path / "keys" / "log-key"
    before = path.read_bytes()
    for args in (
        ("audit", "checkpoint", "-o", str(path), "--force"),
        ("audit", "prove", "--event", "1", "-o", str(path), "--force"),
        ("render", "p00", "-o", str(path), "--force", "--format", "md"),
        ("db", "backup", str(path), "--force"),
    ):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr == f"Error: {path} is the log key; choose another file.\n"
    other = tmp_path / "other-key"
    assert run("audit", "key", "init", "--path", str(other), db=None).exit_code == 0
    given = run("audit", "checkpoint", "--key-path", str(other), "-o", str(other), "--force")
    assert given.stderr == f"Error: {other} is the log key; choose another file.\n"
    assert path.read_bytes() == before
