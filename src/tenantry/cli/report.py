"""``tenantry report``, ``tenantry forget`` and ``tenantry maintenance``: analytics and deletion.

``report --json`` prints exactly ``run_query``'s dict, the body of ``GET /v1/analytics/{query}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenantry._text import printable
from tenantry.cli._output import print_json

_REPORT_HELP = (
    "Run an analytics query over the event store.\n\n"
    "Queries: developer-events, developer-memories, top-developers, memories-per-end-user, "
    "developer-retention, developer-daily-events (cloud data); event-counts, "
    "edition-distribution, os-distribution.\n\n"
    "Example: tenantry report developer-events --developer dev_abc123 --since 2026-01-01 --json"
)


def register(app: typer.Typer) -> None:
    app.command("report", help=_REPORT_HELP)(report)
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
    with open_store(settings, backend) as store:
        result = run_query(store, query, developer=developer, since=since, until=until)
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
        table.add_column(
            col, justify="right" if col in ("count", "unique_end_users", "memory_count") else "left"
        )
    for row in result["rows"]:  # values come from clients: no control characters, no markup
        table.add_row(*(printable(row[c], markup=True) for c in columns))
    console.print(table)
    if html_file is not None:
        console.print(f"chart written to {printable(html_file, markup=True)}")


def _columns(query: str, result: dict) -> list[str]:
    from tenantry.store.queries import DEFINITIONS

    return list(DEFINITIONS[query].columns) if query in DEFINITIONS else list(result["rows"][:1])


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
