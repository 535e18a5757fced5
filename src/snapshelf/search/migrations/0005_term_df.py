"""Document frequencies on PostgreSQL: per-term counts kept by triggers (index.df).

SQLite reads FTS5's vocabulary table (search_fts_vocab); PostgreSQL had to count GIN
matches term by term (~3 s for one related-articles call at 3,000 links). Now:

- search_term_df (term, ndoc): documents of search_document holding the term, in any
  column (the same count as fts5vocab's 'row' table);
- search_term_delta (term, delta): changes not yet folded in. Statement-level triggers
  on search_document append one aggregated row per changed term, so index writes never
  lock shared rows (no waits or deadlocks between concurrent captures on common words);
  an update logs only the terms it adds or drops (a tag edit writes a few rows).
- index.compact_df folds the log into search_term_df (one compactor at a time).

df(term) = ndoc + sum(delta): exact at every moment, whatever path changed the index
(foreign-key cascades included). Existing documents are counted once here.
"""

from django.db import migrations, models

FUNCTION = """
CREATE FUNCTION search_term_df_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- index.clear() switches this off while it empties the tables itself
    IF current_setting('snapshelf.term_df', true) = 'off' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_term_delta (term, delta)
        SELECT lexeme, count(*) FROM search_term_new, unnest(tsvector_to_array(doc)) lexeme
        GROUP BY lexeme;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO search_term_delta (term, delta)
        SELECT lexeme, -count(*) FROM search_term_old, unnest(tsvector_to_array(doc)) lexeme
        GROUP BY lexeme;
    ELSE
        INSERT INTO search_term_delta (term, delta)
        SELECT lexeme, sum(d) FROM (
            SELECT lexeme, 1 AS d FROM search_term_new, unnest(tsvector_to_array(doc)) lexeme
            UNION ALL
            SELECT lexeme, -1 FROM search_term_old, unnest(tsvector_to_array(doc)) lexeme
        ) changes GROUP BY lexeme HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END $$
"""

POSTGRES = [
    "CREATE TABLE search_term_df (term text PRIMARY KEY, ndoc integer NOT NULL)",
    "CREATE TABLE search_term_delta (term text NOT NULL, delta integer NOT NULL)",
    "CREATE INDEX search_term_delta_term ON search_term_delta (term)",
    FUNCTION,
    "CREATE TRIGGER search_term_df_insert AFTER INSERT ON search_document"
    " REFERENCING NEW TABLE AS search_term_new"
    " FOR EACH STATEMENT EXECUTE FUNCTION search_term_df_log()",
    "CREATE TRIGGER search_term_df_delete AFTER DELETE ON search_document"
    " REFERENCING OLD TABLE AS search_term_old"
    " FOR EACH STATEMENT EXECUTE FUNCTION search_term_df_log()",
    "CREATE TRIGGER search_term_df_update AFTER UPDATE ON search_document"
    " REFERENCING OLD TABLE AS search_term_old NEW TABLE AS search_term_new"
    " FOR EACH STATEMENT EXECUTE FUNCTION search_term_df_log()",
    "INSERT INTO search_term_df (term, ndoc)"
    " SELECT word, ndoc FROM ts_stat('SELECT doc FROM search_document')",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS search_term_df_insert ON search_document",
    "DROP TRIGGER IF EXISTS search_term_df_delete ON search_document",
    "DROP TRIGGER IF EXISTS search_term_df_update ON search_document",
    "DROP FUNCTION IF EXISTS search_term_df_log()",
    "DROP TABLE IF EXISTS search_term_delta",
    "DROP TABLE IF EXISTS search_term_df",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0004_fts_state")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES}),
            _run({"postgresql": POSTGRES_DROP}),
        ),
        # declared (state only) so that flushing the database truncates them with
        # search_document; SQLite has no such tables and flush skips them
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SearchTermDF",
                    fields=[("term", models.TextField(primary_key=True, serialize=False))],
                    options={"db_table": "search_term_df", "managed": True},
                ),
                migrations.CreateModel(
                    name="SearchTermDelta",
                    fields=[("term", models.TextField(primary_key=True, serialize=False))],
                    options={"db_table": "search_term_delta", "managed": True},
                ),
            ],
            database_operations=[],
        ),
    ]
