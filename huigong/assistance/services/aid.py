"""Aid programmes (三助: 生活救助, 大病救助, 金秋助学 …), their budgets and household caps, and the
applications made under them, up to submission. Approval is in approval.py.

Rules decided here (and tested):
- A programme is owned by a node for its subtree; ASSIST at a node of the actor's subtree may create and
  manage it. A budget can be set for any node inside the programme's subtree (the nearest ancestor-or-self
  node of a file that has a budget pays for it); it can never be set below what is already committed.
- Limits nest, and a lower node can only tighten: a budget may not exceed the tightest budget of the
  programme above its node, nor a household cap the tightest cap above its node (refused, naming it);
  enforcement takes the minimum along the path (approval.py).
- A household year cap is set by a node for its subtree; the smallest cap at or above the file's union
  applies.
- An application needs: the programme open, the file open, the file inside both the actor's scope and the
  programme's subtree, the file's level among the programme's eligible levels (if any), one of the
  required causes (if any), and an amount: FIXED = exactly the programme amount, UP_TO = 1 fen .. amount.
- One live application per (programme, file): a partial UNIQUE index, and a clear refusal before it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core.audit import audit, snapshot
from huigong.core.money import format_yuan
from huigong.core.scope import ensure_path_in_scope, require
from huigong.orgs.models import NodeLevel, UnionNode

from ..models import (
    AidApplication,
    AidProgramme,
    AidProgrammeKind,
    AmountMode,
    ApplicationStatus,
    FileStatus,
    HardshipCause,
    HardshipFile,
    HardshipLevel,
    HouseholdYearCap,
    ProgrammeBudget,
    ProgrammeStatus,
)
from ..models.aid import LIVE_APPLICATION_STATUSES

STEPLEN = UnionNode.steplen
PROGRAMME_FIELDS = ["kind", "name", "year", "description", "eligible_levels", "required_causes", "amount_mode",
                    "amount_fen", "approval_levels", "notice_days", "status"]
APPLICATION_FIELDS = ["status", "amount_requested_fen", "amount_approved_fen", "reason", "current_step", "round"]


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of a node and all its ancestors, root first."""
    return [path[:i] for i in range(STEPLEN, len(path) + 1, STEPLEN)]


def nearest(qs, path: str, field: str = "node_path"):
    """The row of `qs` whose `field` is the longest ancestor-or-self path of `path`, or None."""
    rows = list(qs.filter(**{f"{field}__in": ancestor_paths(path)}))
    rows.sort(key=lambda r: len(getattr(r, field)), reverse=True)
    return rows[0] if rows else None


def _check_levels(levels, label: str, allowed) -> list[str]:
    levels = list(levels or [])
    bad = [x for x in levels if x not in allowed]
    if bad:
        raise ValidationError({label: _("无效的取值：%(v)s") % {"v": ", ".join(map(str, bad))}})
    return levels


def _clean_programme(data: dict) -> dict:
    if "eligible_levels" in data:
        data["eligible_levels"] = _check_levels(data["eligible_levels"], "eligible_levels", HardshipLevel.values)
    if "required_causes" in data:
        data["required_causes"] = _check_levels(data["required_causes"], "required_causes", HardshipCause.values)
    if "approval_levels" in data:
        levels = _check_levels(data["approval_levels"], "approval_levels", NodeLevel.values)
        if not levels:
            raise ValidationError({"approval_levels": _("至少需要一个审批层级")})
        if len(set(levels)) != len(levels):
            raise ValidationError({"approval_levels": _("审批层级不能重复")})
        data["approval_levels"] = levels
    if "amount_fen" in data and (data["amount_fen"] is None or int(data["amount_fen"]) <= 0):
        raise ValidationError({"amount_fen": _("金额必须大于 0")})
    if "notice_days" in data and (data["notice_days"] is None or int(data["notice_days"]) < 1):
        raise ValidationError({"notice_days": _("公示天数至少 1 天")})
    if "kind" in data and data["kind"] not in AidProgrammeKind.values:
        raise ValidationError({"kind": _("无效的项目类别")})
    if "amount_mode" in data and data["amount_mode"] not in AmountMode.values:
        raise ValidationError({"amount_mode": _("无效的金额方式")})
    if "name" in data and not (data["name"] or "").strip():
        raise ValidationError({"name": _("请填写项目名称")})
    return data


