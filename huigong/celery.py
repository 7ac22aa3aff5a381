import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huigong.settings.prod")

app = Celery("huigong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
