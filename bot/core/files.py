"""Atomic file writes for the output folder: a reader never sees half a file, and modes follow the umask."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bot.core.errors import OutputError


def _umask() -> int:
    mask = os.umask(0o022)  # read it the only way POSIX allows, then put it back at once
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write `data` to `path` through a temporary file and a rename, readable as a normal file would be."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        # mkstemp creates 0600; the files are meant to be opened in a browser or served, like any other.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}", "check the output folder's permissions and free space") from None