@transaction.atomic
def programme_create(*, actor, node: UnionNode, kind: str, name: str, year: int, amount_fen: int,
                     approval_levels: list[str], amount_mode: str = AmountMode.UP_TO,
                     eligible_levels: list[str] | None = None, required_causes: list[str] | None = None,
                     notice_days: int = 5, description: str = "") -> AidProgramme:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, node.path)
    data = _clean_programme({"kind": kind, "name": name.strip(), "year": int(year), "amount_fen": int(amount_fen),
                                 "approval_levels": approval_levels, "amount_mode": amount_mode,
                                 "eligible_levels": eligible_levels or [], "required_causes": required_causes or [],
                                 "notice_days": int(notice_days), "description": description})
    if AidProgramme.objects.filter(node=node, kind=kind, year=data["year"], name=data["name"]).exists():
        raise ValidationError({"name": _("本单位同年度已有同名项目")})
    prog = AidProgramme.objects.create(node=node, node_path=node.path, created_by=actor, **data)
    audit(actor=actor, verb="aid_programme.create", obj=prog, node_path=node.path,
          new=snapshot(prog, PROGRAMME_FIELDS))
    return prog


def _programme_for_write(actor, programme: AidProgramme) -> AidProgramme:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, programme.node_path)
    return AidProgramme.objects.select_for_update().get(pk=programme.pk)


