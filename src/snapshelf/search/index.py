"""The search index: one document per link, kept in the same transaction as the change.

Backends: SQLite FTS5 (table ``search_fts``, rowid = link id, tokenizer ``ascii`` over
text the analyzer already split, plus ``search_fts_vocab`` for document frequencies) and
PostgreSQL (table ``search_document``: link_id, owner_id, tsvector ``doc`` built as a
literal, never through PostgreSQL's text parser, and a GIN index). Both answer the same
backend-neutral Query (snapshelf.search.query) with the same result sets.

Keeping it current (every path runs inside the transaction that makes the change):
- Link saved (title, note, URL, latest capture) and tags added/removed/cleared:
  signals in snapshelf.search.signals.
- Link deleted (one or in bulk through QuerySet.delete): post_delete signal; on
  PostgreSQL the foreign key also cascades.
- Tag renamed (post_save), merged or deleted (pre/post_delete): the tag's links.
- Capture finished: library.capture.commit_result calls reindex_links.
- Bulk tag actions, which write the link-tag table directly: library.bulk calls reindex_links.
- Everything: rebuild() (``snapshelf reindex``).

Document frequencies (df, for related articles and tag suggestions): SQLite reads FTS5's
vocabulary table; PostgreSQL keeps per-term counts with triggers on search_document
(migration 0005: an append-only change log, folded into the counts by compact_df), so
every path above, foreign-key cascades included, keeps them exact.

Older versions (``in:versions``, ``snapshelf search --all-versions``): a second table
holds one body-only document per finished capture that is not its link's latest one
(SQLite FTS5 ``search_version_fts``, rowid = snapshot id; PostgreSQL ``search_version``
with a tsvector and GIN index). reindex_links brings a link's rows in line with its
captures, so the capture that makes a version older moves it there in its own
transaction; a deleted snapshot loses its row (signals; on PostgreSQL also the foreign
key). A link matches with the flag when each of the query's positive clauses matches
its current document or one of its older versions; current matches rank first.
"""

# SQL here names only this module's table constants; every value goes as a parameter.
# ruff: noqa: S608, S610

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from itertools import pairwise

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from snapshelf.library import stamp
from snapshelf.library.models import Link, Snapshot
from snapshelf.search.analyzer import QueryTokens
from snapshelf.search.documents import (
    Document,
    VersionDocument,
    documents,
    latest_done,
    older_versions,
    version_documents,
)
from snapshelf.search.query import Clause, Query, parse
from snapshelf.search.snippets import snippet

log = logging.getLogger(__name__)

FTS = "search_fts"
VOCAB = "search_fts_vocab"
PG_TABLE = "search_document"
VFTS = "search_version_fts"  # older versions, SQLite: rowid = snapshot id
PG_VTABLE = "search_version"  # older versions, PostgreSQL
PG_TERMS = "search_term_df"  # PostgreSQL: documents per term (migration 0005)
PG_DELTA = "search_term_delta"  # PostgreSQL: their changes not yet folded in
#: Column weights: title, tags, site, note, body (DESIGN.md §8: title and tags weigh most).
BM25 = "bm25(search_fts, 10.0, 8.0, 3.0, 3.0, 1.0)"
#: ts_rank_cd weights in PostgreSQL's order {D, C, B, A}: body, site+note, tags, title.
PG_RANK = "ts_rank_cd('{0.1, 0.3, 0.8, 1.0}', search_document.doc, %s::tsquery)"
PG_WEIGHTS = ("A", "B", "C", "C", "D")
PG_MAX_POS = 16383  # tsvector positions stop there
PG_MAX_POSITIONS = 256  # per lexeme, as to_tsvector keeps
#: A tsvector must stay under 1 MB: distinct words past this many are left out (only very
#: long CJK texts get there; their tail then matches on SQLite but not on PostgreSQL).
PG_MAX_LEXEMES = 50_000
CHUNK = 500
DF_CHUNK = 200  # terms per document-frequency statement (SQLite's parameter cap)
PG_DF_CHUNK = 5000  # the same on PostgreSQL, where the terms go as one array
VERSION_CHUNK = 100  # older versions' texts loaded at a time (each up to BODY_CHARS)
#: A query whose words may match more documents than this (by document frequency) is
#: broad: a common word such as "that" or 我们. BM25 would score every match (about 1 µs
#: a row: ~45 ms for a word in 45,000 of 100,000 documents) and hardly order them (their
#: idf is near zero), so a broad query lists the links whose title or tags hold it first,
#: then the others, each newest first: a page then costs what any other query costs.
BROAD_MATCHES = 5_000
SNIPPET_CHARS = 240
SNIPPET_WINDOW = 600  # characters of text handed to the snippet maker
FIND_PIECE = 8192  # characters lower-cased at a time while looking for the window


