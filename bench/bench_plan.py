"""CPU cost of a tracking plan per event: ``ApplyPlan`` alone, and each edition's whole policy
chain with and without the plan (the same events, the same run).

Events: the seed guide's typical one (2 planned properties, one enum), a wide one (8 planned
properties: enums, ranges, lengths, an array), an unplanned event (``warn``: counted), and one
whose every property breaks the plan (``properties: drop``: 4 removed, counted). Baseline:
``dict(props)``, the cheapest copy. Numbers are best-of-3 process CPU time per event, in
microseconds. ``python bench/run.py plan``.
"""

from __future__ import annotations

import time

from bench_policy import _baseline_us, _chain, _drafts, _shape_us

from tenantry._plan import load_plan
from tenantry.config import Settings
from tenantry.counters import Counters
from tenantry.policy import build_chain
from tenantry.policy.plan import ApplyPlan

TYPICAL = {"type": "text", "has_metadata": True}
WIDE = {
    "type": "document",
    "has_metadata": False,
    "size_bytes": 48_213,
    "chunk_count": 12,
    "model": "gpt-4o-mini",
    "title": "Quarterly notes",
    "tags": ["work", "home"],
    "score": 0.82,
}
BROKEN = {"type": "video", "size_bytes": -5, "colour": "red", "title": "x" * 200}
PLAN = {
    "unplanned": {"events": "warn", "properties": "drop"},
    "events": {
        "memory_created": {
            "properties": {
                "type": {"type": "string", "enum": ["text", "document", "image"], "required": True},
                "has_metadata": "boolean",
                "size_bytes": {"type": "integer", "min": 0, "max": 100_000_000},
                "chunk_count": {"type": "integer", "min": 0},
                "model": {"type": "string", "enum": ["gpt-4o", "gpt-4o-mini", "claude-3-5"]},
                "title": {"type": "string", "max_length": 80},
                "tags": {"type": "array", "enum": ["work", "home", "travel"], "max_length": 10},
                "score": {"type": "number", "min": 0, "max": 1},
            }
        }
    },
}


def _planned_chain(edition: str, plan) -> list:
    return build_chain(
        Settings(edition=edition),
        secret=b"bench-secret-0123456789abcdef0123",
        anonymous_id="anon_00000000000000000000000000000000",
        profile_lookup=lambda _d: {"email": "developer@company.com", "country": "US"},
        counters=Counters(),
        plan=plan,
    )


def _best(run, n: int) -> float:
    """The lowest of three runs of ``run(n)``, in microseconds per event."""
    return min(run(n) for _ in range(3))


def _time_baseline(op, props: dict):
    return lambda n: _baseline_us(op, props, n)


def _time_shape(chain, props: dict):
    return lambda n: _shape_us(chain, props, n)


def _time_apply(apply_plan: ApplyPlan, props: dict, event: str):
    def run(n: int) -> float:
        drafts = _drafts(props, n)
        for d in drafts:
            d["event"] = event
        started = time.process_time()
        for d in drafts:
            apply_plan(d)
        return (time.process_time() - started) / n * 1e6

    return run


def main(quick: bool = False) -> None:
    n = 2_000 if quick else 20_000
    plan = load_plan(PLAN)
    apply_plan = ApplyPlan(plan, Counters())
    print(f"{n} events per run, best of 3, process CPU us/event")
    print(f"{'event':16} {'dict(props)':>12} {'ApplyPlan':>10}")
    for label, props, event in (
        ("typical", TYPICAL, "memory_created"),
        ("wide (8 props)", WIDE, "memory_created"),
        ("unplanned event", TYPICAL, "search_query"),
        ("all broken", BROKEN, "memory_created"),
    ):
        base = _best(_time_baseline(dict, props), n)
        cost = _best(_time_apply(apply_plan, props, event), n)
        print(f"{label:16} {base:12.3f} {cost:10.3f}")
    print()
    print(f"{'chain':11} {'event':16} {'no plan':>8} {'plan':>8} {'+us':>7} {'ratio':>6}")
    for edition in ("cloud", "opensource"):
        plain = _chain(edition)
        planned = _planned_chain(edition, plan)
        for label, props in (("typical", TYPICAL), ("wide (8 props)", WIDE)):
            without = _best(_time_shape(plain, props), n)
            with_plan = _best(_time_shape(planned, props), n)
            print(
                f"{edition:11} {label:16} {without:8.2f} {with_plan:8.2f}"
                f" {with_plan - without:+7.2f} {with_plan / without:5.2f}x"
            )


if __name__ == "__main__":  # bench/ is sys.path[0] here, as under bench/run.py
    main()
