"""The streaming .xlsx reader gives exactly calamine's rows, in bounded memory."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from huigong.core import xlsxsafe, xlsxstream
from huigong.core.xlsxsafe import XlsxError


def _calamine_rows(path):
    return list(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())


def _stream_rows(path):
    with zipfile.ZipFile(path) as zf:
        return [cells for _n, cells in xlsxstream.iter_rows(zf, xlsxsafe.first_sheet_member(zf))]


def _same(path):
    want, got = _calamine_rows(path), _stream_rows(path)
    assert got == want
    assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in want]
    return got


def _write_xlsxwriter(path, *, constant_memory):
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    ws = wb.add_worksheet()
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    cn_date = wb.add_format({"num_format": 14})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    clock = wb.add_format({"num_format": "hh:mm"})
    duration = wb.add_format({"num_format": "[h]:mm"})
    quoted = wb.add_format({"num_format": '0.00" d"'})
    bold = wb.add_format({"bold": True})
    ws.write_row(1, 2, ["姓名", "身份证号", "手机号", "入会日期", "工资", "在职", "备注"])
    for i in range(3, 40):
        ws.write_string(i, 2, f"会员{i}")
        ws.write_string(i, 3, f"11010119900101{i:04d}")
        if i % 5:
            ws.write_number(i, 4, 13800000000 + i)
        ws.write_datetime(i, 5, dt.datetime(2020, 1, 1) + dt.timedelta(days=i), date if i % 2 else cn_date)
        ws.write_number(i, 6, 1234.5 + i if i % 3 else 3000)
        ws.write_boolean(i, 7, bool(i % 2))
        if i % 4 == 0:
            ws.write_rich_string(i, 8, "富", bold, "文本", " run")
        elif i % 4 == 1:
            ws.write_string(i, 8, "")
    ws.write_datetime(41, 2, dt.datetime(2021, 3, 4, 5, 6, 7), stamp)
    ws.write_datetime(41, 3, dt.datetime(1900, 1, 1, 8, 30), clock)
    ws.write_number(41, 4, 1.75, duration)
    ws.write_number(41, 5, 12.5, quoted)
    ws.write_number(41, 6, 59, date)  # 1900-02-28, before Excel's fictional leap day
    ws.write_number(41, 7, -0.0)
    ws.write_number(41, 8, 1e-7)
    ws.write_blank(44, 12, None, bold)  # a styled empty cell widens nothing
    ws.write_string(46, 3, "  空格  ")
    wb.close()


@pytest.mark.parametrize("constant_memory", [False, True], ids=["shared-strings", "inline-strings"])
def test_xlsxwriter_rows_match_calamine(tmp_path, constant_memory):
    path = tmp_path / "r.xlsx"
    _write_xlsxwriter(path, constant_memory=constant_memory)
    rows = _same(path)
    assert rows[3][0] == "会员3"
    assert isinstance(rows[3][3], dt.date)
    assert rows[5][5] is True


def test_openpyxl_rows_match_calamine(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "出生日期", "数量", "是否", None, "时间"])
    ws.append(["张三", dt.date(1990, 5, 6), 3, True, None, dt.datetime(2022, 2, 2, 10, 0)])
    ws.append([None, None, 2.5, False])
    ws["H7"] = "远处"
    ws["B9"] = dt.time(13, 45)
    ws["C9"] = "=1+1"  # a formula (refused before import; here: its text is no value, as calamine)
    wb.save(path := tmp_path / "o.xlsx")
    _same(path)


def _hand_written(tmp_path, sheet: str, *, strings: str = "", styles: str = "", workbook_pr: str = "",
                  ns: str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main", plain_xml: str = ""):
    path = tmp_path / "h.xlsx"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", textwrap.dedent("""\
            <?xml version="1.0" encoding="UTF-8"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
            <Default Extension="xml" ContentType="application/xml"/>
            <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
            <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
            </Types>"""))
        zf.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{ns}" xmlns:r="{rel}">{workbook_pr}<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        zf.writestr("xl/worksheets/sheet1.xml", plain_xml or f'<?xml version="1.0"?><x:worksheet xmlns:x="{ns}">'
                    f'<x:sheetData>{sheet}</x:sheetData></x:worksheet>')
        if strings:
            zf.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst xmlns="{ns}">{strings}</sst>')
        if styles:
            zf.writestr("xl/styles.xml", f'<?xml version="1.0"?><styleSheet xmlns="{ns}">{styles}</styleSheet>')
    return path


@pytest.mark.parametrize("ns", sorted(xlsxsafe.SPREADSHEETML))
def test_prefixed_strict_and_odd_cells_match_calamine(tmp_path, ns):
    sheet = ('<x:row r="2"><x:c r="B2" t="s"><x:v>0</x:v></x:c><x:c r="C2" t="inlineStr"><x:is><x:r><x:t>甲</x:t></x:r>'
             '<x:r><x:t xml:space="preserve"> 乙</x:t></x:r></x:is></x:c><x:c r="D2" t="str"><x:v>公式结果</x:v></x:c>'
             '<x:c r="E2" t="e"><x:v>#DIV/0!</x:v></x:c><x:c r="F2" t="b"><x:v>0</x:v></x:c></x:row>'
             '<x:row><x:c t="n"><x:v>7</x:v></x:c><x:c s="1"><x:v>45000.5</x:v></x:c><x:c r="E3" s="2"><x:v>45000</x:v></x:c></x:row>'
             '<x:row r="5"><x:c r="G5" s="1"/></x:row>')
    strings = '<si><r><t>富</t></r><r><t>文本</t></r><rPh><t>フリガナ</t></rPh></si>'
    styles = ('<numFmts><numFmt numFmtId="170" formatCode="[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy"/></numFmts>'
              '<cellXfs><xf numFmtId="0"/><xf numFmtId="22"/><xf numFmtId="170"/></cellXfs>')
    rows = _same(_hand_written(tmp_path, sheet, strings=strings, styles=styles, ns=ns))
    assert rows[1][1] == "富文本"
    assert rows[2][4] == dt.date(2023, 3, 15)


def test_1904_dates_match_calamine(tmp_path):
    sheet = '<x:row r="1"><x:c r="A1" s="1"><x:v>100</x:v></x:c><x:c r="B1" s="1"><x:v>100.25</x:v></x:c></x:row>'
    styles = '<cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>'
    _same(_hand_written(tmp_path, sheet, styles=styles, workbook_pr='<workbookPr date1904="1"/>'))


def test_empty_sheet_has_no_rows(tmp_path):
    assert _stream_rows(_hand_written(tmp_path, '<x:row r="3"><x:c r="B3" s="1"/></x:row>')) == []


def test_dtd_is_refused(tmp_path):
    path = _hand_written(tmp_path, '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c></x:row>')
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/sharedStrings.xml", '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaa">]><sst/>')
    with pytest.raises(XlsxError), zipfile.ZipFile(path) as zf:
        list(xlsxstream.iter_rows(zf, xlsxsafe.first_sheet_member(zf)))


def test_shared_strings_are_compact():
    s = xlsxstream.SharedStrings()
    assert len(s) == 0
    with pytest.raises(IndexError):
        s[0]


def _placed(rows, col_offset, width):
    """Rows as placed on the sheet: from column A, `width` cells."""
    return [([""] * col_offset + list(r) + [""] * width)[:width] for r in rows]


def test_open_xlsx_streams_big_sheets_with_the_same_rows(tmp_path, monkeypatch):
    from huigong.members.roster import files

    path = tmp_path / "r.xlsx"
    _write_xlsxwriter(path, constant_memory=True)
    info = files.sniff(path, "xlsx")
    assert info.extent.plain
    by_calamine = files.open_xlsx(path, info)
    want = list(by_calamine.rows)
    monkeypatch.setattr(files, "STREAM_ABOVE_CELLS", 10)
    monkeypatch.setattr(xlsxstream, "CHUNK_BYTES", 1500)  # many slices
    sliced = files.open_xlsx(path, info)
    assert not hasattr(sliced.rows, "__len__")  # a generator, not calamine's iterator
    assert sliced.col_offset == 0 and sliced.width == info.extent.columns
    assert list(sliced.rows) == _placed(want, by_calamine.col_offset, info.extent.columns)
    info.extent.plain = False  # written in some other way: the expat reader
    streamed = files.open_xlsx(path, info)
    assert streamed.col_offset == by_calamine.col_offset == 2
    assert streamed.width == by_calamine.width
    assert list(streamed.rows) == want


@pytest.mark.parametrize("writer", ["shared-strings", "inline-strings", "openpyxl"])
@pytest.mark.parametrize("chunk_bytes", [200, 3000, 1 << 20])
def test_sliced_rows_match_calamine(tmp_path, writer, chunk_bytes):
    path = tmp_path / "r.xlsx"
    if writer == "openpyxl":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["姓名", "出生日期", "数量", "是否", None, "时间"])
        for i in range(60):
            ws.append([f"张{i}", dt.date(1990, 5, 6) + dt.timedelta(days=i), i * 1.5, bool(i % 2), None,
                       dt.datetime(2022, 2, 2, 10, 0)])
        ws["H70"] = "远处"
        ws["C80"] = dt.time(13, 45)
        wb.save(path)
    else:
        _write_xlsxwriter(path, constant_memory=writer == "inline-strings")
    with zipfile.ZipFile(path) as zf:
        info, extent = xlsxsafe.measure_first_sheet(zf)
        assert extent.plain
        got = list(xlsxstream.iter_rows_chunked(zf, info, extent.columns, chunk_bytes=chunk_bytes))
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    want = _placed(sheet.iter_rows(), sheet.start[1], extent.columns)
    assert got == want
    assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in want]


def _plain(sheet_data: str) -> str:
    return ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="A1:B2"/>{sheet_data}<mergeCells count="0"/></worksheet>')


def test_sliced_1904_dates_and_empty_sheet(tmp_path):
    sheet = '<sheetData><row r="2"><c r="A2" s="1"><v>100</v></c><c r="B2" s="1"><v>100.25</v></c></row></sheetData>'
    styles = '<cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>'
    path = _hand_written(tmp_path, "", styles=styles, workbook_pr='<workbookPr date1904="1"/>', plain_xml=_plain(sheet))
    want = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()
    with zipfile.ZipFile(path) as zf:
        info, extent = xlsxsafe.measure_first_sheet(zf)
        got = list(xlsxstream.iter_rows_chunked(zf, info, extent.columns))
    assert extent.plain
    assert got == list(want) == [["", ""], [dt.date(1904, 4, 10), dt.datetime(1904, 4, 10, 6, 0)]]
    for empty in ("<sheetData/>", "<sheetData></sheetData>", '<sheetData><row r="3"><c r="B3" s="1"/></row></sheetData>'):
        path = _hand_written(tmp_path, "", plain_xml=_plain(empty))
        with zipfile.ZipFile(path) as zf:
            assert list(xlsxstream.iter_rows_chunked(zf, xlsxsafe.first_sheet_member(zf), 3)) == []


def test_sliced_damaged_sheet_is_refused(tmp_path):
    path = _hand_written(tmp_path, "", plain_xml=_plain('<sheetData><row r="1"><c r="A1"><v>1</v></c></row>'))
    with zipfile.ZipFile(path) as zf, pytest.raises(XlsxError):
        list(xlsxstream.iter_rows_chunked(zf, xlsxsafe.first_sheet_member(zf), 1))


_MEMORY_CHILD = """
import os, sys, zipfile
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huigong.settings")
django.setup()
import xlsxwriter
from huigong.members.roster import files
path, rows = sys.argv[1], int(sys.argv[2])
head = ["姓名", "身份证号", "手机号", "性别", "民族", "入会日期", "工资", "部门", "岗位", "学历", "政治面貌", "备注"]