def _pg() -> bool:
    return connection.vendor == "postgresql"


# ---------------------------------------------------------------- writing


def _pg_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("'", "''")


def tsvector_literal(doc: Document) -> str:
    """The document as a tsvector literal: positions run over the columns in order, with
    a gap between columns so no phrase spans two; the weight tells the column."""
    return _tsvector(doc.columns(), PG_WEIGHTS)


def _tsvector(columns: Iterable[str], weights: Iterable[str]) -> str:
    pos = 0
    entries: dict[str, list[str]] = {}
    for text, weight in zip(columns, weights, strict=True):
        for tok in text.split():
            pos = min(pos + 1, PG_MAX_POS)
            positions = entries.get(tok)
            if positions is None:
                if len(entries) >= PG_MAX_LEXEMES:
                    continue
                positions = entries[tok] = []
            if len(positions) < PG_MAX_POSITIONS:
                positions.append(f"{pos}{weight}")
        pos = min(pos + 1, PG_MAX_POS)
    return " ".join(f"'{_pg_escape(tok)}':{','.join(p)}" for tok, p in entries.items())


def _delete_rows(cursor, ids: list[int]) -> None:
    if not ids:
        return
    marks = ",".join(["%s"] * len(ids))
    if _pg():
        cursor.execute(f"DELETE FROM {PG_TABLE} WHERE link_id IN ({marks})", ids)
    else:
        cursor.execute(f"DELETE FROM {FTS} WHERE rowid IN ({marks})", ids)


def _insert_rows(cursor, docs: list[Document]) -> None:
    """Write these documents; on PostgreSQL an existing one is replaced in place, in one
    statement: the term-statistics trigger then logs only the terms that changed."""
    if not docs:
        return
    if _pg():
        cursor.execute(
            f"INSERT INTO {PG_TABLE} (link_id, owner_id, doc)"
            " SELECT link_id, owner_id, doc::tsvector"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS d(link_id, owner_id, doc)"
            " ON CONFLICT (link_id) DO UPDATE"
            " SET owner_id = EXCLUDED.owner_id, doc = EXCLUDED.doc",
            [
                [d.link_id for d in docs],
                [d.owner_id for d in docs],
                [tsvector_literal(d) for d in docs],
            ],
        )
        _wrote(len(docs))
    else:
        cursor.executemany(
            f"INSERT INTO {FTS} (rowid, title, tags, site, note, body) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(d.link_id, *d.columns()) for d in docs],
        )


def _delete_versions(cursor, snapshot_ids: list[int]) -> None:
    for chunk in _chunks(snapshot_ids):
        marks = ",".join(["%s"] * len(chunk))
        if _pg():
            cursor.execute(f"DELETE FROM {PG_VTABLE} WHERE snapshot_id IN ({marks})", chunk)
        else:
            cursor.execute(f"DELETE FROM {VFTS} WHERE rowid IN ({marks})", chunk)


def _insert_versions(cursor, docs: list[VersionDocument]) -> None:
    if not docs:
        return
    if _pg():
        cursor.executemany(
            f"INSERT INTO {PG_VTABLE} (snapshot_id, link_id, doc) VALUES (%s, %s, %s::tsvector)",
            [(d.snapshot_id, d.link_id, _tsvector((d.body,), ("D",))) for d in docs],
        )
    else:
        cursor.executemany(
            f"INSERT INTO {VFTS} (rowid, body, link_id) VALUES (%s, %s, %s)",
            [(d.snapshot_id, d.body, d.link_id) for d in docs],
        )


def _indexed_versions(cursor, link_ids: list[int], snapshot_ids: list[int]) -> set[int]:
    """Which of these links' snapshots have an older-version row (by link on PostgreSQL,
    by snapshot id on SQLite, where the table has no index on the link)."""
    found: set[int] = set()
    keys = link_ids if _pg() else snapshot_ids
    for chunk in _chunks(keys):
        marks = ",".join(["%s"] * len(chunk))
        if _pg():
            cursor.execute(f"SELECT snapshot_id FROM {PG_VTABLE} WHERE link_id IN ({marks})", chunk)
        else:
            cursor.execute(f"SELECT rowid FROM {VFTS} WHERE rowid IN ({marks})", chunk)
        found.update(row[0] for row in cursor.fetchall())
    return found


def _add_versions(cursor, snapshot_ids: Iterable[int]) -> None:
    for chunk in _chunks(sorted(snapshot_ids), VERSION_CHUNK):
        _insert_versions(cursor, list(version_documents(chunk)))


