"""Issue 15 item 10 (portal part): the joining walk's area list names each district with its city, so
same-named districts of two cities are told apart."""

import pytest

from huigong.orgs.models import NodeLevel
from huigong.portal import selectors
from huigong.portal.services import consent_give
from huigong.portal.testing import make_worker_account, sign_in
from huigong.testing import make_node, new_id_number

pytestmark = pytest.mark.django_db


def test_area_list_shows_districts_with_their_city(cast, client):
    wenzhou = make_node(cast.zhejiang, "温州市总工会", NodeLevel.CITY, "330300")
    make_node(wenzhou, "西湖区总工会", NodeLevel.DISTRICT, "330399")  # same name as Hangzhou's
    account = make_worker_account()
    consent_give(account=account, purpose="id_number")
    sign_in(client, account)
    client.post("/portal/join/identity/", {"name": "陈骑手", "id_number": new_id_number()})
    client.post("/portal/join/work/", {"employment_form": "rider"})
    html = client.get("/portal/join/where/").content.decode()
    assert f'<option value="{cast.xihu.pk}">杭州市 西湖区</option>' in html
    assert ">温州市 西湖区</option>" in html and ">青岛市 高新区</option>" in html
    r = client.post("/portal/join/where/", {"area": cast.xihu.pk})
    assert r.status_code == 302
    assert "杭州市 西湖区" in client.get("/portal/join/confirm/").content.decode()


def test_place_names():
    assert selectors.district_place("西湖区总工会", "杭州市总工会") == "杭州市 西湖区"
    assert selectors.district_place("青岛高新区总工会", "青岛市总工会") == "青岛市 高新区"
    assert selectors.district_place("格尔木市总工会", "海西州总工会") == "海西州 格尔木市"
