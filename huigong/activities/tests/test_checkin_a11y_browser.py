"""Accessibility of the check-in pages (axe-core, as core/tests/test_a11y_browser.py runs it on the other
pages): every console page of check-in at phone size, where gates are used, and the worker's ticket; no
critical or serious violation."""

import pytest
from django.conf import settings
from django.test import Client

from huigong.activities import checkin_services as svc
from huigong.core.tests.test_a11y_browser import BLOCKING, _axe_path, _describe
from huigong.portal.testing import make_worker_account, sign_in

from .checkin_world import gate, make_event, scan_in, seat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.slow]
PHONE = {"width": 390, "height": 844}


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(_axe_path()))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def test_checkin_pages_have_no_serious_violation(live_server, browser, cast):
    event = make_event(cast.city_admin, cast.xihu, "大国工匠进西湖")
    session = event.sessions.get()
    reg = seat(session, cast.member)
    g = gate(cast.city_admin, event, "北门", scans_exits=True)
    svc.scan_record(actor=cast.city_admin, gate=g, item=scan_in("HGT1BROKEN"))
    svc.scan_record(actor=cast.city_admin, gate=g, item=scan_in(svc.ticket_code(reg)))
    svc.scans_sync(actor=cast.city_admin, gate=g, items=[scan_in(svc.ticket_code(reg), offline=True, local="admitted")])
    staff, worker = Client(), Client()
    staff.force_login(cast.district_staff)
    sign_in(worker, make_worker_account(person=cast.member.person))
    pages = [(staff, "/activities/gate/"), (staff, f"/activities/gate/events/{event.pk}/"),
             (staff, f"/activities/gate/{g.pk}/"), (staff, f"/activities/gate/{g.pk}/edit/"),
             (staff, f"/activities/gate/{g.pk}/search/?q=%E6%9D%8E"),
             (staff, f"/activities/gate/events/{event.pk}/scans/"), (staff, f"/activities/gate/sessions/{session.pk}/bulk/"),
             (worker, f"/portal/activities/gate/tickets/{reg.pk}/"), (worker, f"/portal/activities/mine/{reg.pk}/")]
    problems = []
    for client, path in pages:
        ctx = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True, is_mobile=True, has_touch=True)
        ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
        page = ctx.new_page()
        r = page.goto(live_server.url + path)
        assert r.status == 200, path
        problems += [f"{path}: {_describe(v)}" for v in _violations(page)]
        ctx.close()
    assert not problems, "\n".join(problems)
