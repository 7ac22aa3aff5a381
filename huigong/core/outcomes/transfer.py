"""The tracker's sheet: export items as CSV or .xlsx and import the same sheet back.

The sheet is the same in both directions, so an export imported unchanged changes nothing, and its
next export is identical (tests/test_transfer.py). What an import may change, through the same services
the pages call: progress (进度), due date (办结期限, with the reason in 调整说明), the owner's name
(责任主体), and a status the services allow without a verdict (open → in progress, or dropped with
调整说明 as the reason). Closing, verifying and reopening need evidence and a verdict and are refused
with the row named. Any error refuses the whole file (nothing half-applied)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import scope

from . import kinds, services
from .models import LIVE, Status, TrackedItem

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024

# (key, header) in sheet order. Headers are fixed Chinese text on purpose: a sheet is exchanged between
# unions whatever language the user's screen is in.
COLUMNS = (
    ("id", "编号"), ("kind", "类型"), ("source_id", "来源编号"), ("title", "事项"), ("category", "类别"),
    ("severity", "严重程度"), ("node", "跟踪工会"), ("owner_name", "责任主体"), ("status", "状态"),
    ("progress", "进度（%）"), ("due_date", "办结期限"), ("created", "创建日期"), ("ended", "办结日期"),
    ("overdue", "是否逾期"), ("reason", "调整说明"),
)
HEADERS = [h for _k, h in COLUMNS]
STATUS_TEXT = {s.value: str(s.label) for s in Status}  # label in the active language at export time


def _status_names() -> dict[str, str]:
    # Both the Chinese labels and the codes are accepted on import (a sheet exported in English too).
    from django.utils import translation

    out = {s.value: s.value for s in Status}
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            out.update({str(s.label): s.value for s in Status})
    return out


def row_of(item: TrackedItem, today: dt.date) -> list[str]:
    k = kinds.KINDS.get(item.kind)
    return [
        str(item.pk), str(k.label) if k else item.kind, item.source_id, item.title,
        k.category_label(item.category) if k and item.category else item.category,
        k.severity_label(item.severity) if k and item.severity else item.severity,
        item.node.name, item.owner_name, str(Status(item.status).label), str(item.progress),
        item.due_date.isoformat() if item.due_date else "",
        timezone.localtime(item.created_at).date().isoformat(),
        timezone.localtime(item.ended_at).date().isoformat() if item.ended_at else "",
        _("是") if item.is_overdue(today) else _("否"), "",
    ]


def export_rows(qs, today: dt.date | None = None):
    today = today or timezone.localdate()
    yield HEADERS
    for item in qs.select_related("node").order_by("pk").iterator(chunk_size=2000):
        yield row_of(item, today)


def export_csv(qs, today=None) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in export_rows(qs, today):
        w.writerow([_safe_cell(c) for c in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV as such


def _safe_cell(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet (CSV injection): quote it with a '.
    # Import strips that one quote again, so the round trip keeps the text.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def export_xlsx(qs, today=None) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(_("跟踪事项")[:31])
    for r, row in enumerate(export_rows(qs, today)):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    wb.close()
    return buf.getvalue()


# --- import ----------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    rows: int = 0
    changed: int = 0
    errors: list[str] = field(default_factory=list)


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationError({"upload": _("文件：无法识别的编码（请保存为 UTF-8 的 CSV）")}) from None
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _read_xlsx(data: bytes) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    from huigong.core import xlsxsafe

    bad = ValidationError({"upload": _("文件：无法读取该 Excel 文件")})
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if sum(i.file_size for i in zf.infolist()) > 20 * MAX_BYTES:
                raise ValidationError({"upload": _("文件：解压后过大，已拒绝")})
            _member, ext = xlsxsafe.measure_first_sheet(zf, stop_rows=MAX_ROWS + 2, stop_columns=40)
    except (xlsxsafe.XlsxError, zipfile.BadZipFile, OSError, ValueError):
        raise bad from None
    if ext.rows > MAX_ROWS + 1 or ext.columns > 40:
        raise ValidationError({"upload": _("文件：超过 %(rows)d 行的上限") % {"rows": MAX_ROWS}})
    try:
        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - calamine raises several kinds
        raise bad from None
    return [[_cell(c) for c in r] for r in rows]


def _cell(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value).strip()


def _date(text: str):
    text = text.strip().replace("/", "-").replace(".", "-")
    if not text:
        return None
    return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))


def read_sheet(data: bytes, filename: str) -> list[list[str]]:
    if len(data) > MAX_BYTES:
        raise ValidationError({"upload": _("文件：超过 10 MB")})
    if data[:2] == b"PK":
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xls")):
        raise ValidationError({"upload": _("文件：无法读取该 Excel 文件")})
    return _read_csv(data)


def import_sheet(*, actor, data: bytes, filename: str = "", at=None) -> ImportResult:
    """Applies a sheet exported by `export_csv`/`export_xlsx` (edited or not). Every row is checked
    first; one error and nothing is applied. Returns the count of items changed."""
    scope.require(actor, "view")
    rows = read_sheet(data, filename)
    if not rows or [c.strip() for c in rows[0][:len(HEADERS)]] != HEADERS[:len(rows[0][:len(HEADERS)])] \
            or len(rows[0]) < len(HEADERS):
        raise ValidationError({"upload": _("文件：表头与导出的表格不一致（请使用本系统导出的表格）")})
    body = [r + [""] * (len(HEADERS) - len(r)) for r in rows[1:] if any((c or "").strip() for c in r)]
    if len(body) > MAX_ROWS:
        raise ValidationError({"upload": _("文件：超过 %(rows)d 行的上限") % {"rows": MAX_ROWS}})
    col = {k: i for i, (k, _h) in enumerate(COLUMNS)}
    names = _status_names()
    result = ImportResult(rows=len(body))
    ids = []
    for n, r in enumerate(body, start=2):
        try:
            ids.append(int(r[col["id"]]))
        except ValueError:
            result.errors.append(_("第 %(row)d 行：编号不是本系统的事项编号") % {"row": n})
            ids.append(None)
    items = {i.pk: i for i in TrackedItem.objects.filter(pk__in=[i for i in ids if i]).select_related("node")}
    root = scope.root_path(actor)
    plans = []
    seen = set()
    for n, (r, pk) in enumerate(zip(body, ids, strict=True), start=2):
        if pk is None:
            continue
        item = items.get(pk)
        if item is None or not item.node.path.startswith(root):
            result.errors.append(_("第 %(row)d 行：编号 %(id)s 的事项不存在或不在您的管辖范围内") % {"row": n, "id": pk})
            continue
        if pk in seen:
            result.errors.append(_("第 %(row)d 行：编号 %(id)s 重复") % {"row": n, "id": pk})
            continue
        seen.add(pk)
        cell = {k: (r[i] or "").strip() for k, i in col.items()}
        cell["title"] = cell["title"].removeprefix("'")
        status = names.get(cell["status"])
        if status is None:
            result.errors.append(_("第 %(row)d 行：状态“%(value)s”无法识别") % {"row": n, "value": cell["status"]})
            continue
        try:
            progress = int(cell["progress"] or 0)
        except ValueError:
            progress = -1
        if not 0 <= progress <= 100:
            result.errors.append(_("第 %(row)d 行：进度须为 0 到 100 之间的整数") % {"row": n})
            continue
        try:
            due = _date(cell["due_date"])
        except ValueError:
            result.errors.append(_("第 %(row)d 行：办结期限“%(value)s”不是日期") % {"row": n, "value": cell["due_date"]})
            continue
        owner = cell["owner_name"].removeprefix("'")
        plan = {"item": item, "row": n}
        if status != item.status:
            if (item.status, status) == (Status.OPEN, Status.IN_PROGRESS):
                plan["start"] = True
            elif status == Status.DROPPED and item.status in LIVE:
                if not cell["reason"]:
                    result.errors.append(_("第 %(row)d 行：撤销事项请在“调整说明”中填写理由") % {"row": n})
                    continue
                plan["drop"] = cell["reason"]
            else:
                result.errors.append(
                    _("第 %(row)d 行：状态不能由“%(old)s”改为“%(new)s”（办结、验证和重新办理须在事项页面办理并附成效证据）")
                    % {"row": n, "old": Status(item.status).label, "new": Status(status).label})
                continue
        if progress != item.progress:
            if item.status not in (Status.OPEN, Status.IN_PROGRESS, Status.REOPENED):
                result.errors.append(_("第 %(row)d 行：当前状态下不能修改进度") % {"row": n})
                continue
            plan["progress"] = progress
        if due != item.due_date:
            if item.status not in LIVE:
                result.errors.append(_("第 %(row)d 行：已办结或撤销的事项不能调整期限") % {"row": n})
                continue
            if item.due_date is not None and not cell["reason"]:
                result.errors.append(_("第 %(row)d 行：调整办结期限请在“调整说明”中填写理由") % {"row": n})
                continue
            plan["due"] = (due, cell["reason"])
        if owner != item.owner_name:
            if not owner:
                result.errors.append(_("第 %(row)d 行：责任主体不能为空") % {"row": n})
                continue
            plan["owner"] = owner
        if len(plan) > 2:
            plans.append(plan)
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for plan in plans:
                item = plan["item"]
                try:
                    if "owner" in plan:
                        services.item_set_owner(actor=actor, item=item, owner_name=plan["owner"], at=at)
                    if "due" in plan:
                        services.item_set_due(actor=actor, item=item, due_date=plan["due"][0], reason=plan["due"][1],
                                              at=at)
                    if "progress" in plan:
                        services.item_progress(actor=actor, item=item, progress=plan["progress"], at=at)
                        item.refresh_from_db()
                    if plan.get("start") and item.status == Status.OPEN:
                        services.item_progress(actor=actor, item=item, progress=item.progress,
                                               note=_("由表格导入标记为推进中"), at=at)
                    if "drop" in plan:
                        services.item_drop(actor=actor, item=item, reason=plan["drop"], at=at)
                except (ValidationError, PermissionDenied) as exc:
                    msg = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                    result.errors.append(_("第 %(row)d 行：%(error)s") % {"row": plan["row"], "error": msg})
                    raise
                result.changed += 1
    except (ValidationError, PermissionDenied):
        result.changed = 0
    return result
