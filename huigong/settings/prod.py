"""Production shape: PostgreSQL, Celery workers on Redis, secrets from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

# Keys must come from the environment here: the generated var/keys.json of the embedded shape would
# silently differ between hosts and vanish with a rebuilt machine, taking the personal data with it.
_missing = [n for n in ("SECRET_KEY", "SALT_KEY", "BLIND_INDEX_KEY")
            if not (os.environ.get(f"HUIGONG_{n}") or os.environ.get(n))]
if _missing:
    raise ImproperlyConfigured(f"set {', '.join('HUIGONG_' + n for n in _missing)} (see docs/operations.md)")

from .base import *  # noqa: F403

DEBUG = False
# Workers' one-time codes are sign-ins: they must reach phones, never a log file or a log collector.
HUIGONG_SMS_SENDER = os.environ.get("HUIGONG_SMS_SENDER", "")
if HUIGONG_SMS_SENDER in ("", *NON_DELIVERING_SMS_SENDERS):  # noqa: F405
    raise ImproperlyConfigured(
        f"HUIGONG_SMS_SENDER={HUIGONG_SMS_SENDER or '(unset)'} writes workers' one-time codes to the log or "
        "keeps them in the process instead of sending them: set HUIGONG_SMS_SENDER to the dotted path of your "
        "SMS gateway's adapter (huigong.core.notify.sms.AliyunSmsSender, or your own class with "
        "send(phone, text, *, template, params)), or to huigong.portal.sms.DisabledSmsSender to run without "
        "worker SMS (see docs/operations.md)")
if HUIGONG_SMS_SENDER.endswith(".AliyunSmsSender"):
    _aliyun_missing = [k for k in ("access_key_id", "access_key_secret", "sign_name")
                       if not HUIGONG_ALIYUN_SMS.get(k)]  # noqa: F405
    _aliyun_missing += [f"templates[{t}]" for t in ("code", "link", "registered", "not_registered", "notice")
                        if not HUIGONG_ALIYUN_SMS["templates"].get(t)]  # noqa: F405
    if _aliyun_missing:
        raise ImproperlyConfigured(
            f"HUIGONG_SMS_SENDER is Aliyun SMS but HUIGONG_ALIYUN_SMS lacks {', '.join(_aliyun_missing)}: set "
            "HUIGONG_ALIYUN_SMS_KEY_ID, _KEY_SECRET, _SIGN_NAME and _TEMPLATES (see docs/operations.md)")
SESSION_COOKIE_SECURE = os.environ.get("HTTPS", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
if SESSION_COOKIE_SECURE:
    # TLS ends at the reverse proxy, which must set X-Forwarded-Proto (and strip it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS: once a browser has seen the site over HTTPS it refuses plain HTTP for it (no downgrade on a
# hostile network). A year by default when serving HTTPS; HUIGONG_HSTS_SECONDS=0 turns it off (e.g.
# while trying a new host name), HUIGONG_HSTS_INCLUDE_SUBDOMAINS=1 / HUIGONG_HSTS_PRELOAD=1 only when
# every subdomain of the federation's domain is HTTPS too.
SECURE_HSTS_SECONDS = int(os.environ.get("HUIGONG_HSTS_SECONDS", "31536000" if SESSION_COOKIE_SECURE else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("HUIGONG_HSTS_INCLUDE_SUBDOMAINS", "0") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("HUIGONG_HSTS_PRELOAD", "0") == "1"
# A password alone must not unlock full personal data, exports, approvals or payments: every role that
# can do these enrols TOTP (accounts.selectors.totp_required_for). An operator who must run without it
# says so explicitly with HUIGONG_REQUIRE_TOTP_SENSITIVE=0 (docs/operations.md).
HUIGONG_REQUIRE_TOTP_SENSITIVE = os.environ.get("HUIGONG_REQUIRE_TOTP_SENSITIVE", "1") == "1"
# Production sits behind one reverse proxy (TLS ends there); it must append to X-Forwarded-For.
HUIGONG_TRUSTED_PROXIES = int(os.environ.get("HUIGONG_TRUSTED_PROXIES", "1"))
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
STORAGES = {
    "default": {"BACKEND": "huigong.core.files.EncryptedFileSystemStorage"},  # files at rest: encrypted
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# One cache shared by all gunicorn workers (the dashboard's KPI answers, keyed by rollup generation);
# the embedded/dev/test shapes keep the per-process default (locmem).
CACHES = {
    "default": {
        "BACKEND": "huigong.core.cache.RedisCache",
        "LOCATION": os.environ.get("HUIGONG_CACHE_URL", REDIS_URL),  # noqa: F405
        "KEY_PREFIX": "hg",
        "TIMEOUT": 600,
    }
}
# Every signed-in request reads its session: from Redis here, written through to the database so that
# a flushed or restarted cache signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
