"""The OpenAPI document and the docs page: every operation requires auth, nothing loads from a CDN."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def _staff_client():
    from huigong.accounts.models import Role
    from huigong.orgs.models import NodeLevel
    from huigong.testing import make_node, make_staff

    client = Client()
    client.force_login(make_staff(make_node(None, "某市总工会", NodeLevel.CITY), Role.VIEWER))
    return client


def _doc():
    return _staff_client().get("/api/v1/openapi.json").json()


def test_openapi_document_is_served(db):
    r = _staff_client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["info"]["title"] == "Huigong 惠工 API"
    assert doc["info"]["version"] == "1"
    paths = set(doc["paths"])
    for expected in (
        "/api/v1/unions",
        "/api/v1/unions/{union_id}/move",
        "/api/v1/members/{person_id}/reveal",
        "/api/v1/memberships",
        "/api/v1/enterprises",
        "/api/v1/sites",
        "/api/v1/audit",
    ):
        assert expected in paths


def test_every_operation_declares_token_and_session_auth(db):
    doc = _doc()
    schemes = doc["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s.get("type") == "http" and s.get("scheme") == "bearer"]
    cookie = [name for name, s in schemes.items() if s.get("type") == "apiKey" and s.get("in") == "cookie"]
    assert bearer and cookie
    ops = list(_operations(doc))
    assert len(ops) >= 20
    for method, path, op in ops:
        declared = {name for requirement in op.get("security", []) for name in requirement}
        assert declared == {bearer[0], cookie[0]}, (
            f"{method} {path} does not require auth: {op.get('security')}"
        )


def test_every_operation_refuses_anonymous_calls(db):
    """Not just declared: call each operation without credentials and expect 401."""
    doc = _doc()
    client = Client()
    for method, path, _ in _operations(doc):
        url = re.sub(r"\{[^}]+\}", "1", path)
        r = (
            getattr(client, method.lower())(url, {}, content_type="application/json")
            if method != "GET"
            else client.get(url)
        )
        assert r.status_code == 401, f"{method} {path} answered {r.status_code} to an anonymous call"


def test_422_errors_are_documented_with_field_and_message(db):
    doc = _doc()
    op = doc["paths"]["/api/v1/members"]["post"]
    assert set(op["responses"]) >= {"201", "401", "403", "422"}
    ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    item = doc["components"]["schemas"][ref]["properties"]["detail"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert set(doc["components"]["schemas"][item]["properties"]) == {"field", "message"}


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("src", "href"):
            if attrs.get(key):
                self.refs.append(attrs[key])
        if tag == "script":
            self._in_script = attrs.get("type") != "application/json" and not attrs.get("src")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def test_docs_page_loads_only_local_files(db):
    r = _staff_client().get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    # No external host anywhere in the page, not only in src/href.
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), re.findall(
        r"https?://\S+", html
    )
    parser = _Refs()
    parser.feed(html)
    assert parser.inline_scripts == 0
    assert any(ref.endswith("swagger-ui-bundle.js") for ref in parser.refs)
    for ref in parser.refs:
        assert not urlsplit(ref).netloc, ref
        assert ref.startswith(settings.STATIC_URL), ref
        found = finders.find(ref[len(settings.STATIC_URL) :])
        assert found, (
            f"{ref} is not a static file the app can serve: run `npm ci` and "
            "`python scripts/vendor_static.py`"
        )
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    # The settings block tells Swagger UI where the document is and to skip the online validator.
    assert '"url": "/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html


# --- The document and the page are for staff only ------------------------------------------------

def test_document_and_docs_page_refuse_anonymous_visitors(db):
    client = Client()
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 401
    assert "paths" not in r.content.decode()
    r = client.get("/api/v1/docs")
    assert r.status_code == 302 and r["Location"].startswith(reverse(settings.LOGIN_URL))
    assert "swagger" not in r.content.decode().lower()


def test_document_and_docs_page_refuse_a_worker_and_a_bad_token(db):
    from django.contrib.auth import get_user_model

    worker = get_user_model().objects.create_user(username="w-docs", password="pw-Test-12345")
    client = Client()
    client.force_login(worker)  # an account without a staff profile, as a portal worker's
    assert client.get("/api/v1/openapi.json").status_code == 403
    assert client.get("/api/v1/docs").status_code == 403
    bad = Client(headers={"Authorization": "Bearer hg_not-a-token"})
    assert bad.get("/api/v1/openapi.json").status_code == 401


def test_any_staff_role_and_an_integration_token_read_the_document(db):
    from huigong.accounts.models import ApiToken, Role
    from huigong.orgs.models import NodeLevel
    from huigong.testing import make_node, make_staff

    node = make_node(None, "某市总工会", NodeLevel.CITY)
    for role in Role.values:
        client = Client()
        client.force_login(make_staff(node, role))
        assert client.get("/api/v1/openapi.json").status_code == 200, role
        assert client.get("/api/v1/docs").status_code == 200, role
    user = make_staff(node, Role.VIEWER)
    raw = ApiToken.new_key()
    ApiToken.objects.create(user=user, name="集成", prefix=raw[:12], key_hash=ApiToken.hash_key(raw))
    r = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/openapi.json")
    assert r.status_code == 200 and "paths" in r.json()


# --- Component names: one class per name ----------------------------------------------------------

def _ninja_operations():
    from huigong.api.api import api

    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            yield from path_view.operations


def _models_in(annotation, found):
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found.setdefault(annotation.__name__, set()):
            return
        found[annotation.__name__].add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found)
    for arg in typing.get_args(annotation):
        _models_in(arg, found)


def test_no_two_schema_classes_share_a_component_name():
    """django-ninja names a component after the schema class: two classes of one name (an aid
    programme's and a benefit programme's ProgrammeIn) become one component, and one route documents
    the other's body."""
    found: dict[str, set] = {}
    for op in _ninja_operations():
        for model in op.models:
            for field in model.model_fields.values():
                _models_in(field.annotation, found)
        for response in (op.response_models or {}).values():
            if isinstance(response, type):
                for field in response.model_fields.values():
                    _models_in(field.annotation, found)
    shared = {name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
              for name, classes in found.items() if len(classes) > 1}
    assert not shared, shared


def test_each_request_body_refers_to_its_own_class(db):
    """Routes whose request bodies name the same component must take the very same class, and the
    component must describe that class's fields."""
    doc = _doc()
    by_id = {}
    from huigong.api.api import api

    for op in _ninja_operations():
        by_id[op.operation_id or api.get_openapi_operation_id(op)] = op
    owners: dict[str, set] = {}
    checked = 0
    for method, path, op_doc in _operations(doc):
        content = (op_doc.get("requestBody") or {}).get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref")
        if not ref:
            continue
        name = ref.rsplit("/", 1)[-1]
        op = by_id[op_doc["operationId"]]
        bodies = [f.annotation for m in op.models if m.__ninja_param_source__ == "body"
                  for f in m.model_fields.values()]
        assert len(bodies) == 1, (method, path, bodies)
        owners.setdefault(name, set()).add(bodies[0])
        component = doc["components"]["schemas"][name]
        expected = set(bodies[0].model_json_schema(by_alias=True).get("properties", {}))
        assert set(component.get("properties", {})) == expected, (method, path, name)
        checked += 1
    assert checked >= 10
    shared = {n: c for n, c in owners.items() if len(c) > 1}
    assert not shared, shared
    # The symptom the review found: the aid programme route documented the benefits app's body.
    body = doc["paths"]["/api/v1/aid-programmes"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/AidProgrammeIn")
