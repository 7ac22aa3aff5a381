"""Eligibility as data, and the automatic first check (系统初审) against the member register.

A round's `rules` is a dict; every key present is a rule (absent: not required):

| key | value | the applicant must … |
| --- | --- | --- |
| (always) | | be an active member (在会) of a union in the round's subtree |
| `member_months` | N | have joined the union at least N months before the check |
| `contract_years` | N | work under a labour contract that started at least N years before and has not ended |
| `forms` | ["contract", "rider", …] | be employed in one of these forms (front-line workers) |
| `min_age` / `max_age` | N | be at least / at most N years old on the day of the check |
| `employer_union` | true | work for an employer or platform registered with a union |
| `once_per_level` | true | not hold another grant at the same degree level (an earlier round) |

The check is one UPDATE … FROM over a round's submitted applications (or one of them): each rule compiles
to a `CASE WHEN <fails> THEN '<code>,' ELSE '' END` over the applicant's person, active membership, union
and employer (joined in the FROM clause), concatenated into `check_failures`; every date limit is computed here and passed as a
parameter, so the statement is the same on PostgreSQL and SQLite. The bench (bench/education.py)
times it against one hand-written statement doing the same selection."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huigong.members.models import EmploymentForm

RULE_LABELS = {
    "member": _("不是在会会员"),
    "subtree": _("会籍不在本项目的工会范围内"),
    "member_months": _("入会时间不足 %(n)s 个月"),
    "contract_years": _("劳动合同履行不满 %(n)s 年"),
    "forms": _("用工形式不在本项目范围内"),
    "min_age": _("年龄不满 %(n)s 周岁"),
    "max_age": _("年龄超过 %(n)s 周岁"),
    "employer_union": _("所在单位未建立工会"),
    "once_per_level": _("已在往期获得同一学历层次的资助"),
}

REQUIREMENTS = {
    "member_months": _("入会满 %(n)s 个月"),
    "contract_years": _("劳动合同履行满 %(n)s 年"),
    "forms": _("一线职工（限定的用工形式）"),
    "min_age": _("年满 %(n)s 周岁"),
    "max_age": _("不超过 %(n)s 周岁"),
    "employer_union": _("所在单位已建立工会"),
    "once_per_level": _("同一学历层次未获得过资助"),
}

RULE_KEYS = ("member_months", "contract_years", "forms", "min_age", "max_age", "employer_union", "once_per_level")


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(y, m + 1, d)
        except ValueError:
            continue
    raise ValueError(day)


def validate_rules(rules: dict) -> dict:
    """The rules cleaned, or ValueError naming the key. Unknown keys are refused (a typo would
    silently drop a rule)."""
    out = {}
    for key, value in (rules or {}).items():
        if key not in RULE_KEYS:
            raise ValueError(key)
        if key in ("member_months", "contract_years", "min_age", "max_age"):
            if value in (None, ""):
                continue
            value = int(value)
            if value < 0 or value > 600:
                raise ValueError(key)
        elif key == "forms":
            value = [str(v) for v in value or []]
            if not value:
                continue
            if any(v not in EmploymentForm.values for v in value):
                raise ValueError(key)
        else:
            value = bool(value)
            if not value:
                continue
        out[key] = value
    return out


def reasons(programme, failures: str) -> list[str]:
    """The failed rules of an application, in the user's language."""
    rules = programme.rules or {}
    out = []
    for code in [c for c in (failures or "").split(",") if c]:
        label = RULE_LABELS.get(code)
        if label is None:
            continue
        out.append(str(label) % {"n": rules.get(code, "")} if "%(n)s" in str(label) else str(label))
    return out


