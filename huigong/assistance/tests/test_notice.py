import datetime as dt
import os
import tempfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from .. import clock
from ..models import AidApplication, NoticeEntry, ProgrammeBudget
from ..services import notices
from .flowkit import YEAR, Flow, end_notice

pytestmark = pytest.mark.django_db
START = dt.date(YEAR, 3, 1)


@pytest.fixture
def flow(cast):
    return Flow(cast)


def publish(flow, apps, **kw):
    with clock.travel(START):
        return notices.notice_publish(actor=flow.cast.city_admin, node=flow.cast.hangzhou, applications=apps,
                                      title="2026年生活救助公示", contact="0571-12345678", days=5, **kw)


def test_publish_masks_names_and_moves_to_notice(flow):
    app = flow.approve_all(flow.apply(file=flow.new_file(name="欧阳明华")))
    n = publish(flow, [app])
    e = NoticeEntry.objects.get(notice=n)
    assert e.masked_name == "欧**华" and e.amount_fen == app.amount_approved_fen
    assert AidApplication.objects.get(pk=app.pk).status == "notice"
    assert n.ends_on == START + dt.timedelta(days=5)


def test_only_approved_in_scope(flow, cast):
    draft = flow.apply(submit=False)
    with pytest.raises(ValidationError, match="只有已批准的申请可以公示"):
        publish(flow, [draft])
    app = flow.approve_all(flow.apply())
    with pytest.raises(PermissionDenied):
        notices.notice_publish(actor=cast.outsider, node=cast.hangzhou, applications=[app], title="x")
    with pytest.raises(ValidationError, match="不在“"):
        notices.notice_publish(actor=cast.outsider, node=cast.qingdao, applications=[app], title="x")
    assert AidApplication.objects.get(pk=app.pk).status == "approved"


def test_end_only_after_period(flow):
    app = flow.approve_all(flow.apply())
    n = publish(flow, [app])
    with pytest.raises(ValidationError, match="才结束"):
        end_notice(flow.cast.city_admin, n, START + dt.timedelta(days=2))
    end_notice(flow.cast.city_admin, n, START + dt.timedelta(days=5))
    assert AidApplication.objects.get(pk=app.pk).status == "notice_ended"


def test_upheld_objection_pulls_and_releases_budget(flow):
    a1 = flow.approve_all(flow.apply(amount_fen=100_000))
    a2 = flow.approve_all(flow.apply(amount_fen=80_000))
    n = publish(flow, [a1, a2])
    assert ProgrammeBudget.objects.get(pk=flow.budget.pk).committed_fen == 180_000
    o = notices.notice_objection_record(actor=flow.cast.city_admin, notice=n, application=a1, channel="电话",
                                        content="该户家中新购车辆")
    with pytest.raises(ValidationError, match="还有未处理的异议"):
        end_notice(flow.cast.city_admin, n, START + dt.timedelta(days=9))
    notices.notice_objection_resolve(actor=flow.cast.city_admin, objection=o, upheld=True,
                                     resolution="经核实属实，取消资助")
    a1 = AidApplication.objects.get(pk=a1.pk)
    assert a1.status == "rejected" and a1.budget_id is None
    assert ProgrammeBudget.objects.get(pk=flow.budget.pk).committed_fen == 80_000
    end_notice(flow.cast.city_admin, n, START + dt.timedelta(days=9))
    assert AidApplication.objects.get(pk=a2.pk).status == "notice_ended"
    with pytest.raises(ValidationError, match="公示已结束，不能再登记异议"):
        notices.notice_objection_record(actor=flow.cast.city_admin, notice=n, content="迟到的异议")


def test_dismissed_objection_and_returned_outcome(flow):
    a1 = flow.approve_all(flow.apply())
    n = publish(flow, [a1])
    o = notices.notice_objection_record(actor=flow.cast.city_admin, notice=n, application=a1, content="匿名来信")
    notices.notice_objection_resolve(actor=flow.cast.city_admin, objection=o, upheld=False, resolution="不属实")
    assert AidApplication.objects.get(pk=a1.pk).status == "notice"
    o2 = notices.notice_objection_record(actor=flow.cast.city_admin, notice=n, application=a1, content="收入有误")
    notices.notice_objection_resolve(actor=flow.cast.city_admin, objection=o2, upheld=True, resolution="退回核实",
                                     outcome="returned")
    assert AidApplication.objects.get(pk=a1.pk).status == "returned"


