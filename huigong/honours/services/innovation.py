"""Worker innovation: a result submitted by a worker (portal) or staff (console), its measured gains
and evidence, reviews that always carry a written reason (the submitter reads every one of them on her
page, and is told), scoring panels, award tiers; first prizes are flagged for the next nomination."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import duties
from huigong.core.audit import audit
from huigong.core.scope import ensure_path_in_scope, require, staff_of
from huigong.core.uploads import check_upload
from huigong.members.models import Membership, MembershipStatus, Person
from huigong.orgs.models import UnionNode

from .. import clock
from ..models import (
    Gain,
    Innovation,
    InnovationAward,
    InnovationEvidence,
    InnovationKind,
    InnovationReview,
    InnovationStatus,
    JudgingRound,
    PrizeTier,
    ReviewDecision,
    RoundStatus,
    Score,
    Tier,
)
from .common import HONOUR, tell

MIN_REASON = 6

# decision -> (statuses it may leave, the status it leads to)
TRANSITIONS = {
    ReviewDecision.ACCEPT: ((InnovationStatus.SUBMITTED,), InnovationStatus.REVIEWING),
    ReviewDecision.RETURN: ((InnovationStatus.SUBMITTED, InnovationStatus.REVIEWING), InnovationStatus.RETURNED),
    ReviewDecision.ADOPT: ((InnovationStatus.REVIEWING,), InnovationStatus.ADOPTED),
    ReviewDecision.REJECT: ((InnovationStatus.SUBMITTED, InnovationStatus.REVIEWING), InnovationStatus.REJECTED),
}
EDITABLE = (InnovationStatus.SUBMITTED, InnovationStatus.RETURNED)


def _is_staff(user) -> bool:
    try:
        staff_of(user)
    except PermissionDenied:
        return False
    return True


def ensure_can_edit(actor, inv: Innovation, *, person: Person | None = None) -> None:
    """Staff of the result's subtree with HONOUR, or the worker who submitted it while it is editable."""
    if person is not None:
        if inv.person_id != person.pk:
            raise PermissionDenied
        if inv.status not in EDITABLE:
            raise ValidationError(_("成果已进入评审，不能再修改"))
        return
    require(actor, HONOUR)
    ensure_path_in_scope(actor, inv.node_path)


@transaction.atomic
def innovation_submit(*, actor, title: str, kind: str, summary: str, union: UnionNode | None = None,
                      person: Person | None = None, lead_name: str = "", team=(), studio: str = "",
                      implemented_on: dt.date | None = None, enterprise=None, via_portal: bool = False) -> Innovation:
    """From the portal (`via_portal`: the worker is `person`, her union is her membership's) or from the
    console (staff of the union's subtree, for a worker, a team or a studio)."""
    errors: dict[str, list[str]] = {}
    if via_portal:
        if person is None:
            raise PermissionDenied
        m = (Membership.objects.filter(person=person, status=MembershipStatus.ACTIVE).select_related("union")
             .order_by("-joined_on").first())
        if m is None:
            raise ValidationError(_("只有在会会员可以提交创新成果"))
        union = m.union
        enterprise = person.employer
        lead_name = person.name
    else:
        require(actor, HONOUR)
        if union is None:
            raise ValidationError({"union": [_("请选择所在工会")]})
        ensure_path_in_scope(actor, union.path)
        if person is not None:
            lead_name = person.name
            if not Membership.objects.filter(person=person, union__path__startswith=union.path,
                                             status=MembershipStatus.ACTIVE).exists():
                errors["person"] = [_("%(n)s 不是该工会范围内的在会会员") % {"n": person.name}]
    if not (title or "").strip():
        errors["title"] = [_("请填写成果名称")]
    if kind not in InnovationKind.values:
        errors["kind"] = [_("类型无效")]
    if len((summary or "").strip()) < 10:
        errors["summary"] = [_("请写明内容（至少 10 个字）：改了什么、为什么改")]
    if not (lead_name or "").strip():
        errors["lead_name"] = [_("请填写第一完成人")]
    if implemented_on is not None and implemented_on > clock.today():
        errors["implemented_on"] = [_("实施日期不能晚于今天")]
    if errors:
        raise ValidationError(errors)
    team = [t.strip()[:50] for t in (team or []) if t and t.strip()][:30]
    inv = Innovation.objects.create(title=title.strip()[:160], kind=kind, summary=summary.strip(), union=union,
                                    node_path=union.path, enterprise=enterprise, person=person,
                                    lead_name=lead_name.strip()[:50], team=team, studio=(studio or "").strip()[:120],
                                    implemented_on=implemented_on, via_portal=via_portal, created_by=actor)
    audit(actor=actor, verb="innovation.submit", obj=inv, node_path=union.path,
          new={"title": inv.title, "kind": kind, "via_portal": via_portal, "team": len(team)})
    return inv


