"""Row validation for roster imports. Pure Python over the cell values (no database access
here: the lookups it needs are loaded once into dictionaries), written for a hundred thousand
rows a second: one pass per row, local names, caches for values that repeat (dates, names'
characters, enumeration labels)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from operator import mul

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.core import idnumber, pinyin, uscc
from huigong.core import phone as phone_rules
from huigong.core.crypto import ID_TAIL, ID_TAIL_WIDTH, mask_bank, mask_phone
from huigong.orgs.models import EnterpriseKind

from .bulkcrypt import BlindIndexer
from .columns import (
    BY_KEY,
    EDUCATIONS,
    EMPLOYMENT_FORMS,
    ETHNICITIES,
    EXAMPLE_PREFIX,
    GENDERS,
    POLITICAL_STATUSES,
    REQUIRED_KEYS,
    match_header,
)

# Order of the values in a validated record; the writers map it onto Person columns.
RECORD_FIELDS = (
    "row_no", "name", "name_pinyin", "name_initials", "id_number", "id_number_hash", "id_number_mask", "id_tail_hash",
    "gender",
    "birth_date", "phone", "phone_hash", "phone_mask", "ethnicity", "education", "political_status",
    "employment_form", "employer_id", "platform_id", "job_title", "employee_no", "joined_on", "contract_start",
    "contract_end", "address", "bank_name", "bank_account", "bank_account_hash", "bank_account_mask", "front_line",
)
R = {name: i for i, name in enumerate(RECORD_FIELDS)}

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE8_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YM_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$|^(\d{4})(\d{2})$")
_FORMULA_REASON = gettext_lazy("单元格以“=”开头，疑似公式，已拒绝")
# Translated only when a row has the error (a gettext call per row costs ~3 µs each, twice a row).
_EDUCATION_BAD = gettext_lazy("学历填写不正确")
_POLITICAL_BAD = gettext_lazy("政治面貌填写不正确")


class CellError(ValueError):
    pass


_WEIGHT_OFFSET = 48 * sum(idnumber.WEIGHTS)


class _IdParser:
    """idnumber.parse with a fast path for valid numbers (the check digit over bytes, birth dates
    cached); anything else goes through idnumber.parse itself, so errors and edge cases are
    exactly the shared rule's."""

    def __init__(self, today: dt.date):
        self.today = today
        self.births: dict[str, dt.date | None] = {}

    def __call__(self, raw: str) -> idnumber.IdInfo:
        number = raw.strip().replace(" ", "").upper()
        if len(number) == 18 and number.isascii() and number[:17].isdigit():
            total = sum(map(mul, idnumber.WEIGHTS, number[:17].encode())) - _WEIGHT_OFFSET
            if idnumber.CHECK_CHARS[total % 11] == number[17]:
                key = number[6:14]
                birth = self.births.get(key, False)
                if birth is False:
                    try:
                        birth = dt.date(int(key[:4]), int(key[4:6]), int(key[6:]))
                    except ValueError:
                        birth = None
                    if birth is not None and (birth.year < 1900 or birth > self.today):
                        birth = None
                    self.births[key] = birth
                if birth is not None:
                    return idnumber.IdInfo(number=number, region_code=number[:6], birth_date=birth,
                                           gender="M" if (ord(number[16]) - 48) % 2 == 1 else "F")
        return idnumber.parse(raw)


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class Lookups:
    """Enterprises the actor may name in a roster, keyed the two ways a roster names them."""

    by_uscc: dict[str, tuple[int, str]] = field(default_factory=dict)  # code -> (id, kind)
    by_name: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    default_employer_id: int | None = None
    default_platform_id: int | None = None
    # Rosters name the same few units on every row: a code seen valid once is not re-validated.
    resolved: dict[str, tuple[int, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, actor, enterprise=None) -> Lookups:
        from huigong.orgs.selectors import enterprise_list_for_actor

        out = cls()
        for pk, code, name, kind in enterprise_list_for_actor(actor).values_list("id", "uscc", "name", "kind"):
            out.by_uscc[code] = (pk, kind)
            out.by_name.setdefault(name.strip(), []).append((pk, kind))
        if enterprise is not None:
            if enterprise.kind == EnterpriseKind.PLATFORM:
                out.default_platform_id = enterprise.pk
            else:
                out.default_employer_id = enterprise.pk
        return out


def display_value(key: str, raw) -> str:
    """The value as the error report shows it: personal numbers masked, everything short."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    elif isinstance(raw, dt.datetime):
        text = raw.strftime("%Y-%m-%d %H:%M")
    elif isinstance(raw, dt.date):
        text = raw.isoformat()
    else:
        text = str(raw).strip()
    if key == "id_number":
        return idnumber.mask(text) if len(text) >= 10 else "*" * len(text)
    if key == "phone":
        return mask_phone(text) if len(text) >= 7 else "*" * len(text)
    if key == "bank_account":
        return mask_bank(text) if len(text) >= 8 else "*" * len(text)
    return text[:100]


class RowValidator:
    """Built once per import from the header row; `validate(rows)` turns (row number, cells)
    pairs into records (tuples in RECORD_FIELDS order) and RowErrors."""

    def __init__(self, header: list, *, lookups: Lookups, today: dt.date, col_offset: int = 0,
                 formula_text: bool = False):
        # formula_text: refuse text cells that start with "=" (CSV; an .xlsx with real formula
        # cells is refused as a whole before its rows are read).
        self.formula_text = formula_text
        self.processed = 0  # data rows seen, set by the import as it goes
        self.note_rows: list[int] = []  # rows skipped as a form's notes or footer (see NOTE_LABELS)
        self.lookups = lookups
        self.today = today
        self.index: dict[str, int] = {}
        self.labels: dict[str, str] = {}
        problems = []
        for pos, raw in enumerate(header):
            key = match_header(raw)
            if key is None:
                continue
            if key in self.index:
                problems.append(_("“%(BY_KEY_label)s”列出现了两次") % {"BY_KEY_label": BY_KEY[key].label})
                continue
            self.index[key] = pos
            self.labels[key] = f"{BY_KEY[key].label}（{_col_letter(col_offset + pos)}列）"
        missing = [BY_KEY[k].label for k in REQUIRED_KEYS if k not in self.index]
        if missing:
            problems.append("缺少必填列：" + "、".join(missing) + " / required columns are missing: " + ", ".join(missing))
        self.problems = problems
        self.width = len(header)
        self._date_cache: dict[str, dt.date] = {}
        self._id_hash = BlindIndexer("id")
        self._id_tail = BlindIndexer("id_tail")
        self._phone_hash = BlindIndexer("phone")
        self._bank_hash = BlindIndexer("bank")
        self._today_ord = today.toordinal()

    # -- cells

    def _label(self, key: str) -> str:
        return self.labels.get(key) or BY_KEY[key].label

    def _date(self, v, *, partial: bool = False):
        """date, or (year, month) when partial and the cell only has those; CellError otherwise."""
        t = type(v)
        if t is dt.date:
            d = v
        elif t is dt.datetime:
            d = v.date()
        elif t is str:
            s = v.strip()
            d = self._date_cache.get(s)
            if d is None:
                d = self._parse_date_text(s, partial)
                if type(d) is dt.date:
                    self._date_cache[s] = d
        elif t is float or t is int:
            if not 1 <= v < 2958466:
                raise CellError(_("日期数值超出范围"))
            d = _EXCEL_EPOCH + dt.timedelta(days=int(v))
        else:
            raise CellError("应为日期，实际是" + _type_name(v) + " / a date is expected here")
        if type(d) is dt.date and not 1900 <= d.year <= 2100:
            raise CellError(_("日期年份应在1900到2100之间"))
        return d

    @staticmethod
    def _parse_date_text(s: str, partial: bool):
        m = _DATE_RE.match(s) or _DATE8_RE.match(s)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise CellError(_("日期不存在")) from None
        if partial:
            m = _YM_RE.match(s)
            if m:
                year, month = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
                if 1 <= int(month) <= 12:
                    return (int(year), int(month))
        raise CellError("日期格式不正确，应为 2024-03-01、2024/3/1 或 2024年3月1日 / "
                        "the date format is not recognised (use 2024-03-01, 2024/3/1 or 2024年3月1日)")

    # -- rows

    def validate(self, rows: list[tuple[int, list]]) -> tuple[list[tuple], list[RowError]]:
        records: list[tuple] = []
        errors: list[RowError] = []
        ix = self.index
        get = ix.get
        c_name, c_id = ix["name"], ix["id_number"]
        c_form = ix["employment_form"]
        c_gender, c_birth, c_eth, c_phone = get("gender"), get("birth_date"), get("ethnicity"), get("phone")
        c_edu, c_pol = get("education"), get("political_status")
        c_emp, c_emp_code, c_plat = get("employer"), get("employer_uscc"), get("platform")
        c_join = get("joined_on")
        c_cs, c_ce = get("contract_start"), get("contract_end")
        c_bank = get("bank_account")
        c_front = get("front_line")
        optional_text = [(k, get(k), n) for k, n in (("job_title", 50), ("employee_no", 32), ("address", 255),
                                                        ("bank_name", 100)) if get(k) is not None]
        width = self.width
        today = self.today
        id_hash, phone_hash, bank_hash = self._id_hash, self._phone_hash, self._bank_hash
        id_tail, tail_len, tail_width = self._id_tail, -ID_TAIL, ID_TAIL_WIDTH
        pinyin_keys = pinyin.keys
        id_parse = _IdParser(today)
        formula_text = self.formula_text
        id_mask = idnumber.mask
        lookups = self.lookups
        label = self._label

        for row_no, cells in rows:
            if len(cells) < width:
                cells = list(cells) + [""] * (width - len(cells))
            # Blank rows are skipped; so is the template's example row.
            name_raw = cells[c_name]
            if (name_raw is None or (type(name_raw) is str and not name_raw.strip())) and \
                    all(c is None or (type(c) is str and not c.strip()) for c in cells):
                continue
            if type(name_raw) is str and name_raw.strip().startswith(EXAMPLE_PREFIX):
                continue
            raw_id = cells[c_id]
            info = id_error = None
            if type(raw_id) is str and raw_id.strip():
                try:
                    info = id_parse(raw_id)
                except idnumber.IdNumberError as e:
                    id_error = e
            # A row with a valid ID number is never a note (_is_note_row): only the others are looked at.
            if info is None and _is_note_row(cells, c_id):
                self.note_rows.append(row_no)
                continue
            errs: list[RowError] = []

            def err(key: str, raw, reason: str, _row=row_no, _errs=errs) -> None:
                _errs.append(RowError(_row, label(key), display_value(key, raw), reason))

            if formula_text:
                for pos, v in enumerate(cells):
                    if type(v) is str and v[:1] == "=":
                        key = next((k for k, p in ix.items() if p == pos), None)
                        errs.append(RowError(row_no, label(key) if key else _col_letter(pos),
                                             display_value(key, v) if key else v[:100], str(_FORMULA_REASON)))
                if errs:
                    errors.extend(errs)
                    continue

            name = _text(name_raw)
            if not name:
                err("name", name_raw, _("姓名不能为空"))
            elif len(name) > 50:
                err("name", name_raw, _("姓名超过50个字"))

            if type(raw_id) is not str:
                if raw_id is None or raw_id == "":
                    err("id_number", raw_id, _("身份证号不能为空"))
                else:
                    err("id_number", raw_id, _("身份证号被存成了数字，末几位已丢失。请把该列设为“文本”格式后重新填写"))
            elif not raw_id.strip():
                err("id_number", raw_id, _("身份证号不能为空"))
            elif id_error is not None:
                err("id_number", raw_id, str(id_error))

            gender = birth = None
            if info is not None:
                gender, birth = info.gender, info.birth_date
                if c_gender is not None:
                    g_raw = cells[c_gender]
                    g = _text(g_raw)
                    if g:
                        g_val = GENDERS.get(g)
                        if g_val is None:
                            err("gender", g_raw, "性别应填“男”或“女” / gender must be 男 or 女")
                        elif g_val != gender:
                            err("gender", g_raw, _("性别与身份证号不一致"))
                if c_birth is not None:
                    b_raw = cells[c_birth]
                    if b_raw not in ("", None):
                        try:
                            b = self._date(b_raw, partial=True)
                        except CellError as e:
                            err("birth_date", b_raw, str(e))
                        else:
                            same = (b == birth) if type(b) is dt.date else (b == (birth.year, birth.month))
                            if not same:
                                err("birth_date", b_raw, _("出生日期与身份证号不一致"))

            ethnicity = ""
            if c_eth is not None:
                e_raw = cells[c_eth]
                e = _text(e_raw)
                if e:
                    ethnicity = ETHNICITIES.get(e, "")
                    if not ethnicity:
                        err("ethnicity", e_raw, _("民族名称不正确"))

            phone = ""
            if c_phone is not None:
                p_raw = cells[c_phone]
                if p_raw not in ("", None):
                    p = phone_rules.normalize(_text(p_raw))
                    if p and not phone_rules.is_valid(p):
                        err("phone", p_raw, _("手机号格式不正确，应为11位手机号"))
                    elif p:
                        phone = p

            education = _enum(cells, c_edu, EDUCATIONS, "education", err, _EDUCATION_BAD)
            political = _enum(cells, c_pol, POLITICAL_STATUSES, "political_status", err, _POLITICAL_BAD)
            front = _yes_no(cells, c_front, "front_line", err) if c_front is not None else None
            f_raw = cells[c_form]
            f = _text(f_raw)
            form = EMPLOYMENT_FORMS.get(f) if f else None
            if not f:
                err("employment_form", f_raw, _("用工形式不能为空"))
            elif form is None:
                err("employment_form", f_raw, _("用工形式填写不正确，可选：劳动合同、劳务派遣、灵活就业、网约配送员/外卖骑手、快递员、网约车司机、货车司机、其他"))

            employer_id = _employer(cells, c_emp, c_emp_code, lookups, err)
            platform_id = _platform(cells, c_plat, lookups, err)
            if employer_id is None and platform_id is None:
                employer_id, platform_id = lookups.default_employer_id, lookups.default_platform_id

            texts = {}
            for key, pos, limit in optional_text:
                t_raw = cells[pos]
                t = _text(t_raw)
                if len(t) > limit:
                    err(key, t_raw, _("超过%(limit)s个字") % {"limit": limit})
                texts[key] = t

            joined = today
            if c_join is not None:
                j_raw = cells[c_join]
                if j_raw not in ("", None):
                    try:
                        joined = self._date(j_raw)
                    except CellError as e:
                        err("joined_on", j_raw, str(e))
                    else:
                        if joined.toordinal() > self._today_ord:
                            err("joined_on", j_raw, _("入会日期不能晚于今天"))
                        elif birth is not None and joined < birth:
                            err("joined_on", j_raw, _("入会日期早于出生日期"))
            c_start = c_end = None
            if c_cs is not None:
                s_raw = cells[c_cs]
                if s_raw not in ("", None):
                    try:
                        c_start = self._date(s_raw)
                    except CellError as e:
                        err("contract_start", s_raw, str(e))
            if c_ce is not None:
                e_raw = cells[c_ce]
                if e_raw not in ("", None):
                    try:
                        c_end = self._date(e_raw)
                    except CellError as e:
                        err("contract_end", e_raw, str(e))
                    else:
                        if c_start is not None and c_end < c_start:
                            err("contract_end", e_raw, _("劳动合同终止日期早于起始日期"))

            bank = ""
            if c_bank is not None:
                k_raw = cells[c_bank]
                if type(k_raw) is str:
                    bank = unicodedata.normalize("NFKC", k_raw).replace(" ", "").strip()
                    if bank and not (bank.isdigit() and bank.isascii() and 12 <= len(bank) <= 30):
                        err("bank_account", k_raw, _("银行账号应为12到30位数字"))
                elif k_raw is not None:
                    err("bank_account", k_raw, _("银行账号被存成了数字，可能已丢失位数。请把该列设为“文本”格式"))

            if errs:
                errors.extend(errs)
                continue
            py, initials = pinyin_keys(name)
            number = info.number
            records.append((
                row_no, name, py[:120], initials[:20], number, id_hash(number), id_mask(number),
                id_tail(number[tail_len:])[:tail_width], gender, birth,
                phone, phone_hash(phone) if phone else "", mask_phone(phone), ethnicity, education, political,
                form, employer_id, platform_id, texts.get("job_title", ""), texts.get("employee_no", ""), joined,
                c_start, c_end, texts.get("address", ""), texts.get("bank_name", ""), bank,
                bank_hash(bank) if bank else "", mask_bank(bank), front,
            ))
        return records, errors


# A real form's notes and footer ("填表人：张三  联系电话：…", "备注：…", "合计") are not people: a row whose
# first filled cell starts with one of these labels and whose ID cell holds no ID number is skipped,
# and the import says which rows it skipped.
NOTE_LABELS = ("填表人", "填报人", "制表人", "制表", "审核人", "审核", "负责人", "联系人", "联系电话", "填表日期",
               "填报日期", "制表日期", "备注", "说明", "注：", "注:", "合计", "总计", "单位（盖章）", "单位(盖章)",
               "单位盖章", "盖章")


def _is_note_row(cells, c_id: int) -> bool:
    first = next((c for c in cells if c is not None and not (type(c) is str and not c.strip())), None)
    if type(first) is not str:
        return False
    head = unicodedata.normalize("NFKC", first).strip()
    if not head.startswith(NOTE_LABELS):
        return False
    raw_id = cells[c_id] if c_id < len(cells) else None
    if raw_id is None or (type(raw_id) is str and not raw_id.strip()):
        return True
    # The label may spill into the ID column ("填表人：张三  联系电话：…" across merged cells).
    return not idnumber.is_valid(str(raw_id))


def _text(v) -> str:
    t = type(v)
    if t is str:
        return v.strip()
    if v is None:
        return ""
    if t is float:
        return str(int(v)) if v.is_integer() else repr(v)
    if t is bool:
        return "是" if v else "否"
    if t is dt.datetime:
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return str(v).strip()


def _type_name(v) -> str:
    if isinstance(v, bool):
        return "逻辑值"
    if isinstance(v, dt.time):
        return "时间"
    if isinstance(v, dt.timedelta):
        return "时长"
    if isinstance(v, (int, float)):
        return "数字"
    return "其他类型"


_YES = {"是", "Y", "YES", "1", "TRUE", "√", "✓"}
_NO = {"否", "N", "NO", "0", "FALSE", "×"}


def _yes_no(cells, pos, key, err):
    """是/否 (and Y/N, 1/0): True, False; a blank cell None (not recorded: an update keeps the value)."""
    raw = cells[pos]
    if raw is True or raw is False:
        return raw
    t = _text(raw).upper()
    if not t:
        return None
    if t in _YES:
        return True
    if t in _NO:
        return False
    err(key, raw, _("应填“是”或“否”"))
    return None


def _enum(cells, pos, choices, key, err, reason):
    if pos is None:
        return ""
    raw = cells[pos]
    t = _text(raw)
    if not t:
        return ""
    value = choices.get(t)
    if value is None:
        err(key, raw, str(reason))
        return ""
    return value


def _resolve_code(code: str, lookups: Lookups, key: str, raw, err):
    hit = lookups.resolved.get(code)
    if hit is not None:
        return hit
    as_written = code
    try:
        code = uscc.validate(code)
    except uscc.UsccError as e:
        err(key, raw, str(e))
        return None
    hit = lookups.by_uscc.get(code)
    if hit is None:
        err(key, raw, _("在您管辖的单位中找不到该统一社会信用代码，请先登记单位"))
    else:
        lookups.resolved[as_written] = hit
    return hit


def _resolve_name(name: str, lookups: Lookups, key: str, raw, err):
    hits = lookups.by_name.get(name)
    if not hits:
        err(key, raw, _("在您管辖的单位中找不到该名称的单位，请填写统一社会信用代码或先登记单位"))
        return None
    if len(hits) > 1:
        err(key, raw, _("有多个同名单位，请填写统一社会信用代码"))
        return None
    return hits[0]


def _employer(cells, c_name, c_code, lookups: Lookups, err) -> int | None:
    if c_code is not None:
        raw = cells[c_code]
        code = _text(raw)
        if code:
            hit = _resolve_code(code, lookups, "employer_uscc", raw, err)
            return hit[0] if hit else None
    if c_name is not None:
        raw = cells[c_name]
        name = _text(raw)
        if name:
            hit = _resolve_name(name, lookups, "employer", raw, err)
            return hit[0] if hit else None
    return None


def _platform(cells, c_plat, lookups: Lookups, err) -> int | None:
    if c_plat is None:
        return None
    raw = cells[c_plat]
    value = _text(raw)
    if not value:
        return None
    looks_like_code = len(value) == 18 and value.isalnum() and value.isascii()
    hit = (_resolve_code(value, lookups, "platform", raw, err) if looks_like_code
           else _resolve_name(value, lookups, "platform", raw, err))
    if hit is None:
        return None
    if hit[1] != EnterpriseKind.PLATFORM:
        err("platform", raw, _("该单位不是平台企业"))
        return None
    return hit[0]


def _col_letter(pos: int) -> str:
    out = ""
    n = pos + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out
