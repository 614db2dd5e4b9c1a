"""What a running process tells the outside: ``<data dir>/status/<pid>.json`` for
``tenantry status``, and one log line per interval about new drops.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from tenantry._files import private_dir, write_private
from tenantry.counters import Counters

logger = logging.getLogger("tenantry")

STATUS_DIR = "status"


class Reporter:
    """Every ``every`` seconds (``due()``), ``report()`` logs new drops once, as one line per
    interval (so a storm of drops is never a storm of log lines), and writes this process's
    status file from ``document()`` (the worker's own account: ``pipeline.status``). Called
    from the worker thread (in sync mode, from ``flush``)."""

    def __init__(
        self, data_dir: Path, counters: Counters, every: float, document: Callable[[], dict]
    ) -> None:
        self.data_dir = data_dir
        self.counters = counters
        self.every = every
        self.document = document
        self._next = time.monotonic() + every
        self._reported: dict[str, int] = {}

    def due(self) -> bool:
        return time.monotonic() >= self._next

    def report(self, *, final: bool = False) -> None:
        self._next = time.monotonic() + self.every
        try:
            drops = self.counters.snapshot()["drops"]
            new = {k: v - self._reported.get(k, 0) for k, v in drops.items()}
            new = {k: v for k, v in new.items() if v > 0}
            if new:
                self._reported = dict(drops)
                logger.warning(
                    "tenantry: dropped %d event(s) in the last %s: %s",
                    sum(new.values()),
                    "run" if final else f"{self.every:g} s",
                    ", ".join(f"{k}={v}" for k, v in sorted(new.items())),
                )
            if final:
                remove_status_file(self.data_dir)
            else:
                write_status_file(self.data_dir, self.document())
        except Exception:
            logger.debug("tenantry: status report failed", exc_info=True)


def write_status_file(data_dir: Path, status: dict) -> None:
    """``<data dir>/status/<pid>.json``: this process's counters, for ``tenantry status``.
    Written atomically."""
    directory = data_dir / STATUS_DIR
    private_dir(directory)
    write_private(directory / f"{os.getpid()}.json", orjson.dumps(status, default=str))


def remove_status_file(data_dir: Path) -> None:
    """The final report of a process that shut down removes its status file."""
    (data_dir / STATUS_DIR / f"{os.getpid()}.json").unlink(missing_ok=True)


def read_status_files(data_dir: Path) -> list[dict]:
    """The status files of processes still alive; files of dead processes are removed."""
    out = []
    directory = data_dir / STATUS_DIR
    if not directory.is_dir():
        return out
    for path in directory.glob("*.json"):
        try:
            pid = int(path.stem)
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            path.unlink(missing_ok=True)
            continue
        except PermissionError:
            pass
        try:
            doc = orjson.loads(path.read_bytes())
            doc["pid"] = pid
            out.append(doc)
        except (OSError, ValueError):
            continue
    return out
