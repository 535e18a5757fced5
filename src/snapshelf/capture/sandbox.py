"""Which protection the headless browser gets on this machine, decided once at start-up.

Two layers, both needed because the egress proxy alone is only a setting a compromised
browser could ignore:

* **Chromium's own sandbox** (renderers in their own namespaces under seccomp-bpf).
  Chromium refuses it as root, so a root worker starts the browser as an unprivileged
  user (``snapshelf-browser`` when it exists, else ``nobody``).
* **A network backstop**: Chromium runs in a user + network namespace of its own in
  which only loopback exists; the one way out is the egress proxy's Unix socket,
  reached through a forwarder (``sandbox_exec.py``).

Both rest on unprivileged user namespaces. Where the kernel or a container's seccomp
profile forbids them, the browser runs as before (``--no-sandbox``, the proxy setting
only) and :func:`detect` says so, for the log, ``snapshelf status`` and the README.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from snapshelf.capture import sandbox_exec

__all__ = ["NAMESPACES", "NONE", "Sandbox", "detect", "launcher_command"]

NAMESPACES = "namespaces"
NONE = "none"
#: Users a root worker may run the browser as, the first that exists.
BROWSER_USERS = ("snapshelf-browser", "nobody")
LAUNCHER = Path(sandbox_exec.__file__).resolve()
#: The egress proxy as Chromium sees it from inside the namespace.
INNER_PROXY_URL = f"http://127.0.0.1:{sandbox_exec.PROXY_PORT}"


@dataclass(frozen=True)
class Sandbox:
    """The protection in force: ``level`` is NAMESPACES or NONE, ``reason`` says why."""

    level: str
    reason: str
    uid: int | None = None  # the user the browser runs as when we are root
    gid: int | None = None

    @property
    def active(self) -> bool:
        return self.level == NAMESPACES

    def describe(self) -> str:
        """One line for logs and ``snapshelf status``."""
        if self.active:
            who = f" as uid {self.uid}" if self.uid is not None else ""
            return (
                f"sandboxed{who}: Chromium's own sandbox, and a network namespace whose "
                "only way out is the egress proxy"
            )
        return (
            f"NOT sandboxed ({self.reason}): Chromium runs with --no-sandbox and only its "
            "proxy setting keeps it on the egress proxy"
        )


_cached: Sandbox | None = None
_lock = threading.Lock()


def detect(*, refresh: bool = False) -> Sandbox:
    """Probe (once) whether the launcher can build the sandbox here; cached."""
    global _cached
    with _lock:
        if _cached is None or refresh:
            _cached = _probe()
        return _cached


def _browser_user() -> tuple[int | None, int | None, str | None]:
    """(uid, gid, problem) of the user to run the browser as; (None, None, None) if not root."""
    if os.geteuid() != 0:
        return None, None, None
    for name in BROWSER_USERS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return entry.pw_uid, entry.pw_gid, None
    return None, None, f"running as root and none of the users {', '.join(BROWSER_USERS)} exists"


def _probe() -> Sandbox:
    if not sys.platform.startswith("linux"):
        return Sandbox(NONE, "namespaces are a Linux feature")
    uid, gid, problem = _browser_user()
    if problem:
        return Sandbox(NONE, problem)
    try:
        done = subprocess.run(  # noqa: S603 - our own launcher, fixed argv
            [*launcher_command(uid, gid), "--probe"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Sandbox(NONE, f"the sandbox probe did not run: {exc}")
    if done.returncode != 0:
        why = done.stderr.strip().removeprefix("sandbox: ")[:200] or f"status {done.returncode}"
        return Sandbox(NONE, why)
    return Sandbox(NAMESPACES, "user and network namespaces work", uid, gid)


def launcher_command(uid: int | None, gid: int | None) -> list[str]:
    """The launcher's argv up to its options (the caller adds the rest)."""
    argv = [sys.executable, "-I", str(LAUNCHER)]
    if uid is not None:
        argv += ["--uid", str(uid), "--gid", str(gid if gid is not None else uid)]
    return argv


def wrap(
    sandbox: Sandbox, command: list[str], *, proxy_socket: str, cdp_fd: int, user_data_dir: Path
) -> list[str]:
    """``command`` (Chromium and its flags) started inside the sandbox."""
    return [
        *launcher_command(sandbox.uid, sandbox.gid),
        "--proxy-socket",
        proxy_socket,
        "--cdp-fd",
        str(cdp_fd),
        "--devtools-file",
        str(user_data_dir / "DevToolsActivePort"),
        "--",
        *command,
    ]


def give_to(sandbox: Sandbox, *paths: Path) -> None:
    """Hand directories to the browser's user (when we dropped to one)."""
    if sandbox.uid is None:
        return
    for path in paths:
        os.chown(path, sandbox.uid, sandbox.gid if sandbox.gid is not None else sandbox.uid)


def unreachable_ancestor(path: Path, uid: int, gid: int | None) -> Path | None:
    """The first directory on the way to ``path`` that ``uid`` may not enter, if any."""
    for directory in [*reversed(path.parents), path]:
        info = directory.stat()
        if info.st_uid == uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif gid is not None and info.st_gid == gid:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return directory
    return None


def scratch_root(sandbox: Sandbox) -> Path:
    """Where the browser's temporary directories go: TMPDIR, or /tmp when the browser's
    user cannot reach TMPDIR (a root worker's private one)."""
    default = Path(tempfile.gettempdir())
    if sandbox.uid is None:
        return default
    for candidate in (default, Path("/tmp")):  # noqa: S108 - world-writable and sticky
        if unreachable_ancestor(candidate, sandbox.uid, sandbox.gid) is None:
            return candidate
    raise OSError(f"the browser's user (uid {sandbox.uid}) can reach neither {default} nor /tmp")
