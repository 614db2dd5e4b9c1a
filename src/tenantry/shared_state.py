"""State that replicas share, in Redis (``TENANTRY_REDIS_URL``; ``pip install 'tenantry[redis]'``).

    shared = SharedState.from_settings(settings)     # None when TENANTRY_REDIS_URL is unset
    limiter = shared.limiter(Rate(100, 200), "relay-anon", fail_open=True)  # server.limits.make_limiter
    limiter.take(key)          # 0.0 allowed, else seconds to wait (same seam as limits.Limiter)
    shared.dedup().first_seen(["uuid-1", "uuid-2"])   # [True, False] when uuid-2 was seen
    shared.revocations().publish("key", key_hash)     # every replica drops it from its cache

What lives here, and why it is enough:
- Rate limits: one token bucket per key, read and updated by one Lua script (atomic, one round
  trip, the server's clock), so N replicas spend one allowance. [Redis "rate limiter" pattern;
  Envoy's global rate limit service]
- Relay dedup: one Redis set of uuids per ``window`` (default 15 minutes), each kept for two
  windows, so a uuid is remembered for one to two windows; a batch is checked (or added) by one
  script call (``SMISMEMBER``/``SADD``). Memory is bounded by the window (~100 bytes a uuid). [PostHog's capture dedup; Segment's message-id dedup]
- Revocation: a pub/sub channel. Each identity store subscribes; its credential caches are
  trusted only while the subscription is known to be alive (a PING answered within
  ``PONG_DEADLINE``), and are emptied on every (re)subscription, so a revocation reaches every
  replica within about a second whatever the cache TTL, and a replica that cannot hear Redis
  reads the database instead.

Needs Redis 6.2 or later (``SMISMEMBER``). The key prefix (default ``tenantry``) is the URL's ``prefix`` query parameter, e.g.
``redis://cache:6379/0?prefix=prod``: it names keys and the channel, so several deployments (or
test runs) can share one server.

Redis unreachable: every call is answered from a fallback (limits: allow for the relay, refuse
for logins; dedup: this process's own window), counted in ``status()["errors"]`` and logged once
until Redis answers again. After a failure Redis is left alone for ``RETRY_AFTER`` seconds, so a
dead server costs no time per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tenantry.config import env_name
from tenantry.store.dedup import DEDUP_WINDOW, LocalDedup

logger = logging.getLogger("tenantry.shared")

RETRY_AFTER = 1.0  # seconds Redis is left alone after a failure
SOCKET_TIMEOUT = 0.25  # seconds; a request waits at most this long for Redis
RELAY_MAX_UUIDS = 1_000_000  # uuids a replica without Redis remembers for its relay, at most
PING_EVERY = 0.25  # seconds between the revocation listener's PINGs
PONG_DEADLINE = 0.75  # no PONG for this long: caches are distrusted until resubscribed
INSTALL_HINT = f"{env_name('redis_url')} needs redis-py: pip install 'tenantry[redis]'"

# KEYS[1] bucket; ARGV rate/s, burst, cost, ttl ms. Returns the wait in seconds, as a string
# (Lua numbers returned to Redis are truncated to integers).
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens, ts = tonumber(b[1]), tonumber(b[2])
if tokens == nil or ts == nil then tokens, ts = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens), 'ts', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return string.format('%.6f', wait)
"""


