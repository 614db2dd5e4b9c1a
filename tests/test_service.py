"""TelemetryService end to end: the seed guide's examples through the real pipeline."""

from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tenantry import TelemetryService, get_telemetry
from tenantry.testing import InMemoryDestination, capture_events
from tests.fixtures.seed_guide import EXAMPLE_1, PROFILES, RESULT_IN_AMPLITUDE


def lookup(developer_id):
    return PROFILES.get(developer_id)


def cloud(**kw) -> tuple[TelemetryService, InMemoryDestination]:
    dest = InMemoryDestination()
    svc = TelemetryService(edition="cloud", destinations=[dest], profile_lookup=lookup, **kw)
    return svc, dest


def oss(**kw) -> tuple[TelemetryService, InMemoryDestination]:
    dest = InMemoryDestination()
    svc = TelemetryService(edition="opensource", destinations=[dest], **kw)
    return svc, dest


class Gated(InMemoryDestination):
    """An in-memory destination whose ``send`` first waits for ``gate`` (``hold`` seconds at most):
    a stalled or hanging destination until the test sets the gate."""

    def __init__(self, hold: float, **kw) -> None:
        super().__init__(**kw)
        self.gate = threading.Event()
        self.hold = hold

    def send(self, batch, timeout):
        self.gate.wait(self.hold)
        return super().send(batch, timeout)


class TestSeedGuide:
    async def test_example_1_result_in_amplitude(self):
        """Cloud: primary ID is the developer; end_user_id, developer_id, email and country join."""
        svc, dest = cloud()
        await svc.track(**EXAMPLE_1)
        assert svc.shutdown(5)
        [e] = dest.events
        assert e.distinct_id == "dev_abc123" and e.event == "memory_created"
        assert e.properties == RESULT_IN_AMPLITUDE
        assert e.developer_id == "dev_abc123" and e.end_user_id == "user_1234"

    async def test_result_in_posthog(self):
        """Opensource: a keyed pseudonym, the properties plus edition/os/version, no IDs or PII."""
        svc, dest = oss(secret="s3cret-for-tests")
        await svc.track(**EXAMPLE_1)
        assert svc.shutdown(5)
        [e] = dest.events
        assert "user_1234" not in e.distinct_id and "dev_abc123" not in e.distinct_id
        assert e.properties["type"] == "text" and e.properties["has_metadata"] is True
        assert e.properties["edition"] == "opensource"
        for key in ("os", "version", "arch", "python_version"):
            assert e.properties[key]
        blob = orjson.dumps(e.to_record()).decode()
        assert "user_1234" not in blob and "dev_abc123" not in blob
        assert e.developer_id is None and e.end_user_id is None

    async def test_summary_table(self):
        """Every row of the seed guide's summary table, in one run per edition."""
        svc, dest = cloud()
        await svc.track("e", {}, user_id="user_1", developer_id="dev_abc123")  # API key
        await svc.track("e", {}, user_id="dev_abc123", developer_id="dev_abc123")  # session
        await svc.track("e", {}, user_id="usr_resolved", developer_id="dev_abc123")  # external
        svc.shutdown(5)
        api, session, external = dest.events
        assert api.distinct_id == "dev_abc123" and api.properties["end_user_id"] == "user_1"
        assert (
            session.properties["developer_id"] == session.properties["end_user_id"] == "dev_abc123"
        )
        assert external.properties["end_user_id"] == "usr_resolved"
        svc2, dest2 = oss()
        await svc2.track("e", {}, user_id="user_1", developer_id="dev_abc123")
        await svc2.track("e", {}, user_id=None, developer_id="dev_abc123")
        svc2.shutdown(5)
        a, b = dest2.events
        assert a.distinct_id != b.distinct_id  # hash(user_id or developer_id)
        assert "dev_abc123" not in b.distinct_id

    async def test_dont_include_pii(self):
        """The "don't include PII" example: user_email and user_name are filtered in opensource."""
        svc, dest = oss()
        await svc.track(
            "profile_viewed",
            {"user_email": "alice@example.com", "user_name": "Alice"},  # noqa: TNT003 - the personal data the filter must drop
            user_id="user_1",
            developer_id="dev_1",
        )
        svc.shutdown(5)
        blob = orjson.dumps(dest.events[0].to_record()).decode()
        assert "alice@example.com" not in blob and "Alice" not in blob

    async def test_swapped_ids_are_put_right(self):
        """The seed guide's "don't swap the IDs": usr_/dev_ prefixes show a swap; it is undone."""
        svc, dest = cloud()
        await svc.track("e", {}, user_id="dev_abc123", developer_id="usr_42")  # noqa: TNT002 - the swap under test
        svc.shutdown(5)
        assert dest.events[0].distinct_id == "dev_abc123"
        assert svc.get_status()["counters"].get("swapped_ids") == 1

    async def test_identity_form(self):
        """track(identity=...) takes both IDs from an Identity, so they cannot be swapped."""
        from dataclasses import dataclass

        @dataclass
        class Identity:
            developer_id: str
            end_user_id: str | None
            via: str = "api_key"

        svc, dest = cloud()
        await svc.track("e", {}, identity=Identity("dev_abc123", "usr_9"))
        svc.shutdown(5)
        assert dest.events[0].distinct_id == "dev_abc123"
        assert dest.events[0].end_user_id == "usr_9"


