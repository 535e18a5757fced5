"""The HTTP client every capture uses: guarded, deadline-bound, byte-capped.

Built on an httpcore connection pool whose network backend asks the
:class:`~snapshelf.net.guard.Guard` for the address of every new connection and
connects to that address only. httpcore still uses the URL's host name for the
Host header, TLS SNI and certificate checks, so virtual hosts and HTTPS work
while DNS rebinding cannot switch the destination after the check.

Redirects are followed here, one hop at a time, each hop re-checked. Bodies are
decoded here too, so the byte cap applies to decoded bytes and a compression
bomb stops at the cap.
"""

from __future__ import annotations

import importlib.metadata
import ssl
import threading
import time
import typing
from dataclasses import dataclass, field

import httpcore
import httpx

from snapshelf import errors
from snapshelf.net.deadline import Deadline
from snapshelf.net.decode import BodyDecoder
from snapshelf.net.guard import Guard

try:
    _VERSION = importlib.metadata.version("snapshelf")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    _VERSION = "0"

DEFAULT_USER_AGENT = (
    f"Mozilla/5.0 (compatible; Snapshelf/{_VERSION}; self-hosted link archiver) "
    "AppleWebKit/537.36 (KHTML, like Gecko)"
)
DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Headers the fetcher owns; callers cannot override them.
_RESERVED_HEADERS = frozenset(
    {"host", "accept-encoding", "content-length", "transfer-encoding", "connection", "te"}
)
# Headers not carried to another origin when a redirect leaves the original one.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
# Read at most this much of a redirect's body to keep its connection reusable.
_REDIRECT_DRAIN_LIMIT = 64 * 1024

# The deadline of the fetch running on this thread. Network reads and writes
# clamp their socket timeout to it, so no single read can outlive the deadline.
_current = threading.local()


_ssl_lock = threading.Lock()
_ssl_default: ssl.SSLContext | None = None


def default_ssl_context() -> ssl.SSLContext:
    """The verifying TLS context shared by all fetchers (building one costs ~100 ms)."""
    global _ssl_default
    with _ssl_lock:
        if _ssl_default is None:
            _ssl_default = httpx.create_ssl_context()
        return _ssl_default


