"""The fixture web server itself (everything else relies on it), tested with http.client."""

from __future__ import annotations

import gzip
import http.client
from pathlib import Path

import pytest

from tests.webserver import FixtureServer, Reply


def raw(
    server: FixtureServer, path: str, *, host: str = "site.test", method: str = "GET"
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request with the path sent exactly as given (no client-side normalisation)."""
    conn = http.client.HTTPConnection(server.bind, server.port, timeout=5)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"{host}:{server.port}")
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "sub" / "index.html").write_text("<h1>sub</h1>")
    (root / "文章 1.html").write_text("<p>中文</p>", encoding="utf-8")
    (root / "packed.html.gz").write_bytes(gzip.compress(b"<p>unpacked</p>"))
    for name in (
        "font.woff2",
        "font.woff",
        "font.ttf",
        "font.otf",
        "logo.svg",
        "app.webmanifest",
        "style.css",
    ):
        (root / name).write_bytes(b"data:" + name.encode())
    (tmp_path / "secret.txt").write_text("outside")
    return root


def test_mount_serves_files(fixture_server: FixtureServer, site: Path) -> None:
    fixture_server.mount("/static", site)
    status, headers, body = raw(fixture_server, "/static/")
    assert (status, body) == (200, b"<h1>home</h1>")
    assert headers["Content-Type"] == "text/html"  # no invented charset
    assert raw(fixture_server, "/static/sub/")[2] == b"<h1>sub</h1>"
    status, headers, _ = raw(fixture_server, "/static/sub?x=1")
    assert (status, headers["Location"]) == (301, "/static/sub/?x=1")
    status, _, body = raw(fixture_server, "/static/%E6%96%87%E7%AB%A0%201.html")
    assert (status, body.decode()) == (200, "<p>中文</p>")
    assert raw(fixture_server, "/static/packed.html")[2] == b"<p>unpacked</p>"
    assert raw(fixture_server, "/static/missing.html")[0] == 404
    assert fixture_server.requests[2] == ("site.test", "/static/sub")
    assert ("site.test", "/static/文章 1.html") in fixture_server.requests


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("font.woff2", "font/woff2"),
        ("font.woff", "font/woff"),
        ("font.ttf", "font/ttf"),
        ("font.otf", "font/otf"),
        ("logo.svg", "image/svg+xml"),
        ("app.webmanifest", "application/manifest+json"),
        ("style.css", "text/css"),
    ],
)
def test_content_types(
    fixture_server: FixtureServer, site: Path, name: str, content_type: str
) -> None:
    fixture_server.mount("/", site)
    status, headers, body = raw(fixture_server, f"/{name}")
    assert (status, headers["Content-Type"], body) == (200, content_type, b"data:" + name.encode())


def test_head(fixture_server: FixtureServer, site: Path) -> None:
    fixture_server.mount("/", site)
    status, headers, body = raw(fixture_server, "/style.css", method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, str(len(b"data:style.css")), b"")


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/sub/../../secret.txt",
    ],
)
def test_no_path_traversal(fixture_server: FixtureServer, site: Path, path: str) -> None:
    fixture_server.mount("/static", site)
    status, _, body = raw(fixture_server, path)
    assert status == 404
    assert b"outside" not in body


def test_virtual_host_mount(fixture_server: FixtureServer, site: Path, tmp_path: Path) -> None:
    other = tmp_path / "cdn"
    other.mkdir()
    (other / "style.css").write_text("cdn css")
    fixture_server.mount("/", other, host="cdn.test")
    fixture_server.mount("/", site)
    assert raw(fixture_server, "/style.css", host="cdn.test")[2] == b"cdn css"
    assert raw(fixture_server, "/style.css")[2] == b"data:style.css"


def test_routes(fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/q",
        lambda r: Reply.html(f"{r.method} {r.path} {r.query} {r.params['a']} {r.headers['Host']}"),
    )
    fixture_server.route("/gbk", lambda r: Reply.html("中文", charset="gbk"))
    fixture_server.route("/plain", lambda r: Reply.html(b"bytes", charset=None))
    fixture_server.route("/pairs", lambda r: Reply(201, [("X-A", "1"), ("X-A", "2")], b""))
    fixture_server.route("/stream", lambda r: Reply(200, {}, iter([b"ab", b"", b"cd"])))
    fixture_server.route("/any/*", lambda r: Reply(200, {}, r.path.encode()))
    fixture_server.route("/go", lambda r: Reply.redirect("/q?a=1", status=307))
    assert (
        raw(fixture_server, "/q?a=1&a=2")[2]
        == f"GET /q a=1&a=2 ['1', '2'] site.test:{fixture_server.port}".encode()
    )
    status, headers, body = raw(fixture_server, "/gbk")
    assert (headers["Content-Type"], body) == ("text/html; charset=gbk", "中文".encode("gbk"))
    assert raw(fixture_server, "/plain")[1]["Content-Type"] == "text/html"
    status, headers, _ = raw(fixture_server, "/pairs")
    assert (status, headers.get_all("X-A")) == (201, ["1", "2"])
    status, headers, body = raw(fixture_server, "/stream")
    assert (headers["Transfer-Encoding"], body) == ("chunked", b"abcd")
    assert raw(fixture_server, "/any/deep/path")[2] == b"/any/deep/path"
    status, headers, _ = raw(fixture_server, "/go")
    assert (status, headers["Location"]) == (307, "/q?a=1")
    assert len(fixture_server.requests) == 7


def test_handler_errors_become_500(fixture_server: FixtureServer) -> None:
    fixture_server.route("/broken", lambda r: 1 / 0)
    assert raw(fixture_server, "/broken")[0] == 500
    assert "ZeroDivisionError" in fixture_server.errors[0]


def test_reset_and_log(fixture_server: FixtureServer) -> None:
    fixture_server.route("/a", lambda r: Reply.html("a"))
    raw(fixture_server, "/a", host="cdn.test")
    assert fixture_server.requests == [("cdn.test", "/a")]
    assert fixture_server.connections == 1
    fixture_server.reset()
    assert fixture_server.requests == []
    assert fixture_server.connections == 0
    assert raw(fixture_server, "/a")[0] == 404


def test_canary_answers_everything(canary_server: FixtureServer) -> None:
    assert canary_server.bind == "127.0.0.2"
    assert canary_server.url("/x") == f"http://127.0.0.2:{canary_server.port}/x"
    status, _, body = raw(canary_server, "/anything", host="127.0.0.2")
    assert status == 200
    assert b"canary" in body
    assert canary_server.requests == [("127.0.0.2", "/anything")]


def test_urls(fixture_server: FixtureServer) -> None:
    port = fixture_server.port
    assert fixture_server.url() == f"http://site.test:{port}/"
    assert fixture_server.url("a/b", host="cdn.test") == f"http://cdn.test:{port}/a/b"
    assert fixture_server.url("/", host="::1") == f"http://[::1]:{port}/"
