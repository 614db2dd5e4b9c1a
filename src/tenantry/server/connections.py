"""Slow clients and connection floods: read timeouts and caps on open connections.

Two parts, because a request has two halves that different layers see:

- ``guarded_protocol(settings, trusted)``: the HTTP protocol class uvicorn runs (``http=``),
  uvicorn's own (httptools or h11) with a guard around it. It caps open connections per client
  address (``TENANTRY_MAX_CONNECTIONS_PER_ADDRESS``: 429, IPv6 counted per network as every
  per-address limit is, a trusted proxy exempt) and overall (``TENANTRY_MAX_CONNECTIONS``:
  503), answering at once and closing; and it gives a client ``TENANTRY_HEADER_TIMEOUT``
  seconds to send a request's line and headers, counted from the connection or from the end of
  the previous answer, also when it sends nothing at all (uvicorn's keep-alive timeout starts
  only after a first answer and stops at the first byte), and at most ``MAX_HEADER_BYTES`` of
  them (431).
- ``ReadTimeouts``: ASGI middleware that times the body through ``receive``: a client silent
  for ``TENANTRY_BODY_IDLE_TIMEOUT`` seconds, or not done after ``TENANTRY_BODY_TIMEOUT``, gets
  408 with ``Connection: close``, and the app sees a disconnect. Once the body is complete,
  ``receive`` is left alone (it then waits for a disconnect, which is no read).

``server_config(app, host=..., port=...)`` is the uvicorn configuration ``tenantry serve`` and
``ServerThread`` share. [nginx ``client_header_timeout``/``client_body_timeout``,
``limit_conn``; Apache ``mod_reqtimeout``]
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from tenantry.config import Settings, env_name
from tenantry.server.common import Network, address_key, is_trusted

logger = logging.getLogger("tenantry.server")

FD_RESERVE = 128  # descriptors kept for files, the databases, Redis and the destinations
# A request line and headers beyond this are refused (431): httptools sets no bound of its own,
# so within the header timeout a client could otherwise pile up gigabytes of headers.
MAX_HEADER_BYTES = 64 * 1024


def _answer(status: int, reason: bytes, error: str, code: str) -> bytes:
    """A whole HTTP/1.1 answer with a JSON error body that closes the connection."""
    body = orjson.dumps({"error": error, "code": code})
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n" % (status, reason, len(body))
    )
    return head + body


TOO_MANY_FROM_ADDRESS = _answer(
    429, b"Too Many Requests", "too many open connections from this address", "too_many_connections"
)
TOO_MANY = _answer(503, b"Service Unavailable", "too many open connections", "busy")
HEADERS_TOO_LARGE = _answer(
    431,
    b"Request Header Fields Too Large",
    f"the request line and headers are over {MAX_HEADER_BYTES} bytes",
    "headers_too_large",
)
HEADER_TIMEOUT = _answer(
    408, b"Request Timeout", "the request headers were not received in time", "request_timeout"
)


def max_connections(settings: Settings) -> int:
    """``TENANTRY_MAX_CONNECTIONS``: the process's open-file limit is raised for it when the
    hard limit allows, else the cap is lowered to what the limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = settings.max_connections + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or soft - FD_RESERVE >= settings.max_connections:
        return settings.max_connections
    allowed = max(1, soft - FD_RESERVE)
    chosen = settings.source("max_connections") != "default"  # a warning only when asked for
    logger.log(
        logging.WARNING if chosen else logging.INFO,
        "tenantry: %s=%d is above the open-file limit (%d); using %d",
        env_name("max_connections"),
        settings.max_connections,
        soft,
        allowed,
    )
    return allowed


class Connections:
    """Open connections, overall and per client address (``address_key``); event loop only."""

    def __init__(
        self, *, total: int, per_address: int, ipv6_prefix: int, trusted: tuple[Network, ...]
    ) -> None:
        self.total = total
        self.per_address = per_address
        self.ipv6_prefix = ipv6_prefix
        self.trusted = trusted
        self.open = 0
        self.by_address: dict[str, int] = {}

    def admit(self, peer: str) -> tuple[str | None, bytes | None]:
        """Count a new connection from ``peer``: (its key, None), or (None, the answer that
        refuses it)."""
        if self.open >= self.total:
            return None, TOO_MANY
        key = address_key(peer, self.ipv6_prefix)
        limited = not is_trusted(peer, self.trusted)
        if limited and self.by_address.get(key, 0) >= self.per_address:
            return None, TOO_MANY_FROM_ADDRESS
        self.open += 1
        self.by_address[key] = self.by_address.get(key, 0) + 1
        return key, None

    def release(self, key: str) -> None:
        self.open -= 1
        left = self.by_address.get(key, 1) - 1
        if left > 0:
            self.by_address[key] = left
        else:
            self.by_address.pop(key, None)


