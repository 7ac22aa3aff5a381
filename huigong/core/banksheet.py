"""The bank's bulk-transfer sheet (批量代发) and its result sheet (回盘), shared by every place that pays
people through a bank: hardship aid payouts and benefit reimbursements.

A sheet row carries the payment's idempotency key in 备注; the bank fills 状态 (成功/失败), 银行流水号 and
失败原因 and sends the sheet back. Reading a result sheet is defensive: the file is size- and zip-bomb
checked before it is opened, and every row problem names its row (callers collect them and apply
nothing when there is any)."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import xlsxwriter
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.core import xlsxsafe
from huigong.core.money import fen_to_yuan
from huigong.core.xlsxsafe import neutralise

BANK_HEADERS = ["序号", "收款人姓名", "收款账号", "开户行", "金额（元）", "用途", "备注"]
RESULT_HEADERS = [*BANK_HEADERS, "状态", "银行流水号", "失败原因"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

RESULT_OK = ("成功", "已成功", "success", "ok")
RESULT_FAIL = ("失败", "fail", "failed")

MAX_RESULT_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
# The reader allocates every cell from A1 to the last used one (~32 bytes each): a result sheet's
# real extent (measured from its cells, see xlsxsafe) must stay within these, ~100 MB at most.
MAX_RESULT_ROWS = 100_000
MAX_RESULT_COLUMNS = 30
FRACTION = "fraction"  # parse_amount_fen: more than two decimals


def workbook():
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    return out, wb


@dataclass(frozen=True)
class SheetRow:
    payee: str
    account: str  # full or masked, as the caller may show it
    bank: str
    amount_fen: int
    purpose: str
    key: str  # 备注: what the result sheet carries back


def write_bank_sheet(rows: list[SheetRow], *, with_results: bool) -> bytes:
    """The 批量代发 sheet, with a total; `with_results` adds the three empty columns the bank fills."""
    out, wb = workbook()
    ws = wb.add_worksheet("批量代发")
    head = wb.add_format({"bold": True, "bg_color": "#F2F4F7", "border": 1})
    money = wb.add_format({"num_format": "0.00"})
    headers = RESULT_HEADERS if with_results else BANK_HEADERS
    for i, w in enumerate([6, 12, 24, 22, 12, 20, 16, 8, 22, 20][:len(headers)]):
        ws.set_column(i, i, w)
    ws.write_row(0, 0, headers, head)
    for n, r in enumerate(rows, start=1):
        ws.write_number(n, 0, n)
        ws.write_string(n, 1, neutralise(r.payee))
        ws.write_string(n, 2, r.account)
        ws.write_string(n, 3, neutralise(r.bank))
        ws.write_number(n, 4, float(fen_to_yuan(r.amount_fen)), money)
        ws.write_string(n, 5, neutralise(r.purpose))
        ws.write_string(n, 6, r.key)
    ws.write_string(len(rows) + 2, 1, _("合计"))
    ws.write_number(len(rows) + 2, 4, float(fen_to_yuan(sum(r.amount_fen for r in rows))), money)
    wb.close()
    return out.getvalue()


def cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def check_zip(data: bytes) -> None:
    """An .xlsx is a zip: refuse one too large, or one whose members would unpack past 50 MB (a zip
    bomb), from the central directory before anything is decompressed."""
    bad = ValidationError({"upload": _("无法读取该 Excel 文件")})
    if len(data) > MAX_RESULT_BYTES:
        raise ValidationError({"upload": _("文件超过 5 MB")})
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unzipped = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise bad from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise ValidationError({"upload": _("文件解压后过大（疑似压缩炸弹），已拒绝")})
    check_extent(data)


def check_extent(data: bytes) -> None:
    """Refuses a sheet whose used range (from A1, measured from its cells, not its <dimension>) is
    larger than a result sheet can be, before any reader allocates it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _member, ext = xlsxsafe.measure_first_sheet(zf, stop_rows=MAX_RESULT_ROWS, stop_columns=MAX_RESULT_COLUMNS)
    except xlsxsafe.XlsxError:
        raise ValidationError({"upload": _("无法读取该 Excel 文件")}) from None
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationError({"upload": _("无法读取该 Excel 文件")}) from None
    if ext.rows > MAX_RESULT_ROWS or ext.columns > MAX_RESULT_COLUMNS:
        raise ValidationError({"upload": _("回盘文件的已用范围超过 %(rows)d 行或 %(cols)d 列的上限，请删除多余的行列后重新上传")
                               % {"rows": MAX_RESULT_ROWS, "cols": MAX_RESULT_COLUMNS}})


