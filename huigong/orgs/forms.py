"""Forms of the organisation pages, and the search pickers every page uses to choose a union or an
enterprise. A subtree can hold thousands of nodes, so a picker renders only the first ones (and the
selected one) and finds the rest through a small htmx search; validation still covers the whole scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar
from urllib.parse import urlencode

from django import forms
from django.forms.boundfield import BoundField
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huigong.core import uscc
from huigong.core.scope import root_path

from . import selectors
from .models import (
    MEMBERSHIP_LEVELS,
    Enterprise,
    EnterpriseKind,
    EnterpriseSize,
    NodeLevel,
    SiteKind,
    UnionNode,
)

# The messages Django's fields raise, each naming the field (its label, translated when shown).
FIELD_ERRORS = {
    "required": _("%(field)s不能为空"),
    "invalid": _("%(field)s格式不正确"),
    "invalid_choice": _("%(field)s的选项无效"),
    "max_length": _("%(field)s过长（最多 %(limit_value)d 个字符）"),
    "min_value": _("%(field)s不能小于 %(limit_value)s"),
    "max_value": _("%(field)s不能大于 %(limit_value)s"),
    "max_digits": _("%(field)s位数过多"),
    "max_decimal_places": _("%(field)s小数位过多"),
    "max_whole_digits": _("%(field)s整数位过多"),
}


def _name_the_field(message, label) -> str:
    # Not "%" formatting: Django fills in %(limit_value)d later.
    return str(message).replace("%(field)s", str(label))


_named = lazy(_name_the_field, str)


def field_errors(label) -> dict[str, str]:
    """Field error messages naming the field (`label`, a lazy translation), in the request's language."""
    return {code: _named(message, label) for code, message in FIELD_ERRORS.items()}


def node_label(node: UnionNode, indent_from: int | None = None, parent: str = "") -> str:
    """"name（code）", indented by depth inside a tree-ordered list; with `parent`, "· parent" after it,
    so that same-named unions (every district has its 总工会) are told apart in search results."""
    pad = "\u3000" * max(0, node.depth - indent_from) if indent_from else ""
    return f"{pad}{node.name}（{node.code}）" + (f" · {parent}" if parent else "")


def parent_names(nodes) -> dict[str, str]:
    """The parent's name of each node by the node's path, in one query."""
    paths = {n.path[: -UnionNode.steplen] for n in nodes if len(n.path) > UnionNode.steplen}
    names = selectors.node_names_by_path(paths) if paths else {}
    return {n.path: names.get(n.path[: -UnionNode.steplen], "") for n in nodes}


class _NamedSelectBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        # Computed at render time, so the name is in the language of the request (not of the import).
        if self.label and "aria-label" not in attrs and "aria-label" not in (widget or self.field.widget).attrs:
            attrs["aria-label"] = str(self.label)
        return attrs


class NamedSelectMixin:
    """A picker's visible label points at its search box (static/js/pickers.js): the <select> itself
    carries the field's name as aria-label (axe select-name), in the language of the request."""

    def get_bound_field(self, form, field_name):
        return _NamedSelectBoundField(form, self, field_name)