def _sync_versions(cursor, link_ids: list[int]) -> None:
    """Make these links' older-version rows match their finished captures: only rows that
    appear or go are written, so a tag edit does not re-analyze old texts."""
    older, every = older_versions(link_ids)
    have = _indexed_versions(cursor, link_ids, every)
    _delete_versions(cursor, sorted(have - older.keys()))
    _add_versions(cursor, older.keys() - have)


def _chunks(ids: Iterable[int], size: int = CHUNK) -> Iterable[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


#: Bumped on every index write in this process, so in-process caches of index statistics
#: (related articles' document frequencies) know they are stale.
generation = 0


def _changed() -> None:
    global generation
    generation += 1


#: PostgreSQL: documents this process wrote since it last folded the term-statistics log.
_written = 0
#: Fold the log after this many documents (~500 log rows each): writers keep it short
#: even when nobody reads document frequencies (a bulk import, say).
COMPACT_EVERY = 200
#: pg_try_advisory_xact_lock key of the compactor ("sndf").
COMPACT_LOCK = 0x736E6466


def _wrote(count: int) -> None:
    global _written
    _written += count
    if _written >= COMPACT_EVERY:
        _written = 0
        compact_df()


def compact_df() -> bool:
    """PostgreSQL: fold search_term_delta into search_term_df; False when another
    transaction is compacting (its fold includes everything committed before it).

    One compactor at a time (advisory lock held to the end of the transaction): index
    writers only append to the log, so only compactors ever wait on the counts' rows.
    """
    if not _pg():
        return False
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(
            f"WITH moved AS (DELETE FROM {PG_DELTA} RETURNING term, delta)"
            f" INSERT INTO {PG_TERMS} (term, ndoc)"
            " SELECT term, sum(delta) FROM moved GROUP BY term ORDER BY term"
            f" ON CONFLICT (term) DO UPDATE SET ndoc = {PG_TERMS}.ndoc + EXCLUDED.ndoc"
        )
    return True


def reindex_links(link_ids: Iterable[int]) -> None:
    """Rewrite the documents of these links; ids of deleted links lose their document."""
    from snapshelf.search import vectors  # related articles' vectors, written alongside

    _changed()
    ids = sorted({int(pk) for pk in link_ids})
    stamp.touch_links(ids)  # what was computed over these libraries is stale now
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            docs = list(documents(chunk))
            if _pg():  # replaced in place (see _insert_rows); links gone lose theirs
                have = {d.link_id for d in docs}
                _delete_rows(cursor, [pk for pk in chunk if pk not in have])
            else:
                _delete_rows(cursor, chunk)
            _insert_rows(cursor, docs)
            _sync_versions(cursor, chunk)
            vectors.indexed(docs, chunk)


def delete_links(link_ids: Iterable[int]) -> None:
    """Drop the documents of these links."""
    _changed()
    ids = sorted({int(pk) for pk in link_ids})
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            _delete_rows(cursor, chunk)
            if _pg():  # SQLite: the snapshots' post_delete signals took their rows already
                marks = ",".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {PG_VTABLE} WHERE link_id IN ({marks})", chunk)


def delete_versions(snapshot_ids: Iterable[int]) -> None:
    """Drop the older-version rows of these snapshots (deleted captures). Related
    articles' statistics read only current documents: no _changed() here."""
    with connection.cursor() as cursor:
        _delete_versions(cursor, sorted({int(pk) for pk in snapshot_ids}))


def clear() -> None:
    _changed()
    if _pg():
        # the term statistics are emptied with the documents, not logged term by term
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('snapshelf.term_df', 'off', true)")
            cursor.execute(f"DELETE FROM {PG_TABLE}")
            cursor.execute("SELECT set_config('snapshelf.term_df', 'on', true)")
            cursor.execute(f"DELETE FROM {PG_VTABLE}")
            cursor.execute(f"DELETE FROM {PG_TERMS}")
            cursor.execute(f"DELETE FROM {PG_DELTA}")
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS}")
        cursor.execute(f"DELETE FROM {VFTS}")


def rebuild(progress: Callable[[int, int], None] | None = None, chunk: int = 1000) -> int:
    """Index every link from scratch, in chunks (constant memory); returns the count.

    `progress(done, total)` is called after each chunk.
    """
    # related articles' vectors and topic model, written last
    from snapshelf.search import topic_store, vectors

    with transaction.atomic():
        done = _rebuild_documents(progress, chunk)
    vectors.rebuild()  # weighed once every document is in: final frequencies
    topic_store.refit(force=True)
    return done


