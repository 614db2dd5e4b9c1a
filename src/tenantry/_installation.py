"""Per-installation state in the data dir: the pseudonym secret and the first-send notice.

Only the telemetry worker thread calls these (they touch the disk); never the caller of ``track``.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from tenantry._files import open_private, private_dir, write_private
from tenantry.config import env_name

logger = logging.getLogger("tenantry")

SECRET_FILE = "secret"
NOTICE_FILE = "notice-shown"

NOTICE = (
    "tenantry: this installation sends anonymous usage telemetry (event names, non-identifying "
    "properties, edition, OS, architecture, version). It never sends IDs in clear, emails, names, "
    "tokens, IP addresses, file paths or free text. Opt out with "
    f"{env_name('enabled')}=false or {env_name('do_not_track')}=1. This notice is shown once."
)


def load_or_create_secret(data_dir: Path, explicit: str | None = None) -> bytes:
    """The installation's key for pseudonyms: ``TELEMETRY_SECRET`` or 32 random bytes in
    ``data_dir/secret`` (mode 0600), created once, race-safe across processes. Never sent."""
    if explicit:
        return explicit.encode("utf-8")
    path = data_dir / SECRET_FILE
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    private_dir(data_dir)
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{uuid.uuid4().hex}")
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        os.write(fd, os.urandom(32))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic and refuses to replace: the first process to get here wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) < 32:
        raise ValueError(f"{path} is shorter than 32 bytes; delete it to make a new one")
    return data


def new_anonymous_id() -> str:
    """The process's anonymous ID, used when a call names no user and no developer."""
    return "anon_" + uuid.uuid4().hex


def show_notice_once(data_dir: Path) -> bool:
    """Log the one-time notice before an opensource installation first sends anything off the
    machine, and record that it did. True when it was shown now."""
    marker = data_dir / NOTICE_FILE
    if marker.exists():
        return False
    logger.warning(NOTICE)
    private_dir(data_dir)
    write_private(marker, b"shown\n")
    return True
