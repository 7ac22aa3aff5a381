"""Nomination campaigns: the campaign with its composition rules (data) and quotas, each node's list,
the live composition meter, submission up the kernel's approval chain and the decisions on it.

The meter is the one check: the page draws it, and `list_submit` refuses with the same rows, so a list
cannot go up while a rule is broken."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import duties
from huigong.core.approvals import services as chains
from huigong.core.approvals.models import ApprovalDecision
from huigong.core.audit import audit
from huigong.core.scope import OutOfScope, ensure_path_in_scope, require, root_path
from huigong.members.models import Gender, Membership, MembershipStatus, Person
from huigong.orgs.models import NodeLevel, UnionNode

from ..models import (
    Attribute,
    Campaign,
    CampaignStatus,
    CompositionRule,
    HolderKind,
    ListStatus,
    NominationList,
    NominationStep,
    Nominee,
    NomineeStatus,
    Quota,
    RuleOp,
    TitleLevel,
    TitleType,
)
from .common import DECIDE, HONOUR, visible_from

LEVELS = [v for v in NodeLevel.values]


# --- the campaign -----------------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(*, actor, node: UnionNode, title: str, title_type: str, level: str, year: int,
                    granting_body: str, levels: list[str], departments: list[str],
                    rules: list[tuple[str, str, int]] = (), quotas: list[tuple[UnionNode, int]] = ()) -> Campaign:
    require(actor, HONOUR)
    ensure_path_in_scope(actor, node.path)
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("请填写评选名称")]
    if title_type not in TitleType.values:
        errors["title_type"] = [_("称号无效")]
    if level not in TitleLevel.values:
        errors["level"] = [_("级别无效")]
    if not levels or any(lv not in LEVELS for lv in levels):
        errors["levels"] = [_("请选择推荐审核的层级")]
    elif levels[-1] != node.level:
        errors["levels"] = [_("最后一级审核应为组织单位本级（%(l)s）") % {"l": node.get_level_display()}]
    departments = [d.strip()[:40] for d in departments if d and d.strip()]
    if not departments:
        errors["departments"] = [_("请至少填写一个征求意见的部门")]
    if not (granting_body or "").strip():
        errors["granting_body"] = [_("请填写授予机关")]
    if errors:
        raise ValidationError(errors)
    c = Campaign.objects.create(node=node, node_path=node.path, title=title.strip()[:160], title_type=title_type,
                                level=level, year=year, granting_body=granting_body.strip()[:120], levels=list(levels),
                                departments=departments, created_by=actor)
    for attribute, op, percent in rules:
        rule_set(actor=actor, campaign=c, attribute=attribute, op=op, percent=percent, audited=False)
    for q_node, places in quotas:
        quota_set(actor=actor, campaign=c, node=q_node, places=places, audited=False)
    audit(actor=actor, verb="campaign.create", obj=c, node_path=node.path,
          new={"title": c.title, "title_type": title_type, "level": level, "year": year, "levels": levels,
               "departments": departments, "rules": [list(r) for r in rules],
               "quotas": [[n.name, p] for n, p in quotas]})
    return c


def _campaign_for_write(actor, campaign: Campaign) -> Campaign:
    require(actor, HONOUR)
    ensure_path_in_scope(actor, campaign.node_path)
    if campaign.status != CampaignStatus.OPEN:
        raise ValidationError(_("评选已%(s)s，不能再修改") % {"s": campaign.get_status_display()})
    return campaign


@transaction.atomic
def rule_set(*, actor, campaign: Campaign, attribute: str, op: str, percent: int, audited: bool = True):
    """A composition rule, as data. percent 0 with a rule already there removes it."""
    _campaign_for_write(actor, campaign)
    errors = {}
    if attribute not in Attribute.values:
        errors["attribute"] = [_("人选类别无效")]
    if op not in RuleOp.values:
        errors["op"] = [_("要求无效")]
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        errors["percent"] = [_("比例应为 0 到 100")]
    if errors:
        raise ValidationError(errors)
    old = CompositionRule.objects.filter(campaign=campaign, attribute=attribute, op=op).first()
    if percent == 0 and old is not None:
        old.delete()
        rule = None
    else:
        rule, _created = CompositionRule.objects.update_or_create(campaign=campaign, attribute=attribute, op=op,
                                                                  defaults={"percent": percent})
    if audited:
        audit(actor=actor, verb="campaign.rule", obj=campaign, node_path=campaign.node_path,
              old={"percent": old.percent} if old else None, new={"attribute": attribute, "op": op, "percent": percent})
    return rule


@transaction.atomic
def quota_set(*, actor, campaign: Campaign, node: UnionNode, places: int, audited: bool = True) -> Quota:
    _campaign_for_write(actor, campaign)
    if not node.path.startswith(campaign.node_path) or node.pk == campaign.node_id:
        raise ValidationError({"node": [_("名额只能分配给组织单位的下级工会")]})
    if not isinstance(places, int) or not 0 <= places <= 1000:
        raise ValidationError({"places": [_("名额应为 0 到 1000")]})
    live = NominationList.objects.filter(campaign=campaign, node=node).first()
    if live is not None and live.nominees.count() > places and live.status != ListStatus.DRAFT:
        raise ValidationError({"places": [_("该单位已报送 %(n)d 人，名额不能少于此数") % {"n": live.nominees.count()}]})
    q, _created = Quota.objects.update_or_create(campaign=campaign, node=node, defaults={"places": places})
    if audited:
        audit(actor=actor, verb="campaign.quota", obj=campaign, node_path=campaign.node_path,
              new={"node": node.name, "places": places})
    return q


# --- the composition meter ------------------------------------------------------------------------------


@dataclass
class MeterRow:
    rule: CompositionRule
    count: int
    total: int

    @property
    def percent(self) -> float:
        return round(100 * self.count / self.total, 1) if self.total else 0.0

    @property
    def bound(self) -> int:
        """How many nominees of the category the rule allows (max) or needs (min) on a list this size."""
        exact = self.rule.percent * self.total / 100
        return math.ceil(exact - 1e-9) if self.rule.op == RuleOp.MIN else math.floor(exact + 1e-9)

    @property
    def ok(self) -> bool:
        if self.rule.op == RuleOp.MIN:
            return self.count * 100 >= self.rule.percent * self.total
        return self.count * 100 <= self.rule.percent * self.total

    @property
    def why(self) -> str:
        label = self.rule.get_attribute_display()
        if self.ok:
            return ""
        if self.rule.op == RuleOp.MIN:
            return _("%(a)s须不低于 %(p)d%%：%(t)d 人中至少 %(b)d 人，现有 %(c)d 人") % {
                "a": label, "p": self.rule.percent, "t": self.total, "b": self.bound, "c": self.count}
        return _("%(a)s须不超过 %(p)d%%：%(t)d 人中至多 %(b)d 人，现有 %(c)d 人") % {
            "a": label, "p": self.rule.percent, "t": self.total, "b": self.bound, "c": self.count}


@dataclass
class Meter:
    rows: list[MeterRow]
    total: int
    places: int | None  # the node's quota (None: no quota given to this node)

    @property
    def over_quota(self) -> bool:
        return self.places is not None and self.total > self.places

    @property
    def problems(self) -> list[str]:
        out = [r.why for r in self.rows if not r.ok]
        if self.places is None:
            out.append(_("组织单位尚未给本单位分配名额"))
        elif self.over_quota:
            out.append(_("超出名额：名额 %(q)d 人，名单 %(n)d 人") % {"q": self.places, "n": self.total})
        if self.total == 0:
            out.append(_("名单中还没有人选"))
        return out

    @property
    def ok(self) -> bool:
        return not self.problems


def meter_of(nlist: NominationList, nominees=None) -> Meter:
    nominees = list(nlist.nominees.exclude(status=NomineeStatus.WITHDRAWN)) if nominees is None else nominees
    rules = list(nlist.campaign.rules.all())
    total = len(nominees)
    rows = [MeterRow(rule=r, count=sum(1 for n in nominees if r.attribute in (n.attributes or [])), total=total)
            for r in rules]
    q = Quota.objects.filter(campaign_id=nlist.campaign_id, node_id=nlist.node_id).first()
    return Meter(rows=rows, total=total, places=q.places if q else None)


# --- lists and nominees ---------------------------------------------------------------------------------


@transaction.atomic
def list_open(*, actor, campaign: Campaign, node: UnionNode) -> NominationList:
    """The node's list for the campaign (created on first use)."""
    require(actor, HONOUR)
    ensure_path_in_scope(actor, node.path)
    if not visible_from(actor, campaign.node_path) or not node.path.startswith(campaign.node_path) \
            or node.pk == campaign.node_id:
        raise OutOfScope
    if campaign.status != CampaignStatus.OPEN:
        raise ValidationError(_("评选已%(s)s") % {"s": campaign.get_status_display()})
    nlist = NominationList.objects.filter(campaign=campaign, node=node).first()
    if nlist is None:
        try:
            with transaction.atomic():
                nlist = NominationList.objects.create(campaign=campaign, node=node, node_path=node.path,
                                                      created_by=actor)
        except IntegrityError:
            return NominationList.objects.get(campaign=campaign, node=node)
        audit(actor=actor, verb="nomination_list.create", obj=nlist, node_path=node.path, new={"campaign": campaign.pk})
    return nlist


