"""``tenantry status``: what is collected, where it goes, how to opt out, recent counts."""

from __future__ import annotations

import typer

from tenantry._text import printable
from tenantry.cli._output import print_json


def register(app: typer.Typer) -> None:
    app.command(
        "status",
        help="What is collected, where it goes, how to opt out, recent event "
        "counts.\n\nExample: tenantry status --json",
    )(status)


def status(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    from tenantry.config import load_settings
    from tenantry.service import COLLECTED, NEVER_COLLECTED, OPT_OUT

    settings = load_settings()
    doc = {
        "enabled": settings.active,
        "edition": settings.edition,
        "providers": list(settings.providers) if settings.active else [],
        "data_dir": str(settings.data_dir),
        "durable": settings.durable,
        "collected": COLLECTED[settings.edition] if settings.active else [],
        "never_collected": NEVER_COLLECTED,
        "opt_out": OPT_OUT,
        "retention_days": settings.retention_days,
        "recent_event_counts": _recent_counts(settings) if settings.active else {},
        "processes": _live_processes(settings) if settings.active else [],
    }
    if not settings.active:
        doc["disabled_by"] = (
            "DO_NOT_TRACK=1" if settings.do_not_track else "TELEMETRY_ENABLED=false"
        )
    if as_json:
        print_json(doc)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    state = "[green]on[/]" if doc["enabled"] else f"[red]off[/] ({doc.get('disabled_by')})"
    console.print(
        f"telemetry: {state}   edition: [bold]{doc['edition']}[/]   "
        f"providers: {', '.join(doc['providers']) or '-'}   "
        f"data dir: {printable(doc['data_dir'], markup=True)}"
    )
    table = Table(show_header=True, header_style="bold")
    table.add_column("collected")
    table.add_column("never collected")
    rows = max(len(doc["collected"]), len(NEVER_COLLECTED))
    for i in range(rows):
        table.add_row(
            doc["collected"][i] if i < len(doc["collected"]) else "",
            NEVER_COLLECTED[i] if i < len(NEVER_COLLECTED) else "",
        )
    console.print(table)
    console.print(f"opt out: {OPT_OUT}")
    for proc in doc["processes"]:
        drops = ", ".join(f"{k}={v}" for k, v in sorted(proc.get("drops", {}).items())) or "none"
        drops = printable(drops, markup=True)
        console.print(
            f"process {proc['pid']}: queued={proc.get('queued', 0)} "
            f"delivered={proc.get('delivered', 0)} dropped={proc.get('dropped', 0)} "
            f"failed={proc.get('failed', 0)} spooled={proc.get('spooled', 0)}  drops: {drops}"
        )
    if doc["recent_event_counts"]:
        console.print(
            "recent events (last 7 days, local store): "
            + printable(
                ", ".join(f"{k}={v}" for k, v in doc["recent_event_counts"].items()), markup=True
            )
        )


def _recent_counts(settings) -> dict[str, int]:
    """Event counts of the last 7 days from the local store, when it exists."""
    try:
        from datetime import UTC, datetime, timedelta

        from tenantry.store import open_store
        from tenantry.store.queries import run_query

        if not (settings.data_dir / "events").exists():
            return {}
        store = open_store(settings)
        since = (datetime.now(UTC) - timedelta(days=7)).date()
        rows = run_query(store, "event-counts", since=since)["rows"]
        return {r["event"]: r["count"] for r in rows}
    except Exception:
        return {}


def _live_processes(settings) -> list[dict]:
    """Counters of the processes using this data dir right now (their status files)."""
    from tenantry.pipeline.worker import read_status_files

    try:
        return sorted(read_status_files(settings.data_dir), key=lambda d: d["pid"])
    except OSError:
        return []
