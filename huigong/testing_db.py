"""The test database, migrated once and cloned: a PostgreSQL template keyed by the migrations.

Running the ~70 migrations costs each pytest process (each xdist worker, each `pytest -n 0` of one file)
tens of seconds of CPU, most of it Django rendering model states. Instead the first process builds
`test_<name>_tpl_<hash>` with the ordinary `migrate` (schema, PostgreSQL triggers, data migrations such
as the consent texts: exactly what every test database held before), and every worker's database is a
`CREATE DATABASE … TEMPLATE` copy of it, which takes a second. `<hash>` covers every installed app's
migration files, the project modules those migrations import, and the Django version: change any of
them and a new template is built (and the stale ones dropped). A template that failed half way is
never used: it is built under a `_build` name and renamed only once migrated.

Concurrent workers take a PostgreSQL advisory lock, so one builds while the other waits.
`--create-db` rebuilds the template; `HUIGONG_TEST_DB_TEMPLATE=0` turns all of this off (every process
migrates its own database again); SQLite and `--reuse-db` / `--no-migrations` runs are untouched."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from pathlib import Path

_IMPORT = re.compile(r"^\s*(?:from\s+(huigong[\w.]*)\s+import|import\s+(huigong[\w.]*))", re.MULTILINE)


def wanted(connection, *, use_migrations: bool, keepdb: bool) -> bool:
    return (connection.vendor == "postgresql" and use_migrations and not keepdb
            and os.environ.get("HUIGONG_TEST_DB_TEMPLATE", "1") != "0")


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


def migrations_digest() -> str:
    """A hash of what a freshly migrated database depends on."""
    import django
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    h = hashlib.sha256(django.__version__.encode())
    for app in sorted(apps.get_app_configs(), key=lambda a: a.label):
        module, _ = MigrationLoader.migrations_module(app.label)
        if module is None:
            continue
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            for path in sorted(Path(folder).glob("*")):
                if not path.is_file() or path.suffix == ".pyc":
                    continue
                data = path.read_bytes()
                h.update(f"{app.label}/{path.name}\0".encode() + data + b"\0")
                if path.suffix == ".py":
                    # Project code a migration runs (data migrations, custom fields) is part of the result.
                    for m in _IMPORT.finditer(data.decode("utf-8", "replace")):
                        imported = _module_file(m.group(1) or m.group(2))
                        if imported is not None:
                            h.update(f"{m.group(1) or m.group(2)}\0".encode() + imported.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def _exists(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def prepare(connection, *, verbosity: int = 0, rebuild: bool = False) -> str:
    """Makes the worker's test database a copy of the (built if need be) template; returns its name.
    Afterwards Django's `setup_databases(keepdb=True)` finds it migrated and only checks it."""
    from django.conf import settings

    creation = connection.creation
    target = creation._get_test_db_name()
    base = f"test_{connection.settings_dict['NAME']}_tpl_"[:44]  # + 12 hex + "_build" stays within 63 bytes
    template = base + migrations_digest()
    quote = connection.ops.quote_name
    lock_key = int(hashlib.sha256(base.encode()).hexdigest()[:15], 16)
    with creation._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key])
        try:
            if rebuild and _exists(cursor, template):
                cursor.execute(f"DROP DATABASE {quote(template)}")
            if not _exists(cursor, template):
                _build(connection, settings, template + "_build", verbosity)
                cursor.execute(f"ALTER DATABASE {quote(template + '_build')} RENAME TO {quote(template)}")
                # Nobody connects to it by accident (a connection would block the next copy).
                cursor.execute(f"ALTER DATABASE {quote(template)} WITH ALLOW_CONNECTIONS false")
                cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                               [base.replace("_", r"\_") + "%", template])
                for (stale,) in cursor.fetchall():
                    try:
                        cursor.execute(f"DROP DATABASE IF EXISTS {quote(stale)}")
                    except Exception as exc:  # noqa: BLE001 - in use by another run: dropped by a later build
                        creation.log(f"Kept stale test template {stale}: {exc}")
            if verbosity >= 1:
                creation.log(f"Copying test database {target} from {template}...")
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(target)}")
            cursor.execute(f"CREATE DATABASE {quote(target)} TEMPLATE {quote(template)}")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_key])
    return target


def _build(connection, settings, name: str, verbosity: int) -> None:
    """`migrate` into a new database `name` with Django's own test-database creation, then put the
    connection's settings back."""
    saved_name = connection.settings_dict["NAME"]
    saved_test_name = connection.settings_dict["TEST"].get("NAME")
    saved_setting = settings.DATABASES[connection.alias]["NAME"]
    connection.settings_dict["TEST"]["NAME"] = name
    try:
        connection.creation.create_test_db(verbosity=verbosity, autoclobber=True, serialize=False)
    finally:
        connection.close()
        connection.settings_dict["NAME"] = saved_name
        connection.settings_dict["TEST"]["NAME"] = saved_test_name
        settings.DATABASES[connection.alias]["NAME"] = saved_setting
