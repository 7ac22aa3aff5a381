"""axe-core on every honours page (the console as a city admin at laptop size, the worker's pages at
phone size, the public certificate check): no critical or serious violation. The kernel's walker and
axe injection are reused from core/tests/test_a11y_browser.py."""

import pytest

from huigong.core.tests.test_a11y_browser import LAPTOP, PHONE, _context, _shots, _walk
from huigong.honours import services
from huigong.honours.services.vetting import verify_token
from huigong.honours.tests import page_matrix as pm

pytestmark = pytest.mark.django_db(transaction=True)


def test_axe_on_the_honours_pages(live_server, browser, cast):
    from huigong.portal.testing import make_worker_account

    h, nl, notice, case, inv, r = (pm.honour(cast), pm.nlist(cast), pm.notice(cast), pm.case(cast),
                                   pm.innovation(cast), pm.round_(cast))
    rec = pm.reconciliation(cast)
    console = ["/honours/", "/honours/register/", "/honours/register/new/", "/honours/register/import/",
               f"/honours/register/{h.pk}/", f"/honours/reconciliations/{rec.pk}/", "/honours/revocations/",
               f"/honours/revocations/new/?honour={h.pk}", f"/honours/revocations/{case.pk}/",
               "/honours/entitlements/", "/honours/campaigns/", "/honours/campaigns/new/",
               f"/honours/campaigns/{nl.campaign_id}/", f"/honours/lists/{nl.pk}/", f"/honours/notices/{notice.pk}/",
               "/honours/innovations/", "/honours/innovations/new/", f"/honours/innovations/{inv.pk}/",
               "/honours/rounds/new/", f"/honours/rounds/{r.pk}/"]
    own = services.innovation_submit(actor=None, via_portal=True, person=cast.member.person, title="我的合理化建议",
                                     kind="suggestion", summary="建议食堂延长夜班供餐时间")
    portal = ["/portal/honours/", "/portal/honours/innovations/", "/portal/honours/innovations/new/",
              f"/portal/honours/innovations/{own.pk}/"]
    base, shots, found = live_server.url, _shots(), {}
    ctx, page = _context(browser, live_server, viewport=LAPTOP, user=cast.city_admin)
    page.set_default_timeout(90_000)  # a busy test machine: the first page also warms the templates
    _walk(page, base, console, "laptop", found, shots)
    ctx.close()
    worker = make_worker_account(person=cast.member.person)
    ctx, page = _context(browser, live_server, viewport=PHONE, worker=worker)
    _walk(page, base, portal, "phone", found, shots)
    ctx.close()
    ctx, page = _context(browser, live_server, viewport=PHONE)
    _walk(page, base, [f"/portal/honours/verify/{verify_token(h)}/"], "phone", found, shots)
    ctx.close()
    assert not found, "axe-core violations:\n" + "\n".join(
        f"{p}\n  " + "\n  ".join(items) for p, items in found.items())
