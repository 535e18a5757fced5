"""Declare PostgreSQL's search_document table to Django (no database change)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("search", "0001_index"), ("library", "0006_upload_mode")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SearchDocument",
                    fields=[
                        (
                            "link",
                            models.OneToOneField(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                primary_key=True,
                                related_name="+",
                                serialize=False,
                                to="library.link",
                            ),
                        ),
                        ("owner_id", models.BigIntegerField()),
                    ],
                    options={"db_table": "search_document", "managed": True},
                ),
            ],
            database_operations=[],
        ),
    ]
