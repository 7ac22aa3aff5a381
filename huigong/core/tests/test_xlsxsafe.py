"""An uploaded .xlsx is measured and checked from its XML before any reader loads it."""

import io
import json
import subprocess
import sys
import textwrap
import zipfile

import pytest
from django.core.exceptions import ValidationError

from huigong.core import banksheet, xlsxsafe
from huigong.core.banksheet import RESULT_HEADERS

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def _sheet(body: str, root: str = f'<worksheet xmlns="{MAIN}">', end: str = "</worksheet>") -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>{root}<dimension ref="A1"/><sheetData>{body}</sheetData>{end}'.encode()


def _extent(xml: bytes, **stops) -> xlsxsafe.Extent:
    return xlsxsafe.sheet_extent(io.BytesIO(xml), **stops)


def test_the_extent_comes_from_the_cells_not_the_dimension():
    ext = _extent(_sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="9"><c r="AB9" t="s"><v>0</v></c></row>'))
    assert (ext.rows, ext.columns, ext.cells) == (9, 28, 2)


@pytest.mark.parametrize("body, rows, columns", [
    ("<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row><row><c><v>1</v></c></row>", 2, 3),  # no references
    ("<row r='3'><c r = 'c3' ><v>1</v></c></row>", 3, 3),  # single quotes, spaces, lower case
    ('<row r="2"><c s=">" r="XFD2"><v>1</v></c></row>', 2, 16384),  # ">" inside an attribute value
    ('<row r="1"><c r="A1048576"><v>1</v></c></row>', 1048576, 1),  # the cell says which row, not its <row>
    ('<row r="1"><c r="A1"/></row><row r="500"/>', 500, 1),
])
def test_every_way_of_placing_a_cell_is_measured(body, rows, columns):
    ext = _extent(_sheet(body))
    assert (ext.rows, ext.columns) == (rows, columns)


def test_a_prefixed_sheet_is_measured():
    xml = _sheet('<x:row r="4"><x:c r="K4"><x:v>1</x:v></x:c></x:row>', root=f'<x:worksheet xmlns:x="{MAIN}">',
                 end="</x:worksheet>").replace(b"<sheetData>", b"<x:sheetData>").replace(b"</sheetData>", b"</x:sheetData>")
    ext = _extent(xml)
    assert (ext.rows, ext.columns) == (4, 11)


def test_the_scan_stops_past_a_bound():
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(1, 1000))
    assert 10 < _extent(_sheet(body), stop_rows=10).rows < 999


@pytest.mark.parametrize("xml, found", [
    (_sheet('<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>'), True),
    (_sheet('<row r="1"><c r="A1"><v>2</v></c></row>'), False),
    # a second prefix bound to the same namespace, declared on the element itself
    (_sheet(f'<row r="1"><c r="A1"><y:f xmlns:y="{MAIN}">1+1</y:f><v>2</v></c></row>'), True),
    # ... or on an ancestor, with the root in another prefix
    (_sheet(f'<x:row r="1" xmlns:z="{MAIN}"><x:c r="A1"><z:f>1+1</z:f></x:c></x:row>',
            root=f'<x:worksheet xmlns:x="{MAIN}">', end="</x:worksheet>"), True),
    (_sheet('<row r="1"><c r="A1"><f>1+1</f></c></row>', root=f'<worksheet xmlns="{STRICT}">'), True),
    # an <f> of another namespace is not a formula
    (_sheet('<row r="1"><c r="A1"><o:f xmlns:o="urn:other">x</o:f><v>2</v></c></row>'), False),
])
def test_a_formula_is_found_by_its_namespace_whatever_its_prefix(xml, found):
    assert xlsxsafe.has_formula(io.BytesIO(xml)) is found


def test_undeclared_prefixes_are_refused_as_damaged():
    with pytest.raises(xlsxsafe.XlsxError):
        _extent(_sheet('<row r="1"><q:c r="A1"/></row>'))


def test_a_sheet_with_a_dtd_is_refused():
    xml = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e "<f>1</f>">]>'
           + f'<worksheet xmlns="{MAIN}"><sheetData><row><c>&e;</c></row></sheetData></worksheet>'.encode())
    with pytest.raises(xlsxsafe.XlsxError, match="DTD"):
        xlsxsafe.has_formula(io.BytesIO(xml))


# ---------------------------------------------------------------- bank result sheets


def _result_sheet(far: str = "") -> bytes:
    """A bank result sheet (header + one row) claiming <dimension ref="A1"/>, plus an optional far row."""
    import re

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, RESULT_HEADERS)
    ws.write_row(1, 0, ["1", "张三", "6222", "工行", "10.00", "补助", "K1", "成功", "", ""])
    wb.close()
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                data = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1"/>', data)
                data = data.replace(b"</sheetData>", far.encode() + b"</sheetData>")
            z.writestr(info.filename, data)
    return out.getvalue()


def test_a_result_sheet_is_read():
    rows = list(banksheet.result_rows(_result_sheet()))
    assert [(n, c["key"], c["status"]) for n, c, _ in rows] == [(2, "K1", "成功")]


