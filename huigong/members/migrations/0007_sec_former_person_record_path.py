from django.db import migrations, models
from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    """Every person's values were recorded by the union of their latest membership (the active one
    first): the closest thing to the recording node a record without one has."""
    Person = apps.get_model("members", "Person")
    Membership = apps.get_model("members", "Membership")
    latest = (Membership.objects.filter(person=OuterRef("pk"))
              .annotate(active=Case(When(status="active", then=Value(1)), default=Value(0),
                                    output_field=IntegerField()))
              .order_by("-active", "-joined_on", "-id").values("union__path")[:1])
    Person.objects.update(record_path=Coalesce(Subquery(latest), Value("")))


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0006_sec_join_transfer_request"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="record_path",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
