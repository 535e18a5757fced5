"""Running the instance: init, createuser, serve, worker, status, gc and reindex."""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import os
import secrets
import signal
import sys
from pathlib import Path
from types import ModuleType

from snapshelf import env
from snapshelf.cli.common import (
    SERVER_URL_FILE,
    CLIError,
    browser_status,
    command,
    ensure_database,
    err,
    escape,
    index_existing_links,
    local_url,
    out,
    print_json,
    resolve_user,
)

#: Where `init` leaves the first user's generated password (mode 0600), in the data directory.
INITIAL_PASSWORD_FILE = "initial-admin-password"  # noqa: S105 (a file name)


def cmd_init(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    ensure_database()
    User = get_user_model()
    err.print(f"data directory: {settings.DATA_DIR}")
    index_existing_links()
    if not User.objects.exists():
        password = secrets.token_urlsafe(12)
        path = write_secret_file(settings.DATA_DIR / INITIAL_PASSWORD_FILE, password)
        User.objects.create_superuser("admin", "", password)
        # The path, never the password: standard output ends up in container and
        # service logs, which outlive the password and are read by more people.
        out.print(
            f"Created the first user [bold]admin[/bold]; its password is in {escape(str(path))} "
            "(readable by this account only). Log in, change it, then delete that file."
        )
    return 0


def write_secret_file(path: Path, text: str) -> Path:
    """Write `text` to a new file only its owner may read (0600 from the start, never
    world-readable for a moment); a stale file of an earlier first user is replaced."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return path


def cmd_createuser(args: argparse.Namespace) -> int:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    ensure_database()
    User = get_user_model()
    if User.objects.filter(username=args.name).exists():
        raise CLIError(f"a user named {args.name!r} already exists")
    generated = args.password is None and not args.password_stdin
    if args.password is not None:
        err.print(
            "warning: --password puts the password in the process list and the shell's "
            "history; it is deprecated: use --password-stdin",
            markup=False,
        )
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = args.password or secrets.token_urlsafe(12)
    try:
        validate_password(password, User(username=args.name))
    except ValidationError as exc:
        raise CLIError(" ".join(exc.messages)) from None
    create = User.objects.create_superuser if args.superuser else User.objects.create_user
    user = create(args.name, args.email or "", password)
    if args.json:
        print_json(
            {
                "user_id": user.pk,
                "username": user.username,
                "password": password if generated else None,
            }
        )
    else:
        out.print(
            f"Created user {user.username}" + (f" with password: {password}" if generated else "")
        )
    return 0


def run_server(host: str, port: int, with_worker: bool) -> int:
    from waitress import create_server

    from snapshelf.wsgi import application

    try:
        server = create_server(application, host=host, port=port, threads=8, ident="snapshelf")
    except OSError as exc:  # one line, not a traceback: the usual first-run stumble
        if exc.errno == errno.EADDRINUSE:
            raise CLIError(
                f"port {port} on {host} is already in use (another Snapshelf?): stop it, or "
                f"pick another port with --port N or SNAPSHELF_PORT=N"
            ) from None
        raise CLIError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    consumer = start_consumer() if with_worker else None
    _record_url(local_url(host, server.effective_port))

    def stop(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    err.print(
        f"Snapshelf is running at http://{host}:{server.effective_port}/"
        + ("  (worker: in-process)" if consumer else "")
    )
    err.print(f"browser capture: {browser_status()}")
    try:
        server.run()
    except KeyboardInterrupt:
        err.print("stopping")
    finally:
        server.close()
        if consumer:
            consumer.stop(graceful=True)
    return 0


def _record_url(url: str) -> None:
    """Leave the address in the data directory, so links the CLI prints point at this
    server even when it was started with --port (see cli.common.base_url)."""
    from snapshelf import config

    with contextlib.suppress(OSError):  # a read-only data directory costs only the guess
        (config.data_dir() / SERVER_URL_FILE).write_text(url + "\n", encoding="utf-8")


def load_tasks() -> ModuleType:
    """Register every task module with the queue (a worker runs whatever was queued;
    other processes import only the tasks they queue); returns the capture tasks."""
    from snapshelf.io import tasks as io_tasks  # noqa: F401
    from snapshelf.jobs import tasks

    return tasks


def start_consumer():
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    load_tasks()
    consumer = HUEY.create_consumer(**settings.HUEY.get("consumer", {}))
    consumer.start()
    return consumer


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach an address `serve` listens on."""
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def check_exposure(host: str) -> None:
    """Serving beyond loopback needs the host names browsers will use: without them Django
    would answer to any Host header, and pages such as the bookmarklet would reflect it.
    Plain HTTP there is allowed (a TLS proxy may sit in front) but said out loud."""
    if is_loopback(host):
        return
    if not env.get("SNAPSHELF_ALLOWED_HOSTS"):
        raise CLIError(
            f"listening on {host} (not loopback) needs SNAPSHELF_ALLOWED_HOSTS: the host "
            "names browsers use to reach Snapshelf, e.g. SNAPSHELF_ALLOWED_HOSTS="
            "snapshelf.example.org (see docs/deploy.md)"
        )
    if not env.get("SNAPSHELF_HTTPS"):
        err.print(
            f"warning: serving plain HTTP on {host}: passwords and sessions cross the network "
            "in clear unless a TLS proxy is in front (then set SNAPSHELF_HTTPS=1; "
            "docs/deploy.md)",
            markup=False,
        )


def cmd_serve(args: argparse.Namespace) -> int:
    from django.conf import settings

    check_exposure(args.host)
    cmd_init(args)
    return run_server(args.host, args.port, with_worker=settings.SNAPSHELF_WORKERS > 0)


def cmd_worker(args: argparse.Namespace) -> int:
    from django import db
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    from snapshelf.procs import die_with_parent

    tasks = load_tasks()
    ensure_database()
    options = dict(settings.HUEY.get("consumer", {}))
    # Capture is CPU-bound Python (parsing, extraction): a standalone worker uses
    # processes so it can use every core; the worker inside `serve` stays on threads.
    options["worker_type"] = "process"
    if args.workers:
        options["workers"] = args.workers
    err.print(f"Snapshelf worker: {options['workers']} processes")
    parent = os.getpid()
    forker = [parent]

    def note_forker() -> None:
        forker[0] = os.getpid()

    def tie_to_parent() -> None:
        # Forked workers and the scheduler die with this process, even on SIGKILL: no
        # orphan keeps taking jobs from a shared queue unsupervised. The hook is
        # inherited, so it also runs in what a worker forks (Chromium, before exec):
        # those are not ours to tie (the browser service ties them to its own thread).
        if forker[0] != parent:
            return
        die_with_parent()
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(0)

    os.register_at_fork(before=note_forker, after_in_child=tie_to_parent)

    recovered = tasks.requeue_stale()
    if recovered:
        err.print(f"queued again {recovered} captures whose worker had stopped")
    # Forked workers must not share the parent's database connections.
    db.connections.close_all()
    if options["workers"] > 1:
        from snapshelf.capture import browser_host
        from snapshelf.capture.browser_check import browser_available

        if browser_available()[0]:  # one Chromium for all the capture processes
            browser_host.start(pages=options["workers"])
    HUEY.create_consumer(**options).run()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from snapshelf.jobs.status import queue_status

    ensure_database()
    owner = resolve_user(args.user) if args.user else None
    status = queue_status(owner, limit=max(1, args.limit))
    # available? sandboxed? (this machine's view, as its last probe found it)
    status["browser"] = browser_status(remembered=True)
    if args.json:
        print_json(status)
        return 0
    out.print(f"browser capture: {escape(status['browser'])}")
    oldest = status["oldest_queued"]
    out.print(
        f"queued {status['queued']} (retrying {status['retrying']}), "
        f"running {status['running']}; last 24 h: done {status['done_24h']}, "
        f"failed {status['failed_24h']}"
        + (f"; oldest queued since {oldest:%Y-%m-%d %H:%M:%S}" if oldest else "")
    )
    queue = status.get("queue")
    if queue:
        detail = queue.get("error") or (
            f"{queue['pending_tasks']} tasks pending, {queue['scheduled_tasks']} scheduled"
        )
        out.print(f"queue ({queue['backend']}): {escape(detail)}")
        busy = ", ".join(f"{h} {n}/{status['host_limit']}" for h, n in status["busy_hosts"].items())
        if busy:
            out.print(f"hosts being captured: {escape(busy)}")
    for row in status["in_progress"]:
        out.print(f"  {row['status']:8} #{row['snapshot_id']} {escape(row['url'])}")
    if status["recent_failures"]:
        out.print("recent failures:")
    for row in status["recent_failures"]:
        out.print(
            f"  #{row['snapshot_id']} {escape(row['url'])}  "
            f"[red]{escape(row['error_code'])}[/red] {escape(row['error'][:200])}"
        )
    return 0


def cmd_gc(args: argparse.Namespace) -> int:
    """Reclaim blobs referenced by nothing and files crashes left (older than
    SNAPSHELF_GC_GRACE), queue again the captures whose worker died, and report blobs
    whose bytes are missing (--verify: or corrupt); --dry-run only reports. Exit status 1
    when a blob is missing or corrupt."""
    from snapshelf.jobs.tasks import requeue_stale
    from snapshelf.library.housekeeping import count_stale, sweep

    ensure_database()
    try:
        report = sweep(dry_run=args.dry_run, verify=args.verify)
    except Exception as exc:  # e.g. the S3 endpoint is unreachable
        raise CLIError(f"gc failed: {type(exc).__name__}: {exc}") from None
    report.stale_jobs = count_stale() if args.dry_run else requeue_stale()
    damaged = 1 if report.missing or report.corrupt else 0
    if args.json:
        print_json(report.as_dict())
        return damaged
    verb = "would reclaim" if args.dry_run else "reclaimed"
    out.print(
        f"{verb} {report.bytes:,} bytes: {report.orphan_rows} blob row(s) referenced by "
        f"nothing ({report.orphan_row_bytes:,} bytes), {report.orphan_objects} stored "
        f"object(s) without a row ({report.orphan_object_bytes:,} bytes)"
    )
    if report.objects_kept_recent:
        out.print(f"{report.objects_kept_recent} object(s) kept: put again recently")
    stale = "would queue again" if args.dry_run else "queued again"
    out.print(f"{stale} {report.stale_jobs} capture(s) whose worker stopped")
    leftover = "would remove" if args.dry_run else "removed"
    out.print(
        f"{leftover} {report.leftover_files} file(s) crashed writes or deletions left "
        f"({report.leftover_bytes:,} bytes)"
    )
    if report.verified:
        out.print(f"verified {report.verified} blob(s) against their SHA-256")
    for label, shas in (("missing", report.missing), ("corrupt", report.corrupt)):
        if shas:
            err.print(f"{len(shas)} blob(s) {label} from the store:", markup=False)
            for sha in shas[:20]:
                err.print(f"  {sha}", markup=False)
            if len(shas) > 20:
                err.print(f"  … and {len(shas) - 20} more (--json lists them all)")
    return damaged


def cmd_reindex(args: argparse.Namespace) -> int:
    from django.db import transaction
    from rich.progress import Progress

    from snapshelf.search.index import rebuild

    ensure_database()
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("indexing", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with transaction.atomic():  # searches see the old index until the new one is whole
            count = rebuild(progress=step)
    err.print(f"indexed {count} link(s)", markup=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "init", cmd_init, "create the data directory, the database and a first user")

    p = command(sub, "serve", cmd_serve, "run the web server and a worker")
    p.add_argument(
        "--host", default=env.get("SNAPSHELF_HOST"), help="address (default: SNAPSHELF_HOST)"
    )
    p.add_argument(
        "--port", type=int, default=env.get("SNAPSHELF_PORT"), help="port (default: SNAPSHELF_PORT)"
    )

    p = command(sub, "worker", cmd_worker, "run a capture worker only")
    p.add_argument("--workers", type=int, help="worker processes (default: SNAPSHELF_WORKERS)")

    p = command(sub, "createuser", cmd_createuser, "create a user")
    p.add_argument("name")
    p.add_argument("--email")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (default: a generated one, printed once)",
    )
    p.add_argument(
        "--password", help="deprecated (visible to other local users): use --password-stdin"
    )
    p.add_argument("--superuser", action="store_true", help="may use the admin pages")
    p.add_argument("--json", action="store_true")

    command(sub, "reindex", cmd_reindex, "rebuild the search index from the library")

    p = command(sub, "gc", cmd_gc, "reclaim unreferenced blobs and recover stale captures")
    p.add_argument("--dry-run", action="store_true", help="only show what would be reclaimed")
    p.add_argument(
        "--verify", action="store_true", help="read every blob and check it against its SHA-256"
    )
    p.add_argument("--json", action="store_true")

    p = command(sub, "status", cmd_status, "the capture queue: depth, running, recent failures")
    p.add_argument("--limit", type=int, default=20, help="rows of running and failed captures")
    p.add_argument("--json", action="store_true")
    p.add_argument("--user", metavar="NAME", help="only this user's captures")
