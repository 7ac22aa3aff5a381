"""Test shape: PostgreSQL when DATABASE_URL is set, SQLite otherwise; background work inline."""

import tempfile

from .base import *  # noqa: F403

DEBUG = False
HUIGONG_TASK_MODE = "sync"
# Argon2 is asserted in a dedicated test; the suite itself hashes fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="huigong-media-"))  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "huigong.core.files.EncryptedFileSystemStorage"},  # files at rest: encrypted
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 3
HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT = 10 * AXES_FAILURE_LIMIT
ROSTER_SYNC_MAX_ROWS = 50
LANGUAGE_CODE = "zh-hans"
HUIGONG_SMS_SENDER = "huigong.portal.sms.MemorySmsSender"
# Tests change programmes and claim again at once (and SQLite reuses ids after a rollback): claims read
# the programme every time unless a test turns the per-process copy on.
HUIGONG_CLAIM_PROGRAMME_SECONDS = 0
# A throw-away database: `manage.py flush` (TransactionTestCase's teardown) may empty it, audit trail and all.
HUIGONG_ALLOW_FLUSH = True
# A test-only second domain that approves and publishes through the kernel's services (core.approvals,
# core.notices) only: core/approvals/tests and core/notices/tests (test_second_subject_*).
INSTALLED_APPS = [*INSTALLED_APPS, "huigong.core.tests.kernel_subject"]  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation in tests. PostgreSQL compiles a query with LLVM once its estimated cost passes
    # jit_above_cost, and the insights refresh's statements over freshly filled temp tables (no
    # statistics yet) pass it on a test's tiny world: a rollups_refresh() took 77 s with JIT and 1.8 s
    # without on the 2-core CI machine (docs/benchmarks.md, "Test suite wall time"). Results are the same.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
