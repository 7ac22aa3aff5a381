"""Approval chains up the union tree (审批链): one implementation for every domain that approves.

A domain has items (an aid application, a subsidy claim, an honour nomination) and a concrete step
table subclassing `models.ApprovalStepBase` with a foreign key to its item. It asks this module:

- `chain_nodes(origin, levels)`: the unions that decide, one per level that resolves on the origin's
  branch: step i is decided at the nearest ancestor-or-self of the origin whose level is levels[i] (the
  origin itself for a level it serves, e.g. a 联合工会 is the grassroots of its riders: the tree hook
  `origin_serves`). A level with no such union on the branch is SKIPPED, not refused, and so is a level
  that resolves to a union already in the chain.
- `chain_check_submittable` / `steps_create`: refuse a chain one person could decide alone
  (core.duties), then write the round's steps.
- `chains_resolve(requests, capability=…)`: for each item, who can act at each step, which steps are
  orphaned and who may act for them, in a fixed number of queries. `resolve_chain` under it is pure.
- `step_decide(…)`: decide the pending step, with every rule below checked; the domain then applies
  what the decision means for its item (the status, a budget, the next step) and writes its audit event
  in the same transaction, with `StepDecided.audit_fields`.

Rules (one answer for the page, the queue and the decision):
- Who can act at a step: the active staff holding the domain's approve capability at the step's very
  union, less the item's parties (its applicant and authors: nobody approves their own) and less whoever
  decided another step of the same round (nobody decides two steps of one round). An ancestor admin does
  not jump the queue: the district's decision is the district's.
- A step nobody can act on is ORPHANED (此环节暂无可审批人员). It is flagged to the nearest union above
  (the parent, or further up) where somebody can act by the same rule; its approvers may decide it for
  it (代为审批) and must say why: the reason is kept on the step (`acting_node`, `acting_reason`) and in
  the audit event. Orphaned is computed, never stored: once an approver is appointed at the step's
  union, the step is theirs again.
- Returned and rejected need a comment. Approval may reduce the amount (0 < amount <= the amount the
  step received), never raise it; a domain adds its own amount rule (a fixed amount) through
  `amount_rule`.

Hooks: the kernel imports no app above it. The spine registers in its AppConfig.ready():
`register_tree(nodes_at=…, steplen=…, origin_serves=…)` (orgs) and `register_approvers(…)` (accounts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import duties
from huigong.core.money import format_yuan
from huigong.core.scope import require

from .models import ApprovalDecision

DECISIONS = (ApprovalDecision.APPROVED, ApprovalDecision.RETURNED, ApprovalDecision.REJECTED)


# --- hooks ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Approver:
    user_id: int
    name: str


@dataclass
class _Hooks:
    nodes_at: Callable[[Iterable[str]], dict[str, Any]] | None = None
    steplen: int = 4
    origin_serves: Callable[[Any, str], bool] = lambda origin, level: False
    approvers: Callable[[Iterable[int], str], dict[int, list[Approver]]] | None = None


_hooks = _Hooks()


def register_tree(*, nodes_at: Callable[[Iterable[str]], dict[str, Any]], steplen: int,
                  origin_serves: Callable[[Any, str], bool] | None = None) -> None:
    """The union tree, as the chains see it: `nodes_at(paths)` -> {path: node} (a node has `pk`,
    `path`, `level`, `name`), the materialised path's step length, and whether an origin union serves a
    level itself (the grassroots rule)."""
    _hooks.nodes_at = nodes_at
    _hooks.steplen = steplen
    if origin_serves is not None:
        _hooks.origin_serves = origin_serves


def register_approvers(func: Callable[[Iterable[int], str], dict[int, list[Approver]]]) -> None:
    """`func(node_ids, capability)` -> {node_id: [Approver]}: the active accounts holding `capability` at
    each of those very unions, in a stable order."""
    _hooks.approvers = func


def _need(hook, name):
    if hook is None:
        raise RuntimeError(f"huigong.core.approvals: no {name} registered (the spine registers it in ready())")
    return hook


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of a node and all its ancestors, root first."""
    step = _hooks.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


def nodes_at(paths: Iterable[str]) -> dict[str, Any]:
    return _need(_hooks.nodes_at, "tree")(list(paths))


def approver_accounts(node_ids: Iterable[int], capability: str) -> dict[int, list[Approver]]:
    node_ids = list(node_ids)
    out = {n: [] for n in node_ids}
    out.update(_need(_hooks.approvers, "approver source")(node_ids, capability))
    return out


def approvers_at(node_ids: Iterable[int], capability: str) -> dict[int, set[int]]:
    """The active users who may decide a step at each node (the capability held at that very node)."""
    return {n: {a.user_id for a in accounts} for n, accounts in approver_accounts(node_ids, capability).items()}


# --- the chain -----------------------------------------------------------------------------------------


def chain_nodes(origin, levels: Sequence[str]) -> list[tuple[str, Any]]:
    """(level, node) for each level that resolves on the origin's branch (see the module doc)."""
    found = nodes_at(ancestor_paths(origin.path))
    branch = [found[p] for p in sorted(found, key=len, reverse=True)]  # self first, then up
    out, seen = [], set()
    for level in levels:
        if _hooks.origin_serves(origin, level):
            node = origin
        else:
            node = next((n for n in branch if n.level == level), None)
        if node is None or node.pk in seen:
            continue
        seen.add(node.pk)
        out.append((level, node))
    return out


