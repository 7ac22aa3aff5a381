"""Union and enterprise pickers (issue 15 item 10): every one is a searchable <select data-picker>, the search
answers JSON for the enhanced picker (scoped like the htmx one), and same-named unions show their parent."""

import json
import re

import pytest
from django.urls import reverse

from huigong.orgs.models import NodeLevel
from huigong.testing import make_node

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(cast):
    """Two grassroots unions with the same name under two districts: only the parent tells them apart."""
    cast.gongshu = make_node(cast.hangzhou, "拱墅区总工会", NodeLevel.DISTRICT)
    cast.twin_a = make_node(cast.xihu, "建筑工会", NodeLevel.GRASSROOTS)
    cast.twin_b = make_node(cast.gongshu, "建筑工会", NodeLevel.GRASSROOTS)
    return cast


def test_node_picker_answers_json_with_the_parent_of_each_union(client, twins):
    client.force_login(twins.city_admin)
    r = client.get(reverse("orgs:node_picker"), {"q": "建筑", "format": "json"})
    assert r["Content-Type"] == "application/json"
    texts = {x["value"]: x["text"] for x in json.loads(r.content)["results"]}
    assert texts[str(twins.twin_a.pk)].endswith(" · 西湖区总工会")
    assert texts[str(twins.twin_b.pk)].endswith(" · 拱墅区总工会")
    # the same scope as the htmx search: nothing of Hangzhou for the outsider
    client.force_login(twins.outsider)
    r = client.get(reverse("orgs:node_picker"), {"q": "建筑", "format": "json"})
    assert json.loads(r.content)["results"] == []
    r = client.get(reverse("orgs:enterprise_picker"), {"q": "杭州", "format": "json"})
    assert json.loads(r.content)["results"] == []
    client.force_login(twins.city_admin)
    r = client.get(reverse("orgs:enterprise_picker"), {"q": "杭州", "format": "json"})
    assert [x["value"] for x in json.loads(r.content)["results"]] == [str(twins.enterprise.pk)]


def test_union_and_enterprise_fields_render_searchable_pickers(client, twins):
    client.force_login(twins.city_admin)
    html = client.get(reverse("orgs:enterprise_create")).content.decode()
    select = re.search(r'<select name="union".*?>', html).group(0)
    assert "data-picker" in select and "format=json" in select
    assert " · 拱墅区总工会</option>" in html


@pytest.mark.parametrize("url_name", ["assistance:rule_list", "assistance:sweep_create", "accounts:staff_create"])
def test_full_union_lists_are_searchable_and_tell_twins_apart(client, twins, url_name):
    client.force_login(twins.city_admin)
    html = client.get(reverse(url_name)).content.decode()
    select = re.search(r'<select name="node".*?</select>', html, re.DOTALL).group(0)
    assert "data-picker" in select
    assert f'<option value="{twins.twin_a.pk}">' in select
    labels = re.findall(rf'<option value="(?:{twins.twin_a.pk}|{twins.twin_b.pk})">([^<]*)</option>', select)
    assert sorted(label.strip("\u3000") for label in labels) == ["建筑工会 · 拱墅区总工会", "建筑工会 · 西湖区总工会"]
    assert "杭州某科技公司工会 ·" not in select  # a unique name needs no context


def test_a_pickers_options_are_the_markup_djangos_select_renders(twins):
    """PickerWidget writes its options as one string (the fast path): the same options, values, labels,
    escaping and selection as Django's own select rendering of the same choices."""
    from django import forms as django_forms

    from huigong.members.forms import MemberFilterForm

    twins.twin_a.name = '建筑工会 <b>&"'
    twins.twin_a.save()
    for data in ({}, {"node": str(twins.twin_a.pk)}):
        form = MemberFilterForm(data, actor=twins.city_admin)
        form.is_valid()
        html = str(form["node"])
        widget = form.fields["node"].widget
        value = data.get("node")
        plain = django_forms.Select(choices=widget.options(value)).render("node", value)
        ours = re.findall(r"<option[^>]*>[^<]*</option>", html)
        django_options = re.findall(r"<option[^>]*>[^<]*</option>", plain)
        assert ours == django_options and len(ours) > 5, data
        assert ('建筑工会 &lt;b&gt;&amp;&quot;' in html) and ("<b>" not in html)
        assert (f'<option value="{twins.twin_a.pk}" selected>' in html) == bool(value)
