"""`snapshelf extract`: the readable article of URLs or files, without Django or storage.

The capture code is slow to import, so it is imported when the command runs, not when
the parser is built."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from snapshelf.cli.common import CLIError, command, err, out, print_json

# What an input that could not be read has instead of an article.
ARTICLE_FIELDS = ("title", "author", "date", "site_name", "language", "text", "html")


def extract_one(source: str, fetcher_factory: Callable) -> dict[str, Any]:
    from snapshelf.capture.normalize import normalize_url
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
        return result | dict.fromkeys(ARTICLE_FIELDS) | {"error": str(exc), "error_code": exc.code}
    except OSError as exc:
        return (
            result
            | dict.fromkeys(ARTICLE_FIELDS)
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
    from rich.progress import Progress

    factory = _LazyFetcher()
    failures = 0
    show_progress = len(args.sources) > 1 and err.is_terminal
    try:
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


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub,
        "extract",
        cmd_extract,
        "extract the readable article of URLs or files (nothing is stored)",
        django=False,
    )
    p.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--json", action="store_true", help="one JSON object per input (JSON Lines)")
