"""axe-core on the check-up and outcome-tracker pages (the kernel's a11y test walks a fixed list of the
older pages; these are this issue's): no critical or serious violation at laptop size, and the visit and
the examination at phone size."""

from __future__ import annotations

import pytest

from huigong.core.tests.test_a11y_browser import LAPTOP, PHONE, _context, _shots, _walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_axe_on_checkup_and_tracker_pages(live_server, browser, cast):
    from django.utils import timezone

    from huigong.checkups import services
    from huigong.checkups.models import InstrumentKind
    from huigong.checkups.testing import enrolled, visited

    c, exam, findings = visited(cast.city_admin, cast.xihu, cast.enterprise)
    inst = services.instrument_issue(actor=cast.city_admin, exam=exam, kind=InstrumentKind.OPINION,
                                     findings=findings[:1], render=False)
    services.instrument_reply(actor=cast.city_admin, instrument=inst, replied_on=timezone.localdate(), accepted=True)
    _c2, planned = enrolled(cast.city_admin, cast.xihu, cast.platform, title="西湖区安全生产体检", kind="safety")
    tpl = c.templates.first()
    urls = ["/checkups/", "/checkups/campaigns/new/", f"/checkups/campaigns/{c.pk}/",
            f"/checkups/campaigns/{c.pk}/report/", "/checkups/templates/", f"/checkups/templates/{tpl.pk}/",
            f"/checkups/exams/{exam.pk}/", f"/checkups/exams/{planned.pk}/self-assessment/",
            f"/checkups/exams/{planned.pk}/visit/", f"/checkups/exams/{exam.pk}/return-visit/",
            "/outcomes/", f"/outcomes/{findings[0].item_id}/"]
    found: dict = {}
    ctx, page = _context(browser, live_server, viewport=LAPTOP, user=cast.city_admin)
    _walk(page, live_server.url, urls, "laptop", found, _shots())
    ctx.close()
    ctx, page = _context(browser, live_server, viewport=PHONE, user=cast.district_staff)
    _walk(page, live_server.url, [f"/checkups/exams/{planned.pk}/visit/", f"/checkups/exams/{exam.pk}/"], "phone",
          found, _shots())
    ctx.close()
    assert not found, "axe-core violations:\n" + "\n".join(
        f"{p}\n  " + "\n  ".join(items) for p, items in found.items())
