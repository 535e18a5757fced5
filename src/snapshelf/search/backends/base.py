"""The interface every search backend implements, and helpers they share.

A backend owns its tables and its SQL dialect: how documents are written, how a
backend-neutral Query (snapshelf.search.query) becomes a match expression, how
matches are ranked, and the statistics read back (document frequencies, document
count). Everything above it (snapshelf.search.index and its modules, related
articles) calls these methods and never asks which database it runs on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models import QuerySet

from snapshelf.library.models import Link
from snapshelf.search.documents import Document, VersionDocument
from snapshelf.search.models import TopicVector
from snapshelf.search.query import Clause
from snapshelf.text.analyzer import QueryTokens

CHUNK = 500


def chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    """`ids` in lists of at most `size` (statement parameters stay bounded)."""
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def marks(count: int) -> str:
    """`count` comma-separated %s placeholders."""
    return ",".join(["%s"] * count)


def with_topics(sql: str, params: list, topic_model: int | None) -> tuple[str, list]:
    """A prefilter's pick (id, score) joined to its stored topic vectors under
    `topic_model`, in the same statement (None: the pick as it is)."""
    if topic_model is None:
        return sql, params
    sql = (
        f"SELECT p.id, t.topic FROM ({sql}) p"  # noqa: S608 - the model's table name only
        f" LEFT JOIN {TopicVector._meta.db_table} t ON t.link_id = p.id AND t.model = %s"
        " ORDER BY p.score DESC, p.id DESC"
    )
    return sql, [*params, topic_model]


def picked_with_topics(
    rows: list[tuple], topic_model: int | None
) -> list[tuple[int, bytes | None]]:
    """Rows of `with_topics` as (id, topic vector bytes or None)."""
    if topic_model is None:
        return [(pk, None) for pk, _score in rows]
    return [(pk, None if topic is None else bytes(topic)) for pk, topic in rows]


def alternatives(clause: Clause) -> list[QueryTokens]:
    """The clause's alternatives that hold a token (punctuation-only words hold none)."""
    return [a for a in clause.alternatives if a.tokens]


