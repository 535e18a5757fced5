"""PostgreSQL: each search document's title and tags get a tsvector (and GIN index) of
their own, `head`, generated from `doc` (its A and B weighted lexemes).

A broad query lists the links whose title or tags match first (index._ranked_broad).
Asked of `doc` with weight-restricted lexemes ('word':AB), that match has no usable
statistics: the planner estimated every document holding the word anywhere and walked
all of them newest first, ~300 ms at 100,000 links even when none matched. SQLite's
FTS5 column filters need nothing of the kind.
"""

from django.db import migrations

POSTGRES = [
    "ALTER TABLE search_document ADD COLUMN head tsvector"
    " GENERATED ALWAYS AS (ts_filter(doc, '{a,b}')) STORED",
    "CREATE INDEX search_document_head ON search_document USING gin (head)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS search_document_head",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS head",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0006_related_vector")]

    operations = [migrations.RunPython(_run(POSTGRES), _run(POSTGRES_DROP))]