def values(i):
    return [f"会员{i}", f"110101199001{i:06d}", 13800000000 + i, "男", "汉族", 44000 + i % 1000,
            3000.5 + i % 77, f"部门{i % 50}", "职工", "本科", "群众", f"note {i}"]

def row_xml(i):  # xlsxwriter's constant_memory XML for values(i) (checked against it below)
    cells = []
    for col, v in zip("ABCDEFGHIJKL", values(i)):
        if isinstance(v, str):
            cells.append(f'<c r="{col}{i + 1}" t="inlineStr"><is><t>{v}</t></is></c>')
        else:
            cells.append(f'<c r="{col}{i + 1}"><v>{v:.16G}</v></c>')
    return f'<row r="{i + 1}">' + "".join(cells) + "</row>"

# xlsxwriter writes the header and the first rows; the other rows are the same XML, written ~10x faster.
small = path + ".small.xlsx"
wb = xlsxwriter.Workbook(small, {"constant_memory": True})
ws = wb.add_worksheet()
ws.write_row(0, 0, head)
for i in (1, 2):
    ws.write_row(i, 0, values(i))
wb.close()
with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
    sheet = src.read("xl/worksheets/sheet1.xml").decode()
    first = sheet.index('<row r="2">')
    last = sheet.index("</sheetData>")
    assert sheet[first:last] == row_xml(1) + row_xml(2), sheet[first:last]
    for info in src.infolist():
        if info.filename != "xl/worksheets/sheet1.xml":
            dst.writestr(info, src.read(info))
    with dst.open("xl/worksheets/sheet1.xml", "w") as out:
        out.write(sheet[:first].replace('ref="A1:L3"', f'ref="A1:L{rows + 1}"').encode())
        for start in range(1, rows + 1, 1_000):
            out.write("".join(row_xml(i) for i in range(start, min(start + 1_000, rows + 1))).encode())
        out.write(sheet[last:].encode())
os.remove(small)
base = int(next(ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')).split()[1])
files.STREAM_ABOVE_CELLS = 0
sheet = files.open_xlsx(path)
n = 0
for n, got in enumerate(sheet.rows, start=1):
    if n in (2, rows + 1):  # the first and last data rows, as written
        want = values(n - 1)
        assert got == want, (got, want)
print(n, base, int(next(ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')).split()[1]))
"""


@pytest.mark.slow
def test_streaming_a_dense_sheet_stays_under_300_mb(tmp_path):
    rows = 300_000
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(tmp_path / "big.xlsx"), str(rows)],
                         capture_output=True, text=True, check=True, timeout=900,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])})
    n, _base, peak_kb = map(int, out.stdout.split()[-3:])
    assert n == rows + 1
    assert peak_kb < 300 * 1024, f"peak RSS {peak_kb // 1024} MB"
