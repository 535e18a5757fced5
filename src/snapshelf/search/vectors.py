"""Stored term vectors for related articles (DESIGN.md §8: each link keeps its signature).

Related articles re-rank RERANK candidates by the cosine of their TF-IDF vectors.
Computing those at question time meant reading and splitting 50 analyzed bodies,
looking up the document frequencies of every term in them (often 30,000 terms) and
weighing each: most of the time of an uncached call at 100,000 links. So each link's
unit vector (snapshelf.search.related.weigh) is kept in search_related_vector: terms
space-joined, heaviest first (the analyzer's tokens never hold spaces), weights as
float32 in the same order. `snapshelf reindex` (index.rebuild) writes every row once
the whole index is in, with final frequencies; an index write drops the rows of the
links it rewrites; related weighs a link without a usable row from its text and stores
what it weighed, so a library converges on stored rows without slowing captures.

A vector is only as good as the statistics it was weighed with. Each row keeps the
index's document count at the time (`n`); a row whose `n` is more than STALE_SHARE away
from today's count is stale, and the related path weighs that candidate again, as if
no row existed (a missing row: a new capture, an upgraded or restored instance).
"""

# SQL here names only this module's table constants; every value goes as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import time
from array import array
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction

from snapshelf.library.models import Link
from snapshelf.search import index
from snapshelf.search import related as engine
from snapshelf.search.analyzer import QueryTokens
from snapshelf.search.documents import Document, documents

TABLE = "search_related_vector"
#: Topic vectors (snapshelf.search.topic_store), valid while their term vector's row is:
#: every write or delete of a term vector here drops the link's topic vector too.
TOPICS = "search_topic_vector"
#: A row weighed when the index held n documents is used while today's count is within
#: this share of n: idf = log(N / df) barely moves when the library grows by a tenth.
STALE_SHARE = 0.1
CHUNK = 500


def term_counts(ids: list[int]) -> dict[int, Counter]:
    """Term counts of these links' titles and bodies. On SQLite the index already holds
    the analyzed text, so it is read back instead of analyzing every body again."""
    counts: dict[int, Counter] = {}
    if connection.vendor == "sqlite" and ids:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ",".join(["%s"] * len(chunk))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT rowid, title, body FROM {index.FTS} WHERE rowid IN ({marks})", chunk
                )
                for pk, title, body in cursor.fetchall():
                    counts[pk] = engine.term_counts(title or "", body or "")
    missing = [pk for pk in ids if pk not in counts]
    if missing:
        for d in documents(missing):
            counts[d.link_id] = engine.term_counts(d.title, d.body)
    return counts


#: Document frequencies change slowly: a process keeps what it looked up until it writes
#: to the index itself, or the index (written by other processes) has grown or shrunk by
#: 1% — below that the idf weights barely move.
_df_cache: dict[str, int] = {}
_df_cache_key = (-1, 0)
_DF_CACHE_MAX = 500_000


def cached_df(terms: Iterable[str], n: int) -> dict[str, int]:
    """index.df through the process's cache (see above)."""
    global _df_cache_key
    generation, filled_n = _df_cache_key
    if (
        generation != index.generation
        or abs(n - filled_n) > n // 100
        or len(_df_cache) > _DF_CACHE_MAX
    ):
        _df_cache.clear()
        _df_cache_key = (index.generation, n)
    terms = list(terms)
    missing = [t for t in terms if t not in _df_cache]
    if missing:
        _df_cache.update(index.df(missing))
    return {t: _df_cache[t] for t in terms}


#: The index's document count, kept this long (or until this process writes to the
#: index): idf needs it only roughly, and PostgreSQL counts 100,000 rows in ~10-30 ms.
COUNT_SECONDS = 10.0
_count: tuple[int, float, int] = (-1, 0.0, 0)  # generation, when, count


def cached_count() -> int:
    """index.doc_count through the process's cache (see above)."""
    global _count
    generation, when, n = _count
    now = time.monotonic()
    if generation != index.generation or now - when > COUNT_SECONDS:
        n = index.doc_count()
        _count = (index.generation, now, n)
    return n


def _fresh_bounds(n: int) -> tuple[int, int]:
    """The stored counts a row may have been weighed at and still be used at count n."""
    return int(n / (1 + STALE_SHARE)) + 1, int(n * (1 + STALE_SHARE))


def _pack(vector: dict[str, float]) -> tuple[str, bytes]:
    ranked = sorted(vector.items(), key=lambda kv: -kv[1])
    return " ".join(t for t, _w in ranked), array("f", (w for _t, w in ranked)).tobytes()


def _unpack(terms: str, weights: bytes) -> dict[str, float]:
    values = array("f")
    values.frombytes(bytes(weights))
    return dict(zip(terms.split(), values, strict=True)) if terms else {}


