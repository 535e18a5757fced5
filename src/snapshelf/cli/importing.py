"""Bringing a library in: `snapshelf import FILE`."""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from pathlib import Path

from snapshelf.cli.common import (
    CLIError,
    command,
    ensure_database,
    err,
    out,
    print_json,
    resolve_user,
    user_option,
)


def cmd_import(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from snapshelf.io.importers import UnknownFormat, detect, open_import
    from snapshelf.services.imports import import_links

    path = Path(args.file)
    if not path.is_file():
        raise CLIError(f"no such file: {path}")
    ensure_database()
    user = resolve_user(args.user)
    if detect(path) == "warc":
        return _import_warc(user, path, args)
    with ExitStack() as stack:
        try:
            opened = open_import(path, stack)
        except UnknownFormat as exc:
            raise CLIError(f"cannot import {path.name}: {exc}") from None
        bar = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            console=err,
            disable=args.json or not err.is_terminal,
            transient=True,
        )
        with bar:
            task = bar.add_task(f"importing ({opened.format})", total=opened.size or None)

            def progress(report) -> None:
                bar.update(
                    task,
                    completed=opened.position(),
                    description=f"{report.added} new, {report.merged} merged, "
                    f"{len(report.rejected)} rejected",
                )

            report = import_links(
                user,
                opened.rows,
                tags=args.tag or [],
                capture=not args.no_capture,
                progress=progress,
            )
    rejected = [{"line": r.line, "text": r.text, "reason": r.reason} for r in report.rejected]
    if args.json:
        print_json(
            {
                "format": opened.format,
                "added": report.added,
                "merged": report.merged,
                "queued": report.queued,
                "rejected": rejected,
            }
        )
        return 0
    out.print(
        f"{opened.format}: {report.added} new links, {report.merged} merged with links you "
        f"had, {len(rejected)} rejected; {report.queued} captures queued",
        markup=False,
    )
    for r in rejected:
        text = "" if r["text"] in r["reason"] else f": {r['text'][:120]}"
        out.print(f"  line {r['line']}: {r['reason']}{text}", markup=False)
    return 0


def _import_warc(user, path: Path, args: argparse.Namespace) -> int:
    """A WARC's pages become snapshots as captured elsewhere, resources included."""
    from snapshelf.io.warc import WarcError
    from snapshelf.io.warc_import import import_warc

    try:
        links = import_warc(
            user,
            path,
            tags=args.tag or [],
            progress=lambda done, total, url: (
                err.print(f"{done}/{total} {url}", markup=False)
                if not args.json and err.is_terminal
                else None
            ),
        )
    except WarcError as exc:
        raise CLIError(f"cannot import {path.name}: {exc}") from None
    if args.json:
        print_json({"format": "warc", "added": len(links), "links": [link.pk for link in links]})
    else:
        out.print(f"warc: {len(links)} pages saved as snapshots", markup=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub,
        "import",
        cmd_import,
        "import bookmarks or a read-later export (the format is recognised from the content)",
    )
    p.add_argument("file", help="a Netscape bookmark HTML, JSON, CSV, text or WARC file")
    p.add_argument("--tag", action="append", help="add this tag to every imported link")
    p.add_argument(
        "--no-capture",
        action="store_true",
        help="save the links without queueing captures (snapshot them later)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    user_option(p)
