"""Version 1 of the separate-consent texts (PIPL art. 29) the portal shows before taking sensitive data."""

from django.db import migrations

from huigong.portal.consent_texts import ensure_consent_texts


def forward(apps, schema_editor):
    ensure_consent_texts(apps.get_model("portal", "ConsentText"))


def backward(apps, schema_editor):
    apps.get_model("portal", "ConsentText").objects.filter(version=1, consents__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
