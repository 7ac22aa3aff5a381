"""Approval up the tree (审批).

Rules (decided here, tested in tests/test_approval.py):
- Steps are created on each submission, one round at a time, from programme.approval_levels: step i is
  decided at the nearest ancestor-or-self of the file's union whose level is approval_levels[i]; for
  "grassroots" the applying union itself counts when it holds memberships (a 联合工会 is the grassroots
  of its riders).
- A level with no such node on the file's branch (e.g. a city with no district in between) is SKIPPED,
  not refused: the branch simply has fewer steps. A level that resolves to a node already in the round
  is skipped too. If no level resolves at all, submission is refused.
- Only a holder of APPROVE whose own node IS the step's node decides it. An ancestor admin does not
  jump the queue: the district's decision is the district's. The one exception is a step nobody can act
  on (no approver at that union, or only the application's parties): it is flagged to the nearest union
  above with someone able, whose approver may act for it (代为审批) with a recorded reason. Nobody
  decides two steps of one round. See `approval_chain` (who can act at each step, which steps are
  orphaned, who may act for them), used by the page, the queue and `approval_decide`.
- `current_step` is the seq of the pending step within the current round.
- approved at the last step: the budget of the nearest ancestor-or-self node of the file that has a
  budget for the programme is reserved by one conditional UPDATE (committed + amount <= total), after
  every budget above it on the path has been checked for room (what its subtree committed + amount <=
  its total: limits nest, the tightest wins); the household year cap (the smallest cap of that year at
  or above the file's union, across programmes: approved + in notice + notice ended + paid) counts the HOUSEHOLD, not the file: every file sharing a member's ID number (blind index) or
  the head with this one, so closing a file and opening a new one does not reset the year. It is
  checked with all those file rows locked (in pk order), so two approvals for one household serialise.
  Either refusal writes nothing.
- returned: the round ends, the applicant corrects and resubmits (round + 1, new steps; history kept).
  rejected: the application ends. Both need a comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import ROLE_CAPS, Cap, StaffProfile
from huigong.core import duties
from huigong.core.audit import audit, snapshot
from huigong.core.money import format_yuan
from huigong.core.scope import require
from huigong.orgs.models import MEMBERSHIP_LEVELS, NodeLevel, UnionNode

from .. import notifications
from ..models import (
    AidApplication,
    AmountMode,
    ApplicationStatus,
    ApprovalDecision,
    ApprovalStep,
    FileMember,
    HardshipFile,
    ProgrammeBudget,
)
from .aid import APPLICATION_FIELDS, ancestor_paths, budget_subtree_committed, household_cap_for

# Statuses whose approved amount counts against the household's year cap.
CAP_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.NOTICE, ApplicationStatus.NOTICE_ENDED,
                ApplicationStatus.PAID)


def approval_nodes(file_node: UnionNode, levels: list[str]) -> list[tuple[str, UnionNode]]:
    """(level, node) for each approval level that resolves on the file's branch (see module doc)."""
    chain = {n.path: n for n in UnionNode.objects.filter(path__in=ancestor_paths(file_node.path))}
    branch = [chain[p] for p in sorted(chain, key=len, reverse=True)]  # self first, then up
    out, seen = [], set()
    for level in levels:
        node = None
        if level == NodeLevel.GRASSROOTS and file_node.level in MEMBERSHIP_LEVELS:
            node = file_node
        else:
            node = next((n for n in branch if n.level == level), None)
        if node is None or node.pk in seen:
            continue
        seen.add(node.pk)
        out.append((level, node))
    return out


def approver_accounts(node_ids) -> dict[int, list[Approver]]:
    """The active staff accounts holding APPROVE at each node (at that very node), by name."""
    roles = [r for r, caps in ROLE_CAPS.items() if Cap.APPROVE in caps]
    out: dict[int, list[Approver]] = {n: [] for n in node_ids}
    rows = (StaffProfile.objects.filter(node_id__in=list(node_ids), role__in=roles, user__is_active=True)
            .values_list("node_id", "user_id", "display_name", "user__username").order_by("node_id", "user_id"))
    for node_id, user_id, name, username in rows:
        out[node_id].append(Approver(user_id, name or username))
    return out


