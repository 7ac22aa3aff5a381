import pytest
from django.test import Client

from huigong.accounts.models import ApiToken
from huigong.testing import new_id_number


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
        return fn(
            url, data if data is not None else {}, content_type="application/json", headers=self.headers, **kw
        )

    def get(self, path, params=None, **kw):
        return self._call("get", path, params, **kw)

    def post(self, path, data=None, **kw):
        return self._call("post", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self._call("patch", path, data, **kw)

    def put(self, path, data=None, **kw):
        return self._call("put", path, data, **kw)

    def delete(self, path, params=None, **kw):
        return self._call("delete", path, params, **kw)


@pytest.fixture
def api_as(db):
    """api_as(user) → ApiClient authenticated with a fresh token for that user; api_as(None) → anonymous."""

    def make(user=None) -> ApiClient:
        return ApiClient(make_token(user) if user is not None else None)

    return make


ROLES = ("admin", "staff", "viewer", "finance", "leader", "outsider", "anonymous")


def role_users(cast) -> dict:
    """The matrix roles, each a member of the standard cast (staff = 西湖区 district staff, whose
    subtree holds the test members; outsider = Qingdao's admin)."""
    return {
        "admin": cast.city_admin,
        "staff": cast.district_staff,
        "viewer": cast.viewer,
        "finance": cast.finance,
        "leader": cast.leader,
        "outsider": cast.outsider,
        "anonymous": None,
    }


@pytest.fixture
def world(cast):
    return build_world(cast)


def build_world(cast):
    """The cast plus a service site in 西湖 and a Qingdao site, for routes the cast has no object for."""
    from huigong.orgs.models import SiteKind
    from huigong.orgs.services import site_create

    cast.site = site_create(
        actor=cast.city_admin,
        union=cast.tech,
        name="西湖职工之家",
        kind=SiteKind.WORKERS_HOME,
        address="杭州市西湖区文三路1号",
        latitude="30.275000",
        longitude="120.130000",
    )
    cast.qd_site = site_create(
        actor=cast.outsider,
        union=cast.qd_ent,
        name="高新爱心妈妈小屋",
        kind=SiteKind.MOTHERS_ROOM,
        address="青岛市高新区1号",
    )
    # One unmasked read on each side, for the access-log route.
    from huigong.members.selectors import person_reveal

    person_reveal(cast.city_admin, cast.member.person, ["phone"], purpose="杭州核对")
    person_reveal(cast.outsider, cast.qd_member.person, ["phone"], purpose="青岛核对")
    # One small roster import on each side, for the imports routes.
    from huigong.members.roster import roster_import_start
    from huigong.members.roster.testing import person_row, roster_csv, upload

    cast.hz_import = roster_import_start(
        actor=cast.city_admin, union=cast.tech, upload=upload("杭州名册.csv", roster_csv([person_row()]))
    )
    qd_row = person_row(身份证号=new_id_number("370213"))
    cast.qd_import = roster_import_start(
        actor=cast.outsider, union=cast.qd_ent, upload=upload("青岛名册.csv", roster_csv([qd_row]))
    )
    return cast