class TreeChoiceMixin(NamedSelectMixin):
    """For a ModelChoiceField over a tree-ordered list of unions: searchable (static/js/pickers.js), and a
    union whose name repeats in the list (every district has its 总工会) shows its parent's name after it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"data-picker": "", "data-picker-empty": _("没有匹配的结果")})

    def with_context(self, obj: UnionNode, label: str) -> str:
        cache = getattr(self, "_tree_names", None)
        if cache is None or cache[0] is not self.queryset:
            names = dict(self.queryset.values_list("path", "name"))
            seen: dict[str, int] = {}
            for name in names.values():
                seen[name] = seen.get(name, 0) + 1
            cache = self._tree_names = (self.queryset, names, {n for n, c in seen.items() if c > 1})
        _qs, names, repeated = cache
        parent = names.get(obj.path[: -UnionNode.steplen]) if obj.name in repeated else None
        return f"{label} · {parent}" if parent else label


class PickerWidget(forms.Select):
    """A <select> whose options come from `options(value)` at render time, preceded by a search box that
    swaps the options through htmx. The search box belongs to no form, so it is never submitted."""

    template_name = "orgs/widgets/picker.html"

    def __init__(self, *, search_url_name: str, search_params: dict | None = None,
                 options: Callable[[str | None], list[tuple[str, str]]] | None = None, attrs=None):
        super().__init__(attrs=attrs)
        self.search_url_name = search_url_name
        self.search_params = search_params or {}
        self.options = options
        # Set by `options` while rendering: the search box only shows when the list is not complete.
        self.searchable = True

    def optgroups(self, name, value, attrs=None):
        if self.options is None:
            return super().optgroups(name, value, attrs)
        selected_value = str(value[0]) if value and value[0] not in (None, "") else None
        groups = []
        for index, (opt_value, label) in enumerate(self.options(selected_value)):
            selected = opt_value == (selected_value or "")
            groups.append((None, [self.create_option(name, opt_value, label, selected, index, attrs=attrs)],
                           index))
        return groups

    def get_context(self, name, value, attrs):
        if self.options is None:
            ctx = super().get_context(name, value, attrs)
        else:
            # The options as one string built here rather than an optgroup structure rendered option by
            # option through Django's select_option/attrs templates: the same markup, at a tenth of the
            # cost (two pickers of 100 options were ~20 ms of a member list's ~50 ms of CPU).
            ctx = forms.Widget.get_context(self, name, value, attrs)
            current = ctx["widget"]["value"]
            selected_value = str(current[0]) if current and current[0] not in (None, "") else None
            ctx["widget"]["optgroups"] = []
            ctx["widget"]["options_html"] = format_html_join(
                "\n", '<option value="{}"{}>{}</option>',
                ((opt_value, mark_safe(" selected") if opt_value == (selected_value or "") else "", label)
                 for opt_value, label in self.options(selected_value)))
        params = {**self.search_params, "field": f"{name}__search"}
        ctx["widget"]["search_url"] = f"{reverse(self.search_url_name)}?{urlencode(params)}"
        ctx["widget"]["search_name"] = f"{name}__search"
        ctx["widget"]["searchable"] = self.searchable
        # Enhanced by static/js/pickers.js into a searchable picker asking the same view for JSON.
        json_params = urlencode({**self.search_params, "format": "json"})
        ctx["widget"]["attrs"].update({"data-picker": "", "data-picker-empty": _("没有匹配的结果"),
                                       "data-picker-url": f"{reverse(self.search_url_name)}?{json_params}"})
        return ctx


class NodeField(NamedSelectMixin, forms.ModelChoiceField):
    """A union of the actor's subtree (or, with anywhere=True, of the whole tree: transfers)."""

    def __init__(self, *, actor, members_only: bool = False, anywhere: bool = False, **kwargs):
        required = kwargs.get("required", True)
        qs = UnionNode.objects.all() if anywhere else selectors.node_list_for_actor(actor)
        if members_only:
            qs = qs.filter(level__in=list(MEMBERSHIP_LEVELS))
        self.actor, self.members_only, self.anywhere = actor, members_only, anywhere
        params = {}
        if members_only:
            params["members"] = "1"
        if anywhere:
            params["anywhere"] = "1"
        if not required:
            params["blank"] = "all"
        kwargs.setdefault("empty_label", _("— 请选择 —") if required else _("— 全部 —"))
        super().__init__(queryset=qs, widget=PickerWidget(search_url_name="orgs:node_picker",
                                                          search_params=params, options=self._options),
                         **kwargs)

    def label_from_instance(self, obj: UnionNode) -> str:
        return node_label(obj)

    def _options(self, selected: str | None) -> list[tuple[str, str]]:
        chosen = self.queryset.filter(pk=selected).first() if selected and selected.isdigit() else None
        nodes, more = selectors.node_picker_choices(self.actor, members_only=self.members_only, selected=chosen)
        self.widget.searchable = more or self.anywhere
        top = len(root_path(self.actor)) // UnionNode.steplen
        opts = [("", str(self.empty_label))] if self.empty_label is not None else []
        # The tree's indentation shows where a union sits; a name that repeats also gets its parent's name.
        names = [n.name for n in nodes]
        repeated = [n for n in nodes if names.count(n.name) > 1]
        parents = parent_names(repeated) if repeated else {}
        opts += [(str(n.pk), node_label(n, top, parents.get(n.path, ""))) for n in nodes]
        return opts


