"""Settings shared by every runtime shape. Everything secret or site-specific comes from the
environment; the embedded shape (dev.py) generates its own keys into var/keys.json on first run."""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("HUIGONG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_keys() -> dict:
    """Keys for the embedded shape: generated once, kept in an ignored file, never committed."""
    path = VAR_DIR / "keys.json"
    if path.exists():
        return json.loads(path.read_text())
    keys = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SALT_KEY": secrets.token_urlsafe(24),
        "BLIND_INDEX_KEY": secrets.token_hex(32),
    }
    path.write_text(json.dumps(keys))
    path.chmod(0o600)
    return keys


def _key(name: str) -> str:
    value = os.environ.get(f"HUIGONG_{name}") or os.environ.get(name)
    if value:
        return value
    return _local_keys()[name]


SECRET_KEY = _key("SECRET_KEY")
# During a key rotation the old keys (comma-separated) still decrypt and verify; SECRET_KEY encrypts.
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("HUIGONG_SECRET_KEY_FALLBACKS", "").split(",") if k]
# django-fernet-encrypted-fields derives the Fernet key from SECRET_KEY and SALT_KEY.
SALT_KEY = _key("SALT_KEY")
# The blind index has its own key so that a leaked SECRET_KEY does not make the index guessable.
BLIND_INDEX_KEY = _key("BLIND_INDEX_KEY")

DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "huigong.core",
    "huigong.orgs",
    "huigong.accounts",
    "huigong.members",
    "huigong.api",
    "huigong.assistance",
    "huigong.benefits",
    "huigong.portal",
    "huigong.insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "huigong.core.request_context.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "huigong.accounts.middleware.SessionTouchMiddleware",
    "huigong.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "huigong.accounts.middleware.StaffSecurityMiddleware",
    "huigong.core.middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huigong.urls"
WSGI_APPLICATION = "huigong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "huigong" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "huigong.accounts.context.staff_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'huigong.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Statements run on core.rawread.hot_cursor (server-side binding) are prepared after this many runs on
    # a connection; the ORM's client-bound statements never are. "off" for a pooler that cannot carry
    # prepared statements (PgBouncer in transaction mode before 1.21; see docs/operations.md).
    _prepare = os.environ.get("DB_PREPARE_THRESHOLD", "2")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None if _prepare == "off" else int(_prepare)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend with the session's user read in one query (and a worker's member with it).
    "huigong.accounts.backends.ModelBackend",
]
HUIGONG_SESSION_USER_JOINS = ["huigong.benefits.services.WORKER_JOIN"]
# Seconds each process keeps an open programme as claims read it (benefits.services._programme_for_claim);
# 0 reads it for every claim.
HUIGONG_CLAIM_PROGRAMME_SECONDS = float(os.environ.get("HUIGONG_CLAIM_PROGRAMME_SECONDS", "1"))
# A worker's own claim is answered by the claims route's front door (benefits.api_fast); off, by the API's
# view as every other call. Same answers either way.
HUIGONG_CLAIM_FAST_PATH = os.environ.get("HUIGONG_CLAIM_FAST_PATH", "1") == "1"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# 等保 level-3: lock after repeated failures, short idle sessions.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=30)
# Username alone too: spreading guesses over many addresses must not dodge the lockout.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", str(30 * 60)))
# The idle timer slides: accounts.middleware.SessionTouchMiddleware re-saves a session that was last
# saved more than a thirtieth of its lifetime ago (not every request: that is a write per API call).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# When true, every staff account must enrol a TOTP device before using the console.
HUIGONG_REQUIRE_TOTP = os.environ.get("HUIGONG_REQUIRE_TOTP", "0") == "1"
OTP_TOTP_ISSUER = "惠工 Huigong"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "huigong" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "huigong" / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Roster import limits: hostile files are refused before anything is parsed into the database.
ROSTER_MAX_UPLOAD_BYTES = int(os.environ.get("ROSTER_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
ROSTER_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("ROSTER_MAX_UNCOMPRESSED_BYTES", str(2 * 1024**3)))
ROSTER_MAX_COMPRESSION_RATIO = int(os.environ.get("ROSTER_MAX_COMPRESSION_RATIO", "200"))
ROSTER_MAX_ROWS = int(os.environ.get("ROSTER_MAX_ROWS", "1048576"))
ROSTER_MAX_COLUMNS = int(os.environ.get("ROSTER_MAX_COLUMNS", "60"))
# Cells of a sheet's used extent (rows x columns): the reader allocates ~32 bytes for each.
ROSTER_MAX_CELLS = int(os.environ.get("ROSTER_MAX_CELLS", str(32 * 1024 * 1024)))
# Sheets that unpack to at most this are measured in the web request (and run there when small);
# bigger ones go to the background worker, which measures them before loading.
ROSTER_SCAN_IN_REQUEST_BYTES = int(os.environ.get("ROSTER_SCAN_IN_REQUEST_BYTES", str(8 * 1024 * 1024)))
# Files with more rows than this go to a background task with progress on the page.
ROSTER_SYNC_MAX_ROWS = int(os.environ.get("ROSTER_SYNC_MAX_ROWS", "2000"))

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
if os.environ.get("HUIGONG_CACHE_URL"):  # opt-in shared cache (benchmarks); prod.py always sets one
    CACHES = {"default": {"BACKEND": "huigong.core.cache.RedisCache",
                          "LOCATION": os.environ["HUIGONG_CACHE_URL"], "KEY_PREFIX": "hg", "TIMEOUT": 600}}
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One beat entry drives every periodic job (core/periodic.py decides which are due).
CELERY_BEAT_SCHEDULE = {"huigong-tick": {"task": "huigong.core.tick", "schedule": 60.0}}
# "celery": send to workers; "thread": run in an in-process thread (embedded shape, so that
# the page can show progress while a big import runs); "sync": run inline (tests).
HUIGONG_TASK_MODE = os.environ.get("HUIGONG_TASK_MODE", "celery")
# Workers' one-time codes (portal): a dotted path to a class with send(phone, text); the console
# sender only logs the code. Production points this at its SMS gateway's adapter.
HUIGONG_SMS_SENDER = os.environ.get("HUIGONG_SMS_SENDER", "huigong.portal.sms.ConsoleSmsSender")
# Reverse proxies in front of Django that append the client address to X-Forwarded-For (0: none, use
# REMOTE_ADDR). Client addresses for audit rows, SMS limits and django-axes come from core.request_context.
HUIGONG_TRUSTED_PROXIES = int(os.environ.get("HUIGONG_TRUSTED_PROXIES", "0"))
AXES_CLIENT_IP_CALLABLE = "huigong.core.request_context.client_ip"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own loggers set INFO for themselves: LOG_LEVEL applies to them too (django.request
    # writes a warning for every 4xx answer, e.g. each 名额已满 of a rush).
    "loggers": {"django": {"level": os.environ.get("LOG_LEVEL", "INFO")}, "django.db.backends": {"level": "WARNING"}},
}
