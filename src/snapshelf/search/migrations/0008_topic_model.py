"""The topic model for related articles (snapshelf.search.topics) and each stored
vector's topic vector under it. No model until `snapshelf reindex` or the periodic
refit (jobs.tasks.refit_topic_model) fits one: related articles use term vectors alone.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
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
        migrations.AddField(
            model_name="relatedvector",
            name="model",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="relatedvector",
            name="topic",
            field=models.BinaryField(null=True),
        ),
    ]
