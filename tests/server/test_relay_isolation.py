"""The relay under hostile or failing input (issue 20, items 2, 10; issue 19, item 5): an event
with a string JSON cannot encode is rejected alone and never stalls delivery; distinct event
names are capped per installation and per day; a Redis that answers in 200 ms does not slow
``/healthz`` (real Redis behind a delaying TCP proxy)."""

from __future__ import annotations

import contextlib
import json
import socket
import statistics
import threading
import time
import uuid

import httpx

from tenantry.config import load_settings
from tenantry.destinations import build
from tenantry.server import ServerThread, create_app
from tenantry.server.limits import Rate

PATH = "/v1/telemetry/events"
PLENTY = Rate(per_second=1e9, burst=1e9)


def _app(tmp_path, env: dict[str, str] | None = None, **kwargs):
    settings = load_settings(
        env or {}, data_dir=tmp_path, destinations=("jsonl",), jsonl_path=tmp_path / "out.jsonl"
    )
    kwargs.setdefault("relay_destinations", [build(settings, "jsonl")])
    return create_app(settings, ip_rate=PLENTY, anon_rate=PLENTY, **kwargs)


def _delivered(tmp_path) -> list[dict]:
    path = tmp_path / "out.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_unencodable_strings_are_rejected_per_event(tmp_path):
    """Lone surrogates (JSON escapes ``\\ud800``) in a property value, an event name and a key
    are each rejected as ``unencodable``; the batch's other events and every later batch are
    delivered (the jsonl destination writes them), and the relay flushes; an envelope whose
    ``anonymous_id`` is unencodable is a 422."""
    app = _app(tmp_path)
    good = [str(uuid.uuid4()) for _ in range(3)]
    body = (
        '{"anonymous_id": "inst-1", "events": ['
        f'{{"event_name": "ok", "properties": {{"n": 1}}, "uuid": "{good[0]}"}},'
        '{"event_name": "bad_value", "properties": {"file": "x\\ud800y"}},'
        '{"event_name": "\\udfff"},'
        '{"event_name": "bad_key", "properties": {"\\ud800": 1}},'
        f'{{"event_name": "ok", "properties": {{"n": 2}}, "uuid": "{good[1]}"}}]}}'
    )
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        headers = {"content-type": "application/json"}
        r = http.post(PATH, content=body.encode(), headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["events_processed"] == 2
        assert r.json()["rejected"] == [{"index": i, "reason": "unencodable"} for i in (1, 2, 3)]
        later = http.post(PATH, json={"events": [{"event_name": "ok", "uuid": good[2]}]})
        assert later.json()["events_processed"] == 1
        bad_envelope = '{"anonymous_id": "\\ud800", "events": [{"event_name": "ok"}]}'
        r = http.post(PATH, content=bad_envelope.encode(), headers=headers)
        assert r.status_code == 422 and r.json()["code"] == "invalid_request"
        relay = app.state.server_state.relay
        assert relay.flush(5.0)
        assert relay.status()["drops"].get("unencodable") == 3
    assert sorted(e["uuid"] for e in _delivered(tmp_path)) == sorted(good)


def test_event_names_are_capped_per_installation_and_per_day(tmp_path):
    """With 3 names an installation and 5 in all per day: an installation's 4th and 5th new
    names are rejected (``too_many_event_names``) while its known names still pass; a second
    installation gets new names only until the day's total is reached."""
    env = {"TENANTRY_RELAY_MAX_EVENT_NAMES": "3", "TENANTRY_RELAY_MAX_EVENT_NAMES_TOTAL": "5"}
    with (
        ServerThread(_app(tmp_path, env)) as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):

        def send(installation: str, names: list[str]) -> dict:
            events = [{"event_name": n} for n in names]
            r = http.post(PATH, json={"events": events, "anonymous_id": installation})
            assert r.status_code == 200, r.text
            return r.json()

        first = send("inst-a", ["a0", "a1", "a2", "a3", "a4"])
        assert first["events_processed"] == 3
        assert first["rejected"] == [{"index": i, "reason": "too_many_event_names"} for i in (3, 4)]
        assert send("inst-a", ["a0", "a2", "a1"])["events_processed"] == 3
        second = send("inst-b", ["a0", "b0", "b1", "b2"])
        assert second["events_processed"] == 3  # a0 is no new name; b0, b1 fill the total
        assert second["rejected"] == [{"index": 3, "reason": "too_many_event_names"}]


class DelayingProxy:
    """A TCP proxy in front of Redis that holds each of Redis's answers ``delay`` seconds."""

    def __init__(self, target: tuple[str, int], delay: float) -> None:
        self.target, self.delay = target, delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.answers = 0
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True, name="delaying-proxy").start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, self.delay), daemon=True
            ).start()

    def _pump(self, src: socket.socket, dst: socket.socket, delay: float) -> None:
        try:
            while chunk := src.recv(65536):
                if delay:
                    time.sleep(delay)
                    self.answers += 1
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        self.listener.close()


def test_a_slow_redis_does_not_slow_healthz(tmp_path, redis_url):
    """While four clients keep the relay busy and every Redis answer takes 200 ms, ``/healthz``
    still answers at once (median under 100 ms; on the event loop a single relay request held
    it for 4 x 200 ms), and the relay's requests are still served through Redis."""
    base, _, query = redis_url.partition("?")
    host, port = base.split("//", 1)[1].split("/", 1)[0].split(":")
    proxy = DelayingProxy((host, int(port)), 0.2)
    slow_url = f"redis://127.0.0.1:{proxy.port}/0?{query}"
    app = _app(tmp_path, {"TENANTRY_REDIS_URL": slow_url})
    stop = threading.Event()
    relayed = []

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while not stop.is_set():
                events = [{"event_name": "ok", "uuid": str(uuid.uuid4())} for _ in range(10)]
                r = http.post(PATH, json={"events": events, "anonymous_id": "inst"})
                relayed.append(r.status_code)

    server = ServerThread(app).start()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        time.sleep(0.5)  # relay requests are waiting on Redis now
        latencies = []
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for _ in range(10):
                start = time.monotonic()
                assert http.get("/healthz").status_code == 200
                latencies.append(time.monotonic() - start)
                time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        server.stop()
        proxy.close()
    print(
        f"\n/healthz under a 200 ms Redis: median {statistics.median(latencies) * 1000:.1f} ms,"
        f" max {max(latencies) * 1000:.1f} ms; {len(relayed)} relay requests"
    )
    assert statistics.median(latencies) < 0.1, latencies
    assert relayed and set(relayed) == {200} and proxy.answers >= 4
