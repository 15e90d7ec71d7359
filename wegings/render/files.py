"""Where the templates live, and writing a rendered note without ever leaving half a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import wegings
from wegings.errors import StoreError


def templates_dir() -> Path:
    """The built-in templates: inside the installed package, else the source checkout's folder."""
    package_dir = Path(wegings.__file__).parent
    installed = package_dir / "templates"
    if installed.is_dir():
        return installed
    return package_dir.parent / "templates"


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the whole new one, never a part."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise StoreError(f"Cannot write {path}: directory {directory} does not exist")
    try:
        # Same directory as the target, so os.replace is a rename within one file system.
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise StoreError(
            f"Cannot write {path}: directory {directory} is not writable ({exc.strerror})"
        ) from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600, a fitting default for a classified document; when replacing a
        # file, keep the permissions someone chose for it.
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError):
            raise StoreError(f"Cannot write {path}: {exc.strerror or exc}") from exc
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows), hence optional.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