def approvers_at(node_ids) -> dict[int, set[int]]:
    """The active users who may decide a step at each node (APPROVE held at that very node)."""
    return {n: {a.user_id for a in accounts} for n, accounts in approver_accounts(node_ids).items()}


# Who wrote an application: they may not decide it (core/duties.py).
AUTHOR_VERBS = ("aid_application.create", "aid_application.update", "aid_application.submit")


def application_parties(app: AidApplication) -> set[int]:
    return ({app.applied_by_id} | duties.authors(app, AUTHOR_VERBS)) - {None}


# --- the chain: who can act at each step, which steps are orphaned, who may act for them ----------------
#
# One answer for the page, the queue and the decision service (and, later, the kernel's approval-chain
# service, issue 16). `resolve_chain` is pure: it is given plain data and reads nothing. `approval_chains`
# loads that data for many applications in a fixed number of queries; `approval_chain` is the one-off.
#
# Rules:
# - Who can act at a step: the active staff holding APPROVE at the step's node, less the application's
#   parties (applicant and authors: nobody decides their own) and less whoever decided another step of
#   the same round (nobody decides twice in one round).
# - A step nobody can act on is ORPHANED (此环节暂无可审批人员). It is flagged to the level above: the
#   nearest union above the step's node (its parent, or further up when the parent has nobody able
#   either) where somebody can act, by the same rule. Those approvers see it in 待我审批 as 代为审批 and
#   may decide it with a recorded reason (ApprovalStep.acting_node / acting_reason, and the audit event).
# - Orphaned is computed, never stored: once an approver is appointed at the step's union, the step is
#   theirs again and the level above no longer acts for it.


@dataclass(frozen=True)
class Approver:
    user_id: int
    name: str


@dataclass
class ChainStep:
    seq: int
    level: str
    node: UnionNode
    approvers: list[Approver]  # every account holding APPROVE at the node
    able: list[Approver]  # of those, who may act on this application
    acting_node: UnionNode | None = None  # orphaned: the union above that may act for it
    acting: list[Approver] = field(default_factory=list)  # ... and who there may act
    step: ApprovalStep | None = None  # the stored step (None in a chain not yet submitted)

    @property
    def orphaned(self) -> bool:
        return not self.able

    @property
    def pending(self) -> bool:
        return self.step is None or self.step.decision == ApprovalDecision.PENDING

    def may_act(self, user_id) -> str:
        """"own" when the user decides this step at its own union, "acting" when they may act for it
        from the union above, "" otherwise."""
        if any(a.user_id == user_id for a in self.able):
            return "own"
        if any(a.user_id == user_id for a in self.acting):
            return "acting"
        return ""


@dataclass
class Chain:
    application: AidApplication
    steps: list[ChainStep]
    parties: set[int]
    submitted: bool  # False: the steps a submission would create now (draft or returned)

    @property
    def current(self) -> ChainStep | None:
        if not self.submitted or self.application.status != ApplicationStatus.SUBMITTED:
            return None
        return next((s for s in self.steps if s.seq == self.application.current_step), None)

    @property
    def orphaned(self) -> list[ChainStep]:
        return [s for s in self.steps if s.pending and s.orphaned]

    def blocked_reason(self, user_id) -> str:
        """Why an approver of the current step's union (or of the union acting for it) may not act."""
        if user_id in self.parties:
            return _("职责分离：您申请或经办了此事项，不能审批")
        if any(s.step is not None and s.step.decided_by_id == user_id for s in self.steps):
            return _("职责分离：您已审批过本轮的另一环节，不能再审批此环节")
        return ""


