"""The SQLite backend: FTS5 over text the analyzer already split.

Tables (migrations 0001, 0003, 0004): ``search_fts`` (rowid = link id; columns title,
tags, site, note, body; tokenizer ``ascii``), its ``search_fts_vocab`` view for
document frequencies, and ``search_version_fts`` (rowid = snapshot id) for older
versions. Ranking is FTS5's BM25 with column weights.
"""

# SQL here names only this module's table constants; every value goes as a parameter.
# ruff: noqa: S608, S610

from __future__ import annotations

from itertools import pairwise

from django.db import connection
from django.db.models import QuerySet

from snapshelf.library.models import Link, Snapshot
from snapshelf.search.backends.base import (
    SearchBackend,
    chunks,
    marks,
    picked_with_topics,
    with_topics,
)
from snapshelf.search.documents import Document, VersionDocument
from snapshelf.text.analyzer import QueryTokens

FTS = "search_fts"
VOCAB = "search_fts_vocab"
VFTS = "search_version_fts"  # older versions: rowid = snapshot id
#: Column weights: title, tags, site, note, body (title and tags weigh most).
BM25 = "bm25(search_fts, 10.0, 8.0, 3.0, 3.0, 1.0)"
DF_CHUNK = 200  # terms per document-frequency statement (SQLite's parameter cap)


def _fts_without(expr: str, negative: str) -> str:
    """An FTS5 expression that also excludes `negative` (bm25 is unchanged: the excluded
    phrases never occur in a match). One scan, where `library_link.id NOT IN (...)`
    first listed every excluded link: ~25 ms for a common word at 100,000 links."""
    return f"({expr}) NOT ({negative})" if negative else expr


def _newest(qs: QuerySet[Link], expr: str) -> QuerySet[Link]:
    """The links matching `expr`, newest first (ids grow with saving time), unscored:
    the order is FTS5's own rowid order, so the scan stops after a page."""
    return qs.extra(
        tables=[FTS],
        where=[f"{FTS}.rowid = library_link.id", f"{FTS} MATCH %s"],
        params=[expr],
        order_by=[f"-{FTS}.rowid"],
    )


