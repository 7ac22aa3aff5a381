"""The rider's walk in a real headless chromium on a phone-sized viewport: sign up with an SMS code, join
online, the riders' union accepts in the console, then claim a check-up slot and submit a health
certificate reimbursement with a receipt photo. Screenshots of each main page are saved for review in
$HUIGONG_SCREENSHOT_DIR (default: a fresh temporary directory; the path is printed)."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest

from huigong.portal.sms import MemorySmsSender

PHONE = "13912345678"
PASSWORD = "Qz-rider-2026"
PHONE_VIEWPORT = {"width": 390, "height": 844}


@pytest.fixture
def shots():
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    path = Path(root) / "portal" if root else Path(tempfile.mkdtemp(prefix="huigong-portal-shots-"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nportal screenshots: {path}")
    return path


def _receipt(tmp_path) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (600, 800), (250, 250, 245))
    d = ImageDraw.Draw(img)
    d.rectangle([40, 40, 560, 760], outline=(120, 120, 120), width=3)
    for y in range(120, 700, 60):
        d.line([80, y, 520, y], fill=(180, 180, 180), width=2)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    path = tmp_path / "health-certificate-receipt.jpg"
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.django_db(transaction=True)
def test_rider_signs_up_joins_claims_and_reimburses_on_a_phone(live_server, browser, cast, shots, tmp_path):
    import huigong.benefits.testing as benefits
    from huigong.benefits.models import ProgrammeKind
    from huigong.portal.models import JoinApplication, JoinStatus

    checkup = benefits.make_programme(cast.city_admin, cast.xihu, title="新就业形态劳动者免费体检", quota=5000)
    subsidy = benefits.make_programme(cast.city_admin, cast.xihu, kind=ProgrammeKind.REIMBURSEMENT,
                                      title="骑手健康证补贴（先办后补）", quota=5000)
    MemorySmsSender.clear()
    base = live_server.url
    ctx = browser.new_context(viewport=PHONE_VIEWPORT, device_scale_factor=2, locale="zh-CN", is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    page.set_default_timeout(15_000)

    def shot(name: str) -> None:
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    # Sign up with an SMS code.
    page.goto(f"{base}/portal/")
    assert "/portal/login/" in page.url
    shot("01-login")
    page.click("text=手机号注册")
    page.fill("#id_phone", PHONE)
    page.click("button[value=send_code]")
    page.wait_for_selector("text=验证码已发送")
    code = MemorySmsSender.last_code(PHONE)
    page.fill("#id_code", code)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_agree")
    shot("02-signup")
    page.click("button[value=signup]")
    page.wait_for_url(f"{base}/portal/")
    shot("03-home-new-worker")

    # Join online: consent first, then the steps.
    page.click(".p-tile:has-text('网上入会')")
    shot("04-join-start")
    page.click("text=开始申请")
    page.wait_for_selector("text=身份证号使用授权")
    shot("05-consent-id-number")
    page.click("text=同意并继续")
    page.fill("#id_name", "林小骑")
    from huigong.testing import new_id_number

    number = new_id_number()
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    page.fill("#id_id_number", bad)
    page.click("text=下一步")
    page.wait_for_selector("text=身份证号校验位错误")
    shot("06-identity-check-digit-error")
    page.fill("#id_id_number", number)
    page.click("text=下一步")
    page.check("input[value=rider]")
    shot("07-employment-form")
    page.click("text=下一步")
    page.fill("input[name=q]", "外卖平台")
    page.click("button:has-text('搜索')")
    page.wait_for_selector(f"text={cast.platform.name}")
    shot("08-platform-search")
    page.click("form.p-row button:has-text('选择')")
    page.wait_for_selector("[data-testid=routed-to]")
    assert page.inner_text("[data-testid=routed-to]") == "西湖区骑手联合工会"
    shot("09-confirm")
    page.click("button:has-text('提交入会申请')")
    page.wait_for_selector("[data-testid=join-status]")
    assert page.inner_text("[data-testid=join-status]") == "待审核"
    shot("10-submitted")
    app = JoinApplication.objects.get(name="林小骑")
    assert app.routed_to == cast.riders

    # The riders' union accepts in the console.
    staff_ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    staff = staff_ctx.new_page()
    staff.goto(f"{base}/accounts/login/")
    staff.fill("input[name=username]", "district_staff")
    staff.fill("input[name=password]", "pw-Test-12345")
    staff.click("button[type=submit]")
    staff.wait_for_load_state()
    staff.goto(f"{base}/portal/staff/joins/{app.pk}/")
    staff.screenshot(path=str(shots / "11-staff-join-detail.png"))
    staff.click("button:has-text('通过，登记为会员')")
    staff.wait_for_selector("text=已通过入会申请")
    staff_ctx.close()
    app.refresh_from_db()
    assert app.status == JoinStatus.ACCEPTED

    # The worker hears of it and has a card.
    page.goto(f"{base}/portal/")
    assert page.inner_text("[data-testid=unread]") == "1"
    shot("12-home-member")
    page.click(".p-tab:has-text('消息')")
    page.click("text=入会申请已通过")
    shot("13-message")
    page.click(".p-tab:has-text('我的')")
    page.wait_for_selector("[data-testid=member-card] svg")
    shot("14-me-card")

    # Claim a check-up slot.
    page.goto(f"{base}/portal/")
    page.click(".p-tile:has-text('体检福利')")
    shot("15-programmes")
    page.click(f"[data-testid=programme-{checkup.pk}] button:has-text('立即申领')")
    page.wait_for_selector(f"text={checkup.title}")
    shot("16-claimed")

    # 先办后补: a health-certificate receipt from the phone.
    page.goto(f"{base}/portal/benefits/reimbursements/new/?programme={subsidy.pk}")
    page.wait_for_selector("text=健康信息使用授权")
    shot("17-consent-health")
    page.click("text=同意并继续")
    page.fill("#id_amount_yuan", "45")
    page.set_input_files("#id_receipt", str(_receipt(tmp_path)))
    shot("18-reimbursement-form")
    page.click("button:has-text('提交申请')")
    page.wait_for_url(f"{base}/portal/benefits/reimbursements/")
    page.wait_for_selector(f"text={subsidy.title}")
    shot("19-reimbursements")

    page.goto(f"{base}/portal/me/")
    assert checkup.title in page.content() and subsidy.title in page.content()
    shot("20-me-applications")
    ctx.close()


@pytest.mark.django_db(transaction=True)
def test_documents_password_and_an_unverified_application_on_screen(live_server, browser, cast, shots):
    """The pages added by the review fixes: sign-up documents, 忘记密码, and the staff page of an application
    whose ID number belongs to a record with another phone (身份待核实)."""
    from huigong.portal.testing import make_worker_account, submit_join

    base = live_server.url
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    page = ctx.new_page()
    for name, url in (("21-terms", "/portal/terms/"), ("22-privacy", "/portal/privacy/"),
                      ("23-forgot-password", "/portal/password/")):
        page.goto(f"{base}{url}")
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    assert page.locator("input[name=phone]").count() == 1
    ctx.close()

    person = cast.member.person
    app = submit_join(make_worker_account("13911119999"), name=person.name, id_number=person.id_number,
                      platform=cast.platform)
    staff_ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    staff = staff_ctx.new_page()
    staff.goto(f"{base}/accounts/login/")
    staff.fill("input[name=username]", "district_staff")
    staff.fill("input[name=password]", "pw-Test-12345")
    staff.click("button[type=submit]")
    staff.wait_for_load_state()
    staff.goto(f"{base}/portal/staff/joins/{app.pk}/")
    assert staff.locator("[data-testid=needs-verification]").count() == 1
    staff.fill("input[name=verification_note]", "本人持身份证到西湖区服务站核验，经办人周")
    staff.screenshot(path=str(shots / "24-staff-unverified.png"), full_page=True)
    staff.click("button:has-text('通过')")
    staff.wait_for_selector("text=已通过入会申请")
    staff_ctx.close()
