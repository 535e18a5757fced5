"""The search index, as the rest of the project calls it: one document per link, kept in
the same transaction as the change, and the searches run on it.

The storage and the SQL live in a backend (snapshelf.search.backends: SQLite FTS5 or
PostgreSQL tsvector, chosen by the configured database); both answer the same
backend-neutral Query (snapshelf.search.query) with the same result sets. Here and
in the modules behind it (writing, ranking, filters, hits, stats) nothing asks which
database it runs on.

Keeping it current (every path runs inside the transaction that makes the change):
- Link saved (title, note, URL, latest capture) and tags added/removed/cleared:
  signals in snapshelf.search.signals.
- Link deleted (one or in bulk through QuerySet.delete): post_delete signal; on
  PostgreSQL the foreign key also cascades.
- Tag renamed (post_save), merged or deleted (pre/post_delete): the tag's links.
- Capture finished: the capture's commit calls reindex_links.
- Bulk tag actions, which write the link-tag table directly, call reindex_links.
- Everything: rebuild() (``snapshelf reindex``).

Older versions (``in:versions``, ``snapshelf search --all-versions``): a second table
holds one body-only document per finished capture that is not its link's latest one.
reindex_links brings a link's rows in line with its captures, so the capture that
makes a version older moves it there in its own transaction; a deleted snapshot
loses its row. A link matches with the flag when each of the query's positive
clauses matches its current document or one of its older versions; current matches
rank first.
"""

from __future__ import annotations

import dataclasses

from snapshelf.search.hits import Hit, SearchPage, hits_for, older_matches, snippets_for
from snapshelf.search.hooks import on_rebuilt, on_reindexed
from snapshelf.search.query import Query, parse
from snapshelf.search.ranking import ranked_ids
from snapshelf.search.stats import (
    adjacent_pairs,
    compact_df,
    df,
    doc_count,
    indexed_ids,
    indexed_texts,
    sample_ids,
    tidy,
)
from snapshelf.search.writing import (
    clear,
    delete_links,
    delete_versions,
    generation,
    index_new,
    index_versions,
    rebuild,
    reindex_links,
    versions_missing,
)


def parse_query(q: str | Query) -> Query:
    """A Query from text (the parser never raises) or the Query itself."""
    return q if isinstance(q, Query) else parse(q)


def search(
    owner,
    q: str | Query,
    *,
    limit: int = 50,
    offset: int = 0,
    public_only: bool = False,
    include_archived: bool = True,
    all_versions: bool = False,
) -> SearchPage:
    """One page of the owner's links matching `q`, best first (newest first on ties).

    A query with only exclusions or filters lists the owner's other links, newest first.
    `all_versions` is the in:versions operator: words may match older versions' text.
    """
    owner_id = owner if isinstance(owner, int) else owner.pk
    query = parse_query(q)
    # public searches never look into older versions (they are the owner's history)
    wanted = (all_versions or query.all_versions) and not public_only
    if wanted != query.all_versions:
        query = dataclasses.replace(query, all_versions=wanted)
    if query.is_empty:
        return SearchPage(hints=list(query.hints))
    rows = ranked_ids(
        owner_id,
        query,
        limit=limit,
        offset=offset,
        public_only=public_only,
        include_archived=include_archived,
    )
    return SearchPage(
        hits=hits_for(rows[:limit], query), hints=list(query.hints), has_next=len(rows) > limit
    )


__all__ = [
    "Hit",
    "SearchPage",
    "tidy",
    "adjacent_pairs",
    "clear",
    "compact_df",
    "delete_links",
    "delete_versions",
    "df",
    "doc_count",
    "generation",
    "hits_for",
    "index_new",
    "index_versions",
    "indexed_ids",
    "indexed_texts",
    "older_matches",
    "on_rebuilt",
    "on_reindexed",
    "parse_query",
    "ranked_ids",
    "rebuild",
    "reindex_links",
    "sample_ids",
    "search",
    "snippets_for",
    "versions_missing",
]
