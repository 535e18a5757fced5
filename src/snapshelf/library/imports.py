"""Many links written at once, merged with the ones the owner already has.

Row-at-a-time saving costs a dozen statements per link; an import of 100,000 bookmarks
needs a handful of statements per batch instead: links, tags, tag links, snapshots and
index documents are each written with one bulk statement. New links and tag links go as
plain multi-row INSERTs (model instances and Django's per-field preparation cost more
than the writes); a link the owner saved meanwhile (ON CONFLICT) is merged like one
found before. The caller holds the batch's transaction and queues the captures after it
commits (snapshelf.services.imports).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Protocol

from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, OuterRef, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

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
    #: links whose index documents are to be rewritten (merged, or added with an article)
    link_ids: list[int] = field(default_factory=list)
    #: links added without any text of their own yet: their documents are written from
    #: what the row brought, with nothing to replace (snapshelf.search.index.index_new)
    fresh: list[NewLink] = field(default_factory=list)


@dataclass(frozen=True)
class NewLink:
    """A link this batch created, as its search document needs it (no capture done)."""

    pk: int
    owner_id: int
    url: str
    title: str
    note: str
    #: the tags' names as stored (a tag the owner had keeps its spelling)
    tags: tuple[str, ...]


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
    existing = _links(owner, list(pending))
    created = _insert_links(owner, {k: v for k, v in pending.items() if k not in existing})
    # a link saved meanwhile (by hand, while this batch was written) is merged as well
    existing.update(_links(owner, [k for k in pending if k not in existing and k not in created]))
    _merge_existing(pending, existing)
    out.added, out.merged = len(created), len(existing)
    every = {**{key: link.pk for key, link in existing.items()}, **created}
    names = _tag_links(owner, pending, every)
    snaps = _first_snapshots(owner, pending, created, capture)
    out.queued = [snap.pk for snap in snaps.values() if snap.status == Snapshot.Status.QUEUED]
    done = {key for key, snap in snaps.items() if snap.status == Snapshot.Status.DONE}
    out.link_ids = [link.pk for link in existing.values()] + [created[key] for key in done]
    out.fresh = [
        NewLink(
            pk=pk,
            owner_id=owner.pk,
            url=pending[key].row.url.strip(),
            title=pending[key].title,
            note=pending[key].note,
            tags=tuple(sorted(names[tag.lower()] for tag in pending[key].tags)),
        )
        for key, pk in created.items()
        if key not in done
    ]
    return out


def _links(owner: AbstractBaseUser, keys: list[str]) -> dict[str, Link]:
    """The owner's links among these URL hashes. Which exist is asked with a plain
    statement (the ORM spent ten times the query's time preparing 500 parameters); only
    links found, often none in an import, are loaded as models."""
    if not keys:
        return {}
    quote, meta = connection.ops.quote_name, Link._meta
    owner_col, hash_col = (quote(meta.get_field(n).column) for n in ("owner", "url_hash"))
    found: list[str] = []
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            cursor.execute(
                f"SELECT {hash_col} FROM {quote(meta.db_table)} WHERE {owner_col} = %s"  # noqa: S608
                f" AND {hash_col} IN ({', '.join(['%s'] * len(chunk))})",
                [owner.pk, *chunk],
            )
            found += [row[0] for row in cursor.fetchall()]
    if not found:
        return {}
    links = Link.objects.filter(owner=owner, url_hash__in=found).select_related("latest_snapshot")
    return {link.url_hash: link for link in links}


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


#: The columns of a new link an import row decides (in _decided's order); every other
#: field takes its default.
_DECIDED = (
    "owner",
    "url",
    "url_normalized",
    "url_hash",
    "title",
    "note",
    "unread",
    "favorite",
    "archived",
    "sort_title",
    "created",
)


def _insert_links(owner: AbstractBaseUser, fresh: dict[str, _Pending]) -> dict[str, int]:
    """Write these new links; {url hash: id} of those written. A URL the owner saved
    since the batch looked (a conflict on owner and URL) is left out, for the caller to
    merge. Every column of the model is written: the ones a row decides, and each other
    field's default (a unique one, the share token, drawn per row)."""
    if not fresh:
        return {}
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy `connection`: each attribute costs
    when = db.ops.adapt_datetimefield_value
    now = when(timezone.now())
    fields = [f for f in Link._meta.concrete_fields if not f.primary_key]
    base: list[object] = []
    drawn: list[tuple[int, Field]] = []  # unique, with a callable default: one per row
    for i, f in enumerate(fields):
        if f.name in _DECIDED:
            base.append(None)
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            base.append(now)
        elif f.unique and callable(f.default):
            base.append(None)
            drawn.append((i, f))
        else:
            base.append(f.get_db_prep_save(f.get_default(), connection))
    at = [[f.name for f in fields].index(name) for name in _DECIDED]

    def values(key: str, item: _Pending) -> list[object]:
        row, url = item.row, item.row.url.strip()
        decided = (
            owner.pk,
            url,
            item.normalized,
            key,
            item.title,
            item.note,
            row.unread if row.unread is not None else not row.archived,
            bool(row.favorite),
            bool(row.archived),
            sort_key(item.title or url),
            when(item.added) if item.added else now,
        )
        out = base.copy()
        for i, value in zip(at, decided, strict=True):
            out[i] = value
        for i, f in drawn:
            out[i] = f.get_db_prep_save(f.get_default(), db)
        return out

    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    owner_col, hash_col = (quote(Link._meta.get_field(n).column) for n in ("owner", "url_hash"))
    items = list(fresh.items())
    size = max(1, connection.ops.bulk_batch_size(fields, items))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    created: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            # names from the model's meta; values are parameters
            sql = (
                f"INSERT INTO {quote(Link._meta.db_table)} ({names}) VALUES "  # noqa: S608
                f"{', '.join([row] * len(chunk))} ON CONFLICT ({owner_col}, {hash_col}) "
                f"DO NOTHING RETURNING {quote(Link._meta.pk.column)}, {hash_col}"
            )
            cursor.execute(sql, [value for key, item in chunk for value in values(key, item)])
            created.update((key, pk) for pk, key in cursor.fetchall())
    return created


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


def _tag_links(
    owner: AbstractBaseUser, pending: dict[str, _Pending], links: dict[str, int]
) -> dict[str, str]:
    """Tag every link with its row's tags; {lower-case name: the tag's stored name}."""
    spelled: dict[str, str] = {}
    for item in pending.values():
        for name in item.tags:
            spelled.setdefault(name.lower(), name)
    if not spelled:
        return {}
    tags = _tags_by_lower(owner, spelled)
    missing = [Tag(owner=owner, name=name) for low, name in spelled.items() if low not in tags]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)  # a concurrent add wins
        tags = _tags_by_lower(owner, spelled)
    pairs = sorted(
        {(links[key], tags[name.lower()][0]) for key, item in pending.items() for name in item.tags}
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
    return {low: name for low, (_pk, name) in tags.items()}


def _tags_by_lower(owner: AbstractBaseUser, spelled: dict[str, str]) -> dict[str, tuple[int, str]]:
    rows = (
        Tag.objects.filter(owner=owner)
        .annotate(low=Lower("name"))
        .filter(low__in=list(spelled))
        .values_list("low", "pk", "name")
    )
    return {low: (pk, name) for low, pk, name in rows}


def _first_snapshots(
    owner: AbstractBaseUser, pending: dict[str, _Pending], created: dict[str, int], capture: bool
) -> dict[str, Snapshot]:
    """Version 1 of each new link that gets one: the article the row brought (done), or
    a capture to queue."""
    keys = [key for key in created if pending[key].row.content_html.strip() or capture]
    if not keys:
        return {}
    articles = [created[key] for key in keys if pending[key].row.content_html.strip()]
    links = Link.objects.in_bulk(articles) if articles else {}
    mode = Link._meta.get_field("capture_mode").get_default()  # what a new link has
    snaps = {}
    for key in keys:
        pk, row = created[key], pending[key].row
        if row.content_html.strip():
            snaps[key] = _imported_snapshot(links[pk], row)
        else:
            snaps[key] = Snapshot(link_id=pk, version=1, mode=mode)
    Snapshot.objects.bulk_create(snaps.values())
    first = Snapshot.objects.filter(link=OuterRef("pk"), version=1).values("pk")[:1]
    Link.objects.filter(pk__in=[created[key] for key in snaps]).update(
        latest_snapshot=Subquery(first)
    )
    return snaps


def _imported_snapshot(link: Link, row: IncomingLink) -> Snapshot:
    """The article as another service stored it, kept as this link's first version: its
    readable text and HTML are extracted (and sanitised) like a capture's; the page
    itself is not fetched again unless the owner asks for a new snapshot."""
    from snapshelf.capture.extract import extract_html, fingerprint  # the parser, on use

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
