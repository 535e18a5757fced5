"""Import a WARC file: each archived page becomes a snapshot of the owner's link, its
resources taken from the same file (nothing is fetched).

The file is indexed whole before anything is saved, so a broken file saves nothing;
each page is then saved in its own transaction through the service door
(`services.archives.save_archive`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from snapshelf.errors import CaptureError
from snapshelf.io.warc import WarcError, capture_archived, read_warc
from snapshelf.jobs.capture import capture_limits
from snapshelf.library.models import Link
from snapshelf.services.archives import save_archive

__all__ = ["WarcError", "import_warc", "looks_like_warc"]


def looks_like_warc(head: bytes) -> bool:
    """Whether a file starting with `head` (its first 512 bytes, say) is a WARC, plain or
    gzipped: format detection from content, for the importer that routes files."""
    if head.startswith(b"WARC/"):
        return True
    if head[:2] == b"\x1f\x8b":
        import zlib

        try:
            return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head).startswith(b"WARC/")
        except zlib.error:
            return False
    return False


def import_warc(
    owner,
    path: str | Path,
    *,
    tags: Iterable[str] = (),
    pages: Iterable[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Link]:
    """Save every page of the WARC at `path` (or only `pages`, URLs) for `owner`.

    Returns the links saved, in file order. Raises WarcError (one line) for a file that is
    not a readable WARC; a page whose URL cannot be saved is skipped and the rest kept.
    `progress(done, total, url)` is called after each page.
    """
    tags = list(tags)
    limits = capture_limits()
    links: list[Link] = []
    with read_warc(path) as archive:
        urls = list(pages) if pages is not None else archive.pages()
        for url in urls:  # before anything is saved
            if archive.resolve(url) is None:
                raise WarcError(f"{url} is not in {Path(path).name}")
        for n, url in enumerate(urls, 1):
            result = capture_archived(archive, url, limits)
            try:
                saved = save_archive(owner, url, result, tags=tags, captured_at=archive.date(url))
            except CaptureError:  # InvalidURL: a URL we would not capture either
                continue
            links.append(saved.link)
            if progress is not None:
                progress(n, len(urls), url)
    return links