def _decimal(value, field: str) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("请填写数字")]}) from None
    if not d.is_finite() or abs(d) >= Decimal("1e11"):
        raise ValidationError({field: [_("请填写数字")]})
    return d


@transaction.atomic
def gain_add(*, actor, innovation: Innovation, metric: str, unit: str, baseline, after, annual_value_fen: int,
             method: str, verifier: str = "", person: Person | None = None) -> Gain:
    """A measured gain: baseline vs after, its unit, the annualised value and how it was measured."""
    inv = Innovation.objects.select_for_update().get(pk=innovation.pk)
    ensure_can_edit(actor, inv, person=person)
    errors: dict[str, list[str]] = {}
    if not (metric or "").strip():
        errors["metric"] = [_("请填写指标")]
    if not (unit or "").strip():
        errors["unit"] = [_("请填写单位")]
    if not (method or "").strip():
        errors["method"] = [_("请写明测算方法")]
    if not isinstance(annual_value_fen, int) or annual_value_fen < 0:
        errors["annual_value_fen"] = [_("年化效益应为非负金额")]
    try:
        b = _decimal(baseline, "baseline")
        a = _decimal(after, "after")
    except ValidationError as e:
        errors.update(e.message_dict)
        b = a = None
    if errors:
        raise ValidationError(errors)
    if a == b:
        raise ValidationError({"after": [_("改进后与改进前相同：请填写实测的改进后数值")]})
    g = Gain.objects.create(innovation=inv, metric=metric.strip()[:80], unit=unit.strip()[:20], baseline=b, after=a,
                            annual_value_fen=annual_value_fen, method=method.strip()[:255],
                            verifier=(verifier or "").strip()[:80])
    audit(actor=actor, verb="innovation.gain", obj=inv, node_path=inv.node_path,
          new={"metric": g.metric, "unit": g.unit, "baseline": b, "after": a, "annual_value_fen": annual_value_fen})
    return g


@transaction.atomic
def gain_verify(*, actor, gain: Gain, verifier: str, verified_on: dt.date) -> Gain:
    """核实: staff record who verified the figures and when; the submitter cannot verify her own."""
    require(actor, HONOUR)
    inv = gain.innovation
    ensure_path_in_scope(actor, inv.node_path)
    duties.ensure_not_party(actor, [inv.created_by_id], action="核实", role="提交")
    if not (verifier or "").strip():
        raise ValidationError({"verifier": [_("请填写核实人或核实部门")]})
    if verified_on is None or verified_on > clock.today():
        raise ValidationError({"verified_on": [_("核实日期不能晚于今天")]})
    g = Gain.objects.select_for_update().get(pk=gain.pk)
    g.verifier, g.verified_on, g.verified_by = verifier.strip()[:80], verified_on, actor
    g.save(update_fields=["verifier", "verified_on", "verified_by"])
    audit(actor=actor, verb="innovation.gain_verify", obj=inv, node_path=inv.node_path,
          new={"gain": g.pk, "verifier": g.verifier, "verified_on": verified_on})
    return g


@transaction.atomic
def evidence_add(*, actor, innovation: Innovation, upload, label: str = "", person: Person | None = None):
    inv = Innovation.objects.select_for_update().get(pk=innovation.pk)
    ensure_can_edit(actor, inv, person=person)
    checked = check_upload(upload, field_label=str(_("证明材料")))
    ev = InnovationEvidence(innovation=inv, content_type=checked.content_type, label=(label or "")[:120],
                            uploaded_by=actor)
    ev.file.save(f"evidence.{checked.extension}", upload, save=False)
    ev.save()
    audit(actor=actor, verb="innovation.evidence", obj=inv, node_path=inv.node_path, new={"evidence": ev.pk})
    return ev


