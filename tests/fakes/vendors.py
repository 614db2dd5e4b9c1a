"""Fake Amplitude, PostHog and relay servers: real HTTP servers on 127.0.0.1 that answer as the
vendors document (bodies included), with knobs for fault injection.

    with FakeAmplitude() as amp:
        amp.url            # http://127.0.0.1:PORT/2/httpapi
        amp.events         # every event accepted, in arrival order
        amp.refuse_for(2)  # the port refuses connections for 2 s
        amp.script(lambda req: (503, {}, b"..."))  # answer instead of the normal handler

Each request is recorded with the client's address and whether it came through a forward proxy
(absolute-form request target). ``stored`` shows events as the vendor would keep them, IP
included, following the vendor's documented rule (PostHog: ``$ip`` falls back to the socket's
address when missing or falsy; Amplitude: the socket's address only for ``"ip": "$remote"``).

Knobs (all thread-safe, all off by default): ``refuse_for(s)``, ``fail_next(n, status, ...)``,
``throttle(user_ids, for_s)`` (Amplitude 429 with ``throttled_users``/``throttled_events``),
``quota(user_ids)`` (``exceeded_daily_quota_users``), ``max_body`` (413 above it),
``invalid_event_type`` (Amplitude 400 naming those events), ``hang`` (never answer),
``script`` (a callable deciding the answer), ``light`` (for soaks of millions of events: keep
no requests and no events, only ``received`` and the set of ``unique`` uuids).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Answer = tuple[int, dict[str, str], Any]  # status, headers, body (dict -> JSON)


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    raw: bytes  # as received (maybe gzipped)
    body: Any  # parsed JSON, or None when it did not parse
    size: int = 0
    client: str = ""  # the peer's IP address as the server saw it
    proxied_to: str | None = None  # the absolute URL, when the request came through a proxy


@dataclass
class _Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class FakeVendor:
    """The common machinery; subclasses implement ``answer(request)`` and ``path``."""

    path = "/"

    def __init__(self, port: int = 0) -> None:
        self.lock = threading.Lock()
        self.requests: list[Request] = []
        self.events: list[dict] = []
        self.statuses: Counter[int] = Counter()
        self.connections = 0  # TCP connections accepted (keep-alive reuse keeps this low)
        self.stored: list[dict] = []  # accepted events as the vendor keeps them (see ``store``)
        self.max_body: int | None = None
        self.light = False
        self.received = 0  # events accepted, duplicates included (kept in light mode too)
        self.unique: set[str] = set()  # light mode: the uuids accepted
        self.hang = False
        self.invalid_event_type: str | None = None
        self._throttled: dict[str, float] = {}
        self._quota: set[str] = set()
        self._faults: list[_Fault] = []
        self._script: Callable[[Request], Answer | None] | None = None
        self._released = threading.Event()
        self._server: _Server | None = None
        self._conns: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._listen(port)
        self.port = self._server.server_address[1]

    # -- lifecycle -------------------------------------------------------------------------
    def _listen(self, port: int) -> None:
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with vendor.lock:
                    vendor._conns.add(self.connection)
                    vendor.connections += 1

            def finish(self) -> None:
                with vendor.lock:
                    vendor._conns.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                vendor._handle(self)

        self._server = _Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._drop_connections()

    def _drop_connections(self) -> None:
        """Cut the open (keep-alive) connections, as a dying server would."""
        with self.lock:
            conns = list(self._conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FakeVendor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base_url + self.path

    # -- knobs -------------------------------------------------------------------------------
    def refuse_for(self, seconds: float) -> None:
        """Close the listening socket now; listen again on the same port after ``seconds``."""
        server = self._server
        self._server = None
        server.shutdown()
        server.server_close()
        self._drop_connections()

        def reopen() -> None:
            time.sleep(seconds)
            for _ in range(100):
                try:
                    self._listen(self.port)
                    return
                except OSError:
                    time.sleep(0.05)

        threading.Thread(target=reopen, daemon=True).start()

    def fail_next(
        self, n: int, status: int, headers: dict[str, str] | None = None, body: Any = None
    ) -> None:
        with self.lock:
            self._faults.extend(_Fault(status, dict(headers or {}), body) for _ in range(n))

    def script(self, fn: Callable[[Request], Answer | None] | None) -> None:
        self._script = fn

    def throttle(self, user_ids: set[str] | list[str], seconds: float) -> None:
        until = time.monotonic() + seconds
        with self.lock:
            for u in user_ids:
                self._throttled[u] = until

    def quota(self, user_ids: set[str] | list[str]) -> None:
        with self.lock:
            self._quota |= set(user_ids)

    def release(self) -> None:
        """Let hanging requests go (they then get no answer: the connection closes)."""
        self.hang = False
        self._released.set()

    # -- reading -------------------------------------------------------------------------------
    def uuids(self) -> list[str]:
        with self.lock:
            return [self.uuid_of(e) for e in self.events]

    @staticmethod
    def uuid_of(event: dict) -> str:
        return event.get("uuid") or event.get("insert_id")

    def wait_for(self, n: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.events) >= n:
                    return True
            time.sleep(0.01)
        return False

    # -- serving -------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        data = raw
        if headers.get("content-encoding") == "gzip":
            try:
                data = gzip.decompress(raw)
            except OSError:
                data = b""
        try:
            body = json.loads(data) if data else None
        except ValueError:
            body = None
        path, proxied_to = h.path, None
        if not path.startswith("/"):  # absolute-form: a forward proxy's request
            parts = urlsplit(path)
            path, proxied_to = parts.path + (f"?{parts.query}" if parts.query else ""), h.path
        req = Request(path, headers, raw, body, len(raw), h.client_address[0], proxied_to)
        if not self.light:
            with self.lock:
                self.requests.append(req)
        if self.hang:
            self._released.wait()
            h.close_connection = True
            return
        answer = self._decide(req)
        status, extra, payload = answer
        out = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        with self.lock:
            self.statuses[status] += 1
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(out)))
            for k, v in extra.items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(out)
        except OSError:
            pass

    def store(self, req: Request, events: list[dict]) -> None:
        """Record accepted events, as received and as the vendor would keep them."""
        with self.lock:
            self.received += len(events)
            if self.light:
                self.unique.update(self.uuid_of(e) for e in events)
                return
            self.events.extend(events)
            self.stored.extend(self.as_stored(req, e) for e in events)

    def as_stored(self, req: Request, event: dict) -> dict:
        return event

    def _decide(self, req: Request) -> Answer:
        if self._script is not None:
            answer = self._script(req)
            if answer is not None:
                return answer
        with self.lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            return fault.status, fault.headers, self.error_body(fault.status, fault.body)
        if req.path.split("?")[0] != self.path:
            return 404, {}, self.error_body(404, None)
        if self.max_body is not None and req.size > self.max_body:
            return 413, {}, self.error_body(413, None)
        if req.body is None:
            return 400, {}, self.error_body(400, None)
        return self.answer(req)

    def error_body(self, status: int, body: Any) -> Any:
        return body if body is not None else {"error": f"status {status}"}

    def answer(self, req: Request) -> Answer:
        raise NotImplementedError


class FakeAmplitude(FakeVendor):
    """HTTP V2 (``/2/httpapi``) and Batch (``/batch``) APIs, answered as Amplitude documents."""

    path = "/2/httpapi"

    def settings(self) -> dict:
        """The tenantry settings that send to this server."""
        return {"amplitude_api_key": "amp-key", "amplitude_server_url": self.url}

    @property
    def batch_url(self) -> str:
        return self.base_url + "/batch"

    def _decide(self, req: Request) -> Answer:
        if req.path.split("?")[0] == "/batch":
            req = Request(
                self.path, req.headers, req.raw, req.body, req.size, req.client, req.proxied_to
            )
        return super()._decide(req)

    def error_body(self, status: int, body: Any) -> Any:
        if body is not None:
            return body
        texts = {
            400: "Invalid request body",
            413: "Payload too large",
            429: "Too many requests for some devices and users",
            503: "Service Unavailable",
        }
        return {"code": status, "error": texts.get(status, "Server error")}

    def as_stored(self, req: Request, event: dict) -> dict:
        """Amplitude's HTTP V2/Batch ingestion: ``ip`` is the request's address only when the
        event says ``"$remote"``; location ([Amplitude] Country ...) is looked up from ``ip``."""
        ip = req.client if event.get("ip") == "$remote" else event.get("ip")
        out = {**event, "ip": ip}
        if ip:
            out["country"] = "geolocated:" + ip
        return out

    def answer(self, req: Request) -> Answer:
        body = req.body
        if not isinstance(body, dict) or not body.get("api_key"):
            return 400, {}, {"code": 400, "error": "Invalid API key", "missing_field": "api_key"}
        events = body.get("events")
        if not isinstance(events, list) or not events:
            return 400, {}, {"code": 400, "error": "Missing events", "missing_field": "events"}
        min_len = int((body.get("options") or {}).get("min_id_length") or 5)
        invalid: dict[str, list[int]] = {}
        missing: dict[str, list[int]] = {}
        bad_len: dict[str, list[int]] = {}
        for i, e in enumerate(events):
            if not e.get("event_type"):
                missing.setdefault("event_type", []).append(i)
            elif e.get("event_type") == self.invalid_event_type:
                invalid.setdefault("event_type", []).append(i)
            if not isinstance(e.get("time"), int):
                invalid.setdefault("time", []).append(i)
            uid = e.get("user_id")
            if not uid:
                missing.setdefault("user_id", []).append(i)
            elif len(uid) < min_len:
                bad_len.setdefault("user_id", []).append(i)
        if invalid or missing or bad_len:
            return (
                400,
                {},
                {
                    "code": 400,
                    "error": "Request missing required field",
                    "missing_field": next(iter(missing), None),
                    "events_with_invalid_fields": invalid,
                    "events_with_missing_fields": missing,
                    "events_with_invalid_id_lengths": bad_len,
                    "silenced_events": [],
                },
            )
        now = time.monotonic()
        with self.lock:
            throttled = {u for u, t in self._throttled.items() if t > now}
            quota = set(self._quota)
        # As Amplitude documents it: ``throttled_events`` lists every refused event, those of
        # throttled users and those of users over their daily quota alike.
        hit_t = [i for i, e in enumerate(events) if e.get("user_id") in throttled]
        hit_q = [e.get("user_id") for e in events if e.get("user_id") in quota]
        if hit_t or hit_q:
            users = Counter(events[i]["user_id"] for i in hit_t)
            refused = sorted(
                {*hit_t, *(i for i, e in enumerate(events) if e.get("user_id") in quota)}
            )
            return (
                429,
                {},
                {
                    "code": 429,
                    "error": "Too many requests for some devices and users",
                    "eps_threshold": 30,
                    "throttled_devices": {},
                    "throttled_users": {u: 30 + n for u, n in users.items()},
                    "throttled_events": refused,
                    "exceeded_daily_quota_users": {u: 500_001 for u in hit_q},
                    "exceeded_daily_quota_devices": {},
                },
            )
        self.store(req, events)
        return (
            200,
            {},
            {
                "code": 200,
                "events_ingested": len(events),
                "payload_size_bytes": req.size,
                "server_upload_time": int(time.time() * 1000),
            },
        )


class FakePostHog(FakeVendor):
    """PostHog's ``/batch/`` capture endpoint (gzip accepted), answered as PostHog documents."""

    path = "/batch/"

    def settings(self) -> dict:
        """The tenantry settings that send to this server."""
        return {"posthog_api_key": "phc_key", "posthog_host": self.base_url}

    def error_body(self, status: int, body: Any) -> Any:
        if body is not None:
            return body
        if status == 401:
            return {
                "type": "authentication_error",
                "code": "invalid_api_key",
                "detail": "Project API key invalid. You can find your project API key in PostHog project settings.",
                "attr": None,
            }
        if status == 413:
            return {
                "type": "invalid_request",
                "code": "payload_too_large",
                "detail": "Payload too large",
            }
        if 400 <= status < 500:
            return {
                "type": "validation_error",
                "code": "invalid_payload",
                "detail": "Malformed request data",
                "attr": None,
            }
        return {"type": "server_error", "code": "server_error", "detail": "Server error"}

    def answer(self, req: Request) -> Answer:
        body = req.body
        if not isinstance(body, dict) or not body.get("api_key"):
            return 401, {}, self.error_body(401, None)
        batch = body.get("batch")
        if not isinstance(batch, list):
            return 400, {}, self.error_body(400, None)
        for e in batch:
            if not e.get("event") or not e.get("distinct_id"):
                return 400, {}, self.error_body(400, None)
        self.store(req, batch)
        return 200, {}, {"status": 1}

    def as_stored(self, req: Request, event: dict) -> dict:
        """PostHog's ingestion (plugin-server ``normalizeEvent``): when the event's ``$ip`` is
        missing or falsy, the capture request's address is stored in it; GeoIP enrichment then
        runs on ``$ip`` unless ``$geoip_disable`` is true."""
        props = dict(event.get("properties") or {})
        if not props.get("$ip"):
            props["$ip"] = req.client
        if not props.get("$geoip_disable"):
            props["$geoip_country_code"] = "geolocated:" + props["$ip"]
        return {**event, "properties": props}


class FakeRelay(FakeVendor):
    """A tenantry relay's ``/v1/telemetry/events`` (CONTRACT.md)."""

    path = "/v1/telemetry/events"

    def settings(self) -> dict:
        """The tenantry settings that send to this server."""
        return {"relay_url": self.base_url}

    def error_body(self, status: int, body: Any) -> Any:
        return body if body is not None else {"detail": f"status {status}"}

    def answer(self, req: Request) -> Answer:
        body = req.body
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            return 422, {}, {"detail": "events must be a list"}
        self.store(req, events)
        n = len(events)
        return 200, {}, {"success": True, "events_received": n, "events_processed": n}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeSegment(FakeVendor):
    """Segment's ``/v1/batch`` (for the delivery benchmark's segment-analytics-python run)."""

    path = "/v1/batch"

    def answer(self, req: Request) -> Answer:
        batch = req.body.get("batch") if isinstance(req.body, dict) else None
        if not isinstance(batch, list):
            return 400, {}, {"success": False}
        self.store(req, batch)
        return 200, {}, {"success": True}
