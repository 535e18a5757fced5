"""Generated bookmark files for import tests and benches (the corpora hold real ones)."""

from __future__ import annotations

from html import escape
from pathlib import Path


def write_netscape(path: Path, count: int, *, folders: int = 50) -> Path:
    """A Chrome-style export of `count` bookmarks spread over nested folders."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n"
            '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">\n'
            "<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n"
        )
        per = max(count // folders, 1)
        for n in range(count):
            if n % per == 0:
                if n:
                    f.write("</DL><p>\n")
                f.write(f'<DT><H3 ADD_DATE="1600000000">Folder {n // per}</H3>\n<DL><p>\n')
            title = escape(f"Bookmark number {n} — 书签 {n}")
            f.write(
                f'<DT><A HREF="https://site{n % 997}.example/path/{n}?q={n}" '
                f'ADD_DATE="{1500000000 + n}" TAGS="t{n % 13},common">{title}</A>\n'
                f"<DD>note {n}\n"
            )
        f.write("</DL><p>\n</DL><p>\n")
    return path