def _rebuild_documents(progress: Callable[[int, int], None] | None, chunk: int) -> int:
    clear()
    total = Link.objects.count()
    done = 0
    last = 0
    with connection.cursor() as cursor:
        if _pg():
            # Writers wait until the new index is whole (its term counts then stay exact),
            # and the documents are counted once at the end: logging ~300 terms per
            # document and folding the log every chunk, all in one transaction, went
            # quadratic (over an hour at 100,000 links).
            cursor.execute(f"LOCK TABLE {PG_TABLE} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT set_config('snapshelf.term_df', 'off', true)")
        while True:
            ids = list(
                Link.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                break
            _insert_rows(cursor, list(documents(ids)))
            _add_versions(cursor, older_versions(ids)[0])
            last = ids[-1]
            done += len(ids)
            if progress:
                progress(done, total)
        if _pg():
            cursor.execute("SELECT set_config('snapshelf.term_df', 'on', true)")
            cursor.execute(f"DELETE FROM {PG_TERMS}")
            cursor.execute(f"DELETE FROM {PG_DELTA}")
            cursor.execute(
                f"INSERT INTO {PG_TERMS} (term, ndoc)"
                f" SELECT word, ndoc FROM ts_stat('SELECT doc FROM {PG_TABLE}')"
            )
            # the GIN indexes' pending lists hold the last inserts unsorted: merged now,
            # or the planner, costing a scan of them, reads every document instead
            for gin in (f"{PG_TABLE}_doc", f"{PG_VTABLE}_doc"):
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [gin])
        else:
            cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('optimize')")
            cursor.execute(f"INSERT INTO {VFTS}({VFTS}) VALUES ('optimize')")
    return done


