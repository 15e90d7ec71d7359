"""Signed notes, the log key and checkpoints, as the C2SP specs define them.

- c2sp.org/signed-note: a text ending in a newline, a blank line, and signature lines
  `— <key name> base64(key ID || Ed25519 signature)`; the key ID is the first four bytes of
  SHA-256(name || 0x0A || 0x01 || public key).
- c2sp.org/tlog-checkpoint: the note text is the log's origin, the tree size and the base64 root
  hash, one a line; the key name is the origin.
- c2sp.org/tlog-proof: an inclusion proof with the checkpoint it leads to.
- Keys are written as Go's `golang.org/x/mod/sumdb/note` writes them, so the same verifier key
  works in that ecosystem's tools: `<name>+<key ID hex>+base64(0x01 || public key)`, and the
  signer key `PRIVATE+KEY+<name>+<key ID hex>+base64(0x01 || private seed)`.

Pure functions over text and bytes; nothing here reads the database or the clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from wegings.errors import InvalidInput, Refused
from wegings.store import merkle

ED25519 = 0x01
"""The signature type byte of Ed25519 in c2sp.org/signed-note."""

SIGNATURE_DASH = "\u2014 "
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
CONSISTENCY_HEADER = "wegings/consistency-proof@v1"
MAX_NOTE_BYTES = 1 << 16
MAX_SIGNATURES = 16

# A key name (and so an origin) as the spec allows it, narrowed to characters that read the same
# everywhere: a schema-less URL such as `aivd.wegings.example/audit`.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:~-]{0,199}")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")


class NoteError(InvalidInput):
    """A note, key, checkpoint or proof that is malformed or does not verify."""


class ProofDoesNotHold(Refused):
    """A well-formed proof file that does not prove what it claims (exit 1)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The proof does not hold: {reason}.")
        self.reason = reason


class SignatureFails(NoteError):
    """A well-formed note that the key given did not sign: altered, or of another log or key."""


class NoSignature(SignatureFails):
    """A well-formed note that carries no signature of the key given at all."""


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(f"{what} is not valid base64.") from None
    # One encoding only: base64 lets the last character carry unused bits, so one hash or
    # signature could be written several ways; a file that differs from what was signed or
    # made must not pass as it.
    if _b64(raw) != text:
        raise NoteError(f"{what} is not valid base64 (not in its one canonical form).")
    return raw


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def check_name(name: str) -> str:
    """A key name / origin: non-empty, no spaces, no `+`, plain characters."""
    if not _NAME.fullmatch(name):
        raise NoteError(
            f"{name!r} is not a usable log name: use letters, digits and . _ / : ~ - only "
            "(no spaces, no +), such as aivd.wegings.example/audit."
        )
    return name


def key_id(name: str, public: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x01 || public key)[:4], as c2sp.org/signed-note recommends."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A log's public key with its name: what an overseer keeps to check checkpoints."""

    name: str
    public: bytes

    @property
    def key_id(self) -> bytes:
        """The four bytes a signature line starts with."""
        return key_id(self.name, self.public)

    def text(self) -> str:
        """`<name>+<key ID hex>+base64(0x01 || public key)`."""
        return f"{self.name}+{self.key_id.hex()}+{_b64(bytes([ED25519]) + self.public)}"

    def verifies(self, message: bytes, signature: bytes) -> bool:
        """Whether `signature` is this key's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """The log's signing key."""

    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A new Ed25519 key for the log called `name`."""
        private = Ed25519PrivateKey.generate()
        return cls(check_name(name), private.private_bytes_raw())

    @property
    def verifier(self) -> Verifier:
        """The public half."""
        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return Verifier(self.name, public)

    def text(self) -> str:
        """`PRIVATE+KEY+<name>+<key ID hex>+base64(0x01 || seed)`: the key file's content."""
        verifier = self.verifier
        return (
            f"PRIVATE+KEY+{self.name}+{verifier.key_id.hex()}+{_b64(bytes([ED25519]) + self.seed)}"
        )

    def sign(self, text: str) -> str:
        """The signed note of `text` (which must end in a newline)."""
        check_note_text(text)
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(text.encode())
        line = _b64(self.verifier.key_id + signature)
        return f"{text}\n{SIGNATURE_DASH}{self.name} {line}\n"


