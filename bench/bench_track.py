"""The caller's cost of ``track`` and the end-to-end CPU cost per event.

1. Caller cost: ``await track()`` and ``track_sync()``, p50/p99 per call, in both editions,
   beside a bare ``queue.SimpleQueue.put`` timed the same way in the same run (the baseline).
   Each call is timed alone with ``perf_counter_ns``; the timer's own cost is in both numbers.
2. End to end: N events through the worker to the ``jsonl`` destination; process CPU time
   (caller + worker + sender) per event.

Targets (issue 2): p50 <= 15x the bare put, p99 < 25 us; end to end <= 15 us CPU per event.
"""

from __future__ import annotations

import asyncio
import queue
import tempfile
import time
from pathlib import Path

from tenantry import TelemetryService

PROPS = {"type": "text", "has_metadata": True}


def _pct(samples: list[int], p: float) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(len(samples) * p))] / 1000.0


def bare_put(n: int) -> list[int]:
    q: queue.SimpleQueue = queue.SimpleQueue()
    clock = time.perf_counter_ns
    out = []
    item = ("track", "memory_created", PROPS, "user_1234", "dev_abc123")
    for _ in range(n):
        t0 = clock()
        q.put(item)
        out.append(clock() - t0)
    return out


def sync_calls(svc: TelemetryService, n: int) -> list[int]:
    clock = time.perf_counter_ns
    track = svc.track_sync
    out = []
    for _ in range(n):
        t0 = clock()
        track("memory_created", PROPS, user_id="user_1234", developer_id="dev_abc123")
        out.append(clock() - t0)
    return out


async def async_calls(svc: TelemetryService, n: int) -> list[int]:
    clock = time.perf_counter_ns
    track = svc.track
    out = []
    for _ in range(n):
        t0 = clock()
        await track("memory_created", PROPS, user_id="user_1234", developer_id="dev_abc123")
        out.append(clock() - t0)
    return out


def caller_cost(n: int) -> None:
    base = bare_put(n)
    b50, b99 = _pct(base, 0.5), _pct(base, 0.99)
    print(f"baseline SimpleQueue.put           p50 {b50:6.2f} us  p99 {b99:6.2f} us")
    with tempfile.TemporaryDirectory() as tmp:
        for edition in ("cloud", "opensource"):
            svc = TelemetryService(
                edition=edition,
                destinations=("jsonl",),
                jsonl_path=Path(tmp) / f"{edition}.jsonl",
                data_dir=Path(tmp) / "data",
                queue_size=10 * n,
            )
            svc.flush(10)
            for label, samples in (
                ("track_sync", sync_calls(svc, n)),
                ("await track", asyncio.run(async_calls(svc, n))),
            ):
                p50, p99 = _pct(samples, 0.5), _pct(samples, 0.99)
                print(
                    f"{edition:10} {label:12}           p50 {p50:6.2f} us  p99 {p99:6.2f} us"
                    f"   p50 = {p50 / b50:4.1f}x bare put (target <= 15x), p99 target < 25 us"
                )
            svc.shutdown(30)


def end_to_end(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # baseline: the same events serialised and written by hand in the caller's thread
        path = Path(tmp) / "baseline.jsonl"
        import orjson

        t0, c0 = time.perf_counter(), time.process_time()
        with open(path, "wb") as f:
            for i in range(n):
                f.write(
                    orjson.dumps({"event": "memory_created", "properties": PROPS, "i": i}) + b"\n"
                )
        base_cpu = (time.process_time() - c0) / n * 1e6
        print(f"baseline orjson.dumps + write      {base_cpu:6.2f} us CPU/event")
        for edition in ("cloud", "opensource"):
            out = Path(tmp) / f"{edition}.jsonl"
            svc = TelemetryService(
                edition=edition,
                destinations=("jsonl",),
                jsonl_path=out,
                data_dir=Path(tmp) / "data",
                queue_size=n + 1,
            )
            svc.flush(10)
            t0, c0 = time.perf_counter(), time.process_time()
            for i in range(n):
                svc.track_sync(
                    "memory_created", PROPS, user_id=f"user_{i % 500}", developer_id="dev_abc123"
                )
            ok = svc.flush(120)
            wall = time.perf_counter() - t0
            cpu = (time.process_time() - c0) / n * 1e6
            lines = out.read_bytes().count(b"\n")
            svc.shutdown(10)
            print(
                f"{edition:10} end to end to jsonl   {cpu:6.2f} us CPU/event (target <= 15)  "
                f"{n / wall:9,.0f} events/s  {lines:,} lines written, flushed={ok}  "
                f"({cpu / base_cpu:.1f}x the hand-written baseline)"
            )


def main(quick: bool = False) -> None:
    caller_cost(20_000 if quick else 200_000)
    end_to_end(20_000 if quick else 100_000)


if __name__ == "__main__":
    import sys

    main(quick="--quick" in sys.argv)
