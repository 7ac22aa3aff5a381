"""Every flow page: renders for the right role, is refused (403/404) to the outsider (a Qingdao admin)
for Hangzhou objects, and the actions go through the services."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from huigong.accounts.models import Role
from huigong.core.models import AccessLog
from huigong.testing import make_staff

from .. import clock
from ..models import AidApplication, Payout
from ..services import notices, payouts
from .flowkit import Flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    flow = Flow(cast)
    a_paid = flow.ready_to_pay(1)[0]
    batch = flow.batch()
    pending = flow.apply()
    notice = a_paid.notice_entry.notice
    return flow, {"app": a_paid, "pending": pending, "batch": batch, "notice": notice}


def login(client, user):
    client.force_login(user)
    return client


def pages(w):
    flow, o = w
    return [
        reverse("assistance:programme_list"), reverse("assistance:programme_detail", args=[flow.prog.pk]),
        reverse("assistance:application_list"), reverse("assistance:application_detail", args=[o["app"].pk]),
        reverse("assistance:notice_list"), reverse("assistance:notice_detail", args=[o["notice"].pk]),
        reverse("assistance:batch_list"), reverse("assistance:batch_detail", args=[o["batch"].pk]),
        reverse("assistance:ledger"),
    ]


def test_pages_render_for_city_staff(client, world, cast):
    login(client, cast.city_admin)
    for url in pages(world):
        r = client.get(url)
        assert r.status_code == 200, url


def test_outsider_refused_on_objects(client, world, cast):
    flow, o = world
    login(client, cast.outsider)
    for url in [reverse("assistance:programme_detail", args=[flow.prog.pk]),
                reverse("assistance:application_detail", args=[o["app"].pk]),
                reverse("assistance:notice_detail", args=[o["notice"].pk]),
                reverse("assistance:notice_pdf", args=[o["notice"].pk]),
                reverse("assistance:batch_detail", args=[o["batch"].pk]),
                reverse("assistance:batch_export", args=[o["batch"].pk]),
                reverse("assistance:batch_export", args=[o["batch"].pk]) + "?preview=1",
                reverse("assistance:batch_submit", args=[o["batch"].pk])]:
        assert client.get(url).status_code in (403, 404), url
    r = client.post(reverse("assistance:application_action", args=[o["pending"].pk, "withdraw"]))
    assert r.status_code in (403, 404)
    assert AidApplication.objects.get(pk=o["pending"].pk).status == "submitted"
    # their own lists are empty of Hangzhou data
    body = client.get(reverse("assistance:application_list")).content.decode()
    assert o["app"].file.file_no not in body
    # something is paid in Hangzhou: the insider's export shows it, the outsider's does not
    payouts.payout_mark_paid(actor=cast.finance, payout=o["batch"].payouts.get(), bank_reference="HZ-LEDGER-7")
    r = client.get(reverse("assistance:ledger_export_xlsx") + f"?node={cast.hangzhou.pk}")
    assert r.status_code == 200  # the filter falls back to their own node
    assert _sheet_text(r.content).count("HZ-LEDGER-7") == 0 and o["app"].file.file_no not in _sheet_text(r.content)
    assert "HZ-LEDGER-7" not in client.get(reverse("assistance:ledger") + f"?node={cast.hangzhou.pk}").content.decode()
    login(client, cast.city_admin)
    r = client.get(reverse("assistance:ledger_export_xlsx") + f"?node={cast.hangzhou.pk}")
    assert "HZ-LEDGER-7" in _sheet_text(r.content) and o["app"].file.file_no in _sheet_text(r.content)


def _sheet_text(content: bytes) -> str:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return " ".join(str(c) for name in wb.sheet_names for row in wb.get_sheet_by_name(name).to_python() for c in row)


def test_anonymous_redirected(client, world):
    for url in pages(world):
        assert client.get(url).status_code == 302


def test_queue_and_decide_through_the_page(client, world, cast):
    flow, o = world
    login(client, flow.tech_admin)
    r = client.get(reverse("assistance:approval_queue"))
    assert r.status_code == 200 and o["pending"].file.file_no in r.content.decode()
    url = reverse("assistance:application_action", args=[o["pending"].pk, "decide"])
    r = client.post(url, {"decision": "returned", "comment": ""}, follow=True)
    assert "comment" in r.content.decode() or "请填写" in r.content.decode()
    client.post(url, {"decision": "approved", "comment": "同意", "amount": "800.00"})
    app = AidApplication.objects.get(pk=o["pending"].pk)
    assert app.current_step == 1 and app.amount_approved_fen == 80_000
    login(client, cast.viewer)
    assert client.get(reverse("assistance:approval_queue")).status_code == 403


def test_wrong_node_approver_cannot_decide_via_page(client, world, cast):
    _flow, o = world
    login(client, cast.leader)  # city leader, but the step is the grassroots union's
    r = client.post(reverse("assistance:application_action", args=[o["pending"].pk, "decide"]),
                    {"decision": "approved", "comment": "x"})
    assert r.status_code == 403
    assert AidApplication.objects.get(pk=o["pending"].pk).current_step == 0


def test_create_programme_and_application_pages(client, world, cast):
    flow, _o = world
    login(client, cast.city_admin)
    r = client.post(reverse("assistance:programme_create"), {
        "node": cast.hangzhou.pk, "kind": "education", "name": "金秋助学", "year": 2026, "amount_mode": "fixed",
        "amount": "3000", "approval_levels": ["city", "grassroots"], "required_causes": ["schooling"],
        "notice_days": 5})
    assert r.status_code == 302
    from ..models import AidProgramme
    p = AidProgramme.objects.get(name="金秋助学")
    assert p.approval_levels == ["grassroots", "city"] and p.amount_fen == 300_000
    client.post(reverse("assistance:programme_status", args=[p.pk]), {"action": "open"})
    client.post(reverse("assistance:programme_budget", args=[p.pk]), {"node": cast.hangzhou.pk, "total": "10000"})
    f = flow.new_file(causes=("schooling",))
    login(client, cast.tech_staff)
    r = client.post(reverse("assistance:application_create"), {
        "programme": p.pk, "file_no": f.file_no, "amount": "2000", "reason": "孩子考上大学"})
    assert r.status_code == 200 and "3,000.00" in r.content.decode()  # fixed amount refusal on the form
    r = client.post(reverse("assistance:application_create"), {
        "programme": p.pk, "file_no": f.file_no, "amount": "3000", "reason": "孩子考上大学", "submit_now": "1"})
    assert r.status_code == 302
    assert AidApplication.objects.get(programme=p).status == "submitted"


def test_public_notice_shows_only_masked(client, world):
    _flow, o = world
    token = notices.share_token(o["notice"])
    with clock.travel(o["notice"].ends_on):
        r = client.get(reverse("assistance:notice_public", args=[token]))
        body = r.content.decode()
        head = o["app"].file.head
        assert r.status_code == 200 and o["notice"].entries.get().masked_name in body
        assert head.name not in body and o["app"].file.file_no not in body
        assert client.get(reverse("assistance:notice_public", args=[token + "x"])).status_code == 404
        assert client.get(reverse("assistance:notice_public", args=[token]) + "?format=pdf")["Content-Type"] == \
            "application/pdf"


def test_public_notice_link_expires_after_the_period(client, world):
    """Review #8: the share link does not publish the names for ever."""
    _flow, o = world
    n = o["notice"]
    url = reverse("assistance:notice_public", args=[notices.share_token(n)])
    masked = n.entries.get().masked_name
    with clock.travel(n.ends_on + dt.timedelta(days=notices.PUBLIC_GRACE_DAYS)):
        assert masked in client.get(url).content.decode()  # the last day of the grace
    with clock.travel(n.ends_on + dt.timedelta(days=notices.PUBLIC_GRACE_DAYS + 1)):
        r = client.get(url)
        assert r.status_code == 410 and "公示已结束" in r.content.decode()
        assert masked not in r.content.decode()
        pdf = client.get(url + "?format=pdf")
        assert pdf.status_code == 410 and pdf["Content-Type"].startswith("text/html")


