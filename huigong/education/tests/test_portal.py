"""The worker's pages: rows of page_matrix_portal.py run here (anonymous → the portal's sign-in, another
worker → 404 on someone else's application, public pages open to all), and applying, correcting,
withdrawing through the pages."""

from __future__ import annotations

import copy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from huigong.core.notices import services as ns
from huigong.education.models import Application, ApplicationStatus
from huigong.education.services import notices as edu_notices
from huigong.education.testing import World, applicant, make_programme, worker_of
from huigong.portal.testing import sign_in

from . import objects as o
from .page_matrix_portal import ROUTES


def _build():
    from huigong.testing import Cast

    c = Cast().build()
    w = World(c)
    c.programme = make_programme(c.city_admin, c.hangzhou, rules={"member_months": 6})
    c.owner_person = applicant(c.city_admin, c.tech, "周学员")
    c.owner = worker_of(c.owner_person)
    c.other = worker_of(applicant(c.city_admin, c.tech, "吴旁人"))
    c.app = Application.objects.create(
        programme=c.programme, person=c.owner_person, union=c.tech, node_path=c.tech.path,
        major=c.programme.majors.first(), level="college", status=ApplicationStatus.INELIGIBLE,
        check_failures="member_months,", applied_by=c.owner.user)
    c.drawn = o.drawn_round(c)
    c.token = ns.share_token(edu_notices.EDU_NOTICES, o.notice(c))
    c.w = w
    return c


@pytest.fixture(scope="module")
def _world(module_world):
    return module_world(_build)


@pytest.fixture
def c(_world, db):
    return copy.deepcopy(_world)


def _url(c, name):
    return reverse(name, args=ROUTES[name][0](c))


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous(client, c, name):
    for method in ROUTES[name][2].split():
        r = getattr(client, method.lower())(_url(c, name))
        if ROUTES[name][1] == "public":
            assert r.status_code == 200, (name, r.status_code)
        else:
            assert r.status_code == 302 and r["Location"].startswith(reverse("portal:login")), (name, method)


@pytest.mark.parametrize("name", ["education_portal:application", "education_portal:correct",
                                  "education_portal:withdraw"])
def test_another_worker_never_sees_my_application(client, c, name):
    sign_in(client, c.other)
    for method in ROUTES[name][2].split():
        r = getattr(client, method.lower())(_url(c, name))
        assert r.status_code == 404, (name, method, r.status_code)
        assert "周学员" not in r.content.decode()
    assert Application.objects.get(pk=c.app.pk).status == ApplicationStatus.INELIGIBLE


def test_public_draw_page_shows_the_seed_and_the_verdict(client, c):
    r = client.get(reverse("education_portal:draw", args=[c.drawn.pk]))
    body = r.content.decode()
    assert "20251001" in body and "复核通过" in body
    r = client.get(reverse("education_portal:draw_entrants", args=[c.drawn.pk]))
    import hashlib

    from huigong.core.capacity.models import Draw

    record = Draw.objects.get(purpose=f"education.programme:{c.drawn.pk}")
    assert hashlib.sha256(r.content).hexdigest() == record.entrants_hash
    assert client.get(reverse("education_portal:draw", args=[c.programme.pk])).status_code == 404


def test_apply_through_the_page_and_see_the_tracker(client, c):
    person = applicant(c.city_admin, c.tech, "郑报名")
    account = worker_of(person)
    sign_in(client, account)
    r = client.get(reverse("education_portal:home"))
    assert c.programme.title in r.content.decode()
    r = client.post(reverse("education_portal:apply", args=[c.programme.pk]), {
        "major": c.programme.majors.first().pk, "xuexin_code": "",
        "admission_letter": SimpleUploadedFile("录取通知书.pdf", o.PDF, content_type="application/pdf")})
    app = Application.objects.get(person=person)
    assert r.status_code == 302 and r["Location"] == reverse("education_portal:application", args=[app.pk])
    assert app.status == ApplicationStatus.IN_REVIEW and app.admission_letter.name.endswith(".pdf")
    assert "录取通知书" not in app.admission_letter.name  # never the phone's own file name
    body = client.get(r["Location"]).content.decode()
    for step in ("会员申报", "系统初审", "工会审核", "系统抽签", "结果公示", "补贴发放"):
        assert step in body
    # No document at all: refused, naming the field.
    other = applicant(c.city_admin, c.tech)
    sign_in(client, worker_of(other))
    r = client.post(reverse("education_portal:apply", args=[c.programme.pk]), {"major": c.programme.majors.first().pk})
    assert r.status_code == 200 and "录取通知书" in r.content.decode()
    assert not Application.objects.filter(person=other).exists()


def test_correct_and_withdraw_through_the_pages(client, c):
    from huigong.members.models import Membership

    sign_in(client, c.owner)
    Membership.objects.filter(person=c.owner_person).update(joined_on="2019-01-01")
    Application.objects.filter(pk=c.app.pk).update(status=ApplicationStatus.INELIGIBLE)
    r = client.post(reverse("education_portal:correct", args=[c.app.pk]), {"major": c.app.major_id,
                                                                            "xuexin_code": "ABCD1234EFGH"})
    assert r.status_code == 302
    assert Application.objects.get(pk=c.app.pk).status == ApplicationStatus.IN_REVIEW
    client.post(reverse("education_portal:withdraw", args=[c.app.pk]))
    assert Application.objects.get(pk=c.app.pk).status == ApplicationStatus.WITHDRAWN
