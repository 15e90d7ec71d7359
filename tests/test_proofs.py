"""The log key, signed checkpoints and proofs of the audit trail, end to end: what an overseer
keeps and checks offline, and the rewrites it catches that a hash chain alone cannot."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import col, select, text
from typer.testing import Result

from tests.conftest import Run, add_partner, sql
from wegings.config import Location
from wegings.store import checkpoint, merkle
from wegings.store.audit import event_hash
from wegings.store.chain import GENESIS_HASH
from wegings.store.engine import session_scope
from wegings.store.logkey import load_key
from wegings.store.models import AuditEvent
from wegings.store.tree import StoredTree, build, event_data


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
    # The key remembers the checkpoint it signed: it signs no tree that does not extend it.
    refused = run("audit", "prove", "--since", str(kept))
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: Refused to sign a checkpoint: the stored tree no longer matches the checkpoint "
        "signed at size 6; run `wegings audit verify` to find what was changed.\n"
    )
    # Without it (lost), the whole trail is checked, and the kept checkpoint still says it.
    (tmp_path / "keys" / "log-key.checkpoint").unlink()
    refused = run("audit", "prove", "--since", str(kept))
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: Audit trail broken at event 6: the trail's first events no longer give the "
        "checkpoint's root (rewritten).\n"
    )


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
    # A checkpoint that does not verify is a finding (exit 1), as in `audit check-proof`.
    wrong = run("audit", "verify", "--checkpoint", str(kept), "--key", other)
    assert wrong.exit_code == 1
    assert wrong.stderr == (
        f"Error: --checkpoint {kept}: The note carries no signature of the key "
        "aivd.wegings.example/audit.\n"
    )
    altered = tmp_path / "altered.checkpoint"
    altered.write_text(kept.read_text().replace("\n2\n", "\n3\n", 1))
    bad = run("audit", "verify", "--checkpoint", str(altered), "--key", key)
    assert bad.exit_code == 1
    assert bad.stderr.startswith(f"Error: --checkpoint {altered}: ")
    assert "does not hold" in bad.stderr
    endless = run("audit", "verify", "--checkpoint", "/dev/zero", "--key", key)
    assert endless.stderr == "Error: --checkpoint /dev/zero is not a plain file.\n"
    assert endless.exit_code == 2
    crlf = tmp_path / "crlf.checkpoint"
    crlf.write_bytes(kept.read_bytes().replace(b"\n", b"\r\n"))
    assert run("audit", "verify", "--checkpoint", str(crlf), "--key", key).exit_code != 0
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


# --------------------------------------------------------------------------- offline checks


def _signer(tmp_path: Path) -> checkpoint.Signer:
    return load_key(tmp_path / "keys" / "log-key")


def forged_since(location: Location, signer: checkpoint.Signer, old_note: str) -> str:
    """What a log that rewrote its history could still hand out: a consistency proof from the
    size of `old_note` to its tree now, signed, made without any of wegings' checks."""
    old = checkpoint.open_checkpoint(old_note, signer.verifier)
    with session_scope(location, write=False) as session:
        tree = StoredTree(session)
        size = tree.size()
        head = checkpoint.Checkpoint(signer.name, size, tree.root(size))
        proof = merkle.consistency_proof(old.size, size, tree.node)
    return checkpoint.consistency_proof_text(
        old.size, proof, signer.sign(head.text()), old_signed=old_note
    )


def check_proof(run: Run, proof: Path, key: str, *extra: str) -> Result:
    """`audit check-proof` with no database anywhere: a file that does not exist."""
    nowhere = proof.parent / "no-database-here.db"
    result = run("audit", "check-proof", str(proof), "--key", key, *extra, db=nowhere)
    assert not nowhere.exists()
    return result


def test_check_proof_accepts_an_honest_extension_offline(
    run: Run, key: str, tmp_path: Path
) -> None:
    events(run, 5)
    old = tmp_path / "old.checkpoint"
    assert run("audit", "checkpoint", "-o", str(old)).exit_code == 0
    events(run, 6, start=5)
    proof = tmp_path / "since.proof"
    assert run("audit", "prove", "--since", str(old), "-o", str(proof)).exit_code == 0
    held = check_proof(run, proof, key)
    assert (held.exit_code, held.stderr) == (0, "")
    assert held.stdout == (
        "The proof holds: the trail of aivd.wegings.example/audit at 11 events extends its "
        "trail at 5 events: nothing before was changed or removed.\n"
    )
    kept = check_proof(run, proof, key, "--checkpoint", str(old))
    assert kept.exit_code == 0
    assert "extends its trail at 5 events (the checkpoint kept)" in kept.stdout
    key_file = tmp_path / "verifier.txt"
    key_file.write_text(key + "\n")
    inclusion = tmp_path / "event-7.tlog-proof"
    assert run("audit", "prove", "--event", "7", "-o", str(inclusion)).exit_code == 0
    included = check_proof(run, inclusion, str(key_file))
    assert included.exit_code == 0
    assert included.stdout == (
        "The proof holds: event 7 is in the trail of aivd.wegings.example/audit at 11 events.\n"
    )


