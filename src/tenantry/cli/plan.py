"""``tenantry plan check`` and ``tenantry plan infer``: a tracking plan against events already
sent (a capture, or the local store), and a plan written from what the local store holds.
The work is ``tenantry.store.plans``; this module reads the arguments and formats.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenantry._text import printable
from tenantry.cli import fail
from tenantry.cli._output import print_json
from tenantry.config import env_name

_DAYS = typer.Option("--days", min=1, help="Only the last N days (UTC), today included.")


def register(app: typer.Typer) -> None:
    plan = typer.Typer(
        help="Tracking plans: the events and properties you mean to send.\n\n"
        "Example: tenantry plan check --plan plan.yaml events.jsonl",
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    plan.command(
        "check",
        help="Check events against a tracking plan: FILE (one JSON event per line, as the "
        "jsonl destination writes) or, without FILE, the local store. Prints the violations "
        "per event and property; exit status 1 when there is any.\n\n"
        "Example: tenantry plan check --plan plan.yaml .tenantry/events.jsonl",
    )(check)
    plan.command(
        "infer",
        help="Write a plan from what the local store holds: each event and property, its "
        "types, enums for few-valued strings, ranges for numbers. A start to edit.\n\n"
        "Example: tenantry plan infer --days 30 --out plan.yaml",
    )(infer)
    app.add_typer(plan, name="plan")


def check(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE.jsonl", help="A capture (JSON lines); default: the local store."
        ),
    ] = None,
    plan_file: Annotated[
        Path | None,
        typer.Option("--plan", help=f"The plan (YAML or JSON); default: {env_name('plan')}."),
    ] = None,
    days: Annotated[int | None, _DAYS] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    from tenantry.store import plans

    plan = _plan(plan_file)
    if file is not None:
        if days is not None:
            raise fail("--days applies to the local store, not to a capture FILE", 2)
        report = plans.check(plan, plans.capture_rows(file))
        report["source"] = str(file)
    else:
        with _local_store() as store:
            report = plans.check(plan, plans.stored_rows(store, days))
        report["source"] = "local store"
    if as_json:
        print_json(report)
    else:
        _print_report(report)
    if report["violations"]:
        raise typer.Exit(1)


def infer(
    days: Annotated[int | None, _DAYS] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to FILE, not stdout.")] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="yaml or json (default: by --out's suffix, else yaml)."),
    ] = None,
) -> None:
    from tenantry._plan import PlanError, dump_plan
    from tenantry.store import plans

    if fmt is None:
        fmt = "json" if out is not None and out.suffix.lower() == ".json" else "yaml"
    if fmt not in ("yaml", "json"):
        raise fail(f"--format: expected yaml or json, got {fmt!r}", 2)
    with _local_store() as store:
        data = plans.infer(plans.stored_rows(store, days))
    if not data["events"]:
        within = f" of the last {days} days" if days else ""
        raise fail(f"the local store holds no events{within}: nothing to infer a plan from", 2)
    try:
        text = dump_plan(data, fmt)
    except PlanError as exc:
        raise fail(str(exc), 2) from None
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"{out}: cannot write: {exc.strerror or exc}", 2) from None
    typer.echo(f"wrote a plan of {len(data['events'])} events to {printable(out)}", err=True)


def _plan(path: Path | None):
    """The plan from ``--plan``, else from ``TELEMETRY_PLAN``; one line when there is none."""
    from tenantry._plan import PlanError, load_plan
    from tenantry.config import load_settings

    if path is not None:
        try:
            return load_plan(path)
        except PlanError as exc:
            raise fail(f"--plan: {exc}", 2) from None
    plan = load_settings().plan
    if plan is None:
        raise fail(f"no tracking plan: pass --plan FILE or set {env_name('plan')}", 2)
    return plan


def _local_store():
    from tenantry.config import load_settings
    from tenantry.store import open_store

    return open_store(load_settings(), "local")


def _print_report(report: dict) -> None:
    rows = [
        (event if prop == "(event)" else f"{event}.{prop}", kind, n)
        for event, props in report["by_event"].items()
        for prop, kinds in props.items()
        for kind, n in kinds.items()
    ]
    typer.echo(
        f"{report['violations']} violation(s) in {report['events']} event(s) of "
        f"{printable(report['source'])}, plan {printable(report['plan'])}"
    )
    width = max((len(printable(name)) for name, _, _ in rows), default=0)
    for name, kind, n in rows:
        typer.echo(f"  {printable(name):<{width}}  {kind:<18} {n}")
