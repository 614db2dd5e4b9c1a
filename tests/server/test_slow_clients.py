"""Slow clients and connection floods (issue 20, items 5 and 6): header and body read timeouts,
caps on open connections per address and overall, and one allowance per IPv6 /64 and per
spelling of an address. Real sockets against a real server on 127.0.0.1."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tenantry.config import load_settings
from tenantry.server import ServerThread, create_app
from tenantry.server.limits import Rate

SLOW_BODY = (
    b"POST /v1/telemetry/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
    b"content-length: 5000000\r\n\r\n"
)


def _server(tmp_path, **env: object) -> ServerThread:
    """A server configured the way an operator does it, by environment variables."""
    values = {
        "TENANTRY_HEADER_TIMEOUT": 1.0,
        "TENANTRY_BODY_IDLE_TIMEOUT": 1.0,
        "TENANTRY_BODY_TIMEOUT": 2.5,
        **env,
    }
    settings = load_settings(
        {k: str(v) for k, v in values.items()}, data_dir=tmp_path, destinations=("none",)
    )
    return ServerThread(create_app(settings))


def _connect(server, payload: bytes = b"") -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=10)
    if payload:
        sock.sendall(payload)
    return sock


def _read_until_closed(sock: socket.socket, limit: float = 10.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    start, data = time.monotonic(), b""
    sock.settimeout(limit)
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        raise AssertionError(f"still open after {limit} s; got {data[:200]!r}") from None
    return data, time.monotonic() - start


class TestReadTimeouts:
    def test_declared_body_that_never_comes_is_cut(self, tmp_path):
        """Content-Length: 5000000 and not one byte of body: 408 with a JSON error and the
        connection closed within the idle timeout (1 s; the old server held it > 30 s)."""
        with _server(tmp_path) as server:
            sock = _connect(server, SLOW_BODY)
            data, took = _read_until_closed(sock)
            sock.close()
        assert data.startswith(b"HTTP/1.1 408"), data[:200]
        assert b'"code":"request_timeout"' in data and b"connection: close" in data.lower()
        assert 0.8 < took < 5.0, took

    def test_trickled_body_is_cut_at_the_total(self, tmp_path):
        """A body sent a byte every 0.3 s never trips the idle timeout (1 s) but is cut at the
        total (2.5 s) with 408."""
        with _server(tmp_path) as server:
            sock = _connect(server, SLOW_BODY)
            start = time.monotonic()
            sock.settimeout(0.3)
            data = b""
            while time.monotonic() - start < 10:
                try:
                    sock.sendall(b" ")
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    break
                if not chunk:
                    break
                data += chunk
            took = time.monotonic() - start
            sock.close()
        assert data.startswith(b"HTTP/1.1 408"), data[:200]
        assert 2.0 < took < 7.0, took

    def test_headers_that_never_end_are_cut(self, tmp_path):
        """Half a request line and nothing more: 408 and closed within the header timeout; a
        connection that sends nothing at all is closed too."""
        with _server(tmp_path) as server:
            partial = _connect(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            silent = _connect(server)
            data, took = _read_until_closed(partial)
            idle, idle_took = _read_until_closed(silent)
            partial.close()
            silent.close()
        assert data.startswith(b"HTTP/1.1 408") and took < 5.0, (data[:200], took)
        assert idle == b"" and idle_took < 5.0

    def test_headers_past_64_kib_are_refused(self, tmp_path):
        """A header block that keeps growing (httptools sets no bound) is answered 431 and
        closed once past 64 KiB, long before the header timeout; the old server kept reading."""
        line = b"X-Filler: " + b"a" * 1000 + b"\r\n"
        with _server(tmp_path, TENANTRY_HEADER_TIMEOUT=30) as server:
            sock = _connect(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            try:
                for _ in range(200):  # 200 KB
                    sock.sendall(line)
            except (BrokenPipeError, ConnectionResetError):
                pass
            data, took = _read_until_closed(sock)
            sock.close()
        assert data.startswith(b"HTTP/1.1 431"), data[:200]
        assert b'"code":"headers_too_large"' in data and took < 5.0

    def test_keep_alive_requests_are_not_cut(self, tmp_path):
        """Requests on one kept-alive connection, each sent at once, are answered whatever the
        pause between them (within the keep-alive time): the header clock restarts per request."""
        server = _server(tmp_path, TENANTRY_HEADER_TIMEOUT=0.5)
        with server, httpx.Client(base_url=server.url, timeout=5) as client:
            for _ in range(3):
                assert client.get("/healthz").status_code == 200
                time.sleep(0.4)
            r = client.post("/v1/telemetry/events", json={"events": [{"event_name": "page_view"}]})
            assert r.status_code == 200 and r.json()["events_processed"] == 1


class TestConnectionCaps:
    def test_one_address_beyond_its_cap_is_refused(self, tmp_path):
        """With 4 connections a client address, 4 slow bodies are held and a 5th connection
        gets 429 and is closed at once; once the slow ones are cut, the address connects
        again."""
        with _server(
            tmp_path, TENANTRY_MAX_CONNECTIONS_PER_ADDRESS=4, TENANTRY_BODY_IDLE_TIMEOUT=2.0
        ) as server:
            held = [_connect(server, SLOW_BODY) for _ in range(4)]
            time.sleep(0.2)
            refused = _connect(server)
            data, took = _read_until_closed(refused)
            assert data.startswith(b"HTTP/1.1 429"), data[:200]
            assert b'"code":"too_many_connections"' in data and took < 3.0
            for sock in held:
                assert _read_until_closed(sock)[0].startswith(b"HTTP/1.1 408")
                sock.close()
            assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200

    def test_overall_cap(self, tmp_path):
        """Beyond TENANTRY_MAX_CONNECTIONS open connections, from any address, a new one gets
        503 and is closed."""
        with _server(tmp_path, TENANTRY_MAX_CONNECTIONS=3) as server:
            held = [_connect(server, SLOW_BODY) for _ in range(3)]
            time.sleep(0.2)
            data, _ = _read_until_closed(_connect(server))
            for sock in held:
                sock.close()
        assert data.startswith(b"HTTP/1.1 503") and b'"code":"busy"' in data, data[:200]


class TestAddresses:
    @pytest.mark.parametrize(
        ("given", "key"),
        [
            ("::ffff:203.0.113.9", "203.0.113.9"),
            ("::FFFF:CB00:7109", "203.0.113.9"),
            ("203.0.113.9", "203.0.113.9"),
            ("2001:DB8:0:0:1::7", "2001:db8::/64"),
            ("2001:db8::abcd:1", "2001:db8::/64"),
            ("2001:db8:0:1::1", "2001:db8:0:1::/64"),
            ("fe80::1%eth0", "fe80::/64"),
            ("unknown", "unknown"),
        ],
    )
    def test_one_spelling_per_client(self, given, key):
        """IPv4-mapped IPv6 is IPv4, IPv6 counts by its /64 in one lower-case spelling."""
        from tenantry.server.common import address_key

        assert address_key(given) == key

    def test_prefix_is_configurable(self):
        """TENANTRY_IPV6_PREFIX=128 counts every IPv6 address alone; 48 groups wider."""
        from tenantry.server.common import address_key

        assert address_key("2001:db8::1", 128) == "2001:db8::1"
        assert address_key("2001:db8:0:9::1", 48) == "2001:db8::/48"
        with pytest.raises(Exception, match="TENANTRY_IPV6_PREFIX"):
            load_settings({"TENANTRY_IPV6_PREFIX": "129"})

    def test_sixty_addresses_of_one_64_share_one_allowance(self, tmp_path):
        """Password logins from 60 addresses of one IPv6 /64 (and other spellings of them),
        through a trusted proxy, spend one per-address allowance: after its burst (5) every
        one is 429, while an address in another /64 still gets its own."""
        app = create_app(
            load_settings(data_dir=tmp_path, destinations=("none",), trusted_proxies="127.0.0.1"),
            login_ip_rate=Rate(per_second=0.001, burst=5),
            login_rate=Rate(per_second=100, burst=1000),
        )
        with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
            codes = []
            for i in range(60):
                spelling = f"2001:DB8::{i:x}" if i % 2 else f"2001:db8:0:0:{i:x}::1"
                r = http.post(
                    "/v1/auth/sessions",
                    json={"email": f"x{i}@example.com", "password": "wrong"},
                    headers={"X-Forwarded-For": spelling},
                )
                codes.append(r.status_code)
            other = http.post(
                "/v1/auth/sessions",
                json={"email": "y@example.com", "password": "wrong"},
                headers={"X-Forwarded-For": "2001:db8:1::1"},
            )
        assert codes[:5] == [401] * 5 and codes[5:] == [429] * 55, codes
        assert other.status_code == 401
