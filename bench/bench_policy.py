"""CPU cost of shaping one event with the edition policy, per edition, beside an older tree.

Events: a typical small one (the seed guide's ``{"type": "text", "has_metadata": True}``, from
1,000 end users in turn), a PII-heavy one (emails, IPs, tokens, paths, nested dicts and lists),
one whose message is new in every event (an error string with a request number: the value
checks' memo never helps), and the typical one from a new end user in every event
(``new-user``: the call's IDs are gathered anew each time).
Baselines measured in the same run on the same properties: ``dict(props)`` (the cheapest copy),
``orjson.dumps(props)``, cloud with secrets stripped by key only (``cloud-keys``), and the same
events shaped by the policy of an older commit (``BASELINE``, the tree before issue 19's
positive model, or ``TENANTRY_BENCH_BASELINE=<commit>``), checked out in a temporary
``git worktree`` and measured in its own subprocess. The two trees take turns (three rounds
each) so a busy machine slows both alike. Numbers are best-of-rounds process CPU time per
event, in microseconds.

Targets (issue 19): a typical event costs <= 5 us in opensource and <= 4 us in cloud, a
PII-heavy one <= 20 us.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = "6974f97"  # main before issue 19 (words.py and normalize.py, the old filter)
ROUNDS = 3

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
EVENTS = {"typical": TYPICAL, "pii-heavy": PII_HEAVY, "unique-text": UNIQUE_TEXT}
NEW_USERS = "new-user"  # the typical event, from a user never seen before in every event
PROFILE = {"email": "developer@company.com", "country": "US"}
CHAINS = ("cloud-keys", "cloud", "opensource")


# -- measured in a subprocess, against whichever tenantry is on sys.path -----------------------
def _chain(edition: str, *, values: bool = True) -> list:
    from tenantry.config import Settings
    from tenantry.counters import Counters
    from tenantry.policy import build_chain
    from tenantry.policy.privacy import StripSecrets

    chain = build_chain(
        Settings(edition=edition),
        secret=b"bench-secret-0123456789abcdef0123",
        anonymous_id="anon_00000000000000000000000000000000",
        profile_lookup=lambda _d: PROFILE,
        counters=Counters(),
    )
    if not values:  # the keys-only baseline: StripSecrets without value checks
        processors = [getattr(p, "__self__", p) for p in chain]  # the instances, or functions
        processors = [
            StripSecrets(p.counters, mask_values=False) if isinstance(p, StripSecrets) else p
            for p in processors
        ]
        chain = type(chain)(processors, chain.counters)
    return chain


def _props(props: dict, i: int) -> dict:
    if "error" in props and "{i}" in props["error"]:
        return {**props, "error": props["error"].format(i=i)}
    return props.copy()


def _drafts(props: dict, n: int, users: int = 1000, first: int = 0) -> list[dict]:
    return [
        {
            "kind": "track",
            "event": "memory_created",
            "properties": _props(props, i),
            "user_id": f"usr_{first + i % users}",
            "developer_id": "dev_abc123",
            "timestamp": 1_764_000_000.0 + i,
            "uuid": f"00000000-0000-4000-8000-{i:012d}",
            "duration_ms": None,
        }
        for i in range(n)
    ]


def _shape_us(chain, props: dict, n: int, **users: int) -> float:
    from tenantry.policy import shape

    drafts = _drafts(props, n, **users)
    started = time.process_time()
    for d in drafts:
        shape(chain, d)
    return (time.process_time() - started) / n * 1e6


def _baseline_us(op, props: dict, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        op(props)
    return (time.process_time() - started) / n * 1e6


def measure(n: int) -> dict[str, dict[str, float]]:
    """One round: {event: {chain: us/event}} for the tenantry on ``sys.path``."""
    chains = {
        "cloud-keys": _chain("cloud", values=False),
        "cloud": _chain("cloud"),
        "opensource": _chain("opensource"),
    }
    out: dict[str, dict[str, float]] = {}
    for label, props in EVENTS.items():
        row = {"dict": _baseline_us(dict, props, n), "dumps": _baseline_us(orjson.dumps, props, n)}
        for name, chain in chains.items():
            _shape_us(chain, props, n // 10)  # warm the memos
            row[name] = _shape_us(chain, props, n)
        out[label] = row
    # every event from a user not seen before: what a call's IDs cost to gather the first time
    row = {"dict": out["typical"]["dict"], "dumps": out["typical"]["dumps"]}
    for name, chain in chains.items():
        _shape_us(chain, TYPICAL, n // 10)
        row[name] = _shape_us(chain, TYPICAL, n, users=n, first=10**7)
    out[NEW_USERS] = row
    return out


# -- the driver: both trees, in turns ----------------------------------------------------------
def _round(src: Path, n: int) -> dict[str, dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{HERE}"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import bench_policy, json; print(json.dumps(bench_policy.measure({n})))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(rounds: list[dict]) -> dict[str, dict[str, float]]:
    return {
        label: {k: min(r[label][k] for r in rounds) for k in rounds[0][label]}
        for label in rounds[0]
    }


def _old_tree(commit: str) -> tuple[Path | None, str]:
    """A temporary worktree of ``commit`` (its ``src``), or None and why not."""
    where = Path(tempfile.mkdtemp(prefix="tenantry-bench-")) / "tree"
    try:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), commit],
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        return None, f"no worktree of {commit}: {getattr(exc, 'stderr', b'') or exc}"
    return where, ""


def _drop_tree(where: Path) -> None:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], capture_output=True
    )
    shutil.rmtree(where.parent, ignore_errors=True)


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
        label: min(_shape_us(chain, props, n) for _ in range(3))
        for label, props in (("typical", TYPICAL), ("pii-heavy", PII_HEAVY),
                             ("unique-text", UNIQUE_TEXT))
    }  # fmt: skip
    scan = credentials.masked.__self__.compute  # the memo's function: every call scans
    values = {
        label: min(_baseline_us(scan, text, n) for _ in range(3))
        for label, text in SCAN_TEXTS.items()
    }
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
    commit = os.environ.get("TENANTRY_BENCH_BASELINE", BASELINE)
    old, why = _old_tree(commit)
    new_rounds, old_rounds = [], []
    try:
        for _ in range(1 if quick else ROUNDS):
            if old is not None:
                old_rounds.append(_round(old / "src", n))
            new_rounds.append(_round(ROOT / "src", n))
    finally:
        if old is not None:
            _drop_tree(old)
    new = _best(new_rounds)
    print(f"{n} events per run, best of {len(new_rounds)} rounds, process CPU us/event")
    if old is None:
        print(f"(old tree unavailable: {why})")
    print(f"{'event':12} {'dict(props)':>12} {'orjson.dumps':>13} {'cloud-keys':>11} {'cloud':>8}"
          f" {'opensource':>11} {'cloud/keys':>11} {'oss/dumps':>10}"
          f" {'old cloud':>10} {'old oss':>8} {'cloud/old':>10} {'oss/old':>8}")  # fmt: skip
    old_best = _best(old_rounds) if old_rounds else None
    for label, row in new.items():
        line = (
            f"{label:12} {row['dict']:12.3f} {row['dumps']:13.3f} {row['cloud-keys']:11.2f}"
            f" {row['cloud']:8.2f} {row['opensource']:11.2f} {row['cloud'] / row['cloud-keys']:10.2f}x"
            f" {row['opensource'] / row['dumps']:9.1f}x"
        )
        if old_best is not None:
            o = old_best[label]
            line += (
                f" {o['cloud']:10.2f} {o['opensource']:8.2f}"
                f" {row['cloud'] / o['cloud']:9.2f}x {row['opensource'] / o['opensource']:7.2f}x"
            )
        print(line)
    if old_best is not None:
        print(f"(old = {commit}; cloud/old and oss/old below 1.00x: the new policy is cheaper)")
    cloud_section(quick)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--cloud-json"]:  # the baseline's numbers, for cloud_section
        print(json.dumps(_cloud_numbers(int(sys.argv[2]))))
    else:
        main("--quick" in sys.argv)
