"""Service-site pages: list filters, create/edit, coordinates, scope."""

import pytest
from django.urls import reverse

from huigong.core.models import AuditEvent
from huigong.orgs.models import ServiceSite, SiteKind


def get(client, user, name, *args, data=None):
    client.force_login(user)
    return client.get(reverse(name, args=args), data or {})


def post(client, user, name, *args, data=None):
    client.force_login(user)
    return client.post(reverse(name, args=args), data or {})


@pytest.fixture
def sites(cast):
    home = ServiceSite.objects.create(name="西湖区职工之家", kind=SiteKind.WORKERS_HOME, union=cast.xihu,
                                      address="西湖区教工路18号", latitude="30.280000", longitude="120.140000",
                                      opening_hours="周一至周五 9:00-17:00", phone="0571-12345678")
    station = ServiceSite.objects.create(name="骑手驿站", kind=SiteKind.OUTDOOR_STATION, union=cast.riders,
                                         address="文三路口")
    qd = ServiceSite.objects.create(name="青岛爱心妈妈小屋", kind=SiteKind.MOTHERS_ROOM, union=cast.qd_ent,
                                    address="高新区")
    return home, station, qd


def site_data(cast, **kw):
    data = {"name": "骑手暖心驿站", "kind": SiteKind.OUTDOOR_STATION, "union": cast.riders.pk,
            "address": "西湖区古墩路100号", "latitude": "30.290000", "longitude": "120.100000",
            "opening_hours": "全天", "services": "饮水、充电、休息", "phone": "0571-87654321"}
    data.update(kw)
    return data


def test_list_is_scoped_and_filters(client, cast, sites):
    home, station, qd = sites
    r = get(client, cast.viewer, "orgs:site_list")
    assert {s.pk for s in r.context["page_obj"]} == {home.pk, station.pk}
    assert "青岛爱心妈妈小屋" not in r.content.decode()
    r = get(client, cast.viewer, "orgs:site_list", data={"kind": SiteKind.OUTDOOR_STATION})
    assert [s.pk for s in r.context["page_obj"]] == [station.pk]
    r = get(client, cast.viewer, "orgs:site_list", data={"node": cast.riders.pk})
    assert [s.pk for s in r.context["page_obj"]] == [station.pk]
    r = get(client, cast.outsider, "orgs:site_list")
    assert [s.pk for s in r.context["page_obj"]] == [qd.pk]


def test_viewer_sees_no_edit_links(client, cast, sites):
    html = get(client, cast.viewer, "orgs:site_list").content.decode()
    assert reverse("orgs:site_edit", args=[sites[0].pk]) not in html
    html = get(client, cast.city_admin, "orgs:site_list").content.decode()
    assert reverse("orgs:site_edit", args=[sites[0].pk]) in html


def test_create_is_audited(client, cast):
    r = post(client, cast.city_admin, "orgs:site_create", data=site_data(cast))
    assert r.status_code == 302
    site = ServiceSite.objects.get(name="骑手暖心驿站")
    assert site.union_id == cast.riders.pk and str(site.latitude) == "30.290000" and site.is_active
    assert AuditEvent.objects.filter(verb="site.create", object_id=str(site.pk)).exists()


def test_create_refuses_bad_coordinates_with_bilingual_errors(client, cast):
    r = post(client, cast.city_admin, "orgs:site_create",
             data=site_data(cast, latitude="95", longitude="abc", address=""))
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert "longitude" not in errors["longitude"][0] and "经度" in errors["longitude"][0]
    assert "地址不能为空" in errors["address"][0]
    assert not ServiceSite.objects.filter(name="骑手暖心驿站").exists()
    r = post(client, cast.city_admin, "orgs:site_create", data=site_data(cast, latitude="95"))
    assert "-90" in r.context["form"].errors["latitude"][0]
    assert not ServiceSite.objects.filter(name="骑手暖心驿站").exists()


def test_edit_closes_a_site_and_audits(client, cast, sites):
    home = sites[0]
    data = site_data(cast, name=home.name, kind=home.kind, union=home.union_id, address=home.address)
    data.pop("is_active", None)  # unchecked box
    r = post(client, cast.city_admin, "orgs:site_edit", home.pk, data=data)
    assert r.status_code == 302
    home.refresh_from_db()
    assert home.is_active is False and home.services == "饮水、充电、休息"
    ev = AuditEvent.objects.get(verb="site.update", object_id=str(home.pk))
    assert ev.new["is_active"] is False
    # The day it closed is kept: the service-site KPI counts it up to then.
    from django.utils import timezone

    assert home.closed_on == timezone.localdate()
    data["is_active"] = "on"
    post(client, cast.city_admin, "orgs:site_edit", home.pk, data=data)
    home.refresh_from_db()
    assert home.is_active and home.closed_on is None


@pytest.mark.parametrize("who", ["viewer", "tech_staff", "leader"])
def test_writes_need_org_write(client, cast, sites, who):
    user = getattr(cast, who)
    assert get(client, user, "orgs:site_create").status_code == 403
    assert get(client, user, "orgs:site_edit", sites[0].pk).status_code == 403
    assert post(client, user, "orgs:site_create", data=site_data(cast)).status_code == 403
    assert not ServiceSite.objects.filter(name="骑手暖心驿站").exists()


def test_outsider_cannot_edit_or_create_in_our_subtree(client, cast, sites):
    home = sites[0]
    assert get(client, cast.outsider, "orgs:site_edit", home.pk).status_code == 404
    r = post(client, cast.outsider, "orgs:site_edit", home.pk, data=site_data(cast, name="被改"))
    assert r.status_code == 404 and ServiceSite.objects.get(pk=home.pk).name == "西湖区职工之家"
    r = post(client, cast.outsider, "orgs:site_create", data=site_data(cast))
    assert r.status_code == 200 and "union" in r.context["form"].errors
    assert not ServiceSite.objects.filter(name="骑手暖心驿站").exists()
