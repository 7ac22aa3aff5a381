"""Rounds (programmes): partner institutions and majors, the window, eligibility and subsidy rules as
data, quotas per sub-union by formula, carry-over of eligible non-winners into the next round."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from huigong.core import facets
from huigong.core.audit import audit
from huigong.core.capacity import services as cap
from huigong.core.capacity.models import Allocation
from huigong.core.scope import ensure_path_in_scope, require
from huigong.members.models import Membership, MembershipStatus
from huigong.orgs.models import NodeLevel, UnionNode

from .. import clock
from ..eligibility import RULE_LABELS, validate_rules
from ..models import (
    Institution,
    Major,
    Programme,
    ProgrammeStatus,
    QuotaFormula,
    Ranking,
    SubsidyKind,
    Trigger,
)
from ..places import PLACES

EDU = "education"
APPROVE = "approve"
MONEY = "money"
VIEW = "view"

PROGRAMME_FIELDS = ["title", "year", "status", "opens_on", "closes_on", "total", "allocation", "rules", "levels",
                    "subsidy_kind", "tranches", "share_percent", "fallback_fen", "quota_formula", "priorities", "ranking"]


def programme_for_write(actor, programme: Programme) -> Programme:
    require(actor, EDU)
    ensure_path_in_scope(actor, programme.node_path)
    return Programme.objects.select_for_update().select_related("node").get(pk=programme.pk)


def clean_priorities(priorities) -> list[str]:
    """The round's priorities: person-facet keys this installation has, no repeats, first = highest."""
    out: list[str] = []
    for key in priorities or []:
        key = str(key).strip()
        if not key:
            continue
        if not facets.known(key):
            raise ValidationError({"priorities": _("优先条件“%(k)s”不存在") % {"k": key}})
        if key in out:
            raise ValidationError({"priorities": _("优先条件“%(k)s”重复") % {"k": key}})
        out.append(key)
    return out


def clean_rules(rules) -> dict:
    try:
        return validate_rules(rules or {})
    except (ValueError, TypeError) as e:
        key = str(e)
        label = RULE_LABELS.get(key)
        name = str(label).replace("%(n)s", "N") if label is not None else key
        raise ValidationError({"rules": _("申报条件“%(k)s”的值无效") % {"k": name}}) from None


def _clean_tranches(kind: str, tranches, share_percent: int) -> list[dict]:
    out = []
    if kind == SubsidyKind.TUITION_SHARE:
        if not 0 < int(share_percent or 0) <= 100:
            raise ValidationError({"share_percent": _("学费补贴比例应在 1 到 100 之间")})
        return [{"trigger": Trigger.GRADUATION.value, "share": int(share_percent)}]
    for i, t in enumerate(tranches or [], 1):
        trigger = str(t.get("trigger", ""))
        if trigger not in (Trigger.ENROLMENT, Trigger.TERM, Trigger.GRADUATION):
            raise ValidationError({"tranches": _("第 %(n)s 期：发放条件无效") % {"n": i}})
        try:
            fen = int(t.get("fen"))
        except (TypeError, ValueError):
            fen = 0
        if fen <= 0:
            raise ValidationError({"tranches": _("第 %(n)s 期：金额应大于 0") % {"n": i}})
        row = {"trigger": trigger, "fen": fen}
        if trigger == Trigger.TERM:
            term = int(t.get("term") or 0)
            if term < 1:
                raise ValidationError({"tranches": _("第 %(n)s 期：请写明第几学期") % {"n": i}})
            row["term"] = term
        out.append(row)
    if not out:
        raise ValidationError({"tranches": _("请至少设置一期补贴")})
    return out


@transaction.atomic
def institution_create(*, actor, node: UnionNode, name: str, contact: str = "") -> Institution:
    require(actor, EDU)
    ensure_path_in_scope(actor, node.path)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写院校名称")})
    if Institution.objects.filter(node=node, name=name).exists():
        raise ValidationError({"name": _("该院校已登记")})
    inst = Institution.objects.create(node=node, node_path=node.path, name=name, contact=contact.strip())
    audit(actor=actor, verb="edu_institution.create", obj=inst, node_path=node.path, new={"name": name})
    return inst


