"""Attendance: sheets per session or half-day (.xlsx, PDF) for subsidy claims, attendance certificates
(PDF in Chinese with a verification QR), and reading a registration list (.xlsx) for staff import.

A seat attended when the gate set its `checked_in_at` (huigong.activities check-in)."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

import segno
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from huigong.core import xlsxsafe
from huigong.core.pdf import render_pdf
from huigong.core.scope import root_path

from .models import EventSession, Registration

CERT_SALT = "activities.certificate"
SHEET_MAX_BYTES = 2 * 1024 * 1024
SHEET_MAX_ROWS = 5000


def disposition(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def sheet_filename(session: EventSession, half: str) -> str:
    suffix = {"am": "上午", "pm": "下午"}.get(half, "")
    day = timezone.localtime(session.starts_at).strftime("%Y%m%d")
    return f"签到表-{session.event.title}-{session.title}-{day}{suffix}"


def sheet_rows(actor, session: EventSession, *, half: str = "") -> list[dict]:
    """Every seat that held a place at the session, of the actor's subtree when the event is owned above
    it: name, masked ID, unit, companion, check-in time (blank: absent). `half` keeps the check-ins of the
    morning (before 12:00) or the afternoon; absent seats are listed on both sheets."""
    root = root_path(actor)
    qs = (Registration.objects.select_related("person", "union", "lead__person")
          .filter(session=session, status__in=["granted", "no_show"]).order_by("union__path", "person__name_pinyin", "seq"))
    if not session.event.node.path.startswith(root):
        qs = qs.filter(union__path__startswith=root)
    rows = []
    for n, r in enumerate(qs, 1):
        at = timezone.localtime(r.checked_in_at) if r.checked_in_at else None
        if half and at is not None and (at.hour < 12) != (half == "am"):
            at = None
        rows.append({"n": n, "name": r.companion_name if r.seq else r.person.name,
                     "id": "" if r.seq else r.person.id_number_mask, "unit": r.union.name,
                     "companion_of": r.person.name if r.seq else "", "at": at})
    return rows


def sheet_xlsx(session: EventSession, rows: list[dict], *, half: str = "") -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(_("签到表"))
    bold = wb.add_format({"bold": True})
    ws.write(0, 0, xlsxsafe.neutralise(f"{session.event.title} · {session.title}"), bold)
    ws.write(1, 0, xlsxsafe.neutralise(
        f"{timezone.localtime(session.starts_at):%Y-%m-%d %H:%M} — {timezone.localtime(session.ends_at):%H:%M}"
        + ({"am": " 上午", "pm": " 下午"}.get(half, ""))))
    heads = [_("序号"), _("姓名"), _("身份证号"), _("所在工会"), _("随行于"), _("签到时间"), _("签名")]
    for c, h in enumerate(heads):
        ws.write(3, c, h, bold)
    for i, r in enumerate(rows, 4):
        ws.write_number(i, 0, r["n"])
        ws.write(i, 1, xlsxsafe.neutralise(r["name"]))
        ws.write(i, 2, r["id"])
        ws.write(i, 3, xlsxsafe.neutralise(r["unit"]))
        ws.write(i, 4, xlsxsafe.neutralise(r["companion_of"]))
        ws.write(i, 5, r["at"].strftime("%H:%M") if r["at"] else _("未到"))
    present = sum(1 for r in rows if r["at"])
    ws.write(len(rows) + 5, 0, _("应到 %(n)s 人，实到 %(m)s 人") % {"n": len(rows), "m": present}, bold)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 22)
    ws.set_column(3, 3, 28)
    wb.close()
    return buf.getvalue()


def sheet_pdf(session: EventSession, rows: list[dict], *, half: str = "") -> bytes:
    return render_pdf("activities/pdf/sheet.html", {
        "session": session, "event": session.event, "rows": rows, "half": {"am": _("上午"), "pm": _("下午")}.get(half, ""),
        "present": sum(1 for r in rows if r["at"])})


# --- certificates ----------------------------------------------------------------------------------------


def certificate_token(reg: Registration) -> str:
    return signing.dumps({"r": reg.pk}, salt=CERT_SALT, compress=True)


def certificate_check(token: str) -> Registration | None:
    try:
        data = signing.loads(token, salt=CERT_SALT)
    except signing.BadSignature:
        return None
    return (Registration.objects.select_related("person", "session__event__node")
            .filter(pk=data.get("r"), checked_in_at__isnull=False).first())


def certificate_url(reg: Registration, request=None) -> str:
    path = reverse("activities_portal:certificate_verify", args=[certificate_token(reg)])
    return request.build_absolute_uri(path) if request is not None else path


def certificate_pdf(reg: Registration, request=None) -> bytes:
    if reg.checked_in_at is None:
        raise ValidationError({"registration": [_("签到后才能开具参加证明")]})
    qr = segno.make(certificate_url(reg, request), error="m")
    return render_pdf("activities/pdf/certificate.html", {
        "reg": reg, "event": reg.session.event, "session": reg.session,
        "qr": mark_safe(qr.svg_inline(scale=3, border=1, omitsize=True)),
        "issued": timezone.localdate(), "url": certificate_url(reg, request)})


# --- reading a registration list ----------------------------------------------------------------------------

ID_HEADERS = ("身份证号", "身份证号码", "公民身份号码", "ID number", "id number")  # the English page names the English header
COMPANION_HEADERS = ("随行人员", "随行", "Companions", "companions")


def read_registration_sheet(upload) -> list[dict]:
    """Rows of an uploaded .xlsx: 身份证号 (required), 随行人员 (names separated by 、 or ,). The file is
    measured before it is parsed (core.xlsxsafe: size, real extent, formulas); every problem names the row."""
    from python_calamine import CalamineWorkbook

    if upload.size > SHEET_MAX_BYTES:
        raise ValidationError({"file": [_("文件过大（不超过 2 MB）")]})
    data = upload.read()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _info, extent = xlsxsafe.measure_first_sheet(zf, stop_rows=SHEET_MAX_ROWS + 1, stop_columns=50)
    except (zipfile.BadZipFile, xlsxsafe.XlsxError):
        raise ValidationError({"file": [_("请上传 .xlsx 格式的名单")]}) from None
    if extent.rows > SHEET_MAX_ROWS or extent.columns > 50:
        raise ValidationError({"file": [_("名单过大：最多 %(n)s 行") % {"n": SHEET_MAX_ROWS}]})
    if extent.formula:
        raise ValidationError({"file": [_("名单中不能含公式")]})
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    if not sheet:
        raise ValidationError({"file": [_("名单是空的")]})
    header = [str(h).strip() for h in sheet[0]]
    id_col = next((i for i, h in enumerate(header) if h in ID_HEADERS), None)
    if id_col is None:
        raise ValidationError({"file": [_("第 1 行：缺少“身份证号”列")]})
    comp_col = next((i for i, h in enumerate(header) if h in COMPANION_HEADERS), None)
    rows = []
    for n, line in enumerate(sheet[1:], 2):
        if not any(str(c).strip() for c in line):
            continue
        raw = line[id_col] if id_col < len(line) else ""
        raw = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        comp = str(line[comp_col]).strip() if comp_col is not None and comp_col < len(line) else ""
        names = [x.strip() for x in comp.replace(",", "、").replace("，", "、").split("、") if x.strip()]
        rows.append({"row": n, "id_number": raw, "companions": names})
    if not rows:
        raise ValidationError({"file": [_("名单是空的")]})
    return rows
