"""Spreadsheets this package writes: the import template, the error report. Any text that a
spreadsheet could take for a formula is written with a leading apostrophe."""

from __future__ import annotations

import io
import tempfile

import xlsxwriter
from django.utils import translation
from django.utils.translation import gettext as _

from huigong.core.xlsxsafe import neutralise
from huigong.members.models import EmploymentForm

from .columns import COLUMNS, EXAMPLE_PREFIX, GENDERS
from .validate import RowError

MAX_REPORTED_ERRORS = 100_000


def error_report_file(errors: list[RowError], *, total_errors: int, file_name: str):
    """The error report as a temporary file (rewound); the caller stores and closes it."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet("错误明细")
    head = wb.add_format({"bold": True, "bg_color": "#F2F4F7", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 26)
    ws.set_column(3, 3, 80, wrap)
    ws.write_row(0, 0, ["行号", "列", "值", "原因"], head)
    ws.freeze_panes(1, 0)
    row = 1
    for e in errors[:MAX_REPORTED_ERRORS]:
        ws.write_number(row, 0, e.row)
        ws.write_string(row, 1, neutralise(e.column))
        ws.write_string(row, 2, neutralise(e.value))
        ws.write_string(row, 3, neutralise(e.reason))
        row += 1
    notes = wb.add_worksheet("说明")
    notes.set_column(0, 0, 100)
    lines = [
        f"文件：{file_name}",
        f"共发现 {total_errors} 处错误；名册未导入任何数据（全部正确后才会一次性导入）。",
        f"{total_errors} errors found; nothing was imported (a roster loads only when every row is valid).",
        "行号是 Excel 中的行号（含表头）。身份证号、手机号、银行账号已打码。",
        "Row numbers are Excel row numbers (header included). ID numbers, phones and bank accounts are masked.",
    ]
    if total_errors > MAX_REPORTED_ERRORS:
        lines.append(_("仅列出前 %(MAX_REPORTED_ERRORS)s 处错误") % {"MAX_REPORTED_ERRORS": MAX_REPORTED_ERRORS})
    for i, line in enumerate(lines):
        notes.write_string(i, 0, neutralise(line))
    wb.close()
    out.seek(0)
    return out


def template_xlsx() -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    ws = wb.add_worksheet("会员名册")
    notes = wb.add_worksheet("填写说明")
    text = wb.add_format({"num_format": "@"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    head_req = wb.add_format({"bold": True, "bg_color": "#FDE7E9", "border": 1, "num_format": "@"})
    head_opt = wb.add_format({"bold": True, "bg_color": "#F2F4F7", "border": 1, "num_format": "@"})
    example = wb.add_format({"font_color": "#8A8F98", "italic": True, "num_format": "@"})
    date_keys = {"birth_date", "joined_on", "contract_start", "contract_end"}
    # Chinese labels whatever the page language: the importer reads Chinese, so the file imports back.
    with translation.override("zh-hans"):
        lists = {
            "gender": [k for k in GENDERS if len(k) == 1 and not k.isascii()],
            "employment_form": [str(label) for label in EmploymentForm.labels],
        }
    for pos, col in enumerate(COLUMNS):
        ws.set_column(pos, pos, col.width, date if col.key in date_keys else text)
        ws.write_string(0, pos, ("*" if col.required else "") + col.label, head_req if col.required else head_opt)
        ws.write_string(1, pos, col.example, example)
        ws.write_comment(0, pos, col.note, {"x_scale": 2, "y_scale": 1.5})
        if col.key in lists:
            ws.data_validation(2, pos, 20000, pos, {"validate": "list", "source": lists[col.key],
                                                    "ignore_blank": True})
    ws.freeze_panes(1, 2)
    bold = wb.add_format({"bold": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    notes.set_column(0, 0, 20)
    notes.set_column(1, 1, 8)
    notes.set_column(2, 2, 90, wrap)
    general = [
        _("填写说明"),
        "1. 第1行是表头，请勿修改列名；列的顺序可以调整，不需要的选填列可以删除，多余的列会被忽略。",
        f"2. 第2行是示例（姓名以“{EXAMPLE_PREFIX}”开头的行导入时自动跳过），可直接删除。",
        "3. 每行一名职工；按身份证号匹配：系统中已有的职工更新信息，新职工登记并加入所选工会。",
        "4. 选填项留空时不会覆盖系统中已有的信息。",
        "5. 已是其他工会会员的职工不能通过导入转会，请办理“会员关系转接”。",
        "6. 全部行都正确才会导入；只要有一处错误，就一行也不导入，并生成错误报告（行号、列、原因）。",
        "7. 请勿使用公式：含公式的文件会被拒绝，请“选择性粘贴 → 数值”。身份证号、手机号、银行账号列请设为“文本”格式。",
        "8. 也可以上传 CSV 文件（UTF-8 或 GB18030 编码），表头与本模板相同。",
    ]
    for i, line in enumerate(general):
        notes.write_string(i, 0, line, bold if i == 0 else None)
    start = len(general) + 1
    notes.write_row(start, 0, ["列名", "必填", "规则"], bold)
    for i, col in enumerate(COLUMNS, start=start + 1):
        aliases = f"（也可写作：{'、'.join(col.aliases)}）" if col.aliases else ""
        notes.write_string(i, 0, col.label)
        notes.write_string(i, 1, "是" if col.required else "否")
        notes.write_string(i, 2, col.note + aliases)
    wb.close()
    return out.getvalue()
