import pytest
from django.test import Client

from huigong.accounts.models import ApiToken


def make_token(user, name: str = "test") -> str:
    raw = ApiToken.new_key()
    ApiToken.objects.create(user=user, name=name, prefix=raw[:10], key_hash=ApiToken.hash_key(raw))
    return raw


class ApiClient:
    """A test client that talks JSON to /api/v1/ with a bearer token (or none: anonymous)."""

    def __init__(self, token: str | None = None, client: Client | None = None):
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, data=None, **kw):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        fn = getattr(self.client, method)
        if method in ("get", "delete"):
            return fn(url, data or {}, headers=self.headers, **kw)
        return fn(url, data if data is not None else {}, content_type="application/json", headers=self.headers, **kw)

    def get(self, path, params=None, **kw):
        return self._call("get", path, params, **kw)

    def post(self, path, data=None, **kw):
        return self._call("post", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self._call("patch", path, data, **kw)


@pytest.fixture
def api_as(db):
    """api_as(user) → ApiClient authenticated with a fresh token for that user; api_as(None) → anonymous."""

    def make(user=None) -> ApiClient:
        return ApiClient(make_token(user) if user is not None else None)

    return make