# KEYS: the sets of uuids of the time buckets before, at and after now (the callers' clocks may
# differ a little); ARGV[1] mode (seen, mark, first), ARGV[2] ttl (s), ARGV[3] the uuids joined by
# ','. One command and one argument for a whole batch: redis-py packs each argument in Python
# (~3 us), the server checks a set member in well under a microsecond.
_DEDUP = """
local ids = {}
for id in string.gmatch(ARGV[3], '[^,]+') do ids[#ids + 1] = id end
if #ids == 0 then return '' end
local mode = ARGV[1]
if mode == 'mark' then
  for i = 1, #ids, 1000 do
    redis.call('SADD', KEYS[2], unpack(ids, i, math.min(i + 999, #ids)))
  end
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  return ''
end
local seen = {}
for k = 1, 3 do
  for i = 1, #ids, 1000 do
    local last = math.min(i + 999, #ids)
    local found = redis.call('SMISMEMBER', KEYS[k], unpack(ids, i, last))
    for j = 1, #found do
      if found[j] == 1 then seen[i + j - 1] = true end
    end
  end
end
local out, fresh, batch = {}, {}, {}
for i = 1, #ids do
  if seen[i] or batch[ids[i]] then
    out[i] = '0'
  else
    out[i] = '1'
    batch[ids[i]] = true
    fresh[#fresh + 1] = ids[i]
  end
end
if mode == 'first' and #fresh > 0 then
  for i = 1, #fresh, 1000 do
    redis.call('SADD', KEYS[2], unpack(fresh, i, math.min(i + 999, #fresh)))
  end
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
return table.concat(out)
"""


def _redis() -> Any:
    try:
        import redis
    except ImportError:
        from tenantry.errors import ConfigError

        raise ConfigError(INSTALL_HINT) from None
    return redis


