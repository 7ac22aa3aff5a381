"""Accessibility in a real browser: axe-core (vendored from npm into static/vendor/ by
scripts/vendor_static.py, never a CDN) runs over every console page as a city admin and every portal
page as a worker, at laptop size and, for the portal, at phone size; no page may have a critical or
serious violation. Then the console's main flows by keyboard alone: the top navigation and the member
search form, reached and used with Tab and Enter.

The world (the shared Cast, an aid round up to a payout batch, a screening sweep, benefit programmes with
a claim and a reimbursement, a join application, a worker with a member card) is built once and every
page is walked in one test, so the module stays fast. Screenshots go to $HUIGONG_SCREENSHOT_DIR/a11y
when that is set."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe.min.js"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
BLOCKING = ("critical", "serious")


def _axe_path() -> Path:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/vendor_static.py (axe-core is vendored from node_modules)")
    return AXE


def _world(cast):
    """Data behind every page: returns {name: object} for the detail pages."""
    import random

    import huigong.benefits.testing as benefits
    from huigong.assistance.services import files as file_services
    from huigong.assistance.tests import files_support
    from huigong.assistance.tests.flowkit import Flow
    from huigong.benefits import services as benefit_services
    from huigong.benefits.models import ProgrammeKind
    from huigong.members.roster import roster_import_start
    from huigong.members.roster.testing import person_row, roster_xlsx, upload
    from huigong.portal.testing import make_worker_account, submit_join

    w = {}
    # 三助: a rule, a sweep, an open file, an aid round approved, publicised and in a payout batch.
    files_support.rule(cast)
    w["sweep"] = files_support.sweep(cast)
    flow = Flow(cast)
    w["aid_programme"] = flow.prog
    apps = flow.ready_to_pay(2)
    w["application"] = apps[0]
    w["pending"] = flow.apply(amount_fen=50_000)
    w["batch"] = flow.batch()
    draft = files_support.deep_file(cast, head=files_support.member(cast, name="孙困难"))
    w["file"] = file_services.hardship_file_open(actor=cast.city_admin, file=draft, verified_on=dt.date.today(),
                                                 verification_note="入户核实")
    # Benefits: a check-up programme with the worker's claim, a reimbursement waiting for review.
    w["checkup"] = benefits.make_programme(cast.city_admin, cast.xihu, title="新就业形态劳动者免费体检", quota=50)
    w["subsidy"] = benefits.make_programme(cast.city_admin, cast.xihu, kind=ProgrammeKind.REIMBURSEMENT,
                                           title="骑手健康证补贴", quota=50)
    person = cast.rider.person
    w["claim"] = benefit_services.claim_create(actor=cast.city_admin, programme=w["checkup"], person=person)
    w["reimbursement"] = benefit_services.reimbursement_submit(
        actor=cast.city_admin, programme=w["subsidy"], person=person, amount_fen=4_000,
        receipt=benefits.receipt_png())
    # Members: an import; the portal: a worker with a card, a stranger's join waiting.
    w["import"] = roster_import_start(actor=cast.city_admin, union=cast.tech,
                                      upload=upload("r.xlsx", roster_xlsx([person_row(random.Random(1))])))
    w["worker"] = make_worker_account("13811110001", person=person)
    w["newcomer"] = make_worker_account("13811110002")
    w["join"] = submit_join(platform=cast.platform)
    from huigong.portal.services import message_send

    w["message"] = message_send(person=person, title="体检名额已确认", body="请按时到体检点体检。")
    return w


def _console_urls(cast, w) -> list[str]:
    from huigong.assistance.models import Notice
    from huigong.portal.cards import card_token

    notice = Notice.objects.order_by("pk").first()
    return [
        "/", "/org/", f"/org/nodes/{cast.xihu.pk}/", "/org/enterprises/", f"/org/enterprises/{cast.enterprise.pk}/",
        "/org/sites/", "/members/", f"/members/{cast.member.person.pk}/", "/members/new/", "/members/imports/",
        f"/members/imports/{w['import'].pk}/", "/audit/", "/audit/access/", "/accounts/staff/",
        f"/accounts/staff/{cast.district_staff.staff.pk}/",
        "/accounts/tokens/", "/accounts/profile/",
        "/assistance/", "/assistance/rules/", "/assistance/sweeps/", f"/assistance/sweeps/{w['sweep'].pk}/",
        "/assistance/files/", f"/assistance/files/{w['file'].pk}/", "/assistance/files/new/",
        "/assistance/help-requests/", "/assistance/programmes/", f"/assistance/programmes/{w['aid_programme'].pk}/",
        "/assistance/applications/", f"/assistance/applications/{w['application'].pk}/",
        "/assistance/applications/new/", "/assistance/approvals/", "/assistance/notices/",
        *([f"/assistance/notices/{notice.pk}/"] if notice else []), "/assistance/batches/",
        f"/assistance/batches/{w['batch'].pk}/", "/assistance/ledger/",
        "/benefits/", f"/benefits/programmes/{w['checkup'].pk}/", f"/benefits/programmes/{w['subsidy'].pk}/",
        "/benefits/programmes/new/", "/benefits/reimbursements/", f"/benefits/reimbursements/{w['reimbursement'].pk}/",
        "/benefits/visits/", "/benefits/sites/",
        "/insights/", "/insights/reports/",
        "/accounts/staff/new/", "/org/enterprises/new/", "/org/sites/new/", f"/org/nodes/{cast.xihu.pk}/edit/",
        "/assistance/sweeps/new/", "/assistance/notices/new/",
        "/portal/staff/joins/", f"/portal/staff/joins/{w['join'].pk}/", "/portal/staff/transfers/",
        "/portal/staff/links/",
        f"/portal/staff/card/?t={card_token(cast.rider)}",
    ]


def _portal_urls(w) -> list[str]:
    return [*PORTAL_URLS, f"/portal/messages/{w['message'].pk}/", f"/portal/benefits/claims/{w['claim'].pk}/"]


PORTAL_URLS = [
    "/portal/", "/portal/me/", "/portal/services/", "/portal/messages/", "/portal/benefits/",
    "/portal/benefits/claims/", "/portal/benefits/reimbursements/", "/portal/benefits/reimbursements/new/",
    "/portal/benefits/sites/", "/portal/assistance/", "/portal/assistance/help/",
]
JOIN_URLS = ["/portal/join/", "/portal/join/identity/", "/portal/join/work/", "/portal/join/where/", "/portal/link/"]
PUBLIC_URLS = ["/accounts/login/", "/portal/login/", "/portal/signup/"]


def _context(browser, live_server, *, viewport, user=None, worker=None, bypass_csp=True):
    from django.conf import settings
    from django.test import Client

    ctx = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=bypass_csp,
                              **({"is_mobile": True, "has_touch": True} if viewport == PHONE else {}))
    if user is not None or worker is not None:
        client = Client()
        if worker is not None:
            from huigong.portal.testing import sign_in

            sign_in(client, worker)
        else:
            client.force_login(user)
        ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    return ctx, page


def _axe(page) -> list[dict]:
    """axe-core's critical and serious violations on the page, injected from the vendored file."""
    page.add_script_tag(path=str(_axe_path()))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def _describe(v: dict) -> str:
    targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:4])
    more = f" (+{len(v['nodes']) - 4})" if len(v["nodes"]) > 4 else ""
    return f"{v['impact']} {v['id']}: {v['help']} [{targets}{more}]"


