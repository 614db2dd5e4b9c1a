"""The core's HTTP client (tenantry._http, on urllib3) over real sockets: keep-alive, timeouts,
refused connections, TLS against the system trust store, proxies from the environment, fork
safety, and that the HTTP destinations no longer load httpx."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tenantry._http import HttpClient, HttpError, HttpTimeout, basic_auth, post_json
from tenantry.config import load_settings
from tenantry.destinations.base import Status
from tenantry.destinations.posthog import PostHogDestination
from tenantry.events import Event, new_uuids
from tests.fakes.vendors import free_port


def events(n: int) -> list[Event]:
    return [
        Event(u, "memory_created", "anon_x1y2z3", time.time(), "opensource", {"i": i})
        for i, u in enumerate(new_uuids(n))
    ]


class _Ok(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate (no public CA knows it)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"https://127.0.0.1:{server.server_port}/", cert
    server.shutdown()
    server.server_close()


class TestHttpClient:
    def test_keep_alive_reuses_one_connection(self, fake_posthog):
        """Five requests in a row travel over one pooled TCP connection."""
        client = HttpClient(timeout=2.0)
        for _ in range(5):
            r = client.post(fake_posthog.url, b'{"api_key":"k","batch":[]}')
            assert r.status_code == 200 and r.json() == {"status": 1}
        assert fake_posthog.connections == 1
        client.close()

    def test_timeout_is_honoured_and_named(self, fake_posthog):
        """A server that never answers raises HttpTimeout after about the timeout given."""
        fake_posthog.hang = True
        t0 = time.monotonic()
        with pytest.raises(HttpTimeout):
            HttpClient(timeout=5.0).post(fake_posthog.url, b"{}", timeout=0.3)
        assert time.monotonic() - t0 < 1.5
        fake_posthog.release()

    def test_refused_is_an_error_not_a_timeout(self):
        """A closed port is HttpError naming ConnectionRefusedError, not a timeout."""
        with pytest.raises(HttpError) as info:
            HttpClient(timeout=2.0).post(f"http://127.0.0.1:{free_port()}/", b"{}")
        assert not isinstance(info.value, HttpTimeout)
        assert str(info.value) == "ConnectionRefusedError"

    def test_headers_are_case_insensitive_and_retry_after_is_read(self, fake_posthog):
        """Response headers read case-insensitively, so Retry-After reaches classification."""
        fake_posthog.fail_next(1, 429, {"Retry-After": "7"})
        r = HttpClient().post(fake_posthog.url, b"{}")
        assert r.status_code == 429 and r.headers.get("retry-after") == "7"
        assert fake_posthog.requests[0].headers["user-agent"].startswith("tenantry/")

    def test_tls_verifies_against_the_system_trust_store(self, tls_server, monkeypatch):
        """An unknown self-signed certificate is refused; once the system store
        (SSL_CERT_FILE, read by OpenSSL) holds it, the same request succeeds."""
        url, cert = tls_server
        with pytest.raises(HttpError, match="SSL"):
            HttpClient(timeout=2.0).post(url, b"{}")
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        assert HttpClient(timeout=2.0).post(url, b"{}").status_code == 200

    def test_proxy_from_the_environment(self, fake_posthog, monkeypatch):
        """HTTP_PROXY is honoured (the request reaches the proxy in absolute form), and
        NO_PROXY bypasses it, as httpx did."""
        monkeypatch.setenv("HTTP_PROXY", fake_posthog.base_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        r = HttpClient(timeout=2.0).post("http://ingest.vendor.test/batch/", b"{}")
        assert r.status_code == 401  # answered by the fake, reached through the "proxy"
        assert fake_posthog.requests[-1].proxied_to == "http://ingest.vendor.test/batch/"
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # a dead proxy
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert HttpClient(timeout=2.0).post(fake_posthog.url, b"{}").status_code == 401
        assert fake_posthog.requests[-1].proxied_to is None

    def test_post_json_and_basic_auth(self, fake_posthog):
        """post_json sends JSON with the given headers on a one-off client."""
        r = post_json(fake_posthog.url, {"api_key": "k", "batch": []},
                      headers={"Authorization": basic_auth("a", "b")})  # fmt: skip
        assert r.status_code == 200
        req = fake_posthog.requests[-1]
        assert req.body == {"api_key": "k", "batch": []}
        assert req.headers["authorization"] == "Basic YTpi"
        assert req.headers["content-type"] == "application/json"


class _Huge(BaseHTTPRequestHandler):
    """Answers 200 declaring a body of ``size`` bytes and streams zeros until the client hangs
    up; counts the bytes it got to send in ``sent``."""

    size = 1024**3
    sent = 0

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        block = b"0" * 65536
        try:
            for _ in range(self.size // len(block)):
                self.wfile.write(block)
                type(self).sent += len(block)
        except OSError:  # the client closed the connection
            pass


class TestResponseLimit:
    def test_a_huge_answer_is_cut_and_never_held_in_memory(self):
        """A vendor answering 200 with a 1 GiB body: each HTTP destination reads 64 KiB of it (the
        relay 256 KiB), closes the connection and delivers, and the host process never holds
        more than that (``tracemalloc`` peak), while the server got to send a sliver of it."""
        import tracemalloc

        from tenantry.destinations.amplitude import AmplitudeDestination
        from tenantry.destinations.relay import RelayDestination

        server = ThreadingHTTPServer(("127.0.0.1", 0), _Huge)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        settings = load_settings(
            posthog_api_key="phc_key",
            posthog_host=base,
            amplitude_api_key="amp-key",
            amplitude_server_url=base + "/2/httpapi",
            relay_url=base,
        )
        try:
            limits = {PostHogDestination: 64 * 1024, AmplitudeDestination: 64 * 1024}
            limits[RelayDestination] = 256 * 1024  # room for a reason per event of a request
            for cls, limit in limits.items():
                dest = cls(settings)
                _Huge.sent = 0
                tracemalloc.start()
                try:
                    results = dest.send(events(3), 30.0)
                    peak = tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
                dest.shutdown(1.0)
                print(f"\n{cls.name}: peak {peak:,} B traced; server sent {_Huge.sent:,} B")
                assert [r.status for r in results] == [Status.DELIVERED] * 3
                assert peak < limit + 512 * 1024
                assert _Huge.sent < 64 * 1024 * 1024  # not the whole GiB: the client hung up
        finally:
            server.shutdown()
            server.server_close()

    def test_a_short_answer_is_read_whole_and_the_connection_kept(self, fake_posthog):
        """An answer within the limit is read whole and its connection is reused."""
        client = HttpClient(max_response_bytes=1024)
        for _ in range(3):
            r = client.post(fake_posthog.url, b'{"api_key":"k","batch":[]}')
            assert r.status_code == 200 and not r.truncated and r.json() == {"status": 1}
        client.close()
        assert fake_posthog.connections == 1


class TestDestinationClient:
    def test_a_forked_child_gets_its_own_connection(self, fake_posthog):
        """After fork the child sends over a new connection and the parent keeps its own: no
        pooled socket is shared (the child's send opens connection 2; the parent's next send
        still rides connection 1)."""
        dest = PostHogDestination(
            load_settings(posthog_api_key="phc_key", posthog_host=fake_posthog.base_url),
            timeout=2.0,
        )
        assert {r.status for r in dest.send(events(1), 2.0)} == {Status.DELIVERED}
        assert fake_posthog.connections == 1
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            ok = {r.status for r in dest.send(events(1), 2.0)} == {Status.DELIVERED}
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
        os.close(write)
        assert os.read(read, 1) == b"1"
        os.waitpid(pid, 0)
        assert fake_posthog.connections == 2
        assert {r.status for r in dest.send(events(1), 2.0)} == {Status.DELIVERED}
        assert fake_posthog.connections == 2 and len(fake_posthog.events) == 3

    def test_http_destinations_do_not_load_httpx(self):
        """Importing and building amplitude, posthog and relay loads urllib3, never httpx (nor
        its dependencies): the core's HTTP client is one small distribution."""
        code = (
            "import sys\n"
            "from tenantry.config import load_settings\n"
            "from tenantry.destinations import build\n"
            "s = load_settings(amplitude_api_key='k', posthog_api_key='k',"
            " relay_url='http://127.0.0.1:9')\n"
            "for name in ('amplitude', 'posthog', 'relay'): build(s, name).shutdown(0.1)\n"
            "print(sorted(m for m in ('httpx', 'httpcore', 'anyio', 'h11', 'requests')"
            " if m in sys.modules), 'urllib3' in sys.modules)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
        assert out == "[] True"


class TestApiKey:
    @pytest.mark.parametrize(
        ("kind", "env", "where"),
        [("amplitude", "AMPLITUDE_API_KEY", "amplitude_server_url"),
         ("posthog", "POSTHOG_API_KEY", "posthog_host")],
    )  # fmt: skip
    def test_without_a_key_every_event_is_rejected_and_nothing_sent(self, kind, env, where, caplog):
        """A vendor destination without its API key rejects each event as no_api_key, sends no
        request (a closed port would give connect_error), and its start-up error names the
        variable to set."""
        from tenantry.destinations import build

        settings = load_settings(**{where: f"http://127.0.0.1:{free_port()}/"})
        with caplog.at_level("ERROR", logger="tenantry"):
            dest = build(settings, kind, timeout=1.0)
        assert f"set {env}" in caplog.text
        old = Event("u-old", "memory_created", "anon_x1y2z3", 1.0, "opensource", {})  # historical
        results = dest.send([*events(2), old], 1.0)
        assert {(r.status, r.reason) for r in results} == {(Status.REJECTED, "no_api_key")}
        assert len(results) == 3
        dest.shutdown(0.1)
