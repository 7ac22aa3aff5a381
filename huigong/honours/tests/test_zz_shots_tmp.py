import datetime as dt

import pytest

from huigong.assistance.tests.flowkit import make_file
from huigong.honours import services
from huigong.honours.tests.test_browser import _context
from huigong.honours.testing import make_honour, worker

pytestmark = pytest.mark.django_db(transaction=True)
OUT = "/tmp/hon_shots"


def test_shots(live_server, browser, cast):
    import os
    os.makedirs(OUT, exist_ok=True)
    base = live_server.url
    h = make_honour(cast, cast.member.person)
    make_file(cast.member.person, cast.xihu)
    h2 = make_honour(cast, worker(cast, "王建华"))
    services.honour_create(actor=cast.city_admin, union=cast.enterprise.union, title_type="pioneer", level="city",
                           year=2025, granting_body="杭州市总工会", holder_kind="collective", enterprise=cast.enterprise,
                           holder_name=f"{cast.enterprise.name}研发一组")
    batch, _s = services.allowance_batch_create(actor=cast.finance, node=cast.xihu, year=dt.date.today().year)
    for width in (1366, 390):
        ctx = _context(browser, base, cast.district_staff, viewport={"width": width, "height": 900})
        page = ctx.new_page()
        for name, url in [("list", "/honours/register/"), ("detail", f"/honours/register/{h.pk}/"),
                          ("detail2", f"/honours/register/{h2.pk}/"),
                          ("form_collective", "/honours/register/new/?holder_kind=collective"),
                          ("entitlements", "/honours/entitlements/")]:
            page.goto(base + url)
            page.screenshot(path=f"{OUT}/{name}_{width}.png", full_page=True)
        ctx.close()
        ctx = _context(browser, base, cast.finance, viewport={"width": width, "height": 900})
        page = ctx.new_page()
        page.goto(base + f"/honours/batches/allowance/{batch.pk}/")
        page.screenshot(path=f"{OUT}/batch_{width}.png", full_page=True)
        ctx.close()
