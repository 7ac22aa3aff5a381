"""The production settings refuse to start without keys from the environment (a generated key file
would differ between hosts) and trust the proxy's X-Forwarded-Proto only when serving HTTPS."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
KEYS = {"HUIGONG_SECRET_KEY": "s" * 50, "HUIGONG_SALT_KEY": "salt-salt-salt", "HUIGONG_BLIND_INDEX_KEY": "cd" * 32}
PROBE = ("import django; django.setup(); from django.conf import settings as s; "
         "print(s.DEBUG, s.SECURE_PROXY_SSL_HEADER, s.CSRF_TRUSTED_ORIGINS, s.SECRET_KEY == 's' * 50)")


def settings_probe(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUIGONG_") and k not in (
        "SECRET_KEY", "SALT_KEY", "BLIND_INDEX_KEY", "DATABASE_URL")}
    # Production refuses a sender that logs SMS codes; the probes run without SMS unless they say otherwise.
    env = {"HUIGONG_SMS_SENDER": "huigong.portal.sms.DisabledSmsSender", **env}
    base.update(DJANGO_SETTINGS_MODULE="huigong.settings.prod", HUIGONG_VAR_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True,
                          timeout=60, check=False)


def test_refuses_to_start_without_keys(tmp_path):
    out = settings_probe(tmp_path, HUIGONG_SECRET_KEY="only-this-one-" * 4)
    assert out.returncode != 0
    assert "HUIGONG_SALT_KEY" in out.stderr and "HUIGONG_BLIND_INDEX_KEY" in out.stderr
    assert not (tmp_path / "keys.json").exists()


def test_starts_with_keys_behind_a_tls_proxy(tmp_path):
    out = settings_probe(tmp_path, CSRF_TRUSTED_ORIGINS="https://huigong.example.org", **KEYS)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[-2] == (
        "False ('HTTP_X_FORWARDED_PROTO', 'https') ['https://huigong.example.org'] True")
    assert not (tmp_path / "keys.json").exists()


def test_web_process_sends_tasks_to_the_projects_celery_app(settings):
    from celery import current_app

    from huigong.members.tasks import roster_import_run_task

    for app in (current_app, roster_import_run_task.app):
        assert app.main == "huigong"
        assert app.conf.broker_url == settings.REDIS_URL


def test_collectstatic_with_the_production_manifest_storage(tmp_path, settings):
    """Production hashes and compresses static files; a vendored file referring to a file that is not
    there (a source map, a font) fails that step, so it is run here."""
    from django.core.management import call_command

    # Django's setting_changed handler swaps the storage in and out with these settings.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("css/*.*.css"))  # hashed names


HEADERS_PROBE = ("import django; django.setup(); from django.conf import settings as s; "
                 "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.HUIGONG_REQUIRE_TOTP_SENSITIVE, "
                 "'huigong.core.middleware.CSPMiddleware' in s.MIDDLEWARE)")


def headers_probe(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUIGONG_") and k not in (
        "SECRET_KEY", "SALT_KEY", "BLIND_INDEX_KEY", "DATABASE_URL", "HTTPS")}
    base.update(DJANGO_SETTINGS_MODULE="huigong.settings.prod", HUIGONG_VAR_DIR=str(tmp_path),
                HUIGONG_SMS_SENDER="huigong.portal.sms.DisabledSmsSender", **KEYS, **env)
    out = subprocess.run([sys.executable, "-c", HEADERS_PROBE], cwd=ROOT, env=base, capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.split("\n")[-2]


def test_production_sends_hsts_and_requires_totp_for_sensitive_roles_by_default(tmp_path):
    assert headers_probe(tmp_path) == "31536000 False True True"


def test_operators_turn_hsts_and_totp_off_only_explicitly(tmp_path):
    assert headers_probe(tmp_path, HUIGONG_HSTS_SECONDS="0", HUIGONG_REQUIRE_TOTP_SENSITIVE="0") == "0 False False True"
    assert headers_probe(tmp_path, HUIGONG_HSTS_INCLUDE_SUBDOMAINS="1").startswith("31536000 True")
    # Plain HTTP (a closed test network): no HSTS, which would lock browsers out of the host.
    assert headers_probe(tmp_path, HTTPS="0").startswith("0 ")


def test_the_hsts_header_is_sent_over_https(cast, settings):
    from django.test import Client

    settings.SECURE_HSTS_SECONDS = 31536000
    r = Client().get("/accounts/login/", secure=True)
    assert r["Strict-Transport-Security"] == "max-age=31536000"
