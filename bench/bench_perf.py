"""Issue 24's library rows ("Fast again, and known why"), this tree beside a baseline revision
(``main`` unless ``BENCH_BASELINE=<rev>``), measured in the same run, in turns, ``RUNS`` times:

1. CPU per event, opensource -> PostHog, 50,000 events in a tight loop: the whole process's CPU
   (caller + worker + sender) from the first ``track`` to the end of ``shutdown``
   (``bench_delivery``'s child), beside segment-analytics-python and posthog-python on the same
   kind of fake sink; target <= 0.15x the best SDK.
2. CPU per event end to end to ``jsonl`` (opensource), from the first ``track`` until ``flush``
   returned, beside ``orjson.dumps`` + ``write`` of the same events by hand; target <= 10 us.
3. ``TelemetryMiddleware`` over a Starlette router (``bench_asgi``: thread CPU per request, with
   and without the middleware); target <= 5 us.

The physical floor: ``orjson.dumps`` of a PostHog batch body (1,000 events) and one socket write
of those bytes over loopback, per event.

Each contender runs in its own process with ``PYTHONPATH`` set to its tree's ``src`` (the
fake sinks run in this process, so their cost is not counted). ``--quick``: one run, 10,000
events.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROPS = {"type": "text", "has_metadata": True}


# -- the children ---------------------------------------------------------------------------------
def _jsonl_child(n: int) -> dict:
    sys.path.insert(0, str(HERE))
    from workload import jsonl_service, tight_loop

    with tempfile.TemporaryDirectory() as tmp:
        svc = jsonl_service(tmp, n)
        c0 = tight_loop(svc, n)
        ok = svc.flush(120)
        cpu = (time.process_time() - c0) / n * 1e6
        lines = (Path(tmp) / "e.jsonl").read_bytes().count(b"\n")
        svc.shutdown(10)
    return {"us": cpu, "ok": ok and lines == n}


def _jsonl_floor(n: int) -> float:
    """The same events serialised and written by hand in the caller's thread."""
    import orjson

    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "b.jsonl", "wb") as f:
        c0 = time.process_time()
        for i in range(n):
            f.write(orjson.dumps({"event": "memory_created", "properties": PROPS, "i": i}) + b"\n")
        return (time.process_time() - c0) / n * 1e6


def _asgi_child(n: int) -> dict:
    import asyncio

    sys.path.insert(0, str(HERE))
    from bench_asgi import header_resolve, per_request, router_app

    from tenantry import TelemetryService
    from tenantry.asgi import TelemetryMiddleware

    svc = TelemetryService(
        edition="cloud", destinations=("none",), queue_size=10_000_000, do_not_track=False
    )
    plain = router_app()
    wrapped = TelemetryMiddleware(plain, resolve=header_resolve, telemetry=svc)

    async def run() -> tuple[float, float]:
        without, with_ = [], []
        await per_request(wrapped, "/v1/memories/mem_1", 1000)
        for _ in range(7):
            without.append((await per_request(plain, "/v1/memories/mem_1", n))[0])
            with_.append((await per_request(wrapped, "/v1/memories/mem_1", n))[0])
        return statistics.median(without), statistics.median(with_)

    a, b = asyncio.run(run())
    svc.shutdown(10)
    return {"without": a, "with": b}


