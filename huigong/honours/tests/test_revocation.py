"""Revocation: grounds and evidence required, a decision up to the granting level, titles revoked with
their certificates recalled and entitlements stopped at once; batch revocation audited per title."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huigong.core.models import AuditEvent
from huigong.honours import services
from huigong.honours.models import EntitlementStatus, HonourStatus, RevocationStatus, TitleLevel
from huigong.honours.testing import make_honour, pdf_file, worker


def _propose(w, honours, **kw):
    kw.setdefault("ground", "criminal")
    kw.setdefault("grounds_text", "因犯职务侵占罪被判处有期徒刑，判决已生效")
    kw.setdefault("evidence", pdf_file())
    return services.revocation_propose(actor=w.district_staff, node=w.xihu, honours=honours, **kw)


def test_grounds_and_evidence_are_required(w):
    h = make_honour(w)
    with pytest.raises(ValidationError) as e:
        _propose(w, [h], grounds_text="太短", evidence=None)
    assert set(e.value.message_dict) == {"grounds_text", "evidence"}


def test_batch_revocation_up_the_tree_stops_entitlements_and_is_audited(w):
    a, b = make_honour(w, worker(w, "甲")), make_honour(w, worker(w, "乙"))
    assert a.entitlements.filter(status=EntitlementStatus.DUE).count() == 4
    case = _propose(w, [a, b])
    assert [s.node_id for s in case.steps.order_by("seq")] == [w.xihu.pk, w.hangzhou.pk]  # to the granting city
    with pytest.raises(ValidationError, match="只能同意或不同意"):
        services.revocation_decide(actor=w.xihu_admin, case=case, decision="returned", comment="补充")
    services.revocation_decide(actor=w.xihu_admin, case=case, decision="approved")
    a.refresh_from_db()
    assert a.status == HonourStatus.ACTIVE  # not until the granting level decides
    services.revocation_decide(actor=w.city_admin, case=case, decision="approved")
    case.refresh_from_db()
    assert case.status == RevocationStatus.REVOKED
    for h in (a, b):
        h.refresh_from_db()
        assert h.status == HonourStatus.REVOKED and h.certificate_recalled_at is not None
        assert not h.entitlements.filter(status=EntitlementStatus.DUE).exists()
        assert h.events.last().to_status == HonourStatus.REVOKED
    assert AuditEvent.objects.filter(verb="honour.revoke").count() == 2
    assert AuditEvent.objects.filter(verb="revocation.decide", object_id=str(case.pk)).count() == 2
    with pytest.raises(ValidationError, match="已撤销"):
        _propose(w, [a])


def test_rejected_case_keeps_the_title_and_the_proposer_cannot_decide(w):
    h = make_honour(w, level=TitleLevel.DISTRICT)
    case = _propose(w, [h])
    assert case.steps.count() == 1
    with pytest.raises(PermissionDenied):
        services.revocation_decide(actor=w.district_staff, case=case, decision="approved")
    with pytest.raises(ValidationError, match="请填写审批意见"):
        services.revocation_decide(actor=w.xihu_admin, case=case, decision="rejected")
    services.revocation_decide(actor=w.xihu_admin, case=case, decision="rejected", comment="证据不足")
    h.refresh_from_db()
    assert h.status == HonourStatus.ACTIVE
    assert h.entitlements.filter(status=EntitlementStatus.DUE).count() == 4


def test_one_open_case_per_title_and_outsiders_cannot_propose(w):
    h = make_honour(w)
    _propose(w, [h])
    with pytest.raises(ValidationError, match="已有撤销申请在审批中"):
        _propose(w, [h])
    with pytest.raises(PermissionDenied):
        services.revocation_propose(actor=w.outsider, node=w.xihu, honours=[h], ground="fraud",
                                    grounds_text="弄虚作假骗取荣誉的事实清楚", evidence=pdf_file())
