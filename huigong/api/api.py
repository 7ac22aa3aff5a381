"""The JSON API at /api/v1/: the same selectors and services as the console pages, the same
scoping, typed schemas in and out, an OpenAPI document and interactive docs served locally."""

from typing import ClassVar

from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from huigong.core import contrib

from . import errors
from .auth import StaffSessionAuth, TokenAuth, staff_docs_required
from .docs import LocalSwagger


def area_names() -> dict:
    """The name of each area (an OpenAPI tag) in the introduction, from the apps' router declarations.
    A tag without a declared name still appears there, under its own name, so no area is left out."""
    names: dict = {}
    for r in contrib.collect("api_routers"):
        for tag in r.tags:
            if r.area is not None:
                names.setdefault(tag, r.area)
    return names


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
    known = area_names()
    names = [str(known.get(tag, tag)) for tag in areas]
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



def mount_routers(target: NinjaAPI) -> None:
    """Every app's declared routers (contributions.api_routers), in INSTALLED_APPS order."""
    for r in contrib.collect("api_routers"):
        target.add_router(r.prefix, contrib.resolve(r.router), tags=list(r.tags))


mount_routers(api)