def versions_missing() -> bool:
    """True when no older version is indexed although some link has one (an instance
    upgraded from before the older-versions index): one indexed probe each way."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {PG_VTABLE if _pg() else VFTS} LIMIT 1")
        if cursor.fetchone():
            return False
    done = Snapshot.objects.filter(status=Snapshot.Status.DONE)
    return done.filter(
        Exists(done.filter(link_id=OuterRef("link_id"), pk__lt=OuterRef("pk")))
    ).exists()


def index_versions(chunk: int = 1000) -> int:
    """Bring every link's older-version rows up to date (without touching the main
    documents); returns how many rows the table holds for them afterwards."""
    last = 0
    with connection.cursor() as cursor:
        while True:
            ids = list(
                Link.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                break
            _sync_versions(cursor, ids)
            last = ids[-1]
        cursor.execute(f"SELECT count(*) FROM {PG_VTABLE if _pg() else VFTS}")
        return cursor.fetchone()[0]


def doc_count() -> int:
    """How many documents the index holds (all owners)."""
    with connection.cursor() as cursor:
        # FTS5 has no cheap count(*); its docsize shadow table has one plain row per document
        cursor.execute(f"SELECT count(*) FROM {PG_TABLE if _pg() else FTS + '_docsize'}")
        return cursor.fetchone()[0]


def adjacent_pairs(link_id: int, terms: Iterable[str]) -> set[tuple[str, str]]:
    """Pairs (a, b) of these terms where b directly follows a in the link's indexed title
    or body: which CJK bigrams a related-articles reason may show as one run.

    PostgreSQL reads only these terms' positions from the stored tsvector (~0.5 ms where
    analyzing the capture again took ~3-9 ms); positions stop counting at PG_MAX_POS,
    so pairs past it are not seen there. SQLite reads the FTS row back."""
    wanted = set(terms)
    if not wanted:
        return set()
    with connection.cursor() as cursor:
        if _pg():
            cursor.execute(
                f"SELECT u.lexeme, u.positions, u.weights FROM {PG_TABLE} d, unnest(d.doc) u"
                " WHERE d.link_id = %s AND u.lexeme = ANY(%s)",
                [link_id, list(wanted)],
            )
            at: dict[int, str] = {}
            title, body = PG_WEIGHTS[0], PG_WEIGHTS[-1]
            for lexeme, positions, weights in cursor.fetchall():
                for pos, weight in zip(positions, weights, strict=True):
                    if weight in (title, body):
                        at[pos] = lexeme
            return {(a, at[p + 1]) for p, a in at.items() if p + 1 in at and p + 1 < PG_MAX_POS}
        cursor.execute(f"SELECT title, body FROM {FTS} WHERE rowid = %s", [link_id])
        row = cursor.fetchone()
    pairs = set()
    for text in row or ():
        pairs.update(
            (a, b) for a, b in pairwise((text or "").split()) if a in wanted and b in wanted
        )
    return pairs


def df(tokens: Iterable[str]) -> dict[str, int]:
    """Document frequency of each analyzed token over the whole index (0 when absent).

    SQLite reads the fts5vocab table (one b-tree lookup per term); PostgreSQL reads the
    trigger-kept counts (migration 0005): ndoc plus the not yet compacted changes, each
    an index lookup per term.
    """
    toks = list(dict.fromkeys(tokens))
    out = dict.fromkeys(toks, 0)
    if not toks:
        return out
    with connection.cursor() as cursor:
        # in chunks: SQLite caps the number of parameters; PostgreSQL's statements stay bounded
        size = PG_DF_CHUNK if _pg() else DF_CHUNK
        for start in range(0, len(toks), size):
            chunk = toks[start : start + size]
            if _pg():
                # correlated lookups: one index probe per term (a join hashed the
                # whole table, ~170 ms for 5,000 terms at 3,000 links)
                cursor.execute(
                    "SELECT t.term,"
                    f" COALESCE((SELECT s.ndoc FROM {PG_TERMS} s WHERE s.term = t.term), 0)"
                    f" + COALESCE((SELECT sum(d.delta) FROM {PG_DELTA} d WHERE d.term = t.term), 0)"
                    " FROM unnest(%s::text[]) AS t(term)",
                    [chunk],
                )
            else:
                marks = ",".join(["%s"] * len(chunk))
                cursor.execute(f"SELECT term, doc FROM {VOCAB} WHERE term IN ({marks})", chunk)
            for term, n in cursor.fetchall():
                out[term] = n
    return out


# ---------------------------------------------------------------- query compilation


def _fts_alt(alt: QueryTokens) -> str:
    phrase = " ".join(alt.tokens).replace('"', '""')
    return f'"{phrase}"' + ("*" if alt.prefix else "")


def _pg_alt(alt: QueryTokens) -> str:
    """A tsquery phrase (its last word a prefix when the query says so)."""
    parts = [f"'{_pg_escape(t)}'" for t in alt.tokens]
    if alt.prefix:
        parts[-1] = f"'{_pg_escape(alt.tokens[-1])}':*"
    return "(" + " <-> ".join(parts) + ")"


def _alts(clause: Clause) -> list[QueryTokens]:
    return [a for a in clause.alternatives if a.tokens]


def compile_clauses(clauses: Iterable[Clause], *, any_of: bool = False) -> str:
    """A backend match expression: every clause (or any, when any_of) holds; "" if none."""
    pg = _pg()
    out = []
    for clause in clauses:
        alts = _alts(clause)
        if not alts:
            continue
        if pg:
            out.append("(" + " | ".join(_pg_alt(a) for a in alts) + ")")
        else:
            out.append("(" + " OR ".join(_fts_alt(a) for a in alts) + ")")
    if pg:
        return (" | " if any_of else " & ").join(out)
    return (" OR " if any_of else " AND ").join(out)


# ---------------------------------------------------------------- filters


def _site_regex(site: str) -> str:
    host = re.escape(site.strip().strip(".").lower())
    return rf"^[a-z][a-z0-9+.-]*://([^/?#@]*@)?([^/?#@]*\.)?{host}(:[0-9]+)?([/?#]|$)"


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_links(
    owner_id: int, query: Query, *, public_only: bool = False, include_archived: bool = True
) -> QuerySet[Link]:
    """The owner's links passing the query's filters (not its words)."""
    qs = Link.objects.filter(owner_id=owner_id)
    through = Link.tags.through
    for name in dict.fromkeys(t.lower() for t in query.tags):
        qs = qs.filter(
            Exists(through.objects.filter(link_id=OuterRef("pk"), tag__name__iexact=name))
        )
    for name in dict.fromkeys(t.lower() for t in query.exclude_tags):
        qs = qs.exclude(
            Exists(through.objects.filter(link_id=OuterRef("pk"), tag__name__iexact=name))
        )
    if query.sites:
        match = Q()
        for site in query.sites:
            if site.strip().strip("."):
                match |= Q(url__iregex=_site_regex(site))
        qs = qs.filter(match)
    flags = set(query.flags)
    if "unread" in flags:
        qs = qs.filter(unread=True)
    if "favorite" in flags:
        qs = qs.filter(favorite=True)
    if "archived" in flags:
        qs = qs.filter(archived=True)
    if "public" in flags or public_only:
        qs = qs.filter(visibility=Link.Visibility.PUBLIC)
    if "changed" in flags:
        qs = qs.filter(changed__isnull=False)
    if not include_archived and "archived" not in flags:
        qs = qs.filter(archived=False)
    if query.langs:
        match = Q()
        for lang in query.langs:
            match |= Q(latest_snapshot__language__istartswith=lang)
        qs = qs.filter(match)
    if query.types:
        qs = qs.filter(latest_snapshot__kind__in=[t.lower() for t in query.types])
    if query.before:
        qs = qs.filter(created__lt=_day_start(query.before))
    if query.after:
        qs = qs.filter(created__gte=_day_start(query.after))
    return qs


def _exclude_matching(qs: QuerySet[Link], expr: str) -> QuerySet[Link]:
    if not expr:
        return qs
    if _pg():
        sql = (
            f"NOT EXISTS (SELECT 1 FROM {PG_TABLE} n WHERE n.link_id = library_link.id "
            "AND n.doc @@ %s::tsquery)"
        )
    else:
        sql = f"library_link.id NOT IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)"
    return qs.extra(where=[sql], params=[expr])


def _matching(qs: QuerySet[Link], expr: str) -> QuerySet[Link]:
    """Join the index, keep the matches, annotate `score` (higher is better)."""
    if _pg():
        return qs.extra(
            select={"score": PG_RANK},
            select_params=[expr],
            tables=[PG_TABLE],
            where=[f"{PG_TABLE}.link_id = library_link.id", f"{PG_TABLE}.doc @@ %s::tsquery"],
            params=[expr],
        )
    return qs.extra(
        select={"score": f"-{BM25}"},
        tables=[FTS],
        where=[f"{FTS}.rowid = library_link.id", f"{FTS} MATCH %s"],
        params=[expr],
    )


def _newest_fts(qs: QuerySet[Link], expr: str) -> QuerySet[Link]:
    """SQLite: the links matching `expr`, newest first (ids grow with saving time),
    unscored: the order is FTS5's own rowid order, so the scan stops after a page."""
    return qs.extra(
        tables=[FTS],
        where=[f"{FTS}.rowid = library_link.id", f"{FTS} MATCH %s"],
        params=[expr],
        order_by=[f"-{FTS}.rowid"],
    )


