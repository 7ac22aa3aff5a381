"""Check-up writes. Every service checks the `checkup` capability and the actor's scope, runs in one
transaction and writes an audit event. Findings are tracked items of the kernel's outcome tracker
(`huigong.core.outcomes`): rectification progress, evidence, due dates, reminders and escalation are the
tracker's; this app adds what is particular to a check-up:

- a finding is closed only at the return visit (回访): the tracker's verdict "effective" on a finding is
  refused anywhere else (`_on_status`), so no enterprise is signed off without someone going back;
- the visit answers every item of the campaign's checklists, and each "no" or "partly" becomes a finding
  with the item's legal basis, due after the campaign's rectification period;
- instruments (提示函, 意见书, 建议书) carry a number, the findings they address and a reply deadline.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.core import scope
from huigong.core.audit import audit
from huigong.core.outcomes import kinds
from huigong.core.outcomes import services as outcomes
from huigong.core.outcomes.models import Status as ItemStatus

from . import statutory, tally
from .models import (
    ANSWER_CREDIT,
    Answer,
    Campaign,
    CampaignStatus,
    Category,
    CheckKind,
    ChecklistTemplate,
    Examination,
    ExamStatus,
    Finding,
    Instrument,
    InstrumentKind,
    Response,
    Severity,
    TemplateItem,
)
from .selectors import report_changed

CAP = "checkup"
FINDING_KIND = "checkups.finding"
_RETURN_VISIT = contextvars.ContextVar("checkups_return_visit", default=None)


def _on_status(item, old: str, actor) -> None:
    if item.status == ItemStatus.CLOSED and _RETURN_VISIT.get() != item.pk:
        raise ValidationError(_("体检发现的问题须在回访时核实成效后办结，请在企业体检页面登记回访"))
    _item_changed(item, "status", actor)


def _item_changed(item, field: str, actor) -> None:
    """The tracker changed a finding's item (status, due date, owner): the finding is counted afresh."""
    finding = Finding.objects.filter(item_id=item.pk).values_list("pk", "campaign_id").first()
    if finding is not None:
        tally.count(findings=[finding[0]])
        report_changed(finding[1])


def _source_url(item) -> str:
    from django.urls import reverse

    exam_id = Finding.objects.filter(item=item).values_list("examination_id", flat=True).first()
    return reverse("checkups:exam", args=[exam_id]) if exam_id else ""


def register_kind() -> None:
    kinds.register(kinds.Kind(
        code=FINDING_KIND, label=gettext_lazy("体检发现问题"), capability=CAP,
        status_labels={ItemStatus.OPEN: gettext_lazy("待整改"), ItemStatus.IN_PROGRESS: gettext_lazy("整改中"),
                       ItemStatus.REOPENED: gettext_lazy("重新整改"), ItemStatus.CLOSED: gettext_lazy("已整改")},
        categories=lambda: {c.value: str(c.label) for c in Category},
        severities=lambda: {s.value: str(s.label) for s in Severity},
        source_url=_source_url, on_status=_on_status, on_change=_item_changed))


def _in_scope(actor, path: str) -> None:
    scope.require(actor, CAP)
    scope.ensure_path_in_scope(actor, path)


# --- templates -------------------------------------------------------------------------------------------


@transaction.atomic
def template_seed(*, actor, node, kind: str) -> ChecklistTemplate:
    """A copy of the starting checklist of `kind` (legal or safety) at `node`, to edit as data."""
    _in_scope(actor, node.path)
    if kind not in statutory.BY_KIND:
        raise ValidationError({"kind": _("体检类型：无效的选项")})
    tpl = ChecklistTemplate.objects.create(node=node, name=statutory.NAMES[kind], kind=kind, created_by=actor)
    TemplateItem.objects.bulk_create([
        TemplateItem(template=tpl, seq=i, category=c, text=t, legal_basis=b, weight=w, severity=s)
        for i, (c, t, b, w, s) in enumerate(statutory.BY_KIND[kind], start=1)])
    audit(actor=actor, verb="checkups.template_seed", obj=tpl, node_path=node.path,
          new={"kind": kind, "items": len(statutory.BY_KIND[kind])})
    return tpl


