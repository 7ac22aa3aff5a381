"""Row rules of the roster import, one at a time (RowValidator over in-memory rows), then the
header rules through a real upload."""

import datetime as dt
import random
import re

import pytest

from huigong.core import idnumber
from huigong.core.crypto import blind_index
from huigong.members.models import ImportStatus, Person
from huigong.members.roster import roster_import_start
from huigong.members.roster.testing import LABELS, person_row, roster_csv, roster_xlsx, upload
from huigong.members.roster.validate import Lookups, R, RowValidator
from huigong.orgs.models import EnterpriseKind
from huigong.testing import make_enterprise

TODAY = dt.date(2026, 6, 1)


def _validate(cast, rows, *, header=None, enterprise=None, actor=None, formula_text=False):
    header = header or LABELS
    lookups = Lookups.load(actor or cast.city_admin, enterprise)
    v = RowValidator(header, lookups=lookups, today=TODAY, formula_text=formula_text)
    assert not v.problems
    cells = [(i + 2, [row.get(h, "") for h in header]) for i, row in enumerate(rows)]
    return v.validate(cells)


def _one_error(cast, **overrides):
    records, errors = _validate(cast, [person_row(random.Random(1), **overrides)])
    assert records == [] and len(errors) == 1, errors
    return errors[0]


def test_a_good_row_becomes_a_record_with_derived_fields(cast):
    row = person_row(random.Random(1), 姓名="张三", 手机号="138 0013 8000", 用人单位=cast.enterprise.name)
    (rec,), errors = _validate(cast, [row])
    assert errors == []
    info = idnumber.parse(row["身份证号"])
    assert rec[R["row_no"]] == 2
    assert (rec[R["name"]], rec[R["name_pinyin"]], rec[R["name_initials"]]) == ("张三", "zhangsan", "zs")
    assert rec[R["id_number_mask"]] == idnumber.mask(info.number)
    assert (rec[R["gender"]], rec[R["birth_date"]]) == (info.gender, info.birth_date)
    assert (rec[R["phone"]], rec[R["phone_mask"]]) == ("13800138000", "138****8000")
    assert rec[R["employer_id"]] == cast.enterprise.pk
    assert (rec[R["education"]], rec[R["political_status"]], rec[R["employment_form"]]) == \
        ("bachelor", "masses", "contract")
    assert rec[R["joined_on"]] == dt.date(2024, 3, 1)


@pytest.mark.parametrize("column, message", [("姓名", "姓名不能为空"), ("身份证号", "身份证号不能为空"),
                                             ("用工形式", "用工形式不能为空")])
def test_required_cells(cast, column, message):
    e = _one_error(cast, **{column: ""})
    assert e.column.startswith(column) and message in e.reason
    assert not re.search("[A-Za-z]{3,}", e.reason), e.reason  # one language per message


def test_id_number_check_digit_and_length(cast):
    good = idnumber.random_number(random.Random(3))
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    e = _one_error(cast, 身份证号=bad, 性别="", 出生日期="")
    assert "校验位" in e.reason and e.value == idnumber.mask(bad)
    assert "18位" in _one_error(cast, 身份证号=good[:15], 性别="", 出生日期="").reason


def test_id_number_stored_as_a_number_is_explained(cast):
    e = _one_error(cast, 身份证号=330106199001011234.0, 性别="", 出生日期="")
    assert "文本" in e.reason and "text" not in e.reason


def test_gender_and_birth_date_must_agree_with_the_id(cast):
    number = idnumber.make("330106", dt.date(1990, 5, 6), 123, "M")
    assert "性别与身份证号不一致" in _one_error(cast, 身份证号=number, 性别="女", 出生日期="").reason
    assert "出生日期与身份证号不一致" in _one_error(cast, 身份证号=number, 性别="男", 出生日期="1990-05-07").reason
    # 出生年月 (year and month only) is compared as such.
    records, errors = _validate(cast, [person_row(random.Random(1), 身份证号=number, 性别="男", 出生日期="1990年5月")])
    assert errors == [] and len(records) == 1
    assert "出生日期与身份证号不一致" in _one_error(cast, 身份证号=number, 性别="男", 出生日期="1990.06").reason


