"""The topic model for related articles (snapshelf.search.topics) and the links' topic
vectors under it. No model until `snapshelf reindex` or the periodic refit
(jobs.tasks.refit_topic_model) fits one: related articles use term vectors alone.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0007_versions_and_watch"),
        ("search", "0007_head_vector"),
    ]

    operations = [
        migrations.CreateModel(
            name="TopicModel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("documents", models.IntegerField()),
                ("terms", models.TextField()),
                ("matrix", models.BinaryField()),
            ],
            options={
                "db_table": "search_topic_model",
            },
        ),
        migrations.CreateModel(
            name="TopicVector",
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
                ("model", models.IntegerField()),
                ("topic", models.BinaryField()),
            ],
            options={
                "db_table": "search_topic_vector",
            },
        ),
    ]