@pytest.mark.parametrize(
    ("rewrite", "reason"),
    [
        ("altered", "the consistency proof does not lead to the old root"),
        ("cut", "the consistency proof does not lead to the old root"),
    ],
)
def test_check_proof_rejects_a_proof_over_a_rewritten_history(
    run: Run, key: str, location: Location, tmp_path: Path, rewrite: str, reason: str
) -> None:
    events(run, 6)
    old = tmp_path / "old.checkpoint"
    assert run("audit", "checkpoint", "-o", str(old)).exit_code == 0
    events(run, 2, start=6)
    if rewrite == "altered":
        rewrite_history(location, 3)
    else:  # events 5 to 8 cut off, and new ones written in their place
        with session_scope(location, write=True) as session:
            session.execute(text("DELETE FROM partner WHERE id > 4"))
        rewrite_history(location, 0, keep=4)
        events(run, 4, start=10)
    proof = tmp_path / "since.proof"
    proof.write_text(forged_since(location, _signer(tmp_path), old.read_text()))
    failed = check_proof(run, proof, key)
    assert (failed.exit_code, failed.stdout) == (1, "")
    assert failed.stderr == f"Error: The proof does not hold: {reason}.\n"


def _leaves(count: int) -> list[bytes]:
    return [f"event {n}".encode() for n in range(1, count + 1)]


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        ("honest", None),
        ("altered", "the consistency proof does not lead to the old root"),
        ("removed", "the consistency proof does not lead to the old root"),
        ("reordered", "the consistency proof does not lead to the old root"),
        ("cut", "the consistency proof does not lead to the old root"),
    ],
)
def test_check_proof_rejects_any_change_before_the_old_size(
    history: str, reason: str | None
) -> None:
    signer = checkpoint.Signer.generate("aivd.wegings.example/audit")
    before = _leaves(6)
    old = checkpoint.Checkpoint(signer.name, 6, merkle.MemoryTree(before).root())
    now = [*before, *_leaves(11)[6:]]
    if history == "altered":
        now[2] = b"someone else"
    elif history == "removed":
        del now[2]
    elif history == "reordered":
        now[2], now[3] = now[3], now[2]
    elif history == "cut":
        now = [*now[:5], b"new 1", b"new 2", b"new 3"]
    tree = merkle.MemoryTree(now)
    head = checkpoint.Checkpoint(signer.name, tree.size, tree.root())
    text = checkpoint.consistency_proof_text(
        6,
        merkle.consistency_proof(6, tree.size, tree.node),
        signer.sign(head.text()),
        old_signed=signer.sign(old.text()),
    )
    if reason is None:
        assert checkpoint.check_proof(text, signer.verifier, old).checkpoint == head
        return
    with pytest.raises(checkpoint.ProofDoesNotHold) as failure:
        checkpoint.check_proof(text, signer.verifier, old)
    assert failure.value.reason == reason


def _proof_lines(run: Run, key: str, tmp_path: Path) -> tuple[Path, Path, list[str]]:
    events(run, 5)
    old = tmp_path / "old.checkpoint"
    assert run("audit", "checkpoint", "-o", str(old)).exit_code == 0
    events(run, 6, start=5)
    proof = tmp_path / "since.proof"
    assert run("audit", "prove", "--since", str(old), "-o", str(proof)).exit_code == 0
    return old, proof, proof.read_text().split("\n")


def test_check_proof_rejects_an_edited_proof_file(run: Run, key: str, tmp_path: Path) -> None:
    _old, proof, lines = _proof_lines(run, key, tmp_path)
    assert lines[:2] == ["wegings/consistency-proof@v1", "old 5"]
    assert lines[2].startswith("from ")
    first_hash = 3
    edits = {
        "a hash changed": [*lines[:first_hash], "A" * 43 + "=", *lines[first_hash + 1 :]],
        "a hash removed": [*lines[:first_hash], *lines[first_hash + 1 :]],
        "the old size changed": [lines[0], "old 4", *lines[2:]],
    }
    reasons = {
        "a hash changed": "the consistency proof does not lead to the old root",
        "a hash removed": "the consistency proof is shorter than the path",
        "the old size changed": "it is from size 4, but the checkpoint it starts from holds 5 "
        "events",
    }
    for what, edited in edits.items():
        proof.write_text("\n".join(edited))
        failed = check_proof(run, proof, key)
        assert failed.exit_code == 1, what
        assert failed.stderr == f"Error: The proof does not hold: {reasons[what]}.\n", what