@transaction.atomic
def programme_create(*, actor, node: UnionNode, title: str, year: int, opens_on: dt.date, closes_on: dt.date,
                     total: int, rules: dict | None = None, levels: list[str] | None = None,
                     subsidy_kind: str = SubsidyKind.FIXED, tranches: list[dict] | None = None,
                     share_percent: int = 0, fallback_fen: int = 0, quota_formula: str = QuotaFormula.NONE,
                     allocation: str = Allocation.LOTTERY, waitlist: bool = False, description: str = "",
                     carried_from: Programme | None = None, clawback_on_dropout: bool = False,
                     priorities: list[str] | None = None, ranking: str = Ranking.DRAW) -> Programme:
    require(actor, EDU)
    ensure_path_in_scope(actor, node.path)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写项目名称")})
    if closes_on < opens_on:
        raise ValidationError({"closes_on": _("申报截止日期不能早于开始日期")})
    if not isinstance(total, int) or total < 1:
        raise ValidationError({"total": _("资助名额应为正整数")})
    if allocation not in (Allocation.LOTTERY, Allocation.FIRST_COME):
        raise ValidationError({"allocation": _("分配方式应为抽签或先到先得")})
    if ranking not in Ranking.values:
        raise ValidationError({"ranking": _("排序方式无效")})
    if ranking == Ranking.MERIT and allocation != Allocation.LOTTERY:
        raise ValidationError({"ranking": _("择优分配须在截止后统一排序，不能与先到先得同用")})
    rules = clean_rules(rules)
    priorities = clean_priorities(priorities)
    levels = list(levels or [NodeLevel.GRASSROOTS, NodeLevel.DISTRICT])
    if any(lv not in NodeLevel.values for lv in levels):
        raise ValidationError({"levels": _("审核层级无效")})
    if subsidy_kind not in SubsidyKind.values:
        raise ValidationError({"subsidy_kind": _("补贴方式无效")})
    tranches = _clean_tranches(subsidy_kind, tranches, share_percent)
    if not isinstance(fallback_fen, int) or fallback_fen < 0:
        raise ValidationError({"fallback_fen": _("保底补助金额不能为负数")})
    if quota_formula not in QuotaFormula.values:
        raise ValidationError({"quota_formula": _("名额分配方式无效")})
    if carried_from is not None:
        ensure_path_in_scope(actor, carried_from.node_path)
    p = Programme.objects.create(
        node=node, node_path=node.path, title=title, year=int(year), opens_on=opens_on, closes_on=closes_on,
        total=total, remaining=total, is_open=False, allocation=allocation, waitlist=bool(waitlist),
        rules=rules, levels=levels, subsidy_kind=subsidy_kind, tranches=tranches,
        share_percent=int(share_percent or 0), fallback_fen=fallback_fen, quota_formula=quota_formula,
        description=description, carried_from=carried_from, created_by=actor,
        clawback_on_dropout=bool(clawback_on_dropout), priorities=priorities, ranking=ranking)
    audit(actor=actor, verb="edu_programme.create", obj=p, node_path=node.path,
          new={f: getattr(p, f) for f in PROGRAMME_FIELDS})
    return p


@transaction.atomic
def major_add(*, actor, programme: Programme, institution: Institution, name: str, level: str, seats: int,
              tuition_fen: int = 0) -> Major:
    p = programme_for_write(actor, programme)
    if p.status not in (ProgrammeStatus.DRAFT, ProgrammeStatus.OPEN):
        raise ValidationError(_("项目已截止申报，不能再增加专业"))
    if not p.node_path.startswith(institution.node_path) and not institution.node_path.startswith(p.node_path):
        raise ValidationError({"institution": _("院校不属于本项目的工会")})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写专业名称")})
    if not isinstance(seats, int) or seats < 1:
        raise ValidationError({"seats": _("招生名额应为正整数")})
    if Major.objects.filter(programme=p, institution=institution, name=name, level=level).exists():
        raise ValidationError({"name": _("该专业已在本项目中")})
    m = Major.objects.create(programme=p, institution=institution, name=name, level=level, seats=seats,
                             tuition_fen=int(tuition_fen or 0))
    audit(actor=actor, verb="edu_programme.major_add", obj=p, node_path=p.node_path,
          new={"major": m.pk, "name": name, "institution": institution.name, "seats": seats})
    return m


@transaction.atomic
def programme_rules_set(*, actor, programme: Programme, rules: dict, priorities: list[str] | None = None
                        ) -> Programme:
    """The eligibility editor: replaces a round's rules (and priorities) while it is being prepared.
    Locked once it opens (applicants were checked against the rules they saw)."""
    p = programme_for_write(actor, programme)
    if p.status != ProgrammeStatus.DRAFT:
        raise ValidationError(_("项目已开放申报，申报条件不能再修改"))
    rules = clean_rules(rules)
    priorities = clean_priorities(p.priorities if priorities is None else priorities)
    old = {"rules": p.rules, "priorities": p.priorities}
    if old == {"rules": rules, "priorities": priorities}:
        return p
    p.rules, p.priorities = rules, priorities
    p.save(update_fields=["rules", "priorities"])
    audit(actor=actor, verb="edu_programme.rules", obj=p, node_path=p.node_path, old=old,
          new={"rules": rules, "priorities": priorities})
    return p