class SqliteBackend(SearchBackend):
    or_op = " OR "
    and_op = " AND "
    ranks_by_bm25 = True
    # FTS5 has no cheap count(*); its docsize shadow table has one plain row per document
    counted_table = f"{FTS}_docsize"
    versions_table = VFTS

    # ------------------------------------------------------------ writing

    def replace_documents(self, cursor, link_ids: list[int], docs: list[Document]) -> None:
        self.delete_documents(cursor, link_ids)
        self.insert_documents(cursor, docs)

    def insert_documents(self, cursor, docs: list[Document]) -> None:
        if docs:
            cursor.executemany(
                f"INSERT INTO {FTS} (rowid, title, tags, site, note, body) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [(d.link_id, *d.columns()) for d in docs],
            )

    def delete_documents(self, cursor, link_ids: list[int]) -> None:
        # older versions: the snapshots' post_delete signals took their rows already
        if link_ids:
            cursor.execute(f"DELETE FROM {FTS} WHERE rowid IN ({marks(len(link_ids))})", link_ids)

    def insert_versions(self, cursor, docs: list[VersionDocument]) -> None:
        if docs:
            cursor.executemany(
                f"INSERT INTO {VFTS} (rowid, body, link_id) VALUES (%s, %s, %s)",
                [(d.snapshot_id, d.body, d.link_id) for d in docs],
            )

    def delete_versions(self, cursor, snapshot_ids: list[int]) -> None:
        for chunk in chunks(snapshot_ids):
            cursor.execute(f"DELETE FROM {VFTS} WHERE rowid IN ({marks(len(chunk))})", chunk)

    def indexed_versions(self, cursor, link_ids: list[int], snapshot_ids: list[int]) -> set[int]:
        # by snapshot id: the table has no index on the link
        found: set[int] = set()
        for chunk in chunks(snapshot_ids):
            cursor.execute(f"SELECT rowid FROM {VFTS} WHERE rowid IN ({marks(len(chunk))})", chunk)
            found.update(row[0] for row in cursor.fetchall())
        return found

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS}")
            cursor.execute(f"DELETE FROM {VFTS}")

    def begin_rebuild(self, cursor) -> None:
        pass

    def finish_rebuild(self, cursor) -> None:
        cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('optimize')")
        cursor.execute(f"INSERT INTO {VFTS}({VFTS}) VALUES ('optimize')")

    # ------------------------------------------------------------ statistics

    def df(self, tokens: list[str]) -> dict[str, int]:
        """From the fts5vocab table: one b-tree lookup per term."""
        out: dict[str, int] = {}
        with connection.cursor() as cursor:
            for start in range(0, len(tokens), DF_CHUNK):
                chunk = tokens[start : start + DF_CHUNK]
                cursor.execute(
                    f"SELECT term, doc FROM {VOCAB} WHERE term IN ({marks(len(chunk))})", chunk
                )
                out.update(cursor.fetchall())
        return out

    def adjacent_pairs(self, link_id: int, wanted: set[str]) -> set[tuple[str, str]]:
        """The FTS row's title and body read back."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT title, body FROM {FTS} WHERE rowid = %s", [link_id])
            row = cursor.fetchone()
        pairs = set()
        for text in row or ():
            pairs.update(
                (a, b) for a, b in pairwise((text or "").split()) if a in wanted and b in wanted
            )
        return pairs

    def indexed_texts(self, link_ids: list[int]) -> dict[int, tuple[str, str]]:
        out: dict[int, tuple[str, str]] = {}
        for chunk in chunks(link_ids):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT rowid, title, body FROM {FTS} WHERE rowid IN ({marks(len(chunk))})",
                    chunk,
                )
                for pk, title, body in cursor.fetchall():
                    out[pk] = (title or "", body or "")
        return out

    def indexed_ids(self, after: int, limit: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid FROM {FTS} WHERE rowid > %s ORDER BY rowid LIMIT %s", [after, limit]
            )
            return [row[0] for row in cursor.fetchall()]

    def sample_ids(self, size: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid FROM {FTS} ORDER BY random() LIMIT %s", [size])
            return sorted(row[0] for row in cursor.fetchall())

    # ------------------------------------------------------------ query compilation

    def phrase(self, alt: QueryTokens) -> str:
        text = " ".join(alt.tokens).replace('"', '""')
        return f'"{text}"' + ("*" if alt.prefix else "")

    # ------------------------------------------------------------ matching

    def matching(self, qs: QuerySet[Link], positive: str, negative: str = "") -> QuerySet[Link]:
        return qs.extra(
            select={"score": f"-{BM25}"},
            tables=[FTS],
            where=[f"{FTS}.rowid = library_link.id", f"{FTS} MATCH %s"],
            params=[_fts_without(positive, negative)],
        )

    def exclude_matching(self, qs: QuerySet[Link], expr: str) -> QuerySet[Link]:
        if not expr:
            return qs
        sql = f"library_link.id NOT IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)"
        return qs.extra(where=[sql], params=[expr])

    def broad_parts(
        self, qs: QuerySet[Link], positive: str, negative: str
    ) -> tuple[QuerySet[Link], QuerySet[Link]]:
        # the exclusions join the match expression: each part is one streaming FTS5 scan
        titled = _newest(qs, _fts_without("{title tags} : (" + positive + ")", negative))
        rest = _newest(
            qs, _fts_without(f"({positive}) NOT {{title tags}} : ({positive})", negative)
        )
        return titled, rest

    def current_or_older(self, expr: str) -> tuple[str, list[str]]:
        snaps = Snapshot._meta.db_table
        sql = (
            f"(library_link.id IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)"
            f" OR library_link.id IN (SELECT s.link_id FROM {VFTS} JOIN {snaps} s"
            f" ON s.id = {VFTS}.rowid AND s.link_id = {VFTS}.link_id WHERE {VFTS} MATCH %s))"
        )
        return sql, [expr, expr]

    def links_matching(self, expr: str, link_ids: list[int]) -> set[int]:
        return _rowids_matching(FTS, expr, link_ids)

    def versions_matching(self, expr: str, snapshot_ids: list[int]) -> set[int]:
        return _rowids_matching(VFTS, expr, snapshot_ids)

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
        """One statement: a MATCH per term (the index answers which links hold a token
        fast), summed and ordered by the database; the index knows no owner, so the
        links are joined for it."""
        pairs = [(t, w) for t, w in dict(weights).items() if t and " " not in t]
        if not pairs:
            return []
        union = " UNION ALL ".join(
            f"SELECT rowid AS id, %s AS w FROM {FTS} WHERE {FTS} MATCH %s" for _p in pairs
        )
        sql = (
            "SELECT g.id, g.score FROM (SELECT id, round(sum(w), 9) AS score"
            f" FROM ({union}) GROUP BY id) g"
        )
        params: list = []
        for t, w in pairs:
            params += [w, "{title tags body} : " + self.phrase(QueryTokens((t,)))]
        visible = "AND l.visibility = %s" if public_only else ""
        sql += (
            f" JOIN {Link._meta.db_table} l ON l.id = g.id WHERE l.owner_id = %s AND l.id <> %s"
            f" {visible} ORDER BY g.score DESC, g.id DESC LIMIT %s"
        )
        params += [owner_id, exclude, *([Link.Visibility.PUBLIC] if public_only else []), limit]
        sql, params = with_topics(sql, params, topic_model)
        # no transaction: on SQLite it would take the write lock (IMMEDIATE)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return picked_with_topics(cursor.fetchall(), topic_model)

    def bm25_among(self, ids: list[int], tokens: list[str], limit: int) -> list[int]:
        """The match is scanned and only the picked rows are scored (`+rowid` keeps the
        id list out of FTS5, which would run the whole query again per id); newer first
        on ties."""
        toks = [t for t in dict.fromkeys(tokens) if t and " " not in t]
        if not toks or not ids:
            return []
        expr = " OR ".join(self.phrase(QueryTokens((t,))) for t in toks)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, -{BM25} AS score FROM {FTS}"
                f" WHERE {FTS} MATCH %s AND +rowid IN ({marks(len(ids))})"
                " ORDER BY score DESC, rowid DESC LIMIT %s",
                ["{title tags body} : (" + expr + ")", *ids, limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def upsert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        names = ", ".join(("link_id", *columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks(len(columns) + 1)})",
                rows,
            )


def _rowids_matching(table: str, expr: str, ids: list[int]) -> set[int]:
    found: set[int] = set()
    with connection.cursor() as cursor:
        for chunk in chunks(ids):
            cursor.execute(
                f"SELECT rowid FROM {table} WHERE {table} MATCH %s"
                f" AND rowid IN ({marks(len(chunk))})",
                [expr, *chunk],
            )
            found.update(row[0] for row in cursor.fetchall())
    return found
