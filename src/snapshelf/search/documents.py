"""The search document of a link: what the index stores for it, column by column.

One document per Link. Each column is the analyzer's output (analyze()) of its source
text, so the index backends only ever split on spaces:

- title: the user's title, else the latest finished capture's title
- tags:  the tag names
- site:  the capture's site name, the URL host and the URL
- note:  the user's note, and the link's highlights: each passage and its note
- body:  the latest finished capture's plain main text (capped at BODY_CHARS)

Older finished captures of a link (every done version but the latest) have a second,
body-only document each (VersionDocument), for searches with ``in:versions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from snapshelf.library.models import Link, Snapshot
from snapshelf.reading.models import Highlight
from snapshelf.text.analyzer import analyze

#: Longer texts are cut: the rest seldom changes what a search finds, and costs index size.
BODY_CHARS = 200_000
COLUMNS = ("title", "tags", "site", "note", "body")


@dataclass(frozen=True)
class Document:
    link_id: int
    owner_id: int
    title: str
    tags: str
    site: str
    note: str
    body: str

    def columns(self) -> tuple[str, str, str, str, str]:
        return (self.title, self.tags, self.site, self.note, self.body)


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def latest_done(link_ids: Iterable[int]) -> dict[int, Snapshot]:
    """The latest finished capture of each link (by id: captures are numbered upwards).

    The candidates are read through the link index and picked here: a GROUP BY with a
    status condition led SQLite to scan every finished snapshot (~25 ms at 20,000).
    """
    ids = list(link_ids)
    if not ids:
        return {}
    latest: dict[int, int] = {}
    rows = Snapshot.objects.filter(link_id__in=ids).values_list("id", "link_id", "status")
    for pk, link_id, status in rows:
        if status == Snapshot.Status.DONE and pk > latest.get(link_id, 0):
            latest[link_id] = pk
    snaps = Snapshot.objects.filter(pk__in=list(latest.values())).only(
        "id", "link_id", "title", "site_name", "text"
    )
    return {s.link_id: s for s in snaps}


def build(
    link: Link, snap: Snapshot | None, tag_names: Iterable[str], highlights: Iterable[str] = ()
) -> Document:
    """The analyzed document of one link (tags and highlights' texts given so callers can
    batch-load them)."""
    title = link.title or (snap.title if snap else "")
    site = " ".join(x for x in ((snap.site_name if snap else ""), _host(link.url), link.url) if x)
    body = snap.text[:BODY_CHARS] if snap else ""
    return Document(
        link_id=link.pk,
        owner_id=link.owner_id,
        title=analyze(title),
        tags=analyze(" ".join(tag_names)),
        site=analyze(site),
        note=analyze("\n".join([link.note, *highlights])),
        body=analyze(body),
    )


def documents(link_ids: Iterable[int]) -> Iterator[Document]:
    """Documents for the links that exist among `link_ids` (four queries per call)."""
    ids = list(link_ids)
    links = list(Link.objects.filter(pk__in=ids).only("id", "owner_id", "url", "title", "note"))
    snaps = latest_done(ids)
    through = Link.tags.through
    names: dict[int, list[str]] = {}
    for link_id, name in through.objects.filter(link_id__in=ids).values_list(
        "link_id", "tag__name"
    ):
        names.setdefault(link_id, []).append(name)
    marked: dict[int, list[str]] = {}
    rows = Highlight.objects.filter(link_id__in=ids).order_by("id")
    for link_id, exact, note in rows.values_list("link_id", "exact", "note"):
        marked.setdefault(link_id, []).extend((exact, note))
    for link in links:
        tags = sorted(names.get(link.pk, []))
        yield build(link, snaps.get(link.pk), tags, marked.get(link.pk, ()))


@dataclass(frozen=True)
class VersionDocument:
    """The analyzed text of an older finished capture, searched only with in:versions."""

    snapshot_id: int
    link_id: int
    body: str


def older_versions(link_ids: Iterable[int]) -> tuple[dict[int, int], list[int]]:
    """({snapshot id: link id} of every finished capture that is not its link's latest
    finished one, [every snapshot id of these links]), in one query."""
    ids = list(link_ids)
    if not ids:
        return {}, []
    done: dict[int, list[int]] = {}
    every: list[int] = []
    rows = Snapshot.objects.filter(link_id__in=ids).values_list("id", "link_id", "status")
    for pk, link_id, status in rows:
        every.append(pk)
        if status == Snapshot.Status.DONE:
            done.setdefault(link_id, []).append(pk)
    older = {pk: link_id for link_id, pks in done.items() for pk in sorted(pks)[:-1]}
    return older, every


def version_documents(snapshot_ids: Iterable[int]) -> Iterator[VersionDocument]:
    """Body documents of these captures (the caller picks which: see older_versions)."""
    rows = Snapshot.objects.filter(pk__in=list(snapshot_ids)).values_list("id", "link_id", "text")
    for pk, link_id, text in rows:
        yield VersionDocument(snapshot_id=pk, link_id=link_id, body=analyze(text[:BODY_CHARS]))
