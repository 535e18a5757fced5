"""The analyzer folds Latin diacritics (Māori -> maori): documents written before hold
the old tokens, so the index is emptied here and rebuilt by the next `snapshelf serve`
or `snapshelf init` (cli.instance.index_existing_links), or by `snapshelf reindex`."""

from django.db import migrations


def empty_the_index(apps, schema_editor) -> None:
    from snapshelf.search.writing import clear

    clear()


class Migration(migrations.Migration):
    dependencies = [("search", "0008_topic_model")]

    operations = [migrations.RunPython(empty_the_index, migrations.RunPython.noop)]