# -- the driver -----------------------------------------------------------------------------------
def _child(src: Path, args: list[str], script: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEMETRY_", "TENANTRY_"))}
    env["PYTHONPATH"] = str(src)
    proc = subprocess.run(
        [sys.executable, str(script or Path(__file__)), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tempfile.gettempdir(),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{args} under {src} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _delivery(src: Path, name: str, n: int, url: str) -> float:
    """CPU us per event of ``bench_delivery``'s child ``name`` (tenantry from ``src``)."""
    row = _child(src, ["--child", name, str(n), url], HERE / "bench_delivery.py")
    return row["cpu"] / n * 1e6


def _baseline_tree(rev: str) -> tuple[Path | None, str]:
    """``src`` of ``rev`` in a temporary directory (``git archive``), or None and why not."""
    where = Path(tempfile.mkdtemp(prefix="tenantry-perf-"))
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", rev, "src"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        shutil.rmtree(where, ignore_errors=True)
        return None, f"no baseline {rev}: {exc}"
    return where, ""


def physical_floor(events: int = 1000, rounds: int = 20) -> float:
    """CPU us per event of ``orjson.dumps`` of a PostHog batch body and one ``sendall`` of it
    over a loopback TCP connection (the reader drains on its own thread, not counted)."""
    import orjson

    lib = {"$lib": "tenantry", "$lib_version": "0.1.0", "$geoip_disable": True}
    lib |= {"$ip": "0.0.0.0", "$is_server": True, "$process_person_profile": False}
    batch = [
        {
            "event": "memory_created",
            "distinct_id": f"anon_{i:032x}",
            "properties": {**PROPS, "edition": "opensource", "os": "Linux", **lib},
            "timestamp": "2026-12-07T19:51:26.536Z",
            "uuid": f"00000000-0000-4000-8000-{i:012d}",
        }
        for i in range(events)
    ]
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()

    def drain() -> None:
        while conn.recv(1 << 20):
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    best = float("inf")
    for _ in range(rounds):
        c0 = time.thread_time()
        client.sendall(orjson.dumps({"api_key": "k", "batch": batch}))
        best = min(best, time.thread_time() - c0)
    client.close()
    reader.join(5)
    conn.close()
    server.close()
    return best / events * 1e6


def main(quick: bool = False) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.vendors import FakePostHog, FakeSegment

    runs = 1 if quick else int(os.environ.get("BENCH_RUNS", "3"))
    n = 10_000 if quick else 50_000
    rev = os.environ.get("BENCH_BASELINE", "main")
    old, why = _baseline_tree(rev)
    trees = {"this tree": ROOT / "src"}
    if old is not None:
        trees[rev] = old / "src"
    else:
        print(why)
    posthog, segment = FakePostHog(), FakeSegment()
    for s in (posthog, segment):
        s.light = True
    rows: list[dict] = []
    try:
        for _ in range(runs):
            row: dict = {}
            for label, src in trees.items():
                row[f"posthog {label}"] = _delivery(src, "tenantry-posthog", n, posthog.base_url)
            row["segment"] = _delivery(
                ROOT / "src", "segment-analytics-python", n, segment.base_url
            )
            row["posthog-python"] = _delivery(ROOT / "src", "posthog-python", n, posthog.base_url)
            for label, src in trees.items():
                row[f"jsonl {label}"] = _child(src, ["--jsonl", str(n)])
            row["jsonl floor"] = _jsonl_floor(n)
            for label, src in trees.items():
                row[f"asgi {label}"] = _child(src, ["--asgi", str(2_000 if quick else 10_000)])
            rows.append(row)
    finally:
        posthog.close()
        segment.close()
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    floor = physical_floor()
    labels = list(trees)
    print(f"{runs} run(s); {n:,} events per contender; process CPU; baseline = {rev}")
    for i, row in enumerate(rows, 1):
        best_sdk = min(row["segment"], row["posthog-python"])
        print(f"-- run {i}")
        cells = "  ".join(
            f"{label} {row[f'posthog {label}']:6.2f} us = {row[f'posthog {label}'] / best_sdk:.2f}x"
            for label in labels
        )
        print(
            f"opensource -> PostHog, CPU/event:  {cells}  | segment {row['segment']:.2f} us, "
            f"posthog-python {row['posthog-python']:.2f} us (target <= 0.15x the best SDK)"
        )
        cells = "  ".join(
            f"{label} {row[f'jsonl {label}']['us']:6.2f} us"
            + ("" if row[f"jsonl {label}"]["ok"] else " (NOT ALL WRITTEN)")
            for label in labels
        )
        print(
            f"end to end to jsonl, CPU/event:    {cells}  | orjson.dumps + write by hand "
            f"{row['jsonl floor']:.2f} us (target <= 10 us)"
        )
        cells = "  ".join(
            f"{label} with {row[f'asgi {label}']['with']:5.2f} us"
            f" (+{row[f'asgi {label}']['with'] - row[f'asgi {label}']['without']:.2f})"
            for label in labels
        )
        router = row[f"asgi {labels[0]}"]["without"]
        print(
            f"ASGI middleware over a router:     {cells}  | router alone {router:.2f} us "
            "(target <= 5 us of middleware)"
        )
    print(
        f"physical floor: orjson.dumps of a 1,000-event PostHog body + one loopback sendall: "
        f"{floor:.2f} us/event"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--jsonl":
        print(json.dumps(_jsonl_child(int(sys.argv[2]))))
    elif len(sys.argv) > 2 and sys.argv[1] == "--asgi":
        print(json.dumps(_asgi_child(int(sys.argv[2]))))
    else:
        main(quick="--quick" in sys.argv)
