"""A check-up from campaign to return visit, and every refusal on the way."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from huigong.checkups import services
from huigong.checkups.models import Answer, ExamStatus, Finding, InstrumentKind, Response
from huigong.checkups.testing import answers, campaign, enrolled, visited
from huigong.core.outcomes import services as outcomes
from huigong.core.outcomes.models import EvidenceKind, Status
from huigong.core.scope import OutOfScope

pytestmark = pytest.mark.django_db


def _png():
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 10, 200)).save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


def test_seeded_template_is_editable_data(w):
    t = services.template_seed(actor=w.city_admin, node=w.xihu, kind="legal")
    assert t.items.count() == 16 and sum(t.items.values_list("weight", flat=True)) == 100
    it = services.template_item_add(actor=w.city_admin, template=t, category="female", text="设立爱心妈妈小屋",
                                    legal_basis="《女职工劳动保护特别规定》第十条", weight=3, severity="low")
    assert it.seq == 17
    with pytest.raises(ValidationError) as e:
        services.template_item_update(actor=w.city_admin, item=it, category="female", text="x", weight=0,
                                      severity="low")
    assert "weight" in e.value.message_dict
    with pytest.raises(OutOfScope):
        services.template_item_add(actor=w.outsider, template=t, category="female", text="x")


def test_campaign_needs_matching_templates_and_scope(w):
    legal = services.template_seed(actor=w.city_admin, node=w.xihu, kind="legal")
    today = timezone.localdate()
    kw = {"node": w.xihu, "title": "综合体检", "year": 2026, "starts_on": today, "ends_on": today}
    with pytest.raises(ValidationError) as e:
        services.campaign_create(actor=w.city_admin, kind="both", templates=[legal], **kw)
    assert "templates" in e.value.message_dict
    with pytest.raises(OutOfScope):
        services.campaign_create(actor=w.outsider, kind="legal", templates=[legal], **kw)
    with pytest.raises(PermissionDenied):
        services.campaign_create(actor=w.viewer, kind="legal", templates=[legal], **kw)
    c = campaign(w.city_admin, w.xihu)
    with pytest.raises(ValidationError):
        services.campaign_enroll(actor=w.city_admin, campaign=c, enterprises=[w.qd_enterprise])
    assert services.campaign_enroll(actor=w.city_admin, campaign=c, enterprises=[w.enterprise]) == 1
    assert services.campaign_enroll(actor=w.city_admin, campaign=c, enterprises=[w.enterprise]) == 0


def test_self_assessment_then_visit_makes_findings(w):
    c, exam = enrolled(w.city_admin, w.xihu, w.enterprise)
    services.self_assessment_save(actor=w.tech_staff, exam=exam, answers=answers(exam, no=(), partly=(1,)))
    exam.refresh_from_db()
    assert exam.status == ExamStatus.SELF_ASSESSED and exam.self_score == 95.0
    partial = dict(list(answers(exam).items())[:3])
    with pytest.raises(ValidationError, match="请选择检查结果"):
        services.visit_record(actor=w.district_staff, exam=exam, visited_on=timezone.localdate(), team="张律师",
                              answers=partial)
    given = answers(exam)
    first = next(iter(given))
    given[first]["photo"] = _png()
    findings = services.visit_record(actor=w.district_staff, exam=exam, visited_on=timezone.localdate(),
                                     team="张律师", answers=given)
    exam.refresh_from_db()
    # Items 1 (weight 10) and 4 (10) are "no", item 6 (8) "partly": 100 − 10 − 10 − 4 = 76.
    assert exam.status == ExamStatus.VISITED and exam.score == 76.0 and len(findings) == 3
    f = findings[0]
    assert f.item.kind == "checkups.finding" and f.item.owner_enterprise_id == w.enterprise.pk
    assert f.item.source_id == str(f.pk) and f.item.node_id == w.tech.pk
    assert f.item.due_date == timezone.localdate() + dt.timedelta(days=c.rectify_days)
    assert f.legal_basis.startswith("《劳动合同法》")
    assert Response.objects.filter(examination=exam, stage="visit").exclude(photo="").count() == 1
    with pytest.raises(ValidationError, match="已登记过"):
        services.visit_record(actor=w.district_staff, exam=exam, visited_on=timezone.localdate(), team="x",
                              answers=answers(exam))
    with pytest.raises(ValidationError, match="现场体检后"):
        services.self_assessment_save(actor=w.tech_staff, exam=exam, answers=answers(exam))


def test_instrument_numbers_deadline_and_reply(w):
    c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise)
    inst = services.instrument_issue(actor=w.city_admin, exam=exam, kind=InstrumentKind.OPINION,
                                     findings=findings[:2], render=False)
    assert inst.number.startswith("工法意〔") and inst.number.endswith("1号")
    assert inst.reply_due == inst.issued_on + dt.timedelta(days=c.reply_days)
    with pytest.raises(ValidationError, match="已在文书"):
        services.instrument_issue(actor=w.city_admin, exam=exam, kind=InstrumentKind.REMINDER,
                                  findings=[Finding.objects.get(pk=findings[0].pk)], render=False)
    with pytest.raises(ValidationError):
        services.instrument_issue(actor=w.city_admin, exam=exam, kind=InstrumentKind.REMINDER, findings=[],
                                  render=False)
    with pytest.raises(ValidationError, match="理由"):
        services.instrument_reply(actor=w.city_admin, instrument=inst, replied_on=timezone.localdate(),
                                  accepted=False)
    services.instrument_reply(actor=w.city_admin, instrument=inst, replied_on=timezone.localdate(), accepted=True)
    with pytest.raises(ValidationError, match="已登记回复"):
        services.instrument_reply(actor=w.city_admin, instrument=inst, replied_on=timezone.localdate(), accepted=True)


def _rectified(w, finding):
    outcomes.evidence_add(actor=w.tech_staff, item=finding.item, kind=EvidenceKind.PHOTO, upload=_png(),
                          of_effect=True, title="已签订的劳动合同")
    outcomes.item_submit(actor=w.tech_staff, item=finding.item)
    finding.item.refresh_from_db()


def test_finding_closes_only_at_the_return_visit(w):
    _c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise)
    f = findings[0]
    _rectified(w, f)
    with pytest.raises(ValidationError, match="回访"):
        outcomes.item_verify(actor=w.district_staff, item=f.item, effective=True)
    f.item.refresh_from_db()
    assert f.item.status == Status.VERIFYING
    with pytest.raises(ValidationError, match="作出回访结论"):
        services.return_visit_record(actor=w.district_staff, exam=exam, visited_on=timezone.localdate(),
                                     note="回访", verdicts={})
    with pytest.raises(ValidationError, match="不能确认办结"):  # nothing submitted for findings[1]
        services.return_visit_record(actor=w.district_staff, exam=exam, visited_on=timezone.localdate(),
                                     note="合同已补签", verdicts={f.pk: ("effective", "核实到位"),
                                                                 findings[1].pk: ("effective", "")})
    f.item.refresh_from_db()
    assert f.item.status == Status.VERIFYING  # the whole visit rolled back
    services.return_visit_record(actor=w.district_staff, exam=exam, visited_on=timezone.localdate(),
                                 note="合同已补签", verdicts={f.pk: ("effective", "核实到位")})
    f.item.refresh_from_db()
    exam.refresh_from_db()
    assert f.item.status == Status.CLOSED and exam.status == ExamStatus.RETURN_VISITED
    findings[1].item.refresh_from_db()
    assert findings[1].item.status == Status.OPEN  # nothing submitted for it: stays tracked


def test_return_visit_not_effective_reopens(w):
    _c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise)
    f = findings[0]
    _rectified(w, f)
    services.return_visit_record(actor=w.district_staff, exam=exam, visited_on=timezone.localdate(),
                                 note="仍有 3 人未签合同", verdicts={f.pk: ("not_effective", "仍有 3 人未签")})
    f.item.refresh_from_db()
    assert f.item.status == Status.REOPENED and f.item.cycle == 1


def test_return_visitor_cannot_sign_off_own_submission(w):
    from huigong.core.duties import DutyConflict

    _c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise)
    f = findings[0]
    outcomes.evidence_add(actor=w.district_staff, item=f.item, kind=EvidenceKind.NOTE, text="已整改", of_effect=True)
    outcomes.item_submit(actor=w.district_staff, item=f.item)
    with pytest.raises(DutyConflict):
        services.return_visit_record(actor=w.district_staff, exam=exam, visited_on=timezone.localdate(), note="回访",
                                     verdicts={f.pk: ("effective", "")})
    exam.refresh_from_db()
    assert exam.status == ExamStatus.VISITED  # nothing half-written


def test_outsider_and_viewer_refused(w):
    _c, exam = enrolled(w.city_admin, w.xihu, w.enterprise)
    with pytest.raises(OutOfScope):
        services.self_assessment_save(actor=w.outsider, exam=exam, answers=answers(exam))
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=w.viewer, exam=exam, visited_on=timezone.localdate(), team="x",
                              answers=answers(exam))
    assert Answer.NO and not exam.findings.exists()
