"""A sheet's real extent is measured from its cells before any reader loads it: a tiny sparse file
(two cells far apart) would make python-calamine allocate every cell in between (~32 bytes each, ~2 GB
for A1 + BH1048575), so it is refused in the request, in bounded memory. A formula cell is found by
its namespace, whatever prefix the file binds to it."""

import io
import json
import re
import subprocess
import sys
import textwrap
import zipfile

import pytest
from django.core.exceptions import ValidationError

from huigong.members.models import ImportStatus, RosterImport
from huigong.members.roster import roster_import_start
from huigong.members.roster.files import FORMULA_REFUSED
from huigong.members.roster.testing import person_row, roster_xlsx, upload

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _edit_sheet(content: bytes, edit) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, edit(data) if info.filename.endswith("sheet1.xml") else data)
    return out.getvalue()


def sparse_roster(far_cell: str, far_row: int) -> bytes:
    """A one-person roster that claims <dimension ref="A1"/> and has one more cell far away."""
    def edit(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1"/>', xml)
        far = f'<row r="{far_row}"><c r="{far_cell}{far_row}"><v>1</v></c></row>'.encode()
        return xml.replace(b"</sheetData>", far + b"</sheetData>")
    return _edit_sheet(roster_xlsx([person_row()]), edit)


def _refused_message(cast, content) -> str:
    with pytest.raises(ValidationError) as e:
        roster_import_start(actor=cast.city_admin, union=cast.tech, upload=upload("r.xlsx", content))
    assert RosterImport.objects.count() == 0
    return " ".join(e.value.message_dict["file"])


def test_a_tiny_sparse_sheet_within_the_row_and_column_limits_is_refused_in_the_request(cast):
    # Given a 1 KB roster with a cell at Z100000 (beyond the template's columns): 2.6 million cells of range,
    # about 40 of them real
    content = sparse_roster("Z", 100_000)
    assert len(content) < 10_000
    # When it is uploaded, then it is refused before it is loaded, saying the range is mostly empty
    message = _refused_message(cast, content)
    assert "100,000 行 × 26 列" in message and "空白" in message


def test_a_sheet_whose_cells_exceed_the_cell_limit_is_refused(cast):
    message = _refused_message(cast, sparse_roster("BH", 1_048_575))
    assert "1,048,575 行 × 60 列" in message and "单元格的上限" in message


def test_a_cell_beyond_the_column_limit_is_refused(cast):
    message = _refused_message(cast, sparse_roster("XFD", 1_048_576))
    assert "列" in message and "上限" in message


def test_a_formula_behind_a_second_prefix_for_the_spreadsheet_namespace_is_refused(cast):
    # Given a sheet in the default namespace with one cell whose formula element uses another prefix
    # bound to the same namespace (a byte search for "<f>" does not see it)
    def edit(xml: bytes) -> bytes:
        assert f'<worksheet xmlns="{MAIN}"'.encode() in xml
        new, n = re.subn(rb'<c r="I2"[^>]*>.*?</c>',
                         f'<c r="I2"><x:f xmlns:x="{MAIN}">A2&amp;B2</x:f><v>1</v></c>'.encode(), xml, count=1)
        assert n == 1
        return new
    content = _edit_sheet(roster_xlsx([person_row(), person_row()]), edit)
    # When it is imported, then it is refused as a formula workbook
    imp = roster_import_start(actor=cast.city_admin, union=cast.tech, upload=upload("r.xlsx", content))
    assert imp.status == ImportStatus.REJECTED and imp.message == FORMULA_REFUSED


_CHILD = textwrap.dedent("""
    import json, os, resource, sys
    # A hard ceiling: a reader that allocates the sparse range dies here instead of eating the machine.
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))
    os.environ["DJANGO_SETTINGS_MODULE"] = "huigong.settings.test"
    import django
    django.setup()
    from django.conf import settings
    from huigong.members.roster.files import RosterFileError, open_rows, sniff
    before = int(next(ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')).split()[1])
    outcome = "accepted"
    try:
        # what the request does, then what the worker does
        info = sniff(sys.argv[1], "xlsx", scan_bytes=settings.ROSTER_SCAN_IN_REQUEST_BYTES)
        sheet = open_rows(sys.argv[1], info)
        sum(1 for _ in sheet.rows)
    except RosterFileError as e:
        outcome = "refused: " + str(e)
    after = int(next(ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')).split()[1])
    print(json.dumps({"outcome": outcome, "peak_kb": after, "growth_kb": after - before}))
""")


@pytest.mark.parametrize("far_cell, far_row", [("BH", 1_048_575), ("T", 1_000_000), ("XFD", 1_048_576)])
def test_the_hostile_sparse_file_is_refused_in_bounded_memory(tmp_path, far_cell, far_row):
    path = tmp_path / "sparse.xlsx"
    path.write_bytes(sparse_roster(far_cell, far_row))
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path)], check=False, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["outcome"].startswith("refused"), result
    assert result["peak_kb"] < 300 * 1024, result


