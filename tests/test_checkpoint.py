"""Signed notes, keys, checkpoints and proof files (c2sp.org signed-note, tlog-checkpoint,
tlog-proof), byte for byte against the example of Go's sumdb/note, and broken ones refused."""

from __future__ import annotations

import pytest

from wegings.store import checkpoint, merkle
from wegings.store.checkpoint import Checkpoint, NoteError, Signer

# The documented example of golang.org/x/mod/sumdb/note: Ed25519 is deterministic, so signing
# the same text with the same key must give exactly this note.
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_keys_and_signature_match_the_go_reference_byte_for_byte() -> None:
    signer = checkpoint.parse_signer(GO_SIGNER)
    assert signer.text() == GO_SIGNER
    assert signer.verifier.text() == GO_VERIFIER
    assert signer.sign(GO_TEXT) == GO_NOTE
    verifier = checkpoint.parse_verifier(GO_VERIFIER)
    assert checkpoint.open_note(GO_NOTE, verifier) == GO_TEXT


def test_an_altered_note_or_key_is_refused() -> None:
    verifier = checkpoint.parse_verifier(GO_VERIFIER)
    with pytest.raises(NoteError, match="does not hold"):
        checkpoint.open_note(GO_NOTE.replace("cryptography", "cryptographs"), verifier)
    with pytest.raises(NoteError, match="ID does not match"):
        checkpoint.parse_verifier(GO_VERIFIER.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(NoteError, match="ID does not match"):
        checkpoint.parse_verifier(GO_VERIFIER.replace("PeterNeumann", "PeterNeuman"))
    with pytest.raises(NoteError):
        checkpoint.parse_verifier("PeterNeumann+c74f20a3")
    with pytest.raises(NoteError):
        checkpoint.parse_signer(GO_VERIFIER)


def test_signatures_of_other_keys_are_ignored_but_one_of_ours_is_needed() -> None:
    ours, theirs = Signer.generate("aivd.wegings.example/audit"), Signer.generate("witness.example")
    text = "aivd.wegings.example/audit\n3\n" + "A" * 43 + "=\n"
    both = ours.sign(text) + theirs.sign(text).split("\n\n", 1)[1]
    assert checkpoint.open_note(both, ours.verifier) == text
    with pytest.raises(NoteError, match="no signature of the key"):
        checkpoint.open_note(theirs.sign(text), ours.verifier)
    # Same name, another key: its signature is not ours, so it is ignored, and none is left.
    impostor = Signer.generate("aivd.wegings.example/audit")
    with pytest.raises(NoteError, match="no signature of the key"):
        checkpoint.open_note(impostor.sign(text), ours.verifier)


@pytest.mark.parametrize(
    "note",
    [
        "",
        "text\n",
        "text\n\n",
        "text\n\nnot a signature\n",
        "text\n\n— name !!!!\n",
        "text\x00\n\n— name AAAA\n",
        "text\n\n— name AAAA",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError):
        checkpoint.open_note(note, checkpoint.parse_verifier(GO_VERIFIER))


def test_a_checkpoint_round_trips_and_binds_its_origin() -> None:
    signer = Signer.generate("aivd.wegings.example/audit")
    tree = merkle.MemoryTree([b"a", b"b", b"c"])
    head = Checkpoint(signer.name, 3, tree.root())
    signed = signer.sign(head.text())
    assert signed.startswith(f"aivd.wegings.example/audit\n3\n{head.text().split()[2]}\n\n— ")
    assert checkpoint.open_checkpoint(signed, signer.verifier) == head
    other = Signer.generate("other.example/log")
    with pytest.raises(NoteError, match="not of"):
        checkpoint.open_checkpoint(other.sign(head.text()), other.verifier)


@pytest.mark.parametrize(
    "text",
    ["log\n03\nAAAA\n", "log\n-1\nAAAA\n", "log\n3\nAAAA\n", "log\n3\n", "log\n\n3\nAAAA\n"],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        checkpoint.parse_checkpoint_text(text)


@pytest.mark.parametrize("name", ["", "with space", "a+b", "naïve", "x" * 300, "-lead"])
def test_unusable_log_names_are_refused(name: str) -> None:
    with pytest.raises(NoteError):
        Signer.generate(name)


def test_proof_files_round_trip() -> None:
    signer = Signer.generate("aivd.wegings.example/audit")
    leaves = [f"event {i}".encode() for i in range(7)]
    tree = merkle.MemoryTree(leaves)
    signed = signer.sign(Checkpoint(signer.name, 7, tree.root()).text())
    path = merkle.inclusion_proof(4, 7, tree.node)
    text = checkpoint.inclusion_proof_text(4, leaves[4], path, signed)
    assert text.startswith("c2sp.org/tlog-proof@v1\nextra ")
    parsed = checkpoint.parse_proof(text, signer.verifier)
    assert (parsed.kind, parsed.number, parsed.extra, parsed.hashes) == (
        "inclusion",
        4,
        leaves[4],
        path,
    )
    merkle.verify_inclusion(4, 7, merkle.leaf_hash(leaves[4]), parsed.hashes, tree.root())
    consistency = merkle.consistency_proof(3, 7, tree.node)
    parsed = checkpoint.parse_proof(
        checkpoint.consistency_proof_text(3, consistency, signed), signer.verifier
    )
    assert (parsed.kind, parsed.number, parsed.hashes) == ("consistency", 3, consistency)
    with pytest.raises(NoteError):
        checkpoint.parse_proof(text.replace("index 4", "index 04"), signer.verifier)
    with pytest.raises(NoteError):
        checkpoint.parse_proof("something else\n\n" + signed, signer.verifier)


def test_base64_in_another_than_its_one_form_is_refused() -> None:
    # The signature's last character carries two unused bits: 'N' decodes as 'M' does. A note
    # written otherwise than it was signed is not the note that was signed.
    verifier = checkpoint.parse_verifier(GO_VERIFIER)
    assert GO_NOTE.endswith("JnAM=\n")
    with pytest.raises(NoteError, match="canonical"):
        checkpoint.open_note(GO_NOTE.replace("JnAM=\n", "JnAN=\n"), verifier)
    with pytest.raises(NoteError, match="canonical"):
        checkpoint.parse_checkpoint_text("log\n3\n" + "A" * 42 + "B=\n")


def test_a_checkpoint_of_another_log_says_whose_it_is() -> None:
    ours, theirs = Signer.generate("aivd.wegings.example/audit"), Signer.generate("evil.example")
    note = theirs.sign(Checkpoint(theirs.name, 3, b"\x01" * 32).text())
    with pytest.raises(checkpoint.SignatureFails) as refused:
        checkpoint.open_checkpoint(note, ours.verifier)
    assert refused.value.message == (
        "The checkpoint is of the log 'evil.example', not of 'aivd.wegings.example/audit': it "
        "carries no signature of this log's key."
    )
    # Of our log but signed by another key of the same name: no signature of ours, as before.
    impostor = Signer.generate(ours.name)
    forged = impostor.sign(Checkpoint(ours.name, 3, b"\x01" * 32).text())
    with pytest.raises(checkpoint.SignatureFails, match="no signature of the key"):
        checkpoint.open_checkpoint(forged, ours.verifier)