class EnterpriseField(NamedSelectMixin, forms.ModelChoiceField):
    """An enterprise (or, with kind="platform", a platform) covered by a union of the actor's subtree."""

    def __init__(self, *, actor, kind: str = "", blank: str = "none", **kwargs):
        """blank: how the empty choice reads — "none" (no employer) or "all" (a filter)."""
        qs = Enterprise.objects.filter(union__path__startswith=root_path(actor))
        if kind:
            qs = qs.filter(kind=kind)
        self.actor, self.kind = actor, kind
        params = {"kind": kind} if kind else {}
        if not kwargs.get("required", True):
            params["blank"] = blank
        kwargs.setdefault("empty_label", _("— 全部 —") if blank == "all" else _("— 无 —"))
        super().__init__(queryset=qs, widget=PickerWidget(search_url_name="orgs:enterprise_picker",
                                                          search_params=params, options=self._options),
                         **kwargs)

    def label_from_instance(self, obj: Enterprise) -> str:
        return obj.name

    def _options(self, selected: str | None) -> list[tuple[str, str]]:
        chosen = self.queryset.filter(pk=selected).first() if selected and selected.isdigit() else None
        items, more = selectors.enterprise_picker_choices(self.actor, kind=self.kind, selected=chosen)
        self.widget.searchable = more
        opts = [("", str(self.empty_label))] if self.empty_label is not None else []
        return opts + [(str(e.pk), e.name) for e in items]


ALL_LABEL = _("— 全部 —")


def _with_blank(choices, label=ALL_LABEL):
    return [("", label), *choices]


# --- Nodes -------------------------------------------------------------------------------------------

class NodeForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=120, error_messages=field_errors(_("名称")))
    code = forms.CharField(label=_("编码"), max_length=32, error_messages=field_errors(_("编码")),
                           help_text=_("全国唯一，例如 HZ-XH-001"))
    level = forms.ChoiceField(label=_("层级"), choices=NodeLevel.choices, initial=NodeLevel.GRASSROOTS,
                              error_messages=field_errors(_("层级")))
    region_code = forms.CharField(label=_("行政区划代码"), max_length=6, required=False,
                                  error_messages=field_errors(_("行政区划代码")),
                                  help_text=_("6位数字，例如 330106"))
    address = forms.CharField(label=_("地址"), max_length=255, required=False,
                              error_messages=field_errors(_("地址")))
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False,
                                   error_messages=field_errors(_("联系人")))
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False,
                                    error_messages=field_errors(_("联系电话")))


class NodeMoveForm(forms.Form):
    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"] = NodeField(actor=actor, label=_("新的上级工会"),
                                              error_messages=field_errors(_("新的上级工会")))


class TreeSearchForm(forms.Form):
    q = forms.CharField(label=_("查找组织"), required=False, max_length=60)


# --- Enterprises -------------------------------------------------------------------------------------

