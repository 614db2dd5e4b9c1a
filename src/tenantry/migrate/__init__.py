"""``tenantry migrate``: Amplitude, PostHog and Segment call sites rewritten to tenantry.

    outcome = migrate_source(source)            # Outcome(source, notes, changed)
    report = migrate_paths(["src"], write=True)  # every .py file below, in a process pool

Rules (``RULES``; ``--disable TM00x`` skips one; ``TM000`` lists a vendor call no rule covers),
modelled on bump-pydantic's: each rewrite has a code, the run goes on past a file that fails (listed, left untouched), and ``--diff`` prints the
patch instead of writing it. A rewritten file must parse (checked); running migrate again on it
changes nothing. ``developer_id`` comes from the scope when the code makes it obvious
(``migrate.ids``); otherwise the call gets ``developer_id=None  # TODO(tenantry): ...``, and
every such TODO is listed.

Needs the ``migrate`` extra (LibCST): ``pip install 'tenantry[migrate]'``.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tenantry.lint import map_files, python_files
from tenantry.lint.scan import scan
from tenantry.migrate.module import unused_imports
from tenantry.migrate.plan import Note, plan
from tenantry.migrate.text import Text, apply, moved

__all__ = ["RULES", "FileResult", "Outcome", "Report", "migrate_paths", "migrate_source"]

RULES = {
    "TM001": "amplitude track(BaseEvent(...)) (also an event built first; the wrapper form) -> track",
    "TM002": "amplitude identify(Identify()...) -> identify; group_identify -> group",
    "TM003": "posthog capture (before and since 6.0; module or Posthog client) -> track",
    "TM004": "posthog identify, set, set_once -> identify; group_identify -> group",
    "TM005": "segment track -> track",
    "TM006": "segment identify -> identify; group -> group",
    "TM007": "tenantry's flush() after the vendor's flush/shutdown (which stays)",
    "TM008": "a comment above each vendor client's construction",
}
# a file without these words has no vendor call: not even parsed
_VENDOR_WORDS = re.compile(r"amplitude|posthog|analytics|segment", re.IGNORECASE)
_TODO = "TODO(tenantry)"


class MigrationError(Exception):
    """A file that cannot be migrated (it does not parse, or its rewrite would not)."""


@dataclass(slots=True)
class Outcome:
    source: str
    notes: list[Note] = field(default_factory=list)
    todos: list[tuple[int, str]] = field(default_factory=list)  # (line, what), once migrated
    changed: bool = False


def migrate_source(source: str, disabled: Iterable[str] = ()) -> Outcome:
    """Migrate one module's source. Raises ``MigrationError``."""
    if not _VENDOR_WORDS.search(source):
        return Outcome(source)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        raise MigrationError(f"cannot parse: {exc}") from None
    text = Text(source)
    result = scan(source, tree)
    planned = plan(text, result, frozenset(disabled))
    edits = list(planned.edits)
    new = apply(source, edits)
    if new != source:
        cleanup = unused_imports(text, new, result)
        if cleanup:
            edits += cleanup
            new = apply(source, edits)
        try:
            ast.parse(new)
        except SyntaxError as exc:
            raise MigrationError(
                f"the rewrite does not parse ({exc}); file left as it was"
            ) from None
    final = Text(new)
    for note in planned.notes:
        note.line = final.line_at(moved(note.offset, edits))
    todos = [
        (i, line.partition(_TODO)[2].lstrip(": ").rstrip())
        for i, line in enumerate(final.lines, 1)
        if _TODO in line
    ]
    notes = sorted(planned.notes, key=lambda n: n.line)
    return Outcome(new, notes, todos, new != source)


@dataclass(slots=True)
class FileResult:
    path: str
    changed: bool = False
    diff: str = ""
    notes: list[Note] = field(default_factory=list)
    todos: list[tuple[int, str]] = field(default_factory=list)
    error: str | None = None


@dataclass(slots=True)
class Report:
    files: list[FileResult]

    @property
    def changed(self) -> list[FileResult]:
        return [f for f in self.files if f.changed]

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.error]


def migrate_file(path: Path, disabled: frozenset[str], write: bool) -> FileResult:
    result = FileResult(str(path))
    try:
        with open(path, encoding="utf-8", newline="") as f:  # keep \r\n as it is
            source = f.read()
        bom = source[:1] == "\ufeff"  # kept, but not shown to the parser
        source = source[bom:]
        outcome = migrate_source(source, disabled)
    except (OSError, UnicodeDecodeError, MigrationError) as exc:
        result.error = str(exc)
        return result
    except Exception as exc:  # a bug in a rule must not stop the run: the file is listed
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    result.notes, result.todos, result.changed = outcome.notes, outcome.todos, outcome.changed
    if outcome.changed:
        if write:
            try:
                _write(path, "\ufeff" * bom + outcome.source)
            except OSError as exc:
                result.error = f"cannot write: {exc}"
                result.changed = False
        else:
            result.diff = "".join(
                difflib.unified_diff(
                    source.splitlines(keepends=True),
                    outcome.source.splitlines(keepends=True),
                    fromfile=f"a/{str(path).lstrip('/')}",
                    tofile=f"b/{str(path).lstrip('/')}",
                )
            )
    return result


def _write(path: Path, source: str) -> None:
    """Replace the file's content in one step, keeping its mode."""
    tmp = path.with_name(f".{path.name}.tenantry-migrate")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(source)
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    os.replace(tmp, path)


class _Job:
    """Picklable ``path -> FileResult`` for the process pool."""

    def __init__(self, disabled: frozenset[str], write: bool) -> None:
        self.disabled = disabled
        self.write = write

    def __call__(self, path: Path) -> FileResult:
        return migrate_file(path, self.disabled, self.write)


def migrate_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    write: bool = True,
    disabled: Iterable[str] = (),
    jobs: int | None = None,
) -> Report:
    """Migrate every ``.py`` file below ``paths``; with ``write=False`` only compute the diffs.
    Raises ``FileNotFoundError`` for a path that does not exist, ``ValueError`` for an unknown
    rule."""
    disabled = frozenset(code.upper() for code in disabled)
    unknown = disabled - set(RULES)
    if unknown:
        raise ValueError(f"unknown rule {sorted(unknown)[0]}; rules: {', '.join(RULES)}")
    files = python_files(paths)
    return Report(list(map_files(_Job(disabled, write), files, jobs)))
