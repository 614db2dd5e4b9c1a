"""``tenantry report``, ``tenantry forget`` and ``tenantry maintenance``: analytics and deletion.

``report --json`` prints exactly ``run_query``'s dict, the body of ``GET /v1/analytics/{query}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenantry._text import printable
from tenantry.cli._output import print_json


def _report_help() -> str:
    """The report command's help: the query names from the registry (``store.queries``)."""
    from tenantry.store.queries import DEFINITIONS

    cloud = ", ".join(q.name for q in DEFINITIONS.values() if q.cloud)
    other = ", ".join(q.name for q in DEFINITIONS.values() if not q.cloud)
    return (
        "Run an analytics query over the event store.\n\n"
        f"Queries: {cloud} (cloud data); {other} (any data).\n\n"
        "Example: tenantry report api-usage --developer dev_abc123 --since 2026-01-01 --json"
    )


def register(app: typer.Typer) -> None:
    app.command("report", help=_report_help())(report)
    app.command(
        "forget",
        help="Delete one person's events from the stores, file vendor deletion requests, and "
        "drop their future events.\n\nExample: tenantry forget --end-user usr_1234",
    )(forget)
    maintenance = typer.Typer(
        help="Store housekeeping.\n\nExample: tenantry maintenance retention",
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    maintenance.command(
        "retention",
        help="Delete events older than TELEMETRY_RETENTION_DAYS (or --days).\n\n"
        "Example: tenantry maintenance retention --days 30",
    )(retention)
    maintenance.command(
        "compact",
        help="Merge the local store's small files.\n\nExample: tenantry maintenance compact",
    )(compact)
    maintenance.command(
        "dedupe",
        help="ClickHouse: remove duplicate events that got past the dedup window (merge them "
        "away in the raw table) and correct the rollup tables for the days before --before "
        "(default: today, UTC). Idempotent; run it daily from cron.\n\n"
        "Example: tenantry maintenance dedupe --json",
    )(dedupe)
    app.add_typer(maintenance, name="maintenance")


def report(
    query: str = typer.Argument(..., help="Query name."),
    developer: str | None = typer.Option(None, "--developer", help="Developer ID (dev_...)."),
    since: str | None = typer.Option(None, "--since", help="First day, YYYY-MM-DD (UTC)."),
    until: str | None = typer.Option(None, "--until", help="Last day, YYYY-MM-DD (UTC)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Write a chart page to FILE.")
    ] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", help="local or clickhouse (default: see docs).")
    ] = None,
) -> None:
    from tenantry.config import load_settings
    from tenantry.store import open_store
    from tenantry.store.queries import run_query

    settings = load_settings()
    names, close = _external_ids(settings, query, developer)
    try:
        with open_store(settings, backend) as store:
            result = run_query(
                store, query, developer=developer, since=since, until=until, external_ids=names
            )
    finally:
        close()
    if html_file is not None:
        from tenantry.store.html import render_html

        html_file.write_text(render_html([result], f"tenantry: {query}"), encoding="utf-8")
    if as_json:
        print_json(result)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=query, show_header=True, header_style="bold")
    columns = _columns(query, result)
    for col in columns:
        table.add_column(col, justify="right" if _numeric(result["rows"], col) else "left")
    for row in result["rows"]:  # values come from clients: no control characters, no markup
        table.add_row(*(printable(row[c], markup=True) for c in columns))
    console.print(table)
    if html_file is not None:
        console.print(f"chart written to {printable(html_file, markup=True)}")


def _columns(query: str, result: dict) -> list[str]:
    from tenantry.store.queries import DEFINITIONS

    if result["rows"]:
        return list(result["rows"][0])
    return list(DEFINITIONS[query].columns) if query in DEFINITIONS else []


def _numeric(rows: list[dict], column: str) -> bool:
    """True when the column holds numbers (counts, milliseconds): right-aligned."""
    return any(isinstance(row[column], int | float) for row in rows)


def _external_ids(settings, query: str, developer: str | None):
    """``(external_ids, close)``: the identity store's look-up of a developer's own names for
    their end users, for a query keyed by end users, in the cloud edition (the operator at the
    command line reads like the admin); ``(None, no-op)`` otherwise or without the identity
    extra."""
    from tenantry.store.queries import DEFINITIONS

    definition = DEFINITIONS.get(query)
    if settings.edition != "cloud" or not developer or not definition or not definition.end_users:
        return None, lambda: None
    try:
        from tenantry.identity import IdentityStore
    except ImportError:
        return None, lambda: None
    store = IdentityStore.open(settings)
    return store.external_ids, store.close


def forget(
    developer: str | None = typer.Option(None, "--developer", help="Developer ID to forget."),
    end_user: str | None = typer.Option(None, "--end-user", help="End-user ID to forget."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    from tenantry.config import load_settings
    from tenantry.errors import QueryError, StoreError
    from tenantry.store.deletion import forget as forget_person

    # Errors are raised as TenantryError: main() turns them into one line and exit status 2
    # (a typer.Exit is swallowed by click's standalone_mode=False and would exit 0).
    if bool(developer) == bool(end_user):
        raise QueryError("give exactly one of --developer or --end-user")
    doc = forget_person(load_settings(), developer=developer, end_user=end_user)
    if as_json:
        print_json(doc)
    else:
        deleted = ", ".join(f"{n} from {b}" for b, n in doc["deleted"].items())
        typer.echo(f"forgot {doc['id']}: deleted {deleted}; future events suppressed")
        for vendor, outcome in doc["requests"].items():
            typer.echo(f"{vendor} deletion request: {outcome}")
    failed = [v for v, outcome in doc["requests"].items() if outcome.startswith("failed")]
    if failed:
        raise StoreError(f"deletion request failed at {', '.join(failed)}")


def retention(
    days: int | None = typer.Option(None, "--days", min=1, help="Keep this many days."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    from tenantry.config import load_settings
    from tenantry.store import open_store
    from tenantry.store.deletion import apply_retention

    settings = load_settings()
    days = days or settings.retention_days
    backends = ["local"] + (["clickhouse"] if settings.clickhouse_url else [])
    removed = {}
    for backend in backends:
        with open_store(settings, backend) as store:
            removed[backend] = apply_retention(store, days)
    if as_json:
        print_json({"retention_days": days, "deleted": removed})
    else:
        typer.echo(
            f"retention {days} days: deleted "
            + ", ".join(f"{n} from {b}" for b, n in removed.items())
        )


def compact(as_json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    from tenantry.config import load_settings
    from tenantry.store import open_store

    with open_store(load_settings(), "local") as store:
        merged = store.compact()
    if as_json:
        print_json({"files_merged": merged})
    else:
        typer.echo(f"merged {merged} files")


def dedupe(
    before: str | None = typer.Option(
        None, "--before", help="Correct rollups for days before this one, YYYY-MM-DD."
    ),
    rebuild: bool = typer.Option(
        False,
        "--rebuild",
        help="Once after upgrading: fill the rollup tables from every stored event.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    from datetime import date

    from tenantry.config import load_settings
    from tenantry.errors import QueryError
    from tenantry.store import open_store

    try:
        day = date.fromisoformat(before) if before else None
    except ValueError:
        raise QueryError(f"--before: {before!r} is not a date (YYYY-MM-DD)") from None
    with open_store(load_settings(), "clickhouse") as store:
        done = store.repair(before=day, rebuild=rebuild)
    if as_json:
        print_json(done)
    else:
        typer.echo(
            f"duplicates found {done['duplicates']} (left {done['left']}); rollup keys corrected "
            f"{done['corrected_keys']} ({done['corrected_events']} events) before {done['before']}"
        )