@dataclass
class ChainStep:
    seq: int
    level: str
    node: Any
    approvers: list[Approver]  # every account holding the capability at the node
    able: list[Approver]  # of those, who may act on this item
    acting_node: Any = None  # orphaned: the union above that may act for it
    acting: list[Approver] = field(default_factory=list)  # ... and who there may act
    step: Any = None  # the stored step (None in a chain not yet submitted)

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
    subject: Any
    steps: list[ChainStep]
    parties: set[int]
    submitted: bool  # False: the steps a submission would create now (a draft, a returned item)
    current_seq: int | None = None  # the pending step's seq while the item is in approval

    @property
    def current(self) -> ChainStep | None:
        if not self.submitted or self.current_seq is None:
            return None
        return next((s for s in self.steps if s.seq == self.current_seq), None)

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

    def queue_place(self, node_id) -> tuple[bool, Any] | None:
        """Whether the current step belongs in the queue of union `node_id`: (True, None) when it is that
        union's own step, (True, the orphaned step's union) when that union acts for it, None otherwise."""
        cs = self.current
        if cs is None:
            return None
        if cs.node.pk == node_id:
            return True, None
        if cs.orphaned and cs.acting_node is not None and cs.acting_node.pk == node_id:
            return True, cs.node
        return None


def resolve_chain(pairs, *, branch: dict[str, Any], approvers: dict[int, list[Approver]],
                  parties: set[int]) -> list[ChainStep]:
    """Pure: the chain of `pairs` [(level, node, stored step or None)], given the nodes on the branch
    above (path -> node), the approver accounts at each of those nodes and the item's parties."""
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


@dataclass
class ChainRequest:
    """What a domain knows of one item: its steps [(level, node, stored step or None)], its parties
    (user ids), whether it is submitted, and the pending step's seq (None when not in approval)."""
    subject: Any
    pairs: list
    parties: set[int]
    submitted: bool
    current_seq: int | None = None


def chains_resolve(requests: Sequence[ChainRequest], *, capability: str) -> list[Chain]:
    """The chains of many items in two queries (the branch's unions, their approvers)."""
    requests = list(requests)
    if not requests:
        return []
    paths = {p for r in requests for _l, node, _s in r.pairs for p in ancestor_paths(node.path)}
    branch = nodes_at(paths)
    accounts = approver_accounts([n.pk for n in branch.values()], capability)
    return [Chain(subject=r.subject, parties=set(r.parties) - {None}, submitted=r.submitted,
                  current_seq=r.current_seq,
                  steps=resolve_chain(r.pairs, branch=branch, approvers=accounts, parties=set(r.parties) - {None}))
            for r in requests]


def chain_check_submittable(*, pairs, parties: Iterable, capability: str) -> None:
    """Refuse a chain that resolves to no union, or that one person could decide alone."""
    if not pairs:
        raise ValidationError(_("所在工会的上级中没有要求的任何审批层级"))
    who = approvers_at([node.pk for _level, node in pairs], capability)
    duties.ensure_chain_has_second_person(parties=parties, steps=[who[node.pk] for _level, node in pairs])


def steps_create(*, model: type[models.Model], owner: dict, round: int, pairs) -> list:
    """Write one round of steps of `model` (a subclass of ApprovalStepBase) for the item `owner` names
    ({"application": app})."""
    return model.objects.bulk_create([
        model(**owner, round=round, seq=i, node=node, node_path=node.path, level=level)
        for i, (level, node) in enumerate(pairs)])


# --- the decision --------------------------------------------------------------------------------------


def decision_check(decision: str) -> None:
    if decision not in DECISIONS:
        raise ValidationError({"decision": _("无效的审批意见")})


@dataclass
class StepDecided:
    step: Any
    decision: str
    amount_fen: int | None  # the approved amount (None unless approved)
    last: bool  # the chain's last step: an approval here approves the item
    acting: bool  # decided by the union above for an orphaned step
    comment: str
    audit_fields: dict  # what the item's audit event records of this decision


@transaction.atomic
def step_decide(*, actor, chain: Chain, step, decision: str, capability: str, comment: str = "",
                amount_fen: int | None = None, base_amount_fen: int | None = None,
                acting_reason: str = "", amount_rule: Callable[[int], None] | None = None) -> StepDecided:
    """Decide `step` (the stored, pending, current step of `chain`, locked by the caller with its item).
    Its own union decides it; when it has nobody able to act, an approver of the union above that the
    chain names may act for it, with a reason. Checks every rule of the module doc, then records the
    decision on the step. The caller applies it to the item and writes the audit event."""
    staff = require(actor, capability)
    decision_check(decision)
    if step is None or step.decision != ApprovalDecision.PENDING:
        raise ValidationError(_("没有待审批的环节"))
    cs = next((c for c in chain.steps if c.seq == step.seq), None)
    if cs is None:
        raise ValidationError(_("没有待审批的环节"))
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
    amount = None
    if decision == ApprovalDecision.APPROVED and base_amount_fen is not None:
        base = int(base_amount_fen)
        amount = base if amount_fen in (None, "") else int(amount_fen)
        if amount <= 0 or amount > base:
            raise ValidationError({"amount_fen": _("核定金额须大于 0 且不超过 %(a)s 元") % {"a": format_yuan(base)}})
        if amount_rule is not None:
            amount_rule(amount)
    step.decision = decision
    step.comment = comment
    step.amount_fen = amount
    step.decided_by = actor
    step.decided_at = timezone.now()
    fields = {"step": step.seq, "step_node": step.node.name, "comment": comment}
    if acting:
        step.acting_node = staff.node
        step.acting_reason = acting_reason
        fields.update({"acting_for": step.node.name, "acting_node": staff.node.name, "acting_reason": acting_reason})
    step.save()
    last = not any(c.seq > step.seq for c in chain.steps)
    return StepDecided(step=step, decision=decision, amount_fen=amount, last=last, acting=acting, comment=comment,
                       audit_fields=fields)
