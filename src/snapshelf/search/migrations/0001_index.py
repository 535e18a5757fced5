"""The search index tables: FTS5 on SQLite, tsvector + GIN on PostgreSQL."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, tags, site, note, body, tokenize='ascii', detail='full')",
    "CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, 'row')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_fts_vocab", "DROP TABLE IF EXISTS search_fts"]
POSTGRES = [
    "CREATE TABLE search_document ("
    " link_id bigint PRIMARY KEY REFERENCES library_link(id) ON DELETE CASCADE"
    " DEFERRABLE INITIALLY DEFERRED,"
    " owner_id bigint NOT NULL,"
    " doc tsvector NOT NULL)",
    "CREATE INDEX search_document_doc ON search_document USING gin (doc)",
    "CREATE INDEX search_document_owner ON search_document (owner_id)",
]
POSTGRES_DROP = ["DROP TABLE IF EXISTS search_document"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("library", "0003_translated_choices")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
