"""Related articles (相关文章推荐): what the link page, public pages and the CLI call.

`related_links` runs the engine (snapshelf.related.engine) against the search index:
the link's signature (its most distinctive terms, TF-IDF with document frequencies
from the index) picks candidates among the owner's links (the PREFILTER links holding
the most signature weight, then the RERANK best of them by BM25; where the index has
no BM25, the PREFILTER_RERANK first of that pick), and those are re-ranked by cosine
of their term vectors (mixed with their topic vectors' once the index is big enough
for a topic model, snapshelf.related.topic_store) plus shared tags; same URL and
near-duplicates (simhash fingerprints) are left out. The vectors are the ones stored
for each link (snapshelf.related.vectors).

A link without text (nothing captured yet, no title) falls back to "links sharing the
most tags", rarer shared tags breaking ties.

Results are cached per link until the owner's library changes: the cache key holds the
library's version (snapshelf.library.stamp), which every edit, capture or tag change
bumps, so the next call recomputes lazily.
"""

from __future__ import annotations

import math
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _

from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.library.records import link_count_subquery
from snapshelf.library.stamp import library_version
from snapshelf.related import engine, topic_store, vectors
from snapshelf.search import index
from snapshelf.search.backends import get_backend
from snapshelf.text.analyzer import is_cjk

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


def _by_tags(link: Link, *, public_only: bool = False, limit: int = 5) -> list[RelatedLink]:
    """The placeholder scorer: links sharing the most tags, best first.

    Three queries whatever the library size: the link's tags with their counts, one
    GROUP BY over the link-tag table, and the winners' rows.
    """
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


#: How long a computed answer may stay cached (the stamp already expires it on change).
CACHE_SECONDS = 24 * 3600
#: Shown terms in a reason.
REASON_TERMS = 4


def related_links(link: Link, *, public_only: bool = False, limit: int = 5) -> list[RelatedLink]:
    """Other links of the same owner most related to `link`, best first.

    With `public_only`, only the owner's public links are candidates (public pages).
    """
    if limit <= 0 or link.pk is None:
        return []
    version = library_version(link.owner_id)
    # what is cached holds no words of the interface: the reason is written in the
    # language of each request that shows it
    key = f"related:v3:{link.pk}:{int(public_only)}:{limit}:{version}"
    found = cache.get(key)
    if found is None:
        matches = _by_text(link, public_only, limit)
        pairs = _source_pairs(link, matches)
        found = [(m.doc_id, m.score, readable_terms(m.terms, pairs), m.tags) for m in matches]
        cache.set(key, found, CACHE_SECONDS)
    if not found:
        return _by_tags(link, public_only=public_only, limit=limit)
    # unordered: with the model's ordering SQLite walked the owner's (owner, created)
    # index over every link of the library instead of looking up five ids (~50 ms at 100k)
    rows = Link.objects.filter(owner_id=link.owner_id, pk__in=[pk for pk, *_rest in found])
    rows = rows.order_by()
    if public_only:  # checked again on every call: what may be shown is not cached
        rows = rows.filter(visibility=Link.Visibility.PUBLIC)
    links = {
        x.pk: x
        for x in rows.select_related("latest_snapshot").defer(
            *(f"latest_snapshot__{name}" for name in _HEAVY)
        )
    }
    return [
        RelatedLink(link=links[pk], score=score, reason=_reason(terms, tags))
        for pk, score, terms, tags in found
        if pk in links
    ]


def _source_pairs(link: Link, matches: list[engine.Match]) -> set[tuple[str, str]]:
    """CJK bigrams of the reasons that stand side by side in the link's text."""
    bigrams = {t for m in matches for t in m.terms if len(t) == 2 and is_cjk(t[0])}
    return index.adjacent_pairs(link.pk, bigrams) if len(bigrams) > 1 else set()


