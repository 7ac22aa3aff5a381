"""The worker's pages (rows of page_matrix_portal.py): she submits a suggestion, follows every decision
with its reason, completes a returned one; another worker gets a 404 for it; the anonymous are sent to
sign in; her 劳模之家 shows her titles and entitlements; the certificate check is public and says when
a title was revoked."""

import pytest
from django.urls import reverse

from huigong.honours import services
from huigong.honours.models import Innovation, InnovationStatus
from huigong.honours.services.vetting import verify_token
from huigong.honours.testing import make_honour, pdf_file
from huigong.portal.testing import make_worker_account, sign_in

from .page_matrix_portal import ROUTES


@pytest.fixture
def her(w, client):
    sign_in(client, make_worker_account(person=w.member.person))
    return client


def test_every_portal_page_sends_the_anonymous_to_sign_in(client, w):
    for name, (args, _cap, methods) in ROUTES.items():
        if name == "honours_portal:verify":
            continue
        for method in methods.split():
            r = getattr(client, method.lower())(reverse(name, args=args(w)))
            assert r.status_code == 302 and "/portal/" in r["Location"], (name, method)


def test_she_submits_and_follows_her_suggestion(w, her):
    r = her.post(reverse("honours_portal:innovation_new"), {"kind": "suggestion", "title": "夜班巷道照明",
                                                            "summary": "夜班巷道照明不足，建议加装感应灯"})
    inv = Innovation.objects.get(title="夜班巷道照明")
    assert r.status_code == 302 and r["Location"] == reverse("honours_portal:innovation", args=[inv.pk])
    assert inv.via_portal and inv.person_id == w.member.person_id and inv.union_id == w.tech.pk
    services.innovation_review(actor=w.city_admin, innovation=inv, decision="return",
                               reason="请写明需要加装的巷道位置和长度")
    page = her.get(reverse("honours_portal:innovation", args=[inv.pk])).content.decode()
    assert "请写明需要加装的巷道位置和长度" in page and "退回补充" in page
    her.post(reverse("honours_portal:innovation_gain", args=[inv.pk]), {
        "metric": "巷道照度", "unit": "lx", "baseline": "15", "after": "60", "annual_value": "0", "method": "照度计实测"})
    her.post(reverse("honours_portal:innovation_resubmit", args=[inv.pk]))
    inv.refresh_from_db()
    assert inv.status == InnovationStatus.SUBMITTED and inv.gains.count() == 1
    listing = her.get(reverse("honours_portal:innovations")).content.decode()
    assert "夜班巷道照明" in listing


def test_an_empty_submission_is_refused_with_the_fields_named(w, her):
    r = her.post(reverse("honours_portal:innovation_new"), {"kind": "tech", "title": "", "summary": "短"}, follow=True)
    body = r.content.decode()
    assert "请填写成果名称" in body and "至少 10 个字" in body
    assert not Innovation.objects.exists()


def test_another_worker_cannot_see_or_touch_it(w, client):
    inv = services.innovation_submit(actor=None, via_portal=True, person=w.member.person, title="我的建议",
                                     kind="suggestion", summary="建议食堂延长夜班供餐时间")
    sign_in(client, make_worker_account(person=w.rider.person))
    for name, method in (("honours_portal:innovation", "get"), ("honours_portal:innovation_gain", "post"),
                         ("honours_portal:innovation_resubmit", "post")):
        assert getattr(client, method)(reverse(name, args=[inv.pk])).status_code == 404, name
    assert "我的建议" not in client.get(reverse("honours_portal:innovations")).content.decode()


def test_her_model_workers_page_and_the_public_check(w, her, client):
    h = make_honour(w, w.member.person, cert="HZ-2024-0001")
    page = her.get(reverse("honours_portal:mine")).content.decode()
    assert "市级劳动模范" in page and "健康体检" in page and "疗休养" in page
    from django.test import Client

    public = Client()
    url = reverse("honours_portal:verify", args=[verify_token(h)])
    body = public.get(url).content.decode()
    assert "有效" in body and "李*红" in body and "李小红" not in body
    assert public.get(reverse("honours_portal:verify", args=["forged"])).status_code == 404
    case = services.revocation_propose(actor=w.district_staff, node=w.xihu, honours=[h], ground="criminal",
                                       grounds_text="因犯罪被判处刑罚，判决已生效", evidence=pdf_file())
    services.revocation_decide(actor=w.xihu_admin, case=case, decision="approved")
    services.revocation_decide(actor=w.city_admin, case=case, decision="approved")
    assert "证书已失效" in public.get(url).content.decode()
    assert "已停止" in her.get(reverse("honours_portal:mine")).content.decode()
