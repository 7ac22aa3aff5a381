"""Member export: scoped like the member list, masked unless the role may see full values (and
then one access-log row for the file), neutralised against formula injection, re-importable."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from python_calamine import CalamineWorkbook

from huigong.core.models import AccessLog, AuditEvent
from huigong.members.models import EmploymentForm, ImportStatus
from huigong.members.roster import members_export_xlsx, roster_import_start
from huigong.members.roster.testing import upload
from huigong.testing import make_member


def _sheet(export):
    data = export.file.read()
    export.file.close()
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python(), data


def _by_name(rows):
    header = rows[0]
    return header, {r[header.index("姓名")]: dict(zip(header, r)) for r in rows[1:]}


def test_masked_export_of_the_actors_subtree(cast):
    export = members_export_xlsx(actor=cast.city_admin)
    rows, _ = _sheet(export)
    header, people = _by_name(rows)
    assert header[:3] == ["所在工会", "姓名", "身份证号"] and header[-2:] == ["会籍状态", "会员卡号"]
    assert set(people) == {"李小红", "王骑手"} and export.row_count == 2
    li = people["李小红"]
    person = cast.member.person
    assert li["身份证号"] == person.id_number_mask and person.id_number not in str(rows)
    assert li["手机号"] == person.phone_mask and li["所在工会"] == "杭州某科技公司工会"
    assert li["用工形式"] == "劳动合同" and li["会籍状态"] == "在会"
    assert people["王骑手"]["用工形式"] == "网约配送员/外卖骑手" and people["王骑手"]["平台企业"] == cast.platform.name
    assert not AccessLog.objects.exists()
    event = AuditEvent.objects.get(verb="members.export")
    assert event.actor == cast.city_admin and event.new == {"rows": 2, "full_pii": False, "q": "",
                                                            "employment_form": ""}
    assert export.filename.startswith("会员名册-杭州市总工会-") and export.filename.endswith(".xlsx")


def test_full_values_need_the_capability_and_leave_one_access_row(cast):
    export = members_export_xlsx(actor=cast.district_staff, full_pii=True)
    rows, _ = _sheet(export)
    _, people = _by_name(rows)
    assert people["李小红"]["身份证号"] == cast.member.person.id_number
    assert people["王骑手"]["手机号"] == cast.rider.person.phone
    (log,) = AccessLog.objects.all()
    assert (log.actor, log.row_count, log.node_path) == (cast.district_staff, 2, cast.xihu.path)
    assert set(log.fields.split(",")) == {"id_number", "phone", "bank_account"}
    with pytest.raises(PermissionDenied):
        members_export_xlsx(actor=cast.leader, full_pii=True)  # may export, may not see full values
    assert AccessLog.objects.count() == 1


def test_export_needs_the_export_capability(cast):
    with pytest.raises(PermissionDenied):
        members_export_xlsx(actor=cast.viewer)
    assert members_export_xlsx(actor=cast.leader).row_count == 2


def test_outsider_exports_only_their_subtree(cast):
    rows, data = _sheet(members_export_xlsx(actor=cast.outsider))
    assert [r[1] for r in rows[1:]] == ["赵青岛"] and "李小红".encode() not in data
    with pytest.raises(PermissionDenied):
        members_export_xlsx(actor=cast.outsider, node=cast.tech)


def test_filters_match_the_member_list(cast):
    assert members_export_xlsx(actor=cast.city_admin, employment_form=EmploymentForm.RIDER).row_count == 1
    assert members_export_xlsx(actor=cast.city_admin, q="wangqishou").row_count == 1
    assert members_export_xlsx(actor=cast.city_admin, node=cast.tech).row_count == 1


def test_cells_that_look_like_formulas_are_neutralised(cast):
    make_member(cast.city_admin, cast.tech, name="=SUM(1,2)")
    rows, _ = _sheet(members_export_xlsx(actor=cast.city_admin))
    names = [r[1] for r in rows[1:]]
    assert "'=SUM(1,2)" in names


def test_a_full_export_imports_back_as_updates(cast):
    export = members_export_xlsx(actor=cast.city_admin, full_pii=True, node=cast.tech)
    data = export.file.read()
    imp = roster_import_start(actor=cast.city_admin, union=cast.tech, upload=upload("export.xlsx", data))
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    assert (imp.created_count, imp.updated_count) == (0, 1)