def _list_for_edit(actor, nlist: NominationList) -> NominationList:
    require(actor, HONOUR)
    ensure_path_in_scope(actor, nlist.node_path)
    nlist = NominationList.objects.select_for_update(of=("self",)).select_related("campaign", "node").get(pk=nlist.pk)
    if nlist.status not in (ListStatus.DRAFT, ListStatus.RETURNED):
        raise ValidationError(_("名单%(s)s，不能修改") % {"s": nlist.get_status_display()})
    if nlist.campaign.status != CampaignStatus.OPEN:
        raise ValidationError(_("评选已%(s)s") % {"s": nlist.campaign.get_status_display()})
    return nlist


def _clean_attributes(values, person: Person | None) -> list[str]:
    out = {a for a in (values or []) if a in Attribute.values}
    if person is not None:  # the record says whether she is a woman; the list cannot say otherwise
        out.discard(Attribute.FEMALE)
        if person.gender == Gender.FEMALE:
            out.add(Attribute.FEMALE)
    return sorted(out)


@transaction.atomic
def nominee_add(*, actor, nomination_list: NominationList, person: Person | None = None, name: str = "",
                holder_kind: str = HolderKind.PERSON, enterprise=None, attributes=(), deeds: str = "") -> Nominee:
    nlist = _list_for_edit(actor, nomination_list)
    if holder_kind == HolderKind.PERSON:
        if person is None:
            raise ValidationError({"person": [_("请选择实名会员")]})
        if not Membership.objects.filter(person=person, status=MembershipStatus.ACTIVE,
                                         union__path__startswith=nlist.node_path).exists():
            raise ValidationError({"person": [_("%(n)s 不是本单位范围内的在会会员") % {"n": person.name}]})
        name = person.name
        unit = person.employer.name if person.employer_id else (person.platform.name if person.platform_id else "")
    else:
        if not (name or "").strip():
            raise ValidationError({"name": [_("请填写单位或集体名称")]})
        unit = enterprise.name if enterprise is not None else ""
    if not (deeds or "").strip():
        raise ValidationError({"deeds": [_("请填写主要事迹")]})
    try:
        with transaction.atomic():
            n = Nominee.objects.create(
                nomination_list=nlist, campaign=nlist.campaign, node_path=nlist.node_path, holder_kind=holder_kind,
                person=person if holder_kind == HolderKind.PERSON else None, enterprise=enterprise,
                name=name.strip()[:120], unit_label=unit[:200], attributes=_clean_attributes(attributes, person),
                deeds=deeds.strip())
    except IntegrityError:
        raise ValidationError({"person": [_("%(n)s 已在本次评选的推荐名单中") % {"n": name}]}) from None
    audit(actor=actor, verb="nominee.add", obj=nlist, node_path=nlist.node_path,
          new={"nominee": n.pk, "name": n.name, "attributes": n.attributes})
    return n


