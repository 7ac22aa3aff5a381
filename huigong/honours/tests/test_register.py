"""The register: manual entry, historical lists imported all or nothing with every bad row named, a
holder's death stopping her entitlements, the half-yearly reconciliation, the certificate PDF."""

import io

import pytest
import xlsxwriter
from django.core.exceptions import ValidationError
from django.urls import reverse

from huigong.honours import services
from huigong.honours.models import EntitlementStatus, Honour, HonourStatus, Source
from huigong.honours.testing import make_honour, worker


def _sheet(rows) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    for i, row in enumerate([["姓名", "身份证号", "称号", "级别", "年度", "授予机关", "证书编号"], *rows]):
        ws.write_row(i, 0, row)
    wb.close()
    return buf.getvalue()


def test_duplicate_certificate_is_refused(w):
    make_honour(w, cert="HZ-1")
    with pytest.raises(ValidationError, match="证书编号已登记"):
        make_honour(w, worker(w, "乙"), cert="HZ-1")


def test_import_is_all_or_nothing_and_names_each_bad_row(w):
    from huigong.members.models import Person

    li = Person.objects.get(pk=w.member.person_id)
    good = ["李小红", li.id_number, "劳动模范", "市级", 2019, "杭州市人民政府", "HZ2019-01"]
    rows = [good, ["某某", "330106199001011234", "劳动模范", "市级", 2019, "杭州市人民政府", ""],
            ["李小红", li.id_number, "荣誉市民", "市级", 2019, "杭州市人民政府", ""]]
    with pytest.raises(ValidationError) as e:
        services.honours_import(actor=w.city_admin, union=w.hangzhou, data=_sheet(rows))
    text = " ".join(e.value.messages)
    assert "第 3 行：身份证号无效" in text and "第 4 行：称号“荣誉市民”无效" in text
    assert not Honour.objects.exists()
    got = services.honours_import(actor=w.city_admin, union=w.hangzhou,
                                  data=_sheet([good, ["李小红", li.id_number, "全国五一劳动奖章", "", 2022,
                                                      "中华全国总工会", "WY2022-9"]]))
    assert got == {"rows": 2, "created": 2, "skipped": 0}
    assert Honour.objects.filter(source=Source.IMPORT, level="national", title_type="may_day_medal").exists()
    again = services.honours_import(actor=w.city_admin, union=w.hangzhou, data=_sheet([[*good[:6], ""]]))
    assert again["skipped"] == 1


def test_outsider_cannot_import_into_our_register(w):
    with pytest.raises(Exception):
        services.honours_import(actor=w.outsider, union=w.hangzhou, data=_sheet([]))


def test_death_stops_entitlements_and_reconciliation_records_it(w):
    h = make_honour(w)
    rec = services.reconciliation_start(actor=w.district_staff, node=w.xihu, period="2026H2")
    line = rec.lines.get(honour=h)
    assert line.is_member and line.is_employed
    with pytest.raises(ValidationError, match="写明日期与信息来源"):
        services.reconciliation_line_confirm(actor=w.district_staff, line=line, is_employed=False, alive=False)
    with pytest.raises(ValidationError, match="还有 1 人未核实"):
        services.reconciliation_close(actor=w.district_staff, reconciliation=rec)
    services.reconciliation_line_confirm(actor=w.district_staff, line=line, is_employed=False, alive=False,
                                         note="2026-11-02 病故，家属告知")
    h.refresh_from_db()
    assert h.status == HonourStatus.DECEASED
    assert not h.entitlements.filter(status=EntitlementStatus.DUE).exists()
    services.reconciliation_close(actor=w.district_staff, reconciliation=rec)
    with pytest.raises(ValidationError, match="本期核对已建立"):
        services.reconciliation_start(actor=w.district_staff, node=w.xihu, period="2026H2")


def test_certificate_pdf_carries_a_verification_link(w, client):
    from huigong.core.pdf import cjk_font_installed

    if not cjk_font_installed():
        pytest.skip("no CJK font on this machine")
    h = make_honour(w, cert="HZ-2024-7")
    client.force_login(w.viewer)
    r = client.get(reverse("honours:honour_certificate", args=[h.pk]))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
