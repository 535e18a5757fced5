"""Reclaiming blobs nothing references any more.

Blobs are shared (by SHA-256) across snapshots and users, so a blob can only go when
no row points at it. Two paths remove them:

* `free_blobs`: deleting links or snapshots collects the blobs their rows referenced
  (`blobs_of_deletion`, called from a `pre_delete` hook on Snapshot that the jobs app
  registers: two queries per deletion however many links go) and, once that deletion
  has committed, removes the rows nobody else references and hands their bytes to a
  worker job (thousands of file deletions take seconds). No grace: they were in use
  until that moment, so no capture is creating them.
* `sweep` (daily job, `snapshelf gc`): Blob rows referenced by nothing and store
  objects with no Blob row, older than SNAPSHELF_GC_GRACE. These are left by crashes
  (a capture writes its bytes first and its rows in one transaction afterwards) and by
  anything `free_blobs` could not finish; so are the store's `.tmp-*`/`.del-*` files of
  interrupted writes and deletions, removed after the same grace. The sweep also
  reports Blob rows whose bytes are missing from the store, and with `verify` reads
  every blob and reports those whose bytes do not match their SHA-256 (reading refuses
  them anyway: `BlobCorrupt`). It repairs neither: the bytes are gone or wrong.

Why a racing capture cannot end up with a reference to missing bytes:

* Rows: each batch is one `DELETE ... WHERE NOT EXISTS (a referencing row) RETURNING`
  in a transaction. A capture that references a blob commits its row either before
  that statement (then NOT EXISTS keeps the blob, or, when it committed after our
  snapshot was taken, the database's foreign keys fail *our* transaction and the batch
  is tried again), or after it (then its own foreign key check fails and the capture is
  retried or fails; no dangling reference is ever committed).
* Bytes: a capture may be told by `store.put` "already stored", then insert a fresh
  Blob row after we deleted the old one. So bytes are deleted only after our commit,
  only for rows this call deleted (or objects with no row), and only if the store
  object was not put recently: `put` of stored bytes refreshes the object's time, and
  `delete(unless_put_since=...)` keeps such objects (the filesystem moves the file
  aside before judging it, so the check and the delete are one step). The cut-off is
  the capture lease (longer than any capture) for `free_blobs` and the grace for the
  sweep; bytes kept that way are rowless objects the next sweep removes.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from dataclasses import field as _field
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from snapshelf.library.models import Blob, Link, Resource, Snapshot
from snapshelf.storage import BlobCorrupt, BlobNotFound, get_blob_store

log = logging.getLogger(__name__)

#: Rows deleted (and shas checked) per statement: bounded transactions, bounded SQL.
BATCH = 500
#: A batch whose transaction lost a race with a capture is tried again this many times.
RETRIES = 3


# ------------------------------------------------------------------ what references a blob


def blob_references() -> list[models.ForeignKey]:
    """Every foreign key to Blob, found from the models, so a new reference (favicons,
    uploads, ...) is counted without touching this module (or the backup, which asks)."""
    return [
        f.field
        for f in Blob._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]


def _blob_fields(model: type) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.related_model is Blob]


def unreferenced() -> Q:
    """Blob rows no row of any referencing model points at."""
    q = Q()
    for field in blob_references():
        q &= ~Exists(field.model._base_manager.filter(**{field.name: OuterRef("pk")}))
    return q


# ------------------------------------------------------------------------------ reports


@dataclass
class Report:
    """What a sweep found (dry run) or removed; bytes are stored (compressed) bytes."""

    dry_run: bool
    grace_seconds: float
    orphan_rows: int = 0
    orphan_row_bytes: int = 0
    orphan_objects: int = 0
    orphan_object_bytes: int = 0
    #: bytes of deleted rows left in the store because a capture put them recently
    objects_kept_recent: int = 0
    #: captures left running by a dead worker: queued again (or, dry run, to be)
    stale_jobs: int = 0
    #: `.tmp-*`/`.del-*` files crashes left in the store, removed (or, dry run, to be)
    leftover_files: int = 0
    leftover_bytes: int = 0
    #: Blob rows whose bytes are not in the store (SHA-256s)
    missing: list[str] = _field(default_factory=list)
    #: with `verify`: blobs read whose bytes do not match their SHA-256
    corrupt: list[str] = _field(default_factory=list)
    #: with `verify`: blobs read and checked
    verified: int = 0

    @property
    def bytes(self) -> int:
        return self.orphan_row_bytes + self.orphan_object_bytes

    def as_dict(self) -> dict:
        return {**asdict(self), "bytes": self.bytes}


@dataclass
class Freed:
    rows: int = 0
    bytes: int = 0
    objects: int = 0


# ------------------------------------------------------------------------ deleting rows


def _chunks(items: Iterable, size: int = BATCH) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _delete_rows(orphans: QuerySet) -> list[tuple[str, int]]:
    """Delete the rows `orphans` selects (filtered by `unreferenced()`) in one statement;
    returns the (sha256, stored_size) of the rows it deleted."""
    sql, params = orphans.values("sha256").query.sql_with_params()
    # names quoted, every value a bound parameter
    table, sha, size = map(
        connection.ops.quote_name, (Blob._meta.db_table, "sha256", "stored_size")
    )
    statement = f"DELETE FROM {table} WHERE {sha} IN ({sql}) RETURNING {sha}, {size}"  # noqa: S608
    for attempt in range(RETRIES):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, params)
                rows = [(sha, size) for sha, size in cursor.fetchall()]
                # Foreign keys are deferred to commit; a reference a capture committed
                # meanwhile must fail here, inside the retry. (PostgreSQL checks every
                # deferred constraint now; SQLite serialises writers, so the NOT EXISTS
                # above already saw every reference and there is no table to check.)
                connection.check_constraints(table_names=[])
                return rows
        except IntegrityError:  # a capture referenced one of them meanwhile: look again
            if attempt == RETRIES - 1:
                raise
    return []


def delete_bytes(shas: Iterable[str], put_before: datetime) -> tuple[int, int]:
    """Delete store objects not put since `put_before`; returns (deleted, kept)."""
    store = get_blob_store()
    deleted = kept = 0
    for sha in shas:
        try:
            if store.delete(sha, unless_put_since=put_before):
                deleted += 1
            elif store.exists(sha):
                kept += 1
        except Exception:  # the store is down: the next sweep finds a rowless object
            log.warning("could not delete blob %s from the store", sha, exc_info=True)
    return deleted, kept


def free_blobs(
    candidates: Iterable[str],
    *,
    bytes_later: Callable[[list[str], datetime], object] | None = None,
) -> Freed:
    """Delete those of `candidates` that no row references (rows, then bytes).

    Called after a deletion committed; safe to call with anything, referenced or not.
    With `bytes_later` (a job taking the shas and the put-before time) the bytes are
    deleted by a worker (deleting thousands of files takes seconds; a web request
    deleting links should not wait for it)."""
    put_before = timezone.now() - timedelta(seconds=settings.SNAPSHELF_RETRY["lease"])
    freed = Freed()
    for chunk in _chunks(sorted({c for c in candidates if c})):
        rows = _delete_rows(Blob.objects.filter(sha256__in=chunk).filter(unreferenced()))
        freed.rows += len(rows)
        freed.bytes += sum(size for _sha, size in rows)
        shas = [sha for sha, _size in rows]
        if bytes_later and shas:
            bytes_later(shas, put_before)  # a lost job: the sweep finds rowless objects
        else:
            freed.objects += delete_bytes(shas, put_before)[0]
    return freed


# ---------------------------------------------------------------------------- the sweep


def sweep(dry_run: bool = False, grace: float | None = None, verify: bool = False) -> Report:
    """Remove (or with `dry_run` only count) orphan Blob rows, rowless store objects and
    crash-left temporary files older than the grace period; report Blob rows whose bytes
    are missing (and, with `verify`, corrupt)."""
    grace = settings.SNAPSHELF_GC_GRACE if grace is None else grace
    started = timezone.now()
    cutoff = started - timedelta(seconds=grace)
    report = Report(dry_run=dry_run, grace_seconds=grace)
    old_orphans = Blob.objects.filter(created__lt=cutoff).filter(unreferenced())
    if dry_run:
        found = old_orphans.aggregate(n=Count("pk"), size=Sum("stored_size"))
        report.orphan_rows, report.orphan_row_bytes = found["n"], found["size"] or 0
    else:
        while True:
            rows = _delete_rows(old_orphans.order_by("sha256")[:BATCH])
            report.orphan_rows += len(rows)
            report.orphan_row_bytes += sum(size for _sha, size in rows)
            report.objects_kept_recent += delete_bytes((sha for sha, _ in rows), cutoff)[1]
            if len(rows) < BATCH:
                break
    listed = _sweep_store(report, cutoff, dry_run)
    leftovers = get_blob_store().sweep_leftovers(cutoff, dry_run=dry_run)
    report.leftover_files, report.leftover_bytes = leftovers.files, leftovers.bytes
    check_rows(report, listed, started, verify)
    return report


def check_rows(report: Report, listed: set[bytes], before: datetime, verify: bool) -> None:
    """Into `report`: Blob rows created before `before` (when the store's listing began:
    a row is written after its bytes, so the listing saw them) that the store did not
    list; with `verify`, every blob is read and those whose bytes do not match their
    SHA-256 are reported too."""
    store = get_blob_store()
    rows = Blob.objects.filter(created__lt=before).order_by("sha256")
    for sha in rows.values_list("sha256", flat=True).iterator(chunk_size=BATCH):
        if not verify:
            if bytes.fromhex(sha) not in listed:
                report.missing.append(sha)
            continue
        try:
            store.get(sha)
        except BlobCorrupt:
            report.corrupt.append(sha)
        except BlobNotFound:
            report.missing.append(sha)
        report.verified += 1


def _sweep_store(report: Report, cutoff: datetime, dry_run: bool) -> set[bytes]:
    """Remove (or count) old rowless objects; returns every listed key (32-byte digests:
    a million blobs cost ~70 MB here) for `check_rows`."""
    store = get_blob_store()
    listed: set[bytes] = set()

    def old() -> Iterator:
        for blob in store.iter_blobs():
            listed.add(bytes.fromhex(blob.sha256))
            if blob.modified < cutoff:
                yield blob

    for chunk in _chunks(old()):
        known = set(
            Blob.objects.filter(sha256__in=[b.sha256 for b in chunk]).values_list(
                "sha256", flat=True
            )
        )
        for blob in chunk:
            if blob.sha256 in known:
                continue
            if dry_run or store.delete(blob.sha256, unless_put_since=cutoff):
                report.orphan_objects += 1
                report.orphan_object_bytes += blob.stored_size
    return listed


def count_stale() -> int:
    """Captures `recover_stale` would queue again now (for a dry run)."""
    cutoff = timezone.now() - timedelta(seconds=settings.SNAPSHELF_RETRY["lease"])
    return Snapshot.objects.filter(status=Snapshot.Status.RUNNING, started__lt=cutoff).count()


# --------------------------------------------------------- freeing blobs of deleted rows

_local = threading.local()


def _covering_filter(origin: object) -> Q | None:
    """The snapshots a deletion started from `origin` removes, as a filter, so their
    blobs are read in two queries however many links go."""
    User = get_user_model()
    if isinstance(origin, Snapshot):
        return Q(pk=origin.pk)
    if isinstance(origin, Link):
        return Q(link_id=origin.pk)
    if isinstance(origin, User):
        return Q(link__owner_id=origin.pk)
    if isinstance(origin, QuerySet) and origin.model is Snapshot:
        return Q(pk__in=origin.values("pk"))
    if isinstance(origin, QuerySet) and origin.model is Link:
        return Q(link__in=origin.values("pk"))
    return None


def _covered(origin: object) -> set[int] | None:
    """Snapshot ids whose blobs this deletion has collected already (per origin object)."""
    table: dict = _local.__dict__.setdefault("covered", {})
    for key in [k for k, (ref, _ids) in table.items() if ref() is None]:
        del table[key]
    try:
        ref = weakref.ref(origin)
    except TypeError:
        return None
    entry = table.get(id(origin))
    if entry is None or entry[0]() is not origin:
        entry = table[id(origin)] = (ref, set())
    return entry[1]


def snapshot_blobs(snapshots: Q) -> tuple[set[int], set[str]]:
    """(snapshot ids, blob shas) of the matching snapshots and their resources."""
    snap_fields = _blob_fields(Snapshot)
    ids: set[int] = set()
    shas: set[str] = set()
    for row in Snapshot.objects.filter(snapshots).values_list("pk", *snap_fields):
        ids.add(row[0])
        shas.update(row[1:])
    resources = Resource.objects.filter(
        snapshot__in=Snapshot.objects.filter(snapshots).values("pk")
    )
    for row in resources.values_list(*_blob_fields(Resource)).distinct():
        shas.update(row)
    shas.discard(None)
    return ids, shas


def blobs_of_deletion(instance: Snapshot, origin: object = None) -> set[str]:
    """The blobs a snapshot being deleted (by a deletion started from `origin`) referenced,
    read once per deletion: the first snapshot of a bulk deletion collects them all."""
    covered = _covered(origin)
    if covered is not None and instance.pk in covered:
        return set()
    where = _covering_filter(origin) if covered is not None else None
    ids, shas = snapshot_blobs(where if where is not None else Q(pk=instance.pk))
    ids.add(instance.pk)
    shas.update(getattr(instance, f) for f in _blob_fields(Snapshot))
    shas.discard(None)
    if covered is not None:
        covered.update(ids)
    return shas