def resolve_chain(pairs, *, branch: dict[str, UnionNode], approvers: dict[int, list[Approver]],
                  parties: set[int]) -> list[ChainStep]:
    """Pure: the chain of `pairs` [(level, node, stored step or None)], given the nodes on the branch
    above (path -> node), the approver accounts at each of those nodes and the application's parties."""
    decided = {p[2].decided_by_id: p[2].seq for p in pairs
               if p[2] is not None and p[2].decision != ApprovalDecision.PENDING and p[2].decided_by_id}
    out = []
    for seq, (level, node, stored) in enumerate(pairs):
        seq = stored.seq if stored is not None else seq

        def able_at(node_id, _seq=seq):
            return [a for a in approvers.get(node_id, []) if a.user_id not in parties
                    and decided.get(a.user_id, _seq) == _seq]

        cs = ChainStep(seq=seq, level=level, node=node, approvers=list(approvers.get(node.pk, [])),
                       able=able_at(node.pk), step=stored)
        if cs.orphaned:
            for path in reversed(ancestor_paths(node.path)[:-1]):  # parent first, then up
                above = branch.get(path)
                who = able_at(above.pk) if above is not None else []
                if who:
                    cs.acting_node, cs.acting = above, who
                    break
        out.append(cs)
    return out


def approval_chains(apps, *, extra_parties=()) -> dict[int, Chain]:
    """The chain of each application: for a submitted one (or one decided since), its current round's
    steps; for a draft or returned one, the steps a submission would create now. `extra_parties` are
    counted as parties of every application (the user about to submit it). A fixed number of queries."""
    apps = list(apps)
    if not apps:
        return {}
    ids = [a.pk for a in apps]
    stored: dict[int, list[ApprovalStep]] = {}
    for s in (ApprovalStep.objects.filter(application_id__in=ids, round=F("application__round"))
              .select_related("node", "acting_node", "decided_by").order_by("application_id", "seq")):
        stored.setdefault(s.application_id, []).append(s)
    pairs: dict[int, list] = {}
    for a in apps:
        if a.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED) or not stored.get(a.pk):
            file_node = UnionNode.objects.get(pk=a.file.node_id)
            pairs[a.pk] = [(level, node, None) for level, node in approval_nodes(file_node, a.programme.approval_levels)]
        else:
            pairs[a.pk] = [(s.level, s.node, s) for s in stored[a.pk]]
    paths = {p for ps in pairs.values() for _l, node, _s in ps for p in ancestor_paths(node.path)}
    branch = {n.path: n for n in UnionNode.objects.filter(path__in=paths)}
    accounts = approver_accounts([n.pk for n in branch.values()])
    authors = duties.authors_of_many(AidApplication, ids, AUTHOR_VERBS)
    extra = duties.user_ids(extra_parties)
    out = {}
    for a in apps:
        parties = ({a.applied_by_id} | authors.get(a.pk, set()) | extra) - {None}
        out[a.pk] = Chain(application=a, parties=parties,
                          submitted=a.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED),
                          steps=resolve_chain(pairs[a.pk], branch=branch, approvers=accounts, parties=parties))
    return out


def approval_chain(app: AidApplication, *, extra_parties=()) -> Chain:
    return approval_chains([app], extra_parties=extra_parties)[app.pk]


def build_steps(app: AidApplication, *, actor=None) -> list[ApprovalStep]:
    pairs = approval_nodes(UnionNode.objects.get(pk=app.file.node_id), app.programme.approval_levels)
    if not pairs:
        raise ValidationError({"programme": _("档案所在工会的上级中没有项目要求的任何审批层级")})
    who = approvers_at([node.pk for _level, node in pairs])
    duties.ensure_chain_has_second_person(parties=application_parties(app) | duties.user_ids([actor]),
                                          steps=[who[node.pk] for _level, node in pairs])
    return ApprovalStep.objects.bulk_create([
        ApprovalStep(application=app, round=app.round, seq=i, node=node, node_path=node.path, level=level)
        for i, (level, node) in enumerate(pairs)])


def current_step(app: AidApplication) -> ApprovalStep | None:
    return app.steps.filter(round=app.round, seq=app.current_step).select_related("node").first()