@transaction.atomic
def programme_open(*, actor, programme: Programme) -> Programme:
    p = programme_for_write(actor, programme)
    if p.status != ProgrammeStatus.DRAFT:
        raise ValidationError(_("项目当前状态为“%(s)s”，不能开放申报") % {"s": p.get_status_display()})
    if not p.majors.exists():
        raise ValidationError(_("请先添加合作院校的专业"))
    p.status, p.is_open = ProgrammeStatus.OPEN, True
    p.save(update_fields=["status", "is_open"])
    audit(actor=actor, verb="edu_programme.open", obj=p, node_path=p.node_path,
          old={"status": ProgrammeStatus.DRAFT}, new={"status": p.status})
    return p


@transaction.atomic
def programme_close(*, actor, programme: Programme) -> Programme:
    p = programme_for_write(actor, programme)
    if p.status != ProgrammeStatus.OPEN:
        raise ValidationError(_("项目当前状态为“%(s)s”，不能截止申报") % {"s": p.get_status_display()})
    p.status, p.is_open = ProgrammeStatus.CLOSED, False
    p.save(update_fields=["status", "is_open"])
    audit(actor=actor, verb="edu_programme.close", obj=p, node_path=p.node_path,
          old={"status": ProgrammeStatus.OPEN}, new={"status": p.status})
    return p


def unit_nodes(programme: Programme) -> list[UnionNode]:
    """The sub-unions quotas are kept for: the programme's union's children."""
    return list(UnionNode.objects.filter(path__startswith=programme.node_path,
                                         depth=programme.node.depth + 1).order_by("path"))


def unit_key(programme: Programme, union_path: str, units: dict[str, int] | None = None) -> int | None:
    """The quota unit (a child union's id) an applicant of `union_path` belongs to."""
    step = len(programme.node_path) + 4
    if len(union_path) < step:
        return None
    prefix = union_path[:step]
    if units is not None:
        return units.get(prefix)
    return UnionNode.objects.filter(path=prefix).values_list("pk", flat=True).first()


def _largest_remainder(total: int, weights: dict[int, int]) -> dict[int, int]:
    s = sum(weights.values())
    if s <= 0:
        return dict.fromkeys(weights, 0)
    raw = {k: total * w / s for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    left = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:left]:
        out[k] += 1
    return out


@transaction.atomic
def quotas_compute(*, actor, programme: Programme) -> dict[int, int]:
    """Splits the round's places among its sub-unions by the programme's formula (equal shares, or in
    proportion to active members), the largest remainders rounded up, and keeps them as the engine's
    sub-pools. Refused once the draw has run."""
    p = programme_for_write(actor, programme)
    if p.status in (ProgrammeStatus.DRAWN, ProgrammeStatus.DONE):
        raise ValidationError(_("已经抽签，不能再调整名额"))
    if p.quota_formula == QuotaFormula.NONE:
        raise ValidationError({"quota_formula": _("本项目不分配单位名额")})
    units = unit_nodes(p)
    if not units:
        raise ValidationError({"quota_formula": _("主办工会没有下级工会，无法分配名额")})
    if p.quota_formula == QuotaFormula.EQUAL:
        weights = {u.pk: 1 for u in units}
    else:
        counts = dict(Membership.objects.filter(status=MembershipStatus.ACTIVE, union__path__startswith=p.node_path)
                      .values_list("union__path").annotate(n=Count("id")).values_list("union__path", "n"))
        by_unit = {u.path: u.pk for u in units}
        weights = {u.pk: 0 for u in units}
        for path, n in counts.items():
            key = by_unit.get(path[:len(p.node_path) + 4])
            if key is not None:
                weights[key] += n
    slots = _largest_remainder(p.total, weights)
    for key, n in sorted(slots.items()):
        cap.sub_pool_set(PLACES, pool=p, key=key, slots=n)
    audit(actor=actor, verb="edu_programme.quotas", obj=p, node_path=p.node_path,
          new={"formula": p.quota_formula, "quotas": {str(k): v for k, v in slots.items()}})
    return slots


def today() -> dt.date:
    return clock.today()