def test_batch_page_actions_and_export(client, world, cast):
    _flow, o = world
    login(client, cast.finance)
    p = o["batch"].payouts.get()
    r = client.post(reverse("assistance:batch_export", args=[o["batch"].pk]),
                    {"full": "1", "results": "1", "confirm": "1"})
    assert r.status_code == 200 and AccessLog.objects.filter(object_type="assistance.payout").count() == 1
    assert Payout.objects.get(pk=p.pk).status == "sent"  # submitting the sheet sent it
    r = client.post(reverse("assistance:batch_export", args=[o["batch"].pk]),
                    {"full": "1", "results": "1", "confirm": "1"}, follow=True)
    assert "本批次没有待发送的发放记录" in r.content.decode()  # no second sheet of the same payments
    r = client.get(reverse("assistance:batch_export", args=[o["batch"].pk]) + "?attempt=1")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    page = client.get(reverse("assistance:batch_detail", args=[o["batch"].pk])).content.decode()
    assert "?attempt=1" in page and "等待银行回盘" in page
    client.post(reverse("assistance:payout_action", args=[p.pk, "failed"]), {"reason": "户名不符"})
    assert Payout.objects.get(pk=p.pk).status == "failed"
    client.post(reverse("assistance:payout_action", args=[p.pk, "retry"]))
    client.post(reverse("assistance:payout_action", args=[p.pk, "paid"]), {"bank_reference": "B-1"})
    client.post(reverse("assistance:payout_action", args=[p.pk, "paid"]), {"bank_reference": "B-2"})
    p.refresh_from_db()
    assert p.status == "paid" and p.bank_reference == "B-1" and p.attempts == 2
    r = client.post(reverse("assistance:batch_import", args=[o["batch"].pk]),
                    {"upload": io.BytesIO(b"junk")}, follow=True)
    assert "xlsx" in r.content.decode()
    login(client, cast.city_admin)  # admin: VIEW but no MONEY
    assert client.get(reverse("assistance:batch_export", args=[o["batch"].pk])).status_code == 403
    assert client.post(reverse("assistance:batch_export", args=[o["batch"].pk])).status_code == 403
    assert client.get(reverse("assistance:batch_create")).status_code == 403


