"""Many links written at once, merged with the ones the owner already has.

Row-at-a-time saving costs a dozen statements per link; an import of 100,000 bookmarks
needs a handful of statements per batch instead: links, tags, tag links, snapshots and
index documents are each written with one bulk statement. The caller holds the batch's
transaction and queues the captures after it commits (snapshelf.services.imports).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Protocol

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from snapshelf.capture.extract import extract_html, fingerprint
from snapshelf.capture.normalize import normalize_url
from snapshelf.errors import InvalidURL
from snapshelf.library.models import Blob, Link, Snapshot, Tag, sort_key
from snapshelf.library.records import clean_tag_names, url_hash
from snapshelf.storage import get_blob_store

MAX_URL = 8000  # longer "URLs" in exports are data: URIs or garbage, never a page
TITLE_CHARS = Link._meta.get_field("title").max_length


class IncomingLink(Protocol):
    """What a row of an import brings (snapshelf.services.imports.ImportedLink)."""

    url: str
    title: str
    tags: tuple[str, ...]
    note: str
    added: datetime | None
    unread: bool | None
    favorite: bool | None
    archived: bool | None
    content_html: str
    line: int


@dataclass
class Merged:
    added: int = 0
    merged: int = 0
    rejected: list[tuple[IncomingLink, str]] = field(default_factory=list)
    #: snapshots to capture once the batch has committed
    queued: list[int] = field(default_factory=list)
    #: links whose index documents are to be rewritten (added or merged)
    link_ids: list[int] = field(default_factory=list)


@dataclass
class _Pending:
    row: IncomingLink
    normalized: str
    tags: list[str]
    added: datetime | None
    title: str
    note: str


def merge_links(
    owner: AbstractBaseUser,
    rows: Sequence[IncomingLink],
    *,
    extra_tags: Iterable[str] = (),
    capture: bool = True,
) -> Merged:
    """Add `rows` to `owner`'s library inside the caller's transaction.

    A URL already saved (or twice in the batch) is merged: tags unioned, the earliest
    date kept, an empty title or note filled; its flags stay as the owner set them.
    New links get version 1: done from the row's content when it brings the article,
    else queued for capture (`capture`), else none until the owner asks."""
    out = Merged()
    pending = _pending(rows, list(extra_tags), out)
    if not pending:
        return out
    existing = {
        link.url_hash: link
        for link in Link.objects.filter(owner=owner, url_hash__in=list(pending)).select_related(
            "latest_snapshot"
        )
    }
    created = _create_links(owner, pending, existing)
    _merge_existing(pending, existing)
    out.added, out.merged = len(created), len(existing)
    every = {**existing, **created}
    _tag_links(owner, pending, every)
    out.queued = _first_snapshots(pending, created, capture)
    out.link_ids = [link.pk for link in every.values()]
    return out


def _pending(rows: Sequence[IncomingLink], extra: list[str], out: Merged) -> dict[str, _Pending]:
    pending: dict[str, _Pending] = {}
    for row in rows:
        try:
            if len(row.url) > MAX_URL:
                raise InvalidURL(f"the URL is longer than {MAX_URL} characters")
            normalized = normalize_url(row.url)
        except InvalidURL as exc:
            out.rejected.append((row, str(exc)))
            continue
        key = url_hash(normalized)
        tags = clean_tag_names([*row.tags, *extra])
        title, note = _one_line(row.title)[:TITLE_CHARS], row.note.strip()
        if title in (row.url.strip(), normalized):  # says nothing the URL does not
            title = ""
        if (seen := pending.get(key)) is None:
            pending[key] = _Pending(row, normalized, tags, row.added, title, note)
            continue
        seen.tags = clean_tag_names([*seen.tags, *tags])
        seen.added = _earliest(seen.added, row.added)
        seen.title, seen.note = seen.title or title, seen.note or note
    return pending


def _one_line(title: str) -> str:
    """A title as one line: line breaks (a wrapped title in an export) become a space;
    spacing on one line is the title's own."""
    title = title.strip()
    return " ".join(title.split()) if any(c in title for c in "\n\r\t") else title


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a and b else a or b


def _create_links(
    owner: AbstractBaseUser, pending: dict[str, _Pending], existing: dict[str, Link]
) -> dict[str, Link]:
    fresh = {key: item for key, item in pending.items() if key not in existing}
    links = {}
    for key, item in fresh.items():
        row = item.row
        links[key] = Link(
            owner=owner,
            url=row.url.strip(),
            url_normalized=item.normalized,
            url_hash=key,
            title=item.title,
            note=item.note,
            unread=row.unread if row.unread is not None else not row.archived,
            favorite=bool(row.favorite),
            archived=bool(row.archived),
            sort_title=sort_key(item.title or row.url.strip()),
            **({"created": item.added} if item.added else {}),
        )
    Link.objects.bulk_create(links.values())
    return links