def _item_fields(*, category, text, legal_basis, weight, severity) -> dict:
    errors = {}
    if category not in Category.values:
        errors["category"] = _("类别：无效的选项")
    if not (text or "").strip():
        errors["text"] = _("检查内容：请填写")
    try:
        weight = int(weight)
    except (TypeError, ValueError):
        weight = 0
    if not 1 <= weight <= 100:
        errors["weight"] = _("权重：请填写 1 到 100 之间的整数")
    if severity not in Severity.values:
        errors["severity"] = _("严重程度：无效的选项")
    if errors:
        raise ValidationError(errors)
    return {"category": category, "text": text.strip()[:300], "legal_basis": (legal_basis or "").strip()[:300],
            "weight": weight, "severity": severity}


@transaction.atomic
def template_item_add(*, actor, template: ChecklistTemplate, category, text, legal_basis="", weight=5,
                      severity=Severity.MEDIUM) -> TemplateItem:
    _in_scope(actor, template.node.path)
    fields = _item_fields(category=category, text=text, legal_basis=legal_basis, weight=weight, severity=severity)
    seq = (template.items.aggregate(m=Max("seq"))["m"] or 0) + 1
    item = TemplateItem.objects.create(template=template, seq=seq, **fields)
    audit(actor=actor, verb="checkups.template_item_add", obj=template, node_path=template.node.path,
          new={"item": item.pk, **fields})
    return item


@transaction.atomic
def template_item_update(*, actor, item: TemplateItem, category, text, legal_basis="", weight=5,
                         severity=Severity.MEDIUM) -> TemplateItem:
    _in_scope(actor, item.template.node.path)
    fields = _item_fields(category=category, text=text, legal_basis=legal_basis, weight=weight, severity=severity)
    old = {k: getattr(item, k) for k in fields}
    for k, v in fields.items():
        setattr(item, k, v)
    item.save()
    audit(actor=actor, verb="checkups.template_item_update", obj=item.template, node_path=item.template.node.path,
          old={"item": item.pk, **old}, new=fields)
    return item


# --- campaigns -------------------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(*, actor, node, title: str, kind: str, year: int, templates, starts_on: dt.date,
                    ends_on: dt.date, reply_days: int = 15, rectify_days: int = 30,
                    return_visit_days: int = 60) -> Campaign:
    _in_scope(actor, node.path)
    templates = list(templates)
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("名称：请填写")
    if kind not in CheckKind.values:
        errors["kind"] = _("体检类型：无效的选项")
    if ends_on < starts_on:
        errors["ends_on"] = _("结束日期：不能早于开始日期")
    kinds_given = {t.kind for t in templates}
    needed = {"legal", "safety"} if kind == CheckKind.BOTH else {kind}
    if kinds_given != needed:
        errors["templates"] = _("体检清单：请为所选体检类型选择对应的清单（综合体检须法治和安全清单各一份）")
    for t in templates:
        if not (node.path.startswith(t.node.path) or t.node.path.startswith(scope.root_path(actor))):
            errors["templates"] = _("体检清单：不在您的管辖范围内")
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(node=node, title=title.strip()[:160], kind=kind, year=year, starts_on=starts_on,
                                       ends_on=ends_on, reply_days=reply_days, rectify_days=rectify_days,
                                       return_visit_days=return_visit_days, created_by=actor)
    campaign.templates.set(templates)
    audit(actor=actor, verb="checkups.campaign_create", obj=campaign, node_path=node.path,
          new={"title": campaign.title, "kind": kind, "year": year, "templates": [t.pk for t in templates]})
    return campaign


@transaction.atomic
def campaign_enroll(*, actor, campaign: Campaign, enterprises) -> int:
    """Adds enterprises of the campaign's subtree (each once); returns how many were new."""
    _in_scope(actor, campaign.node.path)
    if campaign.status != CampaignStatus.RUNNING:
        raise ValidationError(_("体检活动已结束，不能再添加企业"))
    rows = []
    for e in enterprises:
        if not e.union.path.startswith(campaign.node.path):
            raise ValidationError({"enterprises": _("企业“%(name)s”不在本次体检活动的范围内") % {"name": e.name}})
        rows.append(Examination(campaign=campaign, enterprise=e, union=e.union, workers_covered=e.employee_count))
    before = set(campaign.examinations.values_list("pk", flat=True))
    Examination.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    new = set(campaign.examinations.values_list("pk", flat=True)) - before
    tally.count(exams=new)
    added = len(new)
    audit(actor=actor, verb="checkups.campaign_enroll", obj=campaign, node_path=campaign.node.path,
          new={"added": added})
    report_changed(campaign.pk)
    return added


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    _in_scope(actor, campaign.node.path)
    campaign.status = CampaignStatus.CLOSED
    campaign.save(update_fields=["status"])
    audit(actor=actor, verb="checkups.campaign_close", obj=campaign, node_path=campaign.node.path)
    return campaign


