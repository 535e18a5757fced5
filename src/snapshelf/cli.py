"""The `snapshelf` command (DESIGN.md §10, "Stable interface").

Output that is data goes to stdout (as JSON with --json); progress and
errors go to stderr. Exit status is 0 on success, non-zero otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from snapshelf import env

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


class CLIError(Exception):
    """A failure we can explain in one line."""


# --------------------------------------------------------------------------- setup


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "snapshelf.settings")
    from snapshelf import config

    config.ensure_data_dir(config.data_dir())
    import django

    django.setup()


def ensure_database() -> None:
    """Apply pending migrations (cheap when there are none)."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


def resolve_user(name: str | None):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if name:
        try:
            return User.objects.get(username=name)
        except User.DoesNotExist:
            raise CLIError(f"no user named {name!r}") from None
    users = list(User.objects.order_by("id")[:2])
    if not users:
        raise CLIError("no user exists yet: run `snapshelf init` first")
    if len(users) > 1:
        raise CLIError("several users exist: pass --user NAME")
    return users[0]


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")


def base_url() -> str:
    return env.get("SNAPSHELF_BASE_URL")


# ------------------------------------------------------------------------ commands


def cmd_init(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    ensure_database()
    User = get_user_model()
    err.print(f"data directory: {settings.DATA_DIR}")
    index_existing_links()
    if not User.objects.exists():
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "", password)
        out.print(f"Created the first user [bold]admin[/bold] with password: {password}")
        out.print("This password is shown only once; change it after logging in.")
    return 0


def index_existing_links() -> None:
    """Links saved before the search index existed (an upgrade) are indexed once."""
    from snapshelf.library.models import Link
    from snapshelf.search import index

    if index.doc_count() == 0 and Link.objects.exists():
        err.print("building the search index for existing links (once)…")
        err.print(f"indexed {index.rebuild()} links")
    elif index.versions_missing():
        err.print("indexing older versions for in:versions searches (once)…")
        err.print(f"indexed {index.index_versions()} older versions")


def cmd_createuser(args: argparse.Namespace) -> int:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    ensure_database()
    User = get_user_model()
    if User.objects.filter(username=args.name).exists():
        raise CLIError(f"a user named {args.name!r} already exists")
    generated = args.password is None and not args.password_stdin
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

    consumer = start_consumer() if with_worker else None
    server = create_server(application, host=host, port=port, threads=8, ident="snapshelf")

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


def start_consumer():
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    from snapshelf.jobs import tasks  # noqa: F401  (registers the tasks)

    consumer = HUEY.create_consumer(**settings.HUEY.get("consumer", {}))
    consumer.start()
    return consumer


def cmd_serve(args: argparse.Namespace) -> int:
    from django.conf import settings

    cmd_init(args)
    return run_server(args.host, args.port, with_worker=settings.SNAPSHELF_WORKERS > 0)


def cmd_worker(args: argparse.Namespace) -> int:
    from django import db
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    from snapshelf.jobs import tasks
    from snapshelf.procs import die_with_parent

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
    HUEY.create_consumer(**options).run()
    return 0


def snapshot_summary(snap) -> dict[str, Any]:
    return {
        "link_id": snap.link_id,
        "snapshot_id": snap.pk,
        "version": snap.version,
        "status": snap.status,
        "url": snap.link.url,
        "title": snap.title or snap.link.title,
        "error_code": snap.error_code or None,
        "error": snap.error or None,
    }


