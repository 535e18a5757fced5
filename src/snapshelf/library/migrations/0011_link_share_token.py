"""Link.share_token: an unguessable address for unlisted links.

Added nullable, filled row by row (a callable default is evaluated once by AddField, so
every existing link would share one token), then made unique and required."""

import secrets

from django.db import migrations, models

import snapshelf.library.models


def fill_tokens(apps, schema_editor):
    Link = apps.get_model("library", "Link")
    batch = []
    for link in Link.objects.filter(share_token__isnull=True).only("pk").iterator(chunk_size=2000):
        link.share_token = secrets.token_urlsafe(16)
        batch.append(link)
        if len(batch) >= 2000:
            Link.objects.bulk_update(batch, ["share_token"])
            batch = []
    if batch:
        Link.objects.bulk_update(batch, ["share_token"])


class Migration(migrations.Migration):
    dependencies = [("library", "0010_link_created_default")]

    operations = [
        migrations.AddField(
            model_name="link",
            name="share_token",
            field=models.CharField(max_length=32, null=True),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="link",
            name="share_token",
            field=models.CharField(
                default=snapshelf.library.models.new_share_token,
                help_text="the secret in an unlisted link's address (/shared/<token>/); a new "
                "one revokes the old address",
                max_length=32,
                unique=True,
            ),
        ),
    ]