def test_check_proof_rejects_another_key_a_broken_signature_and_another_start(
    run: Run, key: str, tmp_path: Path
) -> None:
    _old, proof, lines = _proof_lines(run, key, tmp_path)
    other = run("audit", "key", "init", "--path", str(tmp_path / "other-key"), db=None)
    assert other.exit_code == 0
    failed = check_proof(run, proof, other.stdout.strip())
    assert failed.exit_code == 1
    assert failed.stderr == (
        "Error: The proof does not hold: the checkpoint is of the log "
        "'aivd.wegings.example/audit', not of 'wegings.aivd/audit': it carries no signature of "
        "this log's key.\n"
    )
    signature = lines[-2]
    assert signature.startswith("\u2014 aivd.wegings.example/audit ")
    flipped = signature[:-3] + ("A" if signature[-3] != "A" else "B") + signature[-2:]
    proof.write_text("\n".join([*lines[:-2], flipped, ""]))
    failed = check_proof(run, proof, key)
    assert failed.exit_code == 1
    assert failed.stderr == (
        "Error: The proof does not hold: the signature of aivd.wegings.example/audit does not "
        "hold: the note was altered or signed with another key.\n"
    )
    proof.write_text("\n".join(lines))
    later = tmp_path / "later.checkpoint"
    assert run("audit", "checkpoint", "-o", str(later)).exit_code == 0
    failed = check_proof(run, proof, key, "--checkpoint", str(later))
    assert failed.exit_code == 1
    assert failed.stderr == (
        "Error: The proof does not hold: it starts from another checkpoint (5 events) than the "
        "one kept (11 events).\n"
    )


def test_check_proof_refuses_unreadable_input_with_exit_2(
    run: Run, key: str, tmp_path: Path
) -> None:
    _old, proof, lines = _proof_lines(run, key, tmp_path)
    missing = check_proof(run, tmp_path / "nothing.proof", key)
    assert (missing.exit_code, missing.stderr) == (
        2,
        f"Error: FILE {tmp_path / 'nothing.proof'}: no such file.\n",
    )
    proof.write_text("\n".join(["something else", *lines[1:]]))
    garbled = check_proof(run, proof, key)
    assert (garbled.exit_code, garbled.stderr) == (
        2,
        "Error: That is not a proof file: its first line names no proof format.\n",
    )
    proof.write_text("\n".join([lines[0], lines[1], *lines[3:]]))  # no `from` line
    bare = check_proof(run, proof, key)
    assert (bare.exit_code, bare.stderr) == (
        2,
        "Error: The consistency proof does not carry the checkpoint it starts from; give the "
        "one you kept with --checkpoint.\n",
    )
    bad_key = check_proof(run, proof, "not-a-key")
    assert bad_key.exit_code == 2
    assert bad_key.stderr.startswith("Error: --key 'not-a-key' is neither a verifier key")


# ------------------------------------------------------------------- signing what was checked


def remembered(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "log-key.checkpoint"


def test_checkpoint_refuses_a_tree_changed_behind_wegings_back(
    run: Run, key: str, location: Location, tmp_path: Path
) -> None:
    events(run, 6)
    first = run("audit", "checkpoint", "-o", str(tmp_path / "first.checkpoint"))
    assert first.exit_code == 0
    assert first.stderr == (
        "Checkpoint of aivd.wegings.example/audit: 6 events (the whole trail verified).\n"
    )
    kept = remembered(tmp_path).read_text()
    assert stat.S_IMODE(remembered(tmp_path).stat().st_mode) == 0o600
    assert kept == (tmp_path / "first.checkpoint").read_text()
    events(run, 1, start=6)
    # The node of events 1 to 4: part of the tree the checkpoint at 6 signed.
    sql(location, "UPDATE audit_node SET hash = ? WHERE level = 2 AND idx = 0", "ab" * 32)
    out = tmp_path / "bogus.checkpoint"
    refused = run("audit", "checkpoint", "-o", str(out))
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        "Error: Refused to sign a checkpoint: the stored tree no longer matches the checkpoint "
        "signed at size 6; run `wegings audit verify` to find what was changed.\n"
    )
    assert not out.exists()
    assert remembered(tmp_path).read_text() == kept
    remembered(tmp_path).unlink()  # the full check finds it too
    refused = run("audit", "checkpoint", "-o", str(out))
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: Audit trail broken at event 4: the audit tree's node (2, 0) does not match the "
        "events (changed outside wegings).\n"
    )
    assert not out.exists()
    assert not remembered(tmp_path).exists()