def first_sheet_rows(data: bytes) -> tuple[list[list], list[str]]:
    """The first sheet's rows of an uploaded .xlsx and its first row as a header key (cell text without
    spaces, lower case). Unreadable or empty files: ValidationError naming the upload."""
    from python_calamine import CalamineWorkbook

    check_zip(data)
    try:
        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - calamine raises several kinds (CalamineError, XmlError, ZipError…)
        raise ValidationError({"upload": _("无法读取该 Excel 文件")}) from None
    if not rows:
        raise ValidationError({"upload": _("表格是空的")})
    return rows, [cell(c).replace(" ", "").lower() for c in rows[0]]


def result_rows(data: bytes) -> Iterator[tuple[int, dict[str, str], list]]:
    """(sheet row number, {key, amount, status, reference, reason} as text, the raw row) for every
    non-empty row under the header of a result sheet. Unreadable files, a missing header or column:
    ValidationError before any row."""
    from python_calamine import CalamineWorkbook

    check_zip(data)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - calamine raises several kinds (CalamineError, XmlError, ZipError…)
        raise ValidationError({"upload": _("无法读取该 Excel 文件")}) from None
    header_at = next((i for i, r in enumerate(rows[:10]) if any(_header_key(c) == "key" for c in r)), None)
    if header_at is None:
        raise ValidationError({"upload": _("找不到表头（须含“备注”“金额（元）”“状态”列）")})
    header = [_header_key(c) for c in rows[header_at]]
    col = {}
    for key, label in RESULT_COLUMNS.items():
        if key not in header:
            raise ValidationError({"upload": _("缺少“%(c)s”列") % {"c": label}})
        col[key] = header.index(key)
    for i, r in enumerate(rows[header_at + 1:], start=header_at + 2):
        r = list(r) + [""] * (len(header) - len(r))
        if not cell(r[col["key"]]) and _blank_total_or_note(r):
            continue
        yield i, {key: cell(r[at]) for key, at in col.items()}, r


# What the import reads, by the system's own header; banks and Excel rename a little (half-width
# brackets, 附言 for 备注, 处理结果 for 状态), so a header cell is matched after NFKC and these aliases.
RESULT_COLUMNS = {"key": "备注", "amount": "金额（元）", "status": "状态", "reference": "银行流水号", "reason": "失败原因"}
_ALIASES = {
    "key": ("备注", "附言", "备注/附言", "摘要"),
    "amount": ("金额（元）", "金额", "交易金额", "代发金额", "金额（人民币元）"),
    "status": ("状态", "处理状态", "交易状态", "处理结果", "结果"),
    "reference": ("银行流水号", "流水号", "交易流水号", "银行流水"),
    "reason": ("失败原因", "原因", "错误原因", "失败信息", "错误信息"),
}


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").lower()


_HEADER_INDEX = {_norm(alias): key for key, aliases in _ALIASES.items() for alias in aliases}
# A sheet's own total row, and the notes and signatures a bank or a person adds under the rows.
_TOTAL_WORDS = {_norm(w) for w in ("合计", "总计", "小计", "共计", "合计：", "总计：", "total")}
_NOTE_PREFIXES = tuple(_norm(w) for w in ("备注", "说明", "注：", "注:", "制表", "审核", "复核", "经办", "打印",
                                          "填表", "盖章", "银行盖章", "联系电话"))


def _header_key(v) -> str | None:
    return _HEADER_INDEX.get(_norm(cell(v)))


def _blank_total_or_note(r: list) -> bool:
    """A row without a key that is blank, the sheet's total (合计 and a sum), or a note under the rows."""
    texts = [_norm(cell(c)) for c in r if cell(c)]
    if not texts:
        return True
    return any(t in _TOTAL_WORDS for t in texts) or texts[0].startswith(_NOTE_PREFIXES)


def parse_amount_fen(text: str) -> int | str | None:
    """金额（元） as fen; FRACTION when it has more than two decimals (never rounded); None if unreadable."""
    raw = text.replace(",", "")
    try:
        cents = Decimal(raw) * 100
        if not cents.is_finite():
            raise ValueError(raw)
        return int(cents) if cents == cents.to_integral_value() else FRACTION
    except (InvalidOperation, ValueError):
        return None


class ResultImportForm(forms.Form):
    upload = forms.FileField(label=gettext_lazy("银行回盘文件（.xlsx）"))

    MAX_BYTES = MAX_RESULT_BYTES

    def clean_upload(self):
        f = self.cleaned_data["upload"]
        if f.size > self.MAX_BYTES:
            raise forms.ValidationError(_("文件超过 5 MB"))
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 文件"))
        return f


def download(content: bytes, filename: str, content_type: str = XLSX):
    """A sheet as an attachment that no cache keeps (it may hold full account numbers)."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    resp = HttpResponse(content, content_type=content_type)
    resp["Content-Disposition"] = content_disposition_header(True, filename)
    resp["Cache-Control"] = "no-store"
    return resp


def where(n: int) -> str:
    return _("第 %(n)d 行") % {"n": n}
