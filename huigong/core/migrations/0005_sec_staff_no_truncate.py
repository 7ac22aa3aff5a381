"""TRUNCATE of the audit and access tables is refused too (0002 covered UPDATE and DELETE of rows only).

The application's own role has no TRUNCATE privilege on them (see `manage.py grant_app_role`); this
trigger also stops the owner's role from emptying them by accident. The one way past it is the flush of a
test or demo database (`manage.py flush`, huigong/demo/management/commands/flush.py, which refuses any other database): it
sets huigong.allow_audit_truncate for its own transaction. A role that can set that can also TRUNCATE only
if it has the privilege, which the application's role never has."""

from django.db import migrations

PG_SQL = """
CREATE OR REPLACE FUNCTION huigong_no_truncate() RETURNS trigger AS $$
BEGIN
  IF coalesce(current_setting('huigong.allow_audit_truncate', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'audit rows are append-only (TRUNCATE on %%)', TG_TABLE_NAME;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
  FOR EACH STATEMENT EXECUTE FUNCTION huigong_no_truncate();
CREATE TRIGGER core_accesslog_no_truncate BEFORE TRUNCATE ON core_accesslog
  FOR EACH STATEMENT EXECUTE FUNCTION huigong_no_truncate();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;
DROP TRIGGER IF EXISTS core_accesslog_no_truncate ON core_accesslog;
DROP FUNCTION IF EXISTS huigong_no_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_SQL)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_sec_files_encrypt_existing")]
    operations = [migrations.RunPython(forwards, backwards)]
