"""``tenantry lint PATH...``: ruff-style ``path:line:col: TNT00x message``; exit 1 on findings.

Part of the core install, like ``status``: plain ``argparse`` and the standard library's ``ast``
(``tenantry.lint``), so a pre-commit hook or CI job needs only ``pip install tenantry``. The full
CLI registers the same command (``register``) so ``tenantry --help`` lists it.
"""

from __future__ import annotations

import argparse
import sys

from tenantry.cli._output import print_json

EXAMPLE = "Example: tenantry lint src/ tests/   (or: tenantry lint --format json src/)"
DESCRIPTION = "Check telemetry calls against the seed guide's DO/DON'T list (TNT001-TNT006)."


def main(argv: list[str]) -> int:
    from tenantry.lint import RULES, lint_paths

    rules = "\n".join(f"  {code}  {text}" for code, text in RULES.items())
    parser = argparse.ArgumentParser(
        prog="tenantry lint",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"rules:\n{rules}\n\n`# noqa: TNT00x` on the reported line silences that rule "
        f"there.\n\n{EXAMPLE}",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="json: one JSON list"
    )
    parser.add_argument(
        "--ignore",
        default="",
        metavar="CODES",
        help="rules to skip, comma-separated: TNT003,TNT006",
    )
    parser.add_argument(
        "--jobs", type=int, default=0, metavar="N", help="worker processes (0: one per CPU)"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed its usage error (or --help)
        return int(exc.code or 0)
    ignore = {c.strip().upper() for c in args.ignore.split(",") if c.strip()}
    unknown = ignore - set(RULES)
    if unknown:
        return _error(f"unknown rule {sorted(unknown)[0]}; rules: {', '.join(RULES)}")
    try:
        findings = [f for f in lint_paths(args.paths, args.jobs or None) if f.code not in ignore]
    except FileNotFoundError as exc:
        return _error(str(exc))
    if args.format == "json":
        print_json([f.as_dict() for f in findings])
    else:
        sys.stdout.write("".join(f"{f}\n" for f in findings))
        sys.stdout.flush()
    return 1 if findings else 0


def _error(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 2


def register(app) -> None:
    """Also list ``lint`` in the full (typer) CLI; its arguments go to the same parser."""
    import typer

    def lint(ctx) -> None:
        raise typer.Exit(main(list(ctx.args)))

    lint.__annotations__["ctx"] = typer.Context  # typer is imported here: no string annotation

    app.command(
        "lint",
        help=DESCRIPTION + "\n\n" + EXAMPLE,
        add_help_option=False,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(lint)