def cmd_add(args: argparse.Namespace) -> int:
    from snapshelf.capture.normalize import normalize_url
    from snapshelf.errors import CaptureError
    from snapshelf.library.models import Snapshot
    from snapshelf.services.links import save_link

    ensure_database()
    user = resolve_user(args.user)
    if args.mode == "browser":
        from snapshelf.capture.browser_service import browser_available

        ok, why = browser_available()
        if not ok:
            raise CLIError(f"browser capture is not available: {why}")
    fields = {"tags": args.tag or [], "mode": args.mode, "force": args.force}
    try:
        if args.wait:
            with err.status(f"capturing {normalize_url(args.url)}", spinner="dots"):
                saved = save_link(user, args.url, **fields, limited=False, wait=True)
        else:
            saved = save_link(user, args.url, **fields, limited=False)
    except CaptureError as exc:
        raise CLIError(str(exc)) from None
    link, snap = saved.link, saved.snapshot
    unchanged = saved.unchanged  # same text: folded into the kept version
    summary = snapshot_summary(snap) | {"unchanged": unchanged}
    if args.json:
        print_json(summary)
    else:
        out.print(f"link {link.pk} · snapshot {snap.pk} (v{snap.version}) · {snap.status}")
        if unchanged:
            out.print(f"no change since v{snap.version}: no new version kept (--force keeps one)")
        elif snap.status == Snapshot.Status.DONE:
            out.print(f"{snap.title}\n{snap.resource_count} resources, {snap.total_bytes:,} bytes")
            out.print(f"view: {base_url()}/s/{snap.pk}/")
        elif snap.status == Snapshot.Status.QUEUED:
            out.print("queued: a running `snapshelf serve` or `snapshelf worker` will capture it")
    if snap.status == Snapshot.Status.FAILED:
        raise CLIError(f"capture failed ({snap.error_code}): {snap.error}")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from snapshelf.library import watch
    from snapshelf.library.models import Link
    from snapshelf.services import links as door

    ensure_database()
    user = resolve_user(args.user)
    try:
        link = door.get_link(user, args.link_id)
    except Link.DoesNotExist:
        raise CLIError(f"no link {args.link_id}") from None
    try:
        link = door.set_watch(user, link, watch.parse_every(args.every))
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    result = {
        "link_id": link.pk,
        "watch_hours": link.watch_hours,
        "next_check": link.next_check.isoformat() if link.next_check else None,
    }
    if args.json:
        print_json(result)
    elif link.watch_hours:
        when = f"{link.next_check:%Y-%m-%d %H:%M}"
        out.print(f"link {link.pk} · watched every {link.watch_hours} h · next check {when}")
    else:
        out.print(f"link {link.pk} · not watched")
    return 0


def snapshot_details(snap) -> dict[str, Any]:
    resources = list(snap.resources.values("kind", "url", "content_type", "error_code"))
    by_kind: dict[str, int] = {}
    for r in resources:
        if not r["error_code"]:
            by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
    return snapshot_summary(snap) | {
        "final_url": snap.final_url,
        "author": snap.author,
        "date": snap.published,
        "site_name": snap.site_name,
        "language": snap.language,
        "description": snap.description,
        "text": snap.text,
        "word_count": snap.word_count,
        "http_status": snap.http_status,
        "content_type": snap.content_type,
        "charset": snap.charset,
        "kind": snap.kind,
        "mode": snap.mode,
        "resource_count": snap.resource_count,
        "resources_by_kind": by_kind,
        "failed_resources": [r for r in resources if r["error_code"]],
        "bytes": snap.total_bytes,
        "created": snap.created.isoformat(),
        "finished": snap.finished.isoformat() if snap.finished else None,
        "timings": snap.timings,
        "tags": [t.name for t in snap.link.tags.all()],
        "view_url": f"{base_url()}/s/{snap.pk}/",
        "archive_url": f"{base_url()}/s/{snap.pk}/?view=archive",
        "has_screenshot": bool(snap.screenshot_blob_id),
        "has_pdf": bool(snap.pdf_blob_id),
        "browser": browser_status(),
    }


def browser_status() -> str:
    """ "available, using /usr/bin/chromium" or "off: <why>", as serve and show say it."""
    from snapshelf.capture.browser_service import browser_available

    ok, why = browser_available()
    return f"available, {why}" if ok else f"off: {why}"