class TestTrackingCalls:
    async def test_error_and_performance(self):
        """track_error -> error_occurred with error_type; track_performance buckets in opensource."""
        svc, dest = cloud()
        await svc.track_error(
            "database_error", {"retry_count": 3}, user_id="u", developer_id="dev_abc123"
        )
        await svc.track_performance(
            "search_query", 150.5, {"result_count": 10}, developer_id="dev_abc123"
        )
        svc.shutdown(5)
        err, perf = dest.events
        assert err.event == "error_occurred" and err.properties["error_type"] == "database_error"
        assert err.properties["retry_count"] == 3
        assert (
            perf.properties["duration_ms"] == 150.5
            and perf.properties["operation"] == "search_query"
        )
        svc2, dest2 = oss()
        await svc2.track_performance("search_query", 150.5, {"result_count": 10})
        svc2.shutdown(5)
        p = dest2.events[0].properties
        assert "duration_ms" not in p and p["duration_bucket"] == "100-500ms"

    def test_timestamp_for_backfills(self):
        """timestamp= sets the event time (imports and backfills); the uuid is a fresh uuid4."""
        svc, dest = cloud()
        when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        svc.track_sync("imported", {}, developer_id="dev_abc123", timestamp=when)
        svc.track_sync("now", {}, developer_id="dev_abc123")
        svc.shutdown(5)
        imported, now = dest.events
        assert imported.timestamp == when.timestamp()
        assert imported.iso_timestamp == "2026-01-02T03:04:05.000Z"
        assert abs(now.timestamp - time.time()) < 60
        assert imported.uuid != now.uuid and len(imported.uuid) == 36

    def test_timestamp_rule(self):
        """track follows tenantry.timestamps: naive and offset-less ISO are UTC; beyond an hour
        ahead, or unreadable, is now; each fix is counted."""
        svc, dest = cloud()
        when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        for ts in (when.replace(tzinfo=None), "2026-01-02T03:04:05", when.timestamp()):
            svc.track_sync("ok", {}, developer_id="dev_abc123", timestamp=ts)
        for ts in (datetime.now(UTC) + timedelta(hours=2), "not a time", -5):
            svc.track_sync("now", {}, developer_id="dev_abc123", timestamp=ts)
        svc.shutdown(5)
        counters = svc.get_status()["counters"]
        assert [e.timestamp for e in dest.events[:3]] == [when.timestamp()] * 3
        assert all(abs(e.timestamp - time.time()) < 60 for e in dest.events[3:])
        assert counters["naive_timestamps"] == 2 and counters["invalid_timestamps"] == 3

    def test_callers_dict_is_not_mutated(self):
        """The caller's properties dict (and nested dicts) are left exactly as they were."""
        svc, dest = cloud()
        props = {"type": "text", "nested": {"api_key": "sk_live_abcdefghijklmnop"}}  # noqa: TNT003 - the nested secret under test
        snapshot = orjson.dumps(props)
        svc.track_sync("e", props, user_id="u", developer_id="dev_abc123")
        props["late"] = 1  # mutating after the call must not change the event either
        svc.shutdown(5)
        assert orjson.dumps({k: v for k, v in props.items() if k != "late"}) == snapshot
        assert "late" not in dest.events[0].properties
        assert "sk_live" not in orjson.dumps(dest.events[0].properties).decode()

    @pytest.mark.parametrize("edition", ["cloud", "opensource"])
    def test_never_raises_whatever_it_is_given(self, edition):
        """Sets, bytes, datetimes, objects, NaN, cycles, 10 MB strings, 10,000 keys, None names."""
        dest = InMemoryDestination()
        svc = TelemetryService(edition=edition, destinations=[dest])
        cyclic: dict = {"a": 1}
        cyclic["self"] = cyclic

        class Weird:
            def __repr__(self):
                raise RuntimeError("no repr")

            def __eq__(self, other):
                raise RuntimeError("no eq")

            __hash__ = None

        class BadDict(dict):
            def copy(self):
                raise RuntimeError("no copy")

        inputs = [
            ("e", {"s": {1, 2}, "b": b"\xff\x00", "d": datetime.now(UTC), "o": object()}),
            ("e", {"nan": math.nan, "inf": math.inf, "w": Weird()}),
            ("e", cyclic),
            ("e", {"big": "x" * 10_000_000}),
            ("e", {f"k{i}": i for i in range(10_000)}),
            (None, {"type": "text"}),
            (12345, None),
            ("e", "not a dict"),
            ("e", [1, 2, 3]),
            ("e", BadDict(a=1)),
            (Weird(), {Weird(): Weird()} if False else {"x": Weird()}),
        ]
        for name, props in inputs:
            assert svc.track_sync(name, props, user_id=Weird(), developer_id=b"\x00") is None  # noqa: TNT006 - proves track_sync returns None
            asyncio.run(svc.track(name, props, user_id=["list"], developer_id={"d": 1}))
        svc.track_sync("e", {}, timestamp="not a time")  # noqa: TNT001 - bad input must not raise
        svc.track_sync("e", {}, timestamp=datetime(2020, 1, 1))  # noqa: TNT001 - bad input must not raise; naive
        svc.shutdown(10)
        for e in dest.events:
            orjson.loads(orjson.dumps(e.to_record()))  # valid JSON, whatever was given
            assert len(orjson.dumps(e.properties)) < 2_000_000
        assert len(dest.events) >= len(inputs)

    def test_many_threads_and_no_event_loop(self):
        """8 threads x 2,000 calls from plain threads: every event arrives exactly once."""
        svc, dest = cloud()

        def work(t):
            for i in range(2000):
                svc.track_sync("e", {"i": i, "t": t}, developer_id="dev_abc123")

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert svc.flush(10)
        assert len({e.uuid for e in dest.events}) == 16_000
        assert svc.get_status()["delivered"] == 16_000
        svc.shutdown(5)


