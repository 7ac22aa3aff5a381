"""Writes of the research programme. Every function checks the capability and the scope, validates
with messages that name the field, and writes its audit event in the same transaction.

Who does what:
- RESEARCH staff of the programme's union (or above) keep the guide (topics, team rules), open and close
  applications, hold the mid-term check, accept reports and give awards; none of that may be done by a
  party of the project (its applicant or anyone who wrote it: core.duties).
- RESEARCH staff of a union inside the programme's subtree apply for a topic with a team, keep its
  fieldwork log and upload its report.
- APPROVE holders decide the application level by level (core.approvals); the last approval commits the
  budget (one conditional UPDATE: the programme's committed sum never passes its budget) and writes the
  project's tranches, the first payable at once.
- MONEY (finance) pays the payable tranches through core.disbursement (payments.py): a tranche is paid
  at most once (its payment is one row, OneToOne, with a UNIQUE key the bank sees).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import duties
from huigong.core.approvals import services as chains
from huigong.core.approvals.models import ApprovalDecision
from huigong.core.audit import audit
from huigong.core.crypto import mask_bank
from huigong.core.money import format_yuan
from huigong.core.notify.services import notify
from huigong.core.scope import OutOfScope, ensure_path_in_scope, require, staff_of
from huigong.orgs.models import UnionNode

from . import extract, similarity
from .models import (
    LIVE,
    TEAM_ROLES,
    Award,
    AwardLevel,
    FieldworkKind,
    FieldworkLog,
    MemberRole,
    MidtermVerdict,
    Programme,
    ProgrammeStatus,
    Project,
    ProjectStatus,
    Recommendation,
    Report,
    ReportStatus,
    ResearchStep,
    RuleKind,
    TeamMember,
    TeamRule,
    Topic,
    Tranche,
    TrancheStatus,
    TrancheTrigger,
)

RESEARCH = "research"
APPROVE = "approve"
MONEY = "money"
AUTHOR_VERBS = ("research_project.create", "research_project.update", "research_project.submit",
                "research_project.team")


def _strip(value) -> str:
    return (value or "").strip()


def _node_path_of(actor) -> str:
    return staff_of(actor).node.path


def ensure_programme_manager(actor, programme: Programme) -> None:
    """RESEARCH at the programme's union or above."""
    require(actor, RESEARCH)
    if not programme.node_path.startswith(_node_path_of(actor)):
        if _node_path_of(actor).startswith(programme.node_path):
            raise PermissionDenied(_("只有主办工会“%(n)s”的工作人员可以办理") % {"n": programme.node.name})
        raise OutOfScope


def ensure_programme_visible(actor, programme: Programme) -> None:
    """The programme's union is in the actor's subtree, or above the actor's union."""
    mine = _node_path_of(actor)
    if not (programme.node_path.startswith(mine) or mine.startswith(programme.node_path)):
        raise OutOfScope


def ensure_project_team(actor, project: Project) -> None:
    """RESEARCH over the project's union (its team's own staff, or a union above it)."""
    require(actor, RESEARCH)
    ensure_path_in_scope(actor, project.node_path)


def project_parties(project: Project) -> set[int]:
    return ({project.applied_by_id} | duties.authors(project, AUTHOR_VERBS)) - {None}


# --- the programme and its guide ---------------------------------------------------------------------


def _check_plan(plan) -> list:
    try:
        rows = [[int(share), str(trigger)] for share, trigger in plan]
    except (TypeError, ValueError):
        raise ValidationError({"tranche_plan": _("经费分期格式不正确")}) from None
    if not rows or sum(r[0] for r in rows) != 100 or any(r[0] <= 0 for r in rows):
        raise ValidationError({"tranche_plan": _("经费分期的比例须为正数，合计 100%")})
    if any(r[1] not in TrancheTrigger.values for r in rows):
        raise ValidationError({"tranche_plan": _("经费分期的发放条件无效")})
    return rows


