"""The check-up's PDFs in Chinese (core.pdf): instruments (提示函, 意见书, 建议书) and the enterprise report."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huigong.core.pdf import render_pdf

from .models import Instrument, InstrumentKind
from .selectors import exam_report

OPENINGS = {
    InstrumentKind.REMINDER: _("经劳动用工法治体检，发现贵单位存在以下需要注意的问题，特此提示，请及时自查改正："),
    InstrumentKind.OPINION: _("根据劳动用工法治体检情况，本会就贵单位存在的下列问题提出如下意见，请认真研究整改："),
    InstrumentKind.RECOMMENDATION: _("为促进贵单位劳动关系和谐稳定，本会根据体检情况提出以下建议，请研究采纳："),
}


def instrument_pdf(inst: Instrument) -> bytes:
    exam = inst.examination
    return render_pdf("checkups/pdf/instrument.html", {
        "inst": inst, "exam": exam, "findings": list(inst.findings.order_by("id")),
        "opening": OPENINGS[inst.kind], "issuer": exam.campaign.node.name, "kind_label": inst.get_kind_display()})


def exam_report_pdf(exam) -> bytes:
    ctx = exam_report(exam)
    ctx["generated"] = timezone.localtime()
    return render_pdf("checkups/pdf/exam_report.html", ctx)


def campaign_report_pdf(campaign, report: dict) -> bytes:
    return render_pdf("checkups/pdf/campaign_report.html", {"campaign": campaign, "r": report,
                                                             "generated": timezone.localtime()})
