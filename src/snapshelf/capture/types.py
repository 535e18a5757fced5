"""Plain data passed between capture steps (no Django here)."""

from __future__ import annotations

from dataclasses import dataclass, field

#: HTTP header fields as received, in order, duplicates kept: [(name, value), ...]
Headers = list[tuple[str, str]]


@dataclass
class Fetched:
    """One HTTP response as the capture pipeline sees it."""

    url: str  # absolute URL as requested
    final_url: str  # after redirects
    status: int  # HTTP status (0 when no response was received)
    content_type: str  # MIME type only, lower-case, "" when absent
    charset: str | None  # charset parameter of Content-Type, if any
    body: bytes
    error_code: str | None = None  # set when the fetch failed (see snapshelf.errors)
    error: str | None = None
    headers: Headers = field(default_factory=list)  # the response's, as received (WARC)

    @property
    def ok(self) -> bool:
        return self.error_code is None and 200 <= self.status < 300


@dataclass
class Extracted:
    """What the reader view, search index and API need from one document."""

    title: str = ""
    author: str = ""
    date: str = ""  # "YYYY-MM-DD" or a full ISO datetime when the time is known
    site_name: str = ""
    language: str = ""
    description: str = ""
    image: str = ""
    text: str = ""
    html: str = ""
    markdown: str = ""
    word_count: int = 0
    # why the document has no text ("no_text"), "" when it has some: an empty
    # result is reported, never passed off as an article
    error: str = ""
