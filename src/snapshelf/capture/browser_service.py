"""The headless browser service: one Chromium, reused, behind the egress proxy.

Why it looks like this:

* Playwright's async API runs on one dedicated thread with its own asyncio loop;
  callers on any thread submit coroutines with ``run_coroutine_threadsafe`` and
  wait with a deadline, so a hung browser can never wedge a worker thread.
* We start Chromium ourselves (not through Playwright's node driver) in its own
  session/process group with ``PR_SET_PDEATHSIG=SIGKILL``: the browser dies with
  the thread that started it, also when the worker gets SIGKILL, and ``stop()`` /
  restarts kill the whole group. Playwright then attaches over CDP.
* Every request of the browser goes through an :class:`EgressProxy` built from
  the same guard as the HTTP client; loopback is removed from the bypass list and
  non-proxied UDP (WebRTC) is disabled.
* Where user namespaces work (``capture/sandbox.py``), Chromium runs with its own
  sandbox, as an unprivileged user, in a network namespace whose only way out is the
  proxy's Unix socket: the proxy setting is no longer the only thing keeping it in.
  The DevTools connection comes in through a socket we bind here and hand over.
* At most ``max_pages`` pages at once, a fresh context per capture, and the
  browser is relaunched after ``restart_after`` captures or when it died.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from snapshelf.capture import sandbox as sandboxing
from snapshelf.capture.browser_check import browser_available, browser_path
from snapshelf.capture.sandbox import Sandbox
from snapshelf.errors import CaptureError
from snapshelf.net.guard import Guard
from snapshelf.net.proxy import EgressProxy
from snapshelf.procs import die_with_parent

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Headless without a GPU, plus what keeps the browser quiet and inside the proxy.
BASE_ARGS = (
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--password-store=basic",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    # Headless Chromium is the whole browser without a screen: every context opens a
    # window, and each window built its omnibox popup as WebUI pages in renderers of
    # their own (~37% of an empty context's CPU, and ~1 renderer per capture).
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup",
)
#: Only where the sandbox cannot be built (see capture/sandbox.py).
UNSANDBOXED_ARGS = ("--no-sandbox",)
_PR_SET_PDEATHSIG = 1


class BrowserFailed(CaptureError):
    """The browser crashed, hung or could not start: only this capture fails."""

    code = "browser"


# -- process handling -----------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Child side: SIGKILL this process when the thread that started it dies."""
    die_with_parent(signal.SIGKILL)


def kill_group(pgid: int) -> None:
    """SIGKILL a whole process group; quiet when it is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def group_pids(pgid: int) -> list[int]:
    """Processes currently in process group ``pgid`` (from /proc)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[1] == "Z":
            continue  # zombies hold no memory and are reaped by their parent
        if len(fields) > 2 and int(fields[2]) == pgid:
            pids.append(int(entry))
    return pids


_SCRATCH_KINDS = ("browser", "chromium", "net")


def scratch_dir(kind: str, scratch: Path | None) -> Path:
    """A private temporary directory named for its kind and this process: a process
    stopped by SIGKILL (or a worker's SIGTERM) removes nothing, so the next service to
    start removes what dead processes left (`sweep_leftovers`)."""
    assert kind in _SCRATCH_KINDS
    return Path(tempfile.mkdtemp(prefix=f"snapshelf-{kind}-{os.getpid()}-", dir=scratch))


def sweep_leftovers(scratch: Path) -> int:
    """Remove the scratch directories of processes that are gone; return how many."""
    removed = 0
    for entry in scratch.glob("snapshelf-*-*-*"):
        _prefix, kind, pid, *_rest = entry.name.split("-")
        if kind not in _SCRATCH_KINDS or not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += not entry.exists()
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


#: What Chromium inherits of our environment: never the secret key, database or queue URLs.
_ENV_KEPT = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "FONTCONFIG_FILE", "FONTCONFIG_PATH")


def browser_environ() -> dict[str, str]:
    """The environment Chromium starts with: locale, fonts and paths, nothing secret."""
    kept = {k: v for k, v in os.environ.items() if k in _ENV_KEPT or k.startswith("LC_")}
    kept.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    return kept