class TestLifecycle:
    def test_flush_and_shutdown(self):
        """flush() returns True once delivered; after shutdown, calls are counted as dropped."""
        svc, dest = cloud()
        for _ in range(100):
            svc.track_sync("e", {}, developer_id="dev_abc123")
        assert svc.flush(5) is True and len(dest.events) == 100
        assert svc.shutdown(5) is True and dest.shut_down
        svc.track_sync("late", {}, developer_id="dev_abc123")
        st = svc.get_status()
        assert st["drops"] == {"shutdown": 1} and st["dropped"] == 1 and st["delivered"] == 100

    def test_full_queue_drops_new_events_and_never_blocks(self):
        """With a tiny queue, a stalled worker and ``when_full="drop"``, track returns at once
        and counts queue_full."""
        dest = Gated(5)
        svc = TelemetryService(
            edition="cloud", destinations=[dest], queue_size=10, when_full="drop"
        )
        svc._worker.wait_ready(5)
        t0 = time.perf_counter()
        n = 0
        while svc.get_status()["drops"].get("queue_full", 0) == 0 and n < 1_000_000:
            svc.track_sync("e", {}, developer_id="dev_abc123")
            n += 1
        assert time.perf_counter() - t0 < 5
        assert svc.get_status()["drops"]["queue_full"] >= 1
        dest.gate.set()
        svc.shutdown(5)

    def test_off_means_nothing_at_all(self, tmp_path, monkeypatch):
        """DO_NOT_TRACK=1: no thread, no file, no event; status says so."""
        monkeypatch.setenv("DO_NOT_TRACK", "1")
        data = tmp_path / "off"
        before = {t.name for t in threading.enumerate()}
        svc = TelemetryService(
            data_dir=data, destinations=("jsonl",), jsonl_path=tmp_path / "x.jsonl"
        )
        svc.track_sync("e", {"a": 1}, user_id="u")  # noqa: TNT001 - DO_NOT_TRACK: nothing is recorded
        asyncio.run(svc.track("e", {}))  # noqa: TNT001 - DO_NOT_TRACK: nothing is recorded
        assert svc.flush(1)
        new = {t.name for t in threading.enumerate()} - before
        assert not any(n.startswith("tenantry") for n in new)
        assert not data.exists() and not (tmp_path / "x.jsonl").exists()
        st = svc.get_status()
        assert st["enabled"] is False and st["disabled_by"] == "DO_NOT_TRACK=1"
        assert st["accepted"] == 0

    def test_shutdown_deadline_with_a_destination_that_never_answers(self):
        """shutdown(0.5) returns within about 0.5 s even though send() blocks for ever."""
        hang = Gated(30)
        svc = TelemetryService(edition="cloud", destinations=[hang])
        svc.track_sync("e", {}, developer_id="dev_abc123")
        time.sleep(0.1)
        t0 = time.monotonic()
        assert svc.shutdown(0.5) is False
        assert time.monotonic() - t0 < 1.5
        hang.gate.set()

    def test_slow_destination_does_not_delay_another(self):
        """One destination blocking for seconds does not hold back a second one."""
        hang, fast = Gated(10, name="hang"), InMemoryDestination(name="fast")
        svc = TelemetryService(edition="cloud", destinations=[hang, fast])
        for _ in range(50):
            svc.track_sync("e", {}, developer_id="dev_abc123")
        deadline = time.monotonic() + 3
        while len(fast.events) < 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(fast.events) == 50
        hang.gate.set()
        assert svc.shutdown(5)

    def test_get_telemetry_is_process_wide_and_capture_events_works(self):
        """get_telemetry() returns one instance; capture_events swaps in an in-memory one."""
        with capture_events(edition="cloud", profile_lookup=lookup) as events:
            assert get_telemetry() is get_telemetry()
            get_telemetry().track_sync(
                "memory_created", {"type": "text"}, user_id="user_1234", developer_id="dev_abc123"
            )
        assert len(events) == 1
        assert events[0]["distinct_id"] == "dev_abc123"
        assert events[0]["properties"]["email"] == "developer@company.com"