def cmd_show(args: argparse.Namespace) -> int:
    from snapshelf.library.models import Snapshot
    from snapshelf.library.records import snapshot_for

    ensure_database()
    user = resolve_user(args.user)
    try:
        snap = snapshot_for(user, args.snapshot_id)
    except Snapshot.DoesNotExist:
        raise CLIError(f"no snapshot {args.snapshot_id}") from None
    data = snapshot_details(snap)
    if args.json:
        print_json(data)
        return 0
    from rich.table import Table

    table = Table(show_header=False, box=None)
    for key in [
        "title",
        "url",
        "final_url",
        "status",
        "error_code",
        "error",
        "author",
        "date",
        "site_name",
        "language",
        "kind",
        "content_type",
        "charset",
        "http_status",
        "mode",
        "word_count",
        "resource_count",
        "bytes",
        "tags",
        "created",
        "view_url",
        "archive_url",
    ]:
        value = data[key]
        if value not in (None, "", []):
            table.add_row(
                f"[dim]{key}[/dim]", ", ".join(value) if isinstance(value, list) else str(value)
            )
    if data["resources_by_kind"]:
        table.add_row(
            "[dim]resources[/dim]",
            ", ".join(f"{k} {n}" for k, n in sorted(data["resources_by_kind"].items())),
        )
    if data["failed_resources"]:
        table.add_row("[dim]not captured[/dim]", str(len(data["failed_resources"])))
    out.print(table)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from snapshelf.library.records import links_for

    ensure_database()
    user = resolve_user(args.user)
    links = links_for(user).select_related("latest_snapshot").prefetch_related("tags")
    if args.tag:
        for tag in args.tag:
            links = links.filter(tags__name__iexact=tag)
        links = links.distinct()
    rows = []
    for link in links[: args.limit]:
        snap = link.latest_snapshot
        rows.append(
            {
                "link_id": link.pk,
                "url": link.url,
                "title": link.display_title,
                "tags": sorted(t.name for t in link.tags.all()),
                "snapshot_id": snap.pk if snap else None,
                "status": snap.status if snap else None,
                "created": link.created.isoformat(),
            }
        )
    if args.json:
        print_json(rows)
        return 0
    from rich.table import Table

    table = Table("id", "title", "tags", "status", "snapshot")
    for r in rows:
        table.add_row(
            str(r["link_id"]),
            f"{r['title']}\n[dim]{r['url']}[/dim]",
            ", ".join(r["tags"]),
            r["status"] or "",
            str(r["snapshot_id"] or ""),
        )
    out.print(table)
    return 0


def extract_one(source: str, fetcher_factory: Callable) -> dict[str, Any]:
    from snapshelf.capture.static import read_document, split_content_type
    from snapshelf.errors import CaptureError, HTTPError
    from snapshelf.net import Deadline

    result: dict[str, Any] = {"source": source}
    try:
        path = Path(source)
        if "://" not in source and path.is_file():
            body = path.read_bytes()
            uri = path.absolute().as_uri()
            doc = read_document(body, "", None, uri, uri, 200)
        elif "://" in source:
            from snapshelf.capture.normalize import normalize_url

            url = normalize_url(source)
            limits = fetcher_factory.limits
            r = fetcher_factory().fetch(
                url, deadline=Deadline(limits.deadline), max_bytes=limits.max_document_bytes
            )
            if r.status >= 400:
                raise HTTPError(f"the server answered HTTP {r.status} for {r.final_url}")
            mime, charset = split_content_type(r.headers.get("content-type"))
            doc = read_document(r.content, mime, charset, url, r.final_url, r.status)
        else:
            raise CaptureError(f"no such file: {source}", code="not_found")
    except CaptureError as exc:
        return (
            result
            | {
                k: None
                for k in ("title", "author", "date", "site_name", "language", "text", "html")
            }
            | {"error": str(exc), "error_code": exc.code}
        )
    except OSError as exc:
        return (
            result
            | {
                k: None
                for k in ("title", "author", "date", "site_name", "language", "text", "html")
            }
            | {"error": f"cannot read {source}: {exc.strerror or exc}", "error_code": "io"}
        )
    ex = doc.extracted
    return result | {
        "final_url": doc.final_url,
        "kind": doc.kind,
        "encoding": doc.charset or None,
        "title": ex.title,
        "author": ex.author,
        "date": ex.date,
        "site_name": ex.site_name,
        "language": ex.language,
        "description": ex.description,
        "image": ex.image,
        "word_count": ex.word_count,
        "text": ex.text,
        "html": ex.html,
        "markdown": ex.markdown,
        "error": None,
        "error_code": None,
    }


