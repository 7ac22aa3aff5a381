"""Audit events in human terms for the audit log page: what was done to what (动作 labels instead of
dotted verbs), field names as the model calls them, money in yuan rather than fen, unions by name rather
than id, and a link to the object where its app declares one.

Nothing here knows a domain: labels come from the models' own verbose names and from a small table of
actions; links come from each app's AppConfig `audit_object_urls` ({"app.model": "namespace:url_name"},
the URL taking the object's id)."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.core.money import format_yuan

ACTIONS = {
    "accept": gettext_lazy("接受"), "activate": gettext_lazy("启用"), "apply": gettext_lazy("应用"),
    "approve": gettext_lazy("批准"), "bulk": gettext_lazy("批量处理"), "bulk_record": gettext_lazy("批量登记"),
    "cancel": gettext_lazy("取消"), "close": gettext_lazy("关闭"), "create": gettext_lazy("新建"),
    "deactivate": gettext_lazy("停用"), "decline": gettext_lazy("拒绝"), "delete": gettext_lazy("删除"),
    "end": gettext_lazy("结束"), "evidence_add": gettext_lazy("添加证明材料"), "export": gettext_lazy("导出"),
    "export_again": gettext_lazy("重新导出"), "fail": gettext_lazy("失败"), "failed": gettext_lazy("登记失败"),
    "give": gettext_lazy("发放"), "grant": gettext_lazy("授予"), "import_results": gettext_lazy("导入银行回盘"),
    "login": gettext_lazy("登录"), "member_add": gettext_lazy("添加成员"), "member_remove": gettext_lazy("移除成员"),
    "move": gettext_lazy("移动"), "notice": gettext_lazy("公示"), "objection": gettext_lazy("登记异议"),
    "objection_resolve": gettext_lazy("处理异议"), "objection_upheld": gettext_lazy("异议成立"),
    "open": gettext_lazy("开启"), "paid": gettext_lazy("登记到账"), "password": gettext_lazy("设置密码"),
    "password_change": gettext_lazy("修改密码"), "preview": gettext_lazy("预览"), "promote": gettext_lazy("候补递补"),
    "publish": gettext_lazy("发布"), "record": gettext_lazy("登记"), "reencrypt": gettext_lazy("重新加密"),
    "reject": gettext_lazy("驳回"), "report_request": gettext_lazy("申请报告"), "reset_password": gettext_lazy("重置密码"),
    "retry": gettext_lazy("重新发送"), "review": gettext_lazy("复核"), "revoke": gettext_lazy("吊销"),
    "rollback": gettext_lazy("回滚"), "rules_apply": gettext_lazy("套用排查标准"), "save": gettext_lazy("保存"),
    "seed": gettext_lazy("生成演示数据"), "sent": gettext_lazy("提交银行"), "set": gettext_lazy("设置"),
    "sub_quota": gettext_lazy("设置分配名额"), "submit": gettext_lazy("提交"), "totp_enrol": gettext_lazy("绑定动态口令"),
    "transfer": gettext_lazy("转出"), "transfer_in": gettext_lazy("转入"), "update": gettext_lazy("修改"),
    "waitlist": gettext_lazy("登记候补"), "withdraw": gettext_lazy("撤回/退出"),
}
# Keys that name a union by id in old/new values.
NODE_KEYS = {"union", "to_union", "from_union", "node", "parent", "routed_to", "union_id", "node_id"}


def _model(object_type: str):
    try:
        return apps.get_model(object_type) if "." in object_type else None
    except (LookupError, ValueError):
        return None


def object_label(object_type: str) -> str:
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def verb_label(verb: str, object_type: str) -> str:
    action = verb.rsplit(".", 1)[-1]
    act = ACTIONS.get(action)
    if act is None:
        return verb
    return _("%(action)s%(thing)s") % {"action": act, "thing": object_label(object_type)}


def _field_label(model, key: str) -> str:
    if model is not None:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            return key
        # A reverse relation (e.g. a file's "members" list) has no verbose_name of its own.
        label = getattr(field, "verbose_name", None)
        if label is None and getattr(field, "related_model", None) is not None:
            label = field.related_model._meta.verbose_name_plural
        return str(label) if label else key
    return key


def object_url(object_type: str, object_id: str) -> str:
    if not object_id.isdigit():
        return ""
    for config in apps.get_app_configs():
        name = getattr(config, "audit_object_urls", {}).get(object_type)
        if name:
            try:
                return reverse(name, args=[int(object_id)])
            except NoReverseMatch:
                return ""
    return ""


def _node_names(events) -> dict[int, str]:
    from huigong.orgs.models import UnionNode

    ids = set()
    for e in events:
        for side in (e.old, e.new):
            if isinstance(side, dict):
                ids.update(v for k, v in side.items() if k in NODE_KEYS and isinstance(v, int))
    return dict(UnionNode.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def _show(value) -> str:
    import json

    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _value(key: str, value, names: dict[int, str]) -> str:
    if key.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool):
        return format_yuan(value)
    if key in NODE_KEYS and isinstance(value, int) and value in names:
        return names[value]
    return _show(value)


def diff_rows(old, new, *, object_type: str = "", names: dict[int, str] | None = None) -> list[dict]:
    """old/new as rows a person can read: one per field, labelled as the model labels it, with the
    before and after values (money in yuan, unions by name)."""
    names = names or {}
    old = old if isinstance(old, dict) else ({} if old is None else {"value": old})
    new = new if isinstance(new, dict) else ({} if new is None else {"value": new})
    model = _model(object_type)
    rows = []
    for key in list(dict.fromkeys([*old.keys(), *new.keys()])):
        if key.endswith("_fen"):
            label = _("%(field)s（元）") % {"field": _field_label(model, key)}
        else:
            label = _field_label(model, key)
        rows.append({
            "key": label,
            "old": _value(key, old[key], names) if key in old else None,
            "new": _value(key, new[key], names) if key in new else None,
        })
    return rows


def decorate(events) -> None:
    """Adds .label, .object_label, .url and .rows to each event of a page (one query for union names)."""
    events = list(events)
    names = _node_names(events)
    for e in events:
        e.label = verb_label(e.verb, e.object_type)
        e.object_label = object_label(e.object_type)
        e.url = object_url(e.object_type, e.object_id)
        e.rows = diff_rows(e.old, e.new, object_type=e.object_type, names=names)
