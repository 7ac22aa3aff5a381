"""One error shape for the whole API:
   401/403/404/409 → {"detail": "<bilingual text>"}
   422            → {"detail": [{"field": "...", "message": "<bilingual text>"}, ...]}
whether the fault was found by the schema (pydantic) or by a service (Django ValidationError)."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

# Services name model fields ("union"); the API takes references as "<name>_id". Every reference
# in the API follows that rule, so the mapping is global rather than per route.
FIELD_ALIASES = {
    "union": "union_id",
    "parent": "parent_id",
    "new_parent": "new_parent_id",
    "to_union": "to_union_id",
    "employer": "employer_id",
    "platform": "platform_id",
    "enterprise": "enterprise_id",
}

_SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}
# Body parameters are all called "payload" in the route functions; it is not a field the client sees.
_PARAM_NAMES = {"payload", "filters", "page"}

_PYDANTIC_ZH = {
    "missing": gettext_lazy("必填"),
    "string_too_short": gettext_lazy("不能为空或过短"),
    "string_too_long": gettext_lazy("过长"),
    "int_parsing": gettext_lazy("应为整数"),
    "int_type": gettext_lazy("应为整数"),
    "date_from_datetime_parsing": gettext_lazy("日期格式应为 YYYY-MM-DD"),
    "date_parsing": gettext_lazy("日期格式应为 YYYY-MM-DD"),
    "date_type": gettext_lazy("日期格式应为 YYYY-MM-DD"),
    "enum": gettext_lazy("取值无效"),
    "literal_error": gettext_lazy("取值无效"),
    "greater_than_equal": gettext_lazy("数值过小"),
    "less_than_equal": gettext_lazy("数值过大"),
    "too_short": gettext_lazy("至少需要一项"),
    "decimal_parsing": gettext_lazy("应为数字"),
    "float_parsing": gettext_lazy("应为数字"),
    "bool_parsing": gettext_lazy("应为 true 或 false"),
    "json_invalid": gettext_lazy("JSON 格式错误"),
    "model_attributes_type": gettext_lazy("应为对象"),
    "dict_type": gettext_lazy("应为对象"),
    "list_type": gettext_lazy("应为列表"),
    "extra_forbidden": gettext_lazy("不允许的字段"),
}


def _field_from_loc(loc) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if parts and parts[0] in _PARAM_NAMES:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def schema_errors(errors: list[dict]) -> list[dict]:
    out = []
    for err in errors:
        field = _field_from_loc(err.get("loc", ()))
        msg = err.get("msg", "invalid")
        if err.get("type") == "value_error":
            # Our own validators already write a translated message.
            message = msg.removeprefix("Value error, ")
        else:
            problem = _PYDANTIC_ZH.get(err.get("type", "")) or _("格式不正确")
            message = _("%(field)s：%(problem)s") % {"field": field, "problem": problem}
        out.append({"field": field, "message": message})
    return out


def service_errors(exc: DjangoValidationError) -> list[dict]:
    out = []
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            for message in errs:
                out.append({"field": FIELD_ALIASES.get(field, field), "message": str(message)})
    else:
        for message in exc.messages:
            out.append({"field": "__all__", "message": str(message)})
    return out


def install(api: NinjaAPI) -> None:
    def on_schema_error(request, exc: NinjaValidationError):
        return api.create_response(request, {"detail": schema_errors(exc.errors)}, status=422)

    def on_service_error(request, exc: DjangoValidationError):
        return api.create_response(request, {"detail": service_errors(exc)}, status=422)

    def on_denied(request, exc: PermissionDenied):
        message = str(exc) or _("无权访问")
        return api.create_response(request, {"detail": message}, status=403)

    def on_not_found(request, exc: Http404):
        return api.create_response(request, {"detail": _("未找到")}, status=404)

    def on_unauthenticated(request, exc: AuthenticationError):
        message = (
            exc.message if exc.message != "Unauthorized" else _("请先登录或提供令牌")
        )
        response = api.create_response(request, {"detail": message}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="huigong"'
        return response

    def on_http_error(request, exc: HttpError):
        # ninja's own refusals, in English only; give them the API's voice (in the request's language).
        message = str(exc)
        if exc.status_code == 400 and message.startswith("Cannot parse request body"):
            message = _("请求体无法解析，应为 JSON")
        elif exc.status_code == 403 and "CSRF" in message:
            message = _("CSRF 校验失败：会话写操作需带 X-CSRFToken 头")
        return api.create_response(request, {"detail": message}, status=exc.status_code)

    def on_conflict(request, exc: IntegrityError):
        # A uniqueness race the service's own checks could not see (two requests at once).
        return api.create_response(
            request, {"detail": _("数据冲突，请刷新后重试")}, status=409
        )

    api.add_exception_handler(NinjaValidationError, on_schema_error)
    api.add_exception_handler(DjangoValidationError, on_service_error)
    api.add_exception_handler(PermissionDenied, on_denied)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(AuthenticationError, on_unauthenticated)
    api.add_exception_handler(IntegrityError, on_conflict)


@contextmanager
def fields_renamed(mapping: dict[str, str]):
    """For a route whose input names a field differently from what the service reports (a transfer's
    `to_union_id` is the service's generic `union` check), rename it in the 422."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise DjangoValidationError({mapping.get(f, f): errs for f, errs in exc.error_dict.items()}) from None