class _LazyFetcher:
    """One Fetcher for all inputs, created only if a URL is given (no Django needed)."""

    def __init__(self) -> None:
        from snapshelf.capture.static import Limits

        self.limits = Limits()
        self._fetcher = None

    def __call__(self):
        if self._fetcher is None:
            from snapshelf.net import Fetcher, Guard

            self._fetcher = Fetcher(Guard.from_env(), connect_timeout=self.limits.connect_timeout)
        return self._fetcher

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()


def cmd_extract(args: argparse.Namespace) -> int:
    factory = _LazyFetcher()
    failures = 0
    show_progress = len(args.sources) > 1 and err.is_terminal
    try:
        from rich.progress import Progress

        with Progress(console=err, transient=True, disable=not show_progress) as progress:
            task = progress.add_task("extracting", total=len(args.sources))
            for source in args.sources:
                item = extract_one(source, factory)
                failures += item["error"] is not None
                if args.json:
                    print_json(item)
                elif item["error"]:
                    err.print(f"[red]{source}[/red]: {item['error']}")
                else:
                    out.print(f"[bold]{item['title']}[/bold]")
                    meta = " · ".join(
                        x
                        for x in (item["author"], item["date"], item["site_name"], item["language"])
                        if x
                    )
                    if meta:
                        out.print(f"[dim]{meta}[/dim]")
                    out.print(item["text"] + "\n")
                progress.advance(task)
    finally:
        factory.close()
    if failures:
        raise CLIError(f"{failures} of {len(args.sources)} input(s) could not be extracted")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from snapshelf.library.artefacts import single_file_html
    from snapshelf.library.models import Snapshot
    from snapshelf.library.records import snapshot_for

    ensure_database()
    user = resolve_user(args.user)
    try:
        snap = snapshot_for(user, args.snapshot_id)
    except Snapshot.DoesNotExist:
        raise CLIError(f"no snapshot {args.snapshot_id}") from None
    if snap.status != Snapshot.Status.DONE:
        raise CLIError(f"snapshot {snap.pk} is {snap.status}, not done")
    if args.format != "singlefile":
        raise CLIError(f"--format {args.format} is not available yet (singlefile is)")
    data = single_file_html(snap)
    target = Path(args.output)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    err.print(f"wrote {len(data):,} bytes to {target}")
    return 0


# -------------------------------------------------------------------------- parser


def cmd_search(args: argparse.Namespace) -> int:
    from snapshelf.search.index import search

    ensure_database()
    user = resolve_user(args.user)
    page = search(
        user, args.query, limit=max(1, min(args.limit, 1000)), all_versions=args.all_versions
    )
    rows = [
        {
            "link_id": h.link_id,
            "snapshot_id": h.snapshot_id,
            "title": h.title,
            "url": h.url,
            "score": h.score,
            "snippet": h.snippet_text,
            "version": h.version,  # the older version the snippet is from (--all-versions)
            "matched_snapshot_id": h.matched_snapshot_id,
        }
        for h in page.hits
    ]
    if args.json:
        print_json(rows)
        return 0
    for hint in page.hints:
        err.print(f"[yellow]{hint}[/yellow]", markup=True)
    from rich.markup import escape
    from rich.table import Table

    table = Table("id", "result", "score")
    for r in rows:
        table.add_row(
            str(r["link_id"]),
            f"[bold]{escape(r['title'])}[/bold]\n[dim]{escape(r['url'])}[/dim]\n"
            f"{escape(r['snippet'])}",
            f"{r['score']:.3g}",
        )
    out.print(table)
    return 0


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


# ------------------------------------------------------------------ related (issue 4)


