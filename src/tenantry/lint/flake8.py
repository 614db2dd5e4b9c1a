"""``tenantry lint`` as a flake8 plugin (entry point ``flake8.extension``: ``TNT``).

    flake8 --select TNT src/

flake8 hands over the tree it parsed and the file's lines, and applies ``# noqa`` itself. Ruff
cannot run flake8 plugins; a project that lints with ruff and runs this plugin (or
``tenantry lint``) beside it sets ``lint.external = ["TNT"]`` so ruff keeps its ``# noqa: TNT00x``
comments.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import tenantry
from tenantry.lint.rules import check
from tenantry.lint.scan import scan


class Plugin:
    name = "tenantry"
    version = tenantry.__version__

    def __init__(self, tree: ast.Module, lines: list[str]) -> None:
        self.tree = tree
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        result = scan("".join(self.lines), self.tree)
        for line, col, code, message in check(result):
            yield line, col, f"{code} {message}", type(self)
