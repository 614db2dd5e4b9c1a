"""Output helpers shared by the commands: ``--json`` prints one document on stdout, nothing else."""

from __future__ import annotations

import sys
from typing import Any

import orjson


def print_json(doc: Any) -> None:
    sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
    sys.stdout.flush()