def _clamp(timeout: float | None, exc_class: type[Exception]) -> float | None:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is None:
        return timeout
    remaining = deadline.remaining()
    if remaining <= 0:
        raise exc_class("deadline reached")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """Wraps a socket stream so every read/write waits no longer than the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore network backend that connects only to addresses the guard approved."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        address = self._resolve(host, port)  # resolves once; raises errors.Blocked
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)

    def _resolve(self, host: str, port: int) -> str:
        """guard.resolve, but giving up at the deadline (getaddrinfo cannot be interrupted,
        so a slow lookup finishes in a daemon thread and its answer is dropped)."""
        deadline: Deadline | None = getattr(_current, "deadline", None)
        if deadline is None:
            return self.guard.resolve(host, port)
        outcome: list[typing.Any] = []
        done = threading.Event()

        def work() -> None:
            try:
                outcome.append(self.guard.resolve(host, port))
            except BaseException as exc:  # handed to the waiting thread
                outcome.append(exc)
            finally:
                done.set()

        threading.Thread(target=work, name=f"resolve {host}", daemon=True).start()
        if not done.wait(deadline.remaining()):
            raise httpcore.ConnectTimeout(f"resolving {host} did not finish in time")
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise errors.Blocked("connections to unix sockets are not allowed")


@dataclass
class Response:
    """A fetched response. ``content`` is the decoded body (Content-Encoding removed);
    ``headers`` are as received. ``redirects`` lists the URLs that answered with a
    redirect, in order (so ``redirects[0]`` is the requested URL when non-empty)."""

    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    content: bytes
    redirects: list[str] = field(default_factory=list)
    elapsed: float = 0.0


def _header_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


class Fetcher:
    """Thread-safe HTTP GET client that applies the egress guard to every connection.

    One instance can be shared by many threads (connections are pooled per host
    name) or created per capture; nothing (no cookies, no auth) is kept between
    fetch calls except idle keep-alive connections.
    """

    def __init__(
        self,
        guard: Guard,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        max_redirects: int = 10,
        max_connections: int = 32,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.guard = guard
        self.user_agent = user_agent
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_redirects = max_redirects
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context if ssl_context is not None else default_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=GuardedBackend(guard),
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections."""
        self._pool.close()

    def fetch(
        self,
        url: str,
        *,
        deadline: Deadline,
        max_bytes: int,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """GET ``url`` following redirects; return the response whatever its status.

        Raises errors.Blocked, InvalidURL, Timeout, TooLarge, TooManyRedirects,
        ConnectionFailed or Unsupported (unknown content-encoding).
        """
        started = time.monotonic()
        previous = getattr(_current, "deadline", None)
        _current.deadline = deadline
        try:
            return self._fetch(url, deadline, max_bytes, dict(headers or {}), started)
        finally:
            _current.deadline = previous

    def _fetch(
        self,
        url: str,
        deadline: Deadline,
        max_bytes: int,
        extra_headers: dict[str, str],
        started: float,
    ) -> Response:
        current = self.guard.parse_url(url)
        redirects: list[str] = []
        while True:
            deadline.check()
            try:
                response = self._send(current, deadline, extra_headers)
                try:
                    location = self._location(response)
                    if location is None:
                        content = self._read_body(current, response, deadline, max_bytes)
                    else:
                        self._drain(response)
                finally:
                    response.close()
            except httpcore.TimeoutException as exc:
                raise self._timeout(current, deadline, exc) from None
            except httpcore.ConnectError as exc:
                raise errors.ConnectionFailed(
                    f"could not connect to {current.host}: {exc or type(exc).__name__}"
                ) from None
            except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
                raise errors.ConnectionFailed(
                    f"connection to {current.host} failed: {exc or type(exc).__name__}"
                ) from None
            except httpcore.UnsupportedProtocol as exc:
                raise errors.InvalidURL(f"cannot fetch {current}: {exc}") from None

            if location is None:
                return Response(
                    url=url,
                    final_url=str(current),
                    status=response.status,
                    headers=httpx.Headers(response.headers),
                    content=content,
                    redirects=redirects,
                    elapsed=time.monotonic() - started,
                )

            if len(redirects) >= self.max_redirects:
                raise errors.TooManyRedirects(
                    f"{url} redirected more than {self.max_redirects} times (last hop: {current})"
                )
            try:
                target = current.join(location).copy_with(fragment=None)
            except (httpx.InvalidURL, ValueError) as exc:
                raise errors.InvalidURL(
                    f"{current} redirects to an invalid URL {location!r} ({exc})"
                ) from None
            try:  # scheme, credentials, port and numeric hosts are re-checked on every hop
                following = self.guard.parse_url(target)
            except errors.CaptureError as exc:
                raise type(exc)(f"{current} redirects to {target}: {exc}") from None
            if _origin(following) != _origin(current):
                extra_headers = {
                    k: v for k, v in extra_headers.items() if k.lower() not in _CREDENTIAL_HEADERS
                }
            redirects.append(str(current))
            current = following

    def _send(
        self, url: httpx.URL, deadline: Deadline, extra_headers: dict[str, str]
    ) -> httpcore.Response:
        remaining = deadline.remaining()
        if remaining <= 0:
            deadline.check()
        timeouts = {
            "connect": min(self.connect_timeout, remaining),
            "read": min(self.read_timeout, remaining),
            "write": min(self.read_timeout, remaining),
            "pool": remaining,
        }
        # Our defaults, then the caller's headers (they may replace User-Agent or
        # Accept), then the ones we own: Host and the only encodings we can decode.
        merged: dict[str, tuple[str, str]] = {
            "user-agent": ("User-Agent", self.user_agent),
            "accept": ("Accept", DEFAULT_ACCEPT),
        }
        for name, value in extra_headers.items():
            if name.lower() not in _RESERVED_HEADERS:
                merged[name.lower()] = (name, value)
        headers = [(b"Host", url.netloc)]
        headers += [
            (k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in merged.values()
        ]
        headers.append((b"Accept-Encoding", b"gzip, deflate"))
        request = httpcore.Request(
            b"GET",
            httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=headers,
            extensions={"timeout": timeouts},
        )
        return self._pool.handle_request(request)

    @staticmethod
    def _location(response: httpcore.Response) -> str | None:
        if response.status not in REDIRECT_STATUSES:
            return None
        for name, value in response.headers:
            if name.lower() == b"location":
                text = _header_text(value).strip()
                return text or None
        return None

    @staticmethod
    def _drain(response: httpcore.Response) -> None:
        """Read a little of a redirect body so the connection can be reused."""
        seen = 0
        for chunk in response.iter_stream():
            seen += len(chunk)
            if seen > _REDIRECT_DRAIN_LIMIT:
                break

    @staticmethod
    def _read_body(
        url: httpx.URL, response: httpcore.Response, deadline: Deadline, max_bytes: int
    ) -> bytes:
        headers = httpx.Headers(response.headers)
        decoder = BodyDecoder(headers.get_list("content-encoding", split_commas=True))
        if decoder.identity:
            length = headers.get("content-length", "").strip()
            if length.isdigit() and int(length) > max_bytes:
                raise errors.TooLarge(
                    f"{url} is {int(length)} bytes, more than the {max_bytes}-byte limit"
                )
        body = bytearray()

        def take(pieces: typing.Iterable[bytes]) -> None:
            for piece in pieces:
                if len(body) + len(piece) > max_bytes:
                    raise errors.TooLarge(
                        f"{url} is larger than the {max_bytes}-byte limit (decoded)"
                    )
                body.extend(piece)

        for raw in response.iter_stream():
            deadline.check()
            take(decoder.feed(raw))
        take(decoder.flush())
        return bytes(body)

    def _timeout(self, url: httpx.URL, deadline: Deadline, exc: Exception) -> errors.Timeout:
        if deadline.expired():
            return errors.Timeout(
                f"gave up on {url}: the {deadline.seconds:g} s time budget ran out"
            )
        what = {
            httpcore.ConnectTimeout: "connecting to",
            httpcore.PoolTimeout: "waiting for a free connection to",
            httpcore.WriteTimeout: "sending to",
        }.get(type(exc), "waiting for data from")
        return errors.Timeout(f"timed out {what} {url.host}")
