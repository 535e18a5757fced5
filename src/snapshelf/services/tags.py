"""Tag management, part of the service door: counts, rename, merge, delete and
completions, each scoped to one owner.

Merging works on the link-tag table in bulk (one INSERT ... ON CONFLICT DO NOTHING,
then deleting the source tags), so it stays fast for tags carrying many links.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower

from snapshelf.library.models import Link, Tag
from snapshelf.library.records import clean_tag_names, link_count_subquery

SUGGEST_LIMIT = 20
SORTS = ("name", "count")
_BATCH = 2000

Through = Link.tags.through


class TagNameError(ValueError):
    """The name given for a tag is unusable (empty, or several names)."""


@dataclass(frozen=True)
class RenameResult:
    tag: Tag
    old_name: str
    merged: bool  # True when the new name belonged to another tag, which absorbed this one


def tags_with_counts(owner: AbstractBaseUser, q: str = "", sort: str = "name") -> QuerySet[Tag]:
    """All the owner's tags (unused ones too) with `n`, their link count, in one query."""
    qs = Tag.objects.filter(owner=owner).annotate(n=link_count_subquery())
    if q:
        qs = qs.filter(name__icontains=q)
    order = ("-n", Lower("name"), "pk") if sort == "count" else (Lower("name"), "name", "pk")
    return qs.order_by(*order)


def one_name(raw: str) -> str:
    """The single cleaned tag name in `raw`; TagNameError if there is none or several."""
    names = clean_tag_names([raw])
    if len(names) != 1:
        raise TagNameError(raw)
    return names[0]


def find_tag(owner: AbstractBaseUser, name: str) -> Tag | None:
    return Tag.objects.filter(owner=owner, name__iexact=name).first()


def _move_links(source_ids: list[int], target: Tag) -> None:
    """Give `target` to every link carrying a source tag (no duplicates), then drop the sources."""
    link_ids = (
        Through.objects.filter(tag_id__in=source_ids)
        .order_by()
        .values_list("link_id", flat=True)
        .distinct()
    )
    rows = [Through(link_id=link_id, tag_id=target.pk) for link_id in link_ids.iterator()]
    Through.objects.bulk_create(rows, batch_size=_BATCH, ignore_conflicts=True)
    Tag.objects.filter(pk__in=source_ids).delete()


@transaction.atomic
def rename_tag(owner: AbstractBaseUser, tag: Tag, raw_name: str) -> RenameResult:
    """Rename `tag`; if another of the owner's tags has that name, merge into it instead."""
    name = one_name(raw_name)
    old_name = tag.name
    other = Tag.objects.filter(owner=owner, name__iexact=name).exclude(pk=tag.pk).first()
    if other is not None:
        _move_links([tag.pk], other)
        return RenameResult(tag=other, old_name=old_name, merged=True)
    if name != tag.name:  # includes a change of case only
        tag.name = name
        tag.save(update_fields=["name"])
    return RenameResult(tag=tag, old_name=old_name, merged=False)


def owned_tags(owner: AbstractBaseUser, ids: Iterable[int]) -> list[Tag] | None:
    """The owner's tags with these ids, or None if any id is unknown or someone else's."""
    wanted = set(ids)
    tags = list(Tag.objects.filter(owner=owner, pk__in=wanted))
    return tags if len(tags) == len(wanted) else None


@transaction.atomic
def merge_tags(owner: AbstractBaseUser, sources: list[Tag], raw_into: str) -> Tag:
    """Merge `sources` into the tag named `raw_into` (existing or new); returns the target.

    Every link that carried any source tag carries the target afterwards.
    """
    name = one_name(raw_into)
    target = find_tag(owner, name) or Tag.objects.create(owner=owner, name=name)
    source_ids = [t.pk for t in sources if t.owner_id == owner.pk and t.pk != target.pk]
    if source_ids:
        _move_links(source_ids, target)
    return target


def link_count(tag: Tag) -> int:
    return Through.objects.filter(tag_id=tag.pk).count()


def delete_tag(owner: AbstractBaseUser, tag: Tag) -> None:
    """Delete the owner's tag; the links stay, they only lose this tag."""
    if tag.owner_id != owner.pk:
        raise Tag.DoesNotExist("no such tag")
    tag.delete()


def _split_query(q: str) -> tuple[list[str], str]:
    """Earlier (complete) names of a comma-separated list, and the part being typed."""
    *earlier, last = q.split(",")
    return clean_tag_names(earlier), " ".join(last.split()).lstrip("#")


def suggest(owner: AbstractBaseUser, q: str, limit: int = SUGGEST_LIMIT) -> list[str]:
    """Completions for a tags field: prefix matches first, then substring matches.

    With a comma-separated `q`, completes the last part and returns whole values
    ("earlier, suggestion"), leaving out tags already listed.
    """
    earlier, part = _split_query(q[:1000])
    taken = {name.lower() for name in earlier}
    mine = Tag.objects.filter(owner=owner).order_by(Lower("name"), "name")
    want = limit + len(taken)  # room for the listed tags that get left out
    found = list(mine.filter(name__istartswith=part).values_list("name", flat=True)[:want])
    if part and len(found) < want:
        rest = mine.filter(name__icontains=part).exclude(name__istartswith=part)
        found += list(rest.values_list("name", flat=True)[: want - len(found)])
    names = [n for n in found if n.lower() not in taken][:limit]
    prefix = "".join(f"{name}, " for name in earlier)
    return [prefix + name for name in names]
