"""Member search at scale (issue 15): the ID tail index, filled for existing people, and the member list's
(status, joined_on, id) index. The index on the tail is created after the fill (one build, not a
million inserts into it)."""

from django.db import migrations, models


def fill_id_tails(apps, schema_editor):
    from huigong.members.tailindex import recompute_id_tails

    Person = apps.get_model("members", "Person")
    recompute_id_tails(schema_editor.connection, Person._meta.get_field("id_number").f)


def analyze(apps, schema_editor):
    # A new column has no planner statistics: without them PostgreSQL estimated an IN list of 100 tail
    # indexes at half the table and read every person (1-3 s a search at a million).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE members_person")


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0008_sec_files_roster_purged'),
        ('orgs', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='id_tail_hash',
            field=models.CharField(blank=True, default='', max_length=32),
        ),
        migrations.RunPython(fill_id_tails, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='person',
            index=models.Index(fields=['id_tail_hash'], name='person_id_tail_idx'),
        ),
        migrations.AddIndex(
            model_name='membership',
            index=models.Index(fields=['status', 'joined_on', 'id'], name='membership_status_joined_idx'),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
