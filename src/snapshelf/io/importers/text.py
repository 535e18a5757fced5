"""Plain text: one URL a line (or any text with web addresses in it); `#` comments."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO

from snapshelf.services.imports import ImportedLink, Rejected

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}>'\""


def read(stream: BinaryIO) -> Iterator[ImportedLink | Rejected]:
    lines = codecs.getreader("utf-8-sig")(stream, errors="replace")
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = [m.rstrip(_TRAILING) for m in _URL.findall(line)]
        if not found and " " not in line:
            found = [line]  # "example.com/page": the service decides if it is a URL
        if not found:
            yield Rejected(n, line[:200], "no web address on this line")
        for url in dict.fromkeys(found):
            yield ImportedLink(url=url, line=n)
