"""Settings shared by every runtime shape. Everything secret or site-specific comes from the
environment; the embedded shape (dev.py) generates its own keys into var/keys.json on first run."""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
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
    "csp",
    "huigong.core.apps.AuditedAdminConfig",  # django.contrib.admin, every write audited
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
    "huigong.core.approvals",  # approval chains up the tree (abstract step + service)
    "huigong.core.notices",  # 公示 (abstract notice tables + service)
    "huigong.core.disbursement",  # batches, bank sheets, exactly-once payments (abstract tables + one engine)
    "huigong.core.notify",  # the notifications outbox (portal message, SMS, WeChat)
    "huigong.core.capacity",  # places, sub-quotas, lotteries, waitlists, offers
    "huigong.orgs",
    "huigong.accounts",
    "huigong.members",
    "huigong.api",
    "huigong.assistance",
    "huigong.benefits",
    "huigong.activities",  # events: sessions, registration, waitlists, check-in, attendance, contests
    "huigong.portal",
    "huigong.insights",
    "huigong.console",  # the staff console's own pages (home, audit browser)
    "huigong.demo",  # seed_demo, flush, generate_federation
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "huigong.core.request_context.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "huigong.accounts.middleware.SessionTouchMiddleware",
    "huigong.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "huigong.core.middleware.NoStoreMiddleware",
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

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, or an
# inline block carrying the request's nonce (`{{ request.csp_nonce }}`); no inline event handlers,
# no style="" attributes, nothing from another host (union networks are often closed anyway), no
# framing. A page that needs an exception must not get one here: move the code to a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # Swagger UI's and the stylesheets' small icons are data: URIs; QR codes are inline SVG.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# 等保 level-3: lock after repeated failures, short idle sessions.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=30)
# Two tiers (accounts/lockout.py): an account locks on the address the failures came from, so a stranger
# elsewhere cannot lock a staff member out with a few wrong passwords; guesses spread over many addresses
# meet a much higher account-wide limit over a longer window (the slower back-off).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "huigong.accounts.lockout.LockoutHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failure: the account-wide tier counts them
HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT = int(os.environ.get("HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT",
                                                          str(10 * AXES_FAILURE_LIMIT)))