@transaction.atomic
def programme_create(*, actor, node: UnionNode, brand: str, year: int, title: str, intro: str = "",
                     budget_fen: int = 0, min_chars: int = 3000, max_chars: int = 30000, similarity_limit: int = 30,
                     approval_levels: list[str] | None = None, tranche_plan=None) -> Programme:
    require(actor, RESEARCH)
    ensure_path_in_scope(actor, node.path)
    brand, title = _strip(brand), _strip(title)
    if not brand:
        raise ValidationError({"brand": _("请填写品牌名称")})
    if not title:
        raise ValidationError({"title": _("请填写计划名称")})
    if not (2000 <= int(year) <= 2100):
        raise ValidationError({"year": _("年度无效")})
    if int(budget_fen) < 0:
        raise ValidationError({"budget_fen": _("经费总额不能为负数")})
    if not (0 < int(min_chars) <= int(max_chars)):
        raise ValidationError({"min_chars": _("报告最少字数须大于 0 且不超过最多字数")})
    if not (1 <= int(similarity_limit) <= 100):
        raise ValidationError({"similarity_limit": _("重复率上限须在 1 到 100 之间")})
    levels = list(approval_levels or [node.level])
    plan = _check_plan(tranche_plan if tranche_plan is not None else [[40, "approval"], [30, "midterm"],
                                                                      [30, "completion"]])
    if Programme.objects.filter(node=node, brand=brand, year=year).exists():
        raise ValidationError({"year": _("%(brand)s %(year)s 年度的计划已存在") % {"brand": brand, "year": year}})
    p = Programme.objects.create(node=node, node_path=node.path, brand=brand, year=year, title=title, intro=intro,
                                 budget_fen=budget_fen, min_chars=min_chars, max_chars=max_chars,
                                 similarity_limit=similarity_limit, approval_levels=levels, tranche_plan=plan,
                                 created_by=actor)
    audit(actor=actor, verb="research_programme.create", obj=p, node_path=node.path, node_id=node.pk,
          new={"brand": brand, "year": year, "title": title, "budget_fen": budget_fen, "levels": levels,
               "tranche_plan": plan})
    return p


@transaction.atomic
def programme_transition(*, actor, programme: Programme, action: str) -> Programme:
    ensure_programme_manager(actor, programme)
    p = Programme.objects.select_for_update().get(pk=programme.pk)
    moves = {"open": ((ProgrammeStatus.DRAFT, ProgrammeStatus.CLOSED), ProgrammeStatus.OPEN),
             "close": ((ProgrammeStatus.OPEN,), ProgrammeStatus.CLOSED)}
    if action not in moves:
        raise ValidationError({"action": _("无效的操作")})
    sources, target = moves[action]
    if p.status not in sources:
        raise ValidationError({"status": _("当前状态（%(s)s）不能执行此操作") % {"s": p.get_status_display()}})
    if action == "open" and not p.topics.exists():
        raise ValidationError({"topics": _("选题指南中还没有选题，不能开放申报")})
    before = p.status
    p.status = target
    p.save(update_fields=["status"])
    audit(actor=actor, verb=f"research_programme.{action}", obj=p, node_path=p.node_path, node_id=p.node_id,
          old={"status": before}, new={"status": target})
    return p