def test_phone(cast):
    assert "手机号格式不正确" in _one_error(cast, 手机号="12345").reason
    records, errors = _validate(cast, [person_row(random.Random(1), 手机号=13900001111.0)])
    assert errors == [] and records[0][R["phone"]] == "13900001111"


@pytest.mark.parametrize("value, expected", [
    (dt.date(2024, 3, 1), dt.date(2024, 3, 1)),
    (dt.datetime(2024, 3, 1, 9, 30), dt.date(2024, 3, 1)),
    (45352.0, dt.date(2024, 3, 1)),  # an Excel serial number
    ("2024-03-01", dt.date(2024, 3, 1)),
    ("2024/3/1", dt.date(2024, 3, 1)),
    ("2024年3月1日", dt.date(2024, 3, 1)),
    ("2024.3.1", dt.date(2024, 3, 1)),
    ("20240301", dt.date(2024, 3, 1)),
    ("2024-03-01 00:00:00", dt.date(2024, 3, 1)),
])
def test_date_forms(cast, value, expected):
    (rec,), errors = _validate(cast, [person_row(random.Random(1), 入会日期=value)])
    assert errors == [] and rec[R["joined_on"]] == expected


@pytest.mark.parametrize("value, reason", [("下个月", "日期格式不正确"), ("2024-02-30", "日期不存在"),
                                           (True, "应为日期"), (dt.time(9, 30), "应为日期"),
                                           ("2026-06-02", "不能晚于今天")])
def test_bad_dates(cast, value, reason):
    e = _one_error(cast, 入会日期=value)
    assert e.column.startswith("入会日期") and reason in e.reason


def test_joined_before_birth_and_contract_order(cast):
    number = idnumber.make("330106", dt.date(2000, 1, 1), 5)
    assert "早于出生日期" in _one_error(cast, 身份证号=number, 性别="", 出生日期="", 入会日期="1999-12-31").reason
    e = _one_error(cast, 劳动合同起始日期="2024-01-01", 劳动合同终止日期="2023-12-31")
    assert e.column.startswith("劳动合同终止日期") and "早于起始日期" in e.reason


@pytest.mark.parametrize("label, code", [("劳动合同", "contract"), ("劳务派遣", "dispatch"), ("灵活就业", "flexible"),
                                         ("网约配送员/外卖骑手", "rider"), ("网约配送员", "rider"), ("外卖骑手", "rider"),
                                         ("快递员", "courier"), ("网约车司机", "ride_hailing"),
                                         ("货车司机", "truck_driver")])
def test_employment_forms_by_chinese_label(cast, label, code):
    (rec,), errors = _validate(cast, [person_row(random.Random(1), 用工形式=label)])
    assert errors == [] and rec[R["employment_form"]] == code


def test_enumerations_reject_unknown_labels(cast):
    assert "用工形式填写不正确" in _one_error(cast, 用工形式="临时工").reason
    assert "学历填写不正确" in _one_error(cast, 学历="幼儿园").reason
    assert "政治面貌填写不正确" in _one_error(cast, 政治面貌="无").reason
    assert "民族名称不正确" in _one_error(cast, 民族="火星族").reason
    assert "性别应填" in _one_error(cast, 性别="未知").reason
    (rec,), _ = _validate(cast, [person_row(random.Random(1), 学历="大学本科", 民族="回", 政治面貌="党员")])
    assert (rec[R["education"]], rec[R["ethnicity"]], rec[R["political_status"]]) == \
        ("bachelor", "回族", "party_member")