@transaction.atomic
def innovation_review(*, actor, innovation: Innovation, decision: str, reason: str) -> InnovationReview:
    """Every decision carries a written reason, refused without one: the submitter reads it."""
    staff = require(actor, HONOUR)
    inv = Innovation.objects.select_for_update().get(pk=innovation.pk)
    ensure_path_in_scope(actor, inv.node_path)
    if decision not in TRANSITIONS:
        raise ValidationError({"decision": [_("处理意见无效")]})
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": [_("请写明理由（至少 %(n)d 个字）：提交人会看到这条理由") % {"n": MIN_REASON}]})
    duties.ensure_not_party(actor, [inv.created_by_id], action="评审", role="提交")
    sources, target = TRANSITIONS[decision]
    if inv.status not in sources:
        raise ValidationError(_("成果当前状态为“%(s)s”，不能%(d)s") % {
            "s": inv.get_status_display(), "d": ReviewDecision(decision).label})
    if decision == ReviewDecision.ADOPT and not inv.gains.exists() and inv.kind != InnovationKind.SUGGESTION:
        raise ValidationError(_("采纳前请登记至少一项实测效益"))
    old = inv.status
    inv.status = target
    inv.save(update_fields=["status", "updated_at"])
    review = InnovationReview.objects.create(innovation=inv, decision=decision, reason=reason, from_status=old,
                                             to_status=target, reviewer=actor, reviewer_node=staff.node.name)
    tell(inv.person, event="innovation.reviewed", key=f"innovation-review:{review.pk}",
         title=_("您的创新成果“%(t)s”：%(d)s") % {"t": inv.title, "d": ReviewDecision(decision).label},
         body=_("理由：%(r)s") % {"r": reason}, node_path=inv.node_path)
    audit(actor=actor, verb="innovation.review", obj=inv, node_path=inv.node_path,
          old={"status": old}, new={"status": target, "decision": decision, "reason": reason})
    return review


@transaction.atomic
def innovation_resubmit(*, actor, innovation: Innovation, person: Person | None = None, note: str = "") -> Innovation:
    """A returned result goes back to review after the submitter completed it."""
    inv = Innovation.objects.select_for_update().get(pk=innovation.pk)
    ensure_can_edit(actor, inv, person=person)
    if inv.status != InnovationStatus.RETURNED:
        raise ValidationError(_("只有退回补充的成果可以重新提交"))
    inv.status = InnovationStatus.SUBMITTED
    inv.save(update_fields=["status", "updated_at"])
    audit(actor=actor, verb="innovation.resubmit", obj=inv, node_path=inv.node_path,
          old={"status": InnovationStatus.RETURNED}, new={"status": InnovationStatus.SUBMITTED, "note": note[:255]})
    return inv


# --- scoring panels and awards ---------------------------------------------------------------------------


@transaction.atomic
def round_create(*, actor, node: UnionNode, title: str, year: int, panel, innovations,
                 tiers: list[tuple[str, int, int]]) -> JudgingRound:
    require(actor, HONOUR)
    ensure_path_in_scope(actor, node.path)
    panel = list(panel)
    innovations = list(Innovation.objects.filter(pk__in=[i.pk for i in innovations]).order_by("pk"))
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("请填写评审名称")]
    if len(panel) < 3:
        errors["panel"] = [_("评审专家至少 3 人")]
    if not innovations:
        errors["innovations"] = [_("请选择参评成果")]
    bad = [i.title for i in innovations if i.status != InnovationStatus.ADOPTED or not i.node_path.startswith(node.path)]
    if bad:
        errors["innovations"] = [_("只有本单位范围内已采纳的成果可以参评：%(t)s") % {"t": "、".join(bad)}]
    creators = {i.created_by_id for i in innovations}
    if any(u.pk in creators for u in panel):
        errors["panel"] = [_("职责分离：提交成果的人员不能担任评审专家")]
    if not tiers or any(t not in Tier.values or places < 0 or prize < 0 for t, places, prize in tiers):
        errors["tiers"] = [_("奖项设置无效")]
    if errors:
        raise ValidationError(errors)
    r = JudgingRound.objects.create(node=node, node_path=node.path, title=title.strip()[:160], year=year,
                                    created_by=actor)
    r.panel.set(panel)
    r.entries.set(innovations)
    PrizeTier.objects.bulk_create([PrizeTier(round=r, tier=t, places=p, prize_fen=f) for t, p, f in tiers])
    audit(actor=actor, verb="innovation_round.create", obj=r, node_path=node.path,
          new={"panel": [u.pk for u in panel], "entries": [i.pk for i in innovations],
               "tiers": [list(t) for t in tiers]})
    return r