@transaction.atomic
def nominee_set_attributes(*, actor, nominee: Nominee, attributes) -> Nominee:
    nlist = _list_for_edit(actor, nominee.nomination_list)
    n = Nominee.objects.select_for_update(of=("self",)).select_related("person").get(pk=nominee.pk, nomination_list=nlist)
    old = list(n.attributes)
    n.attributes = _clean_attributes(attributes, n.person)
    n.save(update_fields=["attributes"])
    audit(actor=actor, verb="nominee.attributes", obj=nlist, node_path=nlist.node_path,
          old={"nominee": n.pk, "attributes": old}, new={"nominee": n.pk, "attributes": n.attributes})
    return n


@transaction.atomic
def nominee_remove(*, actor, nominee: Nominee) -> None:
    nlist = _list_for_edit(actor, nominee.nomination_list)
    n = Nominee.objects.get(pk=nominee.pk, nomination_list=nlist)
    audit(actor=actor, verb="nominee.remove", obj=nlist, node_path=nlist.node_path,
          old={"nominee": n.pk, "name": n.name})
    n.delete()


# --- up the chain ---------------------------------------------------------------------------------------


def list_parties(nlist: NominationList) -> set[int]:
    """Who drew up the list: its creator, its submitter and whoever added or changed a nominee."""
    authors = duties.authors_of_many(NominationList, [nlist.pk], ("nomination_list.create", "nominee.add",
                                                                  "nominee.attributes", "nominee.remove",
                                                                  "nomination_list.submit"))
    return (authors.get(nlist.pk, set()) | {nlist.created_by_id, nlist.submitted_by_id}) - {None}


