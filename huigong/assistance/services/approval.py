"""Approval up the tree (审批).

Rules (decided here, tested in tests/test_approval.py):
- Steps are created on each submission, one round at a time, from programme.approval_levels: step i is
  decided at the nearest ancestor-or-self of the file's union whose level is approval_levels[i]; for
  "grassroots" the applying union itself counts when it holds memberships (a 联合工会 is the grassroots
  of its riders).
- A level with no such node on the file's branch (e.g. a city with no district in between) is SKIPPED,
  not refused: the branch simply has fewer steps. A level that resolves to a node already in the round
  is skipped too. If no level resolves at all, submission is refused.
- Who decides a step is the kernel's approval-chain service (huigong/core/approvals/services.py, whose
  module doc states the rules): only a holder of APPROVE whose own node IS the step's node decides it,
  except a step nobody can act on, which the nearest union above with someone able decides for it
  (代为审批) with a recorded reason; nobody approves their own; nobody decides two steps of one round;
  an approval may reduce the amount. `approval_chain(s)` and `approval_decide` below give it an aid
  application's chain and apply its decisions (budget, household cap, status).
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

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core import duties
from huigong.core.approvals import services as chains
from huigong.core.approvals.services import Approver, Chain, ChainStep, resolve_chain  # noqa: F401
from huigong.core.audit import audit, snapshot
from huigong.core.money import format_yuan
from huigong.core.scope import require
from huigong.orgs.models import UnionNode

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
    return chains.chain_nodes(file_node, levels)


def approver_accounts(node_ids) -> dict[int, list[Approver]]:
    """The active staff accounts holding APPROVE at each node (at that very node), by name."""
    return chains.approver_accounts(node_ids, Cap.APPROVE)


def approvers_at(node_ids) -> dict[int, set[int]]:
    """The active users who may decide a step at each node (APPROVE held at that very node)."""
    return chains.approvers_at(node_ids, Cap.APPROVE)


# Who wrote an application: they may not decide it (core/duties.py).
AUTHOR_VERBS = ("aid_application.create", "aid_application.update", "aid_application.submit")


def application_parties(app: AidApplication) -> set[int]:
    return ({app.applied_by_id} | duties.authors(app, AUTHOR_VERBS)) - {None}


# --- the chain: who can act at each step, which steps are orphaned, who may act for them ----------------
#
# The kernel's approval-chain service (huigong/core/approvals/services.py) answers it, for aid as for
# every other domain: its module doc states the rules (who can act, orphaned steps flagged to the union
# above, 代为审批 with a recorded reason, nobody decides two steps of one round, nobody approves their
# own, reduced amounts). This module tells it what an aid application's chain is made of: the
# programme's approval levels from the file's union, the stored steps of the current round, and the
# application's parties; `approval_chains` does it for many applications in a fixed number of queries.


def _in_approval(app: AidApplication) -> bool:
    return app.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)


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
    authors = duties.authors_of_many(AidApplication, ids, AUTHOR_VERBS)
    extra = duties.user_ids(extra_parties)
    requests = []
    for a in apps:
        if not _in_approval(a) or not stored.get(a.pk):
            file_node = UnionNode.objects.get(pk=a.file.node_id)
            pairs = [(level, node, None) for level, node in approval_nodes(file_node, a.programme.approval_levels)]
        else:
            pairs = [(s.level, s.node, s) for s in stored[a.pk]]
        requests.append(chains.ChainRequest(
            subject=a, pairs=pairs, parties=({a.applied_by_id} | authors.get(a.pk, set()) | extra) - {None},
            submitted=_in_approval(a),
            current_seq=a.current_step if a.status == ApplicationStatus.SUBMITTED else None))
    return {c.subject.pk: c for c in chains.chains_resolve(requests, capability=Cap.APPROVE)}


def approval_chain(app: AidApplication, *, extra_parties=()) -> Chain:
    return approval_chains([app], extra_parties=extra_parties)[app.pk]


def build_steps(app: AidApplication, *, actor=None) -> list[ApprovalStep]:
    pairs = approval_nodes(UnionNode.objects.get(pk=app.file.node_id), app.programme.approval_levels)
    if not pairs:
        raise ValidationError({"programme": _("档案所在工会的上级中没有项目要求的任何审批层级")})
    chains.chain_check_submittable(pairs=pairs, parties=application_parties(app) | duties.user_ids([actor]),
                                   capability=Cap.APPROVE)
    return chains.steps_create(model=ApprovalStep, owner={"application": app}, round=app.round, pairs=pairs)


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
    """Decide the pending step through the kernel's `step_decide` (its own union decides it; when it has
    nobody able to act, an approver of the union above that the chain names may act for it, with a
    reason), then apply the decision: the next step, or at the last one the household cap, the budget
    reservation and APPROVED; RETURNED or REJECTED."""
    require(actor, Cap.APPROVE)
    chains.decision_check(decision)
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
    old = snapshot(app, APPLICATION_FIELDS)

    def fixed_amount(amount: int) -> None:
        if app.programme.amount_mode == AmountMode.FIXED and amount != app.programme.amount_fen:
            raise ValidationError({"amount_fen": _("本项目为定额 %(a)s 元")
                                   % {"a": format_yuan(app.programme.amount_fen)}})

    done = chains.step_decide(actor=actor, chain=approval_chain(app), step=step, decision=decision,
                              capability=Cap.APPROVE, comment=comment, amount_fen=amount_fen,
                              base_amount_fen=app.amount_approved_fen or app.amount_requested_fen,
                              acting_reason=acting_reason, amount_rule=fixed_amount)
    if decision == ApprovalDecision.APPROVED:
        amount = done.amount_fen
        if done.last:
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
    app.save()
    audit(actor=actor, verb=f"aid_application.{decision}", obj=app, node_path=app.node_path, old=old,
          new={**snapshot(app, APPLICATION_FIELDS), **done.audit_fields})
    notifications.aid_decided(app)
    return app