# --- self-assessment and visit ---------------------------------------------------------------------------


def checklist(campaign: Campaign) -> list[TemplateItem]:
    return list(TemplateItem.objects.filter(template__campaigns=campaign).select_related("template")
                .order_by("template__kind", "template_id", "seq", "id"))


def score_of(items: list[TemplateItem], answers: dict[int, str]) -> Decimal | None:
    """Weighted compliance in per cent: each applicable item earns its weight × the answer's credit."""
    total = earned = 0.0
    for it in items:
        a = answers.get(it.pk)
        if a in ANSWER_CREDIT:
            total += it.weight
            earned += it.weight * ANSWER_CREDIT[a]
    return Decimal(str(round(100 * earned / total, 1))) if total else None


def _clean_answers(items: list[TemplateItem], answers: dict, *, require_all: bool) -> dict[int, dict]:
    out, errors = {}, []
    by_id = {it.pk: it for it in items}
    for tid, a in answers.items():
        if int(tid) not in by_id:
            raise ValidationError(_("清单条目不属于本次体检"))
        a = a if isinstance(a, dict) else {"answer": a}
        if a.get("answer") not in Answer.values:
            errors.append(_("第 %(seq)d 项：请选择检查结果") % {"seq": by_id[int(tid)].seq})
            continue
        out[int(tid)] = a
    if require_all:
        for it in items:
            if it.pk not in out:
                errors.append(_("“%(text)s”：请选择检查结果") % {"text": it.text[:30]})
    if errors:
        raise ValidationError(errors)
    return out


def _exam_for_write(exam: Examination) -> Examination:
    from huigong.core.db import for_update

    return for_update(Examination.objects.select_related("campaign", "union", "enterprise")).get(pk=exam.pk)


@transaction.atomic
def self_assessment_save(*, actor, exam: Examination, answers: dict, at=None) -> Examination:
    """The enterprise union's own check before the visit: every item answered; allowed until the visit."""
    _in_scope(actor, exam.union.path)
    exam = _exam_for_write(exam)
    if exam.status not in (ExamStatus.PLANNED, ExamStatus.SELF_ASSESSED):
        raise ValidationError(_("现场体检后不能再修改自查结果"))
    items = checklist(exam.campaign)
    clean = _clean_answers(items, answers, require_all=True)
    at = at or timezone.now()
    Response.objects.filter(examination=exam, stage=Response.Stage.SELF).delete()
    Response.objects.bulk_create([
        Response(examination=exam, template_item_id=tid, stage=Response.Stage.SELF, answer=a["answer"],
                 note=(a.get("note") or "")[:300], answered_by=actor, answered_at=at) for tid, a in clean.items()])
    exam.self_score = score_of(items, {k: v["answer"] for k, v in clean.items()})
    exam.self_assessed_at, exam.status = at, ExamStatus.SELF_ASSESSED
    with tally.counting(exams=[exam]):
        exam.save(update_fields=["self_score", "self_assessed_at", "status"])
    audit(actor=actor, verb="checkups.self_assess", obj=exam, node_path=exam.union.path,
          new={"score": exam.self_score, "answered": len(clean)})
    report_changed(exam.campaign_id)
    return exam