def _newest_pg(qs: QuerySet[Link], where: list[str], params: list[str]) -> QuerySet[Link]:
    """PostgreSQL: the links whose search document meets `where`, newest first, unscored."""
    return qs.extra(
        tables=[PG_TABLE],
        where=[f"{PG_TABLE}.link_id = library_link.id", *where],
        params=params,
    ).order_by("-id")


def estimated_matches(clauses: Iterable[Clause]) -> int | None:
    """An upper bound of the documents matching all `clauses`, from document frequencies
    (a phrase matches at most as often as its rarest word); None when no clause tells
    (prefix words have no single frequency)."""
    known = [_alts(c) for c in clauses]
    known = [alts for alts in known if alts and not any(a.prefix for a in alts)]
    if not known:
        return None
    freq = df(t for alts in known for a in alts for t in a.tokens)
    return min(sum(min(freq[t] for t in a.tokens) for a in alts) for alts in known)


def _ranked_broad(
    qs: QuerySet[Link], clauses: list[Clause], negative: str, limit: int, offset: int
) -> list[tuple[int, float]]:
    """A broad query's page: links whose title or tags hold every clause (score 1), then
    the other matches (score 0), each newest first (see BROAD_MATCHES). On SQLite the
    exclusions join the match expression, so each part is one streaming FTS5 scan."""
    positive = compile_clauses(clauses)
    if _pg():
        # title and tags are asked of their own tsvector (`head`, migration 0007)
        qs = _exclude_matching(qs, negative)
        head, doc = f"{PG_TABLE}.head @@ %s::tsquery", f"{PG_TABLE}.doc @@ %s::tsquery"
        titled = _newest_pg(qs, [head], [positive])
        rest = _newest_pg(qs, [doc, f"NOT {head}"], [positive, positive])
    else:
        titled = _newest_fts(qs, _fts_without("{title tags} : (" + positive + ")", negative))
        rest = _newest_fts(
            qs, _fts_without(f"({positive}) NOT {{title tags}} : ({positive})", negative)
        )
    want = offset + limit + 1
    rows = [(pk, 1.0) for pk in titled.values_list("id", flat=True)[:want]]
    if len(rows) < want:
        others = rest.values_list("id", flat=True)[: want - len(rows)]
        rows += [(pk, 0.0) for pk in others]
    return rows[offset:]


def _fts_without(expr: str, negative: str) -> str:
    """An FTS5 expression that also excludes `negative` (bm25 is unchanged: the excluded
    phrases never occur in a match). One scan, where `library_link.id NOT IN (...)`
    first listed every excluded link: ~25 ms for a common word at 100,000 links."""
    return f"({expr}) NOT ({negative})" if negative else expr


def _current_or_older(expr: str) -> tuple[str, list[str]]:
    """SQL: the link's current document or one of its older versions matches `expr`."""
    if _pg():
        sql = (
            f"(library_link.id IN (SELECT link_id FROM {PG_TABLE} WHERE doc @@ %s::tsquery)"
            f" OR library_link.id IN (SELECT link_id FROM {PG_VTABLE} WHERE doc @@ %s::tsquery))"
        )
    else:
        snaps = Snapshot._meta.db_table
        sql = (
            f"(library_link.id IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)"
            f" OR library_link.id IN (SELECT s.link_id FROM {VFTS} JOIN {snaps} s"
            f" ON s.id = {VFTS}.rowid AND s.link_id = {VFTS}.link_id WHERE {VFTS} MATCH %s))"
        )
    return sql, [expr, expr]


