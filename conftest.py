import os

import pytest


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