@transaction.atomic
def visit_record(*, actor, exam: Examination, visited_on: dt.date, team: str, answers: dict,
                 workers_covered: int | None = None, at=None) -> list[Finding]:
    """The visit: every checklist item answered (a note, optionally a photo, per item); each "no" or
    "partly" becomes a finding tracked to rectification (the item's legal basis, the severity chosen or
    the item's default, due `rectify_days` after the visit, owned by the enterprise)."""
    _in_scope(actor, exam.union.path)
    exam = _exam_for_write(exam)
    if exam.status in (ExamStatus.VISITED, ExamStatus.RETURN_VISITED):
        raise ValidationError(_("这家企业已登记过现场体检"))
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("体检日期：不能晚于今天")})
    if not (team or "").strip():
        raise ValidationError({"team": _("体检人员：请填写")})
    items = checklist(exam.campaign)
    clean = _clean_answers(items, answers, require_all=True)
    at = at or timezone.now()
    by_id = {it.pk: it for it in items}
    responses = []
    for tid, a in clean.items():
        r = Response(examination=exam, template_item_id=tid, stage=Response.Stage.VISIT, answer=a["answer"],
                     note=(a.get("note") or "")[:300], answered_by=actor, answered_at=at)
        photo = a.get("photo")
        if photo is not None:
            from huigong.core.uploads import check_upload

            checked = check_upload(photo, field_label=_("第 %(seq)d 项照片") % {"seq": by_id[tid].seq},
                                   allow_pdf=False)
            photo.seek(0)
            r.photo.save(f"visit.{checked.extension}", photo, save=False)
            r.photo_type = checked.content_type
        responses.append(r)
    Response.objects.bulk_create(responses)
    findings = []
    due = visited_on + dt.timedelta(days=exam.campaign.rectify_days)
    for tid, a in clean.items():
        if a["answer"] not in (Answer.NO, Answer.PARTLY):
            continue
        it = by_id[tid]
        severity = a.get("severity") or it.severity
        if severity not in Severity.values:
            raise ValidationError(_("第 %(seq)d 项：严重程度无效") % {"seq": it.seq})
        findings.append(_finding(actor=actor, exam=exam, category=it.category, severity=severity,
                                 description=(a.get("note") or "").strip() or it.text, legal_basis=it.legal_basis,
                                 recommendation=(a.get("recommendation") or "").strip(), template_item=it, due=due,
                                 at=at))
    exam.visited_on, exam.visited_by, exam.visit_team = visited_on, actor, team.strip()[:200]
    exam.score = score_of(items, {k: v["answer"] for k, v in clean.items()})
    exam.status = ExamStatus.VISITED
    exam.return_visit_due = visited_on + dt.timedelta(days=exam.campaign.return_visit_days)
    if workers_covered is not None:
        exam.workers_covered = max(0, int(workers_covered))
    with tally.counting(exams=[exam]):
        exam.save()
    audit(actor=actor, verb="checkups.visit", obj=exam, node_path=exam.union.path,
          new={"visited_on": visited_on, "score": exam.score, "findings": len(findings)})
    report_changed(exam.campaign_id)
    return findings


def _finding(*, actor, exam, category, severity, description, legal_basis, recommendation, template_item, due,
             at) -> Finding:
    item = outcomes.item_create(
        actor=actor, kind=FINDING_KIND, node=exam.union, title=f"{exam.enterprise.name}：{description}"[:200],
        description=recommendation, category=category, severity=severity, owner_kind="enterprise",
        owner_enterprise=exam.enterprise, due_date=due, at=at, check_scope=False)
    f = Finding.objects.create(campaign=exam.campaign, examination=exam, template_item=template_item,
                               category=category, severity=severity, description=description[:300],
                               legal_basis=legal_basis[:300], recommendation=recommendation[:300], item=item,
                               created_at=at)
    # The item names its source back; the finding's id exists only now.
    type(item).objects.filter(pk=item.pk).update(source_id=str(f.pk))
    item.source_id = str(f.pk)
    tally.count(findings=[f])
    return f


@transaction.atomic
def finding_add(*, actor, exam: Examination, category: str, severity: str, description: str, legal_basis: str = "",
                recommendation: str = "") -> Finding:
    """A finding outside the checklist, after the visit."""
    _in_scope(actor, exam.union.path)
    exam = _exam_for_write(exam)
    if exam.status not in (ExamStatus.VISITED, ExamStatus.RETURN_VISITED):
        raise ValidationError(_("请先登记现场体检"))
    errors = {}
    if category not in Category.values:
        errors["category"] = _("类别：无效的选项")
    if severity not in Severity.values:
        errors["severity"] = _("严重程度：无效的选项")
    if not (description or "").strip():
        errors["description"] = _("问题描述：请填写")
    if errors:
        raise ValidationError(errors)
    f = _finding(actor=actor, exam=exam, category=category, severity=severity, description=description.strip(),
                 legal_basis=(legal_basis or "").strip(), recommendation=(recommendation or "").strip(),
                 template_item=None, due=exam.visited_on + dt.timedelta(days=exam.campaign.rectify_days),
                 at=timezone.now())
    audit(actor=actor, verb="checkups.finding_add", obj=exam, node_path=exam.union.path,
          new={"finding": f.pk, "category": category, "severity": severity})
    report_changed(exam.campaign_id)
    return f


