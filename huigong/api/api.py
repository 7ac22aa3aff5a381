"""The JSON API at /api/v1/: the same selectors and services as the console pages, the same
scoping, typed schemas in and out, an OpenAPI document and interactive docs served locally."""

from typing import ClassVar

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from huigong.assistance.api import ROUTERS as assistance_routers
from huigong.benefits.api import ROUTERS as benefits_routers
from huigong.core.api import router as audit_router
from huigong.insights.api import ROUTERS as insights_routers
from huigong.members.api import imports_router, members_router, memberships_router
from huigong.orgs.api import enterprises_router, sites_router, unions_router
from huigong.portal.api import ROUTERS as portal_routers

from . import errors
from .auth import StaffSessionAuth, TokenAuth, staff_docs_required
from .docs import LocalSwagger

DESCRIPTION = """
惠工 Huigong 的对外接口：工会组织、单位、服务阵地、会员与会籍、名册导入、审计。
每个调用只能看到调用者所在工会及其下级（与控制台页面相同的范围与权限）。

The Huigong API: unions, enterprises, service sites, members and memberships, roster imports, audit.
Every call sees the caller's node of the union tree and its subtree, with the same role rules as the
console pages.

**Authentication.** Either `Authorization: Bearer hg_…` (a token created on the console's 接口令牌
page; only its hash is stored) or the console's session cookie, in which case unsafe methods need the
`X-CSRFToken` header. Missing or bad credentials → 401; a role that may not do something → 403.

**Errors.** `{"detail": "…"}` for 401/403/404/409; `{"detail": [{"field": "…", "message": "…"}]}` for 422,
messages in Chinese and English.

**Lists** take `limit` (≤ 500) and `offset` and return `{count, limit, offset, items}`.

**Personal data.** ID number, phone and bank account appear masked; the full value only through
`POST /members/{person_id}/reveal` (role with the full-PII capability; every call is logged).
"""


class Utf8JSONRenderer(JSONRenderer):
    # Names and messages are Chinese: send them as UTF-8 text rather than \u escapes.
    json_dumps_params: ClassVar[dict] = {"ensure_ascii": False}


api = NinjaAPI(
    title="Huigong 惠工 API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), StaffSessionAuth()],
    docs=LocalSwagger(),
    docs_decorator=staff_docs_required,
    renderer=Utf8JSONRenderer(),
)
errors.install(api)

api.add_router("/unions", unions_router, tags=["unions"])
api.add_router("/enterprises", enterprises_router, tags=["enterprises"])
api.add_router("/sites", sites_router, tags=["sites"])
api.add_router("/members", members_router, tags=["members"])
api.add_router("/memberships", memberships_router, tags=["memberships"])
api.add_router("/imports", imports_router, tags=["imports"])
api.add_router("/audit", audit_router, tags=["audit"])

# Each later app lists its own routers, so adding one never edits this file.
for _prefix, _router, _tags in [*assistance_routers, *benefits_routers, *portal_routers, *insights_routers]:
    api.add_router(_prefix, _router, tags=_tags)