class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=200, error_messages=field_errors(_("单位名称")))
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=20,
                           error_messages=field_errors(_("统一社会信用代码")),
                           help_text=_("18位，末位为校验码"))
    kind = forms.ChoiceField(label=_("类型"), choices=EnterpriseKind.choices, error_messages=field_errors(_("类型")))
    industry = forms.CharField(label=_("行业"), max_length=64, required=False,
                               error_messages=field_errors(_("行业")))
    size = forms.ChoiceField(label=_("规模"), choices=_with_blank(EnterpriseSize.choices, _("— 未填 —")),
                             required=False, error_messages=field_errors(_("规模")))
    employee_count = forms.IntegerField(label=_("职工人数"), min_value=0, max_value=10_000_000, initial=0,
                                        error_messages=field_errors(_("职工人数")))
    region_code = forms.CharField(label=_("行政区划代码"), max_length=6, required=False,
                                  error_messages=field_errors(_("行政区划代码")))
    address = forms.CharField(label=_("地址"), max_length=255, required=False,
                              error_messages=field_errors(_("地址")))

    field_order: ClassVar[list[str]] = ["name", "uscc", "kind", "union", "industry", "size", "employee_count", "region_code", "address"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["union"] = NodeField(actor=actor, label=_("覆盖工会"),
                                         error_messages=field_errors(_("覆盖工会")))
        self.order_fields(self.field_order)

    def clean_uscc(self):
        # The same rule the service applies, checked here too so that every field error shows at once.
        try:
            return uscc.validate(self.cleaned_data["uscc"])
        except uscc.UsccError as e:
            raise forms.ValidationError(str(e)) from None

    def clean_region_code(self):
        value = self.cleaned_data["region_code"].strip()
        if value and (len(value) != 6 or not value.isdigit()):
            raise forms.ValidationError(gettext("行政区划代码应为6位数字"))
        return value


class EnterpriseFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或信用代码"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=_with_blank(EnterpriseKind.choices))
    industry = forms.ChoiceField(label=_("行业"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = _with_blank(
            [(i, i) for i in selectors.enterprise_industries_for_actor(actor)])
        self.fields["node"] = NodeField(actor=actor, label=_("所属工会（含下级）"), required=False)


# --- Service sites -----------------------------------------------------------------------------------

class SiteForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=200, error_messages=field_errors(_("名称")))
    kind = forms.ChoiceField(label=_("类型"), choices=SiteKind.choices, error_messages=field_errors(_("类型")))
    address = forms.CharField(label=_("地址"), max_length=255, error_messages=field_errors(_("地址")))
    latitude = forms.DecimalField(label=_("纬度"), max_digits=9, decimal_places=6, required=False,
                                  error_messages=field_errors(_("纬度")), help_text=_("例如 30.259244"))
    longitude = forms.DecimalField(label=_("经度"), max_digits=9, decimal_places=6, required=False,
                                   error_messages=field_errors(_("经度")), help_text=_("例如 120.130211"))
    opening_hours = forms.CharField(label=_("开放时间"), max_length=120, required=False,
                                    error_messages=field_errors(_("开放时间")),
                                    help_text=_("例如 周一至周五 9:00-17:00"))
    services = forms.CharField(label=_("服务内容"), max_length=255, required=False,
                               error_messages=field_errors(_("服务内容")))
    phone = forms.CharField(label=_("电话"), max_length=30, required=False, error_messages=field_errors(_("电话")))
    is_active = forms.BooleanField(label=_("开放中"), required=False, initial=True)

    field_order: ClassVar[list[str]] = ["name", "kind", "union", "address", "latitude", "longitude", "opening_hours", "services",
                   "phone", "is_active"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["union"] = NodeField(actor=actor, label=_("所属工会"),
                                         error_messages=field_errors(_("所属工会")))
        self.order_fields(self.field_order)


class SiteFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=_with_blank(SiteKind.choices))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"] = NodeField(actor=actor, label=_("所属工会（含下级）"), required=False)


def apply_service_errors(form: forms.Form, exc, field_map: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form: dict keys become field errors, the rest go on top."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            name = field_map.get(key, key)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
