"""Revocation (撤销称号): grounds, evidence and a decision up the tree to the level that granted the
title; at the last approval every title of the case is revoked, its certificate recalled and its
entitlements stopped in the same transaction. A case may hold many titles (batch revocation): one
decision, an audit event per title and one for the case."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import duties
from huigong.core.approvals import services as chains
from huigong.core.approvals.models import ApprovalDecision
from huigong.core.audit import audit
from huigong.core.scope import OutOfScope, ensure_path_in_scope, require, root_path
from huigong.core.uploads import check_upload
from huigong.orgs.models import NodeLevel, UnionNode

from ..models import (
    Honour,
    HonourEvent,
    HonourStatus,
    RevocationCase,
    RevocationGround,
    RevocationItem,
    RevocationStatus,
    RevocationStep,
    TitleLevel,
)
from .common import DECIDE, HONOUR, tell
from .entitlements import entitlements_stop

# The chain climbs to the level that granted the title.
CHAIN_TO = {
    TitleLevel.DISTRICT: [NodeLevel.DISTRICT],
    TitleLevel.CITY: [NodeLevel.DISTRICT, NodeLevel.CITY],
    TitleLevel.PROVINCE: [NodeLevel.DISTRICT, NodeLevel.CITY, NodeLevel.PROVINCE],
    TitleLevel.NATIONAL: [NodeLevel.DISTRICT, NodeLevel.CITY, NodeLevel.PROVINCE, NodeLevel.NATIONAL],
}
ORDER = list(TitleLevel.values)  # national first


def case_parties(case: RevocationCase) -> set[int]:
    return {case.created_by_id} - {None}


def case_chain(case: RevocationCase) -> chains.Chain:
    stored = list(RevocationStep.objects.filter(case=case, round=case.round).select_related("node"))
    pairs = [(s.level, s.node, s) for s in stored]
    req = chains.ChainRequest(subject=case, pairs=pairs, parties=case_parties(case), submitted=True,
                              current_seq=case.current_seq if case.status == RevocationStatus.IN_APPROVAL else None)
    return chains.chains_resolve([req], capability=DECIDE)[0]


@transaction.atomic
def revocation_propose(*, actor, node: UnionNode, honours, ground: str, grounds_text: str, evidence) -> RevocationCase:
    require(actor, HONOUR)
    ensure_path_in_scope(actor, node.path)
    errors: dict[str, list[str]] = {}
    if ground not in RevocationGround.values:
        errors["ground"] = [_("请选择撤销依据")]
    if len((grounds_text or "").strip()) < 10:
        errors["grounds_text"] = [_("请写明事实与理由（至少 10 个字）")]
    if evidence is None:
        errors["evidence"] = [_("请上传证据材料（判决书、处分决定等）")]
    ids = sorted({h.pk for h in honours})
    if not ids:
        errors["honours"] = [_("请至少选择一项荣誉")]
    if errors:
        raise ValidationError(errors)
    checked = check_upload(evidence, field_label=str(_("证据材料")))
    locked = list(Honour.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    for h in locked:
        if not h.node_path.startswith(node.path):
            raise ValidationError({"honours": [_("%(n)s 的荣誉不在“%(u)s”范围内") % {"n": h.holder_name, "u": node.name}]})
        if h.status != HonourStatus.ACTIVE:
            raise ValidationError({"honours": [_("%(n)s 的荣誉当前状态为“%(s)s”") % {
                "n": h.holder_name, "s": h.get_status_display()}]})
        if RevocationItem.objects.filter(honour=h, case__status=RevocationStatus.IN_APPROVAL).exists():
            raise ValidationError({"honours": [_("%(n)s 的荣誉已有撤销申请在审批中") % {"n": h.holder_name}]})
    top = min((h.level for h in locked), key=ORDER.index)
    levels = [lv for lv in CHAIN_TO[top]]
    pairs = chains.chain_nodes(node, levels)
    chains.chain_check_submittable(pairs=pairs, parties={actor.pk}, capability=DECIDE)
    case = RevocationCase(node=node, node_path=node.path, ground=ground, grounds_text=grounds_text.strip(),
                          evidence_type=checked.content_type, levels=levels, current_seq=0, created_by=actor)
    case.evidence.save(f"evidence.{checked.extension}", evidence, save=False)
    case.save()
    RevocationItem.objects.bulk_create([RevocationItem(case=case, honour=h) for h in locked])
    chains.steps_create(model=RevocationStep, owner={"case": case}, round=case.round, pairs=pairs)
    audit(actor=actor, verb="revocation.propose", obj=case, node_path=node.path,
          new={"ground": ground, "honours": ids, "levels": levels})
    return case


@transaction.atomic
def revocation_decide(*, actor, case: RevocationCase, decision: str, comment: str = "",
                      acting_reason: str = "") -> RevocationCase:
    """A decision at the current level; "returned" is not offered (a case is decided, or a new one filed)."""
    require(actor, DECIDE)
    case = RevocationCase.objects.select_for_update().get(pk=case.pk)
    root = root_path(actor)
    if not case.node_path.startswith(root) and not root.startswith(case.node_path[:len(root)]):
        raise OutOfScope
    step = RevocationStep.objects.filter(case=case, round=case.round).select_related("node").filter(
        seq=case.current_seq).first() if case.status == RevocationStatus.IN_APPROVAL else None
    if step is None:
        raise ValidationError(_("没有待审批的环节"))
    if not (step.node.path.startswith(root) or root.startswith(step.node.path)):
        raise OutOfScope
    if decision == ApprovalDecision.RETURNED:
        raise ValidationError({"decision": [_("撤销申请只能同意或不同意")]})
    done = chains.step_decide(actor=actor, chain=case_chain(case), step=step, decision=decision, capability=DECIDE,
                              comment=comment, acting_reason=acting_reason)
    revoked = []
    if decision == ApprovalDecision.APPROVED and not done.last:
        case.current_seq += 1
    elif decision == ApprovalDecision.APPROVED:
        case.status, case.current_seq, case.decided_at = RevocationStatus.REVOKED, None, timezone.now()
        revoked = _revoke(actor, case)
    else:
        case.status, case.current_seq, case.decided_at = RevocationStatus.REJECTED, None, timezone.now()
    case.save(update_fields=["status", "current_seq", "decided_at"])
    audit(actor=actor, verb="revocation.decide", obj=case, node_path=case.node_path,
          new={"decision": decision, "status": case.status, "revoked": [h.pk for h in revoked], **done.audit_fields})
    return case


def _revoke(actor, case: RevocationCase) -> list[Honour]:
    now = timezone.now()
    honours = list(Honour.objects.select_for_update(of=("self",)).filter(revocation_items__case=case).select_related("person"))
    reason = _("撤销：%(g)s（撤销决定 #%(c)d）") % {"g": case.get_ground_display(), "c": case.pk}
    for h in honours:
        if h.status != HonourStatus.ACTIVE:
            continue
        h.status, h.status_changed_at, h.certificate_recalled_at = HonourStatus.REVOKED, now, now
        h.save(update_fields=["status", "status_changed_at", "certificate_recalled_at"])
        HonourEvent.objects.create(honour=h, from_status=HonourStatus.ACTIVE, to_status=HonourStatus.REVOKED,
                                   reason=reason[:255], actor=actor)
        stopped = entitlements_stop(honours=[h], reason=str(reason))
        audit(actor=actor, verb="honour.revoke", obj=h, node_path=h.node_path, old={"status": HonourStatus.ACTIVE},
              new={"status": HonourStatus.REVOKED, "case": case.pk, "ground": case.ground,
                   "certificate_recalled": True, "entitlements_stopped": stopped})
        tell(h.person, event="honour.revoked", key=f"honour:{h.pk}:revoked",
             title=_("荣誉称号已撤销：%(t)s") % {"t": f"{h.get_level_display()}{h.get_title_type_display()}"},
             body=_("依据：%(g)s。证书收回，相关待遇自即日起停止。") % {"g": case.get_ground_display()},
             node_path=h.node_path)
    return honours


__all__ = ["revocation_propose", "revocation_decide", "case_chain", "duties"]
