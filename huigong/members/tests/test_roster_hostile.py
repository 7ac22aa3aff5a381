"""Hostile and malformed uploads are refused with a bilingual message, before anything reaches
the people tables (most of them before the workbook is even parsed)."""

import io
import random
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError

from huigong.members.models import ImportStatus, Membership, Person, RosterImport
from huigong.members.roster import roster_import_start
from huigong.members.roster.files import FORMULA_REFUSED
from huigong.members.roster.testing import LABELS, person_row, roster_xlsx, upload


def _rows(n, seed=1):
    rng = random.Random(seed)
    return [person_row(rng) for _ in range(n)]


def _start(cast, name, content):
    return roster_import_start(actor=cast.city_admin, union=cast.tech, upload=upload(name, content))


def _refused(cast, name, content, *fragments):
    counts = Person.objects.count(), Membership.objects.count()
    with pytest.raises(ValidationError) as e:
        _start(cast, name, content)
    message = " ".join(e.value.message_dict["file"])
    # One language: Chinese only (file formats are names: .xlsx, Excel, WPS).
    assert not re.search("[A-Za-z]{4,}", re.sub(r"xlsx|Excel|WPS", "", message)), message
    for f in fragments:
        assert f in message, message
    assert RosterImport.objects.count() == 0
    assert (Person.objects.count(), Membership.objects.count()) == counts
    return message


def _rezip(content: bytes, edit) -> bytes:
    """The same workbook with each member passed through edit(name, data)."""
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, edit(info.filename, src.read(info.filename)))
    return out.getvalue()


def test_an_xlsx_that_is_not_a_zip(cast):
    _refused(cast, "r.xlsx", b"PK\x03\x04 but then garbage" * 10, "不是有效的 .xlsx")
    _refused(cast, "r.xlsx", "姓名,身份证号\n".encode(), "不是 .xlsx")


def test_a_zip_bomb_is_refused_from_its_central_directory(cast):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="a" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros
    data = bomb.getvalue()
    assert len(data) < 100_000
    _refused(cast, "bomb.xlsx", data, "压缩炸弹")


def test_too_much_uncompressed_data_is_refused(cast, settings):
    settings.ROSTER_MAX_UNCOMPRESSED_BYTES = 20_000
    _refused(cast, "r.xlsx", roster_xlsx(_rows(40)), "压缩炸弹")


def test_a_huge_sheet_is_refused_from_its_dimension(cast, settings):
    settings.ROSTER_MAX_ROWS = 10
    _refused(cast, "r.xlsx", roster_xlsx(_rows(12)), "上限", "13 行")
    settings.ROSTER_MAX_ROWS = 1000
    settings.ROSTER_MAX_COLUMNS = 5
    _refused(cast, "r.xlsx", roster_xlsx(_rows(1)), f"{len(LABELS)} 列")


def _lying(rows: int) -> bytes:
    return _rezip(roster_xlsx(_rows(rows)), lambda name, data: re.sub(
        rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:T2"/>', data) if name.endswith("sheet1.xml") else data)


def test_a_sheet_that_lies_about_its_size_is_measured_in_the_request(cast, settings):
    settings.ROSTER_MAX_ROWS = 10
    _refused(cast, "r.xlsx", _lying(20), "上限")  # the dimension says 2 rows; the cells say 21


def test_a_sheet_too_big_to_measure_in_the_request_is_measured_by_the_worker(cast, settings,
                                                                            django_capture_on_commit_callbacks):
    settings.ROSTER_MAX_ROWS = 10
    settings.ROSTER_SCAN_IN_REQUEST_BYTES = 100  # every sheet is "big": its size is unknown in the request
    with django_capture_on_commit_callbacks(execute=True):
        imp = _start(cast, "r.xlsx", _lying(20))  # the dimension says 2 rows: not trusted, not run inline
        assert imp.status == ImportStatus.PENDING
    imp.refresh_from_db()
    assert imp.status == ImportStatus.REJECTED and "上限" in imp.message
    assert Person.objects.filter(memberships__source="import").count() == 0


def test_formula_cells_refuse_the_workbook(cast):
    rows = _rows(3)
    content = roster_xlsx(rows, raw_cells={(2, LABELS.index("岗位")): "=A2&B2"})
    imp = _start(cast, "r.xlsx", content)
    assert imp.status == ImportStatus.REJECTED and imp.message == FORMULA_REFUSED
    assert Person.objects.filter(memberships__source="import").count() == 0


def test_wrong_types_are_row_errors(cast):
    rows = _rows(3)
    content = roster_xlsx(rows, raw_cells={(1, LABELS.index("入会日期")): True,
                                           (2, LABELS.index("劳动合同起始日期")): 3.5e9})
    imp = _start(cast, "r.xlsx", content)
    assert imp.status == ImportStatus.REJECTED
    assert [(e[0], e[1][:4]) for e in imp.errors_preview] == [(2, "入会日期"), (3, "劳动合同")]
    assert "应为日期" in imp.errors_preview[0][3] and "超出范围" in imp.errors_preview[1][3]


def test_files_over_the_size_limit(cast, settings):
    settings.ROSTER_MAX_UPLOAD_BYTES = 1000
    _refused(cast, "r.xlsx", roster_xlsx(_rows(3)), "上限")


@pytest.mark.parametrize("name, fragment", [("r.xls", "不是 .xls 格式"), ("r.txt", "只能上传"), ("roster", "只能上传"),
                                            ("r.xlsx.exe", "只能上传")])
def test_wrong_extensions(cast, name, fragment):
    _refused(cast, name, roster_xlsx(_rows(1)), fragment)


def test_csv_whose_content_is_not_csv(cast):
    _refused(cast, "r.csv", roster_xlsx(_rows(1)), "不是 CSV")
    _refused(cast, "r.csv", b"\x00\x01\x02binary", "不是文本")
    _refused(cast, "r.csv", b"\xff\xfe\xfa\x80\x81 not any encoding \xff", "编码")
    _refused(cast, "r.csv", b"", "为空")


def test_an_encrypted_workbook(cast):
    content = roster_xlsx(_rows(1))
    raw = bytearray(content)
    # Set the "encrypted" flag bit in every local and central directory header.
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for m in re.finditer(re.escape(sig), bytes(raw)):
            raw[m.start() + offset] |= 0x01
    _refused(cast, "r.xlsx", bytes(raw), "加密")