def _merge_existing(pending: dict[str, _Pending], existing: dict[str, Link]) -> None:
    changed = []
    for key, link in existing.items():
        item = pending[key]
        before = (link.created, link.title, link.note)
        if item.added is not None and item.added < link.created:
            link.created = item.added
        if not link.title and item.title:
            link.title = item.title
            link.sort_title = sort_key(link.display_title)
        if not link.note and item.note:
            link.note = item.note
        if (link.created, link.title, link.note) != before:
            changed.append(link)
    Link.objects.bulk_update(changed, ["created", "title", "sort_title", "note"])


def _tag_links(owner: AbstractBaseUser, pending: dict[str, _Pending], links: dict[str, Link]):
    spelled: dict[str, str] = {}
    for item in pending.values():
        for name in item.tags:
            spelled.setdefault(name.lower(), name)
    if not spelled:
        return
    tags = _tags_by_lower(owner, spelled)
    missing = [Tag(owner=owner, name=name) for low, name in spelled.items() if low not in tags]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)  # a concurrent add wins
        tags = _tags_by_lower(owner, spelled)
    pairs = sorted(
        {(links[key].pk, tags[name.lower()]) for key, item in pending.items() for name in item.tags}
    )
    # a plain multi-row INSERT: a model instance per tag link costs more than the write;
    # ON CONFLICT (SQLite and PostgreSQL alike) skips the tags a link already had
    through = Link.tags.through._meta
    table, quote = through.db_table, connection.ops.quote_name
    link_col, tag_col = (through.get_field(f).column for f in ("link", "tag"))
    insert = f"INSERT INTO {quote(table)} ({quote(link_col)}, {quote(tag_col)}) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), 400):
            chunk = pairs[start : start + 400]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            # names from the model's meta; values are parameters
            sql = f"{insert}{values} ON CONFLICT DO NOTHING"
            cursor.execute(sql, [value for pair in chunk for value in pair])


def _tags_by_lower(owner: AbstractBaseUser, spelled: dict[str, str]) -> dict[str, int]:
    rows = (
        Tag.objects.filter(owner=owner)
        .annotate(low=Lower("name"))
        .filter(low__in=list(spelled))
        .values_list("low", "pk")
    )
    return dict(rows)


def _first_snapshots(
    pending: dict[str, _Pending], created: dict[str, Link], capture: bool
) -> list[int]:
    """Version 1 of each new link; the ids of those to capture."""
    snaps = {}
    for key, link in created.items():
        row = pending[key].row
        if row.content_html.strip():
            snaps[key] = _imported_snapshot(link, row)
        elif capture:
            snaps[key] = Snapshot(link=link, version=1, mode=link.capture_mode)
    Snapshot.objects.bulk_create(snaps.values())
    for key, snap in snaps.items():
        created[key].latest_snapshot = snap
    first = Snapshot.objects.filter(link=OuterRef("pk"), version=1).values("pk")[:1]
    Link.objects.filter(pk__in=[created[key].pk for key in snaps]).update(
        latest_snapshot=Subquery(first)
    )
    return [snap.pk for snap in snaps.values() if snap.status == Snapshot.Status.QUEUED]


def _imported_snapshot(link: Link, row: IncomingLink) -> Snapshot:
    """The article as another service stored it, kept as this link's first version: its
    readable text and HTML are extracted (and sanitised) like a capture's; the page
    itself is not fetched again unless the owner asks for a new snapshot."""
    document = _standalone(row.title, row.content_html)
    extracted = extract_html(document, link.url_normalized)
    info = get_blob_store().put(document.encode())
    Blob.objects.get_or_create(
        sha256=info.sha256, defaults={"size": info.size, "stored_size": info.stored_size}
    )
    now = timezone.now()
    return Snapshot(
        link=link,
        version=1,
        mode=Snapshot.Mode.IMPORTED,
        status=Snapshot.Status.DONE,
        started=now,
        finished=now,
        final_url=link.url_normalized,
        content_type="text/html",
        charset="utf-8",
        kind="html",
        title=row.title or extracted.title,
        author=extracted.author,
        published=extracted.date,
        site_name=extracted.site_name,
        language=extracted.language,
        description=extracted.description,
        text=extracted.text,
        readable_html=extracted.html,
        markdown=extracted.markdown,
        word_count=extracted.word_count,
        fingerprint=fingerprint(extracted.text),
        original_blob_id=info.sha256,
        root_blob_id=info.sha256,
        total_bytes=info.size,
    )


def _standalone(title: str, content: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body><article>{content}</article></body></html>"
    )