def test_checkpoint_refuses_a_new_node_that_is_not_the_events(
    run: Run, key: str, location: Location, tmp_path: Path
) -> None:
    events(run, 4)
    assert run("audit", "checkpoint").exit_code == 0
    events(run, 3, start=4)
    sql(location, "UPDATE audit_node SET hash = ? WHERE level = 0 AND idx = 6", "cd" * 32)
    refused = run("audit", "checkpoint")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        "Error: Refused to sign a checkpoint: the stored tree at size 7 is not the checkpoint "
        "signed at size 4 extended by the events after it; run `wegings audit verify` to find "
        "what was changed.\n"
    )


def test_two_checkpoints_in_a_row_and_a_proof_between_them(
    run: Run, key: str, tmp_path: Path
) -> None:
    events(run, 3)
    first, second = tmp_path / "first.checkpoint", tmp_path / "second.checkpoint"
    assert run("audit", "checkpoint", "-o", str(first)).exit_code == 0
    events(run, 4, start=3)
    made = run("audit", "checkpoint", "-o", str(second))
    assert made.exit_code == 0
    assert made.stderr == (
        "Checkpoint of aivd.wegings.example/audit: 7 events (checked from the checkpoint "
        "signed at 3 events).\n"
    )
    assert remembered(tmp_path).read_text() == second.read_text()
    again = run("audit", "checkpoint")  # nothing new: the same tree
    assert again.exit_code == 0
    assert again.stdout == second.read_text()
    proof = tmp_path / "between.proof"
    assert run("audit", "prove", "--since", str(first), "-o", str(proof)).exit_code == 0
    held = check_proof(run, proof, key, "--checkpoint", str(first))
    assert held.exit_code == 0, held.output
    assert proof.read_text().partition("\n\n")[2] == second.read_text()


def test_a_tampered_remembered_checkpoint_falls_back_to_the_full_check(
    run: Run, key: str, tmp_path: Path
) -> None:
    events(run, 3)
    assert run("audit", "checkpoint").exit_code == 0
    events(run, 2, start=3)
    lines = remembered(tmp_path).read_text().split("\n")
    lines[1] = "2"  # a smaller tree, so that less would be checked: its signature fails
    remembered(tmp_path).write_text("\n".join(lines))
    made = run("audit", "checkpoint")
    assert made.exit_code == 0
    assert made.stderr == (
        "Checkpoint of aivd.wegings.example/audit: 5 events (the whole trail verified).\n"
    )
    head = checkpoint.open_checkpoint(made.stdout, checkpoint.parse_verifier(key))
    assert head.size == 5
    assert made.stdout == remembered(tmp_path).read_text()
    remembered(tmp_path).write_text("not a checkpoint\n")
    assert run("audit", "checkpoint").stdout == made.stdout  # the same tree, fully checked


def test_nothing_is_written_over_the_remembered_checkpoint(
    run: Run, key: str, tmp_path: Path
) -> None:
    events(run, 1)
    assert run("audit", "checkpoint").exit_code == 0
    target = remembered(tmp_path)
    refused = run("audit", "checkpoint", "-o", str(target), "--force")
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"Error: {target} is where the log key keeps its last checkpoint; choose another file.\n"
    )


def test_checkpoint_refuses_a_chain_that_goes_on_from_a_rewritten_last_signed_event(
    run: Run, key: str, location: Location, tmp_path: Path
) -> None:
    events(run, 6)
    assert run("audit", "checkpoint").exit_code == 0  # the key keeps it: signed at 6
    events(run, 2, start=6)
    # Event 6, the last leaf the key signed, rewritten with a hash of its own; events 7 and 8
    # chained onto it, and their nodes made again onto the nodes the key signed, so that the
    # stored tree still gives the signed root at 6. Only event 6 is not the signed leaf.
    with session_scope(location, write=True) as session:
        rows = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))))
        nodes = {
            (level, idx): bytes.fromhex(digest)
            for level, idx, digest in session.execute(
                text("SELECT level, idx, hash FROM audit_node")
            )
        }
        previous = rows[4].hash
        for event in rows[5:]:
            if event.seq == 6:
                event.actor = "someone-else"
            event.prev_hash = previous
            event.hash = event_hash(event)
            previous = event.hash
        session.flush()
        session.execute(text("DELETE FROM audit_node WHERE (idx + 1) * (1 << level) > 6"))
        for event in rows[6:]:
            leaf = merkle.leaf_hash(event_data(event))
            for level, idx, digest in merkle.nodes_after_append(
                event.seq - 1, leaf, lambda level, idx: nodes[level, idx]
            ):
                nodes[level, idx] = digest
                session.execute(
                    text("INSERT INTO audit_node (level, idx, hash) VALUES (:l, :i, :h)"),
                    {"l": level, "i": idx, "h": digest.hex()},
                )
    refused = run("audit", "checkpoint")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        "Error: Refused to sign a checkpoint: event 6 is not the one the checkpoint signed at "
        "size 6 holds; run `wegings audit verify` to find what was changed.\n"
    )


