"""The JSON API at /api/v1/: the same selectors and services as the console pages, the same
scoping, typed schemas in and out, an OpenAPI document and interactive docs served locally."""

from typing import ClassVar

from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from huigong.api.audit import router as audit_router
from huigong.assistance.api import ROUTERS as assistance_routers
from huigong.benefits.api import ROUTERS as benefits_routers
from huigong.insights.api import ROUTERS as insights_routers
from huigong.members.api import imports_router, members_router, memberships_router
from huigong.orgs.api import enterprises_router, sites_router, unions_router
from huigong.portal.api import ROUTERS as portal_routers

from . import errors
from .auth import StaffSessionAuth, TokenAuth, staff_docs_required
from .docs import LocalSwagger

# The name of each area (an OpenAPI tag) in the introduction. A tag missing here still appears there,
# under its own name, so an area added by an app is never left out.
AREA_NAMES = {
    "unions": pgettext_lazy("API area", "工会组织"),
    "enterprises": pgettext_lazy("API area", "单位"),
    "sites": pgettext_lazy("API area", "服务阵地"),
    "members": pgettext_lazy("API area", "会员"),
    "memberships": pgettext_lazy("API area", "会籍"),
    "imports": pgettext_lazy("API area", "名册导入"),
    "audit": pgettext_lazy("API area", "审计"),
    "screening": pgettext_lazy("API area", "困难排查"),
    "hardship-files": pgettext_lazy("API area", "困难职工档案"),
    "aid": pgettext_lazy("API area", "帮扶项目与申请"),
    "aid-notices": pgettext_lazy("API area", "帮扶公示"),
    "aid-payouts": pgettext_lazy("API area", "帮扶发放"),
    "aid-ledger": pgettext_lazy("API area", "帮扶台账"),
    "benefit-programmes": pgettext_lazy("API area", "普惠服务项目"),
    "benefit-claims": pgettext_lazy("API area", "普惠申领"),
    "reimbursements": pgettext_lazy("API area", "先办后补"),
    "reimbursement-payments": pgettext_lazy("API area", "补贴发放"),
    "visits": pgettext_lazy("API area", "阵地服务记录"),
    "site-usage": pgettext_lazy("API area", "阵地使用统计"),
    "kpis": pgettext_lazy("API area", "数据指标"),
    "join-applications": pgettext_lazy("API area", "网上入会"),
}

ABOUT = _("""每个调用只能看到调用者所在工会及其下级（与控制台页面相同的范围与权限）。

**认证。** `Authorization: Bearer hg_…`（在控制台“接口令牌”页面创建，只保存其哈希），或控制台的会话 Cookie（此时写操作需带
`X-CSRFToken` 请求头）。缺少或错误的凭据 → 401；角色无权执行 → 403。

**错误。** 401/403/404/409 返回 `{"detail": "…"}`；422 返回 `{"detail": [{"field": "…", "message": "…"}]}`，
说明使用请求的语言（`Accept-Language`，默认中文）。

**列表** 接受 `limit`（≤ 500）与 `offset`，返回 `{count, limit, offset, items}`。

**个人信息。** 身份证号、手机号和银行账号以掩码显示；完整值只能通过 `POST /members/{person_id}/reveal` 获取
（需有查看完整个人信息的角色；每次调用都会记录）。""")


def introduction(areas: list[str]) -> str:
    """The API's description: the areas it has (its routers' tags, in order), then how it works."""
    names = [str(AREA_NAMES.get(tag, tag)) for tag in areas]
    head = gettext("惠工的对外接口：%(areas)s。") % {"areas": pgettext("list separator", "、").join(names)}
    return f"{head}\n\n{ABOUT}"


class HuigongAPI(NinjaAPI):
    """NinjaAPI that remembers the tags of its routers, so that its description lists every area."""

    def add_router(self, prefix, router, *, tags=None, **kwargs):
        super().add_router(prefix, router, tags=tags, **kwargs)
        areas = self.__dict__.setdefault("areas", [])
        for tag in tags or getattr(router, "tags", None) or []:
            if tag not in areas:
                areas.append(tag)

    @property
    def description(self):
        # Lazy: written in the language of the request that asks for the OpenAPI document.
        return _introduction(self.__dict__.get("areas", []))

    @description.setter
    def description(self, value):  # NinjaAPI.__init__ sets it; the areas decide it
        pass


_introduction = lazy(introduction, str)


class Utf8JSONRenderer(JSONRenderer):
    # Names and messages are Chinese: send them as UTF-8 text rather than \u escapes.
    json_dumps_params: ClassVar[dict] = {"ensure_ascii": False}


api = HuigongAPI(
    title="Huigong 惠工 API",
    version="1",
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
