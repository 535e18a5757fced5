"""The search index is raw SQL (FTS5 virtual table, or tsvector + GIN), see index.py.

On PostgreSQL its table references library_link; Django is told about it here (state
only, migration 0002) so that flushing the database truncates it together with the
links it points at — the way Django's transactional tests reset the database.
"""

from django.db import models


class SearchDocument(models.Model):
    link = models.OneToOneField(
        "library.Link",
        primary_key=True,
        on_delete=models.DO_NOTHING,  # the database cascades (PostgreSQL FK, or signals)
        db_constraint=False,
        related_name="+",
    )
    owner_id = models.BigIntegerField()

    class Meta:
        db_table = "search_document"
        managed = True

    def __str__(self) -> str:
        return f"search document of link {self.link_id}"


class SearchVersion(models.Model):
    """PostgreSQL's older-versions table (search_version, migration 0003), declared for
    the same reason as SearchDocument; SQLite keeps these rows in FTS5 instead."""

    snapshot = models.OneToOneField(
        "library.Snapshot",
        primary_key=True,
        on_delete=models.DO_NOTHING,  # the database cascades (PostgreSQL FK, or signals)
        db_constraint=False,
        related_name="+",
    )
    link = models.ForeignKey(
        "library.Link", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        db_table = "search_version"
        managed = True

    def __str__(self) -> str:
        return f"older-version search document of snapshot {self.snapshot_id}"


class SearchFTS(models.Model):
    """SQLite's FTS5 tables, declared (state only, migration 0004) so that flushing the
    database empties them too: otherwise a flushed test database keeps documents whose
    row ids the next links reuse. PostgreSQL has no such tables; flush skips them."""

    rowid = models.BigIntegerField(primary_key=True)

    class Meta:
        db_table = "search_fts"
        managed = True

    def __str__(self) -> str:
        return f"search document {self.rowid}"


class SearchVersionFTS(models.Model):
    rowid = models.BigIntegerField(primary_key=True)

    class Meta:
        db_table = "search_version_fts"
        managed = True

    def __str__(self) -> str:
        return f"older-version search document {self.rowid}"


class SearchTermDF(models.Model):
    """PostgreSQL's document frequencies (search_term_df, migration 0005), declared
    (state only) so that a flush truncates them with search_document."""

    term = models.TextField(primary_key=True)

    class Meta:
        db_table = "search_term_df"
        managed = True

    def __str__(self) -> str:
        return f"document frequency of {self.term}"


class SearchTermDelta(models.Model):
    """PostgreSQL's not yet compacted document-frequency changes (search_term_delta):
    declared for flushes only; the table has no key (a term has many rows)."""

    term = models.TextField(primary_key=True)

    class Meta:
        db_table = "search_term_delta"
        managed = True

    def __str__(self) -> str:
        return f"document-frequency change of {self.term}"


class RelatedVector(models.Model):
    """A link's stored TF-IDF unit vector for related articles (snapshelf.related.vectors),
    written with its search document; `n` is the index's document count it was
    weighed at (rows too far from today's count are weighed again)."""

    link = models.OneToOneField(
        "library.Link",
        primary_key=True,
        on_delete=models.CASCADE,
        db_constraint=False,  # raw index writes may outrun the ORM; rows are keyed only
        related_name="+",
    )
    n = models.IntegerField(db_index=True)
    terms = models.TextField()  # space-joined, heaviest first
    weights = models.BinaryField()  # float32 per term, same order

    class Meta:
        db_table = "search_related_vector"

    def __str__(self) -> str:
        return f"related-articles vector of link {self.link_id}"


class TopicModel(models.Model):
    """The library's topic model for related articles (snapshelf.related.topics): the
    coordinates of its MODEL_TERMS terms in topic space, fitted on a sample of the
    stored vectors when the index held `documents` links. The newest row is the model."""

    created = models.DateTimeField(auto_now_add=True)
    documents = models.IntegerField()
    terms = models.TextField()  # space-joined, in the matrix's row order
    matrix = models.BinaryField()  # float32, terms x topics, little-endian

    class Meta:
        db_table = "search_topic_model"

    def __str__(self) -> str:
        return f"topic model {self.pk} ({self.documents} documents)"


class TopicVector(models.Model):
    """A link's topic vector under one TopicModel, projected from its stored term vector
    (snapshelf.related.topic_store). Its own table, not a column of RelatedVector: on
    SQLite a column stored after the long term list is read by walking that list's
    overflow pages (~60 us a row)."""

    link = models.OneToOneField(
        "library.Link",
        primary_key=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
    )
    model = models.IntegerField()  # the TopicModel it was projected with
    topic = models.BinaryField()  # float32 unit vector, little-endian

    class Meta:
        db_table = "search_topic_vector"

    def __str__(self) -> str:
        return f"topic vector of link {self.link_id}"
