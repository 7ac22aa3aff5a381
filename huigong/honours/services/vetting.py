"""After the lists are approved: other departments' opinions (vetting checklist), the 公示 on the
kernel's notice service (objections; an upheld one withdraws the nominee), the award that writes the
titles into the register, and the certificate with its verification QR."""

from __future__ import annotations

import base64
import datetime as dt
import io

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.core.audit import audit
from huigong.core.notices import services as kernel
from huigong.core.notices.models import NoticeStatus
from huigong.core.notices.services import EntryValues, NoticeScheme
from huigong.core.scope import ensure_path_in_scope, require

from .. import clock
from ..models import (
    Campaign,
    CampaignStatus,
    HolderKind,
    Honour,
    HonourNotice,
    HonourNoticeEntry,
    HonourNoticeObjection,
    Nominee,
    NomineeStatus,
    Source,
    Verdict,
    VettingOpinion,
)
from .common import DECIDE, HONOUR, tell
from .register import honour_create, person_union

NOTICE_DAYS = 7
SHARE_SALT = "huigong.honours.notice"
VERIFY_SALT = "huigong.honours.certificate"


# --- vetting --------------------------------------------------------------------------------------------


def vetting_missing(nominee: Nominee, opinions=None) -> list[str]:
    have = {o.department for o in (nominee.opinions.all() if opinions is None else opinions)}
    return [d for d in nominee.campaign.departments if d not in have]


def vetting_problem(nominee: Nominee) -> str | None:
    """Why the nominee cannot be published yet: a department not yet heard, or one that disagrees."""
    opinions = list(nominee.opinions.all())
    missing = vetting_missing(nominee, opinions)
    if missing:
        return _("%(n)s：尚缺%(d)s的意见") % {"n": nominee.name, "d": "、".join(missing)}
    against = [o.department for o in opinions if o.verdict == Verdict.DISAGREE]
    if against:
        return _("%(n)s：%(d)s不同意") % {"n": nominee.name, "d": "、".join(against)}
    return None


@transaction.atomic
def opinion_record(*, actor, nominee: Nominee, department: str, verdict: str, note: str = "") -> VettingOpinion:
    require(actor, HONOUR)
    n = Nominee.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=nominee.pk)
    ensure_path_in_scope(actor, n.campaign.node_path)
    if department not in n.campaign.departments:
        raise ValidationError({"department": [_("“%(d)s”不在本次评选的征求意见部门中") % {"d": department}]})
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": [_("意见无效")]})
    if n.status != NomineeStatus.APPROVED:
        raise ValidationError(_("%(n)s 当前状态为“%(s)s”，不能登记部门意见") % {"n": n.name, "s": n.get_status_display()})
    if verdict == Verdict.DISAGREE and not (note or "").strip():
        raise ValidationError({"note": [_("部门不同意时请写明理由")]})
    op, _created = VettingOpinion.objects.update_or_create(
        nominee=n, department=department, defaults={"verdict": verdict, "note": (note or "")[:255], "recorded_by": actor})
    audit(actor=actor, verb="nominee.vetting", obj=n.campaign, node_path=n.campaign.node_path,
          new={"nominee": n.pk, "department": department, "verdict": verdict})
    return op


# --- 公示 ---------------------------------------------------------------------------------------------


def _refuse(nominee: Nominee, node) -> str | None:
    if nominee.status != NomineeStatus.APPROVED:
        return _("%(n)s 当前状态为“%(s)s”，不能公示") % {"n": nominee.name, "s": nominee.get_status_display()}
    return vetting_problem(nominee)


def _entry(nominee: Nominee) -> EntryValues:
    name = nominee.name if nominee.holder_kind == HolderKind.PERSON else ""
    return EntryValues(name=name or nominee.name, unit_label=nominee.unit_label, amount_fen=0)


def _on_publish(*, actor, notice, subjects):
    Nominee.objects.filter(pk__in=[n.pk for n in subjects]).update(status=NomineeStatus.ON_NOTICE)


def _on_uphold(*, actor, objection, subject, outcome):
    Nominee.objects.filter(pk=subject.pk).update(status=NomineeStatus.WITHDRAWN,
                                                 withdrawn_reason=(objection.content or "")[:255])


def _on_end(*, actor, notice, subject_ids):
    Nominee.objects.filter(pk__in=subject_ids, status=NomineeStatus.ON_NOTICE).update(status=NomineeStatus.NOTICE_DONE)


SCHEME = NoticeScheme(
    key="honours", notice_model=HonourNotice, entry_model=HonourNoticeEntry, objection_model=HonourNoticeObjection,
    subject_model=Nominee, subject_field="nominee", capability=HONOUR, audit_prefix="honour_notice",
    today=lambda: clock.today(), share_salt=SHARE_SALT, refuse=_refuse, entry_values=_entry,
    default_days=lambda items: NOTICE_DAYS, on_publish=_on_publish, on_uphold=_on_uphold, on_end=_on_end,
    subject_related=("campaign",), entry_related=("nominee",), entry_order=("unit_label", "pk"),
    pdf_template="honours/pdf/notice.html",
    messages={"none": gettext_lazy("请至少选择一名审核通过的人选"), "missing": gettext_lazy("有人选不存在"),
              "out_of_node": gettext_lazy("人选 #%(id)s 不在“%(n)s”的范围内"),
              "not_on_notice": gettext_lazy("该人选不在本次公示中")},
)