def readable_terms(terms: tuple[str, ...], pairs: Container[tuple[str, str]]) -> list[str]:
    """Overlapping CJK bigrams that stand side by side in the source text (世界 界杯 杯预)
    are shown as the run they come from (世界杯预): alone they read as fragments.
    `pairs` holds the (bigram, next bigram) pairs found side by side."""
    out: list[str] = []
    for term in terms:
        cjk = is_cjk(term[0])
        if cjk and len(term) == 1 and any(term in kept for kept in out):
            continue  # a single character already shown inside a longer term
        if cjk and len(term) == 2:
            for i, kept in enumerate(out):
                if kept[-1] == term[0] and (kept[-2:], term) in pairs:
                    out[i] = kept + term[1]
                    break
                if kept[0] == term[1] and (term, kept[:2]) in pairs:
                    out[i] = term[0] + kept
                    break
            else:
                out.append(term)
            continue
        out.append(term)
    return out


def _reason(terms: list[str], tags: tuple[str, ...]) -> str:
    parts = []
    if terms:
        parts.append(_("Shared terms: %(terms)s") % {"terms": ", ".join(terms[:REASON_TERMS])})
    if tags:
        parts.append(_("Shared tags: %(tags)s") % {"tags": ", ".join(tags)})
    return " · ".join(parts)


def _timestamp(value: datetime | str) -> float:
    """A `created` value read without the ORM (SQLite keeps datetimes as UTC text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _entries(ids: list[int]) -> dict[int, engine.Entry]:
    """Entries (vector not yet filled) of these links, in three plain queries: through
    the ORM they took ~10 ms for the 51 links of an uncached call, a third of it
    building the queries."""
    if not ids:
        return {}
    quote = connection.ops.quote_name
    links, snapshots = quote(Link._meta.db_table), quote(Snapshot._meta.db_table)
    through, tags = quote(Link.tags.through._meta.db_table), quote(Tag._meta.db_table)
    marks = ",".join(["%s"] * len(ids))
    # Only table names from the models and %s placeholders go into the text.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, url_hash, created, visibility FROM {links} WHERE id IN ({marks})",  # noqa: S608
            ids,
        )
        rows = cursor.fetchall()
        cursor.execute(
            f"SELECT t.link_id, g.name FROM {through} t JOIN {tags} g ON g.id = t.tag_id"  # noqa: S608
            f" WHERE t.link_id IN ({marks})",
            ids,
        )
        names: dict[int, set[str]] = {}
        for link_id, name in cursor.fetchall():
            names.setdefault(link_id, set()).add(name)
        # The latest finished capture's fingerprint, picked here: with the status in the
        # query SQLite walked the status index over every finished capture (~370 ms at 100k).
        cursor.execute(
            f"SELECT id, link_id, status, fingerprint FROM {snapshots}"  # noqa: S608
            f" WHERE link_id IN ({marks})",
            ids,
        )
        prints: dict[int, str] = {}
        newest: dict[int, int] = {}
        for pk, link_id, status, fp in cursor.fetchall():
            if status == Snapshot.Status.DONE and pk > newest.get(link_id, 0):
                newest[link_id], prints[link_id] = pk, fp
    return {
        pk: engine.Entry(
            doc_id=pk,
            vector={},
            length=0,
            tags=frozenset(names.get(pk, ())),
            url_key=url_hash,
            fingerprint=prints.get(pk, ""),
            newness=_timestamp(created),
            public=visibility == Link.Visibility.PUBLIC,
        )
        for pk, url_hash, created, visibility in rows
    }


def _by_text(link: Link, public_only: bool, limit: int) -> list[engine.Match]:
    """The engine's answer: signature -> index candidates -> cosine re-rank."""
    source = _entries([link.pk]).get(link.pk)
    if source is None:
        return []
    n = vectors.cached_count()
    df: dict[str, int] = {}
    _fill_vectors([source], df, n)
    return _related_to(link, source, df, n, public_only, limit)


def _signature(vector: dict[str, float], df: dict[str, int], n: int) -> list[tuple[str, float]]:
    """engine.signature_of, with document frequencies looked up only as far down the
    vector (heaviest terms first) as it takes to find SIGNATURE_TERMS usable ones: a
    stored vector comes without them, and a few hundred cold lookups cost ~10-30 ms."""
    ranked = sorted(vector, key=vector.__getitem__, reverse=True)
    size = 2 * engine.SIGNATURE_TERMS
    while True:
        head = ranked[:size]
        missing = [t for t in head if t not in df]
        if missing:
            df.update(vectors.cached_df(missing, n))
        signature = engine.signature_of({t: vector[t] for t in head}, df, n)
        if len(signature) >= engine.SIGNATURE_TERMS or size >= len(ranked):
            return signature
        size *= 4


