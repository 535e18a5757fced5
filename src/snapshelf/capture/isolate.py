"""Parse and extract hostile pages in helper processes with CPU-time and memory limits.

Why: parsing, rewriting and extraction run on the page's bytes with no deadline of their
own, and some inputs are quadratic or explode in memory (10^5 attributes on one element,
megabytes of links). In the worker's own process one such page would stall the worker,
and a retry or an expired lease would hand it to the next one. Here the work runs in a
helper process with RLIMIT_CPU (the kernel stops it, however busy it is in C code) and
RLIMIT_AS (allocations fail with MemoryError), plus a wall-clock backstop; a helper that
breaks a limit or dies is replaced and the capture fails as `too_complex`, never retried.

Helpers are persistent (a fresh interpreter costs ~0.4 s of CPU to import the parsers):
a capture checks one out for the whole capture (a :class:`Session`, which keeps state,
such as a parsed tree, between its calls), and gives it back for the next capture; a
helper is replaced after `SESSIONS_PER_HELPER` captures or when it grew large. Helpers
are plain subprocesses (``python -m snapshelf.capture.isolate``), not multiprocessing
children: Huey's process workers are daemonic and may not have those. They die with the
thread that started them (PR_SET_PDEATHSIG), so a SIGKILLed worker leaves none behind.

What crosses the pipe is pickled: functions by reference (module-level, importable with
the parent's sys.path) and plain data.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from snapshelf.errors import CaptureError, TooComplex

log = logging.getLogger(__name__)

#: Captures one helper serves before it is replaced (its heap only grows).
SESSIONS_PER_HELPER = 200
#: Idle helpers kept for the next captures; more are stopped when given back.
MAX_IDLE = 8
#: A helper given back with more resident memory than this is replaced.
MAX_IDLE_RSS = 400 * 2**20


@dataclass(frozen=True)
class Budget:
    """What one capture's parsing and extraction may use, in all of its calls."""

    cpu_seconds: float = 30.0
    #: address space the helper may add to what it holds when idle (0: no limit)
    memory_bytes: int = 1024 * 2**20

    @property
    def wall_seconds(self) -> float:
        """Backstop for a helper that stops answering without using CPU (it should not
        happen): generous, because on a loaded machine CPU seconds take longer."""
        return self.cpu_seconds * 3 + 30


# -- the helper's side ------------------------------------------------------------------


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _vm_size() -> int:
    """This process's virtual address space in bytes (what RLIMIT_AS counts)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _limit_cpu(seconds: float) -> None:
    """SIGXCPU (which ends the process) once it has used `seconds` more of CPU time."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(_cpu_seconds() + seconds)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _warm_up() -> None:
    """Import the parsers and run a tiny page through them while the helper is idle, so
    the first capture it serves does not pay for it."""
    with contextlib.suppress(Exception):
        from snapshelf.capture.static import read_document

        words = b"<p>" + b"Warm words for the parsers to read. " * 20 + b"</p>"
        page = (
            b"<html><head><title>Warm</title></head><body><article><h1>Warm</h1>%s</article></body></html>"
            % (words * 4)
        )
        read_document(page, "text/html", "utf-8", "http://warm.test/", "http://warm.test/", 200)


def _serve(conn: Connection) -> None:
    """Answer calls until the parent goes away; exit after a MemoryError (the heap is
    fragmented and the state half-built: a fresh helper is cheaper to trust).

    Each answer is (kind, value, detail, CPU seconds used): ("ok", result, None, s),
    ("raise", exception, traceback text, s), ("memory", ...) or ("crash", why, ...)."""
    state: dict[str, Any] = {}
    session = None
    while True:
        try:
            session_id, cpu_budget, func, args = conn.recv()
        except (EOFError, OSError):
            return
        if session_id != session:  # a new capture: nothing of the previous one is kept
            state = {}
            session = session_id
            _limit_cpu(cpu_budget)
        started = _cpu_seconds()
        try:
            message: tuple = ("ok", func(state, *args), None)
        except MemoryError:
            state = {}
            message = ("memory", None, None)
        except Exception as exc:  # raised again in the parent, as it would have been in-process
            message = ("raise", exc, traceback.format_exc(limit=-8))
        used = _cpu_seconds() - started
        try:
            conn.send((*message, used))
        except MemoryError:
            conn.send(("memory", None, None, used))
            return
        except Exception as exc:  # noqa: BLE001 - a result or exception that cannot travel
            why = f"{type(message[1]).__name__}: {message[1]}" if message[0] == "raise" else ""
            conn.send(("crash", why or f"the result could not be sent back: {exc}", None, used))
        if message[0] == "memory":
            return


def _main(fd: int) -> None:
    from snapshelf.procs import die_with_parent

    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU must not write a core file
    logging.basicConfig(level=logging.ERROR)
    conn = Connection(fd)
    sys_path, memory_bytes = conn.recv()
    sys.path[:] = sys_path
    _warm_up()
    if memory_bytes:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = _vm_size() + memory_bytes
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    _serve(conn)


# -- the parent's side ------------------------------------------------------------------


