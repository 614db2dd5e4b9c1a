"""Abuse limits: token buckets and request-body caps.

``Limiter.take(key, cost)`` is the seam every rate limit goes through (relay events per address
and per installation, login attempts per account and per address): 0.0 when allowed, else the
seconds to wait. ``make_limiter`` gives this in-process one, or the shared (Redis) one of
``tenantry.shared_state``; ``app._limits`` builds every limiter, and the relay's dedup
(``tenantry.store.dedup``, ``shared_state.make_dedup``), in one place.

``BodyLimit`` is an ASGI middleware that gives every route a body cap (``413`` before the app
reads on, by Content-Length or by counting a chunked body) and that drains what a client is still
sending before any early answer, up to ``DRAIN_BYTES``, so a plain client that writes its whole
body reads the answer instead of a broken pipe. [Envoy local rate limit; Starlette middleware]
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.exceptions import HTTPException

DRAIN_BYTES = 8 * 1024 * 1024  # read and discard at most this much of a refused body
DRAIN_SECONDS = 10.0  # ... and for at most this long


@dataclass(frozen=True, slots=True)
class Rate:
    """``per_second`` tokens a second, bursts of up to ``burst``."""

    per_second: float
    burst: float


class Limiter:
    """Token buckets by key, in this process. Not thread-safe: call each one from one thread
    (the event loop, or the relay's thread)."""

    remote = False  # answers at once: fine on the event loop (a RedisLimiter is not)

    def __init__(self, rate: Rate, *, max_keys: int = 100_000) -> None:
        if rate.per_second <= 0 or rate.burst < 1:
            raise ValueError("a rate needs per_second > 0 and burst >= 1")
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens from ``key``'s bucket: 0.0 when allowed, else seconds to wait.
        A cost above the burst is charged as the burst (it waits for a full bucket)."""
        cost = min(float(cost), self.rate.burst)
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = [self.rate.burst, now]
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            tokens = bucket[0] + (now - bucket[1]) * self.rate.per_second
            bucket[0] = min(self.rate.burst, tokens)
            bucket[1] = now
        if bucket[0] >= cost:
            bucket[0] -= cost
            return 0.0
        return (cost - bucket[0]) / self.rate.per_second

    def refund(self, key: str, cost: float = 1.0) -> None:
        """Give back ``cost`` tokens that ``take`` charged (up to a full bucket)."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket[0] = min(self.rate.burst, bucket[0] + float(cost))


class BodyLimit:
    """ASGI middleware: a body over its route's cap (``limits[path]``, else ``default``) is
    answered 413 with a JSON error, before the app reads on; any early answer first drains what
    the client still sends (bounded)."""

    def __init__(self, app, *, limits: Mapping[str, int], default: int) -> None:
        self.app = app
        self.limits = dict(limits)
        self.default = default

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.limits.get(scope["path"], self.default)
        length = _content_length(scope)
        if length is not None and length > cap:
            await _reject(send, cap, receive if length <= DRAIN_BYTES else None)
            return
        state = _BodyState(receive, cap)
        try:
            await self.app(scope, state.receive, state.guard(send))
        except _TooLarge:
            await _reject(send, cap, state.receive_raw)


class _TooLarge(HTTPException):
    """Raised inside the app (FastAPI re-raises ``HTTPException`` as it is) when a chunked body
    runs over the cap: the app's handler answers 413, the guarded ``send`` drains first."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, detail=_too_large(cap))


class _BodyState:
    """Counts the body as the app reads it, and drains the rest before the answer starts."""

    def __init__(self, receive, cap: int) -> None:
        self.receive_raw = receive
        self.cap = cap
        self.size = 0
        self.done = False

    async def receive(self) -> dict:
        message = await self.receive_raw()
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            self.done = not message.get("more_body", False)
            if self.size > self.cap:
                raise _TooLarge(self.cap)
        else:
            self.done = True
        return message

    def guard(self, send):
        async def guarded(message: dict) -> None:
            if message["type"] == "http.response.start" and not self.done:
                self.done = True
                message = dict(message)
                if not await _drain(self.receive_raw):
                    message["headers"] = [*message.get("headers", ()), (b"connection", b"close")]
            await send(message)

        return guarded


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _drain(receive) -> bool:
    """Read and discard the rest of a request body; False when it was over the bound."""
    size, deadline = 0, time.monotonic() + DRAIN_SECONDS
    while size <= DRAIN_BYTES and time.monotonic() < deadline:
        message = await receive()
        if message["type"] != "http.request":
            return True
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
    return False


def _too_large(cap: int) -> dict:
    return {"error": f"request body is over {cap} bytes", "code": "payload_too_large"}


async def _reject(send, cap: int, receive) -> None:
    """413 with a JSON error; first drain the body when ``receive`` is given, else (or when the
    drain ran over) close the connection after the answer."""
    drained = receive is not None and await _drain(receive)
    body = orjson.dumps(_too_large(cap))
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    if not drained:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def make_limiter(shared: Any, rate: Any, name: str, *, fail_open: bool) -> Any:
    """The limiter the app uses: shared in Redis when ``shared`` is set, else in-process."""
    if shared is not None:
        return shared.limiter(rate, name, fail_open=fail_open)
    return Limiter(rate)