# --- instruments -----------------------------------------------------------------------------------------

NUMBER_PREFIX = {InstrumentKind.REMINDER: "工法提", InstrumentKind.OPINION: "工法意", InstrumentKind.RECOMMENDATION: "工法建"}


def _next_number(kind: str, year: int) -> str:
    prefix = f"{NUMBER_PREFIX[kind]}〔{year}〕"
    n = Instrument.objects.filter(number__startswith=prefix).count() + 1
    while Instrument.objects.filter(number=f"{prefix}{n}号").exists():
        n += 1
    return f"{prefix}{n}号"


@transaction.atomic
def instrument_issue(*, actor, exam: Examination, kind: str, findings, issued_on: dt.date | None = None,
                     reply_days: int | None = None, render: bool = True) -> Instrument:
    """A 提示函, 意见书 or 建议书 to the enterprise about some of its findings, numbered, with a reply
    deadline; the PDF is rendered and kept (encrypted) when the server can render Chinese PDFs."""
    _in_scope(actor, exam.union.path)
    exam = _exam_for_write(exam)
    if kind not in InstrumentKind.values:
        raise ValidationError({"kind": _("文书类型：无效的选项")})
    findings = list(findings)
    if not findings:
        raise ValidationError({"findings": _("问题：请至少选择一条")})
    for f in findings:
        if f.examination_id != exam.pk:
            raise ValidationError({"findings": _("问题：不属于这家企业的体检")})
        if f.instrument_id is not None:
            raise ValidationError({"findings": _("问题“%(d)s”已在文书 %(n)s 中提出")
                                   % {"d": f.description[:20], "n": f.instrument.number}})
    issued_on = issued_on or timezone.localdate()
    days = exam.campaign.reply_days if reply_days is None else int(reply_days)
    if not 1 <= days <= 365:
        raise ValidationError({"reply_days": _("回复期限：请填写 1 到 365 天")})
    for _attempt in range(3):
        try:
            with transaction.atomic():
                inst = Instrument.objects.create(examination=exam, kind=kind, number=_next_number(kind, issued_on.year),
                                                 issued_on=issued_on, reply_due=issued_on + dt.timedelta(days=days),
                                                 issued_by=actor)
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - three concurrent issues of the same number in a row
        raise ValidationError(_("文号生成冲突，请重试"))
    tally.count(instruments=[inst])
    with tally.counting(findings=findings):
        Finding.objects.filter(pk__in=[f.pk for f in findings]).update(instrument=inst)
    if render:
        from huigong.core.pdf import PdfUnavailable

        from .pdfs import instrument_pdf

        try:
            from django.core.files.base import ContentFile

            inst.pdf.save(f"{inst.pk}.pdf", ContentFile(instrument_pdf(inst)), save=True)
        except PdfUnavailable:
            pass  # rendered on request instead; the page says why if it cannot be
    audit(actor=actor, verb="checkups.instrument_issue", obj=exam, node_path=exam.union.path,
          new={"instrument": inst.pk, "kind": kind, "number": inst.number, "findings": [f.pk for f in findings],
               "reply_due": inst.reply_due})
    report_changed(exam.campaign_id)
    return inst


@transaction.atomic
def instrument_reply(*, actor, instrument: Instrument, replied_on: dt.date, accepted: bool, text: str = "") -> Instrument:
    from huigong.core.db import for_update

    exam = instrument.examination
    _in_scope(actor, exam.union.path)
    instrument = for_update(Instrument.objects.select_related("examination__union"), of=("self",)).get(pk=instrument.pk)
    if instrument.replied_on is not None:
        raise ValidationError(_("该文书已登记回复"))
    if replied_on < instrument.issued_on or replied_on > timezone.localdate():
        raise ValidationError({"replied_on": _("回复日期：须在发出日期与今天之间")})
    if not accepted and not (text or "").strip():
        raise ValidationError({"text": _("企业回复：企业不采纳时请记录其理由")})
    instrument.replied_on, instrument.accepted, instrument.reply_text = replied_on, bool(accepted), (text or "").strip()
    # Its findings count as accepted (or not) with it.
    with tally.counting(instruments=[instrument], findings=instrument.findings.values_list("pk", flat=True)):
        instrument.save(update_fields=["replied_on", "accepted", "reply_text"])
    audit(actor=actor, verb="checkups.instrument_reply", obj=exam, node_path=exam.union.path,
          new={"instrument": instrument.pk, "accepted": instrument.accepted, "replied_on": replied_on})
    report_changed(exam.campaign_id)
    return instrument


