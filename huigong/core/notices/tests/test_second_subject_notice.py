"""The kernel's 公示 service serves a second domain without copying: a test-only domain ("grants",
huigong/core/tests/kernel_subject) publishes a notice through core.notices alone, with the rules aid
lives by (masked names, the period, objections and their resolution, the end, the page, the PDF and the
public link). Its approval-chain counterpart: core/approvals/tests/test_second_subject_chain.py."""

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory

from huigong.accounts.models import Cap
from huigong.core.models import AuditEvent
from huigong.core.notices import services as notices
from huigong.core.notices.models import NoticeStatus
from huigong.core.notices.views import notice_public_response
from huigong.core.scope import OutOfScope
from huigong.core.tests.kernel_subject.models import (
    Grant,
    GrantNotice,
    GrantNoticeEntry,
    GrantNoticeObjection,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2031, 5, 1)


class Clock:
    day = DAY

    def __call__(self):
        return self.day


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def scheme(clock):

    def on_uphold(*, actor, objection, subject, outcome):
        if subject.status != "notice":
            raise ValidationError("已发放，不能撤下")
        subject.status = outcome
        subject.save(update_fields=["status"])

    s = notices.register_scheme(notices.NoticeScheme(
        key="grant-test", notice_model=GrantNotice, entry_model=GrantNoticeEntry,
        objection_model=GrantNoticeObjection, subject_model=Grant, subject_field="grant", capability=Cap.ASSIST,
        audit_prefix="grant_notice", today=clock, share_salt="huigong.tests.grant-notice",
        refuse=lambda g, node: None if g.status == "approved" else f"#{g.pk} 未批准",
        entry_values=lambda g: notices.EntryValues(g.holder_name, g.node.name, g.amount_fen),
        default_days=lambda grants: 7,
        on_publish=lambda *, actor, notice, subjects: Grant.objects.filter(
            pk__in=[g.pk for g in subjects]).update(status="notice"),
        on_uphold=on_uphold,
        on_end=lambda *, actor, notice, subject_ids: Grant.objects.filter(
            pk__in=subject_ids, status="notice").update(status="notice_ended"),
        uphold_outcomes=("rejected",), subject_related=("node",)))
    yield s
    notices.SCHEMES.pop("grant-test", None)


def approved_grant(cast, name, amount_fen=50_000):
    return Grant.objects.create(node=cast.tech, node_path=cast.tech.path, holder_name=name, amount_fen=amount_fen,
                                status="approved", applied_by=cast.tech_staff)


def test_a_second_domain_publishes_a_notice_with_every_rule(cast, scheme, clock):
    g1, g2 = approved_grant(cast, "张小三"), approved_grant(cast, "李四", 30_000)
    draft = Grant.objects.create(node=cast.tech, node_path=cast.tech.path, holder_name="王五", amount_fen=1,
                                 status="submitted")
    # Only what the domain calls publishable; never backdated; outsiders are denied.
    with pytest.raises(ValidationError, match="未批准"):
        notices.notice_publish(scheme=scheme, actor=cast.city_admin, node=cast.hangzhou, subjects=[g1, draft],
                               title="助学金公示")
    with pytest.raises(ValidationError, match="倒签"):
        notices.notice_publish(scheme=scheme, actor=cast.city_admin, node=cast.hangzhou, subjects=[g1],
                               title="助学金公示", starts_on=DAY - dt.timedelta(days=1))
    with pytest.raises(OutOfScope):
        notices.notice_publish(scheme=scheme, actor=cast.outsider, node=cast.hangzhou, subjects=[g1], title="x")
    with pytest.raises(PermissionDenied):
        notices.notice_publish(scheme=scheme, actor=cast.leader, node=cast.hangzhou, subjects=[g1], title="x")
    n = notices.notice_publish(scheme=scheme, actor=cast.city_admin, node=cast.hangzhou, subjects=[g1, g2],
                               title="助学金公示")
    assert (n.starts_on, n.ends_on) == (DAY, DAY + dt.timedelta(days=7))
    rows = notices.notice_rows(scheme, n)
    assert [r.masked_name for r in rows] == ["张*三", "李*"] and [r.amount_yuan for r in rows] == ["500.00", "300.00"]
    assert set(Grant.objects.filter(pk__in=[g1.pk, g2.pk]).values_list("status", flat=True)) == {"notice"}
    assert AuditEvent.objects.filter(verb="grant_notice.publish", object_id=str(n.pk)).exists()

    # An objection: recorded, it blocks the end; upheld, the grant leaves the notice.
    o = notices.notice_objection_record(scheme=scheme, actor=cast.city_admin, notice=n, subject=g1, content="收入不实")
    clock.day = n.ends_on
    assert notices.notice_end_blocker(scheme, n) == "还有未处理的异议"
    assert notices.notices_tick(scheme) == []
    with pytest.raises(ValidationError, match="无效的处理方式"):
        notices.notice_objection_resolve(scheme=scheme, actor=cast.city_admin, objection=o, upheld=True,
                                         resolution="属实", outcome="paid")
    notices.notice_objection_resolve(scheme=scheme, actor=cast.city_admin, objection=o, upheld=True,
                                     resolution="核实属实", outcome="rejected")
    assert Grant.objects.get(pk=g1.pk).status == "rejected"
    assert [r.grant_id for r in notices.notice_rows(scheme, n)] == [g2.pk]

    # The period over and no objection open: the tick ends it (and the kernel's periodic job ticks every scheme).
    assert notices.notices_tick_all()["grant-test"] == [n.pk]
    n.refresh_from_db()
    assert n.status == NoticeStatus.ENDED and Grant.objects.get(pk=g2.pk).status == "notice_ended"
    with pytest.raises(ValidationError, match="公示已结束"):
        notices.notice_objection_record(scheme=scheme, actor=cast.city_admin, notice=n, content="迟到")

    # The public link: signed per scheme, rows shown for the grace days only.
    token = notices.share_token(scheme, n)
    assert notices.notice_from_token(scheme, token) == n
    assert notices.notice_from_token(scheme, token[:-2] + "xx") is None
    other = dataclasses.replace(scheme, key="other-test", share_salt="huigong.tests.other-notice")
    assert notices.notice_from_token(other, token) is None  # another domain's salt refuses it
    assert notices.public_rows_visible(scheme, n)
    page = notice_public_response(RequestFactory().get("/n/"), scheme, token)
    text = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex"
    assert "李*" in text and "李四" not in text and "张*三" not in text  # the upheld row is gone
    pdf = notice_public_response(RequestFactory().get("/n/", {"format": "pdf"}), scheme, token)
    from huigong.core.pdf import cjk_font_installed

    assert (pdf.status_code, pdf["Content-Type"]) == ((200, "application/pdf") if cjk_font_installed() else
                                                      (503, "text/plain; charset=utf-8"))
    with pytest.raises(Http404):
        notice_public_response(RequestFactory().get("/n/"), scheme, token[:-2] + "xx")
    clock.day = n.ends_on + dt.timedelta(days=scheme.public_grace_days + 1)
    assert not notices.public_rows_visible(scheme, n)
    gone = notice_public_response(RequestFactory().get("/n/"), scheme, token)
    assert gone.status_code == 410 and "李*" not in gone.content.decode()
