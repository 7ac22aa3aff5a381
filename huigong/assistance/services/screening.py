"""Screening rules, sweeps (拉网式摸底排查), visits and the rule pass.

The rules (one place, mirrored by `classify` in Python and by the SQL of `sweep_rules_apply`):
with size = household size, income = household monthly income, disposable = income - rigid expenses,
line = the 低保 line per person per month, m = the relative multiple,

- DEEP (深度困难):    income < line × size                      (per-capita income below the line)
- SUDDEN (意外致困):  not DEEP, a sudden cause (illness, disaster, job loss, work injury) and
                       disposable < line × size                  (expenses push them under the line)
- RELATIVE (相对困难): neither, and income < line × m × size or disposable < line × m × size
- otherwise not a candidate.

Comparisons are done on whole totals (never on a rounded per-capita figure) so that a household exactly
on the line is never flagged and the result does not depend on rounding; m is held in hundredths.
`per_capita_fen` is disposable / size truncated toward zero (as integer division does in both databases).
The rule that applies to a node is the nearest ancestor-or-self's rule with the latest effective_from
not after the evaluation day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core.audit import audit, snapshot
from huigong.core.scope import ensure_path_in_scope, require
from huigong.members.models import Membership, MembershipStatus, Person
from huigong.orgs.models import MEMBERSHIP_LEVELS, UnionNode

from ..models import HardshipLevel, ScreeningRule, Sweep, SweepAssignment, SweepStatus, SweepVisit

RULE_FIELDS = ["dibao_fen", "relative_multiple", "effective_from", "note"]
VISIT_FACTS = ("household_size", "monthly_income_fen", "rigid_expense_fen", "has_illness", "has_disability",
               "children_in_school", "has_disaster", "has_job_loss", "has_work_injury")
MAX_HOUSEHOLD = 30
MAX_MONTHLY_FEN = 100_000_000  # one million yuan a month: anything above is a typing error


# --- the rules -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Facts:
    household_size: int
    monthly_income_fen: int
    rigid_expense_fen: int = 0
    sudden: bool = False


def multiple_hundredths(multiple) -> int:
    return int((Decimal(str(multiple)) * 100).to_integral_value())


def classify(facts: Facts, *, dibao_fen: int, multiple) -> str:
    """The level the figures give ("" = not a candidate). Same rules as the SQL rule pass."""
    size, income = facts.household_size, facts.monthly_income_fen
    disposable = income - facts.rigid_expense_fen
    m100 = multiple_hundredths(multiple)
    line = dibao_fen * size
    if income < line:
        return HardshipLevel.DEEP
    if facts.sudden and disposable < line:
        return HardshipLevel.SUDDEN
    if income * 100 < line * m100 or disposable * 100 < line * m100:
        return HardshipLevel.RELATIVE
    return ""


def per_capita_disposable(facts: Facts) -> int:
    value = facts.monthly_income_fen - facts.rigid_expense_fen
    q = abs(value) // facts.household_size
    return q if value >= 0 else -q


def rule_for_path(path: str, on: dt.date | None = None) -> ScreeningRule | None:
    """The nearest ancestor-or-self's rule in force on `on` (today by default)."""
    on = on or timezone.localdate()
    prefixes = [path[:i] for i in range(4, len(path) + 1, 4)]
    return (ScreeningRule.objects.filter(node_path__in=prefixes, effective_from__lte=on)
            .order_by("-node_path", "-effective_from").first())


# --- rule CRUD ---------------------------------------------------------------------------------------------

def _clean_rule(dibao_fen, relative_multiple) -> tuple[int, Decimal]:
    errors = {}
    try:
        dibao_fen = int(dibao_fen)
        if not 0 < dibao_fen <= 10_000_00:
            raise ValueError
    except (TypeError, ValueError):
        errors["dibao_fen"] = ["低保标准应为大于0且不超过10000元的金额 / the 低保 line must be above 0 and at most 10,000 yuan"]
    try:
        relative_multiple = Decimal(str(relative_multiple)).quantize(Decimal("0.01"))
        if not Decimal(1) <= relative_multiple <= Decimal(5):
            raise ValueError
    except (ArithmeticError, TypeError, ValueError):
        errors["relative_multiple"] = [_("相对困难倍数应在1到5之间")]
    if errors:
        raise ValidationError(errors)
    return dibao_fen, relative_multiple