def _ranked_with_versions(
    qs: QuerySet[Link], query: Query, positive: str, limit: int, offset: int
) -> list[tuple[int, float]]:
    """in:versions: links whose current document matches, ranked as usual, then links
    matching only through older versions (each positive clause in the current document
    or in an older version's text), newest first with score 0."""
    want = offset + limit + 1
    rows = _matching(qs, positive).order_by("-score", "-created", "-id").values_list("id", "score")
    current = [(pk, float(score)) for pk, score in rows[:want]]
    if len(current) >= want:
        return current[offset:]
    older = _exclude_matching(qs, positive)
    for clause in query.clauses:
        if not clause.negated and (expr := compile_clauses([clause])):
            sql, params = _current_or_older(expr)
            older = older.extra(where=[sql], params=params)
    start = max(0, offset - len(current))
    need = limit + 1 - max(0, len(current) - offset)
    ids = older.order_by("-created", "-id").values_list("id", flat=True)[start : start + need]
    return current[offset:] + [(pk, 0.0) for pk in ids]


# ---------------------------------------------------------------- searching


@dataclass
class Hit:
    link_id: int
    snapshot_id: int | None
    title: str
    url: str
    score: float
    snippet_html: str = ""
    snippet_text: str = ""
    #: With in:versions, the older version the snippet was cut from (None: the latest).
    version: int | None = None
    matched_snapshot_id: int | None = None


@dataclass
class SearchPage:
    hits: list[Hit] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    has_next: bool = False


def parse_query(q: str | Query) -> Query:
    """A Query from text (the parser never raises) or the Query itself."""
    return q if isinstance(q, Query) else parse(q)


def ranked_ids(
    owner_id: int,
    query: Query,
    *,
    limit: int = 50,
    offset: int = 0,
    public_only: bool = False,
    include_archived: bool = True,
    base: QuerySet[Link] | None = None,
) -> list[tuple[int, float]]:
    """(link id, score) in rank order, one more than `limit` to tell if a page follows.

    `base` narrows further (the library page's own filters); it must be the owner's links.
    """
    qs = filtered_links(owner_id, query, public_only=public_only, include_archived=include_archived)
    if base is not None:
        qs = qs.filter(pk__in=base.values("pk"))
    clauses = [c for c in query.clauses if not c.negated]
    positive = compile_clauses(clauses)
    negative = compile_clauses((c for c in query.clauses if c.negated), any_of=True)
    if query.has_text and not positive:  # words that have no token (punctuation only)
        return []
    if positive and query.all_versions and not public_only:  # older versions stay private
        return _ranked_with_versions(
            _exclude_matching(qs, negative), query, positive, limit, offset
        )
    estimate = estimated_matches(clauses) if positive else None
    if estimate is not None and estimate > BROAD_MATCHES:
        return _ranked_broad(qs, clauses, negative, limit, offset)
    if positive and not _pg():
        qs = _matching(qs, _fts_without(positive, negative))
    elif positive:
        qs = _matching(_exclude_matching(qs, negative), positive)
    else:
        qs = _exclude_matching(qs, negative)
    if positive:
        rows = qs.order_by("-score", "-created", "-id").values_list("id", "score")
    else:
        rows = qs.order_by("-created", "-id").values_list("id")
    return [(r[0], float(r[1]) if len(r) > 1 else 0.0) for r in rows[offset : offset + limit + 1]]


