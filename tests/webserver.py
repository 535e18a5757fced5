"""The fixture web server used by every integration test.

A real threaded HTTP/1.1 server on 127.0.0.1 (ephemeral port) that serves folders
(``mount``) and programmable routes (``route``), with virtual hosts so several
test host names (site.test, cdn.test, other.test, all pointing at 127.0.0.1
through the test resolver) can act as different origins. It logs every request
so tests can assert what was or was not fetched.

A second instance bound to 127.0.0.2 is the *canary*: an address the egress
guard must refuse in tests. It answers everything, and guard tests assert it
saw no connection at all.

Standard library only (tests/settings.py imports the constants below early).
"""

from __future__ import annotations

import gzip
import http.client
import mimetypes
import os
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

#: SNAPSHELF_HOSTS value mapping the test host names to the fixture server address.
TEST_HOSTS = "site.test=127.0.0.1,cdn.test=127.0.0.1,other.test=127.0.0.1"
#: SNAPSHELF_EGRESS_ALLOW value allowing the fixture server but not the canary.
TEST_ALLOW = "127.0.0.1/32,::1"
TEST_HOST_NAMES = ("site.test", "cdn.test", "other.test")
CANARY_ADDRESS = "127.0.0.2"


def instance_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """Environment for a `snapshelf` process of its own: data in ``data_dir``, reaching
    only the fixture servers; none of this process's Snapshelf settings leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SNAPSHELF_", "DATABASE_URL", "DJANGO_"))
    }
    env.update(
        SNAPSHELF_DATA_DIR=str(data_dir),
        SNAPSHELF_EGRESS_ALLOW=TEST_ALLOW,
        SNAPSHELF_HOSTS=TEST_HOSTS,
        SNAPSHELF_DNS="off",
        **settings,
    )
    return env


_CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".webmanifest": "application/manifest+json",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
}


def content_type_for(name: str) -> str:
    """Content type for a file name (no charset: tests control charsets themselves)."""
    suffix = Path(name).suffix.lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


@dataclass
class Request:
    """What a route handler sees of an incoming request."""

    method: str
    path: str  # percent-decoded (UTF-8) path, without the query
    query: str  # raw query string, without "?"
    headers: http.client.HTTPMessage  # case-insensitive .get()
    host: str  # Host header without port, lower-case
    raw_path: str  # path as sent on the wire, without the query

    @property
    def params(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(self.query, keep_blank_values=True)


@dataclass
class Reply:
    """What a route handler returns.

    ``body`` may be bytes or an iterable of bytes (sent chunked unless a
    Content-Length header is given, with ``chunk_delay`` seconds before each
    piece). ``delay`` waits before the status line is sent. No Content-Type is
    sent unless given, so tests control it completely.
    """

    status: int = 200
    headers: dict[str, str] | list[tuple[str, str]] | None = None
    body: bytes | Iterable[bytes] = b""
    delay: float = 0.0
    chunk_delay: float = 0.0

    def header_pairs(self) -> list[tuple[str, str]]:
        if self.headers is None:
            return []
        if isinstance(self.headers, dict):
            return list(self.headers.items())
        return list(self.headers)

    @classmethod
    def html(
        cls,
        text: str | bytes,
        charset: str | None = "utf-8",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """An HTML page; ``charset=None`` sends "text/html" with no charset parameter."""
        body = text if isinstance(text, bytes) else text.encode(charset or "utf-8")
        content_type = "text/html" if charset is None else f"text/html; charset={charset}"
        return cls(
            status=status, headers={"Content-Type": content_type, **(headers or {})}, body=body
        )

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(
            status=status,
            headers={"Location": location, "Content-Type": "text/plain"},
            body=b"moved\n",
        )


Handler = Callable[[Request], Reply]


@dataclass
class _Mount:
    prefix: str
    folder: Path
    host: str | None


@dataclass
class _State:
    routes: dict[tuple[str | None, str], Handler] = field(default_factory=dict)
    mounts: list[_Mount] = field(default_factory=list)
    log: list[Request] = field(default_factory=list)
    connections: int = 0
    errors: list[str] = field(default_factory=list)


def _strip_port(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: FixtureServer

    def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
        self.owner._count_connection()
        super().process_request(request, client_address)

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        pass  # clients that hang up or fail a TLS handshake on purpose are not news


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SnapshelfFixture/1"
    timeout = 60  # idle keep-alive connections end eventually
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle plus the
        # client's delayed ACK add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet test output

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    def _handle(self) -> None:
        owner = self.server.owner
        target = self.path
        if "://" in target.split("?", 1)[0]:  # absolute-form, as sent to a proxy
            parts = urllib.parse.urlsplit(target)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            host = parts.hostname or ""
        else:
            host = _strip_port(self.headers.get("Host", ""))
        raw_path, _, query = target.partition("?")
        request = Request(
            method=self.command,
            path=urllib.parse.unquote(raw_path, errors="surrogateescape"),
            query=query,
            headers=self.headers,
            host=host,
            raw_path=raw_path,
        )
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        owner._record(request)
        try:
            reply = owner._dispatch(request)
        except Exception as exc:  # a broken handler must show up in the test, not hang it
            owner._record_error(f"{request.method} {request.host}{request.path}: {exc!r}")
            reply = Reply(500, {"Content-Type": "text/plain"}, f"handler error: {exc!r}\n".encode())
        try:
            self._send(request, reply)
        except (OSError, ssl.SSLError):  # the client went away (broken pipe, reset, ...)
            self.close_connection = True

    def _send(self, request: Request, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        pairs = reply.header_pairs()
        names = {name.lower() for name, _ in pairs}
        body = reply.body
        no_body = request.method == "HEAD" or reply.status in (204, 304) or reply.status < 200
        chunked = False
        self.send_response(reply.status)
        for name, value in pairs:
            self.send_header(name, value)
        if isinstance(body, bytes | bytearray):
            if "content-length" not in names and reply.status not in (204, 304):
                self.send_header("Content-Length", str(len(body)))
        elif "content-length" not in names and not no_body:
            chunked = True
            if "transfer-encoding" not in names:
                self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if no_body:
            return
        if isinstance(body, bytes | bytearray):
            self.wfile.write(body)
            self.wfile.flush()
            return
        for piece in body:
            if reply.chunk_delay:
                time.sleep(reply.chunk_delay)
            if not piece:
                continue
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
            self.wfile.flush()
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()


class FixtureServer:
    """A threaded HTTP/1.1 test server; see the module docstring."""

    def __init__(
        self,
        bind: str = "127.0.0.1",
        *,
        default_host: str = "site.test",
        fallback: Handler | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.bind = bind
        self.ssl_context = ssl_context
        self.default_host = default_host
        self.fallback = fallback
        self._lock = threading.Lock()
        self._state = _State()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> FixtureServer:
        httpd = _HTTPServer((self.bind, 0), _RequestHandler)
        httpd.owner = self
        if self.ssl_context is not None:
            # Handshake lazily, in the connection's own thread, not in accept().
            httpd.socket = self.ssl_context.wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fixture-server-{self.bind}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def scheme(self) -> str:
        return "http" if self.ssl_context is None else "https"

    def url(self, path: str = "/", host: str | None = None) -> str:
        """Absolute URL on this server, e.g. ``http://site.test:PORT/path``."""
        if not path.startswith("/"):
            path = "/" + path
        host = host or self.default_host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}{path}"

    # -- configuration -----------------------------------------------------

    def mount(self, prefix: str, folder: Path | str, host: str | None = None) -> None:
        """Serve files of ``folder`` under URL ``prefix`` (only for ``host`` when given)."""
        prefix = "/" + prefix.strip("/")
        with self._lock:
            self._state.mounts.append(_Mount(prefix, Path(folder).resolve(), _lower(host)))

    def route(self, path: str, handler: Handler, host: str | None = None) -> None:
        """Answer ``path`` with ``handler``; a path ending in "*" matches as a prefix."""
        with self._lock:
            self._state.routes[(_lower(host), path)] = handler

    def reset(self) -> None:
        """Forget routes, mounts and logs (the fallback handler stays)."""
        with self._lock:
            self._state = _State()

    # -- observations ------------------------------------------------------

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(host, path) of every request received since the last reset."""
        with self._lock:
            return [(r.host, r.path) for r in self._state.log]

    @property
    def log(self) -> list[Request]:
        """Full records of the requests received since the last reset."""
        with self._lock:
            return list(self._state.log)

    @property
    def connections(self) -> int:
        """TCP connections accepted since the last reset (even without a request)."""
        with self._lock:
            return self._state.connections

    @property
    def errors(self) -> list[str]:
        """Exceptions raised by route handlers since the last reset."""
        with self._lock:
            return list(self._state.errors)

    def paths(self, host: str | None = None) -> list[str]:
        return [p for h, p in self.requests if host is None or h == host]

    # -- internals ---------------------------------------------------------

    def _count_connection(self) -> None:
        with self._lock:
            self._state.connections += 1

    def _record(self, request: Request) -> None:
        with self._lock:
            self._state.log.append(request)

    def _record_error(self, message: str) -> None:
        with self._lock:
            self._state.errors.append(message)

    def _dispatch(self, request: Request) -> Reply:
        with self._lock:
            routes = dict(self._state.routes)
            mounts = list(self._state.mounts)
        for host in (request.host, None):
            handler = routes.get((host, request.path))
            if handler is not None:
                return handler(request)
        prefixed = sorted(
            ((h, p) for h, p in routes if p.endswith("*")),
            key=lambda hp: (hp[0] is None, -len(hp[1])),
        )
        for host, pattern in prefixed:
            if host in (None, request.host) and request.path.startswith(pattern[:-1]):
                return routes[(host, pattern)](request)
        mounts.sort(key=lambda m: (m.host is None, -len(m.prefix)))
        for mount in mounts:
            if mount.host not in (None, request.host):
                continue
            prefix = mount.prefix.rstrip("/")
            if request.path == prefix or request.path.startswith(prefix + "/"):
                reply = _serve_file(request, request.path[len(prefix) :], mount.folder)
                if reply is not None:
                    return reply
        if self.fallback is not None:
            return self.fallback(request)
        return Reply(404, {"Content-Type": "text/plain"}, b"not found\n")


def _lower(host: str | None) -> str | None:
    return host.lower() if host else None


def _serve_file(request: Request, relative: str, folder: Path) -> Reply | None:
    """A file under ``folder`` for the URL path remainder ``relative``; None when absent."""
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if any(p == ".." or "\x00" in p or "\\" in p for p in parts):
        return Reply(404, {"Content-Type": "text/plain"}, b"not found\n")
    target = folder.joinpath(*parts)
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):
        return None
    if resolved != folder and not resolved.is_relative_to(folder):
        return Reply(404, {"Content-Type": "text/plain"}, b"not found\n")
    if target.is_dir():
        if not request.raw_path.endswith("/"):
            location = request.raw_path + "/" + (f"?{request.query}" if request.query else "")
            return Reply.redirect(location, status=301)
        target = target / "index.html"
    gz = target.with_name(target.name + ".gz")
    if target.is_file():
        data = target.read_bytes()
    elif gz.is_file():
        data = gzip.decompress(gz.read_bytes())
    else:
        return None
    return Reply(200, {"Content-Type": content_type_for(target.name)}, data)


def canary_reply(request: Request) -> Reply:
    """The canary answers anything, so a leak would look like success to the client."""
    return Reply.html("<title>canary</title>canary reached", status=200)


def start_fixture_server() -> FixtureServer:
    return FixtureServer("127.0.0.1", default_host="site.test").start()


def start_canary() -> FixtureServer:
    return FixtureServer(CANARY_ADDRESS, default_host=CANARY_ADDRESS, fallback=canary_reply).start()


def offline_resolver(host: str) -> list[str]:
    """Fallback resolver for tests: unknown names fail, real DNS is never used."""
    from snapshelf import errors

    raise errors.Unresolvable(
        f"test resolver: unknown host {host!r} (tests never use real DNS; "
        f"known names: {', '.join(TEST_HOST_NAMES)})"
    )


def make_test_guard():  # -> snapshelf.net.Guard (imported lazily: this module stays stdlib-only)
    """The guard tests use: fixture server allowed, test names pinned, canary refused."""
    from snapshelf.net import Guard, StaticResolver, parse_allow_list

    resolver = StaticResolver.from_env(TEST_HOSTS, fallback=offline_resolver)
    return Guard(allow=parse_allow_list(TEST_ALLOW), resolver=resolver)
