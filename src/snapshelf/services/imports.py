"""The door for bringing many links in at once (an import file, later the API's bulk add).

An import is a stream of rows: each is saved, merged with the link the user already
has, or rejected with its line and reason. Rows are written a batch per transaction,
so a crash loses at most the batch in flight and never leaves half a row; captures
are queued after each batch commits, at a lower priority than links a person adds by
hand, so a big import never delays an interactive save.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from snapshelf.library import imports as records
from snapshelf.search.index import index_new, reindex_links
from snapshelf.services import links

#: Rows written per transaction: large enough for bulk statements to pay, small enough
#: that a batch's rows and their index documents fit easily in memory.
BATCH = 500


@dataclass
class ImportedLink:
    """One row of an import, as the parsers in snapshelf.io read it."""

    url: str
    title: str = ""
    tags: tuple[str, ...] = ()
    note: str = ""
    added: datetime | None = None
    unread: bool | None = None
    favorite: bool | None = None
    archived: bool | None = None
    private: bool | None = None
    #: the article as the other service stored it (wallabag): becomes the first snapshot
    content_html: str = ""
    #: where the row is in the file (a line number), for the report
    line: int = 0


@dataclass(frozen=True)
class Rejected:
    """A row that was not imported, and why (shown to the user as it is)."""

    line: int
    text: str
    reason: str


@dataclass
class ImportReport:
    added: int = 0
    merged: int = 0
    queued: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def import_links(
    owner: AbstractBaseUser,
    rows: Iterable[ImportedLink | Rejected],
    *,
    tags: Iterable[str] = (),
    capture: bool = True,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Save every row for `owner`, a batch per transaction; `tags` are added to all.

    New links get a snapshot queued (unless `capture` is False, or the row brings the
    article's content, which becomes the snapshot). A URL the user already has is
    merged: tags unioned, the earliest date kept, an empty title or note filled. Imports
    take no capture quota: the captures wait behind everything a person asks for."""
    extra = tuple(tags)
    report = ImportReport()
    for batch in _batches(rows, report):
        with transaction.atomic():
            outcome = records.merge_links(owner, batch, extra_tags=extra, capture=capture)
            reindex_links(outcome.link_ids)
            index_new(outcome.fresh)
        report.added += outcome.added
        report.merged += outcome.merged
        report.rejected += [Rejected(r.line, r.url, reason) for r, reason in outcome.rejected]
        report.queued += len(outcome.queued)
        links.start_captures(outcome.queued, background=True)
        if progress:
            progress(report)
    report.rejected.sort(key=lambda r: r.line)
    return report


def _batches(
    rows: Iterable[ImportedLink | Rejected], report: ImportReport
) -> Iterator[list[ImportedLink]]:
    batch: list[ImportedLink] = []
    for row in rows:
        if isinstance(row, Rejected):
            report.rejected.append(row)
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
