"""`snapshelf export`: the user's library, or one tag of it, written to a file (streamed,
except the e-book, which is built whole in memory and written at the end)."""

from __future__ import annotations

import argparse
from pathlib import Path

from snapshelf.cli.common import CLIError, command, ensure_database, err, resolve_user, user_option

FORMATS = ("netscape", "json", "csv", "warc", "zip", "epub")


def cmd_export(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from snapshelf.io.exporters import Selection, find_tag, write_export
    from snapshelf.library.models import Tag

    ensure_database()
    user = resolve_user(args.user)
    tag = None
    if args.tag:
        try:
            tag = find_tag(user, args.tag)
        except Tag.DoesNotExist:
            raise CLIError(f"no tag named {args.tag!r}") from None
    target = Path(args.output)
    if not target.parent.is_dir():
        raise CLIError(f"no such directory: {target.parent}")
    total = Selection(user, tag).count()
    if args.format == "epub":
        return _export_epub(Selection(user, tag), target)
    columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TextColumn("links"))
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("export", total=total)
        selection = Selection(user, tag, progress=lambda done: bar.update(task, completed=done))
        try:
            written = write_export(selection, args.format, target)
        except OSError as exc:
            raise CLIError(f"could not write {target}: {exc.strerror or exc}") from None
    what = f"tag {tag.name!r}" if tag else "library"
    err.print(f"wrote {total:,} links ({what}, {args.format}, {written:,} bytes) to {target}")
    return 0


def _export_epub(selection, target: Path) -> int:  # noqa: ANN001
    """The selection's articles as one e-book, written whole (a .part file renamed)."""
    from snapshelf.io.exporters import EpubError, selection_epub

    try:
        data = selection_epub(selection)
    except EpubError as exc:
        raise CLIError(str(exc)) from None
    part = target.with_name(target.name + ".part")
    try:
        part.write_bytes(data)
        part.replace(target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise CLIError(f"could not write {target}: {exc.strerror or exc}") from None
    what = f"tag {selection.tag.name!r}" if selection.tag else "library"
    err.print(f"wrote an e-book ({what}, {len(data):,} bytes) to {target}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "export", cmd_export, "export the library (or one tag) to a file")
    p.add_argument("--format", choices=FORMATS, required=True, help="the file format")
    p.add_argument("--tag", "-t", help="only the links with this tag")
    p.add_argument("-o", "--output", required=True, help="the file to write")
    user_option(p)
