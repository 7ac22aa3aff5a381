"""Files at rest: every file written before encryption at rest (uploaded rosters, error reports,
receipts, hardship evidence, reports) is encrypted in place under the current key, mode 0600."""

from django.db import migrations


def encrypt_existing(apps, schema_editor):
    from huigong.core.files import rotate_files

    rotate_files(plaintext_only=True, app_registry=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_audit_node"),
        ("members", "0008_sec_files_roster_purged"),
        ("benefits", "0001_initial"),
        ("assistance", "0004_encrypt_household_figures"),
        ("insights", "0009_rollupstate_tree_depth"),
    ]

    operations = [migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=False)]
