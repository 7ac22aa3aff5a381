"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py) for the check-ups pages. The
objects are written with the ORM (no audit events: the matrix counts them around each request)."""

from __future__ import annotations

import datetime as dt
import itertools

_SEQ = itertools.count(900)


def _campaign(c):
    from huigong.checkups.models import Campaign, ChecklistTemplate, TemplateItem

    t = ChecklistTemplate.objects.create(node=c.xihu, name="西湖区法治体检清单", kind="legal")
    TemplateItem.objects.create(template=t, seq=1, category="contract", text="签订书面劳动合同", weight=10)
    camp = Campaign.objects.create(node=c.xihu, title="西湖区法治体检", kind="legal", year=2026,
                                   starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    camp.templates.set([t])
    return camp


def _exam(c):
    from huigong.checkups.models import Examination

    camp = _campaign(c)
    return Examination.objects.create(campaign=camp, enterprise=c.enterprise, union=c.tech, workers_covered=120)


def _visited(c):
    from django.utils import timezone

    from huigong.checkups.models import Finding, Instrument, Response
    from huigong.core.outcomes.models import TrackedItem

    exam = _exam(c)
    exam.status, exam.visited_on = "visited", dt.date(2026, 3, 1)
    exam.save()
    item = TrackedItem.objects.create(kind="checkups.finding", title="杭州某科技有限公司：未签合同", node=c.tech,
                                      owner_kind="enterprise", owner_enterprise=c.enterprise,
                                      owner_name="杭州某科技有限公司", created_at=timezone.now())
    inst = Instrument.objects.create(examination=exam, kind="opinion", number=f"工法意〔2026〕{next(_SEQ)}号",
                                     issued_on=dt.date(2026, 3, 2), reply_due=dt.date(2026, 3, 17))
    Finding.objects.create(campaign=exam.campaign, examination=exam, category="contract", severity="high",
                           description="未签合同", item=item, instrument=inst, created_at=timezone.now())
    tpl_item = exam.campaign.templates.get().items.get()
    resp = Response(examination=exam, template_item=tpl_item, stage="visit", answer="no", photo_type="image/png",
                    answered_at=timezone.now())
    from django.core.files.base import ContentFile

    resp.photo.save("p.png", ContentFile(_png()), save=True)
    return exam, inst, resp


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    return buf.getvalue()


def _item(c):
    return _campaign(c).templates.get().items.get().pk


# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "checkups:home": (lambda c: [], None, "GET"),
    "checkups:campaign_new": (lambda c: [], "checkup", "GET POST"),
    "checkups:campaign": (lambda c: [_campaign(c).pk], None, "GET"),
    "checkups:campaign_enroll": (lambda c: [_campaign(c).pk], "checkup", "POST"),
    "checkups:report": (lambda c: [_campaign(c).pk], None, "GET"),
    "checkups:report_pdf": (lambda c: [_campaign(c).pk], None, "GET"),
    "checkups:templates": (lambda c: [], None, "GET"),
    "checkups:template_seed": (lambda c: [], "checkup", "POST"),
    "checkups:template": (lambda c: [_campaign(c).templates.get().pk], None, "GET"),
    "checkups:template_item": (lambda c: [_item(c)], "checkup", "POST"),
    "checkups:exam": (lambda c: [_visited(c)[0].pk], None, "GET"),
    "checkups:self_assess": (lambda c: [_exam(c).pk], "checkup", "GET POST"),
    "checkups:visit": (lambda c: [_exam(c).pk], "checkup", "GET POST"),
    "checkups:finding_add": (lambda c: [_visited(c)[0].pk], "checkup", "POST"),
    "checkups:instrument_issue": (lambda c: [_visited(c)[0].pk], "checkup", "POST"),
    "checkups:return_visit": (lambda c: [_visited(c)[0].pk], "checkup", "GET POST"),
    "checkups:exam_pdf": (lambda c: [_visited(c)[0].pk], None, "GET"),
    "checkups:instrument_pdf": (lambda c: [_visited(c)[1].pk], None, "GET"),
    "checkups:instrument_reply": (lambda c: [_visited(c)[1].pk], "checkup", "POST"),
    "checkups:photo": (lambda c: [_visited(c)[2].pk], None, "GET"),
}