def test_ledger_exports(client, world, cast):
    _flow, o = world
    login(client, cast.finance)
    client.post(reverse("assistance:payout_action", args=[o["batch"].payouts.get().pk, "paid"]),
                {"bank_reference": "B-9"})
    r = client.get(reverse("assistance:ledger") + f"?node={cast.hangzhou.pk}&year=2026")
    assert r.status_code == 200 and "B-9" in r.content.decode()
    x = client.get(reverse("assistance:ledger_export_xlsx") + f"?node={cast.hangzhou.pk}&year=2026")
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxml")
    pdf = client.get(reverse("assistance:ledger_export_pdf") + f"?node={cast.hangzhou.pk}&year=2026")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    login(client, cast.viewer)
    assert client.get(reverse("assistance:ledger_export_xlsx")).status_code == 403


def test_outsider_posts_change_nothing(client, world, cast):
    """Review #13: every flow POST refuses the outsider (a Qingdao admin) and leaves Hangzhou's state alone."""
    from ..models import Notice, NoticeObjection, PayoutBatch
    from .test_payout import _result_sheet

    flow, o = world
    batch, p = o["batch"], o["batch"].payouts.get()
    app = flow.approve_all(flow.apply())
    with clock.travel(dt.date(2026, 3, 1)):
        n = notices.notice_publish(actor=cast.city_admin, node=cast.hangzhou, applications=[app], title="第二批",
                                   days=5)
    obj = notices.notice_objection_record(actor=cast.city_admin, notice=n, application=app, content="来电反映")
    [a2] = flow.ready_to_pay(1)
    p2 = flow.batch("补发批次", applications=[a2]).payouts.get()
    payouts.payout_mark_failed(actor=cast.finance, payout=p2, reason="户名不符")

    def state():
        return (list(Payout.objects.order_by("pk").values_list("status", "attempts", "bank_reference")),
                list(PayoutBatch.objects.order_by("pk").values_list("status", flat=True)),
                list(Notice.objects.order_by("pk").values_list("status", flat=True)),
                list(NoticeObjection.objects.order_by("pk").values_list("resolved_at", "upheld")),
                list(AidApplication.objects.order_by("pk").values_list("status", flat=True)))

    before = state()
    sheet = _result_sheet([[1, "x", "", "", 1000, "", f"{p.idempotency_key}#1", "成功", "B-X", ""]])
    outsider = make_staff(cast.qingdao, Role.FINANCE)  # MONEY, but in Qingdao
    for who in (cast.outsider, outsider):
        login(client, who)
        with clock.travel(n.ends_on):  # the notice is due: only scope stands in the way
            posts = [
                (reverse("assistance:batch_import", args=[batch.pk]),
                 {"upload": SimpleUploadedFile("r.xlsx", sheet)}),
                (reverse("assistance:batch_sent", args=[batch.pk]), {}),
                (reverse("assistance:batch_export", args=[batch.pk]), {}),
                (reverse("assistance:payout_action", args=[p.pk, "paid"]), {"bank_reference": "B-X"}),
                (reverse("assistance:payout_action", args=[p.pk, "failed"]), {"reason": "x"}),
                (reverse("assistance:payout_action", args=[p2.pk, "retry"]), {}),
                (reverse("assistance:notice_end", args=[n.pk]), {}),
                (reverse("assistance:notice_objection", args=[n.pk]),
                 {"received_on": "2026-03-02", "channel": "电话", "content": "外单位的异议"}),
                (reverse("assistance:notice_objection_resolve", args=[obj.pk]),
                 {"upheld": "1", "resolution": "撤下", "outcome": "rejected"}),
            ]
            for url, data in posts:
                r = client.post(url, data)
                assert r.status_code in (403, 404), (who, url, r.status_code)
    assert state() == before


