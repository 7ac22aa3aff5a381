"""The visit form's member picker (issue 15 item 10): nobody preselected, labels that tell same-name members
apart with masked data only, and the JSON search behind the searchable picker, scoped to the actor."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from huigong.assistance.models import SweepVisit
from huigong.testing import make_enterprise, make_member

from .files_support import sweep

pytestmark = pytest.mark.django_db


def id_with_tail(tail: str, region: str = "330106") -> str:
    """A valid ID number ending in `tail` (three digits and the check character): the birth date varies."""
    from huigong.core.idnumber import check_char

    day = dt.date(1970, 1, 1)
    while True:
        body = f"{region}{day:%Y%m%d}{tail[:3]}"
        if check_char(body) == tail[3]:
            return body + tail[3]
        day += dt.timedelta(days=1)


@pytest.fixture
def world(cast):
    cast.sweep = sweep(cast)
    cast.assignment = cast.sweep.assignments.get(node=cast.tech)
    # Two members with the same name: only the ID tail and the unit tell them apart.
    cast.other_ent = make_enterprise(cast.tech, "杭州某物流有限公司")
    cast.zw1 = make_member(cast.city_admin, cast.tech, "张伟", id_number=id_with_tail("1237"),
                           employer=cast.enterprise)
    cast.zw2 = make_member(cast.city_admin, cast.tech, "张伟", id_number=id_with_tail("041X"),
                           employer=cast.other_ent)
    return cast


def _select(html: str) -> str:
    return re.search(r'<select name="person".*?</select>', html, re.DOTALL).group(0)


def test_the_visit_form_preselects_nobody_and_requires_a_choice(client, world):
    client.force_login(world.tech_staff)
    url = reverse("assistance:sweep_visit", args=[world.assignment.pk])
    select = _select(client.get(url).content.decode())
    options = re.findall(r"<option value=\"([^\"]*)\"([^>]*)>", select)
    assert options[0][0] == "" and "selected" in options[0][1]
    assert all("selected" not in attrs for value, attrs in options[1:])
    assert "data-picker" in select and "required" in select
    r = client.post(url, {"visited_on": dt.date.today().isoformat(), "household_size": 2,
                          "monthly_income_yuan": "1500", "children_in_school": 0})
    assert r.status_code == 200 and not SweepVisit.objects.exists()
    assert "has-error" in _select(r.content.decode()) or "has-error" in r.content.decode()


def test_member_labels_show_name_masked_id_tail_and_unit(client, world):
    client.force_login(world.tech_staff)
    html = client.get(reverse("assistance:sweep_visit", args=[world.assignment.pk])).content.decode()
    select = _select(html)
    assert f'<option value="{world.zw1.person_id}">张伟 · …1237 · {world.enterprise.name}</option>' in select
    assert f'<option value="{world.zw2.person_id}">张伟 · …041X · {world.other_ent.name}</option>' in select
    # no employer recorded: the union stands for the unit
    plain = make_member(world.city_admin, world.tech, "孙无单位", id_number=id_with_tail("3338"))
    html = client.get(reverse("assistance:sweep_visit", args=[world.assignment.pk])).content.decode()
    assert f"孙无单位 · …3338 · {world.tech.name}" in html
    assert world.zw1.person.id_number not in html and world.zw2.person.id_number not in html
    assert plain.person.phone not in html


def test_people_search_finds_by_name_pinyin_and_id_tail_with_masked_results_only(client, world):
    client.force_login(world.tech_staff)
    url = reverse("assistance:sweep_visit_people", args=[world.assignment.pk])

    def search(q):
        r = client.get(url, {"q": q})
        assert r.status_code == 200 and r["Content-Type"] == "application/json"
        return r.json()["results"]

    assert {x["value"] for x in search("张伟")} == {str(world.zw1.person_id), str(world.zw2.person_id)}
    assert [x["text"] for x in search("…041X")] == [f"张伟 · …041X · {world.other_ent.name}"]
    assert [x["value"] for x in search("041x")] == [str(world.zw2.person_id)]
    assert {x["value"] for x in search("zhangwei")} == {str(world.zw1.person_id), str(world.zw2.person_id)}
    # a full ID number or phone finds the member, and the answer still carries only the masked tail
    found = search(world.zw2.person.id_number)
    assert [x["value"] for x in found] == [str(world.zw2.person_id)]
    body = client.get(url, {"q": world.zw2.person.phone}).content.decode()
    assert str(world.zw2.person_id) in body
    assert world.zw2.person.phone not in body and world.zw2.person.id_number[6:14] not in body
    assert search("") == []
    # a member of another union's queue is not offered
    assert search(world.rider.person.name) == []


def test_people_search_is_denied_to_outsiders(client, world):
    url = reverse("assistance:sweep_visit_people", args=[world.assignment.pk])
    client.force_login(world.outsider)
    assert client.get(url, {"q": "张伟"}).status_code in (403, 404)
    client.force_login(world.viewer)  # may read, may not record visits
    assert client.get(url, {"q": "张伟"}).status_code in (403, 404)
    client.logout()
    assert client.get(url, {"q": "张伟"}).status_code == 302


def test_a_member_found_by_search_beyond_the_rendered_list_submits(client, world, monkeypatch):
    from huigong.assistance.views import screening as views

    monkeypatch.setattr(views, "VISIT_PICKER_LIMIT", 1)
    client.force_login(world.tech_staff)
    url = reverse("assistance:sweep_visit", args=[world.assignment.pk])
    late = make_member(world.city_admin, world.tech, "朱最后").person
    assert "朱最后" not in client.get(url).content.decode()
    r = client.post(url, {"person": late.pk, "visited_on": dt.date.today().isoformat(), "household_size": 2,
                          "monthly_income_yuan": "1500", "children_in_school": 0})
    assert r.status_code == 302 and SweepVisit.objects.filter(person=late).exists()
    # a person outside the queue is still refused
    r = client.post(url, {"person": world.qd_member.person_id, "visited_on": dt.date.today().isoformat(),
                          "household_size": 2, "monthly_income_yuan": "1500", "children_in_school": 0})
    assert r.status_code == 200 and not SweepVisit.objects.filter(person=world.qd_member.person).exists()
