"""CPU cost of shaping one event with the edition policy, per edition.

Events: a typical small one (the seed guide's ``{"type": "text", "has_metadata": True}``), a
PII-heavy one (emails, IPs, tokens, paths, nested dicts and lists), and one whose message is new
in every event (an error string with a request number: the value checks' memo never helps).
Baselines measured in the same run on the same properties: ``dict(props)`` (the cheapest copy),
``orjson.dumps(props)``, and cloud with secrets stripped by key only (``cloud-keys``: the chain
before issue 11's value checks), so ``cloud/keys`` is what checking every string value for
credentials costs. Numbers are best-of-3 process CPU time per event, in microseconds.

Target (issue 2): shaping a typical small event costs a few us, so the whole pipeline stays
within ~15 us CPU per event.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import orjson

from tenantry.config import Settings
from tenantry.counters import Counters
from tenantry.policy import build_chain, shape
from tenantry.policy.privacy import StripSecrets

TYPICAL = {"type": "text", "has_metadata": True}
PII_HEAVY = {
    "type": "text",
    "user_email": "alice@example.com",
    "note": "call me at +1 555 123 4567",
    "client_ip": "192.168.1.20",
    "api_key": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "source": "/home/alice/notes.txt",
    "tags": ["a", "b", "c"],
    "meta": {"request_id": "550e8400-e29b-41d4-a716-446655440000", "retries": 2, "ok": True},
    "result_count": 10,
    "model": "gpt-4o",
}
UNIQUE_TEXT = {
    "type": "text",
    "error": "connection reset by peer after {i} ms (request r{i}, retry 2 of 5)",
    "route": "/v1/memories",
}
PROFILE = {"email": "developer@company.com", "country": "US"}


def _chain(edition: str, *, values: bool = True) -> list:
    chain = build_chain(
        Settings(edition=edition),
        secret=b"bench-secret-0123456789abcdef0123",
        anonymous_id="anon_00000000000000000000000000000000",
        profile_lookup=lambda _d: PROFILE,
        counters=Counters(),
    )
    if not values:  # the keys-only baseline: StripSecrets without value checks
        for i, p in enumerate(chain):
            owner = getattr(p, "__self__", None)
            if isinstance(owner, StripSecrets):
                chain[i] = StripSecrets(owner.counters, mask_values=False).__call__
    return chain


def _props(props: dict, i: int) -> dict:
    if "error" in props and "{i}" in props["error"]:
        return {**props, "error": props["error"].format(i=i)}
    return props.copy()


def _drafts(props: dict, n: int) -> list[dict]:
    return [
        {
            "kind": "track",
            "event": "memory_created",
            "properties": _props(props, i),
            "user_id": f"usr_{i % 1000}",
            "developer_id": "dev_abc123",
            "timestamp": 1_764_000_000.0 + i,
            "uuid": f"00000000-0000-4000-8000-{i:012d}",
            "duration_ms": None,
        }
        for i in range(n)
    ]


def _best(fn, n: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        elapsed = fn(n)
        best = min(best, elapsed / n * 1e6)
    return best


def _time_shape(chain, props):
    def run(n: int) -> float:
        drafts = _drafts(props, n)
        started = time.process_time()
        for d in drafts:
            shape(chain, d)
        return time.process_time() - started

    return run


def _time_baseline(op, props):
    def run(n: int) -> float:
        started = time.process_time()
        for _ in range(n):
            op(props)
        return time.process_time() - started

    return run


# -- cloud: the credential scan (issue 19 item 3) --------------------------------------------------

# main before issue 19's privacy work: the policy measured at 4.2 us per typical cloud event.
BASELINE = "6974f97"
SCAN_TEXTS = {
    "short token": "text",
    "model name": "gpt-4o-mini-2024-07-18",
    "MIME type": "application/json",
    "URL": "https://api.example.com/v1/memories?page=2&limit=50",
    "error message": "connection reset by peer after 1532 ms (request r8812, retry 2 of 5)",
    "stack line": 'File "/app/.venv/lib/python3.12/site-packages/httpx/_transports/default.py", '
    "line 72, in map_httpcore_exceptions",
    "secret word, no secret": "401 Unauthorized: invalid API key",
    "with a tnt_ key": "invalid key tnt_5L2jAbQ9xZk8qLm3RtY7vNp2Ws5Xc4Dh6Fg1Jk0LmNo2Pq",
}


def _cloud_numbers(n: int) -> dict:
    """Policy per cloud event (typical, PII-heavy, unique text) and the credential scan per value,
    uncached, with whatever ``tenantry`` is importable (this tree, or the baseline's)."""
    from tenantry.policy import credentials

    chain = _chain("cloud")
    events = {
        label: _best(_time_shape(chain, props), n)
        for label, props in (("typical", TYPICAL), ("pii-heavy", PII_HEAVY),
                             ("unique-text", UNIQUE_TEXT))
    }  # fmt: skip
    scan = credentials.masked.__self__.compute  # the memo's function: every call scans
    values = {label: _best(_time_baseline(scan, text), n) for label, text in SCAN_TEXTS.items()}
    return {"events": events, "values": values}


def _baseline_numbers(n: int) -> dict | None:
    """``_cloud_numbers`` under the ``BASELINE`` revision's ``src`` (``git archive`` into a
    temporary directory, first on ``PYTHONPATH``), in a subprocess; None without git."""
    root = Path(__file__).resolve().parent.parent
    try:
        archive = subprocess.run(
            ["git", "archive", BASELINE, "src"], cwd=root, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([f"{tmp}/src", str(root / "bench")]))
        out = subprocess.run(
            [sys.executable, __file__, "--cloud-json", str(n)],
            env=env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    return json.loads(out)


def cloud_section(quick: bool = False) -> None:
    """Cloud policy per event and the credential scan per value, this tree beside the
    baseline, measured in the same run."""
    n = 2_000 if quick else 20_000
    new = _cloud_numbers(n)
    old = _baseline_numbers(n)
    print(f"\ncloud policy and credential scan, process CPU us, best of 3 ({n} calls each)")
    print(f"{'':44} {'this tree':>10} {'main@' + BASELINE:>13}")
    for group, title in (("events", "policy per {} cloud event"), ("values", "scan per value: {}")):
        for label, us in new[group].items():
            base = f"{old[group][label]:13.2f}" if old else f"{'-':>13}"
            print(f"{title.format(label):44} {us:10.2f} {base}")


def main(quick: bool = False) -> None:
    n = 2_000 if quick else 20_000
    chains = {
        "cloud": _chain("cloud"),
        "cloud-keys": _chain("cloud", values=False),
        "opensource": _chain("opensource"),
    }
    print(f"{n} events per run, best of 3, process CPU us/event")
    print(f"{'event':12} {'dict(props)':>12} {'orjson.dumps':>13} {'cloud-keys':>11} {'cloud':>8}"
          f" {'opensource':>11} {'cloud/keys':>11} {'cloud/dumps':>12} {'oss/dumps':>10}")  # fmt: skip
    for label, props in (
        ("typical", TYPICAL),
        ("pii-heavy", PII_HEAVY),
        ("unique-text", UNIQUE_TEXT),
    ):
        base_dict = _best(_time_baseline(dict, props), n)
        base_dumps = _best(_time_baseline(orjson.dumps, props), n)
        keys = _best(_time_shape(chains["cloud-keys"], props), n)
        cloud = _best(_time_shape(chains["cloud"], props), n)
        oss = _best(_time_shape(chains["opensource"], props), n)
        print(
            f"{label:12} {base_dict:12.3f} {base_dumps:13.3f} {keys:11.2f} {cloud:8.2f} {oss:11.2f}"
            f" {cloud / keys:10.2f}x {cloud / base_dumps:11.1f}x {oss / base_dumps:9.1f}x"
        )
    cloud_section(quick)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--cloud-json"]:  # the baseline's numbers, for cloud_section
        print(json.dumps(_cloud_numbers(int(sys.argv[2]))))
    else:
        main()
