"""The PostgreSQL backend: tsvector documents built as literals, with GIN indexes.

Tables: ``search_document`` (link_id, owner_id, tsvector ``doc``, plus ``head``, the
title and tags alone, migration 0007), ``search_version`` for older versions, and
the document-frequency counts ``search_term_df`` kept by triggers on search_document
(migration 0005: an append-only change log ``search_term_delta``, folded into the
counts by compact_df), so every write, foreign-key cascades included, keeps them
exact. The tsvector is never built through PostgreSQL's text parser: the analyzer's
tokens go in as they are, so both backends match the same words.
"""

# SQL here names only this module's table constants; every value goes as a parameter.
# ruff: noqa: S608, S610

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import QuerySet

from snapshelf.library.models import Link
from snapshelf.search.backends.base import (
    SearchBackend,
    chunks,
    marks,
    picked_with_topics,
    with_topics,
)
from snapshelf.search.documents import Document, VersionDocument
from snapshelf.text.analyzer import QueryTokens

TABLE = "search_document"
VTABLE = "search_version"  # older versions
TERMS = "search_term_df"  # documents per term (migration 0005)
DELTA = "search_term_delta"  # their changes not yet folded in
#: ts_rank_cd weights in PostgreSQL's order {D, C, B, A}: body, site+note, tags, title.
RANK = "ts_rank_cd('{0.1, 0.3, 0.8, 1.0}', search_document.doc, %s::tsquery)"
WEIGHTS = ("A", "B", "C", "C", "D")  # title, tags, site, note, body
MAX_POS = 16383  # tsvector positions stop there
MAX_POSITIONS = 256  # per lexeme, as to_tsvector keeps
#: A tsvector must stay under 1 MB: distinct words past this many are left out (only very
#: long CJK texts get there; their tail then matches on SQLite but not on PostgreSQL).
MAX_LEXEMES = 50_000
DF_CHUNK = 5000  # terms per document-frequency statement (they go as one array)
#: Fold the term-statistics log after this many documents written by this process
#: (~500 log rows each): writers keep it short even when nobody reads document
#: frequencies (a bulk import, say).
COMPACT_EVERY = 200
#: pg_try_advisory_xact_lock key of the compactor ("sndf").
COMPACT_LOCK = 0x736E6466


def _escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("'", "''")


def tsvector_literal(doc: Document) -> str:
    """The document as a tsvector literal: positions run over the columns in order, with
    a gap between columns so no phrase spans two; the weight tells the column."""
    return _tsvector(doc.columns(), WEIGHTS)


def _tsvector(columns: Iterable[str], weights: Iterable[str]) -> str:
    pos = 0
    entries: dict[str, list[str]] = {}
    for text, weight in zip(columns, weights, strict=True):
        for tok in text.split():
            pos = min(pos + 1, MAX_POS)
            positions = entries.get(tok)
            if positions is None:
                if len(entries) >= MAX_LEXEMES:
                    continue
                positions = entries[tok] = []
            if len(positions) < MAX_POSITIONS:
                positions.append(f"{pos}{weight}")
        pos = min(pos + 1, MAX_POS)
    return " ".join(f"'{_escape(tok)}':{','.join(p)}" for tok, p in entries.items())


def _newest(qs: QuerySet[Link], where: list[str], params: list[str]) -> QuerySet[Link]:
    """The links whose search document meets `where`, newest first, unscored."""
    return qs.extra(
        tables=[TABLE], where=[f"{TABLE}.link_id = library_link.id", *where], params=params
    ).order_by("-id")


