"""The egress proxy: the headless browser reaches the network only through the guard.

Chromium is started with ``--proxy-server`` pointing here (and ``<-loopback>`` removed
from its bypass list), so every request it makes — page, subresources, fetch/XHR,
iframes, redirects, WebSockets — arrives as either an absolute-form HTTP request or
a ``CONNECT host:port`` tunnel (HTTPS, WSS). Each names a host; the guard resolves it
once and approves one address, and the proxy connects to exactly that address. A
page that points at 127.0.0.1, a private range, or a name that resolves to one gets
a 403 from the proxy and reaches nothing.

One asyncio loop in a daemon thread serves all connections; each upstream request is
sent with ``Connection: close`` so a reused browser connection can never carry a
second request to a host the guard did not judge.

With ``unix_path`` it also listens on a Unix socket: a browser locked in a network
namespace of its own (``capture/sandbox.py``) reaches the proxy only that way.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
import urllib.parse
from dataclasses import dataclass

from snapshelf import errors
from snapshelf.net.guard import Guard

MAX_HEAD = 64 * 1024
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
}


@dataclass(frozen=True)
class Refusal:
    target: str
    reason: str


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _split_host_port(authority: str, default_port: int) -> tuple[str, int]:
    """'example.org:443' / '[::1]:8080' / 'example.org' -> (host, port)."""
    parsed = urllib.parse.urlsplit("//" + authority)
    try:
        port = parsed.port or default_port
    except ValueError as exc:
        raise _Refused(400, f"bad port in {authority!r}") from exc
    if not parsed.hostname:
        raise _Refused(400, f"no host in {authority!r}")
    return parsed.hostname, port


class EgressProxy:
    """An HTTP proxy on 127.0.0.1 that lets through only what the guard approves."""

    def __init__(
        self,
        guard: Guard,
        *,
        connect_timeout: float = 10.0,
        idle_timeout: float = 60.0,
        max_connections: int = 256,
        unix_path: str | None = None,
    ) -> None:
        self.guard = guard
        self.unix_path = unix_path
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.refusals: collections.deque[Refusal] = collections.deque(maxlen=200)
        self._slots = max_connections
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._unix_server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EgressProxy:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._serve, "127.0.0.1", 0, limit=MAX_HEAD)
                )
                self.port = self._server.sockets[0].getsockname()[1]
                if self.unix_path is not None:
                    self._unix_server = loop.run_until_complete(
                        asyncio.start_unix_server(self._serve, self.unix_path, limit=MAX_HEAD)
                    )
            except BaseException as exc:  # noqa: BLE001 - reported to the caller
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="snapshelf-egress-proxy", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or not loop.is_running():
            return

        async def shutdown() -> None:
            for server in (self._server, self._unix_server):
                if server is not None:
                    server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> EgressProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- serving -----------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._slots <= 0:
            writer.close()
            return
        self._slots -= 1
        try:
            await self._handle(reader, writer)
        except _Refused as exc:
            await self._refuse(writer, exc.status, exc.reason)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.LimitOverrunError:
            await self._refuse(writer, 431, "request head too large")
        finally:
            self._slots += 1
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise _Refused(400, "malformed request line") from None
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if line]
        if any(len(h) != 2 for h in headers):
            raise _Refused(400, "malformed header")
        if method.upper() == "CONNECT":
            host, port = _split_host_port(target, 443)
            up_reader, up_writer = await self._open(target, host, port)
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            await self._pipe(reader, writer, up_reader, up_writer)
            return
        parts = urllib.parse.urlsplit(target)
        if parts.scheme.lower() != "http" or not parts.netloc:
            raise _Refused(400, f"only absolute http:// targets are proxied, not {target[:80]!r}")
        try:
            self.guard.parse_url(target)
        except errors.CaptureError as exc:
            self._record(target, str(exc))
            raise _Refused(403, str(exc)) from None
        host, port = _split_host_port(parts.netloc, 80)
        up_reader, up_writer = await self._open(target, host, port)
        up_writer.write(self._upstream_head(method, parts, version, headers))
        await up_writer.drain()
        await self._pipe(reader, writer, up_reader, up_writer)

    async def _open(
        self, target: str, host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        loop = asyncio.get_running_loop()
        try:  # the resolver may block on DNS: keep it off the loop
            address = await loop.run_in_executor(None, self.guard.resolve, host, port)
        except errors.CaptureError as exc:
            self._record(target, str(exc))
            raise _Refused(403, str(exc)) from None
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(address, port), self.connect_timeout
            )
        except (TimeoutError, OSError) as exc:
            raise _Refused(502, f"could not connect to {host}:{port}: {exc}") from None

    @staticmethod
    def _upstream_head(
        method: str, parts: urllib.parse.SplitResult, version: str, headers: list[tuple[str, str]]
    ) -> bytes:
        upgrade = any(
            k.lower() == "connection" and "upgrade" in v.lower() for k, v in headers
        ) and any(k.lower() == "upgrade" for k, v in headers)
        path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        out = [f"{method} {path} {version}"]
        kept = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        if not any(k.lower() == "host" for k, _ in kept):
            kept.insert(0, ("Host", parts.netloc))
        out += [f"{k}: {v}" for k, v in kept]
        out.append("Connection: Upgrade" if upgrade else "Connection: close")
        return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")

    async def _pipe(
        self,
        client_reader: asyncio.StreamReader,
        client_writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await asyncio.wait_for(src.read(65536), self.idle_timeout):
                    dst.write(data)
                    await dst.drain()
            except (TimeoutError, ConnectionError):
                pass
            finally:
                if dst.can_write_eof() and not dst.is_closing():
                    with contextlib.suppress(OSError, RuntimeError):
                        dst.write_eof()

        upload = asyncio.ensure_future(copy(client_reader, up_writer))
        try:
            # The exchange is over when the upstream side ends; a browser keeps its side
            # open for reuse, which must not hold this connection until the idle timeout.
            await copy(up_reader, client_writer)
        finally:
            upload.cancel()
            up_writer.close()

    async def _refuse(self, writer: asyncio.StreamWriter, status: int, reason: str) -> None:
        body = f"Snapshelf egress proxy: {reason}\n".encode()
        phrase = {400: "Bad Request", 403: "Forbidden", 431: "Too Large", 502: "Bad Gateway"}
        try:
            writer.write(
                f"HTTP/1.1 {status} {phrase.get(status, 'Error')}\r\n"
                f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except ConnectionError:
            pass

    def _record(self, target: str, reason: str) -> None:
        self.refusals.append(Refusal(target[:300], reason))
