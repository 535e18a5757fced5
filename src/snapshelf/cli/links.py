"""The user's links and snapshots: add, watch, show, list and download."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from snapshelf.cli.common import (
    CLIError,
    base_url,
    command,
    ensure_database,
    err,
    escape,
    out,
    print_json,
    resolve_user,
    user_option,
)

# The rows of `snapshelf show`, in order (empty values are left out).
SHOW_FIELDS = (
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
)


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
    }


def own_snapshot(user, snapshot_id: int):
    """The user's snapshot `snapshot_id` (show, download), or a CLIError."""
    from snapshelf.library.models import Snapshot
    from snapshelf.library.records import snapshot_for

    try:
        return snapshot_for(user, snapshot_id)
    except Snapshot.DoesNotExist:
        raise CLIError(f"no snapshot {snapshot_id}") from None


def cmd_add(args: argparse.Namespace) -> int:
    from snapshelf.errors import CaptureError
    from snapshelf.library.models import Snapshot
    from snapshelf.services.links import save_link

    ensure_database()
    user = resolve_user(args.user)
    if args.mode == "browser":
        from snapshelf.capture.browser_check import browser_available

        ok, why = browser_available()
        if not ok:
            raise CLIError(f"browser capture is not available: {why}")
    fields = {"tags": args.tag or [], "mode": args.mode, "force": args.force}
    try:
        if args.wait:
            saved = _add_and_wait(user, args, fields)
        else:
            saved = save_link(user, args.url, **fields, limited=False)
    except CaptureError as exc:  # refused before anything was saved (invalid, blocked)
        if args.json:
            print_json(
                {"link_id": None, "snapshot_id": None, "status": "failed", "title": ""}
                | {"error_code": exc.code, "error": str(exc)}
            )
        raise CLIError(str(exc)) from None
    link, snap = saved.link, saved.snapshot
    unchanged = saved.unchanged  # same text: folded into the kept version
    summary = snapshot_summary(snap) | {"unchanged": unchanged}
    if args.wait:
        summary["captured_by"] = saved.captured_by
    if args.json:
        print_json(summary)
    else:
        by = f" · captured by {saved.captured_by}" if args.wait else ""
        out.print(f"link {link.pk} · snapshot {snap.pk} (v{snap.version}) · {snap.status}{by}")
        if unchanged:
            out.print(f"no change since v{snap.version}: no new version kept (--force keeps one)")
        elif snap.status == Snapshot.Status.DONE:
            out.print(
                f"{escape(snap.title)}\n{snap.resource_count} resources, {snap.total_bytes:,} bytes"
            )
            out.print(f"view: {base_url()}/s/{snap.pk}/")
        elif snap.status == Snapshot.Status.QUEUED and not args.wait:
            out.print("queued: a running `snapshelf serve` or `snapshelf worker` will capture it")
    if snap.status == Snapshot.Status.FAILED:
        raise CLIError(f"capture failed ({snap.error_code}): {snap.error}")
    if args.wait and snap.status in (Snapshot.Status.QUEUED, Snapshot.Status.RUNNING):
        raise CLIError(
            f"snapshot {snap.pk} is still {snap.status} after {args.timeout:g} s; the worker"
            f" goes on with it (`snapshelf show {snap.pk}`)"
        )
    return 0


def _add_and_wait(user, args: argparse.Namespace, fields: dict):
    """Save and wait: through a running worker (its status live on stderr), or in this
    process when none runs; the door decides which."""
    from snapshelf.capture.normalize import normalize_url
    from snapshelf.services.links import Wait, save_link

    url = escape(normalize_url(args.url))
    seen = [""]

    def show(snap, waited: float) -> None:
        line = f"{snap.status} · worker · {waited:.0f} s"
        if snap.error and snap.status == "queued":  # a transient failure, retried
            line += f" · {escape(snap.error)}"
        if snap.status != seen[0]:
            seen[0] = snap.status
            err.print(line)
        status.update(f"{line} · {url}")

    with err.status(f"capturing {url}", spinner="dots") as status:
        wait = Wait(timeout=args.timeout, on_status=show)
        return save_link(user, args.url, **fields, limited=False, wait=wait)


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


