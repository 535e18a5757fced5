"""The browser's launcher: Chromium in a network namespace whose only way out is the proxy.

Run as ``python -I sandbox_exec.py [options] -- chromium ARGS...`` (standard library
only: it runs before the browser, as its own program). In order, it:

1. drops to an unprivileged uid when started as root (``--uid``/``--gid``): Chromium
   refuses its own sandbox as root;
2. enters a new user and network namespace: inside, only a loopback interface
   exists, so nothing the browser does can reach an address on this machine or
   beyond, whatever flags it runs with;
3. forks a forwarder that listens on the namespace's 127.0.0.1 (``PROXY_PORT``) and
   carries each connection to the egress proxy's Unix socket (``--proxy-socket``),
   and carries the DevTools connections that arrive on an inherited listening socket
   (``--cdp-fd``, bound in the host's namespace by the parent) to Chromium's DevTools
   port inside (the one it writes to ``--devtools-file``);
4. execs Chromium, whose own (namespace + seccomp-bpf) sandbox can now run.

``--probe`` does steps 1-2 and exits 0, so the parent learns at start-up whether this
machine allows it. The forwarder and Chromium die with the process that started the
launcher (``PR_SET_PDEATHSIG``) and share its process group.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import fcntl
import os
import signal
import socket
import struct
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded by the forwarder only: `--probe` stays a light process
    import asyncio

PROXY_PORT = 3128  # the proxy's address inside the namespace (nothing else listens there)

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(Exception):
    """A step of the sandbox could not be taken here."""


def drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` for good, with no supplementary groups."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    # a uid change makes the process undumpable, which leaves /proc/self owned by root
    # and the uid map below unwritable; exec resets the flag anyway
    _libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)


def enter_namespaces() -> None:
    """A new user namespace (same uid/gid inside) and a network one with loopback up."""
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise SandboxError(f"cannot create a user and network namespace: {os.strerror(code)}")
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError as exc:
        raise SandboxError(f"cannot map the uid in the new namespace: {exc}") from None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        ifreq = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, _SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w") as handle:
            handle.write(text)
    except FileNotFoundError:  # /proc/self/setgroups is missing on old kernels only
        if not path.endswith("setgroups"):
            raise


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies (cleared by a uid change: set again)."""
    parent = os.getppid()
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


# -- the forwarder (inside the namespace) ---------------------------------------------


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


async def _splice(
    client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    connect: object,
) -> None:
    import asyncio

    reader, writer = client
    try:
        up_reader, up_writer = await connect()  # type: ignore[operator]
    except (OSError, ValueError):  # Chromium not listening yet
        writer.close()
        return
    try:
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
    finally:
        writer.close()
        up_writer.close()


def _devtools_port(path: str) -> int:
    """The port Chromium chose, from the first line of its DevToolsActivePort file."""
    with open(path) as handle:
        return int(handle.readline())


async def _forward(
    proxy_listener: socket.socket, cdp_listener: socket.socket, proxy: str, devtools_file: str
) -> None:
    import asyncio

    def to_proxy() -> object:
        return asyncio.open_unix_connection(proxy)

    def to_devtools() -> object:
        return asyncio.open_connection("127.0.0.1", _devtools_port(devtools_file))

    servers = [
        await asyncio.start_server(lambda r, w: _splice((r, w), to_proxy), sock=proxy_listener),
        await asyncio.start_server(lambda r, w: _splice((r, w), to_devtools), sock=cdp_listener),
    ]
    await asyncio.gather(*(server.serve_forever() for server in servers))


def start_forwarder(proxy_socket: str, cdp_fd: int, devtools_file: str) -> None:
    """Fork the forwarder; its listening sockets exist before this returns."""
    proxy_listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    proxy_listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    proxy_listener.bind(("127.0.0.1", PROXY_PORT))
    proxy_listener.listen(128)
    if os.fork() == 0:  # the forwarder
        try:
            die_with_parent()
            _quiet_stderr()
            cdp_listener = socket.socket(fileno=cdp_fd)
            import asyncio

            asyncio.run(_forward(proxy_listener, cdp_listener, proxy_socket, devtools_file))
        finally:
            os._exit(0)
    proxy_listener.close()
    os.close(cdp_fd)  # Chromium must not hold a socket of the host's network


def main(argv: list[str]) -> int:
    """Parse the options, build the sandbox and exec the browser (or probe)."""
    parser = argparse.ArgumentParser(prog="sandbox_exec")
    parser.add_argument("--uid", type=int)
    parser.add_argument("--gid", type=int)
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--proxy-socket")
    parser.add_argument("--cdp-fd", type=int)
    parser.add_argument("--devtools-file")
    parser.add_argument("command", nargs="*")
    args = parser.parse_args(argv)
    if not args.probe:
        # Loaded now, while the interpreter's files are still readable: the browser's
        # user may not read them (a Python under /root), and the forwarder needs it.
        import asyncio  # noqa: F401
    try:
        if args.uid is not None:
            drop_privileges(args.uid, args.gid if args.gid is not None else args.uid)
        enter_namespaces()
    except (SandboxError, OSError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 3
    if args.probe:
        return 0
    if not (args.command and args.proxy_socket and args.devtools_file and args.cdp_fd):
        parser.error("--proxy-socket, --cdp-fd, --devtools-file and a command are needed")
    start_forwarder(args.proxy_socket, args.cdp_fd, args.devtools_file)
    die_with_parent()
    report = os.dup(2)  # not inherited: only this launcher's complaints go to stderr
    _quiet_stderr()
    try:
        os.execv(args.command[0], args.command)  # noqa: S606 - the browser's argv, no shell
    except OSError as exc:
        os.write(report, f"sandbox: cannot run {args.command[0]}: {exc}\n".encode())
        return 127 if exc.errno == errno.ENOENT else 126
    return 0  # not reached


def _quiet_stderr() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main(sys.argv[1:]))