@transaction.atomic
def screening_rule_create(*, actor, node: UnionNode, dibao_fen: int, relative_multiple=Decimal("1.5"),
                          effective_from: dt.date, note: str = "") -> ScreeningRule:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, node.path)
    dibao_fen, relative_multiple = _clean_rule(dibao_fen, relative_multiple)
    try:
        with transaction.atomic():
            rule = ScreeningRule.objects.create(node=node, node_path=node.path, dibao_fen=dibao_fen,
                                                relative_multiple=relative_multiple, effective_from=effective_from,
                                                note=note.strip()[:255], created_by=actor)
    except IntegrityError:
        raise ValidationError({"effective_from": [
            _("该工会在此日期已有排查标准，请修改原标准")]}) from None
    audit(actor=actor, verb="screening_rule.create", obj=rule, node_path=node.path, new=snapshot(rule, RULE_FIELDS))
    return rule


@transaction.atomic
def screening_rule_update(*, actor, rule: ScreeningRule, dibao_fen: int, relative_multiple, note: str = ""
                          ) -> ScreeningRule:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, rule.node_path)
    rule = ScreeningRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule, RULE_FIELDS)
    rule.dibao_fen, rule.relative_multiple = _clean_rule(dibao_fen, relative_multiple)
    rule.note = note.strip()[:255]
    rule.save(update_fields=["dibao_fen", "relative_multiple", "note"])
    audit(actor=actor, verb="screening_rule.update", obj=rule, node_path=rule.node_path, old=before,
          new=snapshot(rule, RULE_FIELDS))
    return rule


@transaction.atomic
def screening_rule_delete(*, actor, rule: ScreeningRule) -> None:
    """Visits flagged by it keep their level (flagged_rule becomes empty) until the next rule pass."""
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, rule.node_path)
    audit(actor=actor, verb="screening_rule.delete", obj=rule, node_path=rule.node_path,
          old=snapshot(rule, RULE_FIELDS))
    rule.delete()


# --- sweeps ------------------------------------------------------------------------------------------------

@transaction.atomic
def sweep_open(*, actor, node: UnionNode, title: str, year: int, deadline: dt.date) -> Sweep:
    """Opens a sweep over `node`'s subtree and assigns it to every member-holding union in it, with its
    count of active members: two statements whatever the size of the subtree."""
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, node.path)
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("请填写排查名称")]
    if not (2000 <= int(year or 0) <= 2100):
        errors["year"] = [_("年度无效")]
    if deadline is None or deadline < timezone.localdate():
        errors["deadline"] = [_("截止日期不能早于今天")]
    if errors:
        raise ValidationError(errors)
    sweep = Sweep.objects.create(node=node, node_path=node.path, title=title[:120], year=year, deadline=deadline,
                                 opened_by=actor)
    unions = (UnionNode.objects.filter(path__startswith=node.path, level__in=list(MEMBERSHIP_LEVELS))
              .annotate(total=Count("memberships", filter=Q(memberships__status=MembershipStatus.ACTIVE)))
              .values_list("pk", "path", "total"))
    SweepAssignment.objects.bulk_create(
        [SweepAssignment(sweep=sweep, node_id=pk, node_path=path, member_total=total) for pk, path, total in unions],
        batch_size=2000)
    audit(actor=actor, verb="sweep.open", obj=sweep, node_path=node.path,
          new={"title": sweep.title, "year": year, "deadline": deadline,
               "assignments": sweep.assignments.count()})
    return sweep


def _open_sweep_locked(sweep: Sweep) -> Sweep:
    sweep = Sweep.objects.select_for_update().get(pk=sweep.pk)
    if sweep.status != SweepStatus.OPEN:
        raise ValidationError({"sweep": [_("该排查已结束")]})
    return sweep


