"""Searching members by ID number or phone never puts the number in a URL (URLs end up in access logs,
browser history and Referer headers), and a role without the full-PII capability cannot confirm a full
number by searching it."""

import io
import re

import pytest
from django.urls import NoReverseMatch, reverse
from python_calamine import CalamineWorkbook

from huigong.members.models import Person
from huigong.members.selectors import NUMBER_SEARCH_NEEDS_PII
from huigong.testing import make_member, new_id_number


@pytest.fixture
def api_as(db):
    from huigong.api.tests.conftest import ApiClient, make_token

    return lambda user: ApiClient(make_token(user))


def _raw(membership):
    person = Person.objects.get(pk=membership.person_id)
    return person.id_number, person.phone


def _search(client, user, q, **filters):
    client.force_login(user)
    return client.post(reverse("members:list"), {"q": q, **filters})


def _names(r):
    return sorted(m.person.name for m in r.context["page_obj"])


def _digits_in_urls(html: str) -> list[str]:
    return [u for u in re.findall(r'(?:href|action|hx-get|hx-post)="([^"]*)"', html) if re.search(r"\d{7,}", u)]


@pytest.mark.parametrize("which", ["id_number", "phone"])
def test_the_search_form_posts_and_the_list_url_carries_a_token_not_the_number(client, cast, which):
    id_number, phone = _raw(cast.rider)
    number = id_number if which == "id_number" else phone
    r = _search(client, cast.city_admin, number)
    assert r.status_code == 303
    location = r["Location"]
    assert number not in location and not re.search(r"\d{7,}", location)
    assert re.search(r"[?&]s=[\w-]+", location)
    page = client.get(location)
    assert _names(page) == ["王骑手"]
    html = page.content.decode()
    assert 'method="post"' in html and not _digits_in_urls(html)


def test_the_list_page_form_is_a_post(client, cast):
    client.force_login(cast.city_admin)
    html = client.get(reverse("members:list")).content.decode()
    assert re.search(r'<form class="filters" method="post" role="search">', html)


def test_pagination_and_filters_keep_the_search(client, cast):
    for i in range(55):
        make_member(cast.city_admin, cast.tech, f"测试{i}", id_number=new_id_number(), employer=cast.enterprise)
    r = _search(client, cast.city_admin, "测试", node=str(cast.tech.pk))
    location = r["Location"]
    assert f"node={cast.tech.pk}" in location
    first = client.get(location)
    assert first.context["page_obj"].paginator.count == 55
    nxt = re.search(r'href="([^"]*page=2[^"]*)"', first.content.decode()).group(1).replace("&amp;", "&")
    assert "s=" in nxt
    second = client.get(reverse("members:list") + nxt if nxt.startswith("?") else nxt)
    assert len(second.context["page_obj"].object_list) == 5
    assert all(m.person.name.startswith("测试") for m in second.context["page_obj"])


def test_a_number_in_the_url_is_not_searched(client, cast):
    id_number, _phone = _raw(cast.rider)
    client.force_login(cast.city_admin)
    r = client.get(reverse("members:list"), {"q": id_number})
    html = r.content.decode()
    assert r.status_code == 200 and _names(r) == []
    assert "身份证号、手机号不能写在网址中" in html


def test_a_name_in_the_url_still_works(client, cast):
    client.force_login(cast.viewer)
    assert _names(client.get(reverse("members:list"), {"q": "wangqishou"})) == ["王骑手"]


def test_a_token_is_worthless_outside_its_session(client, cast):
    from django.test import Client

    id_number, _phone = _raw(cast.rider)
    location = _search(client, cast.city_admin, id_number)["Location"]
    other = Client()
    other.force_login(cast.city_admin)
    r = other.get(location)
    assert _names(r) == [] and "搜索已过期" in r.content.decode()


def test_the_export_link_carries_the_token_and_exports_the_search(client, cast):
    try:
        export = reverse("members:export")
    except NoReverseMatch:
        pytest.skip("no export route")
    _id, phone = _raw(cast.rider)
    location = _search(client, cast.city_admin, phone)["Location"]
    html = client.get(location).content.decode()
    link = re.search(rf'href="({re.escape(export)}[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "s=" in link and phone not in link
    r = client.get(link if link.startswith("/") else reverse("members:list") + link)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(r.streaming_content))).get_sheet_by_index(0).to_python()
    assert [row[1] for row in rows[1:]] == ["王骑手"]
    assert client.get(export, {"q": phone}).status_code == 403


# --- Roles without the full-PII capability -----------------------------------------------------------

@pytest.mark.parametrize("who", ["viewer", "leader"])
def test_a_role_without_full_pii_cannot_confirm_a_number_by_searching_it(client, cast, who):
    id_number, phone = _raw(cast.rider)
    for number in (id_number, phone):
        r = client.get(_search(client, getattr(cast, who), number)["Location"])
        assert _names(r) == []
        assert str(NUMBER_SEARCH_NEEDS_PII) in r.content.decode()
        assert "王骑手" not in r.content.decode()
    # Names still work for them.
    assert _names(client.get(_search(client, getattr(cast, who), "王骑手")["Location"])) == ["王骑手"]


def test_a_role_with_full_pii_finds_by_number(client, cast):
    id_number, _phone = _raw(cast.rider)
    assert _names(client.get(_search(client, cast.finance, id_number)["Location"])) == ["王骑手"]


# --- API ---------------------------------------------------------------------------------------------

def test_api_refuses_a_number_in_the_query_string(cast, api_as):
    id_number, phone = _raw(cast.rider)
    c = api_as(cast.city_admin)
    for number in (id_number, phone):
        r = c.get("members", {"q": number})
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "q" and "/members/search" in r.json()["detail"][0]["message"]
    assert c.get("members", {"q": "王骑手"}).status_code == 200


def test_api_search_takes_the_number_in_the_body(cast, api_as):
    id_number, phone = _raw(cast.rider)
    c = api_as(cast.city_admin)
    for number in (id_number, phone):
        r = c.post("members/search", {"q": number})
        assert r.status_code == 200, r.content
        assert [i["person_id"] for i in r.json()["items"]] == [cast.rider.person_id]
        assert number not in r.content.decode()
    page = c.post("members/search", {"q": "", "limit": 1, "offset": 1, "status": "all"}).json()
    assert page["count"] == 2 and len(page["items"]) == 1 and page["offset"] == 1
    qd_id, _ = _raw(cast.qd_member)
    assert c.post("members/search", {"q": qd_id}).json()["count"] == 0


def test_api_search_by_number_needs_full_pii(cast, api_as):
    id_number, _phone = _raw(cast.rider)
    r = api_as(cast.viewer).post("members/search", {"q": id_number})
    assert r.status_code == 403 and "王骑手" not in r.content.decode()
    assert api_as(cast.viewer).post("members/search", {"q": "王骑手"}).json()["count"] == 1


# --- Assistance: choosing a household head ---------------------------------------------------------

def test_choosing_a_household_head_posts_the_search(client, cast):
    try:
        url = reverse("assistance:file_create")
    except NoReverseMatch:
        pytest.skip("no assistance app")
    id_number, _phone = _raw(cast.rider)
    client.force_login(cast.city_admin)
    html = client.get(url).content.decode()
    assert re.search(r'<form class="filters" method="post" role="search">', html)
    r = client.post(url, {"q": id_number})
    assert r.status_code == 200 and "王骑手" in r.content.decode()
    assert not _digits_in_urls(r.content.decode())
    assert "王骑手" not in client.get(url, {"q": id_number}).content.decode()