def split_url(url: str) -> tuple[str, str]:
    """``redis://h:6379/0?prefix=p`` -> (``redis://h:6379/0``, ``p:``)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((v for k, v in query if k == "prefix"), "") or "tenantry"
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix + ":"


class Health:
    """Counts Redis failures, logs the first of each outage once, and keeps requests away from
    Redis for ``RETRY_AFTER`` seconds after a failure."""

    def __init__(self) -> None:
        self.errors = 0
        self.down_until = 0.0
        self._logged = False
        self._lock = threading.Lock()

    def call(self, fn: Callable[[], Any], fallback: Callable[[], Any], what: str) -> Any:
        if self.down_until and time.monotonic() < self.down_until:
            with self._lock:
                self.errors += 1
            return fallback()
        try:
            value = fn()
        except Exception as exc:  # ConnectionError, TimeoutError, ResponseError, OSError
            self.failed(exc, what)
            return fallback()
        if self._logged:
            self.recovered()
        return value

    def failed(self, exc: BaseException, what: str) -> None:
        with self._lock:
            self.errors += 1
            self.down_until = time.monotonic() + RETRY_AFTER
            first, self._logged = not self._logged, True
        if first:
            logger.warning(
                "tenantry: Redis unreachable (%s: %s); %s", type(exc).__name__, exc, what
            )

    def recovered(self) -> None:
        with self._lock:
            self.down_until = 0.0
            was, self._logged = self._logged, False
        if was:
            logger.warning("tenantry: Redis reachable again")


class SharedState:
    """One Redis connection pool, its key prefix and its health; hands out the shared parts."""

    def __init__(self, url: str) -> None:
        redis = _redis()
        self.url, self.prefix = split_url(url)
        self.client = redis.Redis.from_url(
            self.url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT
        )
        self.health = Health()
        self._bucket = self.client.register_script(_BUCKET)
        self._dedup = self.client.register_script(_DEDUP)
        self._parts: list[Any] = []

    @classmethod
    def from_settings(cls, settings: Any) -> SharedState | None:
        url = getattr(settings, "redis_url", None)
        return cls(url) if url else None

    def limiter(self, rate: Any, name: str, *, fail_open: bool) -> RedisLimiter:
        return RedisLimiter(self, rate, name, fail_open=fail_open)

    def dedup(self, window: float = DEDUP_WINDOW, *, name: str = "relay") -> RedisDedup:
        """A shared dedup window; ``name`` keeps separate users apart (the relay marks a uuid
        before the store sees it: one window for both would drop every relayed event)."""
        return RedisDedup(self, window, name=name)

    def revocations(self) -> Revocations:
        bus = Revocations(self)
        self._parts.append(bus)
        return bus

    def status(self) -> dict[str, Any]:
        return {"backend": "redis", "errors": self.health.errors}

    def close(self) -> None:
        for part in self._parts:
            part.close()
        self.client.close()


class RedisLimiter:
    """Token buckets in Redis, shared by every replica: ``take(key, cost) -> float`` like
    ``server.limits.Limiter``. Redis down: 0.0 (``fail_open``) or ``RETRY_AFTER`` seconds."""

    def __init__(self, shared: SharedState, rate: Any, name: str, *, fail_open: bool) -> None:
        if rate.per_second <= 0 or rate.burst < 1:
            raise ValueError("a rate needs per_second > 0 and burst >= 1")
        self.rate = rate
        self.fail_open = fail_open
        self._shared = shared
        self._prefix = f"{shared.prefix}rl:{name}:"
        self._ttl_ms = int(rate.burst / rate.per_second * 1000) + 1000
        self._what = "rate limits " + ("allow" if fail_open else "refuse") + f" ({name})"

    remote = True  # a round trip to Redis: callers on an event loop use a worker thread

    def take(self, key: str, cost: float = 1.0) -> float:
        args = (self.rate.per_second, self.rate.burst, cost, self._ttl_ms)

        def run() -> float:
            return float(self._shared._bucket(keys=[self._prefix + key], args=args))

        fallback = (lambda: 0.0) if self.fail_open else (lambda: RETRY_AFTER)
        return self._shared.health.call(run, fallback, self._what)

    def refund(self, key: str, cost: float = 1.0) -> None:
        """Give back ``cost`` tokens that ``take`` charged (a negative charge: the script caps
        the bucket at its burst on the next call)."""
        self.take(key, -float(cost))


class RedisDedup:
    """``first_seen(uuids) -> list[bool]`` across replicas: True the first time a uuid is seen
    within ``window`` seconds (by any replica), False after. One pipeline per call. While Redis
    is unreachable, this process's own window (the same seconds) answers."""

    def __init__(
        self, shared: SharedState, window: float = DEDUP_WINDOW, *, name: str = "relay"
    ) -> None:
        self.window = int(window)
        self._shared = shared
        self._prefix = f"{shared.prefix}seen:{name}:"
        self._local = LocalDedup(window=self.window)

    def first_seen(self, uuids: Sequence[str]) -> list[bool]:
        if not uuids:
            return []

        return self._shared.health.call(
            lambda: self._run("first", uuids),
            lambda: self._local.first_seen(uuids),
            "relay dedup is per replica",
        )

    def _run(self, mode: str, uuids: Sequence[str]) -> list[bool]:
        """True for a uuid new to every replica (and to this call). The script over the uuids that can be joined (a ',' in one is never deduplicated:
        the relay replaces such a uuid with a new one anyway)."""
        usable = [u for u in uuids if u and "," not in u]
        bucket = int(time.time() // self.window)
        keys = [f"{self._prefix}{b}" for b in (bucket - 1, bucket, bucket + 1)]
        reply = self._shared._dedup(keys=keys, args=[mode, self.window * 2, ",".join(usable)])
        out = [c == 49 for c in reply] if isinstance(reply, bytes) else [c == "1" for c in reply]
        if mode == "mark" or len(usable) == len(uuids):
            return out
        found = iter(out)
        return [next(found) if u and "," not in u else True for u in uuids]

    def seen(self, uuids: Sequence[str]) -> list[bool]:
        """Which ``uuids`` any replica marked within the window (nothing is marked)."""
        if not uuids:
            return []

        return self._shared.health.call(
            lambda: [not new for new in self._run("seen", uuids)],
            lambda: self._local.seen(uuids),
            "relay dedup is per replica",
        )

    def forget(self, uuids: Sequence[str]) -> None:
        """Unmark ``uuids`` (their write failed: a retry must get through)."""
        uuids = [u for u in uuids if u]
        if not uuids:
            return
        self._local.forget(uuids)
        bucket = int(time.time() // self.window)

        def run() -> None:
            pipe = self._shared.client.pipeline(transaction=False)
            for b in (bucket - 1, bucket, bucket + 1):
                pipe.srem(f"{self._prefix}{b}", *uuids)
            pipe.execute()

        self._shared.health.call(run, lambda: None, "relay dedup is per replica")

    def mark(self, uuids: Sequence[str]) -> None:
        """Remember ``uuids`` for ``window`` seconds, for every replica."""
        if not uuids:
            return

        self._local.mark(uuids)
        self._shared.health.call(
            lambda: self._run("mark", uuids), lambda: None, "relay dedup is per replica"
        )


class Revocations:
    """Revoked credentials, broadcast on one channel. ``publish`` from the revoking process;
    ``listen`` in every process that caches credentials (one daemon thread)."""

    def __init__(self, shared: SharedState) -> None:
        self._shared = shared
        self.channel = f"{shared.prefix}revoked"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish(self, kind: str, hashed: str) -> bool:
        """Tell every replica that ``kind`` (``key``/``session``) ``hashed`` is revoked."""
        message = f"{kind}:{hashed}"
        return self._shared.health.call(
            lambda: self._shared.client.publish(self.channel, message) is not None,
            lambda: False,
            "a revocation reaches other replicas within their cache TTL",
        )

    def listen(
        self, on_revoked: Callable[[str, str], None], on_trusted: Callable[[bool], None]
    ) -> None:
        """Call ``on_revoked(kind, hashed)`` per message, ``on_trusted(True)`` once subscribed
        (caches may be used, after being emptied), ``on_trusted(False)`` when the subscription
        is lost or silent for ``PONG_DEADLINE`` (caches must not be used)."""
        self._thread = threading.Thread(
            target=self._run,
            args=(on_revoked, on_trusted),
            name="tenantry-revocations",
            daemon=True,
        )
        self._thread.start()

    def _run(self, on_revoked: Callable, on_trusted: Callable) -> None:
        health = self._shared.health
        while not self._stop.is_set():
            pubsub = self._shared.client.pubsub()
            try:
                pubsub.subscribe(self.channel)
                self._listen(pubsub, on_revoked, on_trusted)
            except Exception as exc:
                on_trusted(False)
                health.failed(exc, "credential caches are off until it answers")
                self._stop.wait(PING_EVERY)
            finally:
                try:
                    pubsub.close()
                except Exception:
                    logger.debug("tenantry: closing the revocation subscription failed")

    def _listen(self, pubsub: Any, on_revoked: Callable, on_trusted: Callable) -> None:
        trusted = False
        last_pong = time.monotonic()
        next_ping = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_ping:
                pubsub.ping()
                next_ping = now + PING_EVERY
            if trusted and now - last_pong > PONG_DEADLINE:
                raise TimeoutError(f"no PONG for {PONG_DEADLINE:g} s")
            message = pubsub.get_message(timeout=PING_EVERY / 2)
            if message is None:
                continue
            kind = message.get("type")
            if kind == "subscribe":
                last_pong = time.monotonic()
                trusted = True
                on_trusted(True)
                self._shared.health.recovered()
            elif kind == "pong":
                last_pong = time.monotonic()
            elif kind == "message":
                data = message["data"]
                text = data.decode() if isinstance(data, bytes) else str(data)
                what, _, hashed = text.partition(":")
                on_revoked(what, hashed)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)


def make_dedup(
    shared: SharedState | None, *, window: float = DEDUP_WINDOW, name: str = "relay"
) -> Any:
    """Dedup by uuid for ``window`` seconds: shared in Redis when ``shared`` is set, else this
    process's own window (at most ``RELAY_MAX_UUIDS`` uuids)."""
    if shared is not None:
        return shared.dedup(window, name=name)
    return LocalDedup(RELAY_MAX_UUIDS, window=window)
