"""Issue 15 on a phone: 我的申领 with a reimbursement, a claim's next step, the waitlist place, the
reimbursement cap on its form, a draft aid application, the area list with cities. Screenshots go to
HUIGONG_SCREENSHOT_DIR/portal-next-steps (else a temporary folder)."""

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from huigong.benefits import services
from huigong.benefits.models import BenefitClaim, ProgrammeKind
from huigong.benefits.testing import make_programme, receipt_png
from huigong.testing import make_member

pytestmark = pytest.mark.django_db(transaction=True)


def _shots() -> Path:
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    path = Path(root) / "portal-next-steps" if root else Path(tempfile.mkdtemp(prefix="huigong-next-steps-"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


def test_worker_pages_on_a_phone(live_server, browser, cast):
    from huigong.assistance.models import AidProgramme
    from huigong.assistance.services import aid as aid_services
    from huigong.assistance.services import files as file_services
    from huigong.assistance.tests.files_support import deep_file, rule
    from huigong.portal import services as portal_services
    from huigong.portal.testing import make_worker_account, sign_in

    shots, base = _shots(), live_server.url
    cast.hangzhou.contact_name, cast.hangzhou.contact_phone = "王老师", "0571-87000000"
    cast.hangzhou.save()
    checkup = make_programme(cast.city_admin, cast.hangzhou, quota=5, title="骑手免费体检",
                             description="请于 12 月 20 日前到杭州市职工医院体检中心，空腹，带身份证。")
    full = make_programme(cast.city_admin, cast.hangzhou, quota=1, waitlist=True, title="职工疗休养")
    services.claim_create(actor=cast.city_admin, programme=full, person=cast.member.person)
    services.claim_create(actor=cast.city_admin, programme=full,
                          person=make_member(cast.city_admin, cast.tech, "钱多多").person)
    subsidy = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=50,
                             title="骑手健康证补贴", employment_forms=["rider"])
    services.reimbursement_submit(actor=cast.city_admin, programme=subsidy, person=cast.rider.person,
                                  amount_fen=4500, receipt=receipt_png())
    make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=50,
                   title="职工体检补贴", reimbursement_cap_fen=20000)

    rider = make_worker_account(person=cast.rider.person)
    portal_services.consent_give(account=rider, purpose="health")
    portal_services.consent_give(account=rider, purpose="id_number")
    c = Client()
    sign_in(c, rider)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": base}])
    page = ctx.new_page()

    page.goto(f"{base}/portal/benefits/")
    page.click(f"[data-testid=programme-{checkup.pk}] button:has-text('立即申领')")
    page.wait_for_selector("[data-testid=next-step]")
    assert "空腹，带身份证" in page.content() and "0571-87000000" in page.content()
    page.screenshot(path=str(shots / "01-claim-next-step.png"), full_page=True)
    page.goto(f"{base}/portal/benefits/")
    page.click(f"[data-testid=programme-{full.pk}] button:has-text('登记候补')")
    page.wait_for_selector("[data-testid=waitlist-position]")
    assert "候补第 2 位" in page.inner_text("[data-testid=waitlist-position]")
    page.screenshot(path=str(shots / "02-claim-waitlisted.png"), full_page=True)
    page.click("a:has-text('查看我的申领')")
    page.wait_for_selector("[data-testid=my-reimbursements]")
    assert "骑手健康证补贴" in page.content() and "45.00" in page.content()
    page.screenshot(path=str(shots / "03-my-claims.png"), full_page=True)
    claim = BenefitClaim.objects.get(programme=checkup)
    page.click(f"[data-testid=claim-{claim.pk}] a")
    page.wait_for_selector("[data-testid=next-step]")

    page.goto(f"{base}/portal/benefits/reimbursements/new/")
    page.select_option("#id_programme", label="职工体检补贴（补贴上限 200.00 元）")
    page.fill("#id_amount_yuan", "250")
    page.set_input_files("#id_receipt", files=[{"name": "r.png", "mimeType": "image/png",
                                                "buffer": receipt_png().read()}])
    page.click("button:has-text('提交申请')")
    page.wait_for_selector(".p-error")
    assert "补贴上限 200.00 元" in page.inner_text(".p-error")
    page.screenshot(path=str(shots / "04-reimbursement-cap.png"), full_page=True)
    ctx.close()

    # 李小红's draft aid application.
    rule(cast)
    f = deep_file(cast, members=[])
    file_services.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(),
                                     verification_note="属实")
    prog = AidProgramme.objects.create(node=cast.hangzhou, node_path=cast.hangzhou.path, kind="living",
                                       name="2026年生活救助", year=2026, amount_fen=300000, amount_mode="up_to",
                                       approval_levels=["grassroots", "city"], status="open")
    app = aid_services.aid_application_create(actor=cast.city_admin, programme=prog, file=f, amount_fen=150000,
                                              reason="家中有人住院")
    her = make_worker_account(person=cast.member.person)
    c2 = Client()
    sign_in(c2, her)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": c2.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": base}])
    page = ctx.new_page()
    page.goto(f"{base}/portal/assistance/")
    page.click(f"[data-testid=application-{app.pk}]")
    page.wait_for_selector("[data-testid=application]")
    page.screenshot(path=str(shots / "05-aid-draft.png"), full_page=True)
    page.fill("#id_amount_yuan", "2000")
    page.click("button:has-text('提交申请')")
    page.wait_for_url(f"{base}/portal/assistance/")
    app.refresh_from_db()
    assert app.status == "submitted"
    page.goto(f"{base}/portal/assistance/applications/{app.pk}/")
    page.click("[data-testid=withdraw]")
    page.wait_for_selector("[data-testid=confirm-withdraw]")
    page.screenshot(path=str(shots / "06-aid-withdraw-confirm.png"), full_page=True)
    page.click("button:has-text('确定撤回')")
    page.wait_for_url(f"{base}/portal/assistance/")
    app.refresh_from_db()
    assert app.status == "withdrawn"
    ctx.close()
