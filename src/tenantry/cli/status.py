"""``tenantry status``: what is collected, where it goes, how to opt out, recent counts.

Part of the core install: plain ``argparse`` and text output, no typer or rich. The full CLI
registers the same command (``register``) so ``tenantry --help`` lists it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tenantry._text import printable
from tenantry.cli._output import print_json

EXAMPLE = "Example: tenantry status --json"


def status_doc() -> dict[str, Any]:
    from tenantry._status import shared_status
    from tenantry.config import load_settings

    settings = load_settings()
    doc = shared_status(settings, settings.destinations)
    doc.update(
        {
            "data_dir": str(settings.data_dir),
            "durable": settings.durable,
            "retention_days": settings.retention_days,
            "recent_event_counts": _recent_counts(settings) if settings.active else {},
            "processes": _live_processes(settings) if settings.active else [],
        }
    )
    missing = _missing_store(settings)
    if missing:
        doc["notice"] = missing
    return doc


def render(doc: dict[str, Any]) -> str:
    """The human-readable form; every value from outside goes through ``printable``."""
    state = "on" if doc["enabled"] else f"off ({doc.get('disabled_by')})"
    lines = [
        f"telemetry: {state}   edition: {doc['edition']}   "
        f"destinations: {', '.join(doc['providers']) or '-'}   data dir: {printable(doc['data_dir'])}",
        "where each value came from: "
        + ", ".join(f"{k}={v['source']}" for k, v in doc["sources"].items()),
        "",
        "collected:",
        *(f"  - {item}" for item in doc["collected"] or ["nothing"]),
        "never collected:",
        *(f"  - {item}" for item in doc["never_collected"]),
        f"opt out: {doc['opt_out']}",
    ]
    plan = doc.get("plan")
    if plan:
        modes = plan["unplanned"]
        lines.append(
            f"tracking plan: {printable(plan['file'])} ({plan['events']} events; unplanned "
            f"events: {modes['events']}, unplanned properties: {modes['properties']})"
        )
    if doc.get("notice"):
        lines.append(f"notice: {doc['notice']}")
    for proc in doc["processes"]:
        drops = (
            ", ".join(f"{printable(k)}={v}" for k, v in sorted(proc.get("drops", {}).items()))
            or "none"
        )
        lines.append(
            f"process {proc['pid']}: queued={proc.get('queued', 0)} "
            f"delivered={proc.get('delivered', 0)} dropped={proc.get('dropped', 0)} "
            f"failed={proc.get('failed', 0)} spooled={proc.get('spooled', 0)}  drops: {drops}"
        )
        if proc.get("plan"):
            lines.append(_plan_line(proc["plan"]))
    if doc["recent_event_counts"]:
        lines.append(
            "recent events (last 7 days, local store): "
            + ", ".join(f"{printable(k)}={v}" for k, v in doc["recent_event_counts"].items())
        )
    return "\n".join(lines) + "\n"


def _plan_line(plan: dict[str, Any], shown: int = 10) -> str:
    """``  plan violations: 7 (...): memory_created.size out_of_range=3, ...``, the most
    frequent first."""
    rows = [
        (n, event if prop == "(event)" else f"{event}.{prop}", kind)
        for event, props in plan.get("by_event", {}).items()
        for prop, kinds in props.items()
        for kind, n in kinds.items()
    ]
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    listed = ", ".join(f"{printable(name)} {printable(kind)}={n}" for n, name, kind in rows[:shown])
    more = f", ... ({len(rows) - shown} more)" if len(rows) > shown else ""
    return (
        f"  plan violations: {plan.get('violations', 0)} "
        f"(dropped: {plan.get('dropped_events', 0)} events, "
        f"{plan.get('dropped_properties', 0)} properties)" + (f": {listed}{more}" if listed else "")
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tenantry status",
        description="What is collected, where it goes, how to opt out, recent event counts.",
        epilog=EXAMPLE,
    )
    parser.add_argument(
        "--json", dest="as_json", action="store_true", help="print one JSON document"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed its one-line usage error (or --help)
        return int(exc.code or 0)
    doc = status_doc()
    if args.as_json:
        print_json(doc)
    else:
        sys.stdout.write(render(doc))
        sys.stdout.flush()
    return 0


def register(app) -> None:
    """Also list ``status`` in the full (typer) CLI."""
    import typer

    def status(
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
    ) -> None:
        raise typer.Exit(main(["--json"] if as_json else []))

    app.command(
        "status",
        help="What is collected, where it goes, how to opt out, recent event counts.\n\n" + EXAMPLE,
    )(status)


def _missing_store(settings) -> str | None:
    """With the ``local`` destination and no ``store`` extra, say where events wait."""
    if "local" not in settings.destinations or not settings.active:
        return None
    from tenantry.destinations.local import store_available

    if store_available():
        return None
    return (
        f"the local store needs the store extra; events wait in "
        f"{settings.data_dir / 'events' / 'pending'} until: pip install 'tenantry[store]'"
    )


def _recent_counts(settings) -> dict[str, int]:
    """Event counts of the last 7 days from the local store, when it exists and can be read."""
    try:
        from datetime import UTC, datetime, timedelta

        if not (settings.data_dir / "events" / "segments").exists():
            return {}
        from tenantry.store import open_store
        from tenantry.store.queries import run_query

        store = open_store(settings)
        since = (datetime.now(UTC) - timedelta(days=7)).date()
        rows = run_query(store, "event-counts", since=since)["rows"]
        return {r["event"]: r["count"] for r in rows}
    except Exception:  # no store extra, or an unreadable store: status still answers
        return {}


def _live_processes(settings) -> list[dict]:
    """Counters of the processes using this data dir right now (their status files)."""
    from tenantry.pipeline.status_files import read_status_files

    try:
        return sorted(read_status_files(settings.data_dir), key=lambda d: d["pid"])
    except OSError:
        return []
