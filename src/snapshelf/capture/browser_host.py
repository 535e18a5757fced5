"""One Chromium for all the capture processes of a `snapshelf worker` (issue 25).

Each worker process used to start its own browser the first time a page needed one:
about 2 s of CPU per launch and a few hundred MB each, paid again by every process.
`snapshelf worker` now forks one more process before its capture processes, the host,
which owns the one :class:`BrowserService` (proxy, sandbox, page limit, restarts) and
renders pages for the others. They reach it over a Unix socket in a private directory,
through ``multiprocessing.connection`` with a random key: its HMAC handshake means no
other local process can hand the host a pickle.

A capture process whose host is gone (it died, or answered nonsense) renders that page
and every later one in a browser of its own, as before the host
(jobs/capture.py: _capture_browser).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener

from snapshelf import errors
from snapshelf.capture.browser import Rendered, render
from snapshelf.capture.browser_service import BrowserFailed, BrowserService
from snapshelf.capture.static import Limits
from snapshelf.net.guard import Guard
from snapshelf.procs import die_with_parent

log = logging.getLogger(__name__)

#: Seconds a client waits past the capture's deadline (the host's browser grace is 30 s).
ANSWER_SLACK = 45.0


class HostGone(BrowserFailed):
    """The host could not be reached or stopped answering: this process goes it alone."""


@dataclass(frozen=True)
class Address:
    path: str
    authkey: bytes


_address: Address | None = None  # set in the worker before it forks its capture processes


def start(pages: int) -> None:
    """Fork the host, rendering up to `pages` pages at once. Call before forking the
    capture processes, which inherit where to find it (`hosted`)."""
    global _address
    directory = tempfile.mkdtemp(prefix="snapshelf-host-")  # 0700: ours alone
    address = Address(os.path.join(directory, "browser.sock"), os.urandom(32))
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the host process (tested through `snapshelf worker`)
        os.close(ready_r)
        # SIGTERM rather than SIGKILL when the worker goes: the browser is closed and its
        # profile removed on the way out
        die_with_parent(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _exit_quietly)
        # Ctrl-C reaches the whole process group: the worker finishes its running
        # captures, which may still need the browser; the host goes when the worker does
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        code = 1
        try:
            listener = Listener(address.path, family="AF_UNIX", authkey=address.authkey)
            os.write(ready_w, b"1")
            os.close(ready_w)
            serve(listener, pages)
            code = 0
        except SystemExit:
            code = 0
        except Exception:
            log.exception("the browser host stopped")
        finally:
            shutil.rmtree(directory, ignore_errors=True)
            os._exit(code)
    os.close(ready_w)
    with os.fdopen(ready_r, "rb") as ready:
        # the host writes one byte once it listens; EOF without it: it could not
        answered = ready.read(1)
    if not answered:
        raise BrowserFailed("the browser host did not start")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    _address = address


def hosted(guard: Guard) -> HostedBrowser | None:
    """A client of this worker's host, or None when there is none."""
    return HostedBrowser(_address, guard) if _address is not None else None


class HostedBrowser:
    """Renders through the host; `render` in capture/browser.py calls it."""

    def __init__(self, address: Address, guard: Guard) -> None:
        self.address = address
        self.guard = guard  # the capture process checks the top-level URL itself first
        self.gone = False

    def render(self, url: str, limits: Limits, *, artefacts: bool = True) -> Rendered:
        try:
            conn = Client(self.address.path, family="AF_UNIX", authkey=self.address.authkey)
        except (OSError, EOFError, AuthenticationError) as exc:
            self.gone = True
            raise HostGone(f"the browser host is gone: {exc}") from exc
        with conn:
            try:
                conn.send((url, limits, artefacts))
                wait = limits.deadline + ANSWER_SLACK
                if not conn.poll(wait):
                    raise BrowserFailed(f"the browser host did not answer within {wait:.0f} s")
                kind, value = conn.recv()
            except (OSError, EOFError) as exc:
                self.gone = True
                raise HostGone(f"the browser host stopped answering: {exc}") from exc
        if kind == "ok" and isinstance(value, Rendered):
            return value
        error = unwire(value) if kind == "error" else HostGone(f"the host answered {kind!r}")
        self.gone = isinstance(error, HostGone)
        raise error


# -- the host's side --------------------------------------------------------------------


def serve(listener: Listener, pages: int) -> None:
    """Answer render requests until killed: one thread per connection, one browser."""
    from snapshelf.capture.browser_check import browser_path

    # a page for each capture process, as when each had a browser of its own: one
    # waiting for a slot would spend its deadline waiting
    service = BrowserService(browser_path(), max_pages=max(pages, 1))

    try:
        while True:
            try:
                conn = listener.accept()
            except (OSError, EOFError, AuthenticationError) as exc:
                log.warning("browser host: refused a connection: %s", exc)
                continue
            threading.Thread(target=answer, args=(conn, service), daemon=True).start()
    finally:
        service.stop()


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def answer(conn: Connection, service: BrowserService) -> None:
    """One request: render, send back the page or the error."""
    with conn:
        try:
            url, limits, artefacts = conn.recv()
        except (OSError, EOFError, ValueError, TypeError):
            return
        try:
            # the service starts with the first request (start() returns once it has)
            rendered = render(url, limits, service=service.start(), artefacts=artefacts)
            reply: tuple[str, object] = ("ok", rendered)
        except errors.CaptureError as exc:
            reply = ("error", wire(exc))
        except Exception as exc:  # noqa: BLE001 - the capture process gets a message, not a trace
            log.exception("browser host: rendering %s failed", url)
            reply = ("error", wire(BrowserFailed(f"the browser host failed: {exc}")))
        try:
            conn.send(reply)
        except OSError:
            return  # the capture process gave up waiting
        except Exception as exc:  # noqa: BLE001 - an error with an attribute pickle refuses
            conn.send(("error", wire(BrowserFailed(f"the browser host failed: {exc}"))))


def wire(exc: errors.CaptureError) -> tuple[str, str, str, dict]:
    """A capture error as plain data: pickling one loses keyword arguments (code, status)."""
    cls = type(exc)
    return cls.__module__, cls.__qualname__, str(exc), dict(vars(exc))


def unwire(value: object) -> errors.CaptureError:
    """The error the host sent, as the same class when it is a capture error we know."""
    try:
        module, name, message, attrs = value  # type: ignore[misc]
        if not module.startswith("snapshelf."):
            raise TypeError(module)
        cls = getattr(__import__(module, fromlist=[name]), name)
        if not issubclass(cls, errors.CaptureError):
            raise TypeError(name)
    except (TypeError, ValueError, ImportError, AttributeError):
        return HostGone(f"the browser host answered an unknown error: {value!r:.200}")
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(attrs)
    return exc