@pytest.mark.parametrize("far", ['<row r="1048576"><c r="A1048576"><v>1</v></c></row>',
                                 '<row r="3"><c r="XFD3"><v>1</v></c></row>'])
def test_a_sparse_result_sheet_is_refused_before_it_is_read(far):
    with pytest.raises(ValidationError) as e:
        list(banksheet.result_rows(_result_sheet(far)))
    assert "上限" in e.value.message_dict["upload"][0]


_CHILD = textwrap.dedent("""
    import json, os, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))
    os.environ["DJANGO_SETTINGS_MODULE"] = "huigong.settings.test"
    import django
    django.setup()
    from django.core.exceptions import ValidationError
    from huigong.core import banksheet
    data = open(sys.argv[1], "rb").read()
    outcome = "accepted"
    try:
        list(banksheet.result_rows(data))
    except ValidationError as e:
        outcome = "refused"
    print(json.dumps({"outcome": outcome, "peak_kb": int(next(ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')).split()[1])}))
""")


def test_a_sparse_result_sheet_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "result.xlsx"
    path.write_bytes(_result_sheet('<row r="1048576"><c r="J1048576"><v>1</v></c></row>'))
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path)], check=False, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"outcome": "refused", "peak_kb": result["peak_kb"]} and result["peak_kb"] < 300 * 1024, result


@pytest.mark.parametrize("body", [
    '<row r="1"><c r="A1"><v>1</v></c><c r="T1" t="s"><v>0</v></c></row><row r="7"><c r="B7"><v>1</v></c></row>',
    '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>',
    # a cell behind a prefix bound on the root, which a reader still takes for a cell
    '<row r="1"><c r="A1"/><m:c r="XFD9"><v>1</v></m:c></row>',
    '<row r="1"><c r="A1"/></row><!-- <row r="99"/> -->',
    '<row r="2"><c t="s" r="H2"><v>1</v></c></row>',
    '<row r="1"><c r="A1" t="inlineStr"><is><r><rPr><color rgb="FF0000"/><charset val="134"/></rPr><t>x</t></r></is></c></row>',
])
def test_the_fast_path_agrees_with_the_parser(body):
    xml = _sheet(body, root=f'<worksheet xmlns="{MAIN}" xmlns:m="{MAIN}">')
    fast = xlsxsafe.measure(lambda: io.BytesIO(xml))
    parsed = xlsxsafe.sheet_extent(io.BytesIO(xml))
    assert fast == parsed


# ---------------------------------------------------------------- a slice of rows, checked before it is parsed

_ROWS = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x{r}</t></is></c><c r="C{r}"><v>{r}</v></c></row>'
                for r in range(5, 9))


@pytest.mark.parametrize("hint", [0, 3, 20])
def test_a_plain_block_is_bounded_by_its_cells(hint):
    block = xlsxsafe.plain_block(_ROWS.encode(), columns_hint=hint)
    assert (block.cells, block.first_row, block.last_row, block.formula) == (8, 5, 8, False)
    assert block.last_column == max(3, hint)  # the hint is an upper bound; never less than the truth


@pytest.mark.parametrize("far", ['<c r="A1000000"><v>1</v></c>', '<c r="XFD7"><v>1</v></c>', '<c r="A1"><v>1</v></c>',
                                 '<c r="D7"><v>1</v></c>'])
def test_a_cell_outside_its_rows_or_the_hint_is_measured(far):
    # A cell whose reference lies outside its row or beyond the widest column so far: what calamine
    # would allocate is read from every reference, not from the bounds.
    body = _ROWS.replace('<c r="C7">', far + '<c r="C7">').encode()
    block = xlsxsafe.plain_block(body, columns_hint=3)
    whole = xlsxsafe.plain_block(body)
    assert block == whole
    assert block.area >= {"A1000000": 1_000_000 * 3 - 4 * 3, "XFD7": 4 * 16384, "A1": 8 * 3, "D7": 4 * 4}[
        far.split('"')[1]]


@pytest.mark.parametrize("body", [
    _ROWS.replace("<v>6</v>", "<v>6</v><!-- x -->"),
    _ROWS.replace('<c r="A6"', '<x:c r="A6"').replace("</is></c><c r=\"C6\"", "</is></x:c><c r=\"C6\""),
    _ROWS.replace('<c r="A6"', '<c s="1" r="A6"'),
    _ROWS.replace('<row r="6">', '<row spans="1:3" r="6">'),
    _ROWS.replace('<row r="6">', f'<row r="6" xmlns="{MAIN}">'),
])
def test_what_byte_searches_cannot_see_through_is_unusual(body):
    with pytest.raises(xlsxsafe.Unusual):
        xlsxsafe.plain_block(body.encode(), columns_hint=3)


def test_text_that_only_looks_like_markup_stays_plain_and_formulas_are_found():
    body = _ROWS.replace("x6", "邮箱:chen@example.com xmlns=1 :row :f").encode()
    assert xlsxsafe.plain_block(body, columns_hint=3).cells == 8
    assert xlsxsafe.plain_block(_ROWS.replace("<v>6</v>", "<f>1+1</f><v>6</v>").encode()).formula