def _write(counts: dict[int, Counter], n: int) -> None:
    """Weigh these term counts against today's index and store them (replacing rows)."""
    if not counts:
        return
    df = cached_df(set().union(*(c.keys() for c in counts.values())), n)
    _write_rows([(pk, n, *_pack(engine.weigh(c, df, n))) for pk, c in counts.items()])


def _write_rows(rows: list[tuple[int, int, str, bytes]]) -> None:
    _delete_topics([row[0] for row in rows])
    _upsert(TABLE, ("n", "terms", "weights"), rows)


def _upsert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows keyed by link_id (first in each row), replacing rows already there."""
    names = ", ".join(("link_id", *columns))
    marks = ", ".join(["%s"] * (len(columns) + 1))
    if connection.vendor == "postgresql":
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        sql += f" ON CONFLICT (link_id) DO UPDATE SET {updates}"
    else:
        sql = f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _delete(ids: list[int]) -> None:
    if not ids:
        return
    _delete_topics(ids)
    marks = ",".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE link_id IN ({marks})", ids)


def _delete_topics(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {TOPICS} WHERE link_id IN ({marks})", chunk)


def indexed(docs: list[Document], ids: list[int]) -> None:
    """After index writes: these links' rows are out of date, so they go. Related weighs
    such a link from its text when it first needs it and stores the result (`store`):
    a capture's commit stays one DELETE, where weighing it here meant a document-frequency
    lookup of every term of the page (and of up to 20 stale rows) on each write."""
    _delete(ids)


def store(vectors: dict[int, dict[str, float]], n: int) -> None:
    """Keep vectors that were weighed at index size n (written back by related)."""
    rows = [(pk, n, *_pack(v)) for pk, v in vectors.items()]
    if rows:
        _write_rows(rows)


def vectors_of(ids: list[int], n: int, df: dict[str, int] | None = None) -> dict[int, dict]:
    """These links' vectors: the stored ones when weighed at about index size n, else
    weighed here from the indexed text (a missing or stale row) and stored, exactly as
    `rebuild` would. `df` gathers the document frequencies looked up on the way."""
    df = {} if df is None else df
    stored = load(ids, n)
    missing = [pk for pk in ids if pk not in stored]
    if missing:
        counts = term_counts(missing)
        every = set().union(*(c.keys() for c in counts.values())) if counts else set()
        df.update(cached_df(every - df.keys(), n))
        weighed = {pk: engine.weigh(c, df, n) for pk, c in counts.items()}
        store(weighed, n)  # the next call reads them
        stored.update(weighed)
    return stored


def load_topics(ids: list[int], model: int) -> dict[int, bytes]:
    """The stored topic vectors of these links projected with topic model `model`."""
    if not ids:
        return {}
    marks = ",".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT link_id, topic FROM {TOPICS} WHERE link_id IN ({marks}) AND model = %s",
            [*ids, model],
        )
        return {pk: bytes(topic) for pk, topic in cursor.fetchall()}


def store_topics(topics: dict[int, bytes], model: int) -> None:
    """Keep topic vectors projected with topic model `model` (replacing older ones)."""
    if topics:
        _upsert(TOPICS, ("model", "topic"), [(pk, model, t) for pk, t in topics.items()])


def rebuild(chunk: int = 1000) -> int:
    """Every indexed link's vector, with the statistics of the complete index."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TOPICS}")
        cursor.execute(f"DELETE FROM {TABLE}")
    n = index.doc_count()
    done = last = 0
    table = index.PG_TABLE if connection.vendor == "postgresql" else index.FTS
    key = "link_id" if connection.vendor == "postgresql" else "rowid"
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {key} FROM {table} WHERE {key} > %s ORDER BY {key} LIMIT %s",
                [last, chunk],
            )
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return done
        _write(term_counts(ids), n)
        last = ids[-1]
        done += len(ids)


def load(ids: list[int], n: int) -> dict[int, dict[str, float]]:
    """The stored vectors of these links that are fresh at index size n."""
    if not ids:
        return {}
    low, high = _fresh_bounds(n)
    marks = ",".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT link_id, terms, weights FROM {TABLE}"
            f" WHERE link_id IN ({marks}) AND n >= %s AND n <= %s",
            [*ids, low, high],
        )
        return {pk: _unpack(terms, weights) for pk, terms, weights in cursor.fetchall()}


def prefiltered(
    owner_id: int,
    weights: list[tuple[str, float]],
    *,
    exclude: int,
    public_only: bool,
    limit: int,
) -> list[int]:
    """engine.prefilter in one statement: the owner's links holding the most weight of
    these (token, weight * idf) pairs in title, tags or body, best first, newer (larger
    id) first on ties, `exclude` left out. The index answers which links hold a token
    fast; the sums, the owner and the order are left to the database too. The sums are
    rounded: added up in another order, equal weights must still tie (newer first)."""
    return [pk for pk, _topic in _prefilter(owner_id, weights, exclude, public_only, limit)]


