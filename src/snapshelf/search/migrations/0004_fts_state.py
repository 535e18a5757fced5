"""Declare SQLite's FTS5 tables to Django (no database change), so a flush empties them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("search", "0003_versions")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SearchFTS",
                    fields=[("rowid", models.BigIntegerField(primary_key=True, serialize=False))],
                    options={"db_table": "search_fts", "managed": True},
                ),
                migrations.CreateModel(
                    name="SearchVersionFTS",
                    fields=[("rowid", models.BigIntegerField(primary_key=True, serialize=False))],
                    options={"db_table": "search_version_fts", "managed": True},
                ),
            ],
            database_operations=[],
        ),
    ]
