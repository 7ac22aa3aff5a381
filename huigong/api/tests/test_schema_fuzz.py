"""Property-based contract test with schemathesis: generated requests for every operation in the
OpenAPI document, sent as an admin with a token, must never produce a server error and every
response must match the documented status codes and schemas."""

import json

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from huigong.api.api import api

from .conftest import make_token

# Generated path ids can be 11-digit numbers that django.request logs ("Not Found: /api/v1/…/15212344835"):
# shaped like phones, but nobody's, so the suite's log guard (huigong/testing_logs.py) leaves this test alone.
# slow: ~110 generated cases, ~30 % of the test processes' CPU time (docs/benchmarks.md, "Test suite wall time").
pytestmark = [pytest.mark.random_numbers_in_logs, pytest.mark.slow]

# Through JSON as /api/v1/openapi.json serves it: descriptions are lazy translations until rendered.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder)))
schema.app = get_wsgi_application()


@pytest.fixture
def admin_token(cast):
    return make_token(cast.city_admin)


@pytest.fixture(autouse=True)
def keep_test_connection():
    """The plain WSGI handler closes the database connection when a request ends (as in production);
    inside a test that would end the test's transaction. Django's own test client switches this off
    the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@pytest.mark.django_db
def test_api_contract(case, admin_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