def guarded_protocol(settings: Settings, trusted: tuple[Network, ...] = ()) -> type:
    """uvicorn's HTTP protocol class with the connection caps and the header timeout."""
    connections = Connections(
        total=max_connections(settings),
        per_address=settings.max_connections_per_address,
        ipv6_prefix=settings.ipv6_prefix,
        trusted=trusted,
    )
    return type(
        "TenantryHTTPProtocol",
        (_Guard, AutoHTTPProtocol),
        {"connections_guard": connections, "header_timeout": settings.header_timeout},
    )


class _Guard:
    """Mixed in before uvicorn's protocol class (``guarded_protocol``). Uses two attributes
    both of uvicorn's protocols have: ``transport``, and ``cycle`` (the request in progress,
    ``response_complete`` once answered)."""

    connections_guard: Connections
    header_timeout: float

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._key: str | None = None
        self._header_timer: asyncio.TimerHandle | None = None
        self._partial = False  # bytes of a request whose headers are not complete yet
        self._header_bytes = 0

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer else "unknown"
        self._key, refusal = self.connections_guard.admit(str(host))
        if refusal is not None:
            transport.write(refusal)
            transport.close()
            return
        self._start_header_timer()  # also for a client that never sends a byte

    def connection_lost(self, exc) -> None:
        self._stop_header_timer()
        if self._key is not None:
            self.connections_guard.release(self._key)
            self._key = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._key is None:  # refused: not a byte is parsed
            return
        waiting = not self._in_request()
        if waiting:
            self._partial = True
            if self._header_timer is None:
                self._start_header_timer()
        super().data_received(data)
        if waiting and not self._in_request():  # still no complete request line and headers
            self._header_bytes += len(data)
            transport = self.transport
            if self._header_bytes > MAX_HEADER_BYTES and not transport.is_closing():
                transport.write(HEADERS_TOO_LARGE)
                transport.close()

    def on_response_complete(self) -> None:
        self._stop_header_timer()  # the clock restarts at the next request's first byte
        self._partial = False
        self._header_bytes = 0
        super().on_response_complete()

    def _in_request(self) -> bool:
        cycle = self.cycle
        return cycle is not None and not cycle.response_complete

    def _start_header_timer(self) -> None:
        loop = asyncio.get_running_loop()
        self._header_timer = loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        transport = self.transport
        if self._in_request() or transport is None or transport.is_closing():
            return  # the headers came in time: the body has its own timeouts (ReadTimeouts)
        if self._partial:  # part of a request came: say why it ends; an idle one just closes
            transport.write(HEADER_TIMEOUT)
        transport.close()


class ReadTimeouts:
    """ASGI middleware: 408 and ``Connection: close`` when a request body stalls for ``idle``
    seconds or takes more than ``total`` (see the module docstring)."""

    def __init__(self, app, *, idle: float, total: float) -> None:
        self.app = app
        self.idle = float(idle)
        self.total = float(total)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        read = _TimedBody(receive, send, self.idle, time.monotonic() + self.total)
        await self.app(scope, read.receive, read.send)


class _TimedBody:
    def __init__(self, receive, send, idle: float, deadline: float) -> None:
        self._receive = receive
        self._send = send
        self.idle = idle
        self.deadline = deadline
        self.body_done = False
        self.started = False  # the answer has begun
        self.timed_out = False

    async def receive(self) -> dict:
        if self.timed_out:
            return {"type": "http.disconnect"}
        if self.body_done:
            return await self._receive()
        wait = min(self.idle, self.deadline - time.monotonic())
        try:
            if wait <= 0:
                raise TimeoutError
            async with asyncio.timeout(wait):  # no task per call, unlike asyncio.wait_for
                message = await self._receive()
        except TimeoutError:
            return await self._too_slow()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.body_done = True
        return message

    async def _too_slow(self) -> dict:
        self.timed_out = True
        if not self.started:
            self.started = True
            body = orjson.dumps(
                {"error": "the request body was not received in time", "code": "request_timeout"}
            )
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
                (b"connection", b"close"),
            ]
            await self._send({"type": "http.response.start", "status": 408, "headers": headers})
            await self._send({"type": "http.response.body", "body": body})
        return {"type": "http.disconnect"}

    async def send(self, message: dict) -> None:
        if self.timed_out:
            return  # answered 408 already: whatever the app says now goes nowhere
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def server_config(app, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration for tenantry's app (``create_app``): its guarded protocol,
    forwarded headers left to ``TENANTRY_TRUSTED_PROXIES``, no access log. Any other ASGI app
    gets uvicorn's own protocol."""
    state = getattr(getattr(app, "state", None), "server_state", None)
    if state is not None:
        options["http"] = guarded_protocol(state.settings, state.trusted)
    options.setdefault("log_level", "warning")
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=False,  # which forwarded headers to believe: TENANTRY_TRUSTED_PROXIES
        access_log=False,
        **options,
    )