@transaction.atomic
def programme_update(*, actor, programme: AidProgramme, **changes) -> AidProgramme:
    """Change a programme. Its rules (amount, levels, causes, approval levels) are frozen once any
    application has been submitted under it: applications in flight keep the rules they were judged by."""
    prog = _programme_for_write(actor, programme)
    allowed = set(PROGRAMME_FIELDS) - {"status", "kind", "year"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("不能修改的字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    changes = _clean_programme(dict(changes))
    rules = {"amount_fen", "amount_mode", "eligible_levels", "required_causes", "approval_levels"}
    if rules & {k for k, v in changes.items() if getattr(prog, k) != v} and \
            prog.applications.exclude(status=ApplicationStatus.DRAFT).exists():
        raise ValidationError(_("已有提交的申请，不能再修改金额和审批规则"))
    old = snapshot(prog, PROGRAMME_FIELDS)
    for k, v in changes.items():
        setattr(prog, k, v)
    prog.save()
    audit(actor=actor, verb="aid_programme.update", obj=prog, node_path=prog.node_path, old=old,
          new=snapshot(prog, PROGRAMME_FIELDS))
    return prog


def _programme_set_status(actor, programme, status: str, allowed_from: tuple, verb: str) -> AidProgramme:
    prog = _programme_for_write(actor, programme)
    if prog.status == status:
        return prog
    if prog.status not in allowed_from:
        raise ValidationError(_("项目当前状态为“%(s)s”，不能执行此操作") % {"s": prog.get_status_display()})
    old = prog.status
    prog.status = status
    prog.save(update_fields=["status"])
    audit(actor=actor, verb=verb, obj=prog, node_path=prog.node_path, old={"status": old}, new={"status": status})
    return prog


@transaction.atomic
def programme_open(*, actor, programme: AidProgramme) -> AidProgramme:
    return _programme_set_status(actor, programme, ProgrammeStatus.OPEN, (ProgrammeStatus.DRAFT,
                                                                           ProgrammeStatus.CLOSED),
                                 "aid_programme.open")


@transaction.atomic
def programme_close(*, actor, programme: AidProgramme) -> AidProgramme:
    """Stops new applications; applications already in the pipeline carry on to payment."""
    return _programme_set_status(actor, programme, ProgrammeStatus.CLOSED, (ProgrammeStatus.OPEN,
                                                                             ProgrammeStatus.DRAFT),
                                 "aid_programme.close")


def _tightest(rows, attr: str):
    """The row with the smallest `attr` (the nearest on a tie): the limit that binds along a path."""
    rows = sorted(rows, key=lambda r: (getattr(r, attr), -len(r.node_path)))
    return rows[0] if rows else None


def budget_parent_limit(programme: AidProgramme, node: UnionNode) -> ProgrammeBudget | None:
    """The tightest budget the programme has above `node` (strict ancestors): what a budget at `node`
    may not exceed."""
    above = ancestor_paths(node.path)[:-1]
    return _tightest(ProgrammeBudget.objects.filter(programme=programme, node_path__in=above).select_related("node"),
                     "total_fen")


def budget_subtree_committed(programme_id: int, node_path: str) -> int:
    """What approvals have reserved in the budgets held at `node_path` and below it."""
    return (ProgrammeBudget.objects.filter(programme_id=programme_id, node_path__startswith=node_path)
            .aggregate(s=Sum("committed_fen"))["s"] or 0)


@transaction.atomic
def programme_budget_set(*, actor, programme: AidProgramme, node: UnionNode, total_fen: int) -> ProgrammeBudget:
    """Set (create or change) the budget of `node` for `programme`. A lower node can only tighten: the
    budget may not exceed the tightest budget above it (refused, naming it), and approval checks every
    budget on the path (approval.reserve_budget). Never below what is committed at the node and under
    it: the row is locked, and approvals lock the budgets on their path before reserving."""
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, node.path)
    if not node.path.startswith(programme.node_path):
        raise ValidationError({"node": _("预算单位必须在项目主办工会的范围内")})
    try:
        total_fen = int(total_fen)
    except (TypeError, ValueError):
        raise ValidationError({"total_fen": _("预算金额无效")}) from None
    if total_fen < 0:
        raise ValidationError({"total_fen": _("预算不能为负")})
    # Lock the budgets on the path, root first (the order approvals use), then read the limit above.
    list(ProgrammeBudget.objects.select_for_update().filter(programme=programme,
                                                           node_path__in=ancestor_paths(node.path))
         .order_by("node_path").values_list("pk", flat=True))
    parent = budget_parent_limit(programme, node)
    if parent is not None and total_fen > parent.total_fen:
        raise ValidationError({"total_fen": _("预算总额不能高于上级“%(node)s”为本项目设定的预算 %(cap)s 元")
                               % {"node": parent.node.name, "cap": format_yuan(parent.total_fen)}})
    budget, created = ProgrammeBudget.objects.get_or_create(
        programme=programme, node=node, defaults={"node_path": node.path, "total_fen": total_fen})
    if created:
        audit(actor=actor, verb="aid_budget.create", obj=budget, object_repr=f"{programme} · {node.name}",
              node_path=node.path, new={"total_fen": total_fen})
        return budget
    old = budget.total_fen
    used = budget_subtree_committed(programme.pk, node.path)
    if total_fen < used:
        raise ValidationError({"total_fen": _("预算不能低于本级及下级已审批占用的 %(c)s 元") % {"c": format_yuan(used)}})
    n = ProgrammeBudget.objects.filter(pk=budget.pk, committed_fen__lte=total_fen).update(total_fen=total_fen)
    budget.refresh_from_db()
    if not n:
        raise ValidationError({"total_fen": _("预算不能低于已审批占用的 %(c)s 元") % {"c": format_yuan(budget.committed_fen)}})
    audit(actor=actor, verb="aid_budget.update", obj=budget, object_repr=f"{programme} · {node.name}",
          node_path=node.path, old={"total_fen": old}, new={"total_fen": total_fen})
    return budget


def household_cap_above(node: UnionNode, year: int) -> HouseholdYearCap | None:
    """The tightest cap of `year` set above `node` (strict ancestors): what a cap at `node` may not exceed."""
    return _tightest(HouseholdYearCap.objects.filter(year=year, node_path__in=ancestor_paths(node.path)[:-1])
                     .select_related("node"), "cap_fen")


@transaction.atomic
def household_cap_set(*, actor, node: UnionNode, year: int, cap_fen: int) -> HouseholdYearCap:
    """A lower node can only tighten: a cap above the tightest cap set above `node` is refused (an upper
    node may still lower its cap below one set under it; the minimum along the path applies)."""
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, node.path)
    try:
        cap_fen = int(cap_fen)
    except (TypeError, ValueError):
        raise ValidationError({"cap_fen": _("上限金额无效")}) from None
    if cap_fen <= 0:
        raise ValidationError({"cap_fen": _("每户年度上限必须大于 0")})
    above = household_cap_above(node, year)
    if above is not None and cap_fen > above.cap_fen:
        raise ValidationError({"cap_fen": _("每户年度上限不能高于上级“%(node)s”设定的 %(cap)s 元")
                               % {"node": above.node.name, "cap": format_yuan(above.cap_fen)}})
    cap, created = HouseholdYearCap.objects.select_for_update().get_or_create(
        node=node, year=year, defaults={"node_path": node.path, "cap_fen": cap_fen})
    old = None if created else cap.cap_fen
    if not created:
        cap.cap_fen = cap_fen
        cap.save(update_fields=["cap_fen"])
    audit(actor=actor, verb="aid_cap.set", obj=cap, object_repr=f"{year} {node.name}", node_path=node.path,
          old={"cap_fen": old} if old is not None else None, new={"cap_fen": cap_fen})
    return cap