def test_a_sheet_not_measured_in_the_request_is_measured_and_imported_by_the_worker(
        cast, settings, django_capture_on_commit_callbacks):
    settings.ROSTER_SCAN_IN_REQUEST_BYTES = 100  # too big to measure in the request: its size is unknown
    content = roster_xlsx([person_row() for _ in range(5)])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        imp = roster_import_start(actor=cast.city_admin, union=cast.tech, upload=upload("r.xlsx", content))
    assert imp.status == ImportStatus.PENDING and len(callbacks) == 1  # not run inline
    callbacks[0]()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.DONE and imp.created_count == 5


# ---------------------------------------------------------------- one pass over a big sheet
#
# A sheet part bigger than one slice is not measured before the worker reads it: each slice is checked
# just before calamine parses it (files._SliceCheck). Here the slices are made tiny so that a 40-person
# roster is read as many.


@pytest.fixture
def tiny_slices(monkeypatch, settings):
    from huigong.core import xlsxstream
    from huigong.members.roster import files

    monkeypatch.setattr(files, "ONE_PASS_ABOVE_BYTES", 2000)
    monkeypatch.setattr(xlsxstream, "CHUNK_BYTES", 2000)
    monkeypatch.setattr(xlsxstream, "_BLOCK", 500)
    settings.ROSTER_SCAN_IN_REQUEST_BYTES = 100  # not measured in the request either: the worker decides
    checked = []
    real = files._SliceCheck.__call__

    def spy(self, head, body):
        checked.append(len(body))
        return real(self, head, body)

    monkeypatch.setattr(files._SliceCheck, "__call__", spy)
    return checked


def _run_in_worker(cast, content, capture):
    with capture(execute=False) as callbacks:
        imp = roster_import_start(actor=cast.city_admin, union=cast.tech, upload=upload("r.xlsx", content))
    assert imp.status == ImportStatus.PENDING and len(callbacks) == 1
    callbacks[0]()
    imp.refresh_from_db()
    return imp


def _edit_row(content: bytes, row: int, edit) -> bytes:
    def on_sheet(xml: bytes) -> bytes:
        new, n = re.subn(rb'<row r="%d".*?</row>' % row, lambda m: edit(m.group(0)), xml, count=1, flags=re.DOTALL)
        assert n == 1
        return new
    return _edit_sheet(content, on_sheet)


def test_a_big_sheet_is_checked_and_read_in_one_pass(cast, tiny_slices, django_capture_on_commit_callbacks):
    from huigong.members.models import Person

    before = Person.objects.count()
    imp = _run_in_worker(cast, roster_xlsx([person_row() for _ in range(40)]), django_capture_on_commit_callbacks)
    assert imp.status == ImportStatus.DONE and imp.created_count == 40, imp.message
    assert len(tiny_slices) > 3 and Person.objects.count() == before + 40


@pytest.mark.parametrize("edit, expected", [
    # a formula in a late slice
    (lambda r: r.replace(b"<v>", b"<f>1+1</f><v>", 1) if b"<v>" in r else
     re.sub(rb"(<c r=\"[A-Z]+\d+\")", rb"\1><f>1+1</f><v>0</v></c><c r=\"ZZ1\"", r, count=1), "公式"),
    # a cell whose reference lies far below its row: calamine would allocate the range in between
    (lambda r: r.replace(b"</row>", b'<c r="T900000"><v>1</v></c></row>'), "空白"),
    # beyond the column limit
    (lambda r: r.replace(b"</row>", b'<c r="XFD38"><v>1</v></c></row>'), "列"),
    # written in a way byte searches cannot see through, after rows already read
    (lambda r: r.replace(b"</row>", b"<!-- note --></row>"), "不常见"),
])
def test_a_late_slice_that_fails_the_checks_refuses_the_file_and_nothing_is_written(
        cast, tiny_slices, django_capture_on_commit_callbacks, edit, expected):
    from huigong.members.models import Person

    before = Person.objects.count()
    content = _edit_row(roster_xlsx([person_row() for _ in range(40)]), 38, edit)
    imp = _run_in_worker(cast, content, django_capture_on_commit_callbacks)
    assert imp.status == ImportStatus.REJECTED and expected in imp.message, imp.message
    assert len(tiny_slices) > 3  # refused as it was read, after several slices
    assert Person.objects.count() == before


def test_a_first_slice_not_plainly_written_is_measured_first_as_before(
        cast, tiny_slices, django_capture_on_commit_callbacks):
    content = _edit_row(roster_xlsx([person_row() for _ in range(40)]), 2, lambda r: r.replace(b"</row>", b"<!-- x --></row>"))
    imp = _run_in_worker(cast, content, django_capture_on_commit_callbacks)
    assert imp.status == ImportStatus.DONE and imp.created_count == 40, imp.message
