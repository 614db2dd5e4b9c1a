"""Abuse limits for the unauthenticated relay: token buckets and a request-body cap.

``TokenBucket`` is the textbook bucket (``rate`` tokens per second, up to ``burst``); ``Limiter``
keeps one per key (anonymous ID, client IP) in a bounded LRU. ``BodyLimit`` is an ASGI middleware
that answers 413 before the app sees a body over ``max_bytes`` (by Content-Length, or by counting
a chunked body). [Envoy local rate limit; Starlette middleware]
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import orjson


@dataclass(frozen=True, slots=True)
class Rate:
    """``per_second`` requests a second, bursts of up to ``burst``."""

    per_second: float
    burst: float


class Limiter:
    """Token buckets by key. Not thread-safe: call it from the event loop only."""

    def __init__(self, rate: Rate, *, max_keys: int = 100_000) -> None:
        if rate.per_second <= 0 or rate.burst < 1:
            raise ValueError("a rate needs per_second > 0 and burst >= 1")
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens from ``key``'s bucket: 0.0 when allowed, else seconds to wait."""
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


class BodyLimit:
    """ASGI middleware: bodies over ``max_bytes`` on ``paths`` get 413 with a JSON error."""

    def __init__(self, app, *, max_bytes: int, paths: tuple[str, ...]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(send)
                    return
        # Count the body ourselves (chunked uploads have no Content-Length), then replay it.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._reject(send)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        message = {"type": "http.request", "body": b"".join(chunks)}
        await self.app(scope, _replay([message], receive), send)

    async def _reject(self, send) -> None:
        body = orjson.dumps(
            {"error": f"request body is over {self.max_bytes} bytes", "code": "payload_too_large"}
        )
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[dict], receive):
    """A ``receive`` that hands out ``messages`` first, then defers to the real one."""
    pending = list(messages)

    async def replayed() -> dict:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
