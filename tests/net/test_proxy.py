"""The egress proxy the browser goes through: what the guard allows passes, nothing else
reaches anything (checked on a canary server at a forbidden address)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from snapshelf.net import Guard, StaticResolver, parse_allow_list
from snapshelf.net.proxy import EgressProxy
from tests.webserver import TEST_ALLOW, Reply, offline_resolver


@pytest.fixture(scope="module")
def proxy() -> Iterator[EgressProxy]:
    hosts = "site.test=127.0.0.1,evil.test=127.0.0.2"
    guard = Guard(
        allow=parse_allow_list(TEST_ALLOW),
        resolver=StaticResolver.from_env(hosts, fallback=offline_resolver),
    )
    with EgressProxy(guard, idle_timeout=5) as p:
        yield p


@pytest.fixture
def site(fixture_server):
    fixture_server.route("/hello", lambda req: Reply.html("<p>hello through the proxy</p>"))
    return fixture_server


def get(proxy: EgressProxy, url: str, **kwargs) -> httpx.Response:
    with httpx.Client(proxy=proxy.url, timeout=10, trust_env=False) as client:
        return client.get(url, **kwargs)


def raw(proxy: EgressProxy, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_allowed_host_is_proxied(proxy, site):
    r = get(proxy, site.url("/hello"))
    assert r.status_code == 200 and "hello through the proxy" in r.text
    assert "/hello" in site.paths()


@pytest.mark.parametrize("host", ["127.0.0.2", "evil.test", "0x7f.0.0.2", "[::ffff:127.0.0.2]"])
def test_forbidden_destinations_reach_nothing(proxy, canary_server, host):
    target = f"http://{host}:{canary_server.port}/steal"
    reply = raw(proxy, f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 403")
    assert b"not a public address" in reply
    assert canary_server.requests == []
    assert any("/steal" in x.target for x in proxy.refusals)


def test_redirect_to_a_forbidden_address_stops_at_the_proxy(proxy, site, canary_server):
    site.route("/go", lambda req: Reply.redirect(f"http://127.0.0.2:{canary_server.port}/x"))
    r = get(proxy, site.url("/go"), follow_redirects=True)
    assert r.status_code == 403
    assert canary_server.requests == []


def test_connect_tunnels_only_to_approved_addresses(proxy, site, canary_server):
    refused = raw(proxy, f"CONNECT 127.0.0.2:{canary_server.port} HTTP/1.1\r\n\r\n".encode())
    assert refused.startswith(b"HTTP/1.1 403")
    assert canary_server.requests == []
    tunnel = raw(
        proxy,
        f"CONNECT site.test:{site.port} HTTP/1.1\r\n\r\n"
        f"GET /hello HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n".encode(),
    )
    assert tunnel.startswith(b"HTTP/1.1 200 Connection Established")
    assert b"hello through the proxy" in tunnel


def test_websocket_upgrade_to_a_forbidden_address_is_refused(proxy, canary_server):
    reply = raw(
        proxy,
        f"GET http://127.0.0.2:{canary_server.port}/ws HTTP/1.1\r\n"
        f"Host: 127.0.0.2:{canary_server.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode(),
    )
    assert reply.startswith(b"HTTP/1.1 403")
    assert canary_server.requests == []


def test_a_reused_connection_cannot_carry_a_second_host(proxy, site, canary_server):
    """Two pipelined requests: the second names the canary but must not reach it."""
    reply = raw(
        proxy,
        f"GET {site.url('/hello')} HTTP/1.1\r\nHost: site.test\r\n\r\n"
        f"GET http://127.0.0.2:{canary_server.port}/second HTTP/1.1\r\n"
        f"Host: 127.0.0.2\r\n\r\n".encode(),
    )
    assert b"hello through the proxy" in reply
    assert canary_server.requests == []
    # the upstream was asked to close after one exchange
    assert site.log[-1].headers.get("Connection", "").lower() == "close"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"NONSENSE\r\n\r\n",
        b"GET /relative HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET ftp://x/ HTTP/1.1\r\n\r\n",
    ],
)
def test_malformed_requests_get_a_clear_error(proxy, request_bytes):
    assert raw(proxy, request_bytes).startswith(b"HTTP/1.1 400")
