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
    try:
        path.lstat()  # a dangling symbolic link exists too: nothing is written through it
    except FileNotFoundError:
        pass
    except OSError as exc:  # a name too long, a file where a folder should be, no access
        raise InvalidInput(f"Cannot create the log key {path}: {exc.strerror}.") from None
    else:
        raise InvalidInput(
            f"{path} exists already; a log key is never replaced. Use it, or give another --path."
        )
    signer = Signer.generate(origin)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:
        raise InvalidInput(
            f"Cannot create the log key {path}: {path.parent} is not a folder."
        ) from None
    except OSError as exc:
        raise InvalidInput(f"Cannot create the log key {path}: {exc.strerror}.") from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(f"{path} exists already; a log key is never replaced.") from None
    except OSError as exc:
        raise InvalidInput(f"Cannot create the log key {path}: {exc.strerror}.") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(signer.text() + "\n")
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:  # a disk full: leave no half-written key that would be refused later
        path.unlink(missing_ok=True)
        raise InvalidInput(f"Cannot create the log key {path}: {exc.strerror}.") from None
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
    content = read_small_file(path, f"The log key {path}", limit=MAX_KEY_BYTES)
    try:
        return parse_signer(content)
    except NoteError as failure:
        reason = failure.message[:1].lower() + failure.message[1:]
        raise NoteError(f"The log key {path} is unusable: {reason}") from None


MAX_KEY_BYTES = 4096
"""Far more than any key file or verifier key takes (under 300 bytes)."""

MAX_NOTE_FILE_BYTES = 1 << 20
"""The most a checkpoint or proof file given to a command may hold (they are a few KB)."""


def read_small_file(path: Path, what: str, *, limit: int = MAX_NOTE_FILE_BYTES) -> str:
    """The UTF-8 text of a small regular file (a key, a checkpoint, a proof); InvalidInput in
    one sentence naming `what` when it is missing, not a plain file, too large or unreadable.

    Only a regular file is opened, and no more than `limit` bytes are read, so that a device
    or a pipe given by mistake (`/dev/zero`) is refused rather than read for ever."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InvalidInput(f"{what}: no such file.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{what} is a folder, not a file.") from None
    except OSError as exc:
        raise InvalidInput(f"{what} cannot be read: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise InvalidInput(f"{what} is not a plain file.")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InvalidInput(f"{what} cannot be read: {exc.strerror or exc}.") from None
    if len(data) > limit:
        raise InvalidInput(f"{what} is too large (more than {limit} bytes).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{what} is not UTF-8 text.") from None


def read_verifier(value: str) -> Verifier:
    """A verifier key given as text (as `audit key init` printed it) or as a file holding it."""
    candidate = Path(value)
    try:
        is_file = candidate.is_file()
    except (OSError, ValueError):  # a name too long to be a file: taken as the key itself
        is_file = False
    if is_file:
        text = read_small_file(candidate, f"The verifier key file {value}", limit=MAX_KEY_BYTES)
        return parse_verifier(text.strip())
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