def _clean_facts(facts: dict) -> dict:
    errors: dict[str, list[str]] = {}
    out = {}
    size = facts.get("household_size")
    try:
        size = int(size)
        if not 1 <= size <= MAX_HOUSEHOLD:
            raise ValueError
        out["household_size"] = size
    except (TypeError, ValueError):
        errors["household_size"] = [_("家庭人口应为1到%(MAX_HOUSEHOLD)s人") % {"MAX_HOUSEHOLD": MAX_HOUSEHOLD}]
    for f, label in (("monthly_income_fen", _("家庭月收入")),
                     ("rigid_expense_fen", _("刚性支出"))):
        v = facts.get(f, 0)
        try:
            v = int(v or 0)
            if not 0 <= v <= MAX_MONTHLY_FEN:
                raise ValueError
            out[f] = v
        except (TypeError, ValueError):
            errors[f] = [_("%(label)s：应为0到100万元之间的金额") % {"label": label}]
    children = facts.get("children_in_school", 0)
    try:
        children = int(children or 0)
        if not 0 <= children <= MAX_HOUSEHOLD or ("household_size" in out and children >= out["household_size"]):
            raise ValueError
        out["children_in_school"] = children
    except (TypeError, ValueError):
        errors["children_in_school"] = [_("在学子女人数应少于家庭人口")]
    for f in ("has_illness", "has_disability", "has_disaster", "has_job_loss", "has_work_injury"):
        out[f] = bool(facts.get(f, False))
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def sweep_visit_record(*, actor, sweep: Sweep, person: Person, visited_on: dt.date | None = None,
                       note: str = "", details: dict | None = None, **facts) -> SweepVisit:
    """Records (or corrects) one member's visit. The member must be an active member of a union the sweep
    was assigned to, inside the actor's subtree; the assignment's visited_count goes up once per member."""
    require(actor, Cap.ASSIST)  # a grassroots union records visits of a sweep opened above it: its members' scope is checked
    unknown = set(facts) - set(VISIT_FACTS)
    if unknown:
        raise ValidationError({f: [_("未知字段")] for f in unknown})
    data = _clean_facts(facts)
    visited_on = visited_on or timezone.localdate()
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": [_("走访日期不能晚于今天")]})
    sweep = _open_sweep_locked(sweep)
    membership = (Membership.objects.select_related("union")
                  .filter(person=person, status=MembershipStatus.ACTIVE).first())
    if membership is None or not membership.union.path.startswith(sweep.node_path):
        raise ValidationError({"person": [(_("该职工不是本次排查范围内的在会会员"))]})
    ensure_path_in_scope(actor, membership.union.path)
    assignment = SweepAssignment.objects.filter(sweep=sweep, node=membership.union).first()
    if assignment is None:
        raise ValidationError({"person": [(_("该职工所在工会未分配本次排查"))]})
    values = dict(data, visited_on=visited_on, visited_by=actor, note=(note or "").strip()[:255],
                  details=details or {}, assignment=assignment, node=membership.union,
                  node_path=membership.union.path)
    visit = SweepVisit.objects.select_for_update().filter(sweep=sweep, person=person).first()
    if visit is None:
        try:
            with transaction.atomic():
                visit = SweepVisit.objects.create(sweep=sweep, person=person, **values)
        except IntegrityError:
            raise ValidationError({"person": [(_("该职工刚刚已被录入走访，请刷新"))]}) from None
        # A member who joined after the sweep opened still counts: the total never falls below the visits.
        SweepAssignment.objects.filter(pk=assignment.pk).update(
            visited_count=F("visited_count") + 1, member_total=Greatest(F("member_total"), F("visited_count") + 1))
        verb, old = "sweep.visit.create", None
    else:
        old = {k: getattr(visit, k) for k in VISIT_FACTS}
        if visit.assignment_id != assignment.pk:  # moved union since the first visit
            SweepAssignment.objects.filter(pk=visit.assignment_id).update(visited_count=F("visited_count") - 1)
            SweepAssignment.objects.filter(pk=assignment.pk).update(
                visited_count=F("visited_count") + 1, member_total=Greatest(F("member_total"), F("visited_count") + 1))
        for k, v in values.items():
            setattr(visit, k, v)
        # The old flag no longer describes the new figures: cleared until the next rule pass.
        visit.flagged_level, visit.flagged_rule, visit.per_capita_fen, visit.evaluated_at = "", None, None, None
        visit.save()
        verb = "sweep.visit.update"
    audit(actor=actor, verb=verb, obj=visit, object_repr=f"{sweep.title} · {person.pk}",
          node_path=membership.union.path, old=old, new={k: getattr(visit, k) for k in VISIT_FACTS})
    return visit


@transaction.atomic
def sweep_close(*, actor, sweep: Sweep) -> Sweep:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, sweep.node_path)
    updated = Sweep.objects.filter(pk=sweep.pk, status=SweepStatus.OPEN).update(status=SweepStatus.CLOSED,
                                                                              closed_at=timezone.now())
    if not updated:
        raise ValidationError({"sweep": [_("该排查已结束")]})
    sweep.refresh_from_db()
    audit(actor=actor, verb="sweep.close", obj=sweep, node_path=sweep.node_path,
          old={"status": SweepStatus.OPEN}, new={"status": SweepStatus.CLOSED})
    return sweep


# --- the rule pass -----------------------------------------------------------------------------------------

