"""What every export format shares: what is exported (`Selection`: one owner's links,
all or one tag's) and the interface each format implements (`Exporter`).

Formats stream: `chunks()` yields bytes a few hundred links (or one snapshot) at a time,
reading rows with `QuerySet.iterator`, so a library of any size exports in bounded
memory, to a file (CLI) or to an HTTP response (web) alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.text import slugify

from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.library.records import links_for

#: Rows read from the database per round trip while streaming.
CHUNK = 500


@dataclass(frozen=True)
class Selection:
    """The links an export holds: the owner's, all of them or those with `tag`."""

    owner: AbstractBaseUser
    tag: Tag | None = None
    #: called with the number of links written so far (progress bars)
    progress: Callable[[int], None] | None = None

    def links(self) -> QuerySet[Link]:
        links = links_for(self.owner)
        if self.tag is not None:
            links = links.filter(tags=self.tag)
        return links.order_by("created", "id")

    def count(self) -> int:
        return self.links().count()

    def newest_done(self) -> QuerySet[Snapshot]:
        """Each selected link's newest finished version (links without one are left out),
        in the links' order; the heavy text columns are not loaded."""
        newest = (
            Snapshot.objects.filter(link=OuterRef("pk"), status=Snapshot.Status.DONE)
            .order_by("-version")
            .values("pk")[:1]
        )
        ids = self.links().annotate(done=Subquery(newest)).exclude(done=None).values("done")
        return (
            Snapshot.objects.filter(pk__in=ids, link__owner=self.owner)
            .select_related("link")
            .defer("text", "readable_html", "link__note")
            .order_by("link__created", "link_id")
        )

    @property
    def label(self) -> str:
        """A file-name part: "library" or the tag's name."""
        if self.tag is None:
            return "library"
        return slugify(self.tag.name, allow_unicode=True)[:60] or "tag"

    def tick(self, done: int) -> None:
        if self.progress is not None:
            self.progress(done)


def link_batches(selection: Selection, fields: Mapping[str, str]) -> Iterator[list[dict]]:
    """The selected links as dicts ({name: value of the lookup} for `fields`) plus "tags"
    (names, sorted), CHUNK at a time: plain rows and one tag query per batch (model
    instances and prefetching cost several times more per link)."""
    same = [name for name, lookup in fields.items() if name == lookup]
    renamed = {name: F(lookup) for name, lookup in fields.items() if name != lookup}
    rows = selection.links().values(*same, **renamed)
    batch: list[dict] = []
    for row in rows.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            yield _with_tags(batch)
            batch = []
    if batch:
        yield _with_tags(batch)


def _with_tags(batch: list[dict]) -> list[dict]:
    names: dict[int, list[str]] = {row["id"]: [] for row in batch}
    pairs = Link.tags.through.objects.filter(link_id__in=list(names)).values_list(
        "link_id", "tag__name"
    )
    for link_id, name in pairs:
        names[link_id].append(name)
    for row in batch:
        row["tags"] = sorted(names[row["id"]], key=str.casefold)
    return batch


def display_title(row: dict) -> str:
    """What the library shows (Link.display_title) from a row with "latest_title"."""
    return row["title"] or row.get("latest_title") or row["url"]


def find_tag(owner: AbstractBaseUser, name: str) -> Tag:
    """The owner's tag called `name` (any case); Tag.DoesNotExist for anyone else's."""
    return Tag.objects.get(owner=owner, name__iexact=name.strip())


class Exporter:
    """One export format. Subclasses set the names and implement `chunks`."""

    name: str = ""
    extension: str = ""
    content_type: str = "application/octet-stream"

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        raise NotImplementedError

    def filename(self, selection: Selection, when: datetime | None = None) -> str:
        stamp = (when or timezone.now()).strftime("%Y%m%d")
        return f"snapshelf-{selection.label}-{stamp}.{self.extension}"


def epoch(when: datetime | None) -> str:
    return str(int(when.timestamp())) if when else ""


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
