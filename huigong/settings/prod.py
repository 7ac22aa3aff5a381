"""Production shape: PostgreSQL, Celery workers on Redis, secrets from the environment."""

import os

from .base import *  # noqa: F403

DEBUG = False
SESSION_COOKIE_SECURE = os.environ.get("HTTPS", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