@transaction.atomic
def score_record(*, actor, round: JudgingRound, innovation: Innovation, score: int, comment: str = "") -> Score:
    staff_of(actor)
    if not round.panel.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("您不是本次评审的专家"))
    if round.status != RoundStatus.SCORING:
        raise ValidationError(_("评审已结束"))
    if not round.entries.filter(pk=innovation.pk).exists():
        raise ValidationError({"innovation": [_("该成果不在本次评审中")]})
    if not isinstance(score, int) or not 0 <= score <= 100:
        raise ValidationError({"score": [_("得分应为 0 到 100")]})
    s, _created = Score.objects.update_or_create(round=round, innovation=innovation, judge=actor,
                                                 defaults={"score": score, "comment": (comment or "")[:255]})
    audit(actor=actor, verb="innovation_round.score", obj=round, node_path=round.node_path,
          new={"innovation": innovation.pk, "score": score})
    return s


@transaction.atomic
def round_award(*, actor, round: JudgingRound) -> list[InnovationAward]:
    """Tiers by average score, first prizes first; every entry must be scored by every judge."""
    require(actor, HONOUR)
    r = JudgingRound.objects.select_for_update().get(pk=round.pk)
    ensure_path_in_scope(actor, r.node_path)
    if r.status != RoundStatus.SCORING:
        raise ValidationError(_("评审已评定"))
    judges = r.panel.count()
    entries = list(r.entries.all())
    missing = [i.title for i in entries if Score.objects.filter(round=r, innovation=i).count() < judges]
    if missing:
        raise ValidationError(_("还有专家未评分：%(t)s") % {"t": "、".join(missing)})
    ranked = sorted(entries, key=lambda i: (-(Score.objects.filter(round=r, innovation=i)
                                                .aggregate(a=Avg("score"))["a"] or 0), i.pk))
    tiers = {t.tier: t for t in r.tiers.all()}
    out, at = [], 0
    for tier in (Tier.FIRST, Tier.SECOND, Tier.THIRD):
        t = tiers.get(tier)
        if t is None:
            continue
        for inv in ranked[at:at + t.places]:
            avg = Score.objects.filter(round=r, innovation=inv).aggregate(a=Avg("score"))["a"]
            try:
                with transaction.atomic():
                    a = InnovationAward.objects.create(round=r, innovation=inv, node_path=inv.node_path, tier=tier,
                                                       average=Decimal(str(round_avg(avg))), prize_fen=t.prize_fen)
            except IntegrityError:
                continue
            Innovation.objects.filter(pk=inv.pk).update(
                status=InnovationStatus.AWARDED, flagged_for_nomination=(tier == Tier.FIRST) or inv.flagged_for_nomination)
            tell(inv.person, event="innovation.awarded", key=f"innovation-award:{a.pk}",
                 title=_("您的创新成果“%(t)s”获%(tier)s") % {"t": inv.title, "tier": a.get_tier_display()},
                 node_path=inv.node_path)
            out.append(a)
        at += t.places
    r.status = RoundStatus.AWARDED
    r.save(update_fields=["status"])
    audit(actor=actor, verb="innovation_round.award", obj=r, node_path=r.node_path,
          new={"awards": [[a.innovation_id, a.tier] for a in out],
               "flagged": [a.innovation_id for a in out if a.tier == Tier.FIRST]})
    return out


def round_avg(value) -> float:
    return round(float(value or 0), 2)


__all__ = ["innovation_submit", "innovation_review", "gain_add", "gain_verify", "evidence_add", "round_create",
           "score_record", "round_award", "timezone"]
