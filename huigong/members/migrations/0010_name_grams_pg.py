"""Substring search of names on PostgreSQL: hg_name_grams(name) is the set of a name's characters and
pairs of characters, and a GIN index over it finds the people whose name holds every pair of the search
text (the LIKE that follows checks their order). Names are short (2-4 characters mostly) and Chinese, so
pg_trgm's trigrams would not serve the common two-character search ("张三"); pairs do.
SQLite (the embedded set-up) keeps its plain LIKE scan: nothing is created there."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION hg_name_grams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr($1, i, k)), '{}'::text[])
  FROM generate_series(1, char_length($1)) AS i, (VALUES (1), (2)) AS w(k)
  WHERE i + k - 1 <= char_length($1)
$$
"""
INDEX = "CREATE INDEX IF NOT EXISTS person_name_grams_idx ON members_person USING gin (hg_name_grams(name))"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(INDEX)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS person_name_grams_idx")
    schema_editor.execute("DROP FUNCTION IF EXISTS hg_name_grams(text)")


class Migration(migrations.Migration):

    dependencies = [('members', '0009_search_indexes')]

    operations = [migrations.RunPython(forward, backward)]
