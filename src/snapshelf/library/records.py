"""Record-level operations on the library's rows: find or create links and tags, and
allocate snapshot versions. The service door (snapshelf.services) builds the user's
verbs on these; nothing here queues a capture or takes a quota.

Every function that takes the acting user scopes its queries to that user.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from snapshelf.capture.normalize import normalize_url
from snapshelf.library.models import Blob, Link, Snapshot, Tag
from snapshelf.storage import get_blob_store


def clean_tag_names(names: Iterable[str]) -> list[str]:
    """Trim, drop empties and duplicates (case-insensitively), keep first spelling."""
    seen: dict[str, str] = {}
    for raw in names:
        for part in str(raw).split(","):
            name = " ".join(part.split()).strip().lstrip("#")[:100]
            if name and name.lower() not in seen:
                seen[name.lower()] = name
    return list(seen.values())


def get_or_create_tags(owner: AbstractBaseUser, names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in clean_tag_names(names):
        tag = Tag.objects.filter(owner=owner, name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(owner=owner, name=name)
            except IntegrityError:  # created concurrently
                tag = Tag.objects.get(owner=owner, name__iexact=name)
        tags.append(tag)
    return tags


def link_count_subquery() -> Subquery:
    """How many links carry the outer tag, counted on the link-tag table's tag index alone."""
    per_tag = (
        Link.tags.through.objects.filter(tag_id=OuterRef("pk"))
        .order_by()
        .values("tag_id")
        .annotate(c=Count("*"))
        .values("c")
    )
    return Coalesce(Subquery(per_tag), 0)


def url_hash(normalized: str) -> str:
    return hashlib.sha256(normalized.encode()).hexdigest()


def get_or_create_link(owner: AbstractBaseUser, url: str) -> tuple[Link, bool]:
    normalized = normalize_url(url)
    if "://" not in url:  # "example.org/page", as the CLI and the web both accept it:
        url = "https://" + url.strip()  # keep the address normalize_url captures
    key = url_hash(normalized)
    link = Link.objects.filter(owner=owner, url_hash=key).first()
    if link:
        return link, False
    try:
        with transaction.atomic():
            return Link.objects.create(
                owner=owner, url=url.strip(), url_normalized=normalized, url_hash=key
            ), True
    except IntegrityError:
        return Link.objects.get(owner=owner, url_hash=key), False


def new_snapshot(link: Link, mode: str | None = None, *, force: bool = False) -> Snapshot:
    """A queued snapshot with the next version number of its link.

    Its `mode` is the one asked for (the link's capture mode unless given); the capture
    replaces it with the mode it actually used (static or browser). Unless `force`, a
    capture whose text equals the previous version's is folded into that version."""
    mode = mode or link.capture_mode
    # The previous title stays on show while the new version is captured.
    previous = link.snapshots.exclude(title="").values_list("title", flat=True).first() or ""
    for _ in range(5):
        version = (link.snapshots.aggregate(v=Max("version"))["v"] or 0) + 1
        try:
            with transaction.atomic():
                snap = Snapshot.objects.create(
                    link=link, version=version, mode=mode, title=previous, force=force
                )
                Link.objects.filter(pk=link.pk).update(latest_snapshot=snap)
                link.latest_snapshot = snap
                return snap
        except IntegrityError:  # another process took this version number
            continue
    raise RuntimeError("could not allocate a snapshot version")


def add_link(
    owner: AbstractBaseUser,
    url: str,
    tags: Iterable[str] = (),
    mode: str | None = None,
    *,
    force: bool = False,
) -> tuple[Link, Snapshot]:
    """Save a link (or find the existing one) and queue a new snapshot version of it
    (kept only if its text changed, unless `force`)."""
    link, _created = get_or_create_link(owner, url)
    tag_objs = get_or_create_tags(owner, tags)
    if tag_objs:
        link.tags.add(*tag_objs)
    if mode and mode != link.capture_mode:  # asking for a mode sets the link's preference
        link.capture_mode = mode
        link.save(update_fields=["capture_mode"])
    return link, new_snapshot(link, force=force)


def links_for(owner: AbstractBaseUser) -> QuerySet[Link]:
    return Link.objects.filter(owner=owner)


def snapshot_for(owner: AbstractBaseUser, snapshot_id: int) -> Snapshot:
    """The snapshot if `owner` owns it; Snapshot.DoesNotExist otherwise (same as missing)."""
    return Snapshot.objects.select_related("link").get(pk=snapshot_id, link__owner=owner)


def add_uploaded(
    owner: AbstractBaseUser, url: str, html: bytes, tags: Iterable[str] = ()
) -> tuple[Link, Snapshot]:
    """Save a page the user's own browser sent (e.g. behind a login): the uploaded HTML
    is the document; the capture fetches its subresources through the guard."""
    link, _created = get_or_create_link(owner, url)
    tag_objs = get_or_create_tags(owner, tags)
    if tag_objs:
        link.tags.add(*tag_objs)
    info = get_blob_store().put(html)
    # The blob row and the snapshot that references it commit together: an orphan sweep
    # running in between cannot delete the row (it finds the reference, or a foreign key
    # stops it), and a failure leaves no snapshot without its document.
    with transaction.atomic():
        Blob.objects.get_or_create(
            sha256=info.sha256, defaults={"size": info.size, "stored_size": info.stored_size}
        )
        snap = new_snapshot(link, Snapshot.Mode.UPLOAD)
        Snapshot.objects.filter(pk=snap.pk).update(original_blob_id=info.sha256)
    snap.original_blob_id = info.sha256
    return link, snap
