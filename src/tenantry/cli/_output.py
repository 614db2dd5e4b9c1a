"""Output helpers shared by the commands: ``--json`` prints one document on stdout, nothing else;
an error is plain words, never an exception's class name. Core module (``tenantry status``
uses it): no third-party import beyond the core's.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson


def print_json(doc: Any) -> None:
    sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
    sys.stdout.flush()


def plain_error(exc: BaseException) -> str:
    """An unexpected exception as words: an OS error's message and file name (``No such file or
    directory: /x/report.html``), else its text; the class name only when there is no text."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        return f"{exc.strerror}: {where}" if where != "" else exc.strerror
    text = " ".join(str(exc).split())
    return text or f"unexpected {type(exc).__name__}"
