"""Integration tests of the guarded HTTP client against real local servers.

The fixture server (127.0.0.1) is allowed; the canary (127.0.0.2) is not, and
every test that tries to reach it checks it saw no connection at all.
"""

from __future__ import annotations

import gzip
import itertools
import shutil
import ssl
import struct
import subprocess
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from snapshelf import errors
from snapshelf.net import Deadline, Fetcher, Guard, StaticResolver, parse_allow_list
from tests.webserver import TEST_ALLOW, FixtureServer, Reply, Request, offline_resolver

MB = 1024 * 1024


@pytest.fixture
def fetcher(test_guard: Guard) -> Iterator[Fetcher]:
    with Fetcher(test_guard) as f:
        yield f


def get(fetcher: Fetcher, url: str, *, seconds: float = 10, max_bytes: int = 10 * MB, **kw):
    return fetcher.fetch(url, deadline=Deadline(seconds), max_bytes=max_bytes, **kw)


def assert_untouched(canary: FixtureServer) -> None:
    assert canary.requests == []
    assert canary.connections == 0


# -- basics ----------------------------------------------------------------------


def test_fetch_page(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route("/page", lambda r: Reply.html("<p>héllo</p>"))
    response = get(fetcher, fixture_server.url("/page"))
    assert response.status == 200
    assert response.content == "<p>héllo</p>".encode()
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.url == response.final_url == fixture_server.url("/page")
    assert response.redirects == []
    assert response.elapsed > 0
    request = fixture_server.log[-1]
    assert "Snapshelf" in request.headers["User-Agent"]
    assert request.headers["Accept-Encoding"] == "gzip, deflate"


def test_any_status_is_returned(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route("/gone", lambda r: Reply.html("gone", status=410))
    fixture_server.route("/boom", lambda r: Reply(503, {"Retry-After": "7"}, b"later"))
    assert get(fetcher, fixture_server.url("/gone")).status == 410
    response = get(fetcher, fixture_server.url("/boom"))
    assert (response.status, response.headers["retry-after"], response.content) == (
        503,
        "7",
        b"later",
    )
    assert get(fetcher, fixture_server.url("/missing")).status == 404


def test_host_header_and_virtual_hosts(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route("/who", lambda r: Reply.html(f"cdn:{r.headers['Host']}"), host="cdn.test")
    fixture_server.route("/who", lambda r: Reply.html(f"any:{r.headers['Host']}"))
    port = fixture_server.port
    assert (
        get(fetcher, fixture_server.url("/who", host="cdn.test")).content
        == f"cdn:cdn.test:{port}".encode()
    )
    assert get(fetcher, fixture_server.url("/who")).content == f"any:site.test:{port}".encode()


def test_allow_by_name_whatever_it_resolves_to(fixture_server: FixtureServer) -> None:
    # 127.0.0.1 is NOT allowed as an address here; only the name is.
    guard = Guard(
        parse_allow_list("wiki.intranet"),
        StaticResolver(
            {"wiki.intranet": ["127.0.0.1"], "site.test": ["127.0.0.1"]}, offline_resolver
        ),
    )
    fixture_server.route("/", lambda r: Reply.html("wiki"), host="wiki.intranet")
    with Fetcher(guard) as f:
        assert get(f, fixture_server.url("/", host="wiki.intranet")).content == b"wiki"
        with pytest.raises(errors.Blocked, match="site.test"):
            get(f, fixture_server.url("/"))
    assert fixture_server.paths() == ["/"]


def test_caller_headers(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route("/h", lambda r: Reply.html("ok"))
    get(
        fetcher,
        fixture_server.url("/h"),
        headers={
            "Accept-Language": "zh-CN",
            "User-Agent": "Custom/1",
            "Accept-Encoding": "br",
            "Host": "evil.test",
        },
    )
    headers = fixture_server.log[-1].headers
    assert headers["Accept-Language"] == "zh-CN"
    assert headers["User-Agent"] == "Custom/1"
    assert headers["Accept-Encoding"] == "gzip, deflate"  # we only ask for what we can decode
    assert headers.get_all("Host") == [f"site.test:{fixture_server.port}"]


# -- the canary: refused destinations ------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.2", errors.Blocked),
        ("2130706434", errors.Blocked),  # decimal
        ("0x7f000002", errors.Blocked),  # hex
        ("0x7f.0.0.2", errors.Blocked),  # hex first octet
        ("017700000002", errors.Blocked),  # octal
        ("127.0.2", errors.Blocked),  # short forms
        ("127.2", errors.Blocked),
        ("127.0.0.2.", errors.Blocked),  # trailing dot
        ("[::ffff:127.0.0.2]", errors.Blocked),  # IPv4-mapped literal
        ("[::ffff:7f00:2]", errors.Blocked),
        (
            "0177.0.0.2",
            (errors.Blocked, errors.InvalidURL),
        ),  # octal with dots: httpx refuses to parse
        ("127.000.000.002", (errors.Blocked, errors.InvalidURL)),
    ],
)
def test_numeric_tricks_never_reach_the_canary(
    fetcher: Fetcher, canary_server: FixtureServer, host: str, expected
) -> None:
    with pytest.raises(expected):
        get(fetcher, f"http://{host}:{canary_server.port}/secret")
    assert_untouched(canary_server)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://site.test/x", "javascript:alert(1)", "data:text/plain,hi"],
)
def test_non_http_schemes_refused(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(errors.Blocked):
        get(fetcher, url)


def test_userinfo_trick_refused(fetcher: Fetcher, canary_server: FixtureServer) -> None:
    with pytest.raises(errors.InvalidURL):
        get(fetcher, f"http://site.test@127.0.0.2:{canary_server.port}/")
    assert_untouched(canary_server)


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/meta",
        "http://[::ffff:127.0.0.2]:{port}/meta",
        "http://2130706434:{port}/meta",
        "//127.0.0.2:{port}/meta",  # scheme-relative
    ],
)
def test_redirect_to_canary_refused(
    fetcher: Fetcher, fixture_server: FixtureServer, canary_server: FixtureServer, target: str
) -> None:
    fixture_server.route("/jump", lambda r: Reply.redirect(target.format(port=canary_server.port)))
    with pytest.raises(errors.Blocked, match="127.0.0.2"):
        get(fetcher, fixture_server.url("/jump"))
    assert fixture_server.paths() == ["/jump"]
    assert_untouched(canary_server)