def _walk(page, base: str, urls, label: str, found: dict, shots: Path | None) -> None:
    for url in urls:
        key = f"{label} {url}"
        try:
            response = page.goto(base + url)
        except Exception as e:  # noqa: BLE001 - an error page is reported with the others
            found[key] = [f"could not load: {e}".splitlines()[0]]
            continue
        if response is None or response.status >= 400:
            found[key] = [f"HTTP {response.status if response else '?'} (the page must render for the check)"]
            continue
        bad = _axe(page)
        if bad:
            found[key] = [_describe(v) for v in bad]
        if shots is not None:
            name = f"{label}{url.split('?')[0]}".strip("/").replace("/", "_") or "root"
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def _shots() -> Path | None:
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    if not root:
        return None
    path = Path(root) / "a11y"
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_axe_finds_no_critical_or_serious_violation_on_any_page(live_server, browser, cast):
    w = _world(cast)
    base, shots, found = live_server.url, _shots(), {}

    ctx, page = _context(browser, live_server, viewport=LAPTOP, user=cast.city_admin)
    _walk(page, base, _console_urls(cast, w), "laptop", found, shots)
    ctx.close()
    for viewport, label in ((LAPTOP, "laptop"), (PHONE, "phone")):
        ctx, page = _context(browser, live_server, viewport=viewport, worker=w["worker"])
        _walk(page, base, _portal_urls(w), label, found, shots)
        ctx.close()
        ctx, page = _context(browser, live_server, viewport=viewport, worker=w["newcomer"])
        _walk(page, base, JOIN_URLS, label, found, shots)
        ctx.close()
        ctx, page = _context(browser, live_server, viewport=viewport)
        _walk(page, base, PUBLIC_URLS, label, found, shots)
        ctx.close()
    assert not found, "axe-core violations:\n" + "\n".join(
        f"{page}\n  " + "\n  ".join(items) for page, items in found.items())