HUIGONG_LOGIN_USERNAME_WINDOW = timedelta(minutes=int(os.environ.get("HUIGONG_LOGIN_USERNAME_WINDOW_MINUTES", "60")))
# axes keeps the form's fields of a failed sign-in (AccessAttempt.post_data); these never land there.
AXES_SENSITIVE_PARAMETERS = ["phone", "code", "new_password1", "new_password2", "otp_token"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", str(30 * 60)))
# The idle timer slides: accounts.middleware.SessionTouchMiddleware re-saves a session that was last
# saved more than a thirtieth of its lifetime ago (not every request: that is a write per API call).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# `manage.py flush` empties the audit trail with everything else: refused unless the database holds only
# the demo. The test settings turn this on (a test database is thrown away); nothing else should.
HUIGONG_ALLOW_FLUSH = False
# When true, every staff account must enrol a TOTP device before using the console.
HUIGONG_REQUIRE_TOTP = os.environ.get("HUIGONG_REQUIRE_TOTP", "0") == "1"
# When true, every role that can see full personal data, export, approve, pay or manage accounts (and
# every superuser) must enrol and use TOTP (accounts.selectors.totp_required_for). On by default in
# production (settings/prod.py); the embedded demo leaves it off.
HUIGONG_REQUIRE_TOTP_SENSITIVE = os.environ.get("HUIGONG_REQUIRE_TOTP_SENSITIVE", "0") == "1"
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
# Every stored file is encrypted (huigong.core.files) with the key ring of the encrypted fields, and
# readable by the service user only; each shape's STORAGES names EncryptedFileSystemStorage as default.
STORAGES = {
    "default": {"BACKEND": "huigong.core.files.EncryptedFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Uploaded rosters and their error reports (full ID numbers, phones, bank accounts) are deleted this many
# days after the import by the periodic job; the import record stays, marked as purged.
HUIGONG_ROSTER_RETENTION_DAYS = int(os.environ.get("HUIGONG_ROSTER_RETENTION_DAYS", "30"))
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
# A member export of more rows than this is written by a background task (members/roster/export_jobs.py):
# the requester follows its progress and downloads it from 我的导出. Its file is deleted after
# HUIGONG_EXPORT_RETENTION_DAYS (by default the roster retention).
MEMBER_EXPORT_SYNC_MAX_ROWS = int(os.environ.get("MEMBER_EXPORT_SYNC_MAX_ROWS", "5000"))
HUIGONG_EXPORT_RETENTION_DAYS = int(os.environ.get("HUIGONG_EXPORT_RETENTION_DAYS",
                                                   str(HUIGONG_ROSTER_RETENTION_DAYS)))

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
# SMS for workers' one-time codes (portal) and notifications (core.notify): a dotted path to a sender
# (core/notify/sms.py); the console sender only logs the text. Production uses
# huigong.core.notify.sms.AliyunSmsSender (configured below) or the explicit DisabledSmsSender.
HUIGONG_SMS_SENDER = os.environ.get("HUIGONG_SMS_SENDER", "huigong.portal.sms.ConsoleSmsSender")
# Aliyun SMS (dysmsapi SendSms). Templates map the app's logical names (code, link, registered,
# not_registered, notice) to the TemplateCodes approved in the Aliyun console, as JSON.
HUIGONG_ALIYUN_SMS = {
    "access_key_id": os.environ.get("HUIGONG_ALIYUN_SMS_KEY_ID", ""),
    "access_key_secret": os.environ.get("HUIGONG_ALIYUN_SMS_KEY_SECRET", ""),
    "sign_name": os.environ.get("HUIGONG_ALIYUN_SMS_SIGN_NAME", ""),
    "templates": json.loads(os.environ.get("HUIGONG_ALIYUN_SMS_TEMPLATES", "{}") or "{}"),
    "endpoint": os.environ.get("HUIGONG_ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
}
# WeChat official-account template messages: off unless all three are set (core/notify/channels.py).
HUIGONG_WECHAT = {
    "appid": os.environ.get("HUIGONG_WECHAT_APPID", ""),
    "secret": os.environ.get("HUIGONG_WECHAT_SECRET", ""),
    "template_id": os.environ.get("HUIGONG_WECHAT_TEMPLATE_ID", ""),
    "link_base": os.environ.get("HUIGONG_PUBLIC_URL", ""),
}
# Notification retries: base·2^(attempt-1) seconds up to `cap`, then failed after `max_attempts`.
HUIGONG_NOTIFY_RETRY = {"base": 60, "cap": 6 * 3600, "max_attempts": 6}
# 会员关系转接请求: days the releasing union has to answer (then it expires and nothing moves), and how
# many days before the deadline the periodic job reminds it. 我已是会员 requests a union confirms: days.
HUIGONG_TRANSFER_REQUEST_DAYS = int(os.environ.get("HUIGONG_TRANSFER_REQUEST_DAYS", "15"))
HUIGONG_TRANSFER_REQUEST_REMIND_DAYS = int(os.environ.get("HUIGONG_TRANSFER_REQUEST_REMIND_DAYS", "3"))
HUIGONG_LINK_CONFIRM_DAYS = int(os.environ.get("HUIGONG_LINK_CONFIRM_DAYS", "15"))
# Senders whose codes never reach a phone but stay readable on the server (the log, the process):
# prod.py refuses them.
NON_DELIVERING_SMS_SENDERS = ("huigong.portal.sms.ConsoleSmsSender", "huigong.portal.sms.MemorySmsSender",
                              "huigong.core.notify.sms.ConsoleSmsSender", "huigong.core.notify.sms.MemorySmsSender")
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
