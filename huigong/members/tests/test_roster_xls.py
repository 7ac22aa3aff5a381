"""Excel 97-2003 (.xls) and WPS (.et) rosters import like .xlsx ones. The fixtures were saved by a real
spreadsheet program (LibreOffice Calc, scripts/roster_fixtures.py) from roster-source.xlsx."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from python_calamine import CalamineWorkbook

from huigong.core import xlssafe
from huigong.core.crypto import blind_index
from huigong.members.models import ImportStatus, Person
from huigong.members.roster import files, roster_import_start
from huigong.members.roster.files import FORMULA_REFUSED, RosterFileError
from huigong.members.roster.testing import roster_xlsx, upload

FIXTURES = Path(__file__).parent / "fixtures"


def _source_rows():
    return CalamineWorkbook.from_path(str(FIXTURES / "roster-source.xlsx")).get_sheet_by_index(0).to_python()


def _start(cast, name, content):
    return roster_import_start(actor=cast.city_admin, union=cast.tech, enterprise=cast.enterprise,
                               upload=upload(name, content))


@pytest.mark.parametrize("fixture, name", [
    ("roster-libreoffice.xls", "名册.xls"),
    ("roster-libreoffice.xls", "名册.XLS"),
    ("roster-libreoffice-ole2.et", "名册.et"),
    ("roster-libreoffice-zip.et", "名册.et"),
])
def test_xls_and_et_rosters_import_like_xlsx(cast, fixture, name):
    imp = _start(cast, name, (FIXTURES / fixture).read_bytes())
    assert imp.status == ImportStatus.DONE, (imp.message, imp.errors_preview)
    assert (imp.created_count, imp.error_count) == (3, 0)
    header, *rows = _source_rows()
    col = {h: i for i, h in enumerate(header)}
    for row in rows:
        p = Person.objects.get(id_number_hash=blind_index(row[col["身份证号"]], "id"))
        assert (p.name, p.phone, p.bank_account, p.birth_date) == \
            (row[col["姓名"]], row[col["手机号"]], row[col["银行账号"]], row[col["出生日期"]])
        m = p.memberships.get()
        assert m.union_id == cast.tech.pk and m.joined_on.isoformat() in ("2024-03-01", "2024-03-02")


def test_the_saved_xls_reads_as_its_source():
    header, *rows = _source_rows()
    path = FIXTURES / "roster-libreoffice.xls"
    info = files.sniff(path, "xls")
    assert (info.kind, info.extent.rows, info.extent.columns, info.extent.formula) == ("xls", 4, 20, False)
    assert [list(r) for r in files.open_rows(path, info).rows] == [header, *rows]
    et = files.sniff(FIXTURES / "roster-libreoffice-zip.et", "et")
    assert et.kind == "xlsx" and et.extent.rows == 4


def test_an_xls_with_a_formula_is_refused(cast):
    before = Person.objects.count()
    imp = _start(cast, "r.xls", (FIXTURES / "formula-libreoffice.xls").read_bytes())
    assert imp.status == ImportStatus.REJECTED and imp.message == FORMULA_REFUSED
    assert Person.objects.count() == before


def test_a_mostly_empty_xls_is_refused_before_it_is_loaded(cast, monkeypatch):
    def never(*a, **k):
        raise AssertionError("calamine must not load a sheet that was refused")

    monkeypatch.setattr(files, "open_xls", never)
    path = FIXTURES / "sparse-libreoffice.xls"
    ext = xlssafe.measure(path)
    assert (ext.rows, ext.columns, ext.cells) == (65536, 50, 3)
    with pytest.raises(ValidationError) as e:
        _start(cast, "r.xls", path.read_bytes())
    assert "大面积空白" in str(e.value)


@pytest.mark.parametrize("name, content, fragment", [
    ("r.xls", roster_xlsx([]), "不是 .xls 格式"),  # an .xlsx under an .xls name
    ("r.et", b"plain text, not a workbook", "不是 WPS 表格"),
    ("r.xls", xlssafe.OLE2_MAGIC + b"\0" * 600, "不是有效的 .xls"),  # a damaged compound file
    ("r.xlsx", (FIXTURES / "roster-libreoffice.xls").read_bytes(), "旧版 .xls"),
    ("r.wps", roster_xlsx([]), "只能上传"),
])
def test_wrong_or_damaged_xls_and_et_files_are_refused(cast, name, content, fragment):
    with pytest.raises(ValidationError) as e:
        _start(cast, name, content)
    assert fragment in str(e.value)


def test_a_password_protected_xls_is_refused(tmp_path):
    import olefile

    data = bytearray((FIXTURES / "roster-libreoffice.xls").read_bytes())
    # Turn the globals' first record after BOF into FILEPASS (what a password-protected file carries).
    path = tmp_path / "p.xls"
    with olefile.OleFileIO(str(FIXTURES / "roster-libreoffice.xls")) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
    start = bytes(data).find(bytes(stream[:64]))  # the stream's first sector in the file
    assert start > 0
    pos = 4 + int.from_bytes(stream[2:4], "little")  # the record after BOF
    data[start + pos:start + pos + 2] = (0x002F).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(RosterFileError, match="加密"):
        files.sniff(path, "xls")