# The rule per assignment (a few thousand rows at most), then one UPDATE of every visit of the sweep.
_PG_RULE_PASS = """
UPDATE assistance_sweepvisit AS v SET
    flagged_level = CASE
        WHEN x.rule_id IS NULL THEN ''
        WHEN v.monthly_income_fen < x.dibao_fen * v.household_size THEN 'deep'
        WHEN (v.has_illness OR v.has_disaster OR v.has_job_loss OR v.has_work_injury)
             AND v.monthly_income_fen - v.rigid_expense_fen < x.dibao_fen * v.household_size THEN 'sudden'
        WHEN v.monthly_income_fen * 100 < x.dibao_fen * x.m100 * v.household_size
             OR (v.monthly_income_fen - v.rigid_expense_fen) * 100 < x.dibao_fen * x.m100 * v.household_size
             THEN 'relative'
        ELSE '' END,
    flagged_rule_id = x.rule_id,
    per_capita_fen = (v.monthly_income_fen - v.rigid_expense_fen) / v.household_size,
    evaluated_at = %(now)s
FROM (
    SELECT DISTINCT ON (a.id) a.id AS assignment_id, r.id AS rule_id, r.dibao_fen,
           CAST(ROUND(r.relative_multiple * 100) AS bigint) AS m100
    FROM assistance_sweepassignment a
    LEFT JOIN assistance_screeningrule r
           ON left(a.node_path, length(r.node_path)) = r.node_path AND r.effective_from <= %(today)s
    WHERE a.sweep_id = %(sweep)s
    ORDER BY a.id, length(r.node_path) DESC NULLS LAST, r.effective_from DESC NULLS LAST
) AS x
WHERE v.sweep_id = %(sweep)s AND v.assignment_id = x.assignment_id
"""

# SQLite (3.33+ has UPDATE … FROM): the nearest rule by a correlated subquery per assignment.
_SQLITE_RULE_PASS = """
UPDATE assistance_sweepvisit SET
    flagged_level = CASE
        WHEN x.rule_id IS NULL THEN ''
        WHEN monthly_income_fen < x.dibao_fen * household_size THEN 'deep'
        WHEN (has_illness OR has_disaster OR has_job_loss OR has_work_injury)
             AND monthly_income_fen - rigid_expense_fen < x.dibao_fen * household_size THEN 'sudden'
        WHEN monthly_income_fen * 100 < x.dibao_fen * x.m100 * household_size
             OR (monthly_income_fen - rigid_expense_fen) * 100 < x.dibao_fen * x.m100 * household_size
             THEN 'relative'
        ELSE '' END,
    flagged_rule_id = x.rule_id,
    per_capita_fen = (monthly_income_fen - rigid_expense_fen) / household_size,
    evaluated_at = %(now)s
FROM (
    SELECT ar.assignment_id, r.id AS rule_id, r.dibao_fen,
           CAST(ROUND(CAST(r.relative_multiple AS REAL) * 100) AS INTEGER) AS m100
    FROM (
        SELECT a.id AS assignment_id,
               (SELECT r2.id FROM assistance_screeningrule r2
                 WHERE substr(a.node_path, 1, length(r2.node_path)) = r2.node_path AND r2.effective_from <= %(today)s
                 ORDER BY length(r2.node_path) DESC, r2.effective_from DESC LIMIT 1) AS rule_id
        FROM assistance_sweepassignment a WHERE a.sweep_id = %(sweep)s
    ) AS ar LEFT JOIN assistance_screeningrule r ON r.id = ar.rule_id
) AS x
WHERE assistance_sweepvisit.sweep_id = %(sweep)s AND assistance_sweepvisit.assignment_id = x.assignment_id
"""


def rule_pass_sql(vendor: str) -> str:
    return _PG_RULE_PASS if vendor == "postgresql" else _SQLITE_RULE_PASS


@transaction.atomic
def sweep_rules_apply(*, actor, sweep: Sweep, on: dt.date | None = None) -> dict:
    """The rule pass: one UPDATE over every visit of the sweep. Returns the count per level."""
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, sweep.node_path)
    now = timezone.now()
    params = {"now": connection.ops.adapt_datetimefield_value(now),
              "today": connection.ops.adapt_datefield_value(on or timezone.localdate()), "sweep": sweep.pk}
    with connection.cursor() as cur:
        cur.execute(rule_pass_sql(connection.vendor), params)
        updated = cur.rowcount
    Sweep.objects.filter(pk=sweep.pk).update(last_rule_pass_at=now)
    sweep.last_rule_pass_at = now
    counts = dict(SweepVisit.objects.filter(sweep=sweep).exclude(flagged_level="")
                  .values_list("flagged_level").annotate(n=Count("id")).order_by())
    result = {"evaluated": updated, **{lvl: counts.get(lvl, 0) for lvl in HardshipLevel.values}}
    audit(actor=actor, verb="sweep.rules_apply", obj=sweep, node_path=sweep.node_path, new=result)
    return result
