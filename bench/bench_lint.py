"""``tenantry lint`` and ``tenantry migrate`` over 1,000 generated modules of 300 lines each.

Each module is application code of the usual kinds (a dataclass, helpers with loops,
comprehensions, f-strings and try/except, a service class, async handlers) with 7 vendor call
sites (posthog, amplitude, segment, in the shapes of tests/migrate/cases) and 6 tenantry calls,
some of them breaking the rules. The commands run as a user runs them: ``tenantry lint DIR`` and
``tenantry migrate DIR`` in a subprocess (interpreter start-up included), one worker per CPU.

Baselines in the same run: reading and ``ast.parse``-ing every file (what any ast-based checker
pays at least: lint's floor), and LibCST's ``parse_module`` of every file (what a codemod that
parses whole modules with LibCST pays before it changes anything; migrate parses modules with
``ast`` and only the calls it rewrites with LibCST). ``--quick``: 200 files.

Targets (issue 23): lint <= 5 s, migrate <= 30 s for the 1,000 files on this machine. The
machine is shared: the load average is printed, and each time comes with the CPU seconds it
took (the command's workers included), which other users' load changes much less than the wall
time.
"""

from __future__ import annotations

import ast
import gc
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = 1000
LINES = 300
TENANTRY = Path(sys.executable).parent / "tenantry"

HEADER = '''"""Service module {i}: orders, carts and reports for tenant {i}."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import posthog
import segment.analytics as analytics
from amplitude import Amplitude, BaseEvent, EventOptions, Identify

from tenantry import get_telemetry

logger = logging.getLogger(__name__)
telemetry = get_telemetry()
amplitude_client = Amplitude("AMP_KEY_{i}")
posthog.project_api_key = "phc_{i}"
analytics.write_key = "WK_{i}"
'''

BLOCKS = [
    """

@dataclass
class Item{n}:
    sku: str
    price: float
    quantity: int = 1
    tags: list[str] = field(default_factory=list)

    def total(self) -> float:
        return round(self.price * self.quantity, 2)
""",
    '''

def summarize_{n}(items, currency="EUR"):
    """Totals per tag, for the report."""
    totals: dict[str, float] = {{}}
    for item in items:
        for tag in item.tags or ["untagged"]:
            totals[tag] = totals.get(tag, 0.0) + item.total()
    lines = [f"{{tag}}: {{amount:.2f}} {{currency}}" for tag, amount in sorted(totals.items())]
    return "\\n".join(lines)
''',
    """

def parse_rows_{n}(rows):
    parsed = []
    for number, row in enumerate(rows, 1):
        try:
            sku, price, quantity = row.split(",")
            parsed.append((sku.strip(), float(price), int(quantity)))
        except ValueError as exc:
            logger.warning("row %d skipped: %s", number, exc)
    return parsed
""",
    """

def add_to_cart_{n}(cart, item, end_user_id, developer_id):
    cart.append(item)
    posthog.capture("item_added", distinct_id=end_user_id, properties={{"sku": item.sku}})
    telemetry.track_sync("item_added", {{"sku": item.sku}}, user_id=end_user_id)
    return len(cart)
""",
    """

async def checkout_{n}(cart, end_user_id, developer_id):
    total = sum(item.total() for item in cart)
    amplitude_client.track(
        BaseEvent(
            event_type="order_placed",
            user_id=end_user_id,  # the shop's customer
            event_properties={{"items": len(cart), "total": total}},
        )
    )
    await telemetry.track("order_placed", {{"total": total}}, user_id=end_user_id, developer_id=developer_id)
    await asyncio.sleep(0)
    return total
""",
    """

def signup_{n}(user, developer_user_id):
    analytics.identify(user.id, {{"plan": user.plan}})
    analytics.track(user.id, "Signed Up", {{"plan": user.plan, "email": user.email}})
    telemetry.track_sync("signed_up", {{"plan": user.plan, "user_email": user.email}},
                         user_id=user.id, developer_id=developer_user_id)
    return user.id
""",
    """

class ReportService{n}:
    def __init__(self, store, owner_id):
        self.store = store
        self.owner_id = owner_id
        self.cache = {{}}

    def build(self, day):
        if day in self.cache:
            return self.cache[day]
        rows = self.store.rows(day)
        report = {{"day": day, "rows": len(rows), "ok": all(r.ok for r in rows)}}
        self.cache[day] = report
        posthog.capture(self.owner_id, "report_built", {{"rows": len(rows)}})
        return report

    def upgrade(self, plan):
        identify_obj = Identify()
        identify_obj.set("plan", plan)
        amplitude_client.identify(identify_obj, EventOptions(user_id=self.owner_id))
""",
    """

async def search_{n}(query, end_user_id, developer_id):
    hits = [h for h in await run_query(query) if h.score > 0.5]
    telemetry.track("search", {{"hits": len(hits)}}, user_id=end_user_id, developer_id=developer_id)
    if telemetry.track_sync("search_done", {{}}, user_id=developer_id, developer_id=end_user_id):
        logger.info("tracked")
    posthog.capture("search", distinct_id=end_user_id, properties={{"hits": len(hits)}})
    return hits


async def run_query(query):
    await asyncio.sleep(0)
    return []
""",
]
FILLER = '''

def helper_{n}_{k}(values, limit=10):
    """Keep the first values above the mean."""
    if not values:
        return []
    mean = sum(values) / len(values)
    kept = [v for v in values if v > mean]
    return kept[:limit]
'''