def cmd_show(args: argparse.Namespace) -> int:
    ensure_database()
    user = resolve_user(args.user)
    data = snapshot_details(own_snapshot(user, args.snapshot_id))
    if args.json:
        print_json(data)
        return 0
    from rich.table import Table

    table = Table(show_header=False, box=None)
    for key in SHOW_FIELDS:
        value = data[key]
        if value not in (None, "", []):
            text = ", ".join(value) if isinstance(value, list) else str(value)
            table.add_row(f"[dim]{key}[/dim]", escape(text))  # captured text is not markup
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
    from collections import defaultdict

    from snapshelf.library.models import Link
    from snapshelf.library.records import links_for

    ensure_database()
    user = resolve_user(args.user)
    links = links_for(user)
    if args.tag:
        for tag in args.tag:
            links = links.filter(tags__name__iexact=tag)
        links = links.distinct()
    # Plain rows, not model instances: building a thousand links, snapshots and tags
    # costs more than the queries (this is the whole of `list`'s own work).
    found = list(
        links.values(
            "pk", "url", "title", "created", "latest_snapshot", "latest_snapshot__status",
            "latest_snapshot__title",
        )[: args.limit]
    )  # fmt: skip
    tags: dict[int, list[str]] = defaultdict(list)
    ids = [r["pk"] for r in found]
    for at in range(0, len(ids), 900):  # under SQLite's limit of variables per query
        pairs = Link.tags.through.objects.filter(link__in=ids[at : at + 900])
        for link_id, name in pairs.values_list("link_id", "tag__name"):
            tags[link_id].append(name)
    rows = [
        {
            "link_id": r["pk"],
            "url": r["url"],
            # as Link.display_title says it
            "title": r["title"] or r["latest_snapshot__title"] or r["url"],
            "tags": sorted(tags[r["pk"]]),
            "snapshot_id": r["latest_snapshot"],
            "status": r["latest_snapshot__status"],
            "created": r["created"].isoformat(),
        }
        for r in found
    ]
    if args.json:
        print_json(rows)
        return 0
    from rich.table import Table

    table = Table("id", "title", "tags", "status", "snapshot")
    for r in rows:
        table.add_row(
            str(r["link_id"]),
            f"{escape(r['title'])}\n[dim]{escape(r['url'])}[/dim]",
            escape(", ".join(r["tags"])),
            r["status"] or "",
            str(r["snapshot_id"] or ""),
        )
    out.print(table)
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from snapshelf.io.exporters import Unavailable, snapshot_artefact

    ensure_database()
    user = resolve_user(args.user)
    snap = own_snapshot(user, args.snapshot_id)
    try:
        artefact = snapshot_artefact(snap, args.format)
    except Unavailable as exc:
        raise CLIError(str(exc)) from None
    target = Path(args.output)
    tmp = target.with_name(target.name + ".part")
    try:
        tmp.write_bytes(artefact.data)
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CLIError(f"could not write {target}: {exc.strerror or exc}") from None
    err.print(f"wrote {len(artefact.data):,} bytes to {target}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "add", cmd_add, "save a link and snapshot it")
    p.add_argument("url")
    p.add_argument("--tag", "-t", action="append", help="tag (repeatable)")
    p.add_argument(
        "--mode",
        choices=["static", "browser", "auto"],
        help="how to capture this link from now on (default: the link's mode, auto)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="wait for the capture: through a running worker, else in this process",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=300,
        metavar="SECONDS",
        help="with --wait: how long to wait for a worker (default: 300)",
    )
    p.add_argument(
        "--force", action="store_true", help="keep a new version even if the text did not change"
    )
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command(sub, "watch", cmd_watch, "re-capture a link on a schedule; keep changed versions")
    p.add_argument("link_id", type=int)
    p.add_argument(
        "--every", required=True, metavar="daily|weekly|Nh|off", help="how often to check"
    )
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command(sub, "show", cmd_show, "show a snapshot")
    p.add_argument("snapshot_id", type=int)
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command(sub, "list", cmd_list, "list saved links")
    p.add_argument(
        "--tag", "-t", action="append", help="only links with this tag (repeatable: all of them)"
    )
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command(sub, "download", cmd_download, "write a snapshot artefact to a file")
    p.add_argument("snapshot_id", type=int)
    p.add_argument(
        "--format",
        choices=["singlefile", "warc", "screenshot", "pdf", "original", "markdown", "epub"],
        default="singlefile",
    )
    p.add_argument("-o", "--output", required=True)
    user_option(p)