def _related_to(
    link: Link, source: engine.Entry, df: dict[str, int], n: int, public_only: bool, limit: int
) -> list[engine.Match]:
    """Candidates from the index for the source's signature, re-ranked by the engine."""
    signature = _signature(source.vector, df, n)
    if not signature:
        return []
    found, known = _pick(link, signature, df, n, public_only, limit)
    # topic vectors first (400 bytes each): only the shortlist is read further
    bare = [engine.Entry(doc_id=pk, vector={}, length=0) for pk in found if pk != link.pk]
    topic_store.fill_topics([source, *bare], n, df, known)
    near = {e.doc_id: e for e in engine.shortlist(source, bare, limit)}
    kept = []
    for entry in _entries(list(near)).values():
        if source.url_key and entry.url_key == source.url_key:
            continue
        if public_only and not entry.public:
            continue
        if engine.hamming(source.fingerprint, entry.fingerprint) <= engine.NEAR_DUPLICATE:
            continue
        entry.vector, entry.topic = near[entry.doc_id].vector, near[entry.doc_id].topic
        kept.append(entry)
    _fill_vectors([e for e in kept if not e.vector], df, n)
    ranked = engine.rescore(source, kept, _tag_counts(link.owner_id, source.tags), n)
    return engine.collapse(source, signature, ranked, limit)


def _pick(
    link: Link,
    signature: list[tuple[str, float]],
    df: dict[str, int],
    n: int,
    public_only: bool,
    limit: int,
) -> tuple[list[int], tuple[int, dict[int, bytes]]]:
    """The candidates' ids, best first, and (model id, topic vectors) read with them.

    With BM25 in the index, BM25 of the signature among the prefilter's PREFILTER;
    without (PostgreSQL's ts_rank knows no idf), the prefilter's own order (weight *
    idf of the terms held, within its postings budget) picks more candidates instead
    (engine.PREFILTER_RERANK, measured in memory with the engine's pick="prefilter"),
    with their stored topic vectors in the same statement.
    """
    backend = get_backend()
    if backend.ranks_by_bm25:
        picked = backend.prefiltered(
            link.owner_id,
            _idf_weighted(signature, df, n),
            exclude=link.pk,
            public_only=public_only,
            limit=engine.PREFILTER,
        )
        found = backend.bm25_among(
            [pk for pk, _topic in picked],
            [t for t, _w in signature],
            limit=max(engine.RERANK, limit * 4),
        )
        return found, (0, {})
    model_id = topic_store.current_id()
    picked = backend.prefiltered(
        link.owner_id,
        _idf_weighted(engine.lookup_terms(signature, df, n), df, n),
        exclude=link.pk,
        public_only=public_only,
        limit=max(engine.PREFILTER_RERANK, limit * 4),
        topic_model=model_id,
    )
    return [pk for pk, _topic in picked], (model_id, {pk: t for pk, t in picked if t is not None})


def _idf_weighted(
    signature: list[tuple[str, float]], df: dict[str, int], n: int
) -> list[tuple[str, float]]:
    """The prefilter's weights (engine.prefilter: weight * idf of each signature term),
    for the database to sum over the owner's links that hold the terms."""
    return [(t, w * engine.idf_bm25(df.get(t, 0), n)) for t, w in signature]


def _fill_vectors(entries: list[engine.Entry], df: dict[str, int], n: int) -> None:
    """Each entry's term vector (snapshelf.related.vectors.vectors_of: stored, or weighed
    from the indexed text and stored)."""
    found = vectors.vectors_of([e.doc_id for e in entries], n, df)
    for entry in entries:
        entry.vector = found.get(entry.doc_id, {})


def _tag_counts(owner_id: int, names: frozenset[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = Tag.objects.filter(owner_id=owner_id, name__in=names).annotate(n=link_count_subquery())
    return {t.name: t.n for t in rows}