def test_tick_command_ends_due_notices(flow, monkeypatch):
    app = flow.approve_all(flow.apply())
    publish(flow, [app])
    from django.utils import timezone
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: START + dt.timedelta(days=6))
    call_command("assistance_tick")
    assert AidApplication.objects.get(pk=app.pk).status == "notice_ended"


def test_share_token_roundtrip_and_tamper(flow):
    n = publish(flow, [flow.approve_all(flow.apply())])
    token = notices.share_token(n)
    assert notices.notice_from_token(token) == n
    assert notices.notice_from_token(token[:-2] + "xx") is None
    assert str(n.pk) != token


def test_notice_pdf_masked(flow):
    pypdfium2 = pytest.importorskip("pypdfium2")
    file = flow.new_file(name="张小三")
    app = flow.approve_all(flow.apply(file=file, amount_fen=123_400))
    n = publish(flow, [app])
    pdf = notices.notice_pdf(n)
    doc = pypdfium2.PdfDocument(pdf)
    text = doc[0].get_textpage().get_text_range()
    assert "张*三" in text and "张小三" not in text and "1,234.00" in text
    assert file.members.get().id_number not in text
    out = os.path.join(os.environ.get("HG_SHOTS", tempfile.gettempdir()), "notice-page1.png")
    doc[0].render(scale=1.5).to_pil().save(out)
    print("notice PDF page 1:", out)


def test_periodic_job_registered_and_ends_due_notices(flow, monkeypatch):
    from django.utils import timezone

    from huigong.core import periodic

    app = flow.approve_all(flow.apply())
    publish(flow, [app])
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: START + dt.timedelta(days=7))
    # The kernel's job ends the due notices of every scheme that registered (aid's among them).
    assert "assistance.notices_end" not in periodic.JOBS
    assert periodic.tick(force=True)["notices.end"] == "ok"
    assert AidApplication.objects.get(pk=app.pk).status == "notice_ended"


def test_backdated_start_refused_and_the_period_cannot_be_skipped(flow):
    """Review #1: a notice starting in the past would end at once and let the money go out unseen."""
    app = flow.approve_all(flow.apply())
    with clock.travel(START):
        with pytest.raises(ValidationError, match="公示期不能倒签") as e:
            notices.notice_publish(actor=flow.cast.city_admin, node=flow.cast.hangzhou, applications=[app],
                                   title="倒签公示", days=5, starts_on=START - dt.timedelta(days=30))
        assert "starts_on" in e.value.message_dict
        assert AidApplication.objects.get(pk=app.pk).status == "approved"
        n = notices.notice_publish(actor=flow.cast.city_admin, node=flow.cast.hangzhou, applications=[app],
                                   title="公示", days=5)
        assert (n.starts_on, n.ends_on) == (START, START + dt.timedelta(days=5))
        with pytest.raises(ValidationError, match="才结束"):
            notices.notice_end(actor=flow.cast.city_admin, notice=n)
        assert notices.notices_tick() == []
    end_notice(flow.cast.city_admin, n, START + dt.timedelta(days=5))
    assert AidApplication.objects.get(pk=app.pk).status == "notice_ended"


def test_notice_form_refuses_a_backdated_start(client, flow):
    from django.urls import reverse

    app = flow.approve_all(flow.apply())
    client.force_login(flow.cast.city_admin)
    r = client.post(reverse("assistance:notice_create"), {
        "node": flow.cast.hangzhou.pk, "title": "倒签公示", "days": 5, "applications": [app.pk],
        "starts_on": (clock.today() - dt.timedelta(days=3)).isoformat()})
    assert r.status_code == 200 and "公示期不能倒签" in r.content.decode()
    assert AidApplication.objects.get(pk=app.pk).status == "approved"
