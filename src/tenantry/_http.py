"""The one small HTTP client of the core: ``HttpClient.post(url, body, headers, timeout)``.

Why urllib3 (>= 2) and not httpx, requests or ``urllib.request``: tenantry is embedded in other
people's applications, so every dependency of the core is paid for by the host app. urllib3 is
the choice sentry-python makes for the same reason: one well-kept distribution with no
dependencies of its own (httpx pulls in six more: anyio, certifi, httpcore, h11, idna and
typing_extensions; requests four, urllib3 among them), and it gives what the senders need and
``urllib.request`` does not: thread-safe pooled keep-alive connections, a timeout per call, and
TLS verified against the system's trust store (OpenSSL's default paths, honouring
``SSL_CERT_FILE``/``SSL_CERT_DIR``; no bundled certifi). Proxies are taken from the environment
(``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``) as httpx did.

Each destination owns one client, used by its own sender thread only, and replaces it after a
fork (``os.register_at_fork``) so parent and child never share a pooled socket. Failures are
raised as ``HttpTimeout`` or ``HttpError`` (both ``OSError``) so callers can turn them into
values; redirects are not followed and nothing is retried here: retrying is the sender's job.

An answer's body is read up to ``max_response_bytes`` (64 KiB: every vendor's answer fits many
times over); the rest is never read: the connection is closed instead, so a vendor (or anything
in between) that answers with a huge body cannot grow the host process.
"""

from __future__ import annotations

import base64
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import urllib3
from urllib3.exceptions import HTTPError as _Urllib3Error
from urllib3.exceptions import NewConnectionError as _NoConnection
from urllib3.exceptions import TimeoutError as _Urllib3Timeout

from tenantry import __version__

__all__ = ["HttpClient", "HttpError", "HttpTimeout", "Response", "basic_auth", "post_json"]

USER_AGENT = f"tenantry/{__version__}"
MAX_RESPONSE_BYTES = 64 * 1024  # of an answer's body; beyond it the body is cut (``truncated``)


class HttpError(OSError):
    """The request did not get an answer: refused, reset, DNS, TLS, proxy ..."""


class HttpTimeout(HttpError):
    """No answer within the timeout (connecting or reading)."""


@dataclass(frozen=True, slots=True)
class Response:
    status_code: int
    headers: Mapping[str, str]  # case-insensitive (urllib3's HTTPHeaderDict)
    content: bytes  # at most the client's ``max_response_bytes``
    truncated: bool = False  # the body was longer: the rest was never read

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; {} when it is not one (a truncated body never is)."""
        if self.truncated:
            return {}
        try:
            data = orjson.loads(self.content)
        except orjson.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}


class HttpClient:
    """Pooled keep-alive connections (at most ``maxsize`` per host) with default headers."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        maxsize: int = 2,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.timeout = float(timeout)
        self.max_response_bytes = max_response_bytes
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self._maxsize = maxsize
        self._pools: dict[str | None, urllib3.PoolManager] = {}

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        proxy = _proxy_for(url)
        pool = self._pools.get(proxy)
        if pool is None:
            kw: dict[str, Any] = {"maxsize": self._maxsize, "block": False, "retries": False}
            pool = urllib3.ProxyManager(proxy, **kw) if proxy else urllib3.PoolManager(**kw)
            self._pools[proxy] = pool
        return pool

    def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Response:
        """POST ``body``; return the answer whatever its status, its body read up to
        ``max_response_bytes``. Raises ``HttpError``."""
        seconds = self.timeout if timeout is None else max(0.001, timeout)
        limit = self.max_response_bytes
        try:
            r = self._pool_for(url).request(
                "POST",
                url,
                body=body,
                headers={**self.headers, **(headers or {})},
                timeout=urllib3.Timeout(total=seconds),
                redirect=False,
                retries=False,
                preload_content=False,
            )
            whole = False
            try:
                content = r.read(limit + 1)
                whole = len(content) <= limit
            finally:
                if not whole:  # the rest is never read (or reading failed): not reusable
                    r.close()
                r.release_conn()
        except _NoConnection as exc:  # a subclass of urllib3's TimeoutError, but not a timeout
            raise HttpError(_reason(exc)) from exc
        except _Urllib3Timeout as exc:
            raise HttpTimeout(f"no answer within {seconds:.3g} s") from exc
        except _Urllib3Error as exc:
            raise HttpError(_reason(exc)) from exc
        if len(content) > limit:
            return Response(r.status, r.headers, content[:limit], truncated=True)
        return Response(r.status, r.headers, content)

    def close(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.clear()


def _reason(exc: BaseException) -> str:
    """The class name of the OS-level cause (``ConnectionRefusedError``, ``gaierror`` ...),
    else of urllib3's own exception."""
    cause = exc.__cause__ or exc.__context__
    return type(cause if isinstance(cause, OSError) else exc).__name__


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``NO_PROXY`` honoured), or None."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass_environment(parts.hostname or "", proxies):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def basic_auth(user: str, password: str) -> str:
    """An ``Authorization`` header value for HTTP basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def post_json(
    url: str,
    data: Any,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """One JSON POST on a short-lived client (for rare calls, e.g. ``forget``'s deletions)."""
    client = HttpClient(timeout=timeout, headers={"Content-Type": "application/json"})
    try:
        return client.post(url, orjson.dumps(data), headers)
    finally:
        client.close()