def reserve_budget(app: AidApplication, amount: int) -> ProgrammeBudget:
    """Reserve `amount` in the budget of the nearest ancestor-or-self node of the file that has one.
    Budgets nest: every budget on the path must have room for what its node and the nodes under it
    have committed plus this amount (the tightest wins). The path's budgets are locked root first (the
    order programme_budget_set uses), so approvals under one budget serialise on it."""
    path = list(ProgrammeBudget.objects.select_for_update().filter(
        programme_id=app.programme_id, node_path__in=ancestor_paths(app.file.node_path))
        .select_related("node").order_by("node_path"))
    if not path:
        raise ValidationError(_("项目“%(p)s”在本档案所在范围内没有预算") % {"p": app.programme.name})
    budget = path[-1]
    # Every budget on the path counts what its node and the nodes under it committed (budgets held below
    # a node draw on its budget too); the tightest refuses.
    for b in path:
        left = b.total_fen - budget_subtree_committed(app.programme_id, b.node_path)
        if amount <= left:
            continue
        if b is budget:
            raise ValidationError(_("预算不足：%(node)s 的预算余额 %(left)s 元，不足 %(amt)s 元") % {
                "node": b.node.name, "left": format_yuan(max(left, 0)), "amt": format_yuan(amount)})
        raise ValidationError(_("预算不足：上级“%(node)s”的预算（含下级已占用）余额 %(left)s 元，不足 %(amt)s 元")
                              % {"node": b.node.name, "left": format_yuan(max(left, 0)), "amt": format_yuan(amount)})
    # The conditional UPDATE is the backstop (with the CHECKs) whatever the reads above saw.
    n = (ProgrammeBudget.objects.filter(pk=budget.pk, committed_fen__lte=F("total_fen") - amount)
         .update(committed_fen=F("committed_fen") + amount))
    if not n:
        budget.refresh_from_db()
        raise ValidationError(_("预算不足：%(node)s 的预算余额 %(left)s 元，不足 %(amt)s 元") % {
            "node": budget.node.name, "left": format_yuan(budget.total_fen - budget.committed_fen),
            "amt": format_yuan(amount)})
    return budget


def release_budget(app: AidApplication) -> None:
    """Give an approved-but-unpaid application's reservation back to its budget."""
    if app.budget_id and app.amount_approved_fen:
        n = (ProgrammeBudget.objects.filter(pk=app.budget_id, committed_fen__gte=F("paid_fen") + app.amount_approved_fen)
             .update(committed_fen=F("committed_fen") - app.amount_approved_fen))
        if not n:  # the CHECKs would refuse anyway; say why
            raise ValidationError(_("预算占用数据不一致，无法释放"))


def household_file_ids(file_id: int) -> list[int]:
    """The files of one household: this file and every file sharing a member's ID number or the head."""
    hashes = [h for h in FileMember.objects.filter(file_id=file_id).values_list("id_number_hash", flat=True) if h]
    ids = {file_id}
    ids.update(FileMember.objects.filter(id_number_hash__in=hashes).values_list("file_id", flat=True))
    head = HardshipFile.objects.filter(pk=file_id).values_list("head_id", flat=True).first()
    if head:
        ids.update(HardshipFile.objects.filter(head_id=head).values_list("pk", flat=True))
    return sorted(ids)


def check_household_cap(app: AidApplication, amount: int, file_ids: list[int] | None = None) -> None:
    """Called with the household's file rows locked."""
    year = app.programme.year
    cap = household_cap_for(app.file, year)
    if cap is None:
        return
    file_ids = file_ids or household_file_ids(app.file_id)
    used = (AidApplication.objects.filter(file_id__in=file_ids, programme__year=year, status__in=CAP_STATUSES)
            .exclude(pk=app.pk).aggregate(s=Sum("amount_approved_fen"))["s"] or 0)
    if used + amount > cap.cap_fen:
        raise ValidationError(_("超过每户年度上限：%(node)s 规定 %(year)s 年每户不超过 %(cap)s 元，本户已获 %(used)s 元，本次 %(amt)s 元") % {
            "node": cap.node.name, "year": year, "cap": format_yuan(cap.cap_fen), "used": format_yuan(used),
            "amt": format_yuan(amount)})


