"""求学圆梦 on a phone: apply with a document, see the first check's answer on the tracker, follow the
application through review, the draw and the 公示 to the result and the first tranche paid, and check
the published draw. Screenshots go to HUIGONG_SCREENSHOT_DIR/education (else a temporary folder)."""

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from huigong.education import clock, services
from huigong.education.models import Application
from huigong.education.services import notices as edu_notices
from huigong.education.services import payments
from huigong.education.testing import World, applicant, make_programme
from huigong.portal.testing import make_worker_account, sign_in

from .objects import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shots() -> Path:
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    path = Path(root) / "education" if root else Path(tempfile.mkdtemp(prefix="huigong-education-"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


def test_apply_track_and_see_the_result(live_server, browser, cast, tmp_path):
    w = World(cast)
    shots, base = _shots(), live_server.url
    p = make_programme(cast.city_admin, cast.hangzhou, total=1, title="2026年求学圆梦·产业工人素质提升班",
                       description="学费由工会分三期补贴：入学、第二学期合格、毕业各 1000 元。")
    person = applicant(cast.city_admin, cast.tech, "陈学员")
    rival = applicant(cast.city_admin, cast.tech, "林同学")
    account = make_worker_account(person=person)
    c = Client()
    sign_in(c, account)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": base}])
    page = ctx.new_page()

    # Apply: the open round, its conditions, the form with a document.
    page.goto(f"{base}/portal/education/")
    page.wait_for_selector("[data-testid=programme]")
    page.screenshot(path=str(shots / "01-rounds.png"), full_page=True)
    page.click("a:has-text('我要申报')")
    page.wait_for_selector("[data-testid=apply-form]")
    assert "入会满 6 个月" in page.content()
    page.select_option("#id_major", str(p.majors.first().pk))
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(PDF)
    page.set_input_files("#id_admission_letter", str(letter))
    page.screenshot(path=str(shots / "02-apply.png"), full_page=True)
    page.click("button:has-text('提交申请')")
    page.wait_for_selector("[data-testid=tracker]")
    tracker = page.inner_text("[data-testid=tracker]")
    assert "符合申报条件" in tracker and "工会审核" in tracker
    page.screenshot(path=str(shots / "03-tracker-in-review.png"), full_page=True)

    # Review, draw (one place, two entrants), 公示, enrolment, the first tranche paid.
    mine = Application.objects.get(person=person)
    services.application_submit(actor=make_worker_account(person=rival).user, programme=p, person=rival,
                                major=p.majors.first(), xuexin_code="ABCD1234")
    for a in Application.objects.filter(programme=p):
        w.approve_all(a)
    services.programme_close(actor=cast.city_admin, programme=p)
    # A seed under which our worker is drawn first (the draw is public: anyone can check it).
    from huigong.core.capacity import lottery

    ids = list(Application.objects.filter(programme=p).values_list("pk", flat=True))
    seed = next(s for s in (f"2026{n:04d}" for n in range(1, 200)) if lottery.order(s, ids)[0] == mine.pk)
    services.programme_draw(actor=cast.city_admin, programme=p, seed=seed)
    p.refresh_from_db()
    notice = edu_notices.notice_publish(actor=cast.city_admin, programme=p)
    page.goto(f"{base}/portal/education/applications/{mine.pk}/")
    assert "公示中" in page.inner_text("[data-testid=status]")
    page.screenshot(path=str(shots / "04-won-on-notice.png"), full_page=True)
    with clock.travel(notice.ends_on):
        edu_notices.notice_end(actor=cast.city_admin, notice=notice)
    from django.utils import timezone

    services.enrolment_confirm(actor=cast.city_admin, application=Application.objects.get(pk=mine.pk),
                               enrolled_on=timezone.localdate(), confirmed_by="institution")
    batch, _s = payments.batch_create(actor=cast.finance, programme=p)
    payments.batch_bank_sheet(actor=cast.finance, batch=batch)
    payments.payment_mark_paid(actor=cast.finance, payment=batch.payments.get(), bank_reference="B20261201")

    page.goto(f"{base}/portal/education/applications/{mine.pk}/")
    page.wait_for_selector("[data-testid=tranches]")
    body = page.inner_text("main")
    assert "公示无异议" in page.inner_text("[data-testid=status]")
    assert "已发放" in page.inner_text("[data-testid=tranches]") and "1,000.00" in body or "1000.00" in body
    page.screenshot(path=str(shots / "05-result-and-tranche.png"), full_page=True)

    # The published draw, checked again from the seed and the list.
    page.click("[data-testid=draw-link] a")
    page.wait_for_selector("[data-testid=draw-verdict]")
    assert "复核通过" in page.inner_text("[data-testid=draw-verdict]") and seed in page.content()
    page.screenshot(path=str(shots / "06-draw-verified.png"), full_page=True)
    ctx.close()
