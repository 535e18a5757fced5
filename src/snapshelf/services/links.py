"""The door for every change to a user's links.

The web views, the bookmarklet, the CLI and bulk actions (and the API and importers
to come) change links only through these functions, so each rule lives once: the link
belongs to the acting user, the web's capture quota is taken before anything is
written, and a capture is queued only once the change has committed. Reads that
answer "may this user see it" are here too, so every door checks ownership the same
way (someone else's link is `Link.DoesNotExist`, which callers show as "not found").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from snapshelf.capture.normalize import normalize_url
from snapshelf.errors import Blocked, ConnectionFailed, ForbiddenURL
from snapshelf.jobs import heartbeat, waiting
from snapshelf.jobs.outcome import Captured
from snapshelf.jobs.tasks import enqueue_capture
from snapshelf.library import records, watch
from snapshelf.library.models import Link, Snapshot, new_share_token
from snapshelf.library.removal import delete_snapshot
from snapshelf.net import Guard
from snapshelf.services import quota


@dataclass(frozen=True)
class Wait:
    """How a caller waits for its capture (`wait=True` means `Wait()`): at most `timeout`
    seconds for a worker, hearing the snapshot and the seconds waited at every look."""

    timeout: float = 300.0
    on_status: Callable[[Snapshot, float], None] | None = None


@dataclass(frozen=True)
class Saved:
    """A saved link and the snapshot taken (or queued) for it."""

    link: Link
    snapshot: Snapshot
    #: with `wait`: how the capture ended (the kept version when nothing changed)
    captured: Captured | None = None
    #: with `wait`: who captured it, "worker" or "in-process" (no worker was running)
    captured_by: str = ""

    @property
    def unchanged(self) -> bool:
        return self.captured is not None and self.captured.unchanged


@dataclass(frozen=True)
class LinkChanges:
    """What the edit form may change; None leaves a field as it is."""

    title: str | None = None
    note: str | None = None
    tags: list[str] | None = None
    unread: bool | None = None
    favorite: bool | None = None
    archived: bool | None = None
    visibility: str | None = None
    capture_mode: str | None = None


_FIELDS = ("title", "note", "unread", "favorite", "archived", "visibility", "capture_mode")


def get_link(owner: AbstractBaseUser, pk: int) -> Link:
    """The owner's link; Link.DoesNotExist for anyone else's (same as a missing one)."""
    return records.links_for(owner).select_related("latest_snapshot").get(pk=pk)


def _check_owner(owner: AbstractBaseUser, link: Link) -> None:
    if link.owner_id != owner.pk:
        raise Link.DoesNotExist("no such link")


def _take_quota(
    owner: AbstractBaseUser, count: int, limited: bool, *, storage: bool = True
) -> None:
    if limited and storage:
        quota.check_storage(owner.pk)  # before the hourly count: a refusal costs nothing
    if limited and (wait := quota.take(owner.pk, count)):
        raise quota.QuotaExceeded(wait)


def _capture(snapshot: Snapshot, wait: bool | Wait) -> tuple[Captured | None, str]:
    """The one place a user's change starts a capture: on the queue after commit. A caller
    who waits (the CLI's --wait) goes through a worker too when one is beating
    (jobs.heartbeat); with none, or inside a transaction the queue would not see before
    it commits, the capture runs in this process (no backoff: someone is waiting)."""
    if not wait:
        enqueue_capture(snapshot.pk)
        return None, ""
    wait = wait if isinstance(wait, Wait) else Wait()
    if heartbeat.worker_alive() and not transaction.get_connection().in_atomic_block:
        enqueue_capture(snapshot.pk)
        return waiting.wait_for_capture(snapshot, wait.timeout, wait.on_status)
    from snapshelf.jobs.capture import run_capture  # the capture stack, only when used here

    return run_capture(snapshot.pk, retry=False), "in-process"


def _saved(link: Link, snapshot: Snapshot, wait: bool | Wait) -> Saved:
    captured, by = _capture(snapshot, wait)
    return Saved(link, captured.snapshot if captured else snapshot, captured, by)


def save_link(
    owner: AbstractBaseUser,
    url: str,
    *,
    tags: Iterable[str] = (),
    title: str = "",
    mode: str | None = None,
    force: bool = False,
    limited: bool = True,
    wait: bool | Wait = False,
) -> Saved:
    """Save a link (or find the one already saved) and take a new snapshot of it.

    `title` fills the link's title only when it has none. `limited` takes one capture
    from the user's hourly quota (the CLI, the operator's own door, passes False).
    Raises InvalidURL for a URL that cannot be captured, QuotaExceeded when over quota."""
    check_destination(url)  # a URL that cannot be saved costs no quota
    if limited:
        quota.check_storage(owner.pk)
    with transaction.atomic():  # the capture starts after: never inside the transaction
        link, _created = records.get_or_create_link(owner, url)
        snap = _join_pending(link, force=force, mode=mode)
        if snap is None:
            # only a new capture is counted; refused, the transaction keeps nothing
            _take_quota(owner, 1, limited, storage=False)
            link, snap = records.add_link(owner, url, tags, mode=mode, force=force)
        else:
            link.tags.add(*records.get_or_create_tags(owner, tags))
            if mode and mode != link.capture_mode:
                link.capture_mode = mode
                link.save(update_fields=["capture_mode"])
        _fill_title(link, title)
    return _saved(link, snap, wait)


def check_destination(url: str) -> str:
    """The normalised URL, if the egress guard would let a capture reach it: refused now
    (ForbiddenURL, an InvalidURL) rather than failing later in the worker, which checks
    again when it connects (DNS answers change). A name that does not resolve now is
    accepted: the capture will say so, and may be retried."""
    normalized = normalize_url(url)
    guard = Guard.from_env()
    try:
        parsed = guard.parse_url(normalized)
        guard.resolve(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    except Blocked as exc:
        raise ForbiddenURL(str(exc)) from None
    except ConnectionFailed:  # unresolvable now: the capture decides
        pass
    return normalized


def _join_pending(link: Link, *, force: bool, mode: str | None) -> Snapshot | None:
    """The link's capture already queued or running, which a new request joins rather
    than fetch the same page twice and keep two identical versions (one capture per link
    at a time). Called in a transaction: the link row is locked first, so two requests at
    once cannot both miss the other's (PostgreSQL; SQLite's IMMEDIATE transactions
    serialise them already). A still queued capture takes the newer request's `force`
    and mode."""
    list(Link.objects.select_for_update().filter(pk=link.pk).values_list("pk"))
    pending = (
        link.snapshots.filter(status__in=(Snapshot.Status.QUEUED, Snapshot.Status.RUNNING))
        .order_by("-version")
        .first()
    )
    if pending is None:
        return None
    changes: dict[str, object] = {}
    if force and not pending.force:
        changes["force"] = True
    if mode and mode != pending.mode:
        changes["mode"] = mode
    if changes and Snapshot.objects.filter(pk=pending.pk, status=Snapshot.Status.QUEUED).update(
        **changes
    ):
        pending.refresh_from_db()
    return pending


def save_page(
    owner: AbstractBaseUser,
    url: str,
    html: bytes,
    *,
    tags: Iterable[str] = (),
    title: str = "",
    limited: bool = True,
) -> Saved:
    """Save a page as the user's own browser sent it (behind a log-in, say): the sent
    HTML is the document; its resources are fetched through the egress guard."""
    normalize_url(url)  # not check_destination: the page itself may be an intranet's
    _take_quota(owner, 1, limited)
    with transaction.atomic():
        link, snap = records.add_uploaded(owner, url, html, tags)
        _fill_title(link, title)
    return _saved(link, snap, wait=False)


def _fill_title(link: Link, title: str) -> None:
    if title and not link.title:
        link.title = title
        link.save(update_fields=["title"])


def snapshot_again(
    owner: AbstractBaseUser, link: Link, *, force: bool = False, limited: bool = True
) -> Snapshot:
    """Queue a new version of the link (kept only if its text changed, unless `force`)."""
    _check_owner(owner, link)
    if limited:
        quota.check_storage(owner.pk)
    with transaction.atomic():
        snap = _join_pending(link, force=force, mode=None)
        if snap is None:  # joining a queued capture costs no quota
            _take_quota(owner, 1, limited, storage=False)
            snap = records.new_snapshot(link, force=force)
    _capture(snap, wait=False)
    return snap


def snapshot_many_again(
    owner: AbstractBaseUser, links: Iterable[Link], *, limited: bool = True
) -> int:
    """Queue a new version of each of the owner's `links` (bulk re-snapshot)."""
    chosen = [link for link in links if link.owner_id == owner.pk]
    _take_quota(owner, len(chosen), limited)
    for link in chosen:
        _capture(records.new_snapshot(link), wait=False)
    return len(chosen)


