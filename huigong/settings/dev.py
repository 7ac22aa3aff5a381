"""Embedded shape: SQLite file, in-process background work, demo data."""

import os

from .base import *  # noqa: F403

DEBUG = os.environ.get("DEBUG", "1") == "1"
HUIGONG_TASK_MODE = os.environ.get("HUIGONG_TASK_MODE", "thread")
STORAGES = {
    "default": {"BACKEND": "huigong.core.files.EncryptedFileSystemStorage"},  # files at rest: encrypted
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
