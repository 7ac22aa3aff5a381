import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
# Debian's chromium, never a downloaded browser; the networking flags keep it off the closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_use_migrations,
                    django_db_keepdb, django_db_createdb, django_db_modify_db_settings):
    """pytest-django's django_db_setup, except that on PostgreSQL each worker's test database is a copy of
    a template migrated once (huigong/testing_db.py) instead of being migrated again by every process."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    from huigong import testing_db

    verbosity = request.config.option.verbose
    kwargs = {}
    if not django_db_use_migrations:
        _disable_migrations()
    if django_db_keepdb and not django_db_createdb:
        kwargs["keepdb"] = True
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    copied = connection.alias in aliases and testing_db.wanted(
        connection, use_migrations=django_db_use_migrations, keepdb=django_db_keepdb)
    with django_db_blocker.unblock():
        if copied:
            testing_db.prepare(connection, verbosity=verbosity, rebuild=django_db_createdb)
            kwargs["keepdb"] = True  # the copy is there and migrated: Django only checks it
        db_cfg = setup_databases(verbosity=verbosity, interactive=False, aliases=aliases,
                                 serialized_aliases=serialized_aliases, **kwargs)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            try:
                teardown_databases(db_cfg, verbosity=verbosity)
            except Exception as exc:  # noqa: BLE001 - as pytest-django: a warning, not a failure
                request.node.warn(pytest.PytestWarning(f"Error when trying to teardown test databases: {exc!r}"))


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """An open database transaction for the module, rolled back after its last test, so that a
    module-scoped fixture builds its world once (e.g. `seed_demo`, a route × role matrix's cast) and
    every test of the module sees it, each test's own writes rolled back to a savepoint as usual
    (`db`), as Django's TestCase.setUpTestData. Yields `build(fn, *args, **kw)`: runs fn in the default
    language under the log guard (as a test's own set-up is) and returns its result.

    Only for tests on the `db` fixture (a transactional test would empty the database under it). A
    fixture that hands out model instances must hand each test its own copy (`copy.deepcopy`), as
    setUpTestData does, so that no test sees another's in-memory changes."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import translation

    from huigong.testing_logs import capture

    def build(fn, *args, **kw):
        with django_db_blocker.unblock(), translation.override(settings.LANGUAGE_CODE), capture() as leaks:
            result = fn(*args, **kw)
        leaks.assert_clean()
        return result

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield build
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# The demo world the apps' demo tests share (`demo_world`): while open, the outer transaction it was built
# in and the seed's output. Rolled back after the last test that uses it (pytest_runtest_teardown below).
DEMO_MEMBERS = 6000
_shared_demo: dict = {}


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """The whole demo (`seed_demo --members 6000`: every app's builder), built once for all the tests that
    use it rather than once per module (each app's test_demo.py: one seed is ~20 CPU-s at 3,000 members).
    Like `module_world`, one open transaction rolled back when the demo's tests are over, each test's own
    writes rolled back to a savepoint (`db`); these tests run one after another, first of the rolled-back
    kind (pytest_collection_modifyitems), so the world is built once per worker that takes them and no
    other test ever sees it. Returns the seed's output."""
    if "output" not in _shared_demo:
        import io

        from django.conf import settings
        from django.core.management import call_command
        from django.db import transaction
        from django.utils import translation

        from huigong.testing_logs import capture

        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            _shared_demo["atomic"] = atomic
            try:
                out = io.StringIO()
                with translation.override(settings.LANGUAGE_CODE), capture() as leaks:
                    call_command("seed_demo", stdout=out, members=DEMO_MEMBERS)
                leaks.assert_clean()
            except BaseException:
                _close_demo_world()
                raise
        _shared_demo["output"] = out.getvalue()
    return _shared_demo["output"]


def _close_demo_world():
    atomic = _shared_demo.pop("atomic", None)
    _shared_demo.pop("output", None)
    if atomic is None:
        return
    from django.db import transaction

    transaction.set_rollback(True)
    atomic.__exit__(None, None, None)


def _uses_demo_world(item) -> bool:
    return item is not None and "demo_world" in getattr(item, "fixturenames", ())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After the last test of a run of demo tests (its module fixtures torn down), roll the demo back."""
    try:
        return (yield)
    finally:
        if "atomic" in _shared_demo and not _uses_demo_world(nextitem):
            _unblocked(item.config, _close_demo_world)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Never run a test inside the demo's transaction unless it asked for the demo (a safety net: the
    teardown above closes it when the next test is known)."""
    if "atomic" in _shared_demo and not _uses_demo_world(item):
        _unblocked(item.config, _close_demo_world)


def _unblocked(config, fn):
    from pytest_django.plugin import blocking_manager_key

    with config.stash[blocking_manager_key].unblock():
        fn()


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


class _NoTypesetting:
    """Stands in for the weasyprint module: `HTML(string=…).write_pdf()` gives a stub PDF."""

    class HTML:
        def __init__(self, *, string, base_url=None):
            assert string

        def write_pdf(self):
            return b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def pdf_without_typesetting(monkeypatch):
    """For tests about who gets a page, not typesetting (the page matrices): core.pdf.render_pdf still
    renders the template (a template error still fails), but WeasyPrint is not run. Patched where
    render_pdf finds it (`_weasyprint`), so modules that imported render_pdf by name are covered too."""
    from huigong.core import pdf

    monkeypatch.setattr(pdf, "_weasyprint", lambda: _NoTypesetting)


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


def _database_use(item) -> int:
    """pytest-django's order of kinds: 0 tests in a rolled-back transaction, 1 transactional tests (which
    empty the database when they end), 2 tests without a database."""
    from pytest_django.fixtures import validate_django_db

    transactional = uses_db = False
    marker = item.get_closest_marker("django_db")
    if marker:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        uses_db, transactional = True, bool(transaction or reset_sequences)
    fixtures = getattr(item, "fixturenames", ())
    transactional = transactional or "transactional_db" in fixtures or "live_server" in fixtures
    uses_db = uses_db or "db" in fixtures
    return 1 if transactional else 0 if uses_db else 2


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Every test that drives the `browser` fixture is marked `browser`, whether or not its module says
    so, so that `-m "not browser"` leaves out all of them (done before any plugin deselects).

    Then, after every plugin has had its say, slow and browser tests move to the front of their kind:
    pytest-django runs transactional tests after the others, as Django does (they empty the database), and
    that stays; within each kind the long tests start first, so that a long test does not end a worker's
    queue while the other core idles. The order is the same on every worker (xdist checks it)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)
    result = yield

    def key(item):
        short = item.get_closest_marker("slow") is None and item.get_closest_marker("browser") is None
        # The demo's tests together at the very front of the rolled-back kind: one shared build (`demo_world`).
        return _database_use(item), not _uses_demo_world(item), short

    items.sort(key=key)  # stable: otherwise the collected order
    return result


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "")
    return f"database: {'PostgreSQL' if url.startswith('postgres') else 'SQLite (set DATABASE_URL for PostgreSQL)'}"