@transaction.atomic
def notice_publish(*, actor, campaign: Campaign, nominees, title: str = "", contact: str = "",
                   days: int | None = None) -> HonourNotice:
    """公示 of approved, fully vetted nominees of one campaign at the campaign's union."""
    require(actor, HONOUR)
    ensure_path_in_scope(actor, campaign.node_path)
    ids = [n.pk if hasattr(n, "pk") else int(n) for n in nominees]
    if Nominee.objects.filter(pk__in=ids).exclude(campaign=campaign).exists():
        raise ValidationError({"nominees": [_("有人选不属于本次评选")]})
    notice = kernel.notice_publish(scheme=SCHEME, actor=actor, node=campaign.node, subjects=ids,
                                   title=title or _("%(t)s拟表彰人选公示") % {"t": campaign.title}, contact=contact,
                                   body=_("如有异议，请在公示期内向组织单位反映。"), days=days)
    HonourNotice.objects.filter(pk=notice.pk).update(campaign=campaign)  # the kernel writes the shared columns
    notice.campaign = campaign
    return notice


def objection_record(*, actor, notice: HonourNotice, content: str, nominee: Nominee | None = None,
                     channel: str = "", received_on: dt.date | None = None):
    return kernel.notice_objection_record(scheme=SCHEME, actor=actor, notice=notice, content=content,
                                          subject=nominee, channel=channel, received_on=received_on)


def objection_resolve(*, actor, objection: HonourNoticeObjection, upheld: bool, resolution: str):
    return kernel.notice_objection_resolve(scheme=SCHEME, actor=actor, objection=objection, upheld=upheld,
                                           resolution=resolution)


def notice_end(*, actor, notice: HonourNotice):
    return kernel.notice_end(scheme=SCHEME, actor=actor, notice=notice)


# --- award ---------------------------------------------------------------------------------------------


def certificate_no(campaign: Campaign, seq: int) -> str:
    return f"{campaign.year}-{campaign.pk:04d}-{seq:04d}"


@transaction.atomic
def campaign_award(*, actor, campaign: Campaign) -> list[Honour]:
    """表彰: every nominee whose notice ended without an upheld objection gets the title in the register
    (with a certificate number); model workers' entitlements are scheduled; the holders are told."""
    staff = require(actor, DECIDE)
    c = Campaign.objects.select_for_update().select_related("node").get(pk=campaign.pk)
    ensure_path_in_scope(actor, c.node_path)
    if staff.node_id != c.node_id:
        raise ValidationError(_("表彰由组织单位“%(n)s”决定") % {"n": c.node.name})
    if c.status != CampaignStatus.OPEN:
        raise ValidationError(_("评选已%(s)s") % {"s": c.get_status_display()})
    if HonourNotice.objects.filter(campaign=c, status=NoticeStatus.PUBLISHED).exists():
        raise ValidationError(_("公示尚未结束"))
    ready = list(Nominee.objects.select_for_update(of=("self",)).filter(campaign=c, status=NomineeStatus.NOTICE_DONE)
                 .select_related("person", "enterprise", "nomination_list__node").order_by("node_path", "pk"))
    if not ready:
        raise ValidationError(_("没有公示期满、无异议的人选"))
    seq = Honour.objects.filter(nominee__campaign=c).count()
    out = []
    for n in ready:
        seq += 1
        union = (person_union(n.person) if n.person_id else None) or n.nomination_list.node
        h = honour_create(actor=actor, union=union, title_type=c.title_type, level=c.level, year=c.year,
                          granting_body=c.granting_body, certificate_no=certificate_no(c, seq),
                          holder_kind=n.holder_kind, person=n.person, enterprise=n.enterprise, holder_name=n.name,
                          source=Source.AWARD, nominee=n)
        n.status = NomineeStatus.AWARDED
        n.save(update_fields=["status"])
        tell(n.person, event="honour.awarded", key=f"honour:{h.pk}:awarded",
             title=_("祝贺您获得%(t)s") % {"t": f"{h.get_level_display()}{h.get_title_type_display()}"},
             body=_("证书编号 %(c)s。您可在“劳模之家”查看荣誉和待遇。") % {"c": h.certificate_no}, node_path=c.node_path)
        out.append(h)
    c.status, c.awarded_at = CampaignStatus.AWARDED, timezone.now()
    c.save(update_fields=["status", "awarded_at"])
    audit(actor=actor, verb="campaign.award", obj=c, node_path=c.node_path,
          new={"honours": [h.pk for h in out], "certificates": [h.certificate_no for h in out]})
    return out


# --- the certificate -----------------------------------------------------------------------------------


def verify_token(honour: Honour) -> str:
    return signing.dumps({"h": honour.pk}, salt=VERIFY_SALT, compress=True)


def honour_from_token(token: str) -> Honour | None:
    try:
        data = signing.loads(token, salt=VERIFY_SALT)
    except signing.BadSignature:
        return None
    return Honour.objects.filter(pk=data.get("h")).first()


def qr_data_uri(url: str) -> str:
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=4, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def certificate_pdf(honour: Honour, verify_url: str) -> bytes:
    from huigong.core.pdf import render_pdf

    return render_pdf("honours/pdf/certificate.html", {"h": honour, "qr": qr_data_uri(verify_url), "url": verify_url})