def test_employer_by_credit_code_and_by_name_within_scope(cast):
    rows = [person_row(random.Random(1), 统一社会信用代码=cast.enterprise.uscc),
            person_row(random.Random(2), 用人单位=cast.enterprise.name)]
    records, errors = _validate(cast, rows)
    assert errors == [] and [r[R["employer_id"]] for r in records] == [cast.enterprise.pk] * 2
    # A unit of another subtree is not found, whichever way it is named.
    e = _one_error(cast, 统一社会信用代码=cast.qd_enterprise.uscc)
    assert e.column.startswith("统一社会信用代码") and "找不到" in e.reason
    assert "找不到" in _one_error(cast, 用人单位=cast.qd_enterprise.name).reason
    code = cast.enterprise.uscc
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert "校验位" in _one_error(cast, 统一社会信用代码=wrong).reason


def test_employer_name_must_be_unambiguous(cast):
    twin = make_enterprise(cast.tech)
    twin.name = cast.enterprise.name
    twin.save()
    assert "多个同名单位" in _one_error(cast, 用人单位=cast.enterprise.name).reason


def test_platform_must_be_a_platform(cast):
    (rec,), errors = _validate(cast, [person_row(random.Random(1), 用工形式="快递员", 平台企业=cast.platform.uscc)])
    assert errors == [] and rec[R["platform_id"]] == cast.platform.pk
    (rec,), errors = _validate(cast, [person_row(random.Random(1), 平台企业=cast.platform.name)])
    assert rec[R["platform_id"]] == cast.platform.pk
    assert "不是平台企业" in _one_error(cast, 平台企业=cast.enterprise.name).reason


def test_the_import_enterprise_is_the_default_employer_or_platform(cast):
    (rec,), _ = _validate(cast, [person_row(random.Random(1))], enterprise=cast.enterprise)
    assert (rec[R["employer_id"]], rec[R["platform_id"]]) == (cast.enterprise.pk, None)
    (rec,), _ = _validate(cast, [person_row(random.Random(1))], enterprise=cast.platform)
    assert (rec[R["employer_id"]], rec[R["platform_id"]]) == (None, cast.platform.pk)
    assert cast.platform.kind == EnterpriseKind.PLATFORM


def test_lengths_and_bank_account(cast):
    assert "超过50个字" in _one_error(cast, 岗位="岗" * 51).reason
    assert "超过50个字" in _one_error(cast, 姓名="张" * 51).reason
    assert "12到30位数字" in _one_error(cast, 银行账号="6222-abc").reason
    e = _one_error(cast, 银行账号=6222021202000000000.0)
    assert "文本" in e.reason and e.value.startswith("****")


def test_example_and_blank_rows_are_skipped(cast):
    rows = [person_row(random.Random(1), 姓名="示例：张三"), {}, {"姓名": "  "}, person_row(random.Random(2))]
    records, errors = _validate(cast, rows)
    assert errors == [] and [r[R["row_no"]] for r in records] == [5]


def test_formula_text_is_refused_in_csv(cast):
    records, errors = _validate(cast, [person_row(random.Random(1), 岗位="=HYPERLINK(\"http://x\")")],
                                formula_text=True)
    assert records == [] and errors[0].column.startswith("岗位") and "公式" in errors[0].reason


def test_errors_mask_personal_numbers(cast):
    e = _one_error(cast, 手机号="1380013800099")
    assert e.value == "138****0099"


# ---------------------------------------------------------------- headers, through an upload


def _start(cast, content, name="r.xlsx", **kw):
    return roster_import_start(actor=cast.city_admin, union=cast.tech, upload=upload(name, content), **kw)


