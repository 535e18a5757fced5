"""Stored term vectors for related articles: each link keeps its signature's source.

Related articles re-rank candidates by the cosine of their TF-IDF vectors. Computing
those at question time meant reading and splitting the candidates' analyzed bodies,
looking up the document frequencies of every term in them and weighing each: most of
the time of an uncached call in a big library. So each link's unit vector
(engine.weigh) is kept in search_related_vector (a search app table): terms
space-joined, heaviest first (the analyzer's tokens never hold spaces), weights as
float32 in the same order. `snapshelf reindex` writes every row once the whole index
is in, with final frequencies (`rebuild`); an index write drops the rows of the
links it rewrites (`indexed`, in the same transaction: both are hooks of the index,
registered in snapshelf.related.apps); related weighs a link without a usable row
from its text and stores what it weighed, so a library converges on stored rows
without slowing captures.

A vector is only as good as the statistics it was weighed with. Each row keeps the
index's document count at the time (`n`); a row whose `n` is more than STALE_SHARE away
from today's count is stale, and the related path weighs that candidate again, as if
no row existed (a missing row: a new capture, an upgraded or restored instance).
"""

# SQL here names only this module's table constants; every value goes as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Iterable

from django.db import connection

from snapshelf.related import engine
from snapshelf.search import index
from snapshelf.search.backends import get_backend
from snapshelf.search.documents import documents
from snapshelf.search.models import RelatedVector, TopicVector

TABLE = RelatedVector._meta.db_table
#: Topic vectors (snapshelf.related.topic_store), valid while their term vector's row is:
#: every write or delete of a term vector here drops the link's topic vector too.
TOPICS = TopicVector._meta.db_table
#: A row weighed when the index held n documents is used while today's count is within
#: this share of n: idf = log(N / df) barely moves when the library grows by a tenth.
STALE_SHARE = 0.1
CHUNK = 500


def term_counts(ids: list[int]) -> dict[int, Counter]:
    """Term counts of these links' titles and bodies. Where the index keeps the analyzed
    text (SQLite), it is read back instead of analyzing every body again."""
    counts = {pk: engine.term_counts(t, b) for pk, (t, b) in index.indexed_texts(ids).items()}
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
        generation != index.generation()
        or abs(n - filled_n) > n // 100
        or len(_df_cache) > _DF_CACHE_MAX
    ):
        _df_cache.clear()
        _df_cache_key = (index.generation(), n)
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
    if generation != index.generation() or now - when > COUNT_SECONDS:
        n = index.doc_count()
        _count = (index.generation(), now, n)
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
    get_backend().upsert(TABLE, ("n", "terms", "weights"), rows)


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


def indexed(ids: list[int]) -> None:
    """After index writes (a hook of the index): these links' rows are out of date, so
    they go. Related weighs such a link from its text when it first needs it and stores
    the result (`store`): a capture's commit stays one DELETE, where weighing it here
    meant a document-frequency lookup of every term of the page on each write."""
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
        get_backend().upsert(
            TOPICS, ("model", "topic"), [(pk, model, t) for pk, t in topics.items()]
        )


def rebuild(chunk: int = 1000) -> int:
    """Every indexed link's vector, with the statistics of the complete index."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TOPICS}")
        cursor.execute(f"DELETE FROM {TABLE}")
    n = index.doc_count()
    done = last = 0
    while True:
        ids = index.indexed_ids(last, chunk)
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