def _tab_until(page, predicate: str, limit: int = 80) -> list[str]:
    """Presses Tab until `predicate` (a JS expression on `el`, the focused element) holds; returns what
    was focused on the way. Fails if it never holds or if a focused element shows no focus ring."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        # A searchable picker's input draws its ring on the box around it (.ts-control), like a plain input.
        info = page.evaluate("""() => { const el = document.activeElement;
            const s = getComputedStyle(el.closest('.ts-wrapper') ? el.closest('.ts-control') : el);
            return {tag: el.tagName, text: (el.getAttribute('aria-label') || el.innerText || el.value || '').trim(),
                    href: el.getAttribute('href') || '', ring: s.outlineStyle !== 'none' || s.boxShadow !== 'none'}; }""")
        seen.append(f"{info['tag']} {info['text'][:20]} {info['href']}".strip())
        assert info["ring"], f"no visible focus on {seen[-1]}"
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({predicate}); }}"):
            return seen
    raise AssertionError(f"never reached {predicate} by Tab; focused: {seen}")


def test_the_console_works_with_the_keyboard_alone(live_server, browser, cast):
    base = live_server.url
    ctx, page = _context(browser, live_server, viewport=LAPTOP, user=cast.city_admin, bypass_csp=False)
    page.goto(base + "/")
    # The first stop skips the navigation; then the menu's sections are disclosures (<details>): Tab reaches
    # a section's heading, Enter opens it, and its items follow in order.
    seen = _tab_until(page, "el.classList.contains('skip-link')", limit=1)
    assert seen == ["A 跳到正文 #main"]
    section = page.locator('details[data-nav-group="组织与会员"]')
    assert section.get_attribute("open") is None  # the home page is in no section: all closed
    assert not page.locator("nav.nav a[href='/members/']").is_visible()
    seen = _tab_until(page, "el.matches('details[data-nav-group=\"组织与会员\"] > summary')")
    assert [s.rsplit(" ", 1)[-1] for s in seen] == ["/", "/", "组织与会员"]  # the brand, 首页, the first section
    page.keyboard.press("Enter")
    assert section.get_attribute("open") is not None
    nav = section.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    seen = _tab_until(page, "el.closest('nav.nav') && el.getAttribute('href') === '/members/'")
    assert [s.rsplit(" ", 1)[-1] for s in seen] == nav[: nav.index("/members/") + 1]
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/members/")

    # Members: skip to the content, type a search, submit with Enter, open the member found with Enter.
    _tab_until(page, "el.classList.contains('skip-link')", limit=1)
    page.keyboard.press("Enter")
    _tab_until(page, "el.id === 'id_q'")
    page.keyboard.type("李小红")
    page.keyboard.press("Enter")
    page.wait_for_url("**/members/?*s=*")  # the search text travels by POST, behind a token (core/searchtext)
    assert "李小红" in page.locator("table").inner_text()
    _tab_until(page, f"el.getAttribute('href') === '/members/{cast.member.person.pk}/'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/members/{cast.member.person.pk}/")

    # The union tree: the arrow is a button; Space opens the row and loads its children.
    page.goto(base + "/org/")
    _tab_until(page, "el.matches('button.tree-expand')")
    button = page.locator("button.tree-expand").first
    assert button.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Space")
    kids = page.locator("#" + button.get_attribute("aria-controls"))
    kids.locator(".tree-row").first.wait_for()
    assert button.get_attribute("aria-expanded") == "true" and kids.is_visible()
    page.keyboard.press("Space")
    assert button.get_attribute("aria-expanded") == "false" and not kids.is_visible()

    # A table wider than a phone scrolls: its region takes the focus, and the arrow keys scroll it.
    page.set_viewport_size(PHONE)
    page.goto(base + "/members/")
    _tab_until(page, "el.matches('.table-wrap[role=region]')")
    region = page.locator(".table-wrap[role=region]").first
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.table-wrap[role=region]').scrollLeft > 0")
    ctx.close()