# --- return visit ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def _closing(item_pk: int):
    token = _RETURN_VISIT.set(item_pk)
    try:
        yield
    finally:
        _RETURN_VISIT.reset(token)


@transaction.atomic
def return_visit_record(*, actor, exam: Examination, visited_on: dt.date, note: str, verdicts: dict) -> Examination:
    """The mandatory return visit (回访). `verdicts`: {finding id: ("effective" | "not_effective", comment)}.
    Every finding waiting for verification must get a verdict; "effective" closes it (the tracker refuses
    it without evidence of effect, or from whoever submitted it), "not effective" reopens it, also a
    finding closed earlier whose problem came back."""
    _in_scope(actor, exam.union.path)
    exam = _exam_for_write(exam)
    if exam.status not in (ExamStatus.VISITED, ExamStatus.RETURN_VISITED):
        raise ValidationError(_("请先登记现场体检"))
    if exam.visited_on and visited_on < exam.visited_on:
        raise ValidationError({"visited_on": _("回访日期：不能早于体检日期")})
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("回访日期：不能晚于今天")})
    if not (note or "").strip():
        raise ValidationError({"note": _("回访情况：请填写")})
    findings = {f.pk: f for f in exam.findings.select_related("item__node")}
    errors = []
    for f in findings.values():
        if f.item.status == ItemStatus.VERIFYING and str(f.pk) not in {str(k) for k in verdicts}:
            errors.append(_("问题“%(d)s”已提交整改成效，请作出回访结论") % {"d": f.description[:30]})
    if errors:
        raise ValidationError(errors)
    for fid, (verdict, comment) in verdicts.items():
        f = findings.get(int(fid))
        if f is None:
            raise ValidationError(_("问题不属于这家企业的体检"))
        if verdict not in ("effective", "not_effective"):
            continue
        try:
            with _closing(f.item.pk):
                outcomes.item_verify(actor=actor, item=f.item, effective=verdict == "effective",
                                     comment=comment or _("回访核实"))
        except ValidationError as exc:
            raise ValidationError(_("问题“%(d)s”：%(e)s") % {"d": f.description[:30], "e": "；".join(exc.messages)}) from None
    exam.return_visited_on, exam.return_visit_note = visited_on, note.strip()
    exam.status = ExamStatus.RETURN_VISITED
    with tally.counting(exams=[exam]):
        exam.save(update_fields=["return_visited_on", "return_visit_note", "status"])
    audit(actor=actor, verb="checkups.return_visit", obj=exam, node_path=exam.union.path,
          new={"visited_on": visited_on, "verdicts": {str(k): v[0] for k, v in verdicts.items()}})
    report_changed(exam.campaign_id)
    return exam


# --- reply deadlines of instruments ----------------------------------------------------------------------

# An instrument not yet replied to: the enterprise's union is reminded REPLY_REMIND_DAYS before its reply
# deadline and again the day after it passes; REPLY_ESCALATE_DAYS days after it, the union one level up.
REPLY_REMIND_DAYS = 3
REPLY_ESCALATE_DAYS = 7


def _parent(node):
    if len(node.path) <= node.steplen:
        return None
    return type(node).objects.filter(path=node.path[: -node.steplen]).first()


def _told_at(node) -> tuple:
    """The nearest union from `node` upwards with someone holding the check-up capability, and those
    accounts (an enterprise's union often has no staff account of its own)."""
    from django.contrib.auth import get_user_model

    from huigong.core.approvals.services import approvers_at

    while node is not None:
        ids = approvers_at([node.pk], CAP).get(node.pk, set())
        if ids:
            return node, list(get_user_model().objects.filter(pk__in=ids).order_by("pk"))
        node = _parent(node)
    return None, []


