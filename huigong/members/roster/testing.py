"""Builders for roster files, shared by the tests and the benchmark."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from huigong.core import idnumber

from .columns import COLUMNS

LABELS = [c.label for c in COLUMNS]


def person_row(rng: random.Random | None = None, **overrides) -> dict:
    """One valid roster row keyed by template header (the employer columns left blank)."""
    rng = rng or random.Random()
    number = idnumber.random_number(rng, "330106")
    info = idnumber.parse(number)
    row = {
        "姓名": rng.choice("张王李赵刘陈杨黄周吴") + rng.choice(["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇"])
        + rng.choice(["", "华", "明", "红", "军"]),
        "身份证号": number,
        "性别": "男" if info.gender == "M" else "女",
        "出生日期": info.birth_date.isoformat(),
        "民族": "汉族",
        "手机号": f"13{rng.randint(0, 999_999_999):09d}",
        "学历": "本科",
        "政治面貌": "群众",
        "用工形式": "劳动合同",
        "岗位": "工程师",
        "工号": f"E{rng.randint(1, 99999):05d}",
        "入会日期": "2024-03-01",
        "劳动合同起始日期": "2023-01-01",
        "劳动合同终止日期": "2026-12-31",
        "现住址": "浙江省杭州市西湖区文三路1号",
        "开户行": "中国工商银行",
        "银行账号": "6222" + f"{rng.randint(0, 10**15 - 1):015d}",
    }
    row.update(overrides)
    return row


def roster_xlsx(rows: list[dict], headers: list[str] | None = None, *, title: str | None = None,
                raw_cells: dict[tuple[int, int], object] | None = None) -> bytes:
    """rows are dicts by header; values are written with their Python type (str stays text).
    raw_cells lets a test put typed values (numbers, dates, booleans, formulas) at (row, col)."""
    headers = headers or LABELS
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    ws = wb.add_worksheet("会员名册")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    top = 0
    if title:
        ws.write_string(0, 0, title)
        top = 1
    ws.write_row(top, 0, headers)
    for r, row in enumerate(rows, start=top + 1):
        for c, h in enumerate(headers):
            v = row.get(h, "")
            if v is None or v == "":
                continue
            if isinstance(v, (dt.date, dt.datetime)):
                ws.write_datetime(r, c, v, date_fmt)
            elif isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, str(v))
    for (r, c), v in (raw_cells or {}).items():
        if isinstance(v, str) and v.startswith("="):
            ws.write_formula(r, c, v, None, 0)
        else:
            ws.write(r, c, v)
    wb.close()
    return out.getvalue()


def roster_csv(rows: list[dict], headers: list[str] | None = None, *, encoding: str = "utf-8") -> bytes:
    headers = headers or LABELS
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for row in rows:
        w.writerow([row.get(h, "") for h in headers])
    return buf.getvalue().encode(encoding)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")