@transaction.atomic
def topic_add(*, actor, programme: Programme, title: str, area: str = "", description: str = "",
              max_fen: int = 0) -> Topic:
    ensure_programme_manager(actor, programme)
    title = _strip(title)
    if not title:
        raise ValidationError({"title": _("请填写选题")})
    if int(max_fen) < 0:
        raise ValidationError({"max_fen": _("经费上限不能为负数")})
    if programme.topics.filter(title=title).exists():
        raise ValidationError({"title": _("选题“%(t)s”已在指南中") % {"t": title}})
    seq = (programme.topics.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    t = Topic.objects.create(programme=programme, seq=seq, title=title, area=_strip(area),
                             description=_strip(description), max_fen=max_fen)
    audit(actor=actor, verb="research_topic.create", obj=t, node_path=programme.node_path, node_id=programme.node_id,
          new={"programme": programme.pk, "title": title, "area": t.area, "max_fen": max_fen})
    return t


@transaction.atomic
def rule_set(*, actor, programme: Programme, kind: str, value: int | None, age_limit: int = 35) -> TeamRule | None:
    """Sets a composition rule of the programme (value None removes it). Teams already submitted keep
    their approval; the rule applies to submissions from now on."""
    ensure_programme_manager(actor, programme)
    if kind not in RuleKind.values:
        raise ValidationError({"kind": _("无效的规则")})
    old = TeamRule.objects.filter(programme=programme, kind=kind).first()
    old_values = {"value": old.value, "age_limit": old.age_limit} if old else None
    if value is None:
        if old:
            old.delete()
        audit(actor=actor, verb="research_rule.delete", obj=programme, node_path=programme.node_path, node_id=programme.node_id,
              old={"kind": kind, **(old_values or {})})
        return None
    value, age_limit = int(value), int(age_limit)
    if kind in (RuleKind.YOUNG_SHARE, RuleKind.FRONTLINE_SHARE) and not (0 <= value <= 100):
        raise ValidationError({"value": _("比例须在 0 到 100 之间")})
    if not (18 <= age_limit <= 60):
        raise ValidationError({"age_limit": _("青年年龄上限须在 18 到 60 之间")})
    rule, _created = TeamRule.objects.update_or_create(programme=programme, kind=kind,
                                                       defaults={"value": value, "age_limit": age_limit})
    audit(actor=actor, verb="research_rule.set", obj=programme, node_path=programme.node_path, node_id=programme.node_id,
          old={"kind": kind, **(old_values or {})}, new={"kind": kind, "value": value, "age_limit": age_limit})
    return rule


def team_problems(programme: Programme, team: Iterable[TeamMember], rules: Iterable[TeamRule] | None = None
                  ) -> list[str]:
    """What a team misses of the programme's composition rules, one message per rule broken (empty: ok).
    Counted over the team proper (leader and members); mentors and advisors are checked by their rules."""
    team = list(team)
    rules = list(programme.rules.all() if rules is None else rules)
    core = [m for m in team if m.role in TEAM_ROLES]
    size = len(core)
    out: list[str] = []
    if not any(m.role == MemberRole.LEADER for m in team):
        out.append(_("调研队须有一名队长（头雁）"))
    for r in rules:
        young = sum(1 for m in core if programme.year - m.birth_year < r.age_limit)
        front = sum(1 for m in core if m.front_line)
        if r.kind == RuleKind.SIZE_MIN and size < r.value:
            out.append(_("调研队至少 %(n)d 人（现有 %(k)d 人）") % {"n": r.value, "k": size})
        elif r.kind == RuleKind.SIZE_MAX and size > r.value:
            out.append(_("调研队至多 %(n)d 人（现有 %(k)d 人）") % {"n": r.value, "k": size})
        elif r.kind == RuleKind.YOUNG_MIN and young < r.value:
            out.append(_("须至少 %(n)d 名 %(age)d 岁以下的青年干部（现有 %(k)d 名）")
                       % {"n": r.value, "age": r.age_limit, "k": young})
        elif r.kind == RuleKind.YOUNG_SHARE and (size == 0 or young * 100 < r.value * size):
            out.append(_("%(age)d 岁以下青年干部占比须不低于 %(n)d%%（现为 %(k)d/%(size)d）")
                       % {"age": r.age_limit, "n": r.value, "k": young, "size": size})
        elif r.kind == RuleKind.FRONTLINE_SHARE and (size == 0 or front * 100 < r.value * size):
            out.append(_("一线人员占比须不低于 %(n)d%%（现为 %(k)d/%(size)d）")
                       % {"n": r.value, "k": front, "size": size})
        elif r.kind == RuleKind.MENTOR and not any(m.role == MemberRole.MENTOR for m in team):
            out.append(_("须有一名导师（部室负责人）"))
        elif r.kind == RuleKind.ADVISOR and not any(m.role == MemberRole.ADVISOR for m in team):
            out.append(_("须有一名顾问（领导）"))
    return out


# --- applications ------------------------------------------------------------------------------------


def _check_account(bank_account: str) -> str:
    account = "".join(_strip(bank_account).split())
    if not account.isdigit() or not (8 <= len(account) <= 32):
        raise ValidationError({"bank_account": _("银行账号须为 8 到 32 位数字")})
    return account


@transaction.atomic
def project_create(*, actor, programme: Programme, topic: Topic, node: UnionNode, team_name: str, plan: str,
                   requested_fen: int, payee_name: str, bank_name: str, bank_account: str) -> Project:
    require(actor, RESEARCH)
    ensure_programme_visible(actor, programme)
    ensure_path_in_scope(actor, node.path)
    if not node.path.startswith(programme.node_path):
        raise ValidationError({"node": _("承担单位须在主办工会“%(n)s”之下") % {"n": programme.node.name}})
    if programme.status != ProgrammeStatus.OPEN:
        raise ValidationError({"programme": _("该计划不在申报期内")})
    if topic.programme_id != programme.pk:
        raise ValidationError({"topic": _("选题不属于该计划")})
    team_name, plan = _strip(team_name), _strip(plan)
    if not team_name:
        raise ValidationError({"team_name": _("请填写调研队名称")})
    if not plan:
        raise ValidationError({"plan": _("请填写调研计划")})
    requested_fen = int(requested_fen)
    if requested_fen <= 0:
        raise ValidationError({"requested_fen": _("申请经费须大于 0")})
    if topic.max_fen and requested_fen > topic.max_fen:
        raise ValidationError({"requested_fen": _("申请经费不能超过该选题的上限 %(a)s 元")
                               % {"a": format_yuan(topic.max_fen)}})
    if not _strip(payee_name):
        raise ValidationError({"payee_name": _("请填写收款单位")})
    if not _strip(bank_name):
        raise ValidationError({"bank_name": _("请填写开户行")})
    account = _check_account(bank_account)
    p = Project.objects.create(programme=programme, topic=topic, node=node, node_path=node.path, team_name=team_name,
                               plan=plan, requested_fen=requested_fen, payee_name=_strip(payee_name),
                               bank_name=_strip(bank_name), bank_account=account,
                               bank_account_mask=mask_bank(account), applied_by=actor)
    audit(actor=actor, verb="research_project.create", obj=p, node_path=node.path, node_id=node.pk,
          new={"programme": programme.pk, "topic": topic.title, "team_name": team_name,
               "requested_fen": requested_fen, "bank_account": p.bank_account_mask})
    return p


def _locked(project: Project) -> Project:
    """The project's row as it is now, locked for this transaction: a decision reads the status it changes."""
    return Project.objects.select_for_update().select_related("programme").get(pk=project.pk)


def _editable(project: Project) -> None:
    if project.status not in (ProjectStatus.DRAFT, ProjectStatus.RETURNED):
        raise ValidationError({"status": _("只有草稿或退回的申报可以修改")})


@transaction.atomic
def team_member_add(*, actor, project: Project, name: str, role: str, birth_year: int, front_line: bool = False,
                    post: str = "") -> TeamMember:
    ensure_project_team(actor, project)
    project = _locked(project)
    _editable(project)
    name = _strip(name)
    if not name:
        raise ValidationError({"name": _("请填写姓名")})
    if role not in MemberRole.values:
        raise ValidationError({"role": _("无效的角色")})
    year = int(birth_year)
    if not (1940 <= year <= project.programme.year - 16):
        raise ValidationError({"birth_year": _("出生年份无效")})
    if role == MemberRole.LEADER and project.team.filter(role=MemberRole.LEADER).exists():
        raise ValidationError({"role": _("调研队已有队长")})
    m = TeamMember.objects.create(project=project, name=name, role=role, birth_year=year, front_line=bool(front_line),
                                  post=_strip(post))
    audit(actor=actor, verb="research_project.team", obj=project, node_path=project.node_path, node_id=project.node_id,
          new={"member": name, "role": role, "birth_year": year, "front_line": bool(front_line)})
    return m


@transaction.atomic
def team_member_remove(*, actor, member: TeamMember) -> None:
    project = member.project
    ensure_project_team(actor, project)
    project = _locked(project)
    _editable(project)
    audit(actor=actor, verb="research_project.team", obj=project, node_path=project.node_path, node_id=project.node_id,
          old={"member": member.name, "role": member.role})
    member.delete()


def approval_chain(project: Project, *, extra_parties=()):
    """The project's chain: the stored round while in approval (or decided), else what a submission
    would create now (core.approvals)."""
    in_approval = project.status not in (ProjectStatus.DRAFT, ProjectStatus.RETURNED)
    stored = list(project.steps.filter(round=project.round).select_related("node", "acting_node", "decided_by")
                  .order_by("seq")) if in_approval else []
    if stored:
        pairs = [(s.level, s.node, s) for s in stored]
    else:
        pairs = [(level, node, None) for level, node in chains.chain_nodes(project.node,
                                                                             project.programme.approval_levels)]
    parties = project_parties(project) | duties.user_ids(extra_parties)
    return chains.chains_resolve([chains.ChainRequest(
        subject=project, pairs=pairs, parties=parties, submitted=bool(stored),
        current_seq=project.current_step if project.status == ProjectStatus.SUBMITTED else None)],
        capability=APPROVE)[0]


@transaction.atomic
def project_submit(*, actor, project: Project) -> Project:
    ensure_project_team(actor, project)
    p = Project.objects.select_for_update().select_related("programme", "node").get(pk=project.pk)
    _editable(p)
    if p.programme.status != ProgrammeStatus.OPEN:
        raise ValidationError({"programme": _("该计划不在申报期内")})
    problems = team_problems(p.programme, p.team.all())
    if problems:
        raise ValidationError({"team": problems})
    pairs = chains.chain_nodes(p.node, p.programme.approval_levels)
    if not pairs:
        raise ValidationError({"programme": _("承担单位的上级中没有计划要求的任何审批层级")})
    chains.chain_check_submittable(pairs=pairs, parties=project_parties(p) | duties.user_ids([actor]),
                                   capability=APPROVE)
    before = p.status
    p.round += 1
    p.current_step = 0
    p.status = ProjectStatus.SUBMITTED
    p.submitted_at = timezone.now()
    p.save(update_fields=["round", "current_step", "status", "submitted_at"])
    chains.steps_create(model=ResearchStep, owner={"project": p}, round=p.round, pairs=pairs)
    audit(actor=actor, verb="research_project.submit", obj=p, node_path=p.node_path, node_id=p.node_id,
          old={"status": before}, new={"status": p.status, "round": p.round, "steps": [n.name for _l, n in pairs]})
    return p


def _tell(project: Project, event: str, key: str, title: str, body: str = "") -> None:
    if project.applied_by_id:
        notify(event=event, key=key, user=project.applied_by, title=title, body=body, node_path=project.node_path)


def _make_tranches(p: Project) -> list[Tranche]:
    plan = p.programme.tranche_plan
    amounts = [p.approved_fen * share // 100 for share, _t in plan]
    amounts[-1] += p.approved_fen - sum(amounts)  # the last tranche takes the rounding
    rows = [Tranche(project=p, seq=i + 1, trigger=trigger, share=share, amount_fen=amount,
                    status=TrancheStatus.DUE if trigger == TrancheTrigger.APPROVAL else TrancheStatus.LOCKED)
            for i, ((share, trigger), amount) in enumerate(zip(plan, amounts, strict=True)) if amount > 0]
    return Tranche.objects.bulk_create(rows)


def _release(p: Project, trigger: str) -> int:
    return Tranche.objects.filter(project=p, trigger=trigger, status=TrancheStatus.LOCKED).update(
        status=TrancheStatus.DUE)


@transaction.atomic
def project_decide(*, actor, project: Project, decision: str, comment: str = "", amount_fen: int | None = None,
                   acting_reason: str = "") -> Project:
    require(actor, APPROVE)
    p = Project.objects.select_for_update().select_related("programme", "node").get(pk=project.pk)
    ensure_path_in_scope(actor, p.node_path)  # every approving union is the project's own or above it
    if p.status != ProjectStatus.SUBMITTED:
        raise ValidationError({"status": _("该申报不在审批中")})
    step = p.steps.select_for_update().select_related("node").filter(round=p.round, seq=p.current_step).first()
    chain = approval_chain(p)
    decided = chains.step_decide(actor=actor, chain=chain, step=step, decision=decision, capability=APPROVE,
                                 comment=comment, amount_fen=amount_fen, base_amount_fen=p.requested_fen,
                                 acting_reason=acting_reason)
    before = p.status
    fields = ["status", "current_step"]
    if decision == ApprovalDecision.APPROVED and not decided.last:
        p.current_step = step.seq + 1
        fields = ["current_step"]
    elif decision == ApprovalDecision.APPROVED:
        amount = decided.amount_fen
        # The budget: one conditional UPDATE, so two last approvals at once cannot pass it together.
        if not Programme.objects.filter(pk=p.programme_id, committed_fen__lte=F("budget_fen") - amount).update(
                committed_fen=F("committed_fen") + amount):
            raise ValidationError({"amount_fen": _("计划经费不足：核定 %(a)s 元将超过经费总额")
                                   % {"a": format_yuan(amount)}})
        p.status, p.current_step, p.approved_fen, p.approved_at = ProjectStatus.FIELDWORK, None, amount, timezone.now()
        fields += ["approved_fen", "approved_at"]
    elif decision == ApprovalDecision.RETURNED:
        p.status, p.current_step = ProjectStatus.RETURNED, None
    else:
        p.status, p.current_step = ProjectStatus.REJECTED, None
    p.save(update_fields=fields)
    tranches = _make_tranches(p) if p.status == ProjectStatus.FIELDWORK else []
    audit(actor=actor, verb="research_project.decide", obj=p, node_path=p.node_path, node_id=p.node_id,
          old={"status": before}, new={"status": p.status, "decision": decision, "approved_fen": p.approved_fen,
                                       "tranches": [t.amount_fen for t in tranches], **decided.audit_fields})
    if p.status != before:
        titles = {ProjectStatus.FIELDWORK: _("调研课题已立项：%(t)s"), ProjectStatus.RETURNED: _("调研课题申报被退回：%(t)s"),
                  ProjectStatus.REJECTED: _("调研课题未获立项：%(t)s")}
        _tell(p, "research.decided", f"research:{p.pk}:{p.round}:{p.status}", titles[p.status] % {"t": p.team_name},
              decided.comment)
    return p


# --- fieldwork, mid-term, reports, awards ------------------------------------------------------------------


@transaction.atomic
def fieldwork_record(*, actor, project: Project, kind: str, occurred_on: dt.date, place: str, cadre: str,
                     people: int = 0, orders: int = 0, hours=0, summary: str = "") -> FieldworkLog:
    ensure_project_team(actor, project)
    project = _locked(project)
    if project.status not in LIVE:
        raise ValidationError({"status": _("只有已立项、未结题的课题可以记录调研日志")})
    if kind not in FieldworkKind.values:
        raise ValidationError({"kind": _("无效的调研方式")})
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": _("日期不能晚于今天")})
    if project.approved_at and occurred_on < project.approved_at.date() - dt.timedelta(days=366):
        raise ValidationError({"occurred_on": _("日期早于立项一年以上")})
    place, cadre = _strip(place), _strip(cadre)
    if not place:
        raise ValidationError({"place": _("请填写地点或对象")})
    if not cadre:
        raise ValidationError({"cadre": _("请填写调研人员")})
    people, orders = int(people or 0), int(orders or 0)
    if people < 0:
        raise ValidationError({"people": _("接触人数不能为负数")})
    if orders < 0:
        raise ValidationError({"orders": _("完成单数不能为负数")})
    if orders and kind != FieldworkKind.RIDE_ALONG:
        raise ValidationError({"orders": _("只有沉浸式体验（跟岗/跑单）可以记录完成单数")})
    try:
        from decimal import Decimal, InvalidOperation

        hours_d = Decimal(str(hours or 0))
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": _("时长格式不正确")}) from None
    if hours_d < 0 or hours_d > 10000:
        raise ValidationError({"hours": _("时长须在 0 到 10000 小时之间")})
    log = FieldworkLog.objects.create(project=project, kind=kind, occurred_on=occurred_on, place=place, cadre=cadre,
                                      people=people, orders=orders, hours=hours_d, summary=_strip(summary),
                                      recorded_by=actor)
    audit(actor=actor, verb="research_fieldwork.create", obj=log, node_path=project.node_path, node_id=project.node_id,
          new={"project": project.pk, "kind": kind, "occurred_on": str(occurred_on), "people": people,
               "orders": orders, "hours": str(hours_d)})
    return log


def _not_party(actor, project: Project, action: str) -> None:
    duties.ensure_not_party(actor, project_parties(project), action=action)


@transaction.atomic
def midterm_check(*, actor, project: Project, verdict: str, comment: str = "") -> Project:
    p = Project.objects.select_for_update().select_related("programme", "programme__node").get(pk=project.pk)
    ensure_programme_manager(actor, p.programme)
    _not_party(actor, p, _("中期检查"))
    if p.status != ProjectStatus.FIELDWORK:
        raise ValidationError({"status": _("只有调研中的课题可以进行中期检查")})
    if verdict not in MidtermVerdict.values:
        raise ValidationError({"verdict": _("无效的检查结论")})
    comment = _strip(comment)
    if verdict != MidtermVerdict.PASS and not comment:
        raise ValidationError({"comment": _("限期改进或不通过时请填写检查意见")})
    if verdict == MidtermVerdict.PASS and not p.fieldwork.exists():
        raise ValidationError({"verdict": _("还没有调研日志，不能通过中期检查")})
    before = p.status
    p.midterm_verdict, p.midterm_comment, p.midterm_at, p.midterm_by = verdict, comment, timezone.now(), actor
    released = cancelled = 0
    if verdict == MidtermVerdict.PASS:
        p.status = ProjectStatus.MIDTERM
        released = _release(p, TrancheTrigger.MIDTERM)
    elif verdict == MidtermVerdict.FAIL:
        p.status = ProjectStatus.TERMINATED
        # What was not yet handed to the bank is cancelled; money already in flight finishes its course.
        cancelled = Tranche.objects.filter(project=p, status__in=(TrancheStatus.LOCKED, TrancheStatus.DUE),
                                           payment__isnull=True).update(status=TrancheStatus.CANCELLED)
    p.save(update_fields=["midterm_verdict", "midterm_comment", "midterm_at", "midterm_by", "status"])
    audit(actor=actor, verb="research_project.midterm", obj=p, node_path=p.node_path, node_id=p.node_id, old={"status": before},
          new={"status": p.status, "verdict": verdict, "comment": comment, "tranches_released": released,
               "tranches_cancelled": cancelled})
    _tell(p, "research.midterm", f"research:{p.pk}:midterm:{p.midterm_at.isoformat()}",
          _("中期检查：%(t)s（%(v)s）") % {"t": p.team_name, "v": p.get_midterm_verdict_display()}, comment)
    return p


def parse_recommendations(text: str) -> list[tuple[str, str]]:
    """Lines "建议对象：建议内容" (a full- or half-width colon); blank lines skipped."""
    out = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        for sep in ("：", ":"):
            if sep in line:
                owner, body = (s.strip() for s in line.split(sep, 1))
                break
        else:
            owner, body = "", line
        if not owner or not body:
            raise ValidationError({"recommendations": _("第 %(n)d 行：请按“建议对象：建议内容”填写") % {"n": n}})
        if len(owner) > 80:
            raise ValidationError({"recommendations": _("第 %(n)d 行：建议对象过长") % {"n": n}})
        out.append((owner, body))
    if not out:
        raise ValidationError({"recommendations": _("请至少填写一条对策建议")})
    return out


@transaction.atomic
def report_submit(*, actor, project: Project, title: str, upload, recommendations: str) -> Report:
    """A report (or a new version after a return). Refused when its length is outside the programme's
    limits, or when at least `similarity_limit` % of its text is found in an earlier report of another
    project (similarity.py); the most similar earlier report is recorded either way."""
    ensure_project_team(actor, project)
    p = Project.objects.select_for_update().select_related("programme").get(pk=project.pk)
    if p.status != ProjectStatus.MIDTERM:
        raise ValidationError({"status": _("中期检查通过后才能提交调研报告")})
    if p.reports.filter(status=ReportStatus.SUBMITTED).exists():
        raise ValidationError({"file": _("已有一份报告待验收")})
    title = _strip(title)
    if not title:
        raise ValidationError({"title": _("请填写报告标题")})
    recs = parse_recommendations(recommendations)
    label = _("报告文件")
    got = extract.extract(upload, label=label)
    count = similarity.char_count(got.text)
    prog = p.programme
    if count < prog.min_chars or count > prog.max_chars:
        raise ValidationError({"file": _("%(field)s：报告字数 %(n)d，须在 %(lo)d 到 %(hi)d 字之间")
                               % {"field": label, "n": count, "lo": prog.min_chars, "hi": prog.max_chars}})
    mine = similarity.shingle_hashes(got.text)
    best, best_report = 0, None
    for other in Report.objects.exclude(project=p).select_related("project", "project__node").only(
            "pk", "title", "sketch", "project__node_path", "project__team_name", "project__node__name"):
        score = similarity.containment(mine, similarity.unpack(other.sketch))
        if score > best:
            best, best_report = score, other
    if best_report is not None and best >= prog.similarity_limit:
        if best_report.project.node_path.startswith(_node_path_of(actor)) or \
                prog.node_path.startswith(_node_path_of(actor)):
            which = _("“%(t)s”（%(team)s）") % {"t": best_report.title, "team": best_report.project.team_name}
        else:
            which = _("其他单位的一篇报告")
        raise ValidationError({"file": _("%(field)s：约 %(s)d%% 的内容与已有报告%(which)s重复，上限为 %(lim)d%%")
                               % {"field": label, "s": best, "which": which, "lim": prog.similarity_limit}})
    version = (p.reports.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    upload.seek(0)
    r = Report(project=p, version=version, title=title, content_type=got.content_type, extension=got.extension,
               char_count=count, sketch=similarity.pack(mine), similarity=best, similar_to=best_report,
               submitted_by=actor)
    r.file.save(f"report.{got.extension}", upload, save=False)
    r.save()
    Recommendation.objects.bulk_create([Recommendation(report=r, seq=i + 1, owner=o, text=t)
                                        for i, (o, t) in enumerate(recs)])
    audit(actor=actor, verb="research_report.submit", obj=r, node_path=p.node_path, node_id=p.node_id,
          new={"project": p.pk, "version": version, "title": title, "chars": count, "similarity": best,
               "similar_to": best_report.pk if best_report else None, "recommendations": len(recs)})
    return r


@transaction.atomic
def report_decide(*, actor, report: Report, accept: bool, comment: str = "") -> Report:
    """Acceptance (验收) closes the project (结题), releases its last tranches and hands each recommendation
    to the outcome tracker; a return asks the team for a new version."""
    r = Report.objects.select_for_update().select_related("project", "project__programme",
                                                          "project__programme__node").get(pk=report.pk)
    p = Project.objects.select_for_update().get(pk=r.project_id)
    ensure_programme_manager(actor, r.project.programme)
    _not_party(actor, p, _("验收"))
    if r.status != ReportStatus.SUBMITTED:
        raise ValidationError({"status": _("该报告不在待验收状态")})
    comment = _strip(comment)
    if not accept and not comment:
        raise ValidationError({"comment": _("退回时请填写验收意见")})
    r.status = ReportStatus.ACCEPTED if accept else ReportStatus.RETURNED
    r.comment, r.decided_by, r.decided_at = comment, actor, timezone.now()
    r.save(update_fields=["status", "comment", "decided_by", "decided_at"])
    tracked: list[int] = []
    if accept:
        p.status, p.completed_at = ProjectStatus.COMPLETED, timezone.now()
        p.save(update_fields=["status", "completed_at"])
        _release(p, TrancheTrigger.COMPLETION)
        from .outcomes import track_recommendations

        tracked = track_recommendations(actor=actor, report=r)
    audit(actor=actor, verb="research_report.decide", obj=r, node_path=p.node_path, node_id=p.node_id,
          old={"status": ReportStatus.SUBMITTED}, new={"status": r.status, "comment": comment,
                                                       "tracked_items": tracked})
    _tell(p, "research.report", f"research-report:{r.pk}:{r.status}",
          _("调研报告%(v)s：%(t)s") % {"v": r.get_status_display(), "t": r.title}, comment)
    return r


@transaction.atomic
def award_give(*, actor, project: Project, level: str, title: str, awarded_on: dt.date) -> Award:
    ensure_programme_manager(actor, project.programme)
    project = _locked(project)
    _not_party(actor, project, _("评奖"))
    if project.status != ProjectStatus.COMPLETED:
        raise ValidationError({"status": _("只有已结题的课题可以评奖")})
    if level not in AwardLevel.values:
        raise ValidationError({"level": _("无效的奖项等次")})
    title = _strip(title)
    if not title:
        raise ValidationError({"title": _("请填写奖项名称")})
    if project.awards.filter(title=title).exists():
        raise ValidationError({"title": _("该课题已获得“%(t)s”") % {"t": title}})
    a = Award.objects.create(project=project, level=level, title=title, awarded_on=awarded_on, awarded_by=actor)
    audit(actor=actor, verb="research_award.create", obj=a, node_path=project.node_path, node_id=project.node_id,
          new={"project": project.pk, "level": level, "title": title, "awarded_on": str(awarded_on)})
    return a