def reply_step_due(inst: Instrument, today: dt.date) -> list[str]:
    """The reminder steps an unreplied instrument has reached today (a step the job missed the window of
    is not sent late: "due soon" is not sent once the deadline has passed)."""
    from .models import ReminderStep

    left = (inst.reply_due - today).days
    if 0 <= left <= REPLY_REMIND_DAYS:
        return [ReminderStep.DUE_SOON]
    steps = []
    if left < 0:
        steps.append(ReminderStep.OVERDUE)
    if -left >= REPLY_ESCALATE_DAYS:
        steps.append(ReminderStep.ESCALATED)
    return steps


def instrument_reminders(today: dt.date | None = None, *, limit: int = 5000) -> dict[str, int]:
    """The periodic job `checkups.reply_reminders`: reminds the enterprise's union (the nearest union
    upwards with check-up staff) of an instrument's reply deadline, due soon and overdue, and escalates to
    the union one level above it once overdue REPLY_ESCALATE_DAYS days. Idempotent: each (instrument,
    deadline, step) is a row inserted under a unique constraint before anything is sent (a second run, or a
    concurrent one, inserts nothing and sends nothing), and the notifications have keys."""
    from django.db.models import Exists, OuterRef
    from django.urls import reverse

    from huigong.core.notify.services import notify

    from .models import InstrumentReminder, ReminderStep

    today = today or timezone.localdate()
    counts = {s.value: 0 for s in ReminderStep}
    sent = InstrumentReminder.objects.filter(instrument=OuterRef("pk"), reply_due=OuterRef("reply_due"))
    todo = (Instrument.objects.filter(replied_on__isnull=True,
                                      reply_due__lte=today + dt.timedelta(days=REPLY_REMIND_DAYS))
            .exclude(Exists(sent.filter(step=ReminderStep.ESCALATED)))
            .select_related("examination__union", "examination__enterprise", "issued_by")
            .order_by("reply_due", "pk")[:limit])
    todo = list(todo)
    done = set(InstrumentReminder.objects.filter(instrument__in=[i.pk for i in todo])
               .values_list("instrument_id", "reply_due", "step"))
    for inst in todo:
        exam = inst.examination
        for step in reply_step_due(inst, today):
            if (inst.pk, inst.reply_due, step) in done:
                continue
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        mark = InstrumentReminder.objects.create(instrument=inst, reply_due=inst.reply_due, step=step,
                                                                 node=exam.union, sent_at=timezone.now())
                except IntegrityError:
                    continue  # this step was sent for this deadline already (or is being sent right now)
                start = exam.union
                if step == ReminderStep.ESCALATED:
                    base, _users = _told_at(exam.union)
                    start = _parent(base) if base is not None else None
                node, users = _told_at(start)
                if step != ReminderStep.ESCALATED and inst.issued_by_id and inst.issued_by.is_active \
                        and inst.issued_by not in users:
                    users.append(inst.issued_by)
                days = (today - inst.reply_due).days
                names = {"kind": inst.get_kind_display(), "number": inst.number, "enterprise": exam.enterprise.name,
                         "due": inst.reply_due, "days": days}
                if step == ReminderStep.DUE_SOON:
                    title = _("%(kind)s %(number)s 将于 %(due)s 到回复期限：%(enterprise)s") % names
                    event = "checkups.reply_due_soon"
                elif step == ReminderStep.OVERDUE:
                    title = _("%(kind)s %(number)s 已超过回复期限 %(days)d 天：%(enterprise)s") % names
                    event = "checkups.reply_overdue"
                else:
                    title = _("督办：%(kind)s %(number)s 已超过回复期限 %(days)d 天仍未回复：%(enterprise)s") % names
                    event = "checkups.reply_overdue"
                body = _("企业：%(enterprise)s；回复期限：%(due)s。请督促企业回复并在企业体检页面登记。") % names
                path = (node or exam.union).path
                for user in users:
                    notify(event=event, key=f"instrument:{inst.pk}:{inst.reply_due}:{step}:u{user.pk}",
                           title=title, body=body, link=reverse("checkups:exam", args=[exam.pk]),
                           node_path=path, user=user)
                mark.node, mark.recipients = node or exam.union, len(users)
                mark.save(update_fields=["node", "recipients"])
                audit(actor=None, verb="checkups.instrument_remind", obj=exam, node_path=exam.union.path,
                      new={"instrument": inst.pk, "step": step, "reply_due": inst.reply_due,
                           "told": (node or exam.union).pk, "recipients": len(users)})
                counts[step] += 1
    return counts