def test_headers_tolerate_spaces_asterisks_aliases_and_a_title_row(cast):
    headers = [" 姓 名 *", "*身份证号码", "用工形式（必填）", "手机号码", "工作单位", "序号"]
    row = person_row(random.Random(9))
    data = {" 姓 名 *": row["姓名"], "*身份证号码": row["身份证号"], "用工形式（必填）": "劳动合同",
            "手机号码": row["手机号"], "工作单位": cast.enterprise.name, "序号": "1"}
    imp = _start(cast, roster_xlsx([data], headers, title="杭州某科技有限公司工会会员名册"))
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    person = Person.objects.get(id_number_hash=blind_index(row["身份证号"], "id"))
    assert person.employer_id == cast.enterprise.pk and person.phone == row["手机号"]


def test_missing_required_column_rejects_the_file(cast):
    headers = [h for h in LABELS if h != "用工形式"]
    imp = _start(cast, roster_xlsx([person_row(random.Random(1))], headers))
    assert imp.status == ImportStatus.REJECTED
    assert "缺少必填列：用工形式" in imp.message and "required columns" in imp.message


def test_a_column_given_twice_rejects_the_file(cast):
    headers = [*LABELS, "手机号码"]
    imp = _start(cast, roster_xlsx([person_row(random.Random(1))], headers))
    assert imp.status == ImportStatus.REJECTED and "出现了两次" in imp.message


def test_no_header_row_rejects_the_file(cast):
    imp = _start(cast, roster_csv([{"a": "1"}], ["a", "b"]), name="r.csv")
    assert imp.status == ImportStatus.REJECTED and "找不到表头" in imp.message


def test_labels_are_chinese_even_if_first_loaded_in_an_english_request():
    import importlib

    from django.utils import translation

    from huigong.members.roster import columns

    with translation.override("en"):
        fresh = importlib.reload(columns)
    assert fresh.EMPLOYMENT_FORMS["劳动合同"] == "contract" and fresh.EDUCATIONS["本科"] == "bachelor"
    assert "Employment contract" not in fresh.EMPLOYMENT_FORMS and "劳动合同" in fresh.BY_KEY["employment_form"].note


# ---------------------------------------------------------------- what real spreadsheets carry

def _fullwidth(s: str) -> str:
    """Full-width digits and letters, as Chinese input methods type them into Excel."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def test_full_width_id_phone_and_bank_numbers_are_read_as_ascii(cast):
    number = idnumber.make("330106", dt.date(1990, 5, 6), 123, "M")
    row = person_row(random.Random(4), 身份证号="\u3000" + _fullwidth(number.lower()) + "\u3000",
                     性别="", 出生日期="", 手机号=_fullwidth("138 0013 8000"))
    row["银行账号"] = _fullwidth("6222 0212 3456 7890 123")
    (rec,), errors = _validate(cast, [row])
    assert errors == []
    assert rec[R["id_number"]] == number
    assert rec[R["phone"]] == "13800138000"
    assert rec[R["bank_account"]] == "6222021234567890123"


def test_full_width_x_check_character_is_valid():
    rng = random.Random(0)
    number = next(n for n in (idnumber.random_number(rng) for _ in range(500)) if n.endswith("X"))
    assert idnumber.parse(_fullwidth(number[:17]) + "ｘ").number == number
    assert idnumber.is_valid("\u3000" + _fullwidth(number) + " ")


def test_a_forms_footer_rows_are_skipped_and_reported(cast):
    rng = random.Random(11)
    people = [person_row(rng, 用人单位=cast.enterprise.name) for _ in range(2)]
    footer = {"姓名": "填表人：王五", "身份证号": "联系电话：0571-88888888"}
    note = {"姓名": "备注：以上人员均已签订劳动合同"}
    imp = _start(cast, roster_csv([*people, footer, note]), name="r.csv")
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    assert imp.created_count == 2
    assert "已跳过第 4、5 行" in imp.message


def test_a_person_whose_name_looks_like_a_label_is_not_skipped(cast):
    # Only rows without an ID number are notes: a real person is never dropped silently.
    row = person_row(random.Random(12), 姓名="备注", 用人单位=cast.enterprise.name)
    (rec,), errors = _validate(cast, [row])
    assert errors == [] and rec[R["name"]] == "备注"
