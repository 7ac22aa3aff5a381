"""Data and labels reach the dashboard's scripts inert: a node name or a translation that contains
</script> or quotes must not end the script or run (review, item 6)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.utils.safestring import mark_safe

from huigong.insights.rollups import rollups_refresh
from huigong.orgs.models import UnionNode

EVIL = "</script><script>alert(1)</script>"


def _page(user, **params):
    c = Client()
    c.force_login(user)
    r = c.get("/insights/", params)
    assert r.status_code == 200
    return r.content.decode()


def test_a_node_named_like_a_script_renders_inert(kpi_world):
    w = kpi_world
    UnionNode.objects.filter(pk=w.riders.pk).update(name=EVIL)
    rollups_refresh()
    text = _page(w.leader, node=w.xihu.pk, period="2025")
    assert "<script>alert(1)" not in text
    data = json.loads(re.search(r'<script id="dash-data" type="application/json">(.*?)</script>', text, re.S)[1])
    assert EVIL in [c["name"] for c in data["children"]]
    text = _page(w.leader, node=w.riders.pk, period="2025")
    assert "<script>alert(1)" not in text
    # The node picker lists it by name, escaped, and selected.
    assert f'<option value="{w.riders.pk}" selected>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</option>' in text


def test_labels_reach_the_script_as_inert_json(kpi_world, monkeypatch):
    """A translation is template text Django does not escape: one with a quote and </script> must stay
    inside the JSON the charts' script reads (there is no inline script: the CSP forbids it)."""
    from django.utils import translation

    real = translation._trans.gettext

    def hostile(message):
        if message == "新入会":
            return mark_safe('新入会"' + EVIL)
        return real(message)

    monkeypatch.setattr(translation._trans, "gettext", hostile)
    text = _page(kpi_world.leader, period="2025")
    assert "HG_DASH" not in text  # no inline script at all
    script = re.search(r'<script id="dash-config" type="application/json">(.*?)</script>', text, re.DOTALL)
    assert script is not None, "the configuration ended early"
    config = json.loads(script[1])
    assert config["labels"]["new"] == '新入会"' + EVIL
    assert config["nodeUrl"] == "?period=2025&node="


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_node_name_in_a_chart_tooltip_is_text_not_html(live_server, browser):
    """ECharts puts a formatter function's string into the tooltip as HTML."""
    import datetime as dt

    from huigong.insights.tests.test_dashboard_browser import _session_cookie
    from huigong.testing import Cast, make_member

    cast = Cast().build()
    for i in range(3):
        make_member(cast.city_admin, cast.riders, f"骑手{i}", employment_form="rider",
                    joined_on=dt.date(2025, 5, i + 1))
    UnionNode.objects.filter(pk=cast.riders.pk).update(name='<img src=x onerror="window.__xss=1">骑手')
    rollups_refresh()
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.add_cookies([_session_cookie(live_server, cast.leader)])
    page = ctx.new_page()
    page.goto(f"{live_server.url}/insights/?node={cast.xihu.pk}&period=2025")
    page.wait_for_selector("#chart-tree svg", timeout=10_000)
    page.locator("#chart-tree").scroll_into_view_if_needed()
    box = page.locator("#chart-tree").bounding_box()
    tips = []
    for fx, fy in ((0.3, 0.5), (0.9, 0.5), (0.3, 0.6)):
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=4)
        page.wait_for_timeout(300)
        tips.append(page.evaluate(
            "Array.from(document.querySelectorAll('div')).filter(d => !d.querySelector('div, svg') && "
            "d.style.zIndex === '9999999').map(d => d.innerHTML).join(' ')"))
    assert any("骑手" in t for t in tips), tips  # a tooltip showed the riders' union
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src=x]").count() == 0
    ctx.close()
