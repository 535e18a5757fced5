"""The older-versions index (in:versions): FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Existing instances fill it once at the next `snapshelf init` / `serve`
(index.versions_missing / index_versions) or with `snapshelf reindex`; until then
in:versions finds what the current documents hold.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE = [
    "CREATE VIRTUAL TABLE search_version_fts USING fts5("
    "body, link_id UNINDEXED, tokenize='ascii', detail='full')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_version_fts"]
POSTGRES = [
    "CREATE TABLE search_version ("
    " snapshot_id bigint PRIMARY KEY REFERENCES library_snapshot(id) ON DELETE CASCADE"
    " DEFERRABLE INITIALLY DEFERRED,"
    " link_id bigint NOT NULL REFERENCES library_link(id) ON DELETE CASCADE"
    " DEFERRABLE INITIALLY DEFERRED,"
    " doc tsvector NOT NULL)",
    "CREATE INDEX search_version_doc ON search_version USING gin (doc)",
    "CREATE INDEX search_version_link ON search_version (link_id)",
]
POSTGRES_DROP = ["DROP TABLE IF EXISTS search_version"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_searchdocument_state"), ("library", "0006_upload_mode")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SearchVersion",
                    fields=[
                        (
                            "snapshot",
                            models.OneToOneField(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                primary_key=True,
                                related_name="+",
                                serialize=False,
                                to="library.snapshot",
                            ),
                        ),
                        (
                            "link",
                            models.ForeignKey(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="library.link",
                            ),
                        ),
                    ],
                    options={"db_table": "search_version", "managed": True},
                ),
            ],
            database_operations=[],
        ),
    ]
