"""Stored term vectors for related articles (snapshelf.search.vectors).

The table starts empty: until `snapshelf reindex` or index writes fill it, related
articles weigh candidates from their indexed text, as before.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0007_versions_and_watch"),
        ("search", "0005_term_df"),
    ]

    operations = [
        migrations.CreateModel(
            name="RelatedVector",
            fields=[
                (
                    "link",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="library.link",
                    ),
                ),
                ("n", models.IntegerField(db_index=True)),
                ("terms", models.TextField()),
                ("weights", models.BinaryField()),
            ],
            options={
                "db_table": "search_related_vector",
            },
        ),
    ]
