"""The instruments and reports as Chinese PDFs, rendered to PNG (pypdfium2; pdftoppm is not on every
machine) and saved under $HG_SHOTS for a person to look at; the text layer is checked here."""

from __future__ import annotations

import os
import tempfile

import pytest
from django.urls import reverse

from huigong.checkups import pdfs, selectors, services
from huigong.checkups.models import InstrumentKind
from huigong.checkups.testing import visited
from huigong.core.pdf import cjk_font_installed

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not cjk_font_installed(), reason="no CJK font (apt-get install fonts-noto-cjk)")]


def _png(pdf: bytes, name: str) -> str:
    pypdfium2 = pytest.importorskip("pypdfium2")
    doc = pypdfium2.PdfDocument(pdf)
    out = os.path.join(os.environ.get("HG_SHOTS", tempfile.gettempdir()), name)
    image = doc[0].render(scale=1.5).to_pil()
    image.save(out)
    # Not a blank page: a fair share of dark pixels (Chinese text drawn with a real font, not empty boxes).
    gray = image.convert("L")
    dark = sum(1 for p in gray.tobytes() if p < 128)
    assert dark > 2000, (name, dark)
    print("PDF page 1:", out)
    return doc[0].get_textpage().get_text_range()


def test_instrument_pdf(w, client):
    _c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise)
    inst = services.instrument_issue(actor=w.city_admin, exam=exam, kind=InstrumentKind.OPINION, findings=findings)
    assert inst.pdf  # kept as issued, encrypted at rest
    with open(inst.pdf.path, "rb") as fh:
        assert not fh.read(8).startswith(b"%PDF")
    text = _png(pdfs.instrument_pdf(inst), "checkups-instrument.png")
    assert "意见书" in text and inst.number in text and "杭州某科技有限公司" in text and "劳动合同法" in text
    client.force_login(w.city_admin)
    r = client.get(reverse("checkups:instrument_pdf", args=[inst.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")


def test_exam_and_campaign_report_pdfs(w):
    c, exam, _findings = visited(w.city_admin, w.xihu, w.enterprise)
    text = _png(pdfs.exam_report_pdf(exam), "checkups-exam-report.png")
    assert "杭州某科技有限公司" in text and "发现问题 3 条" in text
    text = _png(pdfs.campaign_report_pdf(c, selectors.campaign_report(c)), "checkups-campaign-report.png")
    assert "工作报告" in text and "劳动合同" in text
