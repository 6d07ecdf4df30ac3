"""Where the project keeps what it derives once (``cache_root``), and replacing a file so that no reader, crash
or second writer ever sees half of it.

Every file the project keeps (joined models, derived name lists, outbox notes, cached audio, ``stack.json``)
is written to a fresh temporary file in the target's folder and renamed over the target: the rename is
atomic on one filesystem, so a reader finds the old file or the new one. A failed write leaves no
temporary file behind and the old target untouched.

Standard library only: services, the CLI and the benchmarks all import it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE = 0o600
_ATTEMPTS = 100  # unique names are random: a clash is already unlikely at the first try


def cache_root() -> Path:
    """``$SCRIBESTREAM_CACHE``, else ``$XDG_CACHE_HOME/scribestream``, else ``~/.cache/scribestream``: derived
    files (name lists, joined models under ``models/``) that can be rebuilt, so never a place for PHI."""
    explicit = os.environ.get("SCRIBESTREAM_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says a relative value is invalid and to be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "scribestream"


@contextmanager
def replacing(path: Path, *, mode: int | None = PRIVATE, durable: bool = False) -> Iterator[Path]:
    """Yield a new empty temporary file beside ``path`` for the caller to write (any writer that takes a
    path: ``shutil.copyfile``, ``soundfile.write``); on a clean exit it replaces ``path``, on an exception
    it is removed and the exception goes on.

    ``mode``: the permission bits ``path`` ends up with, exactly (no umask); private by default, since
    much of what this project writes is about patients, and the temporary file stays private until the
    rename. ``None``: the bits ``open()`` gives a new file (``0o666`` less the umask). ``durable``: fsync
    the file before the rename and the folder after it, so a power loss does not undo a write already
    reported done.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_beside(path, mode=0o666 if mode is None else PRIVATE)
    try:
        yield tmp
        if mode is not None:
            os.chmod(tmp, mode)
        if durable:
            _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_folder(path.parent)


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = PRIVATE, durable: bool = False) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8); see ``replacing`` for the keywords."""
    with replacing(path, mode=mode, durable=durable) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def _create_beside(path: Path, *, mode: int) -> Path:
    # Hidden, and ending in the target's suffix: writers that pick a format by extension pick the same one.
    for _ in range(_ATTEMPTS):
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
        except FileExistsError:
            continue
        return tmp
    # No path in the message: a deployment's paths may carry names.
    raise FileExistsError("no free temporary file name beside the target")  # pragma: no cover


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)  # the writer has closed its own descriptor; fsync flushes the file
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not every platform can open a folder.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
