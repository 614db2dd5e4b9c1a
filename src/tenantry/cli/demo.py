"""``tenantry demo``: the seed guide's whole scenario, end to end, on embedded defaults.

It starts the server on a free loopback port, creates the seed guide's cast (Developer A with
alice, bob and charlie; Developer B with diana and eve), sends real HTTP requests down the three
auth paths, runs an opensource installation whose library sends through the server's relay,
shows what Amplitude and PostHog would receive side by side, answers the seed guide's analytics
questions (end users by their developer's names), the API usage per developer and route that
the server's own ``TelemetryMiddleware`` recorded, and writes the dashboard as one HTML file.
Nothing is sent off this machine; nothing is left running.

This module is the command and its output (progress, payloads side by side, answers); the
scenario itself is ``tenantry.cli._demo_scenario``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from tenantry.cli._demo_scenario import Demo
from tenantry.config import env_name


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="where to write the dashboard HTML file"),
        ] = None,
        keep: Annotated[
            bool, typer.Option("--keep", help="keep the temporary data directory")
        ] = False,
    ) -> None:
        """Run the seed guide's scenario end to end (no configuration needed).

        Example: tenantry demo
        """
        run_demo(output=output, keep=keep)


def run_demo(*, output: Path | None = None, keep: bool = False) -> Path:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console()
    env_dir = os.environ.get(env_name("data_dir"))
    temp = env_dir is None
    if env_dir:  # the demo's own subfolder, fresh each run (its developers would clash)
        data_dir = Path(env_dir) / "demo"
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="tenantry-demo-"))
    started = time.monotonic()
    demo = Demo(data_dir)
    steps = [
        ("Starting the server on a free loopback port", demo.start_server),
        (
            "Creating Developer A (alice, bob, charlie) and Developer B (diana, eve)",
            demo.create_cast,
        ),
        (
            "Sending requests: API key + external_user_id, API key alone, session token",
            demo.send_requests,
        ),
        ("Running an opensource installation that sends through the relay", demo.run_opensource),
        ("Delivering every event", demo.flush),
        ("Answering the seed guide's analytics questions", demo.analytics),
    ]
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("tenantry demo", total=len(steps) + 1)
            for label, step in steps:
                progress.update(task, description=label)
                step()
                progress.advance(task)
            progress.update(task, description="Writing the dashboard")
            target = demo.write_dashboard(output)
            progress.advance(task)
            progress.update(task, description="Done")
        _show(console, demo)
    finally:
        demo.close()
        if temp and not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    took = time.monotonic() - started
    left = leftover_threads()
    running = f"still running: {', '.join(left)}" if left else "nothing is left running"
    console.print(
        f"\n[bold green]Dashboard:[/] {target}  (open it in a browser)\n"
        f"Done in {took:.1f} s; the server is stopped, {running}, and nothing was sent off "
        "this machine."
    )
    return target


def leftover_threads(timeout: float = 5.0) -> list[str]:
    """Names of threads other than the main one still alive (waiting up to ``timeout`` for
    daemon threads that are finishing)."""
    deadline = time.monotonic() + timeout
    while True:
        left = [
            t.name
            for t in threading.enumerate()
            if t is not threading.main_thread() and t.is_alive()
        ]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _show(console, demo: Demo) -> None:
    from rich.panel import Panel
    from rich.table import Table

    console.rule("[bold]What each vendor would receive for memory_created")
    for label, amp, ph in demo.vendor_payloads():
        console.print(f"\n[bold]{label}[/]")
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        grid.add_row(
            Panel(_json(amp), title="Result in Amplitude (cloud)", border_style="blue"),
            Panel(_json(ph), title="Result in PostHog (opensource)", border_style="magenta"),
        )
        console.print(grid)
    console.rule("[bold]Analytics (GET /v1/analytics/...)")
    for question, query, rows in demo.answers:
        console.print(f"\n[bold]{question}[/] [dim]GET /v1/analytics/{query}[/]")
        table = Table()
        columns = list(rows[0]) if rows else ["(no rows)"]
        for col in columns:
            table.add_column(col)
        for row in rows[:10]:
            table.add_row(*(str(row.get(c)) for c in columns))
        console.print(table)
    counts = ", ".join(f"{r['event']}={r['count']}" for r in demo.isolation) or "no rows"
    console.print(
        "\nTenant isolation: Developer B's key asking for Developer A's events "
        f"(?developer=<A>) was answered with Developer B's own rows only: {counts}."
    )


def _json(obj: Any):
    from rich.syntax import Syntax

    text = orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode()
    return Syntax(text, "json", word_wrap=True, theme="ansi_dark", background_color="default")
