"""The console shell (base.html): navigation per role, guarded links, language switch, pager."""

import pytest
from django.core.paginator import Paginator
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse

from huigong.accounts.templatetags.console import nav_url, safe_reverse


def _nav_links(html: str) -> dict[str, bool]:
    return {label: label in html for label in ("首页", "组织架构", "审计日志", "账号管理", "接口令牌", "名册导入")}


def test_admin_sees_audit_and_staff_management_in_the_nav(client, cast):
    client.force_login(cast.city_admin)
    html = client.get(reverse("console:home")).content.decode()
    assert f'href="{reverse("console:audit")}"' in html
    assert f'href="{reverse("accounts:staff_list")}"' in html
    assert f'href="{reverse("accounts:tokens")}"' in html
    # Top bar: node, role, user, sign-out form, language switch.
    assert "杭州市总工会" in html and "管理员" in html and "city_admin" in html
    assert f'action="{reverse("accounts:logout")}"' in html
    assert f'action="{reverse("set_language")}"' in html and 'value="en"' in html


def test_viewer_sees_no_audit_or_staff_management_links(client, cast):
    client.force_login(cast.viewer)
    html = client.get(reverse("console:home")).content.decode()
    assert f'href="{reverse("console:audit")}"' not in html
    assert f'href="{reverse("accounts:staff_list")}"' not in html
    assert f'href="{reverse("accounts:tokens")}"' in html


def test_leader_sees_audit_but_not_staff_management(client, cast):
    client.force_login(cast.leader)
    html = client.get(reverse("console:home")).content.decode()
    assert f'href="{reverse("console:audit")}"' in html
    assert f'href="{reverse("accounts:staff_list")}"' not in html


def test_current_page_is_marked_active(client, cast):
    client.force_login(cast.city_admin)
    html = client.get(reverse("console:audit")).content.decode()
    assert f'<a href="{reverse("console:audit")}" class="active" aria-current="page">' in html


def test_missing_url_names_render_nothing_instead_of_crashing():
    assert nav_url("nope:missing") == ""
    assert safe_reverse("console:home") == "/"
    out = Template("{% load console %}{% nav_url 'nope:missing' as u %}[{{ u }}]").render(Context({}))
    assert out == "[]"


def test_static_assets_are_local_only(client, cast):
    client.force_login(cast.city_admin)
    html = client.get(reverse("console:home")).content.decode()
    assert "/static/vendor/htmx.min.js" in html and "/static/css/console.css" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_language_switch_serves_english(client, cast):
    client.force_login(cast.city_admin)
    resp = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert resp.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html


@pytest.mark.parametrize("page,expected", [(1, ["page=2", "q=%E5%BC%A0"]), (7, ["page=6", "page=8", "…"])])
def test_pagination_keeps_filters(page, expected):
    request = RequestFactory().get("/members/", {"q": "张", "form": "rider", "page": page})
    page_obj = Paginator(list(range(1000)), 50).get_page(page)
    html = Template('{% include "partials/pagination.html" %}').render(
        RequestContext(request, {"page_obj": page_obj}))
    assert "共 1000 条" in html
    for fragment in expected:
        assert fragment in html
    assert "form=rider" in html
    # Elided: a 20-page list does not print every page number.
    assert "page=15" not in html


def test_form_field_partial_shows_label_help_and_errors_in_red():
    from django import forms

    class F(forms.Form):
        phone = forms.CharField(label="手机号", help_text="11位手机号")

    form = F({"phone": ""})
    form.is_valid()
    html = Template('{% include "partials/form_field.html" with field=form.phone %}').render(Context({"form": form}))
    assert '<label for="id_phone">手机号</label>' in html
    assert 'class="help"' in html and "11位手机号" in html
    assert 'class="error"' in html and "has-error" in html and "required" in html


def test_anonymous_user_is_sent_to_login(client, db):
    resp = client.get(reverse("console:home"))
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("accounts:login"))


def test_the_menu_is_in_collapsible_groups_and_the_current_pages_is_open(client, cast):
    """Entries sit in the sections their NavEntry.group names, in the product's order; each section is a
    <details> (keyboard and screen readers get a disclosure), open only when it holds the current page."""
    import re

    client.force_login(cast.city_admin)
    html = client.get(reverse("members:list")).content.decode()
    nav = html[html.index('<nav class="nav"'):html.index("</nav>", html.index('<nav class="nav"'))]
    groups = re.findall(r'<details data-nav-group="([^"]+)"( open)?', nav)
    assert [g for g, _ in groups] == ["组织与会员", "帮扶与福利", "活动与教育", "荣誉与创新", "体检与调研", "分析", "系统"]
    assert [g for g, is_open in groups if is_open] == ["组织与会员"]
    org = nav[nav.index('data-nav-group="组织与会员"'):nav.index("</details>", nav.index('data-nav-group="组织与会员"'))]
    assert 'aria-current="page"' in org and f'href="{reverse("members:list")}"' in org
    assert nav.index("首页") < nav.index("<details")  # the home link stands above the sections
    system = nav[nav.index('data-nav-group="系统"'):]
    assert f'href="{reverse("console:audit")}"' in system.split("</details>")[0]
    html = client.get(reverse("console:home")).content.decode()
    assert re.findall(r'<details data-nav-group="[^"]+" open', html) == []  # no section holds the home page
