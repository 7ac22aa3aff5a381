"""The database itself refuses to change or remove audit and access rows, so no code path in the
app (or a stray shell) can rewrite history. TRUNCATE (test teardown, a DBA) is not affected."""

from django.db import migrations

PG_SQL = """
CREATE OR REPLACE FUNCTION huigong_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit rows are append-only (%% on %%)', TG_OP, TG_TABLE_NAME;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
  FOR EACH ROW EXECUTE FUNCTION huigong_append_only();
CREATE TRIGGER core_accesslog_append_only BEFORE UPDATE OR DELETE ON core_accesslog
  FOR EACH ROW EXECUTE FUNCTION huigong_append_only();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP TRIGGER IF EXISTS core_accesslog_append_only ON core_accesslog;
DROP FUNCTION IF EXISTS huigong_append_only();
"""
# SQLite: UPDATE only. Its test teardown empties tables with DELETE, which a DELETE trigger would block.
SQLITE_SQL = [
    "CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;",
    "CREATE TRIGGER core_accesslog_no_update BEFORE UPDATE ON core_accesslog "
    "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_SQL)
    elif vendor == "sqlite":
        for stmt in SQLITE_SQL:
            schema_editor.execute(stmt)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS core_accesslog_no_update")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