def _helper_environment() -> dict[str, str]:
    """What a helper needs of the environment: not the instance's secrets (database URL,
    secret key, S3 credentials): it reads hostile bytes and needs none of them."""
    return {
        k: v
        for k, v in os.environ.items()
        if k in ("PATH", "HOME", "LANG", "TMPDIR", "TZ") or k.startswith(("LC_", "PYTHON"))
    }


class _Helper:
    """One helper process and our end of its pipe."""

    def __init__(self, memory_bytes: int) -> None:
        self.memory_bytes = memory_bytes
        self.sessions = 0
        ours, theirs = socket.socketpair()
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "snapshelf.capture.isolate", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                env=_helper_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send((list(sys.path), memory_bytes))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()  # an idle helper exits at EOF
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)

    def exit_reason(self) -> str:
        """Why the helper ended, in words (after it did)."""
        try:
            status = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.stop()
            status = self.proc.returncode
        if status == -signal.SIGXCPU:
            return "its CPU-time limit was reached"
        if status == -signal.SIGKILL:
            return "it was killed (out of memory?)"
        if status is not None and status < 0:
            return f"it crashed ({signal.Signals(-status).name})"
        return f"it exited with status {status}"


class _Pool:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: list[_Helper] = []

    def checkout(self, memory_bytes: int) -> _Helper:
        with self.lock:
            while self.idle:
                helper = self.idle.pop()
                if helper.alive() and helper.memory_bytes == memory_bytes:
                    return helper
                helper.stop()
        return _Helper(memory_bytes)

    def checkin(self, helper: _Helper) -> None:
        keep = (
            helper.alive() and helper.sessions < SESSIONS_PER_HELPER and helper.rss() < MAX_IDLE_RSS
        )
        with self.lock:
            if keep and len(self.idle) < MAX_IDLE:
                self.idle.append(helper)
                return
        helper.stop()

    def stop_all(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for helper in idle:
            helper.stop()


_pool = _Pool()
_sessions = itertools.count(1)


def stop_helpers() -> None:
    """Stop the idle helpers (they also exit on their own when this process does)."""
    _pool.stop_all()


def _plain(state: dict, func: Callable[..., Any], args: tuple, kwargs: dict, then: str) -> Any:
    """`func(*args, **kwargs)`, then the result's method `then` (if named): lets a caller run
    a plain library function in a helper and get back only what it needs."""
    result = func(*args, **kwargs)
    return getattr(result, then)() if then else result


class Session:
    """One capture's helper: calls share its state and its budget; see the module docstring.

    Use as a context manager; entering checks out (or starts) a helper, so entering before
    the network work lets a new helper start while the page downloads."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.id = next(_sessions)
        self.helper: _Helper | None = None
        self.waited = 0.0
        #: CPU seconds the helper used for this session's calls
        self.cpu = 0.0

    def __enter__(self) -> Session:
        self.helper = _pool.checkout(self.budget.memory_bytes)
        return self

    def __exit__(self, *exc_info: object) -> None:
        helper, self.helper = self.helper, None
        if helper is not None:
            helper.sessions += 1
            _pool.checkin(helper)

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        """`func(state, *args)` in the helper; its result, or its exception raised here.

        Raises TooComplex when the helper breaks a limit or dies."""
        helper = self.helper
        if helper is None:
            raise RuntimeError("Session.call outside its `with` block")
        if not helper.alive():  # e.g. the thread that started it is gone: start another
            helper.stop()
            helper = self.helper = _Helper(self.budget.memory_bytes)
        try:
            helper.conn.send((self.id, self.budget.cpu_seconds, func, args))
            kind, value, detail, used = self._receive(helper)
        except (EOFError, OSError):
            self.helper = None
            raise TooComplex(
                f"parsing the page was stopped: {helper.exit_reason()} "
                f"(limits: {self.budget.cpu_seconds:g} s of CPU, "
                f"{self.budget.memory_bytes // 2**20} MB of memory)"
            ) from None
        self.cpu += used
        if kind == "ok":
            return value
        if kind == "memory":
            helper.stop()
            self.helper = None
            raise TooComplex(
                "parsing the page needed more than its memory limit "
                f"({self.budget.memory_bytes // 2**20} MB)"
            )
        if kind == "raise":
            log.debug("in the parse helper:\n%s", detail)
            raise value
        raise CaptureError(f"parsing the page failed: {value}", code="internal")

    def call_plain(
        self, func: Callable[..., Any], *args: Any, then: str = "", **kwargs: Any
    ) -> Any:
        """Like :meth:`call` for a function that takes no state (importable in a helper
        without Django); `then` names a method of its result to call there."""
        return self.call(_plain, func, args, kwargs, then)

    def _receive(self, helper: _Helper) -> tuple:
        remaining = self.budget.wall_seconds - self.waited
        start = time.monotonic()
        try:
            while not helper.conn.poll(max(0.0, min(remaining, 1.0))):
                remaining = self.budget.wall_seconds - self.waited - (time.monotonic() - start)
                if remaining <= 0:
                    helper.stop()
                    self.helper = None
                    raise TooComplex(
                        f"parsing the page did not finish within {self.budget.wall_seconds:g} s"
                    )
            return helper.conn.recv()
        finally:
            self.waited += time.monotonic() - start


if __name__ == "__main__":
    _main(int(sys.argv[1]))
