"""Files tenantry writes are private to the owner, whatever the umask.

Every directory tenantry creates is 0700 and every file 0600 (the installation secret, spool
segments and ledger, jsonl output, status files, the suppression list, store segments, the
identity database and its ``-wal``/``-shm``). Use these helpers instead of ``open``/``mkdir``
for anything under the data dir. A directory that already exists with group or other bits is
left as the operator made it, with one warning per path and process.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600

logger = logging.getLogger("tenantry")
_warned: set[str] = set()
_warned_lock = threading.Lock()


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and missing parents tenantry makes for it) as 0700; return it.

    An existing directory is not changed; if group or others can read it, warn once."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask; chmod is not
    if not missing:
        warn_if_loose(path)
    return path


def warn_if_loose(path: str | os.PathLike[str]) -> bool:
    """Log once per path when group or others have any access to it. True when loose."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return False
    key = str(Path(path).resolve())
    with _warned_lock:
        if key in _warned:
            return True
        _warned.add(key)
    logger.warning(
        "tenantry: %s is readable by other users (mode %o); run: chmod 700 %s",
        path,
        stat.S_IMODE(mode),
        path,
    )
    return True


def open_private(
    path: str | os.PathLike[str], flags: int = os.O_WRONLY | os.O_CREAT | os.O_APPEND
) -> int:
    """``os.open`` that creates the file 0600; returns the descriptor."""
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & ~FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except OSError:
        pass
    return fd


def open_private_file(path: str | os.PathLike[str], mode: str = "ab"):
    """``open()`` for a private file: ``mode`` as for ``open`` ('ab', 'wb', 'a', 'w', 'r+b')."""
    flags = os.O_CREAT
    if "+" in mode:
        flags |= os.O_RDWR
    else:
        flags |= os.O_WRONLY
    if "a" in mode:
        flags |= os.O_APPEND
    if "w" in mode:
        flags |= os.O_TRUNC
    if "x" in mode:
        flags |= os.O_EXCL
    fd = open_private(path, flags)
    return os.fdopen(fd, mode)


def chmod_private(path: str | os.PathLike[str]) -> None:
    """Make a file a third-party library wrote (Parquet, SQLite) 0600, before it is renamed
    into place or first used."""
    os.chmod(path, FILE_MODE)


def write_private(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, as a 0600 file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open_private_file(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