def _run_py(code: str, env_extra: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEMETRY_", "TENANTRY_"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class TestProcesses:
    def test_atexit_flushes(self, tmp_path):
        """A script that tracks and exits without flushing still writes every event (atexit)."""
        out = tmp_path / "e.jsonl"
        r = _run_py(
            """
            from tenantry import get_telemetry
            t = get_telemetry()
            for i in range(5000):
                t.track_sync("e", {"i": i}, developer_id="dev_1")
            """,
            {
                "TELEMETRY_PROVIDER": "jsonl",
                "TELEMETRY_JSONL_PATH": str(out),
                "TENANTRY_DATA_DIR": str(tmp_path / "d"),
                "TELEMETRY_EDITION": "cloud",
            },
        )
        assert r.returncode == 0, r.stderr
        lines = out.read_bytes().splitlines()
        assert len(lines) == 5000
        rec = orjson.loads(lines[0])
        assert set(rec) == {"uuid", "event", "distinct_id", "timestamp", "edition", "properties"}
        assert rec["timestamp"].endswith("Z") and rec["distinct_id"] == "dev_1"

    def test_fork_child_gets_a_fresh_pipeline(self, tmp_path):
        """After fork, the child's events are delivered by the child and the parent's by the parent."""
        out = tmp_path / "e.jsonl"
        r = _run_py(
            """
            import os
            from tenantry import TelemetryService
            t = TelemetryService()
            t.track_sync("parent_before", {}, developer_id="dev_1")
            pid = os.fork()
            if pid == 0:
                t.track_sync("child", {}, developer_id="dev_1")
                ok = t.flush(10)
                os._exit(0 if ok else 3)
            _, status = os.waitpid(pid, 0)
            t.track_sync("parent_after", {}, developer_id="dev_1")
            assert t.shutdown(10)
            print(os.waitstatus_to_exitcode(status))
            """,
            {
                "TELEMETRY_PROVIDER": "jsonl",
                "TELEMETRY_JSONL_PATH": str(out),
                "TENANTRY_DATA_DIR": str(tmp_path / "d"),
                "TELEMETRY_EDITION": "cloud",
            },
        )
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "0"
        names = sorted(orjson.loads(line)["event"] for line in out.read_bytes().splitlines())
        assert names == ["child", "parent_after", "parent_before"]


def test_opensource_secret_file_is_private(tmp_path):
    """The installation secret is 32 bytes, mode 0600, created once and reused."""
    data = tmp_path / "d"
    svc, dest = oss(data_dir=data)
    svc.track_sync("e", {}, user_id="u1")  # noqa: TNT001 - the end user alone is pseudonymized
    svc.shutdown(5)
    secret = data / "secret"
    assert secret.stat().st_mode & 0o777 == 0o600 and len(secret.read_bytes()) == 32
    svc2, dest2 = oss(data_dir=data)
    svc2.track_sync("e", {}, user_id="u1")
    svc2.shutdown(5)
    assert dest.events[0].distinct_id == dest2.events[0].distinct_id
    assert secret.read_bytes() not in orjson.dumps(dest.events[0].to_record())


def test_backfill_keeps_order_of_old_timestamps():
    """Events with timestamps 60 days apart keep their own times."""
    svc, dest = cloud()
    base = datetime.now(UTC) - timedelta(days=60)
    for d in range(60):
        svc.track_sync("e", {}, developer_id="dev_abc123", timestamp=base + timedelta(days=d))
    svc.shutdown(5)
    times = [e.timestamp for e in dest.events]
    assert times == sorted(times) and times[-1] - times[0] == pytest.approx(59 * 86400, abs=1)


def test_debug_logs_every_shaped_event_without_secrets(caplog):
    """TELEMETRY_DEBUG=1 logs each shaped event; secrets passed in properties are not in the log."""
    import logging

    svc, dest = cloud(debug=True)
    with caplog.at_level(logging.INFO, logger="tenantry"):
        svc.track_sync(
            "memory_created",
            {"type": "text", "api_key": "sk_live_51HxYzSECRETSECRET", "password": "hunter2"},  # noqa: TNT003 - the secrets the debug log must redact
            user_id="user_1234",
            developer_id="dev_abc123",
        )
        svc.shutdown(5)
    logged = "\n".join(r.getMessage() for r in caplog.records if "tenantry event" in r.getMessage())
    assert "memory_created" in logged and "dev_abc123" in logged
    assert "sk_live_51HxYzSECRETSECRET" not in logged and "hunter2" not in logged


class TestReporting:
    def test_status_file_feeds_tenantry_status(self, tmp_path, capsys, monkeypatch):
        """A running service's counters, drops included, show in `tenantry status --json`; the
        file goes when the service shuts down."""
        from tenantry.cli import main

        data = tmp_path / "d"
        monkeypatch.setenv("TENANTRY_DATA_DIR", str(data))
        dest = InMemoryDestination()
        svc = TelemetryService(
            edition="cloud",
            destinations=[dest],
            status_interval=0.05,
            queue_size=5,
            when_full="drop",
        )
        svc._worker.wait_ready(5)
        for _ in range(50):  # a burst past the tiny queue: some are dropped as queue_full
            svc.track_sync("e", {}, developer_id="dev_abc123")
        svc.flush(5)
        time.sleep(0.3)  # a few status intervals
        assert main(["status", "--json"]) == 0
        doc = orjson.loads(capsys.readouterr().out)
        [proc] = doc["processes"]
        assert proc["pid"] == os.getpid()
        assert proc["drops"]["queue_full"] == svc.get_status()["drops"]["queue_full"] > 0
        assert proc["delivered"] == len(dest.events)
        svc.shutdown(5)
        assert not list((data / "status").glob("*.json"))

    def test_drops_are_logged_once_per_interval(self, caplog):
        """1,000 rejected events give one summary log line per interval, naming the reason."""
        import logging

        from tenantry.destinations.base import Result

        class Refuse(InMemoryDestination):
            def send(self, batch, timeout):
                return [Result.rejected("http_403")] * len(batch)

        seen = []
        svc = TelemetryService(
            edition="cloud",
            destinations=[Refuse()],
            status_interval=0.2,
            on_error=lambda name, events, results: seen.append((name, len(events))),
        )
        with caplog.at_level(logging.WARNING, logger="tenantry"):
            for _ in range(1000):
                svc.track_sync("e", {}, developer_id="dev_abc123")
            svc.flush(5)
            time.sleep(0.5)
            svc.shutdown(5)
        lines = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
        assert 1 <= len(lines) <= 3
        assert "rejected:http_403=1000" in lines[0]
        assert sum(n for _, n in seen) == 1000 and {name for name, _ in seen} == {"memory"}
        assert svc.get_status()["failed"] == 1000


def test_debug_log_masks_tokens_under_harmless_keys(caplog):
    """In cloud, a vendor token under an innocent key is kept in the event but masked in the debug log."""
    import logging

    svc, dest = cloud(debug=True)
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    with caplog.at_level(logging.INFO, logger="tenantry"):
        svc.track_sync("e", {"note": token}, developer_id="dev_abc123")  # noqa: TNT003 - the token the debug log must redact
        svc.shutdown(5)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "tenantry event" in logged and token not in logged


def test_opensource_notice_before_first_send_off_the_machine(tmp_path, caplog):
    """An opensource installation with an off-machine provider logs the notice once and records it."""
    import logging

    data = tmp_path / "d"
    with caplog.at_level(logging.WARNING, logger="tenantry"):
        for _ in range(2):
            svc = TelemetryService(
                edition="opensource",
                destinations=("relay",),
                relay_url="http://127.0.0.1:9",
                data_dir=data,
            )
            svc.track_sync("e", {})  # noqa: TNT001 - the notice does not depend on IDs
            svc.shutdown(0.5)
    notices = [r for r in caplog.records if "DO_NOT_TRACK=1" in r.getMessage()]
    assert len(notices) == 1 and (data / "notice-shown").exists()
    local = TelemetryService(edition="opensource", destinations=("jsonl",), data_dir=tmp_path / "l")
    local.track_sync("e", {})  # noqa: TNT001 - the notice does not depend on IDs
    local.shutdown(5)
    assert not (tmp_path / "l" / "notice-shown").exists()  # nothing leaves the machine: no notice


def test_everything_written_under_the_data_dir_is_private_whatever_the_umask(
    tmp_path, fake_posthog
):
    """With umask 022, every directory tenantry creates is 0700 and every file it writes 0600:
    the secret, the notice marker, spool segments and ledger, jsonl output, the status file,
    the suppression list and the local store's Parquet segments (issue 11 item 6)."""
    from tenantry.pipeline.suppression import SuppressionList

    old = os.umask(0o022)
    try:
        data = tmp_path / "data"  # does not exist yet: tenantry creates it
        svc = TelemetryService(
            edition="opensource",
            destinations=("jsonl", "local", "posthog"),
            data_dir=data,
            jsonl_path=data / "out" / "events.jsonl",
            durable=True,
            posthog_api_key="phc_key",
            posthog_host=fake_posthog.base_url,
            status_interval=0.05,
        )
        for i in range(50):
            svc.track_sync("memory_created", {"i": i}, user_id=f"user_{i}")  # noqa: TNT001 - file modes do not depend on IDs
        assert svc.flush(20.0)
        SuppressionList(data).add("usr_forgotten")
        deadline = time.monotonic() + 5
        while not list((data / "status").glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.02)
        modes = {
            str(p.relative_to(data)): p.stat().st_mode & 0o777
            for p in [data, *data.rglob("*")]
            if not p.name.endswith(".lock")  # lock files: opened 0600 too, checked below
        }
        locks = {p.name: p.stat().st_mode & 0o777 for p in data.rglob("*.lock")}
        svc.shutdown(5.0)
    finally:
        os.umask(old)
    print("\n" + "\n".join(f"{m:o} {p}" for p, m in sorted(modes.items())))
    names = set(modes)
    for expected in (
        "secret",
        "notice-shown",
        "spool/acks.log",
        "out/events.jsonl",
        f"status/{os.getpid()}.json",
        "suppressed.txt",
    ):
        assert expected in names, expected
    assert any(n.startswith("spool/seg-") for n in names)
    from tenantry.destinations.local import store_available

    # the local store's segments; a core install (no store extra) keeps pending batches
    kept = ".parquet" if store_available() else ".jsonl"
    assert any(n.startswith("events/") and n.endswith(kept) for n in names), kept
    loose = {p: oct(m) for p, m in modes.items() if m != ((data / p).is_dir() and 0o700 or 0o600)}
    assert loose == {}
    assert all(m == 0o600 for m in locks.values())