def _window(text: str, query: Query) -> str:
    """A stretch of `text` around the first place a query word seems to occur.

    Snippets tokenize what they are given (~1 ms of CPU per 1,000 characters): cutting a window
    first keeps 20 hits of long pages inside the search budget. The find is approximate
    (a word inside another, case folding that changes lengths); the snippet then marks
    only real matches.
    """
    if len(text) <= SNIPPET_WINDOW:
        return text
    needles = [
        clause.alternatives[0].tokens[0]
        for clause in query.clauses
        if not clause.negated and clause.alternatives and clause.alternatives[0].tokens
    ]
    first = -1
    # lower-cased a piece at a time: the first piece usually has a match, and long texts
    # are not copied whole for each hit
    for at in range(0, len(text), FIND_PIECE):
        piece = text[at : at + FIND_PIECE + 64].lower()
        found = [pos for needle in needles if (pos := piece.find(needle)) >= 0]
        if found:
            first = at + min(found)
            break
    if first < 0:
        return text[:SNIPPET_WINDOW]
    start = max(0, first - SNIPPET_WINDOW // 4)
    if start:
        space = text.find(" ", start, start + 20)
        start = space + 1 if space >= 0 else start
    return text[start : start + SNIPPET_WINDOW]


def _snippet(text: str, query: Query) -> tuple[str, str]:
    """(html, plain) excerpt of `text` around the query's words; the html is the escaped
    text with <mark> around matches, marked safe for templates."""
    if text:
        try:
            s = snippet(_window(text, query), query)
            return mark_safe(str(s.html)), str(s.text)  # noqa: S308 - escaped + <mark>
        except Exception:  # noqa: BLE001 - a snippet never breaks a search
            log.exception("snippet failed")
    plain = " ".join(text[: SNIPPET_CHARS * 2].split())[:SNIPPET_CHARS]
    return escape(plain), plain


def _version_snippet(snap: Snapshot, query: Query) -> tuple[str, str]:
    """A snippet of an older version's text, led by the version's name ("v2")."""
    html, text = _snippet(snap.text, query)
    label = f"v{snap.version}"
    return (
        mark_safe(f'<span class="snippet-version">{label}</span> {html}'),  # noqa: S308
        f"[{label}] {text}",
    )


def _ids_matching(table: str, key: str, expr: str, ids: list[int]) -> set[int]:
    """Which of `ids` (values of the table's `key`) have a row matching `expr`."""
    found: set[int] = set()
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            marks = ",".join(["%s"] * len(chunk))
            if _pg():
                cursor.execute(
                    f"SELECT {key} FROM {table} WHERE doc @@ %s::tsquery AND {key} IN ({marks})",
                    [expr, *chunk],
                )
            else:
                cursor.execute(
                    f"SELECT rowid FROM {table} WHERE {table} MATCH %s AND rowid IN ({marks})",
                    [expr, *chunk],
                )
            found.update(row[0] for row in cursor.fetchall())
    return found


def older_matches(link_ids: list[int], query: Query) -> dict[int, Snapshot]:
    """With in:versions, for each of these links whose current document does not match
    the query, the newest older version whose text matches one of its words."""
    if not (query.all_versions and query.has_text and link_ids):
        return {}
    clauses = [c for c in query.clauses if not c.negated]
    positive, any_word = compile_clauses(clauses), compile_clauses(clauses, any_of=True)
    if not positive:
        return {}
    current = _ids_matching(PG_TABLE if _pg() else FTS, "link_id", positive, link_ids)
    older, _every = older_versions(pk for pk in link_ids if pk not in current)
    matched = _ids_matching(PG_VTABLE if _pg() else VFTS, "snapshot_id", any_word, list(older))
    best: dict[int, int] = {}
    for pk in matched:
        best[older[pk]] = max(pk, best.get(older[pk], 0))
    snaps = Snapshot.objects.filter(pk__in=list(best.values())).only(
        "id", "link_id", "version", "text"
    )
    return {s.link_id: s for s in snaps}


def snippets_for(link_ids: list[int], query: Query) -> dict[int, tuple[str, str]]:
    """(html, plain) snippet of each link's latest capture text around the query words
    (with in:versions, of the older version that matched when the latest did not)."""
    snaps = latest_done(link_ids)
    out = {pk: _snippet(snap.text, query) for pk, snap in snaps.items()}
    for pk, snap in older_matches(link_ids, query).items():
        out[pk] = _version_snippet(snap, query)
    return out


def hits_for(rows: list[tuple[int, float]], query: Query) -> list[Hit]:
    """Hits with titles and snippets for ranked (id, score) rows, in their order."""
    ids = [pk for pk, _ in rows]
    links = {
        link.pk: link
        for link in Link.objects.filter(pk__in=ids)
        .select_related("latest_snapshot")
        .only("id", "url", "title", "latest_snapshot__id", "latest_snapshot__title")
    }
    snaps = latest_done(ids)
    older = older_matches(ids, query)
    hits = []
    for pk, score in rows:
        link = links.get(pk)
        if link is None:
            continue
        snap = snaps.get(pk)
        title = link.title or (snap.title if snap else "") or link.url
        old = older.get(pk)
        if old is not None:
            html, text = _version_snippet(old, query)
        else:
            html, text = _snippet(snap.text if snap else "", query)
        hits.append(
            Hit(
                link_id=pk,
                snapshot_id=snap.pk if snap else link.latest_snapshot_id,
                title=title,
                url=link.url,
                score=round(score, 6),
                snippet_html=html,
                snippet_text=text,
                version=old.version if old else None,
                matched_snapshot_id=old.pk if old else None,
            )
        )
    return hits


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
    "delete_links",
    "delete_versions",
    "older_matches",
    "df",
    "parse_query",
    "doc_count",
    "rebuild",
    "reindex_links",
    "search",
]
