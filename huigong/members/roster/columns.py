"""The roster's columns: Chinese headers as enterprises write them, the labels staff type for
enumerations, and the header matching that tolerates the way real sheets drift from the template."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils import translation

from huigong.members.models import Education, EmploymentForm, PoliticalStatus


def _zh_labels(enum) -> list[str]:
    """The choices' labels in Chinese whatever language is active when this module is first imported
    (possibly inside an English request): rosters are written in Chinese."""
    with translation.override("zh-hans"):
        return [str(label) for label in enum.labels]



@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    required: bool
    note: str
    example: str
    aliases: tuple[str, ...] = ()
    width: int = 14


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, "必填，最多50个字", "示例：张三", width=10),
    Column("id_number", "身份证号", True, "必填，18位居民身份证号码，末位可为X；请把整列设为“文本”格式，避免Excel把号码存成数字",
           "330106199001011234", ("身份证号码", "公民身份号码", "证件号码", "身份证"), width=21),
    Column("gender", "性别", False, "选填，男/女；须与身份证号一致", "男", width=6),
    Column("birth_date", "出生日期", False, "选填；须与身份证号一致。可写 1990-01-01、1990/1/1、1990年1月1日",
           "1990-01-01", ("出生年月",), width=12),
    Column("ethnicity", "民族", False, "选填，如 汉族、回族", "汉族", width=8),
    Column("phone", "手机号", False, "选填，11位手机号码", "13800138000", ("手机号码", "手机", "联系电话", "联系方式"),
           width=13),
    Column("education", "学历", False, "选填：" + "、".join(_zh_labels(Education)), "本科",
           ("文化程度", "最高学历"), width=10),
    Column("political_status", "政治面貌", False, "选填：" + "、".join(_zh_labels(PoliticalStatus)),
           "群众", width=10),
    Column("employment_form", "用工形式", True, "必填：" + "、".join(_zh_labels(EmploymentForm)),
           "劳动合同", ("用工方式", "就业形态", "就业形式"), width=12),
    Column("employer", "用人单位", False, "选填，单位全称；须是本级及下级工会已登记的单位。已填统一社会信用代码时以代码为准",
           "杭州某科技有限公司", ("工作单位", "单位名称", "所在单位"), width=20),
    Column("employer_uscc", "统一社会信用代码", False, "选填，用人单位的18位统一社会信用代码；须已在系统中登记",
           "91330106MA2GXYW81C", ("用人单位统一社会信用代码", "单位统一社会信用代码", "信用代码"), width=20),
    Column("platform", "平台企业", False, "选填，新就业形态劳动者所在平台的名称或统一社会信用代码；须已登记为平台企业",
           "", ("所属平台", "平台", "平台企业名称"), width=16),
    Column("job_title", "岗位", False, "选填，最多50个字", "软件工程师", ("职务", "岗位/职务", "工种"), width=12),
    Column("front_line", "一线职工", False, "选填：是/否（在生产、服务一线岗位工作的职工）", "是",
           ("是否一线职工", "一线", "是否一线"), width=10),
    Column("employee_no", "工号", False, "选填，最多32个字符", "E0001", ("员工编号", "职工编号"), width=10),
    Column("joined_on", "入会日期", False, "选填，不填按导入当天；不能晚于今天", "2024-03-01", ("入会时间",), width=12),
    Column("contract_start", "劳动合同起始日期", False, "选填", "2023-01-01", ("合同起始日期", "合同开始日期"),
           width=14),
    Column("contract_end", "劳动合同终止日期", False, "选填；不能早于起始日期", "2026-12-31",
           ("合同终止日期", "合同结束日期", "合同到期日期"), width=14),
    Column("address", "现住址", False, "选填，最多255个字", "浙江省杭州市西湖区文三路1号", ("住址", "家庭住址", "居住地址"),
           width=28),
    Column("bank_name", "开户行", False, "选填，用于帮扶资金发放", "中国工商银行杭州分行", ("开户银行",), width=18),
    Column("bank_account", "银行账号", False, "选填，12到30位数字", "6222021202000000000", ("银行卡号", "账号"), width=22),
)

BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED_KEYS = tuple(c.key for c in COLUMNS if c.required)
# Rows whose name cell starts with this are the template's example and are skipped.
EXAMPLE_PREFIX = "示例"

_STRIP = re.compile(r"[\s\u3000*＊:：]|[（(](?:必填|选填|必须|可选)[)）]")


def normalize_header(raw) -> str:
    return _STRIP.sub("", str(raw or ""))


_HEADER_INDEX: dict[str, str] = {}
for _c in COLUMNS:
    for _h in (_c.label, *_c.aliases):
        _HEADER_INDEX[normalize_header(_h)] = _c.key


def match_header(raw) -> str | None:
    return _HEADER_INDEX.get(normalize_header(raw))


def _choices(enum, extra: dict[str, str]) -> dict[str, str]:
    out = {}
    for value, label in zip(enum.values, _zh_labels(enum)):
        out[value] = value
        out[label] = value
    out.update(extra)
    return out


EMPLOYMENT_FORMS = _choices(EmploymentForm, {
    "合同制": "contract", "劳动合同制": "contract", "派遣": "dispatch", "灵活用工": "flexible",
    "网约配送员": "rider", "外卖骑手": "rider", "骑手": "rider", "外卖员": "rider", "快递小哥": "courier",
    "网约车驾驶员": "ride_hailing", "货车驾驶员": "truck_driver", "卡车司机": "truck_driver",
})
EDUCATIONS = _choices(Education, {
    "小学": "primary", "文盲": "primary", "高中": "senior", "中专": "senior", "职高": "senior", "技校": "senior",
    "中技": "senior", "专科": "college", "高职": "college", "大学本科": "bachelor", "学士": "bachelor",
    "硕士": "postgrad", "博士": "postgrad", "硕士研究生": "postgrad", "博士研究生": "postgrad",
})
POLITICAL_STATUSES = _choices(PoliticalStatus, {
    "党员": "party_member", "共产党员": "party_member", "预备党员": "probationary", "团员": "league",
    "民主党派": "democratic", "无党派": "independent",
})
GENDERS = {"男": "M", "女": "F", "男性": "M", "女性": "F", "M": "M", "F": "F", "m": "M", "f": "F"}

_ETHNIC_GROUPS = ["汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺"]
ETHNICITIES = {**{g: g + "族" for g in _ETHNIC_GROUPS}, **{g + "族": g + "族" for g in _ETHNIC_GROUPS},
               "其他": "其他", "外国血统中国籍人士": "外国血统中国籍人士"}