def cmd_related(args: argparse.Namespace) -> int:
    """Related articles of one of the user's links (DESIGN.md §10)."""
    from snapshelf.library.models import Link
    from snapshelf.related.links import related_links

    ensure_database()
    user = resolve_user(args.user)
    link = Link.objects.filter(pk=args.link_id, owner=user).first()
    if link is None:  # another user's link answers as a missing one
        raise CLIError(f"no link {args.link_id} for user {user.get_username()!r}")
    rows = [
        {
            "link_id": r.link.pk,
            "title": r.link.display_title,
            "url": r.link.url,
            "score": r.score,
            "reason": r.reason,
        }
        for r in related_links(link, limit=max(1, min(args.limit, 100)))
    ]
    if args.json:
        print_json(rows)
        return 0
    from rich.markup import escape
    from rich.table import Table

    table = Table("id", "related", "score")
    for r in rows:
        table.add_row(
            str(r["link_id"]),
            f"[bold]{escape(r['title'])}[/bold]\n[dim]{escape(r['url'])}[/dim]\n"
            f"{escape(r['reason'])}",
            f"{r['score']:.3g}",
        )
    out.print(table)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from snapshelf.jobs.status import queue_status

    ensure_database()
    owner = resolve_user(args.user) if args.user else None
    status = queue_status(owner, limit=max(1, args.limit))
    if args.json:
        print_json(status)
        return 0
    from rich.markup import escape

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
    """Reclaim blobs referenced by nothing (older than SNAPSHELF_GC_GRACE) and queue
    again the captures whose worker died; --dry-run only reports."""
    from snapshelf.library.housekeeping import count_stale, sweep

    ensure_database()
    try:
        report = sweep(dry_run=args.dry_run)
    except Exception as exc:  # e.g. the S3 endpoint is unreachable
        raise CLIError(f"gc failed: {type(exc).__name__}: {exc}") from None
    if args.dry_run:
        report.stale_jobs = count_stale()
    else:
        from snapshelf.jobs.tasks import requeue_stale

        report.stale_jobs = requeue_stale()
    if args.json:
        print_json(report.as_dict())
        return 0
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
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    """Tags the user already uses that fit one of their links (the link page's suggestions)."""
    from snapshelf.library.models import Link
    from snapshelf.related.suggest import suggest_tags

    ensure_database()
    user = resolve_user(args.user)
    link = Link.objects.filter(pk=args.link_id, owner=user).first()
    if link is None:  # another user's link answers as a missing one
        raise CLIError(f"no link {args.link_id} for user {user.get_username()!r}")
    names = suggest_tags(link, limit=max(1, min(args.limit, 50)))
    if args.json:
        print_json(names)
        return 0
    if not names:
        err.print("no suggestions", markup=False)
    for name in names:
        out.print(name, markup=False)
    return 0