@transaction.atomic
def edit_link(owner: AbstractBaseUser, link: Link, changes: LinkChanges) -> Link:
    """Apply the edit form's changes in one transaction (the index follows the save)."""
    _check_owner(owner, link)
    fields = [name for name in _FIELDS if getattr(changes, name) is not None]
    for name in fields:
        setattr(link, name, getattr(changes, name))
    if fields:
        link.save(update_fields=[*fields, "updated"])
    if changes.tags is not None:
        link.tags.set(records.get_or_create_tags(owner, changes.tags))
    return link


def add_tags(owner: AbstractBaseUser, link: Link, names: Iterable[str]) -> list[str]:
    """Give the link these tags (created when new); returns the names added."""
    _check_owner(owner, link)
    tags = records.get_or_create_tags(owner, names)
    if tags:
        link.tags.add(*tags)
    return [t.name for t in tags]


def set_unread(owner: AbstractBaseUser, link: Link, unread: bool) -> Link:
    _check_owner(owner, link)
    link.unread = unread
    link.save(update_fields=["unread", "updated"])
    return link


def mark_seen(owner: AbstractBaseUser, link: Link) -> bool:
    """The owner has seen a watched link's change: the library stops highlighting it."""
    _check_owner(owner, link)
    return watch.clear_changed(link)


def set_watch(owner: AbstractBaseUser, link: Link, hours: int) -> Link:
    """Re-capture the link every `hours` to look for changes (0: stop)."""
    _check_owner(owner, link)
    return watch.set_watch(link, hours)


def delete_link(owner: AbstractBaseUser, link: Link) -> None:
    """Delete the link with every version; their unshared blobs are freed on commit."""
    _check_owner(owner, link)
    link.delete()


def delete_version(owner: AbstractBaseUser, snapshot_id: int) -> Link:
    """Delete one version (VersionInUse while it is captured; Snapshot.DoesNotExist for
    anyone else's); the newest remaining finished version becomes the latest."""
    return delete_snapshot(owner, snapshot_id)


def start_captures(snapshot_ids: Iterable[int], *, background: bool = False) -> None:
    """Queue captures of snapshots already allocated (an import's new links) after the
    surrounding transaction commits; `background` ones wait behind a person's saves."""
    for snapshot_id in snapshot_ids:
        enqueue_capture(snapshot_id, background=background)


def new_share_address(owner: AbstractBaseUser, link: Link) -> Link:
    """Give the link a new secret share address: whoever had the old one loses it (the
    owner's way to revoke an unlisted link without making it private)."""
    _check_owner(owner, link)
    link.share_token = new_share_token()
    link.save(update_fields=["share_token", "updated"])
    return link