def module(i: int) -> str:
    """Module ``i``: the header, every block, fillers, then constants up to exactly LINES lines."""
    rng = random.Random(i)
    text = HEADER.format(i=i) + "".join(b.format(n=i) for b in BLOCKS)
    k = 0
    while text.count("\n") + FILLER.count("\n") < LINES:
        text += FILLER.format(n=i, k=k)
        k += 1
    text += "\n"
    while text.count("\n") < LINES:
        text += f"LIMIT_{i}_{k} = {rng.randint(0, 10**6)}\n"
        k += 1
    return text


def _timed(fn):
    """(wall seconds, CPU seconds of this process, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _run(*args: str) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the command and its workers, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    run = subprocess.run([str(TENANTRY), *args], capture_output=True, text=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, run


def _parse_all(files: list[Path]) -> None:
    gc.disable()  # as lint and migrate run
    try:
        for f in files:
            ast.parse(f.read_text())
    finally:
        gc.enable()


def main(quick: bool = False) -> None:
    n = 200 if quick else FILES
    load = os.getloadavg()[0]
    base = Path(tempfile.mkdtemp(prefix="tenantry-bench-lint-"))
    try:
        src = base / "app"
        src.mkdir()
        for i in range(n):
            (src / f"module_{i:04}.py").write_text(module(i))
        files = sorted(src.glob("*.py"))
        lines = sum(f.read_text().count("\n") for f in files)
        print(f"{n} files, {lines} lines ({lines / n:.0f} per file); load average {load:.1f}")

        floor, floor_cpu, _ = _timed(lambda: _parse_all(files))
        print(f"baseline: read + ast.parse, 1 process: {floor:.2f} s wall, {floor_cpu:.2f} s CPU")
        wall, cpu, run = _run("lint", str(src))
        codes = sorted({line.split(": ")[1][:6] for line in run.stdout.splitlines()})
        print(
            f"tenantry lint DIR: {wall:.2f} s wall (target <= 5 s), {cpu:.2f} s CPU "
            f"({cpu / floor_cpu:.1f}x the ast.parse floor's CPU); exit {run.returncode}, "
            f"{run.stdout.count(chr(10))} findings ({', '.join(codes)})"
        )
        from tenantry.lint import lint_paths

        wall1, cpu1, _ = _timed(lambda: lint_paths([src], jobs=1))
        print(f"lint_paths in-process, 1 process: {wall1:.2f} s wall, {cpu1:.2f} s CPU")

        import libcst

        sample = files if not quick else files[:100]
        gc.disable()
        cst_wall, cst_cpu, _ = _timed(
            lambda: [libcst.parse_module(f.read_text()) and None for f in sample]
        )
        gc.enable()
        print(
            f"baseline: LibCST parse_module of {len(sample)} files, 1 process: {cst_wall:.2f} s "
            f"wall, {cst_cpu:.2f} s CPU"
        )

        work = base / "migrate"
        shutil.copytree(src, work)
        wall, cpu, run = _run("migrate", str(work))
        summary = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
        print(
            f"tenantry migrate DIR: {wall:.2f} s wall (target <= 30 s), {cpu:.2f} s CPU; "
            f"exit {run.returncode}: {summary}"
        )
        compiled = sum(1 for f in work.glob("*.py") if compile(f.read_text(), str(f), "exec"))
        wall2, cpu2, run2 = _run("migrate", "--diff", str(work))
        print(
            f"all {compiled} migrated files compile; a second run (--diff) takes {wall2:.2f} s wall, "
            f"{cpu2:.2f} s CPU, exit {run2.returncode}, stdout {len(run2.stdout)} bytes"
        )
        wall3, cpu3, run3 = _run("lint", str(work))
        after = sorted({line.split(": ")[1][:6] for line in run3.stdout.splitlines()})
        print(
            f"tenantry lint on the migrated files: {wall3:.2f} s wall, {cpu3:.2f} s CPU; codes "
            f"left: {', '.join(after)}; load average now {os.getloadavg()[0]:.1f}"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