def household_cap_for(file: HardshipFile, year: int) -> HouseholdYearCap | None:
    """The cap that binds a household: the smallest set at the file's union or any node above it."""
    return _tightest(HouseholdYearCap.objects.filter(year=year, node_path__in=ancestor_paths(file.node_path))
                     .select_related("node"), "cap_fen")


# --- Applications --------------------------------------------------------------------------------------


def _check_amount(programme: AidProgramme, amount_fen) -> int:
    try:
        amount = int(amount_fen)
    except (TypeError, ValueError):
        raise ValidationError({"amount_fen": _("申请金额无效")}) from None
    if amount <= 0:
        raise ValidationError({"amount_fen": _("申请金额必须大于 0")})
    if programme.amount_mode == AmountMode.FIXED and amount != programme.amount_fen:
        raise ValidationError({"amount_fen": _("本项目为定额 %(a)s 元")
                               % {"a": format_yuan(programme.amount_fen)}})
    if amount > programme.amount_fen:
        raise ValidationError({"amount_fen": _("申请金额超过项目上限 %(a)s 元") % {"a": format_yuan(programme.amount_fen)}})
    return amount


def check_eligibility(programme: AidProgramme, file: HardshipFile) -> None:
    """Raise ValidationError (Chinese / English, naming the rule) when the file can't apply."""
    if programme.status != ProgrammeStatus.OPEN:
        raise ValidationError({"programme": _("项目“%(p)s”未在受理中")
                               % {"p": programme.name}})
    if file.status != FileStatus.OPEN:
        raise ValidationError({"file": _("档案 %(f)s 不是在档状态") % {"f": file.file_no}})
    if not file.node_path.startswith(programme.node_path):
        raise ValidationError({"file": _("档案 %(f)s 不在项目“%(p)s”的范围内") % {"f": file.file_no, "p": programme.name}})
    if programme.eligible_levels and file.level not in programme.eligible_levels:
        labels = "、".join(str(HardshipLevel(x).label) for x in programme.eligible_levels)
        raise ValidationError({"file": _("困难等级“%(l)s”不符合项目要求（%(a)s）") % {"l": file.get_level_display(), "a": labels}})
    if programme.required_causes:
        causes = set(file.causes.values_list("cause", flat=True))
        if not causes & set(programme.required_causes):
            labels = "、".join(str(HardshipCause(x).label) for x in programme.required_causes)
            raise ValidationError({"file": _("档案缺少项目要求的致困原因（%(c)s）") % {"c": labels}})


def _duplicate_error(programme, file) -> ValidationError:
    other = AidApplication.objects.filter(programme=programme, file=file,
                                          status__in=LIVE_APPLICATION_STATUSES).first()
    label = f"#{other.pk}（{other.get_status_display()}）" if other else ""
    return ValidationError({"file": _("该档案已有本项目的申请 %(a)s") % {"a": label}})


def _actor_for_application(actor, file: HardshipFile, via_portal: bool) -> None:
    """Staff need ASSIST and the file in scope. A worker's portal application (via_portal=True) is
    made by the portal view, which has already checked that the file is the worker's own."""
    if via_portal:
        return
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, file.node_path)


