"""Search keeps every word: a text search configuration without the Russian stop list, the
stored vector rebuilt with it, and the query chooser (see signals_app/search.py)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

CREATE = """
CREATE TEXT SEARCH DICTIONARY cur_russian_stem (TEMPLATE = snowball, LANGUAGE = russian);
CREATE TEXT SEARCH CONFIGURATION cur_russian (COPY = russian);
ALTER TEXT SEARCH CONFIGURATION cur_russian
    ALTER MAPPING REPLACE russian_stem WITH cur_russian_stem;
CREATE FUNCTION cur_search_query(q text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
        SELECT CASE
            WHEN strpos(q, '"') > 0 OR numnode(websearch_to_tsquery('russian', q)) = 0
                THEN websearch_to_tsquery('cur_russian', q)
            ELSE websearch_to_tsquery('russian', q)
        END
    $$;
"""
DROP = """
DROP FUNCTION IF EXISTS cur_search_query(text);
DROP TEXT SEARCH CONFIGURATION IF EXISTS cur_russian;
DROP TEXT SEARCH DICTIONARY IF EXISTS cur_russian_stem;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("signals_app", "0022_reply_reviewed_at"),
    ]

    operations = [
        migrations.RunSQL(CREATE, DROP),
        migrations.RemoveIndex(model_name="signal", name="signal_search_idx"),
        migrations.RemoveField(model_name="signal", name="search_vector"),
        migrations.AddField(
            model_name="signal",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector(
                    "text", config="cur_russian"
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="signal",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="signal_search_idx"
            ),
        ),
    ]
