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
