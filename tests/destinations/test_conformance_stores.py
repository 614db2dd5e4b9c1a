"""The conformance suite (STYLE.md 17) for the destinations that are not HTTP vendors: jsonl,
local, clickhouse (a real server) and none. Their equivalents of the vendor outcomes: a write
that lands is DELIVERED (200) and readable where it went; a store or file that cannot be
written is RETRY, never an exception (429, 5xx); an event that cannot be encoded is REJECTED
alone, the rest of its batch delivered (a final refusal, 403); a store has no request size
(413). Through a service: flush on shutdown, drop after shutdown, and the shutdown deadline
with a ClickHouse that accepts connections and never answers.
(test_conformance.py is the same suite for amplitude, posthog and relay, over real HTTP.)"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from tenantry import TelemetryService
from tenantry.config import Settings, load_settings
from tenantry.destinations import build
from tenantry.destinations.base import Status
from tenantry.events import Event, new_uuids
from tenantry.store import open_store
from tenantry.store.clickhouse import ClickHouseStore
from tenantry.store.queries import run_query

WRITERS = ("jsonl", "local", "clickhouse")  # the destinations that keep what they are sent


def events(n: int, bad: int | None = None) -> list[Event]:
    """``n`` cloud events; the one at index ``bad`` holds a value JSON cannot encode."""
    return [
        Event(
            u,
            "memory_created",
            "dev_abc123",
            time.time(),
            "cloud",
            {"i": i, **({"unencodable": object()} if i == bad else {})},
            "dev_abc123",
        )
        for i, u in enumerate(new_uuids(n))
    ]


def settings_for(name: str, tmp_path: Path, request) -> Settings:
    extra = {}
    if name == "jsonl":
        extra["jsonl_path"] = tmp_path / "events.jsonl"
    if name == "clickhouse":
        extra["clickhouse_url"] = request.getfixturevalue("clickhouse_db")
    return load_settings(data_dir=tmp_path / "data", edition="cloud", destinations=(name,), **extra)


def stored(name: str, settings: Settings) -> int:
    """How many events the destination's target holds."""
    if name == "jsonl":
        path = settings.jsonl_path
        return len(path.read_bytes().splitlines()) if path.exists() else 0
    if name == "local":
        rows = run_query(open_store(settings), "event-counts")["rows"]
        return sum(r["count"] for r in rows)
    return ClickHouseStore(settings.clickhouse_url).count()


def broken(name: str, tmp_path: Path) -> Settings:
    """Settings whose target cannot be written: a full disk, a store without its staging
    directory, a ClickHouse nobody listens for."""
    s = load_settings(data_dir=tmp_path / "data", edition="cloud")
    if name == "jsonl":
        return s.replace(jsonl_path="/dev/full")
    if name == "clickhouse":
        return s.replace(clickhouse_url="clickhouse://127.0.0.1:1/default?connect_timeout=1")
    return s


class TestStoreConformance:
    @pytest.mark.parametrize("name", [*WRITERS, "none"])
    def test_a_write_that_lands_is_delivered(self, name, tmp_path, request):
        """Every event of a batch is DELIVERED, and the target holds each one once."""
        settings = settings_for(name, tmp_path, request)
        dest = build(settings, name)
        assert [r.status for r in dest.send(events(5), 5.0)] == [Status.DELIVERED] * 5
        dest.shutdown(5.0)
        if name != "none":
            assert stored(name, settings) == 5

    @pytest.mark.parametrize("name", WRITERS)
    def test_a_target_that_cannot_be_written_is_retry(self, name, tmp_path):
        """A full disk, a missing store directory or an unreachable server: every event RETRY
        with a reason, never an exception."""
        dest = build(broken(name, tmp_path), name)
        if name == "local":
            (tmp_path / "data" / "events" / "tmp").rmdir()  # the writer's staging dir is gone
        results = dest.send(events(3), 3.0)
        dest.shutdown(1.0)
        assert [r.status for r in results] == [Status.RETRY] * 3
        assert all(r.reason for r in results)

    @pytest.mark.parametrize("name", WRITERS)
    def test_an_unencodable_event_is_rejected_alone(self, name, tmp_path, request):
        """One event JSON cannot encode is REJECTED (unencodable); the other four are
        DELIVERED and stored."""
        settings = settings_for(name, tmp_path, request)
        dest = build(settings, name)
        results = dest.send(events(5, bad=2), 5.0)
        dest.shutdown(5.0)
        assert [(r.status, r.reason) for r in results][2] == (Status.REJECTED, "unencodable")
        assert [r.status for i, r in enumerate(results) if i != 2] == [Status.DELIVERED] * 4
        assert stored(name, settings) == 4

    @pytest.mark.parametrize("name", [*WRITERS, "none"])
    def test_flush_on_shutdown(self, name, tmp_path, request):
        """Events tracked just before shutdown() are delivered by it."""
        settings = settings_for(name, tmp_path, request)
        svc = TelemetryService(settings)
        for i in range(50):
            svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123")
        assert svc.shutdown(10.0) is True
        assert svc.get_status()["delivered"] == 50
        if name != "none":
            assert stored(name, settings) == 50

    @pytest.mark.parametrize("name", [*WRITERS, "none"])
    def test_drop_after_shutdown(self, name, tmp_path, request):
        """track() after shutdown() writes nothing and is counted as dropped (shutdown)."""
        settings = settings_for(name, tmp_path, request)
        svc = TelemetryService(settings)
        svc.shutdown(5.0)
        svc.track_sync("memory_created", {}, developer_id="dev_abc123")
        assert svc.get_status()["drops"].get("shutdown") == 1
        if name != "none":
            assert stored(name, settings) == 0

    def test_shutdown_deadline_with_a_clickhouse_that_never_answers(self, tmp_path):
        """shutdown(timeout=0.5) returns within about 0.5 s although the ClickHouse server
        accepts the connection and never answers."""
        with silent_server() as port:
            settings = load_settings(
                data_dir=tmp_path / "data",
                edition="cloud",
                destinations=("clickhouse",),
                clickhouse_url=f"clickhouse://127.0.0.1:{port}/default",
            )
            svc = TelemetryService(settings)
            svc.track_sync("memory_created", {}, developer_id="dev_abc123")
            assert svc.flush(0.3) is False
            t0 = time.monotonic()
            assert svc.shutdown(0.5) is False
            assert time.monotonic() - t0 < 1.5  # not the driver's 300 s


class silent_server:
    """A TCP server on 127.0.0.1 that accepts connections, reads and never answers."""

    def __enter__(self) -> int:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return self.sock.getsockname()[1]

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def __exit__(self, *exc) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()