def _phase_progress():
    """A progress bar on stderr for work reported as progress(phase, done, total)."""
    from rich.progress import Progress

    bar = Progress(console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task("", total=None)

    def step(phase: str, done: int, total: int) -> None:
        bar.update(task, description=phase, completed=done, total=total or None)

    return bar, step


def _counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items())


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent backup of the whole instance while the server runs."""
    from snapshelf.services.backup import BackupError, backup

    bar, step = _phase_progress()
    try:
        with bar:
            summary = backup(args.path, progress=step)
    except BackupError as exc:
        raise CLIError(str(exc)) from None
    if args.json:
        print_json(summary)
    else:
        out.print(
            f"backed up {_counts_line(summary['counts'])} "
            f"({summary['blob_bytes']:,} blob bytes) to {summary['path']}",
            markup=False,
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup onto an empty instance (server stopped)."""
    from snapshelf.services.backup import BackupError, restore

    bar, step = _phase_progress()
    try:
        with bar:
            summary = restore(args.path, progress=step)
    except BackupError as exc:
        raise CLIError(str(exc)) from None
    if args.json:
        print_json(summary)
        return 0
    out.print(f"restored {_counts_line(summary['counts'])} from {args.path}", markup=False)
    if summary["replaced_users"]:
        err.print(f"replaced the user(s) {', '.join(summary['replaced_users'])}", markup=False)
    if summary["requeued_captures"]:
        out.print(
            f"{summary['requeued_captures']} capture(s) in flight at backup time are queued "
            "again: a running `snapshelf serve` or `snapshelf worker` will take them",
            markup=False,
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snapshelf", description="Save links as faithful, permanent snapshots."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, func: Callable, help_text: str, django: bool = True
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func, django=django)
        return p

    def user_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", help="act as this user (needed when several users exist)")

    command("init", cmd_init, "create the data directory, the database and a first user")

    p = command("serve", cmd_serve, "run the web server and a worker")
    p.add_argument("--host", default=env.get("SNAPSHELF_HOST"))
    p.add_argument("--port", type=int, default=env.get("SNAPSHELF_PORT"))

    p = command("worker", cmd_worker, "run a capture worker only")
    p.add_argument("--workers", type=int, help="worker processes (default: SNAPSHELF_WORKERS)")

    p = command("createuser", cmd_createuser, "create a user")
    p.add_argument("name")
    p.add_argument("--email")
    p.add_argument("--password", help="the password (default: a generated one, printed once)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--superuser", action="store_true", help="may use the admin pages")
    p.add_argument("--json", action="store_true")

    p = command("add", cmd_add, "save a link and snapshot it")
    p.add_argument("url")
    p.add_argument("--tag", "-t", action="append", help="tag (repeatable)")
    p.add_argument(
        "--mode",
        choices=["static", "browser", "auto"],
        help="how to capture this link from now on (default: the link's mode, auto)",
    )
    p.add_argument("--wait", action="store_true", help="capture now and wait for the result")
    p.add_argument(
        "--force", action="store_true", help="keep a new version even if the text did not change"
    )
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command("watch", cmd_watch, "re-capture a link on a schedule; keep changed versions")
    p.add_argument("link_id", type=int)
    p.add_argument(
        "--every", required=True, metavar="daily|weekly|Nh|off", help="how often to check"
    )
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command("show", cmd_show, "show a snapshot")
    p.add_argument("snapshot_id", type=int)
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command("list", cmd_list, "list saved links")
    p.add_argument(
        "--tag", "-t", action="append", help="only links with this tag (repeatable: all of them)"
    )
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command(
        "extract",
        cmd_extract,
        "extract the readable article of URLs or files (nothing is stored)",
        django=False,
    )
    p.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--json", action="store_true", help="one JSON object per input (JSON Lines)")

    p = command("download", cmd_download, "write a snapshot artefact to a file")
    p.add_argument("snapshot_id", type=int)
    p.add_argument(
        "--format", choices=["singlefile", "warc", "screenshot", "pdf"], default="singlefile"
    )
    p.add_argument("-o", "--output", required=True)
    user_option(p)

    p = command("search", cmd_search, "search the saved links' full text")
    p.add_argument(
        "query", help='words, "phrases", -exclusions, OR, tag:, site:, is:, lang:, in:versions…'
    )
    p.add_argument("--limit", type=int, default=50)
    p.add_argument(
        "--all-versions",
        action="store_true",
        help="also match text only older versions hold (as in:versions in the query)",
    )
    p.add_argument("--json", action="store_true")
    user_option(p)

    command("reindex", cmd_reindex, "rebuild the search index from the library")

    p = command("gc", cmd_gc, "reclaim unreferenced blobs and recover stale captures")
    p.add_argument("--dry-run", action="store_true", help="only show what would be reclaimed")
    p.add_argument("--json", action="store_true")

    p = command("status", cmd_status, "the capture queue: depth, running, recent failures")
    p.add_argument("--limit", type=int, default=20, help="rows of running and failed captures")
    p.add_argument("--json", action="store_true")
    p.add_argument("--user", metavar="NAME", help="only this user's captures")

    p = command("related", cmd_related, "links related to one of yours (shared terms and tags)")
    p.add_argument("link_id", type=int)
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command("suggest", cmd_suggest, "tags you already use that fit one of your links")
    p.add_argument("link_id", type=int)
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--json", action="store_true", help="a JSON array of tag names, best first")
    user_option(p)
    p = command("backup", cmd_backup, "back up the whole instance (while it runs)")
    p.add_argument("path", help="a new or empty directory")
    p.add_argument("--json", action="store_true")

    p = command("restore", cmd_restore, "restore a backup onto an empty instance (server stopped)")
    p.add_argument("path", help="a directory written by `snapshelf backup`")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.django:
            setup_django()
        return args.func(args) or 0
    except CLIError as exc:
        err.print(f"snapshelf: error: {exc}", markup=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
