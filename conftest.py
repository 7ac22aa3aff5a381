import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
# Debian's chromium, never a downloaded browser; the networking flags keep it off the closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the default language: a request or test that activates English
    must not leave the next test (PDFs, exports, messages built outside a request) in English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def log_guard(request):
    """Every test fails if its log records hold an ID number, a mobile number or an SMS code
    (huigong/testing_logs.py). Only the guard's own tests take it by name, to forget what they planted.
    A test marked random_numbers_in_logs (generated input, e.g. the API fuzz test's path ids) is not checked:
    its numbers are nobody's."""
    from huigong.testing_logs import capture

    with capture() as leaks:
        yield leaks
    if request.node.get_closest_marker("random_numbers_in_logs") is None:
        leaks.assert_clean()


@pytest.fixture
def browser(monkeypatch):
    """A headless Debian chromium driven by Playwright; skips with the reason when it is absent."""
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop on this thread; the test's ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def cast(db):
    from huigong.testing import Cast

    return Cast().build()


@pytest.fixture
def on_postgres():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks / COPY): set DATABASE_URL to run it")
    return connection


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "")
    return f"database: {'PostgreSQL' if url.startswith('postgres') else 'SQLite (set DATABASE_URL for PostgreSQL)'}"