def prefiltered_topics(
    owner_id: int,
    weights: list[tuple[str, float]],
    *,
    exclude: int,
    public_only: bool,
    limit: int,
    model: int,
) -> list[tuple[int, bytes | None]]:
    """`prefiltered`, each id with its stored topic vector under topic model `model`
    (None without one), read in the same statement: on PostgreSQL a second statement
    for the pick's 300 ids took ~2-5 ms at 100,000 links."""
    return _prefilter(owner_id, weights, exclude, public_only, limit, model)


def _prefilter(
    owner_id: int,
    weights: list[tuple[str, float]],
    exclude: int,
    public_only: bool,
    limit: int,
    model: int | None = None,
) -> list[tuple[int, bytes | None]]:
    pairs = [(t, w) for t, w in dict(weights).items() if t and " " not in t]
    if not pairs:
        return []
    links = Link._meta.db_table
    visible = "AND l.visibility = %s" if public_only else ""
    pg = connection.vendor == "postgresql"
    if pg:
        # one statement per term, each with its own tsquery value, so each is a GIN
        # index scan (an array of queries joined laterally was planned as a sequential
        # scan testing every document against every term: 1.2 s at 20,000 links); no
        # column weights, which would make the index recheck every match against its
        # stored tsvector (the pick may then also count site and note words, BM25 not)
        union = " UNION ALL ".join(
            f"SELECT link_id AS id, %s::float8 AS w FROM {index.PG_TABLE}"
            " WHERE owner_id = %s AND doc @@ %s::tsquery"
            for _p in pairs
        )
        sql = (
            "SELECT g.id, g.score FROM (SELECT id, round(sum(w)::numeric, 9) AS score"
            f" FROM ({union}) u GROUP BY id) g"
        )
        params: list = []
        for t, w in pairs:
            params += [w, owner_id, index._pg_alt(QueryTokens((t,)))]
    else:
        union = " UNION ALL ".join(
            f"SELECT rowid AS id, %s AS w FROM {index.FTS} WHERE {index.FTS} MATCH %s"
            for _p in pairs
        )
        sql = (
            "SELECT g.id, g.score FROM (SELECT id, round(sum(w), 9) AS score"
            f" FROM ({union}) GROUP BY id) g"
        )
        params = []
        for t, w in pairs:
            params += [w, "{title tags body} : " + index._fts_alt(QueryTokens((t,)))]
    if pg and not public_only:
        # each branch holds only the owner's documents already: joining the links as
        # well cost a lookup per match (~30 ms for 17,000 matches at 100,000 links)
        sql += " WHERE g.id <> %s ORDER BY g.score DESC, g.id DESC LIMIT %s"
        params += [exclude, limit]
    else:
        sql += (
            f" JOIN {links} l ON l.id = g.id WHERE l.owner_id = %s AND l.id <> %s {visible}"
            " ORDER BY g.score DESC, g.id DESC LIMIT %s"
        )
        params += [owner_id, exclude, *([Link.Visibility.PUBLIC] if public_only else []), limit]
    if model is not None:
        sql = (
            f"SELECT p.id, t.topic FROM ({sql}) p"
            f" LEFT JOIN {TOPICS} t ON t.link_id = p.id AND t.model = %s"
            " ORDER BY p.score DESC, p.id DESC"
        )
        params.append(model)
    # a transaction only for SET LOCAL: on SQLite it would take the write lock (IMMEDIATE)
    with transaction.atomic() if pg else contextlib.nullcontext(), connection.cursor() as cursor:
        if pg:
            # planned in parallel, the grouping took ~30 ms instead of ~20 at 100,000
            # links: starting workers costs more than they save on a statement this short
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if model is None:
        return [(pk, None) for pk, _score in rows]
    return [(pk, None if topic is None else bytes(topic)) for pk, topic in rows]


def bm25_among(ids: list[int], tokens: list[str], limit: int) -> list[int]:
    """SQLite: of these links (the prefilter's pick, already the owner's), the `limit`
    best by the index's own BM25 of these tokens in title, tags or body (index.BM25),
    newer first on ties. The match is scanned and only the picked rows are scored
    (`+rowid` keeps the id list out of FTS5, which would run the whole query again per
    id). PostgreSQL has no BM25: related uses the prefilter's order there."""
    toks = [t for t in dict.fromkeys(tokens) if t and " " not in t]
    if not toks or not ids:
        return []
    expr = (
        "{title tags body} : (" + " OR ".join(index._fts_alt(QueryTokens((t,))) for t in toks) + ")"
    )
    marks = ",".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, -{index.BM25} AS score FROM {index.FTS}"
            f" WHERE {index.FTS} MATCH %s AND +rowid IN ({marks})"
            " ORDER BY score DESC, rowid DESC LIMIT %s",
            [expr, *ids, limit],
        )
        return [row[0] for row in cursor.fetchall()]
