"""Ranking: which of the owner's links match a query, best first, one page at a time.

BM25-like ranking comes from the backend (title and tags weigh more than body);
ties go to the newest link. A query with only exclusions or filters lists the
owner's other links, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from snapshelf.library.models import Link
from snapshelf.search.backends import get_backend
from snapshelf.search.backends.base import alternatives
from snapshelf.search.filters import filtered_links
from snapshelf.search.query import Clause, Query
from snapshelf.search.stats import df

#: A query whose words may match more documents than this (by document frequency) is
#: broad: a common word such as "that" or 我们. BM25 would score every match (about 1 µs
#: a row: ~45 ms for a word in 45,000 of 100,000 documents) and hardly order them (their
#: idf is near zero), so a broad query lists the links whose title or tags hold it first,
#: then the others, each newest first: a page then costs what any other query costs.
BROAD_MATCHES = 5_000


def compile_clauses(clauses: Iterable[Clause], *, any_of: bool = False) -> str:
    """The backend's match expression: every clause (or any, when any_of); "" if none."""
    return get_backend().compile_clauses(clauses, any_of=any_of)


def estimated_matches(clauses: Iterable[Clause]) -> int | None:
    """An upper bound of the documents matching all `clauses`, from document frequencies
    (a phrase matches at most as often as its rarest word); None when no clause tells
    (prefix words have no single frequency)."""
    known = [alternatives(c) for c in clauses]
    known = [alts for alts in known if alts and not any(a.prefix for a in alts)]
    if not known:
        return None
    freq = df(t for alts in known for a in alts for t in a.tokens)
    return min(sum(min(freq[t] for t in a.tokens) for a in alts) for alts in known)


def _ranked_broad(
    qs: QuerySet[Link], clauses: list[Clause], negative: str, limit: int, offset: int
) -> list[tuple[int, float]]:
    """A broad query's page: links whose title or tags hold every clause (score 1), then
    the other matches (score 0), each newest first (see BROAD_MATCHES)."""
    titled, rest = get_backend().broad_parts(qs, compile_clauses(clauses), negative)
    want = offset + limit + 1
    rows = [(pk, 1.0) for pk in titled.values_list("id", flat=True)[:want]]
    if len(rows) < want:
        others = rest.values_list("id", flat=True)[: want - len(rows)]
        rows += [(pk, 0.0) for pk in others]
    return rows[offset:]


def _ranked_with_versions(
    qs: QuerySet[Link], query: Query, positive: str, limit: int, offset: int
) -> list[tuple[int, float]]:
    """in:versions: links whose current document matches, ranked as usual, then links
    matching only through older versions (each positive clause in the current document
    or in an older version's text), newest first with score 0."""
    backend = get_backend()
    want = offset + limit + 1
    rows = (
        backend.matching(qs, positive)
        .order_by("-score", "-created", "-id")
        .values_list("id", "score")
    )
    current = [(pk, float(score)) for pk, score in rows[:want]]
    if len(current) >= want:
        return current[offset:]
    older = backend.exclude_matching(qs, positive)
    for clause in query.clauses:
        if not clause.negated and (expr := compile_clauses([clause])):
            sql, params = backend.current_or_older(expr)
            older = older.extra(where=[sql], params=params)  # noqa: S610 - backend SQL, values as params
    start = max(0, offset - len(current))
    need = limit + 1 - max(0, len(current) - offset)
    ids = older.order_by("-created", "-id").values_list("id", flat=True)[start : start + need]
    return current[offset:] + [(pk, 0.0) for pk in ids]


def ranked_ids(
    owner_id: int,
    query: Query,
    *,
    limit: int = 50,
    offset: int = 0,
    public_only: bool = False,
    include_archived: bool = True,
    base: QuerySet[Link] | None = None,
    order: tuple[str, ...] | None = None,
) -> list[tuple[int, float]]:
    """(link id, score) in rank order, one more than `limit` to tell if a page follows.

    `base` narrows further (the library page's own filters); it must be the owner's links.
    `order` (Link fields, e.g. ("-created", "-id")) lists every match in that order
    instead of by score; scores are then 0.
    """
    backend = get_backend()
    qs = filtered_links(owner_id, query, public_only=public_only, include_archived=include_archived)
    if base is not None:
        qs = qs.filter(pk__in=base.values("pk"))
    clauses = [c for c in query.clauses if not c.negated]
    positive = compile_clauses(clauses)
    negative = compile_clauses((c for c in query.clauses if c.negated), any_of=True)
    if query.has_text and not positive:  # words that have no token (punctuation only)
        return []
    if order is not None:
        if positive and query.all_versions and not public_only:
            rest = backend.exclude_matching(qs, negative)
            every = _ranked_with_versions(rest, query, positive, 10**9, 0)
            matches = qs.filter(pk__in=[pk for pk, _ in every])
        elif positive:
            matches = backend.matching(qs, positive, negative)
        else:
            matches = backend.exclude_matching(qs, negative)
        rows = matches.order_by(*order).values_list("id", flat=True)
        return [(pk, 0.0) for pk in rows[offset : offset + limit + 1]]
    if positive and query.all_versions and not public_only:  # older versions stay private
        return _ranked_with_versions(
            backend.exclude_matching(qs, negative), query, positive, limit, offset
        )
    estimate = estimated_matches(clauses) if positive else None
    if estimate is not None and estimate > BROAD_MATCHES:
        return _ranked_broad(qs, clauses, negative, limit, offset)
    if positive:
        rows = (
            backend.matching(qs, positive, negative)
            .order_by("-score", "-created", "-id")
            .values_list("id", "score")
        )
    else:
        rows = backend.exclude_matching(qs, negative).order_by("-created", "-id").values_list("id")
    return [(r[0], float(r[1]) if len(r) > 1 else 0.0) for r in rows[offset : offset + limit + 1]]