def requirements(programme) -> list[str]:
    """What the round asks, in the user's language (shown before applying)."""
    rules = programme.rules or {}
    out = [str(_("本项目范围内工会的在会会员"))]
    for key in RULE_KEYS:
        if key in rules:
            label = str(REQUIREMENTS[key])
            out.append(label % {"n": rules[key]} if "%(n)s" in label else label)
    return out


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def check_sql(programme, today: dt.date) -> tuple[str, str, list]:
    """The expression giving the failed rule codes of an applicant `a` (over `p`, its person, `m`, the
    active membership, `u`, its union, `e`, the employer), the FROM clause joining them, and the
    expression's parameters."""
    from huigong.members.models import Membership, Person
    from huigong.orgs.models import Enterprise, UnionNode

    from .models import GRANTED_APPLICATION, Application

    rules = programme.rules or {}
    A = _q(Application._meta.db_table)
    parts = ["CASE WHEN m.id IS NULL THEN 'member,' ELSE '' END",
             "CASE WHEN m.id IS NOT NULL AND u.path NOT LIKE %s THEN 'subtree,' ELSE '' END"]
    params: list = [programme.node_path + "%"]
    if "member_months" in rules:
        parts.append("CASE WHEN m.id IS NOT NULL AND m.joined_on > %s THEN 'member_months,' ELSE '' END")
        params.append(_months_before(today, int(rules["member_months"])))
    if "contract_years" in rules:
        parts.append("CASE WHEN p.contract_start IS NULL OR p.contract_start > %s OR "
                     "(p.contract_end IS NOT NULL AND p.contract_end < %s) THEN 'contract_years,' ELSE '' END")
        params += [_years_before(today, int(rules["contract_years"])), today]
    if rules.get("forms"):
        marks = ", ".join(["%s"] * len(rules["forms"]))
        parts.append(f"CASE WHEN p.employment_form NOT IN ({marks}) THEN 'forms,' ELSE '' END")
        params += list(rules["forms"])
    if "min_age" in rules:
        parts.append("CASE WHEN p.birth_date > %s THEN 'min_age,' ELSE '' END")
        params.append(_years_before(today, int(rules["min_age"])))
    if "max_age" in rules:
        # Older than max_age: born on or before the day max_age + 1 years ago.
        parts.append("CASE WHEN p.birth_date <= %s THEN 'max_age,' ELSE '' END")
        params.append(_years_before(today, int(rules["max_age"]) + 1))
    if rules.get("employer_union"):
        parts.append("CASE WHEN e.id IS NULL OR e.union_id IS NULL THEN 'employer_union,' ELSE '' END")
    if rules.get("once_per_level"):
        marks = ", ".join(["%s"] * len(GRANTED_APPLICATION))
        parts.append(f"CASE WHEN EXISTS (SELECT 1 FROM {A} o WHERE o.person_id = p.id AND o.level = a.level "
                     f"AND o.programme_id <> a.programme_id AND o.status IN ({marks})) "
                     "THEN 'once_per_level,' ELSE '' END")
        params += [str(s) for s in GRANTED_APPLICATION]
    joins = (f"{_q(Person._meta.db_table)} p "
             f"LEFT JOIN {_q(Membership._meta.db_table)} m ON m.person_id = p.id AND m.status = 'active' "
             f"LEFT JOIN {_q(UnionNode._meta.db_table)} u ON u.id = m.union_id "
             f"LEFT JOIN {_q(Enterprise._meta.db_table)} e ON e.id = COALESCE(p.employer_id, p.platform_id)")
    return " || ".join(parts), joins, params


PREVIEW_ONCE = _("未在往期获得过资助（预览按任一学历层次计）")


