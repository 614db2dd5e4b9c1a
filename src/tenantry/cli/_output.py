"""Output helpers shared by the commands: ``--json`` prints one document on stdout, nothing else;
a table is a title line above a rich table (a title set inside the table wraps mid-word when the
table is narrow); an error is plain words, never an exception's class name.

Core module (``tenantry status`` uses it): rich is imported only inside ``print_table``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import orjson


def print_json(doc: Any) -> None:
    sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
    sys.stdout.flush()


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] = ()
) -> None:
    """``title`` in bold on its own line, then the table (``right[i]``: right-align column i).
    Cells are printed as given: escape what came from clients first (``_text.printable``)."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{title}[/bold]", soft_wrap=True)
    table = Table(show_header=True, header_style="bold")
    for i, col in enumerate(columns):
        table.add_column(col, justify="right" if i < len(right) and right[i] else "left")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def plain_error(exc: BaseException) -> str:
    """An unexpected exception as words: an OS error's message and file name (``No such file or
    directory: /x/report.html``), else its text; the class name only when there is no text."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        return f"{exc.strerror}: {where}" if where != "" else exc.strerror
    text = " ".join(str(exc).split())
    return text or f"unexpected {type(exc).__name__}"