def _split_key(text: str, parts: int, what: str) -> list[str]:
    fields = text.strip().split("+", parts - 1)  # base64 may hold '+' itself
    if len(fields) != parts:
        raise NoteError(f"That is not {what}: expected {parts} fields separated by '+'.")
    return fields


def _key_data(name: str, id_hex: str, data: str, what: str) -> bytes:
    check_name(name)
    raw = _b64decode(data, what)
    if len(raw) != 33 or raw[0] != ED25519:
        raise NoteError(f"{what} is not an Ed25519 key (type 0x01 and 32 bytes).")
    if not re.fullmatch(r"[0-9a-f]{8}", id_hex):
        raise NoteError(f"{what} has no valid key ID (eight hex digits).")
    return raw[1:]


def parse_verifier(text: str) -> Verifier:
    """A verifier key as `audit key init` prints it; its key ID must match its content."""
    name, id_hex, data = _split_key(text, 3, "a verifier key (<name>+<id>+<key>)")
    verifier = Verifier(name, _key_data(name, id_hex, data, "The verifier key"))
    if verifier.key_id.hex() != id_hex:
        raise NoteError("The verifier key's ID does not match its name and key: it was altered.")
    return verifier


def parse_signer(text: str) -> Signer:
    """A signer key as the key file holds it."""
    fields = _split_key(text, 5, "a log signing key (PRIVATE+KEY+<name>+<id>+<key>)")
    if fields[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("That is not a log signing key: it does not start with PRIVATE+KEY+.")
    name, id_hex, data = fields[2:]
    seed = _key_data(name, id_hex, data, "The signing key")
    try:
        signer = Signer(name, seed)
        verifier = signer.verifier
    except ValueError:
        raise NoteError("The signing key is not a valid Ed25519 key.") from None
    if verifier.key_id.hex() != id_hex:
        raise NoteError("The signing key's ID does not match its name and key: it was altered.")
    return signer


def check_note_text(text: str) -> None:
    """A note text: ends in a newline, no control characters but newlines."""
    if not text.endswith("\n"):
        raise NoteError("A note's text must end in a newline.")
    if any(ord(c) < 0x20 and c != "\n" for c in text) or "\x7f" in text:
        raise NoteError("A note may hold no control characters other than newlines.")


def open_note(note: str, verifier: Verifier) -> str:
    """The text of `note`, once a signature of `verifier` on it holds; else NoteError.

    As c2sp.org/signed-note requires: signatures of other keys (another name or key ID) are
    ignored, a failing signature of the known key rejects the note, and a note without one
    verified signature of it is rejected."""
    if len(note.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise NoteError("The note is too large to be a checkpoint or proof.")
    check_note_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("That is not a signed note: no blank line before its signatures.")
    text, block = note[: split + 1], note[split + 2 :]
    lines = block.split("\n")
    if lines[-1] != "" or len(lines) < 2:
        raise NoteError("That is not a signed note: it has no signature lines.")
    if len(lines) - 1 > MAX_SIGNATURES:
        raise NoteError(f"The note has more than {MAX_SIGNATURES} signatures.")
    verified = False
    for line in lines[:-1]:
        if not line.startswith(SIGNATURE_DASH):
            raise NoteError("That is not a signed note: a signature line lacks its em dash.")
        name, _, data = line[len(SIGNATURE_DASH) :].partition(" ")
        raw = _b64decode(data, "A signature")
        if len(raw) < 5:
            raise NoteError("A signature is too short.")
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue
        if not verifier.verifies(text.encode(), raw[4:]):
            raise SignatureFails(
                f"The signature of {verifier.name} does not hold: the note was altered or "
                "signed with another key."
            )
        verified = True
    if not verified:
        raise NoSignature(f"The note carries no signature of the key {verifier.name}.")
    return text


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size, and the root hash."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The c2sp.org/tlog-checkpoint note text."""
        return f"{self.origin}\n{self.size}\n{_b64(self.root)}\n"


def parse_checkpoint_text(text: str) -> Checkpoint:
    """A checkpoint's note text (already verified)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(line == "" for line in lines[:-1]):
        raise NoteError("That is not a checkpoint: it needs origin, size and root hash lines.")
    origin, size_text, root_text = lines[:3]
    if not _DECIMAL.fullmatch(size_text):
        raise NoteError(f"The checkpoint's tree size {size_text!r} is not a decimal number.")
    root = _b64decode(root_text, "The checkpoint's root hash")
    if len(root) != 32:
        raise NoteError("The checkpoint's root hash is not 32 bytes.")
    return Checkpoint(origin, int(size_text), root)


def open_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    """A signed checkpoint, verified with the log's key; its origin must be the key's name."""
    try:
        text = open_note(note, verifier)
    except NoSignature:
        # Unsigned by this key and naming another log: say so, which is what the reader needs.
        origin = note.partition("\n")[0]
        if origin != verifier.name and _NAME.fullmatch(origin):
            raise NoSignature(
                f"The checkpoint is of the log {origin!r}, not of {verifier.name!r}: it carries "
                "no signature of this log's key."
            ) from None
        raise
    checkpoint = parse_checkpoint_text(text)
    if checkpoint.origin != verifier.name:
        raise SignatureFails(
            f"The checkpoint is of the log {checkpoint.origin!r}, not of {verifier.name!r}."
        )
    return checkpoint


def _hash_lines(hashes: list[bytes]) -> str:
    return "".join(f"{_b64(h)}\n" for h in hashes)


def inclusion_proof_text(index: int, leaf: bytes, proof: list[bytes], signed: str) -> str:
    """c2sp.org/tlog-proof: the entry's index (zero-based), its leaf data as `extra` (so the
    leaf hash can be recomputed from the event itself), the path, and the signed checkpoint."""
    return f"{PROOF_HEADER}\nextra {_b64(leaf)}\nindex {index}\n{_hash_lines(proof)}\n{signed}"


def consistency_proof_text(
    old_size: int, proof: list[bytes], signed: str, *, old_signed: str | None = None
) -> str:
    """A consistency proof from the tree of `old_size` to the signed checkpoint that follows,
    laid out like c2sp.org/tlog-proof: header, `old SIZE`, the old signed checkpoint itself as
    `from base64(note)` (so the proof checks with nothing else at hand), the hashes, a blank
    line, the new checkpoint's note."""
    origin = "" if old_signed is None else f"from {_b64(old_signed.encode('utf-8'))}\n"
    return f"{CONSISTENCY_HEADER}\nold {old_size}\n{origin}{_hash_lines(proof)}\n{signed}"


@dataclass(frozen=True)
class ProofFile:
    """A parsed proof file: its numbers, hashes and the checkpoint(s) it holds.

    `note` is the signed checkpoint it leads to, `old_note` (a consistency proof written since
    that line was added) the signed checkpoint it starts from; both verified when parsed with
    `parse_proof`."""

    kind: str  # "inclusion" or "consistency"
    number: int  # the leaf index, or the old tree size
    extra: bytes | None
    hashes: list[bytes]
    checkpoint: Checkpoint
    note: str = ""
    old_note: str | None = None
    old: Checkpoint | None = None


def read_proof(text: str) -> tuple[str, int, bytes | None, list[bytes], str | None, str]:
    """A proof file's parts, their signatures not yet checked: kind, number, extra, hashes, the
    old checkpoint's note (or None) and the new checkpoint's note. NoteError when malformed."""
    if len(text.encode("utf-8", "surrogatepass")) > 4 * MAX_NOTE_BYTES:
        raise NoteError("The file is too large to be a proof.")
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise NoteError("That is not a proof file: no blank line before its checkpoint.")
    lines = head.split("\n")
    extra = old_note = None
    if lines[0] == PROOF_HEADER:
        kind, key = "inclusion", "index "
        if len(lines) > 1 and lines[1].startswith("extra "):
            extra = _b64decode(lines[1][len("extra ") :], "The proof's extra data")
            lines = [lines[0], *lines[2:]]
    elif lines[0] == CONSISTENCY_HEADER:
        kind, key = "consistency", "old "
        if len(lines) > 2 and lines[2].startswith("from "):
            raw = _b64decode(lines[2][len("from ") :], "The proof's old checkpoint")
            try:
                old_note = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise NoteError("The proof's old checkpoint is not UTF-8 text.") from None
            lines = lines[:2] + lines[3:]
    else:
        raise NoteError("That is not a proof file: its first line names no proof format.")
    if len(lines) < 2 or not lines[1].startswith(key):
        raise NoteError(f"The proof file lacks its '{key.strip()}' line.")
    number_text = lines[1][len(key) :]
    if not _DECIMAL.fullmatch(number_text):
        raise NoteError(f"The proof's {key.strip()} {number_text!r} is not a decimal number.")
    hashes = [_b64decode(line, "A proof hash") for line in lines[2:]]
    if any(len(h) != 32 for h in hashes):
        raise NoteError("A proof hash is not 32 bytes.")
    return kind, int(number_text), extra, hashes, old_note, note


def parse_proof(text: str, verifier: Verifier) -> ProofFile:
    """An inclusion proof (c2sp.org/tlog-proof) or a consistency proof, its checkpoints
    verified (NoteError when malformed or when a signature does not hold)."""
    kind, number, extra, hashes, old_note, note = read_proof(text)
    old = None if old_note is None else open_checkpoint(old_note, verifier)
    return ProofFile(
        kind, number, extra, hashes, open_checkpoint(note, verifier), note, old_note, old
    )


def _same(one: Checkpoint, other: Checkpoint) -> bool:
    return (one.origin, one.size, one.root) == (other.origin, other.size, other.root)


def check_proof(text: str, verifier: Verifier, kept: Checkpoint | None = None) -> ProofFile:
    """Check a proof file offline, with the verifier key alone: the signatures of the
    checkpoints it holds, and the consistency or inclusion proof itself. Given `kept`, a
    checkpoint the overseer kept (its signature checked), a consistency proof must start from
    exactly it and an inclusion proof lead to exactly it.

    NoteError when the file is malformed (exit 2), ProofDoesNotHold when it does not hold."""
    kind, number, extra, hashes, old_note, note = read_proof(text)
    try:
        new = open_checkpoint(note, verifier)
        old = None if old_note is None else open_checkpoint(old_note, verifier)
    except SignatureFails as failure:
        reason = failure.message.rstrip(".")
        raise ProofDoesNotHold(reason[:1].lower() + reason[1:]) from None
    parsed = ProofFile(kind, number, extra, hashes, new, note, old_note, old)
    try:
        if kind == "inclusion":
            if extra is None:
                raise NoteError("The inclusion proof carries no leaf data (its 'extra' line).")
            if kept is not None and not _same(kept, new):
                raise ProofDoesNotHold(
                    f"it leads to the checkpoint at {new.size} events, not to the one kept "
                    f"({kept.size} events)"
                )
            merkle.verify_inclusion(number, new.size, merkle.leaf_hash(extra), hashes, new.root)
            return parsed
        start = old if old is not None else kept
        if start is None:
            raise NoteError(
                "The consistency proof does not carry the checkpoint it starts from; give the "
                "one you kept with --checkpoint."
            )
        if kept is not None and not _same(kept, start):
            raise ProofDoesNotHold(
                f"it starts from another checkpoint ({start.size} events) than the one kept "
                f"({kept.size} events)"
                if start.size != kept.size
                else f"it starts from another tree of {kept.size} events than the checkpoint "
                "kept (the trail was rewritten)"
            )
        if start.size != number:
            raise ProofDoesNotHold(
                f"it is from size {number}, but the checkpoint it starts from holds "
                f"{start.size} events"
            )
        merkle.verify_consistency(number, new.size, start.root, new.root, hashes)
    except merkle.ProofError as failure:
        raise ProofDoesNotHold(str(failure)) from None
    return parsed