class PostgresBackend(SearchBackend):
    or_op = " | "
    and_op = " & "
    ranks_by_bm25 = False
    counted_table = TABLE
    versions_table = VTABLE

    def __init__(self) -> None:
        #: Documents this process wrote since it last folded the term-statistics log.
        self.written = 0

    # ------------------------------------------------------------ writing

    def replace_documents(self, cursor, link_ids: list[int], docs: list[Document]) -> None:
        """Replaced in place: the term-statistics trigger then logs only the terms that
        changed; links gone lose theirs."""
        have = {d.link_id for d in docs}
        gone = [pk for pk in link_ids if pk not in have]
        if gone:
            cursor.execute(f"DELETE FROM {TABLE} WHERE link_id IN ({marks(len(gone))})", gone)
        self.insert_documents(cursor, docs)

    def insert_documents(self, cursor, docs: list[Document]) -> None:
        if not docs:
            return
        cursor.execute(
            f"INSERT INTO {TABLE} (link_id, owner_id, doc)"
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
        self.written += len(docs)
        if self.written >= COMPACT_EVERY:
            self.written = 0
            self.compact_df()

    def delete_documents(self, cursor, link_ids: list[int]) -> None:
        if link_ids:
            where = f"WHERE link_id IN ({marks(len(link_ids))})"
            cursor.execute(f"DELETE FROM {TABLE} {where}", link_ids)
            cursor.execute(f"DELETE FROM {VTABLE} {where}", link_ids)

    def insert_versions(self, cursor, docs: list[VersionDocument]) -> None:
        if docs:
            cursor.executemany(
                f"INSERT INTO {VTABLE} (snapshot_id, link_id, doc) VALUES (%s, %s, %s::tsvector)",
                [(d.snapshot_id, d.link_id, _tsvector((d.body,), ("D",))) for d in docs],
            )

    def delete_versions(self, cursor, snapshot_ids: list[int]) -> None:
        for chunk in chunks(snapshot_ids):
            cursor.execute(
                f"DELETE FROM {VTABLE} WHERE snapshot_id IN ({marks(len(chunk))})", chunk
            )

    def indexed_versions(self, cursor, link_ids: list[int], snapshot_ids: list[int]) -> set[int]:
        found: set[int] = set()
        for chunk in chunks(link_ids):
            cursor.execute(
                f"SELECT snapshot_id FROM {VTABLE} WHERE link_id IN ({marks(len(chunk))})", chunk
            )
            found.update(row[0] for row in cursor.fetchall())
        return found

    def clear(self) -> None:
        # the term statistics are emptied with the documents, not logged term by term
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('snapshelf.term_df', 'off', true)")
            cursor.execute(f"DELETE FROM {TABLE}")
            cursor.execute("SELECT set_config('snapshelf.term_df', 'on', true)")
            cursor.execute(f"DELETE FROM {VTABLE}")
            cursor.execute(f"DELETE FROM {TERMS}")
            cursor.execute(f"DELETE FROM {DELTA}")

    def begin_rebuild(self, cursor) -> None:
        # Writers wait until the new index is whole (its term counts then stay exact),
        # and the documents are counted once at the end: logging ~300 terms per
        # document and folding the log every chunk, all in one transaction, went
        # quadratic (over an hour at 100,000 links).
        cursor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("SELECT set_config('snapshelf.term_df', 'off', true)")

    def finish_rebuild(self, cursor) -> None:
        cursor.execute("SELECT set_config('snapshelf.term_df', 'on', true)")
        cursor.execute(f"DELETE FROM {TERMS}")
        cursor.execute(f"DELETE FROM {DELTA}")
        cursor.execute(
            f"INSERT INTO {TERMS} (term, ndoc)"
            f" SELECT word, ndoc FROM ts_stat('SELECT doc FROM {TABLE}')"
        )
        self._merge_pending(cursor)

    @staticmethod
    def _merge_pending(cursor) -> None:
        # the GIN indexes' pending lists hold the last inserts unsorted: merged now,
        # or the planner, costing a scan of them, reads every document instead
        for gin in (f"{TABLE}_doc", f"{VTABLE}_doc"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [gin])

    def merge_pending(self) -> None:
        with connection.cursor() as cursor:
            self._merge_pending(cursor)

    def compact_df(self) -> bool:
        """Fold search_term_delta into search_term_df; False when another transaction
        is compacting (its fold includes everything committed before it).

        One compactor at a time (advisory lock held to the end of the transaction): index
        writers only append to the log, so only compactors ever wait on the counts' rows.
        """
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
            if not cursor.fetchone()[0]:
                return False
            cursor.execute(
                f"WITH moved AS (DELETE FROM {DELTA} RETURNING term, delta)"
                f" INSERT INTO {TERMS} (term, ndoc)"
                " SELECT term, sum(delta) FROM moved GROUP BY term ORDER BY term"
                f" ON CONFLICT (term) DO UPDATE SET ndoc = {TERMS}.ndoc + EXCLUDED.ndoc"
            )
        return True

    # ------------------------------------------------------------ statistics

    def df(self, tokens: list[str]) -> dict[str, int]:
        """The trigger-kept counts: ndoc plus the changes not yet compacted, each an
        index lookup per term."""
        out: dict[str, int] = {}
        with connection.cursor() as cursor:
            for start in range(0, len(tokens), DF_CHUNK):
                # correlated lookups: one index probe per term (a join hashed the
                # whole table, ~170 ms for 5,000 terms at 3,000 links)
                cursor.execute(
                    "SELECT t.term,"
                    f" COALESCE((SELECT s.ndoc FROM {TERMS} s WHERE s.term = t.term), 0)"
                    f" + COALESCE((SELECT sum(d.delta) FROM {DELTA} d WHERE d.term = t.term), 0)"
                    " FROM unnest(%s::text[]) AS t(term)",
                    [tokens[start : start + DF_CHUNK]],
                )
                out.update(cursor.fetchall())
        return out

    def adjacent_pairs(self, link_id: int, wanted: set[str]) -> set[tuple[str, str]]:
        """Only these terms' positions, from the stored tsvector (~0.5 ms where analyzing
        the capture again took ~3-9 ms); positions stop counting at MAX_POS, so pairs
        past it are not seen."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT u.lexeme, u.positions, u.weights FROM {TABLE} d, unnest(d.doc) u"
                " WHERE d.link_id = %s AND u.lexeme = ANY(%s)",
                [link_id, list(wanted)],
            )
            rows = cursor.fetchall()
        at: dict[int, str] = {}
        title, body = WEIGHTS[0], WEIGHTS[-1]
        for lexeme, positions, weights in rows:
            for pos, weight in zip(positions, weights, strict=True):
                if weight in (title, body):
                    at[pos] = lexeme
        return {(a, at[p + 1]) for p, a in at.items() if p + 1 in at and p + 1 < MAX_POS}

    def indexed_texts(self, link_ids: list[int]) -> dict[int, tuple[str, str]]:
        return {}  # a tsvector keeps positions, not the text

    def indexed_ids(self, after: int, limit: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT link_id FROM {TABLE} WHERE link_id > %s ORDER BY link_id LIMIT %s",
                [after, limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def sample_ids(self, size: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT link_id FROM {TABLE} ORDER BY random() LIMIT %s", [size])
            return sorted(row[0] for row in cursor.fetchall())

    # ------------------------------------------------------------ query compilation

    def phrase(self, alt: QueryTokens) -> str:
        """A tsquery phrase (its last word a prefix when the query says so)."""
        parts = [f"'{_escape(t)}'" for t in alt.tokens]
        if alt.prefix:
            parts[-1] = f"'{_escape(alt.tokens[-1])}':*"
        return "(" + " <-> ".join(parts) + ")"

    # ------------------------------------------------------------ matching

    def matching(self, qs: QuerySet[Link], positive: str, negative: str = "") -> QuerySet[Link]:
        return self.exclude_matching(qs, negative).extra(
            select={"score": RANK},
            select_params=[positive],
            tables=[TABLE],
            where=[f"{TABLE}.link_id = library_link.id", f"{TABLE}.doc @@ %s::tsquery"],
            params=[positive],
        )

    def exclude_matching(self, qs: QuerySet[Link], expr: str) -> QuerySet[Link]:
        if not expr:
            return qs
        sql = (
            f"NOT EXISTS (SELECT 1 FROM {TABLE} n WHERE n.link_id = library_link.id "
            "AND n.doc @@ %s::tsquery)"
        )
        return qs.extra(where=[sql], params=[expr])

    def broad_parts(
        self, qs: QuerySet[Link], positive: str, negative: str
    ) -> tuple[QuerySet[Link], QuerySet[Link]]:
        # title and tags are asked of their own tsvector (`head`, migration 0007)
        qs = self.exclude_matching(qs, negative)
        head, doc = f"{TABLE}.head @@ %s::tsquery", f"{TABLE}.doc @@ %s::tsquery"
        titled = _newest(qs, [head], [positive])
        rest = _newest(qs, [doc, f"NOT {head}"], [positive, positive])
        return titled, rest

    def current_or_older(self, expr: str) -> tuple[str, list[str]]:
        sql = (
            f"(library_link.id IN (SELECT link_id FROM {TABLE} WHERE doc @@ %s::tsquery)"
            f" OR library_link.id IN (SELECT link_id FROM {VTABLE} WHERE doc @@ %s::tsquery))"
        )
        return sql, [expr, expr]

    def links_matching(self, expr: str, link_ids: list[int]) -> set[int]:
        return _keys_matching(TABLE, "link_id", expr, link_ids)

    def versions_matching(self, expr: str, snapshot_ids: list[int]) -> set[int]:
        return _keys_matching(VTABLE, "snapshot_id", expr, snapshot_ids)

    # ------------------------------------------------------------ related articles

    def prefiltered(
        self,
        owner_id: int,
        weights: list[tuple[str, float]],
        *,
        exclude: int,
        public_only: bool,
        limit: int,
        topic_model: int | None = None,
    ) -> list[tuple[int, bytes | None]]:
        """One statement per term, each with its own tsquery value, so each is a GIN
        index scan (an array of queries joined laterally was planned as a sequential
        scan testing every document against every term: 1.2 s at 20,000 links); no
        column weights, which would make the index recheck every match against its
        stored tsvector (the pick may then also count site and note words, BM25 not)."""
        pairs = [(t, w) for t, w in dict(weights).items() if t and " " not in t]
        if not pairs:
            return []
        union = " UNION ALL ".join(
            f"SELECT link_id AS id, %s::float8 AS w FROM {TABLE}"
            " WHERE owner_id = %s AND doc @@ %s::tsquery"
            for _p in pairs
        )
        sql = (
            "SELECT g.id, g.score FROM (SELECT id, round(sum(w)::numeric, 9) AS score"
            f" FROM ({union}) u GROUP BY id) g"
        )
        params: list = []
        for t, w in pairs:
            params += [w, owner_id, self.phrase(QueryTokens((t,)))]
        if public_only:
            sql += (
                f" JOIN {Link._meta.db_table} l ON l.id = g.id WHERE l.owner_id = %s"
                " AND l.id <> %s AND l.visibility = %s ORDER BY g.score DESC, g.id DESC LIMIT %s"
            )
            params += [owner_id, exclude, Link.Visibility.PUBLIC, limit]
        else:
            # each branch holds only the owner's documents already: joining the links as
            # well cost a lookup per match (~30 ms for 17,000 matches at 100,000 links)
            sql += " WHERE g.id <> %s ORDER BY g.score DESC, g.id DESC LIMIT %s"
            params += [exclude, limit]
        sql, params = with_topics(sql, params, topic_model)
        with transaction.atomic(), connection.cursor() as cursor:
            # planned in parallel, the grouping took ~30 ms instead of ~20 at 100,000
            # links: starting workers costs more than they save on a statement this short
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cursor.execute(sql, params)
            return picked_with_topics(cursor.fetchall(), topic_model)

    def upsert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        names = ", ".join(("link_id", *columns))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks(len(columns) + 1)})"
                f" ON CONFLICT (link_id) DO UPDATE SET {updates}",
                rows,
            )


def _keys_matching(table: str, key: str, expr: str, ids: list[int]) -> set[int]:
    found: set[int] = set()
    with connection.cursor() as cursor:
        for chunk in chunks(ids):
            cursor.execute(
                f"SELECT {key} FROM {table} WHERE doc @@ %s::tsquery"
                f" AND {key} IN ({marks(len(chunk))})",
                [expr, *chunk],
            )
            found.update(row[0] for row in cursor.fetchall())
    return found