class _Chromium:
    """One Chromium process group we started and must kill.

    Sandboxed (``proxy_socket`` given), it is started through the sandbox launcher and
    its DevTools port is reached through a listening socket bound here, in our network
    namespace, and handed to the launcher's forwarder.
    """

    def __init__(
        self,
        executable: str,
        args: list[str],
        user_data_dir: Path,
        sandbox: Sandbox,
        proxy_socket: str | None = None,
        scratch: Path | None = None,
    ) -> None:
        self.user_data_dir = user_data_dir
        # Chromium puts its singleton socket in a directory of TMPDIR that it never
        # removes: given one of its own (short: a socket path has a length limit), it is
        # removed with the browser instead of piling up in /tmp.
        self.tmpdir = scratch_dir("chromium", scratch)
        command = [executable, *args, f"--user-data-dir={user_data_dir}", "about:blank"]
        environ = {**browser_environ(), "TMPDIR": str(self.tmpdir)}
        self.devtools: socket.socket | None = None
        pass_fds: tuple[int, ...] = ()
        if sandbox.active:
            assert proxy_socket is not None
            sandboxing.give_to(sandbox, user_data_dir, self.tmpdir)
            environ["HOME"] = str(self.tmpdir)  # the browser's user may own no home
            self.devtools = socket.create_server(("127.0.0.1", 0), backlog=16)
            pass_fds = (self.devtools.fileno(),)
            command = sandboxing.wrap(
                sandbox,
                command,
                proxy_socket=proxy_socket,
                cdp_fd=self.devtools.fileno(),
                user_data_dir=user_data_dir,
            )
        # the launcher's complaints (Chromium's own chatter goes to /dev/null)
        self.log = self.tmpdir / "launcher.log"
        try:
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                    command,
                    env=environ,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log if sandbox.active else subprocess.DEVNULL,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl
                    close_fds=True,
                    pass_fds=pass_fds,
                )
        finally:
            self.devtools_port = self.devtools.getsockname()[1] if self.devtools else None
            if self.devtools is not None:  # the forwarder holds it now
                self.devtools.close()

    @property
    def pgid(self) -> int:
        return self.proc.pid  # start_new_session: leader of its own group

    def alive(self) -> bool:
        return self.proc.poll() is None

    async def endpoint(self, timeout: float) -> str:
        """Wait for Chromium to write DevToolsActivePort; return the CDP http endpoint."""
        marker = self.user_data_dir / "DevToolsActivePort"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.alive():
                raise BrowserFailed(
                    f"Chromium exited at start (status {self.proc.returncode})" + self._last_words()
                )
            with contextlib.suppress(OSError, ValueError):
                lines = marker.read_text().split()
                if lines:
                    return f"http://127.0.0.1:{self.devtools_port or int(lines[0])}"
            await asyncio.sleep(0.05)
        raise BrowserFailed("Chromium did not open its DevTools port in time")

    def _last_words(self) -> str:
        """What the sandbox launcher said before it exited, if anything."""
        with contextlib.suppress(OSError):
            text = self.log.read_text("utf-8", "replace")[-2000:].strip()
            lines = [line for line in text.splitlines() if line.startswith("sandbox:")]
            return f": {lines[-1]}" if lines else ""
        return ""

    def kill(self) -> None:
        kill_group(self.pgid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        shutil.rmtree(self.user_data_dir, ignore_errors=True)
        shutil.rmtree(self.tmpdir, ignore_errors=True)


# -- the service ------------------------------------------------------------------


class BrowserService:
    """A shared headless Chromium; see the module docstring. Thread-safe."""

    def __init__(
        self,
        executable: str | None = None,
        *,
        guard: Guard | None = None,
        max_pages: int = 4,
        restart_after: int = 100,
        profile_root: str | os.PathLike[str] | None = None,
        launch_timeout: float = 20.0,
        grace: float = 30.0,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.executable = executable
        self.guard = guard
        self.sandbox = sandbox  # None: detected at start
        self.max_pages = max_pages
        self.restart_after = restart_after
        self.launch_timeout = launch_timeout
        self.grace = grace  # seconds past a capture's deadline before the browser counts as hung
        # None: a fresh directory, made at start where the browser's user can reach it
        self.profile_root = Path(profile_root).resolve() if profile_root else None
        self._scratch: Path | None = None
        self.launches = 0
        self.proxy: EgressProxy | None = None
        self._net_dir: Path | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._pw: Any = None
        self._chromium: _Chromium | None = None
        self._browser: Any = None
        self._broken = False
        self._active = 0
        self._served = 0  # captures by the current browser
        self._cond: asyncio.Condition | None = None
        self._slots: asyncio.Semaphore | None = None

    # -- lifecycle (any thread) -----------------------------------------------------

    def start(self) -> BrowserService:
        """Start the loop thread, the proxy and Playwright (Chromium starts lazily)."""
        with self._start_lock:
            if self._loop is not None:
                return self
            if self.executable is None:
                self.executable = browser_path()
                if self.executable is None:
                    raise BrowserFailed(browser_available()[1])
            self.guard = self.guard or Guard.from_env()
            self.sandbox = self.sandbox or sandboxing.detect()
            log.info("browser capture: %s", self.sandbox.describe())
            try:
                self._scratch = sandboxing.scratch_root(self.sandbox)
            except OSError as exc:
                raise BrowserFailed(str(exc)) from None
            sweep_leftovers(self._scratch)
            if self.profile_root is None:
                self.profile_root = scratch_dir("browser", self._scratch)
            self.profile_root.mkdir(parents=True, exist_ok=True)
            unix_path = None
            if self.sandbox.active:
                unix_path = str(self._prepare_sandbox_root())
            self.proxy = EgressProxy(self.guard, unix_path=unix_path).start()
            if unix_path is not None:
                sandboxing.give_to(self.sandbox, Path(unix_path))
            ready = threading.Event()
            loop = asyncio.new_event_loop()

            def run() -> None:
                asyncio.set_event_loop(loop)
                ready.set()
                loop.run_forever()

            self._thread = threading.Thread(target=run, name="snapshelf-browser", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
            try:
                self._call(self._astart(), 60)
            except BaseException:
                self.stop()
                raise
            return self

    def _prepare_sandbox_root(self) -> Path:
        """Let the browser's user reach its directories; where the proxy socket goes."""
        assert self.sandbox is not None
        assert self.profile_root is not None
        if self.sandbox.uid is not None:
            # only traversal for others: the names inside are random
            self.profile_root.chmod(0o711)
            blocked = sandboxing.unreachable_ancestor(
                self.profile_root, self.sandbox.uid, self.sandbox.gid
            )
            if blocked is not None:
                raise BrowserFailed(
                    f"the browser's user (uid {self.sandbox.uid}) cannot enter {blocked}, "
                    f"so it cannot use {self.profile_root}: use a directory it can reach"
                )
        # a socket's path has a length limit: a short directory of its own in TMPDIR
        self._net_dir = scratch_dir("net", self._scratch)
        sandboxing.give_to(self.sandbox, self._net_dir)
        return self._net_dir / "proxy.sock"

    def stop(self) -> None:
        """Close the browser (killing its process group), Playwright, the proxy, the loop."""
        loop = self._loop
        if loop is not None and loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._astop(), loop).result(30)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(10)
        if self._chromium is not None:  # the loop was wedged: kill anyway
            self._chromium.kill()
            self._chromium = None
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        self._loop = None
        if self.profile_root is not None:
            shutil.rmtree(self.profile_root, ignore_errors=True)
        if self._net_dir is not None:
            shutil.rmtree(self._net_dir, ignore_errors=True)
            self._net_dir = None

    def __enter__(self) -> BrowserService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pgid(self) -> int | None:
        """Process group of the current Chromium (None when none runs)."""
        chromium = self._chromium
        return chromium.pgid if chromium is not None and chromium.alive() else None

    def run(self, make: Callable[[Any], Awaitable[T]], timeout: float) -> T:
        """Run ``make(page_session)`` on the browser loop; BrowserFailed after ``timeout``.

        ``make`` receives :meth:`session` (an async context manager factory giving a
        fresh context) and returns the coroutine to run.
        """
        if self._loop is None:
            self.start()
        return self._call(make(self.session), timeout)

    def _call(self, coro: Awaitable[T], timeout: float) -> T:
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self._loop.call_soon_threadsafe(self.mark_broken)
            raise BrowserFailed(f"the browser did not answer within {timeout:.0f} s") from None

    # -- on the loop ------------------------------------------------------------------

    def mark_broken(self) -> None:
        """Have the next capture relaunch the browser (call on the loop, or it races)."""
        self._broken = True

    async def _astart(self) -> None:
        from playwright.async_api import async_playwright

        self._cond = asyncio.Condition()
        self._slots = asyncio.Semaphore(self.max_pages)
        self._pw = await async_playwright().start()

    async def _astop(self) -> None:
        await self._close_browser()
        if self._pw is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pw.stop(), 10)
            self._pw = None

    def _needs_launch(self) -> bool:
        if self._browser is None or self._chromium is None:
            return True
        return (
            self._broken
            or not self._chromium.alive()
            or not self._browser.is_connected()
            or self._served >= self.restart_after
        )

    async def _launch(self) -> None:
        assert self.proxy is not None
        assert self.executable is not None
        self.launches += 1
        profile = Path(tempfile.mkdtemp(prefix=f"run{self.launches}-", dir=self.profile_root))
        assert self.sandbox is not None
        chromium = _Chromium(
            self.executable,
            self._browser_args(),
            profile,
            self.sandbox,
            proxy_socket=self.proxy.unix_path,
            scratch=self._scratch,
        )
        self._chromium = chromium
        try:
            endpoint = await chromium.endpoint(self.launch_timeout)
            self._browser = await asyncio.wait_for(
                self._pw.chromium.connect_over_cdp(endpoint), self.launch_timeout
            )
        except BaseException as exc:
            await self._close_browser()
            if isinstance(exc, BrowserFailed):
                raise
            raise BrowserFailed(f"could not start Chromium: {exc}") from exc
        self._broken = False
        self._served = 0

    def _browser_args(self) -> list[str]:
        """Chromium's flags: the proxy as the browser reaches it, its sandbox on or off."""
        assert self.proxy is not None
        assert self.sandbox is not None
        if self.sandbox.active:
            mode, proxy = [], sandboxing.INNER_PROXY_URL
        else:
            mode, proxy = list(UNSANDBOXED_ARGS), self.proxy.url
        return [*BASE_ARGS, *mode, f"--proxy-server={proxy}", "--proxy-bypass-list=<-loopback>"]

    async def _close_browser(self) -> None:
        browser, chromium = self._browser, self._chromium
        self._browser = self._chromium = None
        if browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), 5)
        if chromium is not None:
            try:
                await asyncio.get_running_loop().run_in_executor(None, chromium.kill)
            except RuntimeError:  # at interpreter exit (atexit) no executor thread starts:
                chromium.kill()  # kill here, or its directories outlive the process

    @contextlib.asynccontextmanager
    async def session(self, **context_options: Any) -> AsyncIterator[Any]:
        """A fresh browser context on a healthy browser, within the page limit."""
        assert self._slots is not None
        assert self._cond is not None
        async with self._slots:
            async with self._cond:
                if self._needs_launch():
                    await self._cond.wait_for(lambda: self._active == 0)
                    if self._needs_launch():
                        await self._close_browser()
                        await self._launch()
                self._active += 1
                self._served += 1
                browser = self._browser
            context = None
            try:
                try:
                    context = await asyncio.wait_for(browser.new_context(**context_options), 15)
                except Exception as exc:
                    self._broken = True
                    raise BrowserFailed(f"the browser refused a new context: {exc}") from exc
                yield context
            finally:
                await self._close_context(context)
                async with self._cond:
                    self._active -= 1
                    self._cond.notify_all()

    async def _close_context(self, context: Any) -> None:
        if context is None:
            return
        try:
            await asyncio.wait_for(context.close(), 10)
        except Exception:  # noqa: BLE001 - a context that will not close means a sick browser
            self._broken = True

    def browser_died(self) -> bool:
        """Whether the current browser is gone (crashed, killed or disconnected)."""
        chromium, browser = self._chromium, self._browser
        if chromium is None or browser is None:
            return True
        return not chromium.alive() or not browser.is_connected()
