"""CPU cost per event of the service's shaping options (``tenantry.policy.hooks``): the whole
policy chain of each edition without options (the baseline, measured in the same run), with a
``before_send`` that returns the event as it is, with one that scrubs it (drops a key, adds
one), with 3 super properties, and with sampling (another event name sampled: the look-up
only; this event sampled at 0.1: nine in ten stop at the decision). Also: each processor alone
on the same drafts (less noisy on a loaded machine), ``sampled_in`` alone, the developer's-profile
check before each cloud event (``People.announce`` once the profile was sent), and the caller's
cost of ``track_sync`` in ``mode="sync"`` (it shapes) beside the default threads mode (CPU of
the calling thread only).

Numbers are best-of-5 process CPU time per event, in microseconds. ``python bench/run.py hooks``.
"""

from __future__ import annotations

import time

from bench_policy import _chain, _drafts, _shape_us

from tenantry import TelemetryService
from tenantry.counters import Counters
from tenantry.events import Event, new_uuids
from tenantry.policy.hooks import (
    BeforeSend,
    Hooks,
    Sample,
    ServiceChain,
    SuperProperties,
    sampled_in,
)
from tenantry.policy.people import People
from tenantry.testing import InMemoryDestination

TYPICAL = {"type": "text", "has_metadata": True}
PROFILE = {"email": "developer@company.com", "country": "US", "created_at": "2026-01-02"}
ANON = "anon_00000000000000000000000000000000"


def _best(fn, n: int, repeat: int = 5) -> float:
    """The lowest of ``repeat`` runs of ``fn(n)`` (microseconds per event)."""
    return min(fn(n) for _ in range(repeat))


def _per_event(fn):
    """``fn(n)`` -> seconds, as microseconds per event."""
    return lambda n: fn(n) / n * 1e6


def _time_shape(chain, props):
    return lambda n: _shape_us(chain, props, n)


def _identity(event):
    return event


def _scrub(event):
    event["properties"].pop("has_metadata", None)
    event["properties"]["scrubbed"] = True
    return event


def _service_chain(edition: str, **options) -> ServiceChain:
    counters = Counters()
    return ServiceChain(
        _chain(edition), Hooks(**options), counters=counters, people=False, anonymous_id=ANON
    )


def _time_alone(processor):
    """``processor`` alone over ``n`` typical drafts (seconds)."""

    def run(n: int) -> float:
        drafts = _drafts(TYPICAL, n)
        started = time.process_time()
        for d in drafts:
            processor(d)
        return time.process_time() - started

    return run


def _time_sampled_in(n: int) -> float:
    ids = new_uuids(n)
    started = time.process_time()
    for u in ids:
        sampled_in(u, 0.1)
    return time.process_time() - started


def _time_announce(n: int) -> float:
    people = People(Counters(), anonymous_id=ANON, profile_lookup=lambda _d: PROFILE)
    event = Event("u", "memory_created", "dev_abc123", 1.0, "cloud", {}, "dev_abc123")
    people.announce(event)  # sent once: from here on, each event only checks
    started = time.process_time()
    for _ in range(n):
        people.announce(event)
    return time.process_time() - started


def _time_track(mode: str):
    def run(n: int) -> float:
        svc = TelemetryService(
            edition="cloud", mode=mode, destinations=[InMemoryDestination()], profile_lookup=None
        )
        track = svc.track_sync
        started = time.thread_time()  # the caller's thread only (not the worker's)
        for _ in range(n):
            track("memory_created", TYPICAL, "usr_1", "dev_abc123")
        elapsed = time.thread_time() - started
        svc.shutdown(30.0)
        return elapsed

    return run


def main(quick: bool = False) -> None:
    n = 2_000 if quick else 20_000
    print(f"{n} events per run, best of 5, process CPU us/event (typical event, 2 properties)")
    print(f"{'chain':11} {'options':28} {'us/event':>9} {'+us':>7} {'ratio':>6}")
    cases = (
        ("no options (baseline)", {}),
        ("before_send: identity", {"before_send": _identity}),
        ("before_send: scrub", {"before_send": _scrub}),
        ("3 super properties", {"properties": {"service": "api", "region": "eu", "v": 3}}),
        ("another name sampled", {"sample_rates": {"api_request": 0.1}}),
        ("sampled at 0.1", {"sample_rates": {"memory_created": 0.1}}),
    )
    for edition in ("cloud", "opensource"):
        base = None
        for label, options in cases:
            cost = _best(_time_shape(_service_chain(edition, **options), TYPICAL), n)
            base = cost if base is None else base
            print(f"{edition:11} {label:28} {cost:9.2f} {cost - base:+7.2f} {cost / base:5.2f}x")
        raw = _best(_time_shape(_chain(edition), TYPICAL), n)
        print(f"{edition:11} {'edition chain alone':28} {raw:9.2f} {raw - base:+7.2f}")
    print()
    counters = Counters()
    for label, processor in (
        ("BeforeSend(identity)", BeforeSend(_identity, counters)),
        ("BeforeSend(scrub)", BeforeSend(_scrub, counters)),
        ("SuperProperties (3)", SuperProperties({"service": "api", "region": "eu", "v": 3})),
        ("Sample (0.1)", Sample({"memory_created": 0.1}, counters)),
    ):
        alone = _best(_per_event(_time_alone(processor)), n)
        print(f"{label} alone: {alone:.2f} us")
    print(f"sampled_in(uuid, 0.1) alone: {_best(_per_event(_time_sampled_in), n):.2f} us")
    announce = _best(_per_event(_time_announce), n)
    print(f"profile check before a cloud event (already sent): {announce:.2f} us")
    threads = _best(_per_event(_time_track("threads")), n)
    sync = _best(_per_event(_time_track("sync")), n)
    print(
        f"track_sync caller cost: threads {threads:.2f} us, sync {sync:.2f} us "
        f"(shapes on the caller's thread: {sync / threads:.1f}x)"
    )


if __name__ == "__main__":  # bench/ is sys.path[0] here, as under bench/run.py
    main()
