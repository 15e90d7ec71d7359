"""The log key: where it lives, how it is created (mode 0600, never overwritten) and read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from wegings.errors import InvalidInput
from wegings.store.checkpoint import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    check_name,
    open_checkpoint,
    parse_signer,
    parse_verifier,
)

KEY_ENV = "WEGINGS_LOG_KEY"
KEY_FILENAME = "log-key"
REMEMBERED_SUFFIX = ".checkpoint"


def key_path(path: Path | None) -> Path:
    """The key file: `--path`, else $WEGINGS_LOG_KEY, else `log-key` in the user data directory."""
    if path is not None:
        return path
    from_env = os.environ.get(KEY_ENV, "").strip()
    if from_env:
        return Path(from_env)
    import platformdirs

    return platformdirs.user_data_path("wegings") / KEY_FILENAME


def refuse_log_key(target: Path, *, given: Path | None = None) -> None:
    """Refuse to write a file over the log key (the one found as `key_path` does, or `given`):
    a log key is never replaced."""
    resolved = target.resolve()
    for key in {key_path(None), *(() if given is None else (given,))}:
        if resolved == key.resolve():
            raise InvalidInput(f"{target} is the log key; choose another file.")
        if resolved == remembered_path(key).resolve():
            raise InvalidInput(
                f"{target} is where the log key keeps its last checkpoint; choose another file."
            )


def create_key(path: Path, origin: str) -> Signer:
    """A new Ed25519 log key for the log `origin`, written to `path` readable by its owner only.

    An existing file is never replaced: a log that signed checkpoints with one key and then
    another could no longer show that its checkpoints agree."""
    check_name(origin)
    if path.exists() or path.is_symlink():
        raise InvalidInput(
            f"{path} exists already; a log key is never replaced. Use it, or give another --path."
        )
    signer = Signer.generate(origin)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(f"{path} exists already; a log key is never replaced.") from None
    except OSError as exc:
        raise InvalidInput(f"Cannot create the log key {path}: {exc.strerror}.") from None
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(signer.text() + "\n")
    return signer


def load_key(path: Path) -> Signer:
    """The log key at `path`; refused when others may read it, as ssh refuses such keys."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InvalidInput(
            f"No log key at {path}; create one with `wegings audit key init` (or point "
            f"--key-path or ${KEY_ENV} at it)."
        ) from None
    except OSError as exc:
        raise InvalidInput(f"Cannot read the log key {path}: {exc.strerror}.") from None
    if not stat.S_ISREG(mode):
        raise InvalidInput(f"The log key {path} is not a file.")
    if mode & 0o077:
        raise InvalidInput(
            f"The log key {path} may be read by others (mode {stat.S_IMODE(mode):o}); make it "
            f"private with `chmod 600 {path}`."
        )
    try:
        content = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise InvalidInput(f"The log key {path} is unreadable or not a log key.") from None
    return parse_signer(content)


def read_verifier(value: str) -> Verifier:
    """A verifier key given as text (as `audit key init` printed it) or as a file holding it."""
    candidate = Path(value)
    if candidate.is_file():
        try:
            return parse_verifier(candidate.read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError):
            raise InvalidInput(f"Cannot read the verifier key file {value}.") from None
    if value.count("+") < 2:
        raise InvalidInput(
            f"--key {value!r} is neither a verifier key (NAME+ID+KEY, as `wegings audit key "
            "init` printed it) nor a file holding one."
        )
    return parse_verifier(value)


def remembered_path(key_file: Path) -> Path:
    """Where the last checkpoint the key at `key_file` signed is kept: `<keyfile>.checkpoint`."""
    return key_file.with_name(key_file.name + REMEMBERED_SUFFIX)


def load_remembered(key_file: Path, signer: Signer) -> Checkpoint | None:
    """The last checkpoint this key signed, its signature checked with the key; None when it is
    missing, unreadable, not signed by this key or of another origin (the caller then checks
    the whole trail, so a lost or tampered file costs time, never correctness)."""
    path = remembered_path(key_file)
    try:
        if not stat.S_ISREG(path.lstat().st_mode) or path.stat().st_size > 1 << 16:
            return None
        note = path.read_text(encoding="utf-8")
        kept = open_checkpoint(note, signer.verifier)
    except (OSError, UnicodeDecodeError, NoteError):
        return None
    return kept if kept.origin == signer.name else None


def remember(key_file: Path, signed: str) -> None:
    """Keep `signed`, a checkpoint just signed, beside the key (mode 0600, replaced atomically:
    a reader finds the old checkpoint or the new one, never half of one)."""
    from wegings.render.files import write_atomically

    path = remembered_path(key_file)
    write_atomically(path, signed.encode("utf-8"))
    os.chmod(path, 0o600)  # a file replaced keeps its mode: this one is the key's companion