def test_preview_changes_nothing_and_only_the_confirmed_submit_sends(client, world, cast):
    """The masked sheet is a preview (once a "脱敏" button that sent the batch with unusable numbers); a
    sheet goes to the bank only from the confirmation page, with full account numbers."""
    _flow, o = world
    batch = o["batch"]
    p = batch.payouts.get()
    login(client, cast.finance)
    page = client.get(reverse("assistance:batch_detail", args=[batch.pk])).content.decode()
    assert "预览代发表" in page and reverse("assistance:batch_submit", args=[batch.pk]) in page
    for _ in range(2):
        r = client.get(reverse("assistance:batch_export", args=[batch.pk]) + "?preview=1")
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
        assert "预览" in r["Content-Disposition"] or "%E9%A2%84%E8%A7%88" in r["Content-Disposition"]
    assert Payout.objects.get(pk=p.pk).status == "pending"
    assert not AccessLog.objects.filter(object_type="assistance.payout").exists()
    # A POST without the confirmation (an old form, a stray click) leads to the confirmation page.
    r = client.post(reverse("assistance:batch_export", args=[batch.pk]), {"full": "1", "results": "1"})
    assert r.status_code == 302 and r["Location"] == reverse("assistance:batch_submit", args=[batch.pk])
    assert Payout.objects.get(pk=p.pk).status == "pending"
    confirm = client.get(r["Location"]).content.decode()
    assert "完整收款账号" in confirm and "银行处理中" in confirm and 'name="confirm" value="1"' in confirm
    r = client.post(reverse("assistance:batch_export", args=[batch.pk]), {"full": "1", "results": "1", "confirm": "1"})
    assert r.status_code == 200 and Payout.objects.get(pk=p.pk).status == "sent"


def test_submit_page_needs_money(client, world, cast):
    _flow, o = world
    login(client, cast.viewer)
    assert client.get(reverse("assistance:batch_submit", args=[o["batch"].pk])).status_code == 403


def test_every_count_links_to_its_list_and_the_next_step_is_one_click(client, world, cast):
    """Once dead ends: 待我审批 was a bare number, 资金发放 unreachable from the overview, a hardship file
    had no way to apply for aid, and 全部 0 次 stood above a listed sweep."""
    import datetime as dt

    from huigong.assistance.services import screening

    flow, o = world
    screening.sweep_open(actor=cast.city_admin, node=cast.hangzhou, title="全市摸底", year=2026,
                         deadline=dt.date.today() + dt.timedelta(days=30))
    login(client, flow.tech_admin)  # approves the pending application's first step
    home = client.get(reverse("assistance:home")).content.decode()
    assert f'href="{reverse("assistance:approval_queue")}"' in home
    assert f'href="{reverse("assistance:batch_list")}"' in home
    assert "全部 1 次" in home and "全市摸底" in home  # the city's sweep covers this union and is counted
    login(client, cast.viewer)
    assert reverse("assistance:approval_queue") not in client.get(reverse("assistance:home")).content.decode()
    # A hardship file's page offers the aid application, which opens with the file filled in.
    login(client, cast.city_admin)
    f = o["pending"].file
    page = client.get(reverse("assistance:file_detail", args=[f.pk])).content.decode()
    apply_url = f'{reverse("assistance:application_create")}?file={f.pk}'
    assert apply_url in page
    assert f'value="{f.file_no}"' in client.get(apply_url).content.decode()


def test_ending_a_notice_is_disabled_with_the_reason_until_its_period_is_over(client, world, cast):
    import datetime as dt

    from huigong.assistance import clock
    from huigong.assistance.services import notices

    flow, _o = world
    app = flow.approve_all(flow.apply())
    n = notices.notice_publish(actor=cast.city_admin, node=cast.hangzhou, applications=[app], title="公示",
                               contact="0571-1", days=7)
    login(client, cast.city_admin)
    page = client.get(reverse("assistance:notice_detail", args=[n.pk])).content.decode()
    assert "disabled" in page and n.ends_on.isoformat() in page
    assert reverse("assistance:notice_end", args=[n.pk]) not in page
    with clock.travel(n.ends_on + dt.timedelta(days=1)):
        page = client.get(reverse("assistance:notice_detail", args=[n.pk])).content.decode()
    assert reverse("assistance:notice_end", args=[n.pk]) in page
