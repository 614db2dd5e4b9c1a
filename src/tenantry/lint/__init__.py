"""``tenantry lint``: the seed guide's DO/DON'T list, checked on a program's telemetry calls.

    findings = lint_source(source, "app.py")     # [Finding(path, line, col, code, message)]
    findings = lint_paths(["src", "tests"])       # every .py file below them

Rules (``rules.RULES``): TNT001 no ``developer_id``; TNT002 IDs swapped; TNT003 a property that
names personal data or a secret (``tenantry.policy.words``, the privacy rules' own words);
TNT004 a vendor call left; TNT005 ``track()`` not awaited; TNT006 telemetry used for control
flow. ``# noqa: TNT00x`` on the reported line silences one rule there, a bare ``# noqa`` all.
TNT000 reports a file that cannot be read, or has telemetry words and cannot be parsed (a file
without a single telemetry or vendor word is not parsed: nothing in it could be found).

Part of the core install: the standard library's ``ast`` is all it needs (no LibCST), so a
pre-commit hook or a CI job runs it after ``pip install tenantry``, and the flake8 plugin
(``tenantry.lint.flake8``) runs it inside flake8.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from tenantry.lint.rules import RULES, check
from tenantry.lint.scan import scan

__all__ = ["RULES", "Finding", "lint_paths", "lint_source", "python_files"]

NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)
# Directories never walked into (a path named on the command line is always read).
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", "node_modules",
     "site-packages", "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".eggs"}
)  # fmt: skip
PARALLEL_FROM = 200  # files; below this a process pool costs more than it saves


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    col: int  # 1-based, as ruff and flake8 print it
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


# Every rule needs one of these words in the file: a telemetry method, or a vendor's name (an
# alias is bound by an import line that names the vendor's module). A file without any is not
# parsed at all: most of a code base.
RELEVANT = re.compile(
    r"track|identify|capture|group|register|elemetry|mplitude|osthog|analytics|segment"
)


def lint_source(source: str, path: str = "<string>") -> list[Finding]:
    """The findings in one module's source, ``# noqa`` applied, in line order."""
    if not RELEVANT.search(source):
        return []
    try:
        result = scan(source)
    except SyntaxError as exc:
        return [
            Finding(path, exc.lineno or 1, exc.offset or 1, "TNT000", f"cannot parse: {exc.msg}")
        ]
    except (ValueError, RecursionError) as exc:  # NUL bytes; absurd nesting
        return [Finding(path, 1, 1, "TNT000", f"cannot parse: {exc}")]
    lines = source.splitlines()
    found = {
        Finding(path, line, col + 1, code, message)
        for line, col, code, message in check(result)
        if not suppressed(lines, line, code)
    }
    return sorted(found, key=lambda f: (f.line, f.col, f.code))


def suppressed(lines: list[str], line: int, code: str) -> bool:
    """Whether a ``# noqa`` on ``line`` silences ``code`` (flake8's rules: bare, or listing it)."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if "noqa" not in text and "NOQA" not in text.upper():
        return False
    match = NOQA.search(text)
    if match is None:
        return False
    codes = match.group("codes")
    return codes is None or code in {c.upper() for c in re.split(r"[\s,]+", codes)}


def python_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The ``.py`` files named or below the directories named, sorted, each once. Raises
    ``FileNotFoundError`` for a path that does not exist."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in sorted(files):
                    if name.endswith(".py"):
                        found[Path(root, name)] = None
        elif path.exists():
            found[path] = None
        else:
            raise FileNotFoundError(f"no such file or directory: {raw}")
    return list(found)


def lint_file(path: Path | str) -> list[Finding]:
    try:
        source = Path(path).read_text(encoding="utf-8-sig")  # a BOM is no code
    except (OSError, UnicodeDecodeError) as exc:
        return [Finding(str(path), 1, 1, "TNT000", f"cannot read: {exc}")]
    return lint_source(source, str(path))


def lint_paths(paths: Iterable[str | os.PathLike[str]], jobs: int | None = None) -> list[Finding]:
    """Every finding below ``paths``, by file and line. ``jobs``: worker processes (default:
    one per CPU when there are many files)."""
    files = python_files(paths)
    return [f for batch in map_files(lint_file, files, jobs) for f in batch]


def map_files(fn, files: list[Path], jobs: int | None) -> Iterator:
    """``fn`` over ``files``, in order; in a process pool when there are enough of them. The
    cyclic garbage collector is off meanwhile: syntax trees hold no cycles, and its passes over
    them cost a sixth of the run."""
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        if workers <= 1 or len(files) < PARALLEL_FROM:
            yield from map(fn, files)
            return
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, initializer=gc.disable) as pool:
            yield from pool.map(fn, files, chunksize=max(1, len(files) // (workers * 8)))
    finally:
        if was_enabled:
            gc.enable()
