"""``tenantry migrate [--diff] [--disable RULE] PATH...``: vendor call sites rewritten to tenantry.

Needs the ``migrate`` extra (LibCST). The patch (``--diff``) goes to stdout; what was left as it
was, the TODOs and the summary go to stderr. Exit status: 0 when done (with ``--diff``: when
nothing would change), 1 when ``--diff`` would change something or a file failed, 2 on a usage
error.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tenantry.cli import fail

EXAMPLE = "Example: tenantry migrate --diff src/   (then: tenantry migrate src/)"
DESCRIPTION = (
    "Rewrite Amplitude, PostHog and Segment call sites to tenantry (telemetry.track, "
    "identify, group); list what is left and every TODO(tenantry)."
)


def migrate(
    paths: Annotated[list[str], typer.Argument(metavar="PATH", help="Files or directories.")],
    diff: Annotated[bool, typer.Option("--diff", help="Print the patch; change no file.")] = False,
    disable: Annotated[
        list[str] | None,
        typer.Option("--disable", metavar="RULE", help="A rule to skip (TM001-TM008); repeatable."),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", help="Worker processes (0: one per CPU).")] = 0,
) -> None:
    from tenantry.migrate import migrate_paths

    rules = [c.strip() for item in disable or () for c in item.split(",") if c.strip()]
    try:
        report = migrate_paths(paths, write=not diff, disabled=rules, jobs=jobs or None)
    except (FileNotFoundError, ValueError) as exc:
        raise fail(str(exc), 2) from None
    err = sys.stderr
    rewritten = todo = left = 0
    for result in report.files:
        if result.diff:
            sys.stdout.write(result.diff)
        if result.error:
            err.write(f"{result.path}: failed, left as it was: {result.error}\n")
            continue
        for note in result.notes:
            if note.kind == "left":
                left += 1
                err.write(f"{result.path}:{note.line}: {note.code} {note.text}\n")
            elif note.code != "TM008":
                rewritten += 1
        for line, what in result.todos:
            todo += 1
            err.write(f"{result.path}:{line}: TODO(tenantry) {what}\n")
    changed = len(report.changed)
    verb = "would change" if diff else "changed"
    err.write(
        f"{changed} file{'s' * (changed != 1)} {verb}, {rewritten} call"
        f"{'s' * (rewritten != 1)} rewritten, {left} left as they were, {todo} TODO(tenantry), "
        f"{len(report.failed)} failed ({len(report.files)} files read)\n"
    )
    sys.stdout.flush()
    raise typer.Exit(1 if report.failed or (diff and changed) else 0)


def register(app) -> None:
    help_text = (
        DESCRIPTION
        + "\n\nRules: "
        + "; ".join(f"{code} {text}" for code, text in _rules().items())
        + "\n\n"
        + EXAMPLE
    )
    app.command("migrate", help=help_text)(migrate)


def _rules() -> dict[str, str]:
    """The rule list for --help, without importing LibCST (the extra may be missing)."""
    try:
        from tenantry.migrate import RULES
    except ImportError:
        return {}
    return RULES
