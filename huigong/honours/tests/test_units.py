"""Unit and collective titles (五一劳动奖状, 工人先锋号, 创新工作室) registered from the console form as a
person's are: an enterprise of the actor's subtree (a unit) or a named team of one (a collective), the
title counted at the enterprise's union; list filter, detail page, certificate check page; refusals name
the field and write nothing; an enterprise of another subtree is not found."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from huigong.core.models import AuditEvent
from huigong.honours.models import HolderKind, Honour, TitleType
from huigong.honours.services.vetting import verify_token
from huigong.honours.testing import make_honour

pytestmark = pytest.mark.django_db

NEW = "/honours/register/new/"


def _post(client, kind, **extra):
    data = {"holder_kind": kind, "title_type": TitleType.PIONEER if kind == "collective" else TitleType.MAY_DAY_AWARD,
            "level": "city", "year": "2025", "granting_body": "杭州市总工会", **extra}
    return client.post(NEW, data)


def _said(r):
    return [str(m) for m in get_messages(r.wsgi_request)]


def test_a_unit_and_a_collective_are_registered_from_the_form(client, w):
    client.force_login(w.district_staff)
    form = client.get(f"{NEW}?holder_kind=unit").content.decode()
    assert w.enterprise.name in form and "工人先锋号" in form and "劳动模范" not in form
    r = _post(client, "unit", enterprise=w.enterprise.pk, certificate_no="HZ-JZ-1")
    unit = Honour.objects.get(certificate_no="HZ-JZ-1")
    assert r.status_code == 302 and r["Location"] == f"/honours/register/{unit.pk}/"
    assert (unit.holder_kind, unit.enterprise_id, unit.union_id, unit.holder_name, unit.person_id) == (
        HolderKind.UNIT, w.enterprise.pk, w.enterprise.union_id, w.enterprise.name, None)
    assert AuditEvent.objects.filter(verb="honour.create", object_id=str(unit.pk)).exists()
    assert not unit.entitlements.exists()  # no model workers' entitlements for a unit
    _post(client, "collective", enterprise=w.enterprise.pk, team="研发一组")
    team = Honour.objects.get(holder_kind=HolderKind.COLLECTIVE)
    assert team.holder_name == f"{w.enterprise.name}研发一组" and team.title_type == TitleType.PIONEER
    page = client.get(f"/honours/register/{team.pk}/").content.decode()
    assert "研发一组" in page and w.enterprise.name in page and "集体" in page and 'data-testid="entitlements"' not in page
    # The list filters by holder kind; a person's title is not among the units'.
    make_honour(w)
    units = client.get("/honours/register/", {"holder_kind": "unit"}).context["page"].object_list
    assert [h.pk for h in units] == [unit.pk]
    collectives = client.get("/honours/register/", {"holder_kind": "collective", "q": "研发"}).context["page"]
    assert [h.pk for h in collectives.object_list] == [team.pk]
    # The certificate's check page names the unit whole (no personal data); a person's stays masked.
    verify = client.get(reverse("honours_portal:verify", args=[verify_token(team)])).content.decode()
    assert team.holder_name in verify


def test_certificate_of_a_unit(client, w):
    from huigong.core.pdf import cjk_font_installed

    if not cjk_font_installed():
        pytest.skip("no CJK font on this machine")
    client.force_login(w.district_staff)
    _post(client, "unit", enterprise=w.enterprise.pk, certificate_no="HZ-JZ-2")
    h = Honour.objects.get(certificate_no="HZ-JZ-2")
    r = client.get(f"/honours/register/{h.pk}/certificate/")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


@pytest.mark.parametrize("kind, extra, field_says", [
    ("unit", {}, "单位：请填写"),
    ("collective", {"team": ""}, "集体名称：请填写"),
    ("unit", {"title_type": TitleType.MODEL_WORKER}, "单位或集体只能获得"),
    ("nobody", {}, "获得者类型无效"),
])
def test_refusals_name_the_field_and_write_nothing(client, w, kind, extra, field_says):
    client.force_login(w.district_staff)
    if kind != "nobody" and "title_type" in extra or kind == "collective":
        extra = {"enterprise": w.enterprise.pk, **extra}
    r = _post(client, kind, **extra)
    assert r.status_code == 200
    assert any(field_says in m for m in _said(r)), _said(r)
    assert not Honour.objects.exists()


def test_outsider_and_other_subtrees_enterprise_are_denied(client, w):
    client.force_login(w.outsider)  # another city's admin naming our enterprise
    r = _post(client, "unit", enterprise=w.enterprise.pk)
    assert r.status_code == 404
    client.force_login(w.district_staff)  # ours naming another city's enterprise
    r = _post(client, "collective", enterprise=w.qd_enterprise.pk, team="一班")
    assert r.status_code == 404
    client.force_login(w.viewer)  # may read the register, not write it
    assert _post(client, "unit", enterprise=w.enterprise.pk).status_code == 403
    assert not Honour.objects.exists()