def list_chain(nlist: NominationList, *, extra_parties=()) -> chains.Chain:
    nlist = NominationList.objects.select_related("campaign", "node").get(pk=nlist.pk)
    submitted = nlist.status in (ListStatus.IN_APPROVAL, ListStatus.APPROVED, ListStatus.REJECTED)
    if submitted:
        stored = list(NominationStep.objects.filter(nomination_list=nlist, round=nlist.round).select_related("node"))
        pairs = [(s.level, s.node, s) for s in stored]
    else:
        pairs = [(lv, node, None) for lv, node in chains.chain_nodes(nlist.node, nlist.campaign.levels)]
    req = chains.ChainRequest(subject=nlist, pairs=pairs, parties=list_parties(nlist) | duties.user_ids(extra_parties),
                              submitted=submitted,
                              current_seq=nlist.current_seq if nlist.status == ListStatus.IN_APPROVAL else None)
    return chains.chains_resolve([req], capability=DECIDE)[0]


@transaction.atomic
def list_submit(*, actor, nomination_list: NominationList) -> NominationList:
    """The list goes up: refused while a composition rule is broken, the quota is exceeded or the list
    is empty (the meter's problems, word for word)."""
    nlist = _list_for_edit(actor, nomination_list)
    meter = meter_of(nlist)
    if not meter.ok:
        raise ValidationError({"composition": meter.problems})
    pairs = chains.chain_nodes(nlist.node, nlist.campaign.levels)
    parties = list_parties(nlist) | {actor.pk}
    chains.chain_check_submittable(pairs=pairs, parties=parties, capability=DECIDE)
    nlist.round += 1
    nlist.status, nlist.current_seq = ListStatus.IN_APPROVAL, 0
    nlist.submitted_by, nlist.submitted_at = actor, timezone.now()
    nlist.save(update_fields=["round", "status", "current_seq", "submitted_by", "submitted_at"])
    chains.steps_create(model=NominationStep, owner={"nomination_list": nlist}, round=nlist.round, pairs=pairs)
    audit(actor=actor, verb="nomination_list.submit", obj=nlist, node_path=nlist.node_path,
          new={"round": nlist.round, "nominees": meter.total,
               "composition": {r.rule.attribute + ":" + r.rule.op: r.percent for r in meter.rows}})
    return nlist


@transaction.atomic
def list_decide(*, actor, nomination_list: NominationList, decision: str, comment: str = "",
                acting_reason: str = "") -> NominationList:
    require(actor, DECIDE)
    nlist = NominationList.objects.select_for_update(of=("self",)).select_related("campaign", "node").get(pk=nomination_list.pk)
    if not nlist.node_path.startswith(root_path(actor)) and not nlist.campaign.node_path.startswith(root_path(actor)):
        raise OutOfScope
    if nlist.status != ListStatus.IN_APPROVAL:
        raise ValidationError(_("名单当前状态为“%(s)s”，没有待审核的环节") % {"s": nlist.get_status_display()})
    step = (NominationStep.objects.select_for_update().select_related("node")
            .filter(nomination_list=nlist, round=nlist.round, seq=nlist.current_seq).first())
    chain = list_chain(nlist)
    done = chains.step_decide(actor=actor, chain=chain, step=step, decision=decision, capability=DECIDE,
                              comment=comment, acting_reason=acting_reason)
    old = nlist.status
    if decision == ApprovalDecision.APPROVED and not done.last:
        nlist.current_seq += 1
    elif decision == ApprovalDecision.APPROVED:
        nlist.status, nlist.current_seq = ListStatus.APPROVED, None
        nlist.nominees.filter(status=NomineeStatus.NOMINATED).update(status=NomineeStatus.APPROVED)
    elif decision == ApprovalDecision.RETURNED:
        nlist.status, nlist.current_seq = ListStatus.RETURNED, None
    else:
        nlist.status, nlist.current_seq = ListStatus.REJECTED, None
        nlist.nominees.exclude(status=NomineeStatus.WITHDRAWN).update(status=NomineeStatus.WITHDRAWN,
                                                                      withdrawn_reason=done.comment[:255])
    nlist.save(update_fields=["status", "current_seq"])
    audit(actor=actor, verb="nomination_list.decide", obj=nlist, node_path=nlist.node_path,
          old={"status": old}, new={"status": nlist.status, "decision": decision, **done.audit_fields})
    return nlist


def ensure_campaign_owner(actor, campaign: Campaign, cap: str = HONOUR):
    staff = require(actor, cap)
    ensure_path_in_scope(actor, campaign.node_path)
    if staff.node_id != campaign.node_id and not campaign.node_path.startswith(staff.node.path):
        raise PermissionDenied
    return staff