@transaction.atomic
def aid_application_create(*, actor, programme: AidProgramme, file: HardshipFile, amount_fen: int, reason: str,
                           via_portal: bool = False) -> AidApplication:
    _actor_for_application(actor, file, via_portal)
    file = HardshipFile.objects.select_for_update().get(pk=file.pk)
    programme = AidProgramme.objects.get(pk=programme.pk)
    check_eligibility(programme, file)
    amount = _check_amount(programme, amount_fen)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写申请理由")})
    if AidApplication.objects.filter(programme=programme, file=file, status__in=LIVE_APPLICATION_STATUSES).exists():
        raise _duplicate_error(programme, file)
    try:
        with transaction.atomic():
            app = AidApplication.objects.create(
                programme=programme, file=file, node_id=file.node_id, node_path=file.node_path,
                amount_requested_fen=amount, reason=reason.strip(), via_portal=via_portal,
                applied_by=actor if getattr(actor, "pk", None) else None)
    except IntegrityError:
        raise _duplicate_error(programme, file) from None
    audit(actor=actor, verb="aid_application.create", obj=app, node_path=app.node_path,
          new=snapshot(app, APPLICATION_FIELDS))
    return app


def application_for_write(actor, application: AidApplication, *, via_portal: bool = False) -> AidApplication:
    """Lock the application row (and check the actor may act on it)."""
    app = (AidApplication.objects.select_for_update(of=("self",)).select_related("programme", "file")
           .get(pk=application.pk))
    _actor_for_application(actor, app.file, via_portal)
    return app


@transaction.atomic
def aid_application_update(*, actor, application: AidApplication, amount_fen: int | None = None,
                           reason: str | None = None, via_portal: bool = False) -> AidApplication:
    app = application_for_write(actor, application, via_portal=via_portal)
    if app.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise ValidationError(_("只有草稿或退回的申请可以修改"))
    old = snapshot(app, APPLICATION_FIELDS)
    if amount_fen is not None:
        app.amount_requested_fen = _check_amount(app.programme, amount_fen)
    if reason is not None:
        if not reason.strip():
            raise ValidationError({"reason": _("请填写申请理由")})
        app.reason = reason.strip()
    app.save()
    audit(actor=actor, verb="aid_application.update", obj=app, node_path=app.node_path, old=old,
          new=snapshot(app, APPLICATION_FIELDS))
    return app


@transaction.atomic
def aid_application_submit(*, actor, application: AidApplication, via_portal: bool = False) -> AidApplication:
    """Draft or returned → submitted: eligibility is checked again (the file may have changed) and a new
    round of approval steps is created (see approval.build_steps)."""
    from .approval import build_steps

    app = application_for_write(actor, application, via_portal=via_portal)
    if app.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise ValidationError(_("申请当前状态为“%(s)s”，不能提交")
                              % {"s": app.get_status_display()})
    check_eligibility(app.programme, app.file)
    _check_amount(app.programme, app.amount_requested_fen)
    old = snapshot(app, APPLICATION_FIELDS)
    if app.status == ApplicationStatus.RETURNED:
        app.round += 1
    build_steps(app, actor=actor)
    app.status = ApplicationStatus.SUBMITTED
    app.current_step = 0
    app.amount_approved_fen = None
    app.submitted_at = timezone.now()
    app.save()
    audit(actor=actor, verb="aid_application.submit", obj=app, node_path=app.node_path, old=old,
          new=snapshot(app, APPLICATION_FIELDS))
    return app


@transaction.atomic
def aid_application_withdraw(*, actor, application: AidApplication, via_portal: bool = False) -> AidApplication:
    """The applicant pulls an application back before approval ends (draft, submitted, returned)."""
    app = application_for_write(actor, application, via_portal=via_portal)
    if app.status not in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
        raise ValidationError(_("申请当前状态为“%(s)s”，不能撤回")
                              % {"s": app.get_status_display()})
    old = app.status
    app.status = ApplicationStatus.WITHDRAWN
    app.save(update_fields=["status", "updated_at"])
    audit(actor=actor, verb="aid_application.withdraw", obj=app, node_path=app.node_path, old={"status": old},
          new={"status": app.status})
    return app

