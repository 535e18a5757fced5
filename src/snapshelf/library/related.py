"""Related articles (相关文章推荐): the interface the link page and public pages call.

The search issue replaces the scoring with its index (DESIGN.md §8); callers and
tests depend only on `related_links` and `RelatedLink`. Until then this is the
placeholder "links sharing the most tags", rarer shared tags breaking ties.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _

from snapshelf.library.models import Link, Tag
from snapshelf.library.tags import link_count_subquery

_HEAVY = ("text", "readable_html", "markdown", "timings")


@dataclass(frozen=True)
class RelatedLink:
    link: Link
    score: float
    reason: str  # short, human-readable: shared tags or distinctive terms


def _rarity(count: int) -> int:
    """A shared tag few links carry says more than one on half the library.

    1/log(2 + count) in millionths: integer sums compare exactly, so equal tag sets
    tie and fall to the newest link instead of to float rounding.
    """
    return round(1_000_000 / math.log(2 + count))


def _scored_ids(link: Link, weights: dict[int, int], public_only: bool, limit: int) -> list:
    """(link_id, shared, weight) of the best candidates: one GROUP BY on the link-tag table.

    Grouped on the link-tag table alone, then joined to links only for the grouped
    rows (visibility, and `created` for ties): joining first, as the ORM would, took
    ~100 ms instead of ~65 ms for a link carrying a tag on half of 100,000 links.
    Tags belong to one owner, so these rows are the owner's links already, and
    (owner, url_hash) is unique, so only the link itself has its URL.
    """
    quote = connection.ops.quote_name
    through, links = quote(Link.tags.through._meta.db_table), quote(Link._meta.db_table)
    cases = " ".join("WHEN %s THEN %s" for _ in weights)
    marks = ", ".join("%s" for _ in weights)
    visible = "WHERE l.visibility = %s" if public_only else ""
    # Only table names from the models and %s placeholders go into the text.
    sql = f"""
        SELECT g.link_id, g.shared, g.weight FROM (
            SELECT t.link_id AS link_id, COUNT(*) AS shared,
                   SUM(CASE t.tag_id {cases} ELSE 0 END) AS weight
            FROM {through} t WHERE t.tag_id IN ({marks}) AND t.link_id <> %s
            GROUP BY t.link_id
        ) g JOIN {links} l ON l.id = g.link_id {visible}
        ORDER BY g.shared DESC, g.weight DESC, l.created DESC, l.id DESC
        LIMIT %s"""  # noqa: S608
    params = [x for pair in weights.items() for x in pair] + list(weights) + [link.pk]
    params += [Link.Visibility.PUBLIC] if public_only else []
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return cursor.fetchall()


def _links_with_shared_tags(
    owner_id: int, ids: list[int], tag_ids: list[int]
) -> dict[int, tuple[Link, list]]:
    """Each candidate link (row data only) with the ids of the tags it shares."""
    rows = (
        Link.tags.through.objects.filter(
            link_id__in=ids, tag_id__in=tag_ids, link__owner_id=owner_id
        )
        .select_related("link__latest_snapshot")
        .defer(*(f"link__latest_snapshot__{name}" for name in _HEAVY))
    )
    found: dict[int, tuple[Link, list]] = {}
    for row in rows:
        found.setdefault(row.link_id, (row.link, []))[1].append(row.tag_id)
    return found


def related_links(link: Link, *, public_only: bool = False, limit: int = 5) -> list[RelatedLink]:
    """Other links of the same owner most related to `link`, best first.

    With `public_only`, only the owner's public links are candidates (public pages).
    Three queries whatever the library size: the link's tags with their counts, one
    GROUP BY over the link-tag table, and the winners' rows.
    """
    if limit <= 0 or link.pk is None:
        return []
    tags = list(
        Tag.objects.filter(links=link, owner_id=link.owner_id)
        .annotate(n=link_count_subquery())
        .values_list("pk", "name", "n")
    )
    if not tags:
        return []
    names = {pk: name for pk, name, _n in tags}
    weights = {pk: _rarity(n) for pk, _name, n in tags}
    scored = _scored_ids(link, weights, public_only, limit)
    found = _links_with_shared_tags(link.owner_id, [pk for pk, _s, _w in scored], list(names))
    result = []
    for pk, shared, _weight in scored:
        if pk not in found:  # removed meanwhile (or, in a broken database, not the owner's)
            continue
        other, tag_ids = found[pk]
        shared_names = sorted((names[t] for t in tag_ids), key=lambda n: (n.lower(), n))
        reason = _("Shared tags: %(tags)s") % {"tags": ", ".join(shared_names)}
        result.append(RelatedLink(link=other, score=float(shared), reason=reason))
    return result