def test_redirect_to_other_scheme_refused(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route("/jump", lambda r: Reply.redirect("file:///etc/passwd"))
    with pytest.raises(errors.Blocked):
        get(fetcher, fixture_server.url("/jump"))


def test_proxy_environment_ignored(
    fetcher: Fetcher,
    fixture_server: FixtureServer,
    canary_server: FixtureServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = f"http://127.0.0.2:{canary_server.port}"
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    fixture_server.route("/direct", lambda r: Reply.html("direct"))
    with Fetcher(fetcher.guard) as fresh:  # built while the variables are set
        assert get(fresh, fixture_server.url("/direct")).content == b"direct"
    assert fixture_server.paths() == ["/direct"]
    assert_untouched(canary_server)


def test_dns_rebinding_cannot_switch_address(
    fixture_server: FixtureServer, canary_server: FixtureServer
) -> None:
    answers = iter([["127.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str) -> list[str]:
        calls.append(host)
        return next(answers, ["127.0.0.2"])  # first the allowed fixture, then the canary

    guard = Guard(parse_allow_list(TEST_ALLOW), resolver=rebinding)
    fixture_server.route("/page", lambda r: Reply.html("fixture"), host="rebind.test")
    fixture_server.route("/next", lambda r: Reply.redirect("/page"), host="rebind.test")
    url = f"http://rebind.test:{fixture_server.port}"
    with Fetcher(guard) as f:
        assert get(f, url + "/page").content == b"fixture"
        assert get(f, url + "/next").content == b"fixture"  # same kept-alive connection
        assert calls == ["rebind.test"] * fixture_server.connections
        assert fixture_server.connections == 1
    with Fetcher(guard) as f, pytest.raises(errors.Blocked, match="127.0.0.2"):
        get(f, url + "/page")  # a new connection resolves again and is refused
    assert len(calls) == 2
    assert fixture_server.connections == 1
    assert_untouched(canary_server)


# -- redirects ------------------------------------------------------------------------


def _hops(request: Request) -> Reply:
    n = int(request.path.rsplit("/", 1)[1])
    return Reply.redirect(str(n - 1)) if n > 0 else Reply.html("arrived")  # relative Location


def test_ten_redirects_followed(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route("/hop/*", _hops)
    response = get(fetcher, fixture_server.url("/hop/10"))
    assert response.content == b"arrived"
    assert response.final_url == fixture_server.url("/hop/0")
    assert response.redirects == [fixture_server.url(f"/hop/{n}") for n in range(10, 0, -1)]


def test_eleven_redirects_too_many(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route("/hop/*", _hops)
    with pytest.raises(errors.TooManyRedirects):
        get(fetcher, fixture_server.url("/hop/11"))
    assert len(fixture_server.requests) == 11


def test_max_redirects_configurable(test_guard: Guard, fixture_server: FixtureServer) -> None:
    fixture_server.route("/hop/*", _hops)
    with Fetcher(test_guard, max_redirects=0) as f:
        assert get(f, fixture_server.url("/hop/0")).content == b"arrived"
        with pytest.raises(errors.TooManyRedirects):
            get(f, fixture_server.url("/hop/1"))


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_relative_redirects(fetcher: Fetcher, fixture_server: FixtureServer, status: int) -> None:
    fixture_server.route("/dir/start", lambda r: Reply.redirect("../other/final?x=1#frag", status))
    fixture_server.route("/other/final", lambda r: Reply.html(f"q={r.query}"))
    response = get(fetcher, fixture_server.url("/dir/start"))
    assert response.content == b"q=x=1"
    assert response.final_url == fixture_server.url("/other/final?x=1")
    assert all(request.method == "GET" for request in fixture_server.log)


def test_cross_origin_redirect_drops_credentials(
    fetcher: Fetcher, fixture_server: FixtureServer
) -> None:
    fixture_server.route(
        "/start", lambda r: Reply.redirect(fixture_server.url("/land", host="cdn.test"))
    )
    fixture_server.route("/land", lambda r: Reply.html("landed"), host="cdn.test")
    response = get(
        fetcher, fixture_server.url("/start"), headers={"Authorization": "Bearer t", "X-Keep": "1"}
    )
    assert response.content == b"landed"
    first, second = fixture_server.log
    assert first.headers["Authorization"] == "Bearer t"
    assert second.headers.get("Authorization") is None
    assert second.headers["X-Keep"] == "1"


def test_no_cookies_carried(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/set",
        lambda r: Reply(
            200, [("Set-Cookie", "sid=secret; Path=/"), ("Content-Type", "text/plain")], b"set"
        ),
    )
    fixture_server.route(
        "/set-and-go", lambda r: Reply(302, {"Set-Cookie": "sid2=x; Path=/", "Location": "/echo"})
    )
    fixture_server.route("/echo", lambda r: Reply.html(r.headers.get("Cookie") or "none"))
    assert get(fetcher, fixture_server.url("/set")).headers["set-cookie"].startswith("sid=secret")
    assert get(fetcher, fixture_server.url("/echo")).content == b"none"
    assert get(fetcher, fixture_server.url("/set-and-go")).content == b"none"
    assert all(r.headers.get("Cookie") is None for r in fixture_server.log)


# -- deadlines ------------------------------------------------------------------------


def test_slow_drip_hits_deadline(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/drip",
        lambda r: Reply(
            200, {"Content-Type": "text/plain"}, itertools.repeat(b"x"), chunk_delay=0.2
        ),
    )
    started = time.monotonic()
    with pytest.raises(errors.Timeout, match="1.5 s"):
        get(fetcher, fixture_server.url("/drip"), seconds=1.5)
    assert 1.4 < time.monotonic() - started < 4.0


def test_slow_first_byte_hits_deadline(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route("/sleepy", lambda r: Reply(200, {}, b"late", delay=6))
    started = time.monotonic()
    with pytest.raises(errors.Timeout):
        get(fetcher, fixture_server.url("/sleepy"), seconds=1.0)
    assert time.monotonic() - started < 3.5


def test_stall_after_first_bytes_ends_at_deadline(
    fetcher: Fetcher, fixture_server: FixtureServer
) -> None:
    # Each socket read must wait only until the deadline, not a full timeout
    # computed when the request started: that would end at 1.8 + 2.0 s, the deadline at 2.0 s.
    # The margin is wide so that a loaded test machine cannot blur the two.
    def stalling() -> Iterator[bytes]:
        yield b"first bytes"
        time.sleep(8)
        yield b"never"

    fixture_server.route("/stall", lambda r: Reply(200, {}, stalling(), delay=1.8))
    started = time.monotonic()
    with pytest.raises(errors.Timeout):
        get(fetcher, fixture_server.url("/stall"), seconds=2.0)
    assert time.monotonic() - started < 3.2


def test_deadline_spans_redirects(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    def slow_hop(request: Request) -> Reply:
        n = int(request.path.rsplit("/", 1)[1])
        return Reply(302, {"Location": str(n + 1)}, b"", delay=0.3)

    fixture_server.route("/slow/*", slow_hop)
    started = time.monotonic()
    with pytest.raises(errors.Timeout):
        get(fetcher, fixture_server.url("/slow/0"), seconds=1.0)
    assert time.monotonic() - started < 2.8
    assert len(fixture_server.requests) <= 4


def test_expired_deadline_sends_nothing(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    with pytest.raises(errors.Timeout):
        get(fetcher, fixture_server.url("/x"), seconds=0)
    assert fixture_server.connections == 0


def test_slow_resolver_hits_deadline(fixture_server: FixtureServer) -> None:
    def slow(host: str) -> list[str]:
        time.sleep(6)
        return ["127.0.0.1"]

    guard = Guard(parse_allow_list(TEST_ALLOW), resolver=slow)
    started = time.monotonic()
    with Fetcher(guard) as f, pytest.raises(errors.Timeout):
        get(f, f"http://slow-dns.test:{fixture_server.port}/", seconds=1.0)
    assert time.monotonic() - started < 3.5
    assert fixture_server.connections == 0


def test_connection_refused(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    # A port nobody listens on: bind, note, close.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(errors.ConnectionFailed, match="site.test"):
        get(fetcher, f"http://site.test:{port}/")


def test_unknown_host_fails_cleanly(fetcher: Fetcher) -> None:
    with pytest.raises(errors.ConnectionFailed, match="nowhere.test"):
        get(fetcher, "http://nowhere.test/")


def test_truncated_body_is_a_connection_failure(
    fetcher: Fetcher, fixture_server: FixtureServer
) -> None:
    fixture_server.route(
        "/short",
        lambda r: Reply(200, {"Content-Length": "100", "Connection": "close"}, [b"only a bit"]),
    )
    with pytest.raises(errors.ConnectionFailed):
        get(fetcher, fixture_server.url("/short"))


# -- sizes and encodings ------------------------------------------------------------


def test_identity_body_over_cap(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/big", lambda r: Reply(200, {}, (b"x" * 1000 for _ in range(100)))
    )  # chunked
    with pytest.raises(errors.TooLarge):
        get(fetcher, fixture_server.url("/big"), max_bytes=50_000)
    fixture_server.route("/exact", lambda r: Reply(200, {}, b"y" * 50_000))
    assert len(get(fetcher, fixture_server.url("/exact"), max_bytes=50_000).content) == 50_000


def test_content_length_over_cap_rejected_before_reading(
    fetcher: Fetcher, fixture_server: FixtureServer
) -> None:
    # The body would take forever; only an early check on Content-Length can answer quickly.
    fixture_server.route(
        "/huge",
        lambda r: Reply(
            200, {"Content-Length": str(10**10)}, itertools.repeat(b"z" * 10), chunk_delay=0.5
        ),
    )
    started = time.monotonic()
    with pytest.raises(errors.TooLarge, match="10000000000"):
        get(fetcher, fixture_server.url("/huge"), max_bytes=MB, seconds=10)
    assert time.monotonic() - started < 4.0


@pytest.fixture(scope="module")
def zero_bomb() -> dict[str, bytes]:
    """~200 MB of zeros deflated once (~200 KB), wrapped as gzip, zlib and raw deflate."""
    block, blocks = bytes(MB), 200
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = b"".join([compressor.compress(block) for _ in range(blocks)] + [compressor.flush()])
    crc, adler = 0, 1
    for _ in range(blocks):
        crc, adler = zlib.crc32(block, crc), zlib.adler32(block, adler)
    size = len(block) * blocks
    gzip_member = (
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + raw + struct.pack("<II", crc, size % 2**32)
    )
    zlib_stream = b"\x78\x9c" + raw + struct.pack(">I", adler)
    assert len(raw) < 400_000
    return {"gzip": gzip_member, "deflate": zlib_stream, "raw": raw}


@pytest.mark.parametrize(
    ("kind", "encoding"), [("gzip", "gzip"), ("deflate", "deflate"), ("raw", "deflate")]
)
def test_compression_bomb_stops_at_cap_in_bounded_memory(
    fetcher: Fetcher,
    fixture_server: FixtureServer,
    zero_bomb: dict[str, bytes],
    kind: str,
    encoding: str,
) -> None:
    cap = 5 * MB
    body = zero_bomb[kind]
    fixture_server.route(
        "/bomb",
        lambda r: Reply(200, {"Content-Encoding": encoding, "Content-Type": "text/html"}, body),
    )
    tracemalloc.start()
    try:
        with pytest.raises(errors.TooLarge):
            get(fetcher, fixture_server.url("/bomb"), max_bytes=cap)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * cap + 20 * MB, f"peak {peak / MB:.1f} MB"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
        ("identity", lambda data: data),
        (
            "gzip",
            lambda data: gzip.compress(data[:5000]) + gzip.compress(data[5000:]),
        ),  # two members
    ],
)
def test_encoded_pages_are_decoded(
    fetcher: Fetcher, fixture_server: FixtureServer, encoding: str, encode
) -> None:
    page = ("<html><body>" + "内容 content " * 2000 + "</body></html>").encode()
    fixture_server.route(
        "/enc",
        lambda r: Reply(
            200, {"Content-Encoding": encoding, "Content-Type": "text/html"}, encode(page)
        ),
    )
    response = get(fetcher, fixture_server.url("/enc"))
    assert response.content == page
    assert response.headers["content-encoding"] == encoding


def test_gzip_body_cap_counts_decoded_bytes(
    fetcher: Fetcher, fixture_server: FixtureServer
) -> None:
    body = gzip.compress(b"a" * 200_000)
    fixture_server.route("/gz", lambda r: Reply(200, {"Content-Encoding": "gzip"}, body))
    assert len(get(fetcher, fixture_server.url("/gz"), max_bytes=200_000).content) == 200_000
    with pytest.raises(errors.TooLarge):
        get(fetcher, fixture_server.url("/gz"), max_bytes=199_999)


def test_unknown_encoding_unsupported(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route("/br", lambda r: Reply(200, {"Content-Encoding": "br"}, b"\x1b\x00"))
    with pytest.raises(errors.Unsupported, match="br"):
        get(fetcher, fixture_server.url("/br"))


def test_corrupt_gzip_unsupported(fetcher: Fetcher, fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/bad", lambda r: Reply(200, {"Content-Encoding": "gzip"}, b"\x1f\x8b" + b"garbage" * 10)
    )
    with pytest.raises(errors.Unsupported, match="corrupt"):
        get(fetcher, fixture_server.url("/bad"))


# -- concurrency ----------------------------------------------------------------------


def test_concurrent_fetches_share_one_fetcher(
    fetcher: Fetcher, fixture_server: FixtureServer
) -> None:
    fixture_server.route(
        "/c/*",
        lambda r: Reply(
            200, {"Content-Type": "text/plain"}, f"{r.host}{r.path}".encode(), delay=0.05
        ),
    )
    hosts = ["site.test", "cdn.test", "other.test"]
    urls = [fixture_server.url(f"/c/{i}", host=hosts[i % 3]) for i in range(20)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda u: get(fetcher, u), urls))
    assert [r.content.decode() for r in responses] == [f"{hosts[i % 3]}/c/{i}" for i in range(20)]
    assert sorted(fixture_server.requests) == sorted((hosts[i % 3], f"/c/{i}") for i in range(20))


def test_concurrent_mixed_outcomes_keep_deadlines_per_thread(
    fetcher: Fetcher, fixture_server: FixtureServer, canary_server: FixtureServer
) -> None:
    fixture_server.route("/fast", lambda r: Reply.html("fast"))
    fixture_server.route("/slow", lambda r: Reply(200, {}, b"slow", delay=2))

    def run(i: int) -> str:
        try:
            if i % 3 == 0:
                return get(fetcher, fixture_server.url("/slow"), seconds=0.5).content.decode()
            if i % 3 == 1:
                return get(fetcher, f"http://127.0.0.2:{canary_server.port}/").content.decode()
            return get(fetcher, fixture_server.url("/fast"), seconds=10).content.decode()
        except errors.CaptureError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(run, range(12)))
    assert results == [["timeout", "blocked", "fast"][i % 3] for i in range(12)]
    assert_untouched(canary_server)


# -- TLS: connect to the approved address, verify against the host name -------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available")
    d = tmp_path_factory.mktemp("tls")
    ext = d / "leaf.ext"
    ext.write_text(
        "subjectAltName=DNS:site.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Snapshelf Test CA",
    )
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=site.test")
    openssl(
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    )
    return {"ca": d / "ca.pem", "cert": d / "leaf.pem", "key": d / "leaf.key"}


@pytest.fixture(scope="module")
def tls_server(tls_files: dict[str, Path]) -> Iterator[tuple[FixtureServer, list[str]]]:
    server_names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files["cert"], tls_files["key"])
    context.sni_callback = lambda sock, name, ctx: server_names.append(name) and None
    with FixtureServer("127.0.0.1", ssl_context=context) as server:
        server.route("/", lambda r: Reply.html("secure"))
        yield server, server_names


def test_https_uses_host_name_for_sni_and_certificate(
    test_guard: Guard, tls_files: dict[str, Path], tls_server: tuple[FixtureServer, list[str]]
) -> None:
    server, server_names = tls_server
    client_context = ssl.create_default_context(cafile=str(tls_files["ca"]))
    with Fetcher(test_guard, ssl_context=client_context) as f:
        response = get(f, server.url("/"))  # https://site.test:PORT/ connected to 127.0.0.1
        assert response.content == b"secure"
        assert server_names[-1] == "site.test"
        # The certificate is for site.test only: other names on the same address fail.
        with pytest.raises(errors.ConnectionFailed, match="certificate|CERTIFICATE|match"):
            get(f, server.url("/", host="other.test"))
        with pytest.raises(errors.ConnectionFailed):
            get(f, f"https://127.0.0.1:{server.port}/")


def test_https_untrusted_certificate_fails(
    test_guard: Guard, tls_server: tuple[FixtureServer, list[str]]
) -> None:
    server, _ = tls_server
    with Fetcher(test_guard) as f, pytest.raises(errors.ConnectionFailed, match="(?i)certificate"):
        get(f, server.url("/"))


def test_pool_survives_refusals(
    fixture_server: FixtureServer, canary_server: FixtureServer
) -> None:
    resolver = StaticResolver(
        {"site.test": ["127.0.0.1"], "evil.test": ["127.0.0.2"]}, offline_resolver
    )
    guard = Guard(parse_allow_list(TEST_ALLOW), resolver=resolver)
    fixture_server.route("/ok", lambda r: Reply.html("ok"))
    with Fetcher(guard, max_connections=2) as f:
        for _ in range(20):  # refused inside the connection pool, more times than it has slots
            with pytest.raises(errors.Blocked, match="evil.test"):
                get(f, f"http://evil.test:{canary_server.port}/")
        assert get(f, fixture_server.url("/ok"), seconds=2).content == b"ok"
    assert_untouched(canary_server)