def test_proofs_on_an_empty_trail_and_from_a_bigger_tree_say_so(
    run: Run, key: str, migrated_db: Location, tmp_path: Path
) -> None:
    assert run("audit", "checkpoint").exit_code == 0  # creates the empty trail's checkpoint
    empty = run("audit", "prove", "--event", "1")
    assert (empty.exit_code, empty.stderr) == (
        2,
        "Error: --event 1: the trail holds no events yet.\n",
    )
    events(run, 2)
    signer = _signer(tmp_path)
    bigger = tmp_path / "bigger.checkpoint"
    bigger.write_text(signer.sign(checkpoint.Checkpoint(signer.name, 9, b"\x01" * 32).text()))
    refused = run("audit", "prove", "--since", str(bigger))
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: Audit trail broken at event 3: the checkpoint holds 9 events but the trail only "
        "2 (removed).\n"
    )


def test_unusable_key_files_and_paths_are_one_line_errors(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEGINGS_LOG_KEY", raising=False)
    long_name = tmp_path / ("k" * 300)
    made = run("audit", "key", "init", "--path", str(long_name), db=None)
    assert (made.exit_code, made.stderr) == (
        2,
        f"Error: Cannot create the log key {long_name}: File name too long.\n",
    )
    a_file = tmp_path / "plain"
    a_file.write_text("x\n")
    under_a_file = run("audit", "key", "init", "--path", str(a_file / "key"), db=None)
    assert (under_a_file.exit_code, under_a_file.stderr) == (
        2,
        f"Error: Cannot create the log key {a_file / 'key'}: Not a directory.\n",
    )
    empty = tmp_path / "empty-key"
    empty.write_text("")
    empty.chmod(0o600)
    shown = run("audit", "key", "show", "--key-path", str(empty), db=None)
    assert (shown.exit_code, shown.stderr) == (
        2,
        f"Error: The log key {empty} is unusable: that is not a log signing key "
        "(PRIVATE+KEY+<name>+<id>+<key>): expected 5 fields separated by '+'.\n",
    )
    huge = tmp_path / "huge-key"
    huge.write_bytes(b"P" * 100_000)
    huge.chmod(0o600)
    shown = run("audit", "key", "show", "--key-path", str(huge), db=None)
    assert (shown.exit_code, shown.stderr) == (
        2,
        f"Error: The log key {huge} is too large (more than 4096 bytes).\n",
    )
    binary = tmp_path / "binary-key"
    binary.write_bytes(b"\xff\xfe")
    binary.chmod(0o600)
    shown = run("audit", "key", "show", "--key-path", str(binary), db=None)
    assert (shown.exit_code, shown.stderr) == (
        2,
        f"Error: The log key {binary} is not UTF-8 text.\n",
    )


def test_a_verifier_key_too_long_to_be_a_file_name_is_one_line(
    run: Run, key: str, tmp_path: Path
) -> None:
    events(run, 1)
    kept = tmp_path / "kept.checkpoint"
    assert run("audit", "checkpoint", "-o", str(kept)).exit_code == 0
    long_key = "a" * 300 + "+bbbbbbbb+AAAA"
    result = run("audit", "verify", "--checkpoint", str(kept), "--key", long_key)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("Error: 'aaaa")
    assert result.stderr.endswith(
        "' is not a usable log name: use letters, digits and . _ / : ~ "
        "- only (no spaces, no +), such as aivd.wegings.example/audit.\n"
    )
    assert result.stderr.count("\n") == 1
    as_file = tmp_path / "verifier.txt"
    as_file.write_bytes(b"\xff" + key.encode())
    result = run("audit", "verify", "--checkpoint", str(kept), "--key", str(as_file))
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: The verifier key file {as_file} is not UTF-8 text.\n",
    )