@transaction.atomic
def approval_decide(*, actor, application: AidApplication, decision: str, comment: str = "",
                    amount_fen: int | None = None, acting_reason: str = "") -> AidApplication:
    """Decide the pending step. The step's own union decides it; when it has nobody able to act
    (approval_chain), an approver of the union above that the chain names may act for it, and must say
    why (`acting_reason`, recorded on the step and in the audit event)."""
    staff = require(actor, Cap.APPROVE)
    if decision not in (ApprovalDecision.APPROVED, ApprovalDecision.RETURNED, ApprovalDecision.REJECTED):
        raise ValidationError({"decision": _("无效的审批意见")})
    # Lock order everywhere: the household's files (pk order), then application, then budget.
    household = household_file_ids(application.file_id)
    list(HardshipFile.objects.select_for_update().filter(pk__in=household).order_by("pk").only("pk"))
    app = (AidApplication.objects.select_for_update(of=("self",)).select_related("programme", "file")
           .get(pk=application.pk))
    if app.status != ApplicationStatus.SUBMITTED:
        raise ValidationError(_("申请当前状态为“%(s)s”，不在审批中")
                              % {"s": app.get_status_display()})
    step = current_step(app)
    if step is None or step.decision != ApprovalDecision.PENDING:
        raise ValidationError(_("没有待审批的环节"))
    chain = approval_chain(app)
    cs = next(c for c in chain.steps if c.seq == step.seq)
    acting = staff.node_id != step.node_id
    if acting and not (cs.orphaned and cs.acting_node is not None and cs.acting_node.pk == staff.node_id):
        raise PermissionDenied(_("本环节应由“%(n)s”审批") % {"n": step.node.name})
    duties.ensure_not_party(actor, chain.parties)
    if any(c.step is not None and c.seq != step.seq and c.step.decided_by_id == actor.pk for c in chain.steps):
        raise duties.DutyConflict(_("职责分离：您已审批过本轮的另一环节，不能再审批此环节"))
    acting_reason = (acting_reason or "").strip()
    if acting and not acting_reason:
        raise ValidationError({"acting_reason": _("代为审批须填写原因：说明“%(n)s”为何无人审批") % {"n": step.node.name}})
    comment = (comment or "").strip()
    if decision != ApprovalDecision.APPROVED and not comment:
        raise ValidationError({"comment": _("退回或不同意时请填写审批意见")})
    old = snapshot(app, APPLICATION_FIELDS)
    last = not app.steps.filter(round=app.round, seq__gt=step.seq).exists()
    amount = None
    if decision == ApprovalDecision.APPROVED:
        base = app.amount_approved_fen or app.amount_requested_fen
        amount = base if amount_fen in (None, "") else int(amount_fen)
        if amount <= 0 or amount > base:
            raise ValidationError({"amount_fen": _("核定金额须大于 0 且不超过 %(a)s 元") % {"a": format_yuan(base)}})
        if app.programme.amount_mode == AmountMode.FIXED and amount != app.programme.amount_fen:
            raise ValidationError({"amount_fen": _("本项目为定额 %(a)s 元")
                                   % {"a": format_yuan(app.programme.amount_fen)}})
        if last:
            check_household_cap(app, amount, household)
            app.budget = reserve_budget(app, amount)
            app.status = ApplicationStatus.APPROVED
            app.approved_at = timezone.now()
        else:
            app.current_step = step.seq + 1
        app.amount_approved_fen = amount
    elif decision == ApprovalDecision.RETURNED:
        app.status = ApplicationStatus.RETURNED
        app.amount_approved_fen = None
    else:
        app.status = ApplicationStatus.REJECTED
        app.amount_approved_fen = None
    step.decision = decision
    step.comment = comment
    step.amount_fen = amount
    step.decided_by = actor
    step.decided_at = timezone.now()
    extra = {}
    if acting:
        step.acting_node = staff.node
        step.acting_reason = acting_reason
        extra = {"acting_for": step.node.name, "acting_node": staff.node.name, "acting_reason": acting_reason}
    step.save()
    app.save()
    audit(actor=actor, verb=f"aid_application.{decision}", obj=app, node_path=app.node_path, old=old,
          new={**snapshot(app, APPLICATION_FIELDS), "step": step.seq, "step_node": step.node.name,
               "comment": comment, **extra})
    notifications.aid_decided(app)
    return app
