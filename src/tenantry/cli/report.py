"""``tenantry report``, ``tenantry forget`` and ``tenantry maintenance``: analytics and deletion.

``report --json`` prints exactly ``run_query``'s dict, the body of ``GET /v1/analytics/{query}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from tenantry._text import printable
from tenantry.cli import fail
from tenantry.cli._output import print_json
from tenantry.config import env_name


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
        help=f"Delete events older than {env_name('retention_days')} (or --days).\n\n"
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
    since: str | None = typer.Option(
        None, "--since", help="First day, YYYY-MM-DD (UTC), or a time, YYYY-MM-DDTHH:MM."
    ),
    until: str | None = typer.Option(
        None, "--until", help="Last day, YYYY-MM-DD (UTC), or a time (exclusive)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Write a chart page to FILE (mode 0600).")
    ] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", help="local or clickhouse (default: see docs).")
    ] = None,
    top: Annotated[
        int,
        typer.Option(
            "--top", min=1, help="At most this many groups; the rest are summed as 'other'."
        ),
    ] = 1000,
) -> None:
    from tenantry.config import load_settings
    from tenantry.store import open_store
    from tenantry.store.queries import run_query

    settings = load_settings()
    names, close = _external_ids(settings, query, developer)
    try:
        with open_store(settings, backend) as store:
            if developer and not _known_developer(settings, store, developer):
                raise fail(f"no such developer: {printable(developer)}", 1)
            result = run_query(
                store,
                query,
                developer=developer,
                since=since,
                until=until,
                external_ids=names,
                top=top,
            )
    finally:
        close()
    if html_file is not None:
        _write_html(html_file, result, query, _people(settings, result))
    if as_json:
        print_json(result)
        return
    if not result["rows"]:
        typer.echo(f"no data for {query}{_scope_words(developer, since, until)}")
    else:
        columns = list(result["rows"][0])
        _print_table(
            query,
            columns,
            [[printable(row[c], markup=True) for c in columns] for row in result["rows"]],
            [_numeric(result["rows"], c) for c in columns],
        )
    if html_file is not None:
        typer.echo(f"chart written to {printable(html_file)}")


def _print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] = ()
) -> None:
    """``title`` in bold on its own line (a title set inside a narrow rich table wraps
    mid-word), then the table (``right[i]``: right-align column i). Cells are printed as given:
    escape what came from clients first (``_text.printable``)."""
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


def _scope_words(developer: str | None, since: str | None, until: str | None) -> str:
    """`` of dev_x from 2026-01-01 to 2026-01-31`` (what an empty report covered)."""
    words = f" of {printable(developer)}" if developer else ""
    if since and until:
        return f"{words} from {printable(since)} to {printable(until)}"
    if since:
        return f"{words} since {printable(since)}"
    if until:
        return f"{words} up to {printable(until)}"
    return f"{words} in the whole store"


def _known_developer(settings, store, developer: str) -> bool:
    """The identity store knows ``developer``, or the event store has an event of theirs (the
    identity database may live elsewhere, or not exist on this machine)."""
    from tenantry.store.base import Scope

    lookup = None
    try:
        from tenantry.identity.enrichment import profile_lookup

        lookup = profile_lookup(settings)
    except ImportError:
        pass
    if lookup is not None:
        try:
            if lookup(developer) is not None:
                return True
        finally:
            lookup.close()
    probe = Scope(developer=developer, dedupe=False)
    rows = store.select("SELECT event FROM {events}", probe, limit=1)
    return bool(rows)


def _people(settings, result: dict):
    """``Names`` for the HTML page: developers by email, when an identity database knows them
    (read only: nothing is created)."""
    from tenantry.store.html import Names

    ids = {r["developer_id"] for r in result["rows"] if r.get("developer_id")}
    if not ids or settings.edition != "cloud":
        return Names()
    try:
        from tenantry.identity.enrichment import profile_lookup
    except ImportError:
        return Names()
    lookup = profile_lookup(settings)
    if lookup is None:
        return Names()
    try:
        profiles = {dev: lookup(dev) for dev in ids}
    finally:
        lookup.close()
    return Names({dev: p["email"] for dev, p in profiles.items() if p and p.get("email")})


def _write_html(path: Path, result: dict, query: str, names) -> None:
    """The static chart page, written 0600 (it holds the operator's data)."""
    from tenantry._files import write_private
    from tenantry.store.html import render_report

    page = render_report([result], f"tenantry: {query}", names).encode("utf-8")
    try:
        write_private(path, page)
    except OSError as exc:
        raise fail(f"cannot write {printable(path)}: {exc.strerror or exc}", 1) from None


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
            f"{done['corrected_keys']} ({done['corrected_events']} events), API rollup pairs "
            f"rebuilt {done['api_rebuilt']}, before {done['before']}"
        )