class SearchBackend(ABC):
    """One database's full-text index of the links' search documents.

    Writes take the caller's cursor: they run in the transaction of the change that
    caused them, so the index never disagrees with the library after a commit.
    """

    #: Whether `bm25_among` ranks (PostgreSQL's ts_rank knows no idf: related articles
    #: then pick by the prefilter's own order instead).
    ranks_by_bm25: bool = False

    # ------------------------------------------------------------ writing

    @abstractmethod
    def replace_documents(self, cursor, link_ids: list[int], docs: list[Document]) -> None:
        """Make these links' documents `docs`; links in `link_ids` without one lose theirs."""

    @abstractmethod
    def insert_documents(self, cursor, docs: list[Document]) -> None:
        """Add documents the index does not hold yet (a rebuild)."""

    @abstractmethod
    def delete_documents(self, cursor, link_ids: list[int]) -> None:
        """Drop these links' documents and their older-version rows the database itself
        would not drop."""

    @abstractmethod
    def insert_versions(self, cursor, docs: list[VersionDocument]) -> None: ...

    @abstractmethod
    def delete_versions(self, cursor, snapshot_ids: list[int]) -> None: ...

    @abstractmethod
    def indexed_versions(self, cursor, link_ids: list[int], snapshot_ids: list[int]) -> set[int]:
        """Which snapshots of these links (`snapshot_ids`: all their finished ones) have
        an older-version row."""

    @abstractmethod
    def clear(self) -> None:
        """Empty the index (documents, older versions, statistics)."""

    @abstractmethod
    def begin_rebuild(self, cursor) -> None:
        """Prepare for inserting every document in this transaction (after clear)."""

    @abstractmethod
    def finish_rebuild(self, cursor) -> None:
        """Bring statistics and index structures up to date after a rebuild."""

    def compact_df(self) -> bool:
        """Fold pending document-frequency changes in; False when nothing was done."""
        return False

    def merge_pending(self) -> None:
        """Merge what fast inserts left aside (PostgreSQL's GIN pending lists), so a
        library that just filled is searched at full speed; SQLite's FTS5 merges as it
        goes."""
        return None

    # ------------------------------------------------------------ statistics

    #: a table with one plain row per current document, cheap to count
    counted_table: str
    #: the table of older-version rows
    versions_table: str

    def doc_count(self) -> int:
        return self._scalar(f"SELECT count(*) FROM {self.counted_table}")  # noqa: S608

    def version_count(self) -> int:
        return self._scalar(f"SELECT count(*) FROM {self.versions_table}")  # noqa: S608

    def has_versions(self) -> bool:
        """Whether any older-version row exists (one indexed probe)."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {self.versions_table} LIMIT 1")  # noqa: S608
            return cursor.fetchone() is not None

    def _scalar(self, sql: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    @abstractmethod
    def df(self, tokens: list[str]) -> dict[str, int]:
        """Document frequency of each of these distinct tokens (absent ones left out)."""

    @abstractmethod
    def adjacent_pairs(self, link_id: int, wanted: set[str]) -> set[tuple[str, str]]:
        """Pairs (a, b) of `wanted` terms where b directly follows a in the link's
        indexed title or body."""

    @abstractmethod
    def indexed_texts(self, link_ids: list[int]) -> dict[int, tuple[str, str]]:
        """(analyzed title, analyzed body) of these links when the index keeps the text
        ({} when it keeps only positions: the caller builds the documents instead)."""

    @abstractmethod
    def indexed_ids(self, after: int, limit: int) -> list[int]:
        """Up to `limit` ids of indexed links above `after`, ascending."""

    @abstractmethod
    def sample_ids(self, size: int) -> list[int]:
        """A random sample of indexed link ids, ascending."""

    # ------------------------------------------------------------ query compilation

    @abstractmethod
    def phrase(self, alt: QueryTokens) -> str:
        """One query alternative (a phrase, maybe a prefix) in the backend's syntax."""

    #: the match syntax's "or" and "and" between clauses and alternatives
    or_op: str
    and_op: str

    def compile_clauses(self, clauses: Iterable[Clause], *, any_of: bool = False) -> str:
        """A match expression: every clause (or any, when any_of) holds; "" if none."""
        out = []
        for clause in clauses:
            alts = alternatives(clause)
            if alts:
                out.append("(" + self.or_op.join(self.phrase(a) for a in alts) + ")")
        return (self.or_op if any_of else self.and_op).join(out)

    # ------------------------------------------------------------ matching

    @abstractmethod
    def matching(self, qs: QuerySet[Link], positive: str, negative: str = "") -> QuerySet[Link]:
        """The links matching `positive` and not `negative`, annotated with `score`
        (higher is better)."""

    @abstractmethod
    def exclude_matching(self, qs: QuerySet[Link], expr: str) -> QuerySet[Link]:
        """The links whose document does not match `expr` (all of them when empty)."""

    @abstractmethod
    def broad_parts(
        self, qs: QuerySet[Link], positive: str, negative: str
    ) -> tuple[QuerySet[Link], QuerySet[Link]]:
        """A broad query's two lists, unscored and newest first: links whose title or
        tags match `positive`, then the other matches; neither matches `negative`."""

    @abstractmethod
    def current_or_older(self, expr: str) -> tuple[str, list[str]]:
        """SQL and parameters: the link's current document or one of its older versions
        matches `expr`."""

    @abstractmethod
    def links_matching(self, expr: str, link_ids: list[int]) -> set[int]:
        """Which of these links' current documents match `expr`."""

    @abstractmethod
    def versions_matching(self, expr: str, snapshot_ids: list[int]) -> set[int]:
        """Which of these snapshots' older-version rows match `expr`."""

    # ------------------------------------------------------------ related articles

    @abstractmethod
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
        """The owner's links holding the most weight of these (token, weight) pairs in
        title, tags or body, best first, newer (larger id) first on ties, `exclude`
        left out; each with its stored topic vector under `topic_model` (None without
        one, or when no model is asked for). The sums are rounded: added up in another
        order, equal weights must still tie."""

    def bm25_among(self, ids: list[int], tokens: list[str], limit: int) -> list[int]:
        """Of these links, the `limit` best by BM25 of these tokens (see ranks_by_bm25)."""
        raise NotImplementedError

    @abstractmethod
    def upsert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Insert rows keyed by link_id (first in each row), replacing rows already there."""