def preview(programme, rules: dict, today: dt.date) -> dict:
    """The editor's live preview: of the active members in the round's subtree, how many pass each rule
    of `rules` (cleaned) and how many pass them all, in one statement. `once_per_level` is counted
    against a grant at any level (the level is the applicant's major, unknown before applying)."""
    from huigong.members.models import Membership, Person
    from huigong.orgs.models import Enterprise, UnionNode

    from .models import GRANTED_APPLICATION, Application

    conds: list[tuple[str, str, list]] = []
    if "member_months" in rules:
        conds.append(("member_months", "m.joined_on > %s", [_months_before(today, int(rules["member_months"]))]))
    if "contract_years" in rules:
        conds.append(("contract_years", "(p.contract_start IS NULL OR p.contract_start > %s OR "
                      "(p.contract_end IS NOT NULL AND p.contract_end < %s))",
                      [_years_before(today, int(rules["contract_years"])), today]))
    if rules.get("forms"):
        marks = ", ".join(["%s"] * len(rules["forms"]))
        conds.append(("forms", f"(p.employment_form IS NULL OR p.employment_form NOT IN ({marks}))",
                      list(rules["forms"])))
    if "min_age" in rules:
        conds.append(("min_age", "(p.birth_date IS NULL OR p.birth_date > %s)",
                      [_years_before(today, int(rules["min_age"]))]))
    if "max_age" in rules:
        conds.append(("max_age", "(p.birth_date IS NULL OR p.birth_date <= %s)",
                      [_years_before(today, int(rules["max_age"]) + 1)]))
    if rules.get("employer_union"):
        conds.append(("employer_union", "(e.id IS NULL OR e.union_id IS NULL)", []))
    if rules.get("once_per_level"):
        marks = ", ".join(["%s"] * len(GRANTED_APPLICATION))
        conds.append(("once_per_level", f"EXISTS (SELECT 1 FROM {_q(Application._meta.db_table)} o "
                      f"WHERE o.person_id = p.id AND o.programme_id <> %s AND o.status IN ({marks}))",
                      [programme.pk or 0, *[str(x) for x in GRANTED_APPLICATION]]))
    cols, params = ["COUNT(*)"], []
    for _code, cond, cp in conds:
        cols.append(f"SUM(CASE WHEN {cond} THEN 0 ELSE 1 END)")
        params += cp
    if conds:
        cols.append("SUM(CASE WHEN " + " OR ".join(f"({c})" for _k, c, _p in conds) + " THEN 0 ELSE 1 END)")
        for _code, _cond, cp in conds:
            params += cp
    sql = (f"SELECT {', '.join(cols)} FROM {_q(Membership._meta.db_table)} m "
           f"JOIN {_q(Person._meta.db_table)} p ON p.id = m.person_id "
           f"JOIN {_q(UnionNode._meta.db_table)} u ON u.id = m.union_id "
           f"LEFT JOIN {_q(Enterprise._meta.db_table)} e ON e.id = COALESCE(p.employer_id, p.platform_id) "
           "WHERE m.status = 'active' AND u.path LIKE %s")
    with connection.cursor() as cur:
        cur.execute(sql, [*params, programme.node_path + "%"])
        row = cur.fetchone()
    members = int(row[0] or 0)
    out = {"members": members, "rules": [], "all": int(row[-1] or 0) if conds else members}
    for n, (code, _cond, _cp) in enumerate(conds, 1):
        label = PREVIEW_ONCE if code == "once_per_level" else REQUIREMENTS[code]
        label = str(label)
        out["rules"].append({"code": code, "label": label % {"n": rules[code]} if "%(n)s" in label else label,
                             "passing": int(row[n] or 0)})
    return out


def run_check(programme, *, ids: list[int] | None = None, today: dt.date | None = None, now=None) -> int:
    """The first check, set-based: writes check_failures and checked_at on the round's SUBMITTED
    applications (or those of `ids`). Returns the number checked. The caller moves them on."""
    from . import clock
    from .models import Application, ApplicationStatus

    today = today or clock.today()
    now = now or timezone.now()
    expr, joins, params = check_sql(programme, today)
    A = _q(Application._meta.db_table)
    # One UPDATE … FROM: the applicant joined to the register (PostgreSQL; SQLite 3.33+).
    sql = (f"UPDATE {A} AS a SET check_failures = {expr}, checked_at = %s FROM {joins} "
           "WHERE p.id = a.person_id AND a.programme_id = %s AND a.status = %s")
    # The ORM's own representation of `now`, so that the caller finds these rows by checked_at = now.
    args = [*params, connection.ops.adapt_datetimefield_value(now), programme.pk, ApplicationStatus.SUBMITTED.value]
    if ids is not None:
        if not ids:
            return 0
        sql += f" AND a.id IN ({', '.join(['%s'] * len(ids))})"
        args += list(ids)
    with connection.cursor() as cur:
        cur.execute(sql, args)
        return cur.rowcount
