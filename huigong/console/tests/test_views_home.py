"""The node's home: headline figures of the subtree, children with rolled-up counts, recent activity."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from huigong.accounts.models import Role
from huigong.members.models import EmploymentForm
from huigong.orgs.models import NodeLevel
from huigong.testing import make_member, make_node, make_staff


def _stat(html: str, testid: str) -> str:
    import re

    m = re.search(rf'data-testid="{testid}">.*?class="stat-value">([^<]*)<', html, re.DOTALL)
    return m.group(1).strip()


def test_home_shows_the_subtree_figures(client, cast):
    make_member(cast.city_admin, cast.tech, "周新", joined_on=timezone.localdate(),
                employment_form=EmploymentForm.COURIER)
    client.force_login(cast.city_admin)
    resp = client.get(reverse("console:home"))
    html = resp.content.decode()
    assert resp.status_code == 200 and "杭州市总工会" in html
    assert _stat(html, "stat-members") == "3"
    assert _stat(html, "stat-new-month") == "1"
    assert _stat(html, "stat-new-forms") == "2" and "占会员 66.7%" in html
    assert _stat(html, "stat-enterprises") == "1" and _stat(html, "stat-platforms") == "1"
    assert _stat(html, "stat-sites") == "0"
    # Children table: 西湖区总工会 with every member below it rolled up.
    assert "西湖区总工会" in html
    assert "赵青岛" not in html and "青岛" not in html


def test_children_table_rolls_up_and_links_to_node_pages(client, cast):
    import re

    make_member(cast.city_admin, cast.riders, "孙骑手", employment_form=EmploymentForm.RIDER)
    client.force_login(cast.city_admin)
    html = client.get(reverse("console:home")).content.decode()
    row = re.search(r"<tr>\s*<td><a href=\"([^\"]+)\">西湖区总工会</a>.*?</tr>", html, re.DOTALL)
    assert row.group(1) == reverse("orgs:node_detail", args=[cast.xihu.pk])
    # 1 member in the tech union + 2 in the riders' union, all below 西湖区总工会.
    assert re.findall(r'<td class="num">([^<]+)</td>', row.group(0))[-1] == "3"


def test_outsider_sees_only_its_own_subtree(client, cast):
    client.force_login(cast.outsider)
    html = client.get(reverse("console:home")).content.decode()
    assert "青岛市总工会" in html and _stat(html, "stat-members") == "1"
    assert "西湖区总工会" not in html and "杭州" not in html


def test_recent_audit_events_only_for_roles_that_may_read_them(client, cast):
    client.force_login(cast.city_admin)
    assert "最近操作" in client.get(reverse("console:home")).content.decode()
    client.force_login(cast.viewer)
    html = client.get(reverse("console:home")).content.decode()
    assert "最近操作" not in html and "person.create" not in html


def test_non_staff_user_is_refused(client, db, django_user_model):
    user = django_user_model.objects.create_user("plain", password="x-Long-Password-1")
    client.force_login(user)
    assert client.get(reverse("console:home")).status_code == 403


def test_home_is_read_only(client, cast):
    client.force_login(cast.city_admin)
    assert client.post(reverse("console:home")).status_code == 405


def test_home_query_count_does_not_grow_with_the_tree(client, cast, django_assert_max_num_queries):
    client.force_login(cast.city_admin)
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("console:home"))
    for i in range(15):
        node = make_node(cast.xihu if i % 2 else cast.hangzhou, f"街道工会{i}", NodeLevel.TOWNSHIP)
        make_member(cast.city_admin, node, f"会员{i}")
    make_staff(cast.hangzhou, Role.STAFF, "another")
    with django_assert_max_num_queries(len(small.captured_queries)):
        resp = client.get(reverse("console:home"))
    assert resp.status_code == 200 and "街道工会14" in resp.content.decode()


@pytest.mark.parametrize("offset_days,expected", [(0, "1"), (-40, "0")])
def test_new_this_month_counts_by_join_date(client, cast, offset_days, expected):
    today = timezone.localdate()
    joined = today + dt.timedelta(days=offset_days)
    if offset_days == 0 or joined < today.replace(day=1):
        make_member(cast.city_admin, cast.tech, "刘入会", joined_on=joined)
        client.force_login(cast.city_admin)
        assert _stat(client.get(reverse("console:home")).content.decode(), "stat-new-month") == expected
