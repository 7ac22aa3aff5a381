"""Hardship files (建档), their household, causes, evidence, verification, yearly review and closing.

Decisions encoded here:
- One live file per household: every household member's ID number has a blind index, and a partial
  UNIQUE index (FileMember.is_live) refuses a second live file holding any of them. The service looks
  first so the refusal names the existing file; the IntegrityError of a concurrent twin gets the same answer.
- A confirmed level that differs from what the figures give under the applicable rule (e.g. 深度困难 for
  a household above the 低保 line) is accepted only with an explicit reason (`level_reason`), kept on
  the file and in its audit event. With no rule configured for the node every level needs a reason.
- File numbers are <region code>-<year>-<4-digit sequence>, drawn from a per-prefix counter row.
- The household's figures are encrypted and stay out of audit events (which leaders may browse): an
  event names the figures that changed (`figures_changed`), not their values.
- A file with money in flight cannot be closed: while an application of it is approved, under notice,
  past notice or has an unpaid payout, closing is refused naming them; drafts, submitted and returned
  applications (which hold no budget yet) are withdrawn in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import os

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core import idnumber
from huigong.core.audit import audit, diff, snapshot
from huigong.core.crypto import blind_index, mask_bank, mask_name
from huigong.core.scope import ensure_path_in_scope, path_in_scope, require
from huigong.core.uploads import check_upload
from huigong.members.models import Membership, MembershipStatus, Person

from ..models import (
    CloseReason,
    EvidenceKind,
    FileCause,
    FileEvidence,
    FileMember,
    FileNumberCounter,
    FileReview,
    FileStatus,
    HardshipCause,
    HardshipFile,
    HardshipLevel,
    HelpRequest,
    HelpRequestStatus,
    ReviewOutcome,
    SweepVisit,
)
from ..models.common import SUDDEN_CAUSES
from .screening import MAX_HOUSEHOLD, MAX_MONTHLY_FEN, Facts, classify, rule_for_path

FILE_FIELDS = ["status", "level", "proposed_level", "level_reason", "household_size", "payee_name", "bank_name",
               "bank_account_mask"]
FIGURES = ("monthly_income_fen", "rigid_expense_fen")  # encrypted: audited by name only
RELATIONS = ("本人", "配偶", "子女", "父母", "兄弟姐妹", "祖父母", "孙子女", "其他")
REVIEW_EVERY = dt.timedelta(days=365)


# --- helpers -----------------------------------------------------------------------------------------------

def _head_membership(actor, head: Person) -> Membership:
    m = (Membership.objects.select_related("union")
         .filter(person=head, status=MembershipStatus.ACTIVE).first())
    if m is None:
        raise ValidationError({"head": [_("户主须为在会会员")]})
    if not path_in_scope(actor, m.union.path):
        raise ValidationError({"head": [_("该会员不在您的管辖范围内")]})
    return m


def next_file_no(region_code: str, year: int) -> str:
    prefix = f"{region_code or '000000'}-{year}"
    FileNumberCounter.objects.get_or_create(prefix=prefix)
    FileNumberCounter.objects.filter(prefix=prefix).update(last=F("last") + 1)
    last = FileNumberCounter.objects.filter(prefix=prefix).values_list("last", flat=True).get()
    return f"{prefix}-{last:04d}"


def _clean_money(value, field: str, label: str, errors: dict) -> int:
    try:
        v = int(value or 0)
        if not 0 <= v <= MAX_MONTHLY_FEN:
            raise ValueError
        return v
    except (TypeError, ValueError):
        errors[field] = [_("%(label)s：应为0到100万元之间的金额") % {"label": label}]
        return 0


def _clean_members(rows: list[dict]) -> list[dict]:
    """Household rows → model values (encrypted ID number, blind index, mask). Errors name the row."""
    errors: dict[str, list[str]] = {}
    out, seen = [], {}
    for i, row in enumerate(rows, start=1):
        name = (row.get("name") or "").strip()
        relation = (row.get("relation") or "").strip()
        where = _("第%(i)s位家庭成员") % {"i": i}
        if not name or len(name) > 50:
            errors.setdefault("members", []).append(_("%(where)s：姓名不能为空且不超过50字") % {"where": where})
            continue
        if relation not in RELATIONS:
            errors.setdefault("members", []).append(_("%(where)s（%(name)s）：与户主关系无效") % {"name": name, "where": where})
            continue
        try:
            info = idnumber.parse(row.get("id_number") or "")
        except idnumber.IdNumberError as e:
            errors.setdefault("members", []).append(f"{where}（{name}）：{e}")
            continue
        h = blind_index(info.number, "id")
        if h in seen:
            errors.setdefault("members", []).append(
                _("%(where)s（%(name)s）：与第%(seen)s位身份证号重复") % {"name": name, "seen": seen[h], "where": where})
            continue
        seen[h] = i
        income = _clean_money(row.get("monthly_income_fen", 0), "members", f"{where}（{name}）月收入", errors)
        out.append({"name": name, "relation": relation, "id_number": info.number, "id_number_hash": h,
                    "id_number_mask": idnumber.mask(info.number), "monthly_income_fen": income,
                    "health_note": (row.get("health_note") or "").strip(), "is_student": bool(row.get("is_student")),
                    "person": row.get("person")})
    if errors:
        raise ValidationError(errors)
    return out


def _duplicate_message(file: HardshipFile) -> str:
    return (_("已有档案 %(file_no)s（%(mask_name)s，%(node_name)s）") % {"file_no": file.file_no, "mask_name": mask_name(file.head.name), "node_name": file.node.name})


def _refuse_duplicates(hashes: list[str], *, exclude_file: int | None = None) -> None:
    qs = FileMember.objects.filter(is_live=True, id_number_hash__in=hashes).select_related("file__head", "file__node")
    if exclude_file:
        qs = qs.exclude(file_id=exclude_file)
    hit = qs.first()
    if hit is not None:
        raise ValidationError({"members": [f"{hit.name}：{_duplicate_message(hit.file)}"]})


def _insert_members(file: HardshipFile, members: list[dict]) -> list[FileMember]:
    try:
        with transaction.atomic():
            return FileMember.objects.bulk_create([FileMember(file=file, **m) for m in members])
    except IntegrityError as exc:  # a concurrent file took one of them between the check and the insert
        if "one_live_file" not in str(exc) and "id_number_hash" not in str(exc):
            raise
        _refuse_duplicates([m["id_number_hash"] for m in members], exclude_file=file.pk)
        raise ValidationError({"members": [(_("该家庭成员刚刚已被建档，请刷新"))]}) from None


def _clean_causes(causes) -> list[str]:
    causes = list(dict.fromkeys(causes or []))
    bad = [c for c in causes if c not in HardshipCause.values]
    if bad or not causes:
        raise ValidationError({"causes": [_("请选择至少一项有效的致困原因")]})
    return causes


def proposed_level_for(node_path: str, *, household_size: int, monthly_income_fen: int, rigid_expense_fen: int,
                       causes: list[str]) -> str:
    rule = rule_for_path(node_path)
    if rule is None:
        return ""
    facts = Facts(household_size, monthly_income_fen, rigid_expense_fen,
                  sudden=any(c in SUDDEN_CAUSES for c in causes))
    return classify(facts, dibao_fen=rule.dibao_fen, multiple=rule.relative_multiple)


def _check_level(level: str, proposed: str, reason: str) -> str:
    if level not in HardshipLevel.values:
        raise ValidationError({"level": [_("请选择困难等级")]})
    reason = (reason or "").strip()
    if level != proposed and not reason:
        shown = HardshipLevel(proposed).label if proposed else _("不符合任何困难标准")
        raise ValidationError({"level_reason": [
            (_("所选等级与收入情况不符（系统初判：%(shown)s），如确需认定请填写理由") % {"shown": shown})]})
    return reason[:255] if level != proposed else ""


def _clean_bank(bank_account: str) -> str:
    bank_account = (bank_account or "").replace(" ", "")
    if bank_account and not (bank_account.isdigit() and 12 <= len(bank_account) <= 30):
        raise ValidationError({"bank_account": [_("银行账号应为12到30位数字")]})
    return bank_account


# --- create / edit -----------------------------------------------------------------------------------------

@transaction.atomic
def hardship_file_create(*, actor, head: Person, causes: list[str], household_size: int, monthly_income_fen: int,
                         rigid_expense_fen: int = 0, level: str, level_reason: str = "", situation: str = "",
                         members: list[dict] | None = None, payee_name: str = "", bank_name: str = "",
                         bank_account: str = "", source_visit: SweepVisit | None = None,
                         help_request: HelpRequest | None = None, year: int | None = None) -> HardshipFile:
    """A draft file (待核实) for `head`'s household. The head is added as 本人 from the member record;
    `members` are the other household members."""
    require(actor, Cap.ASSIST)
    membership = _head_membership(actor, head)
    node = membership.union
    errors: dict[str, list[str]] = {}
    try:
        size = int(household_size)
        if not 1 <= size <= MAX_HOUSEHOLD:
            raise ValueError
    except (TypeError, ValueError):
        size = 0
        errors["household_size"] = [_("家庭人口应为1到%(MAX_HOUSEHOLD)s人") % {"MAX_HOUSEHOLD": MAX_HOUSEHOLD}]
    income = _clean_money(monthly_income_fen, "monthly_income_fen", _("家庭月收入"), errors)
    rigid = _clean_money(rigid_expense_fen, "rigid_expense_fen", _("刚性支出"), errors)
    if errors:
        raise ValidationError(errors)
    causes = _clean_causes(causes)
    head_full = Person.objects.only("id_number", "name").get(pk=head.pk)
    rows = [{"name": head.name, "relation": "本人", "id_number": head_full.id_number, "person": head}]
    rows += [dict(r, person=None) for r in (members or []) if r.get("relation") != "本人" or r.get("name")]
    cleaned = _clean_members(rows)
    if len(cleaned) > size:
        raise ValidationError({"household_size": [
            _("家庭人口（%(size)s）少于登记的家庭成员（%(cleaned)s）") % {"cleaned": len(cleaned), "size": size}]})
    proposed = proposed_level_for(node.path, household_size=size, monthly_income_fen=income,
                                  rigid_expense_fen=rigid, causes=causes)
    reason = _check_level(level, proposed, level_reason)
    bank_account = _clean_bank(bank_account)
    _refuse_duplicates([m["id_number_hash"] for m in cleaned])
    if source_visit is not None and source_visit.person_id != head.pk:
        raise ValidationError({"source_visit": [_("走访记录与户主不一致")]})
    year = year or timezone.localdate().year
    file = HardshipFile.objects.create(
        file_no=next_file_no(node.region_code, year), node=node, node_path=node.path, head=head,
        source_visit=source_visit, status=FileStatus.DRAFT, proposed_level=proposed, level=level, level_reason=reason,
        household_size=size, monthly_income_fen=income, rigid_expense_fen=rigid, situation=situation or "",
        payee_name=(payee_name or head.name).strip()[:50], bank_name=(bank_name or "").strip()[:100],
        bank_account=bank_account, bank_account_mask=mask_bank(bank_account), created_by=actor)
    _insert_members(file, cleaned)
    FileCause.objects.bulk_create([FileCause(file=file, cause=c) for c in causes])
    if help_request is not None:
        updated = HelpRequest.objects.filter(pk=help_request.pk, person=head, status=HelpRequestStatus.NEW).update(
            status=HelpRequestStatus.FILED, file=file, handled_by=actor, handled_at=timezone.now())
        if not updated:
            raise ValidationError({"help_request": [_("该求助申请已处理")]})
    audit(actor=actor, verb="hardship_file.create", obj=file, node_path=node.path,
          new=dict(snapshot(file, FILE_FIELDS), causes=causes, members=len(cleaned),
                   source_visit=source_visit.pk if source_visit else None))
    return file


def _locked(file: HardshipFile, *, statuses=(FileStatus.DRAFT, FileStatus.OPEN)) -> HardshipFile:
    file = HardshipFile.objects.select_for_update().select_related("head", "node").get(pk=file.pk)
    if file.status not in statuses:
        raise ValidationError({"status": [(_("档案状态为“%(status)s”，不能进行此操作") % {"status": file.get_status_display()})]})
    return file


@transaction.atomic
def hardship_file_update(*, actor, file: HardshipFile, **changes) -> HardshipFile:
    """Edits figures, causes, level, situation and payee of a draft or open file."""
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, file.node_path)
    allowed = {"household_size", "monthly_income_fen", "rigid_expense_fen", "level", "level_reason", "situation",
               "payee_name", "bank_name", "bank_account", "causes"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: [_("不可修改")] for f in unknown})
    file = _locked(file)
    before = snapshot(file, FILE_FIELDS)
    figures_before = {f: getattr(file, f) for f in FIGURES}
    errors: dict[str, list[str]] = {}
    if "household_size" in changes:
        try:
            size = int(changes["household_size"])
            if not max(1, file.members.count()) <= size <= MAX_HOUSEHOLD:
                raise ValueError
            file.household_size = size
        except (TypeError, ValueError):
            errors["household_size"] = [(_("家庭人口应不少于登记的家庭成员且不超过30人"))]
    for f, label in (("monthly_income_fen", _("家庭月收入")),
                     ("rigid_expense_fen", _("刚性支出"))):
        if f in changes:
            setattr(file, f, _clean_money(changes[f], f, label, errors))
    if errors:
        raise ValidationError(errors)
    causes = _clean_causes(changes["causes"]) if "causes" in changes else list(
        file.causes.values_list("cause", flat=True))
    file.proposed_level = proposed_level_for(file.node_path, household_size=file.household_size,
                                             monthly_income_fen=file.monthly_income_fen,
                                             rigid_expense_fen=file.rigid_expense_fen, causes=causes)
    file.level = changes.get("level", file.level)
    file.level_reason = _check_level(file.level, file.proposed_level, changes.get("level_reason", file.level_reason))
    if "situation" in changes:
        file.situation = changes["situation"] or ""
    if "payee_name" in changes:
        file.payee_name = (changes["payee_name"] or file.head.name).strip()[:50]
    if "bank_name" in changes:
        file.bank_name = (changes["bank_name"] or "").strip()[:100]
    if "bank_account" in changes:
        file.bank_account = _clean_bank(changes["bank_account"])
        file.bank_account_mask = mask_bank(file.bank_account)
    file.save()
    if "causes" in changes:
        file.causes.exclude(cause__in=causes).delete()
        have = set(file.causes.values_list("cause", flat=True))
        FileCause.objects.bulk_create([FileCause(file=file, cause=c) for c in causes if c not in have])
    old, new = diff(before, snapshot(file, FILE_FIELDS))
    if "causes" in changes:
        new["causes"] = causes
    changed = [f for f in FIGURES if getattr(file, f) != figures_before[f]]
    if changed:
        new["figures_changed"] = changed
    if new:
        audit(actor=actor, verb="hardship_file.update", obj=file, node_path=file.node_path, old=old, new=new)
    return file


@transaction.atomic
def file_member_add(*, actor, file: HardshipFile, name: str, relation: str, id_number: str,
                    monthly_income_fen: int = 0, health_note: str = "", is_student: bool = False) -> FileMember:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, file.node_path)
    file = _locked(file)
    if relation == "本人":
        raise ValidationError({"relation": [_("户主已在档案中")]})
    [row] = _clean_members([{"name": name, "relation": relation, "id_number": id_number,
                             "monthly_income_fen": monthly_income_fen, "health_note": health_note,
                             "is_student": is_student}])
    _refuse_duplicates([row["id_number_hash"]])
    if file.members.count() + 1 > file.household_size:
        HardshipFile.objects.filter(pk=file.pk).update(household_size=F("household_size") + 1)
    [member] = _insert_members(file, [row])
    audit(actor=actor, verb="hardship_file.member_add", obj=file, node_path=file.node_path,
          new={"name": mask_name(row["name"]), "relation": relation, "id_number_mask": row["id_number_mask"]})
    return member


@transaction.atomic
def file_member_remove(*, actor, member: FileMember) -> None:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, member.file.node_path)
    file = _locked(member.file)
    if member.relation == "本人":
        raise ValidationError({"member": [_("不能移除户主")]})
    audit(actor=actor, verb="hardship_file.member_remove", obj=file, node_path=file.node_path,
          old={"name": mask_name(member.name), "relation": member.relation, "id_number_mask": member.id_number_mask})
    member.delete()


@transaction.atomic
def evidence_add(*, actor, file: HardshipFile, kind: str, upload) -> FileEvidence:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, file.node_path)
    file = _locked(file)
    if kind not in EvidenceKind.values:
        raise ValidationError({"kind": [_("请选择材料类型")]})
    checked = check_upload(upload, field_label=_("证明材料"))
    name = os.path.basename(getattr(upload, "name", "") or f"evidence.{checked.extension}")[:200]
    upload.name = f"{file.file_no}.{checked.extension}"  # the stored name never carries the user's text
    ev = FileEvidence.objects.create(file=file, kind=kind, upload=upload, original_name=name,
                                     content_type=checked.content_type, size=checked.size, uploaded_by=actor)
    audit(actor=actor, verb="hardship_file.evidence_add", obj=file, node_path=file.node_path,
          new={"evidence": ev.pk, "kind": kind, "name": name, "size": checked.size})
    return ev


# --- open / review / close ---------------------------------------------------------------------------------

@transaction.atomic
def hardship_file_open(*, actor, file: HardshipFile, verified_on: dt.date, verification_note: str) -> HardshipFile:
    """核实后建档: records the verification visit and opens the file (draft → open)."""
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, file.node_path)
    file = _locked(file, statuses=(FileStatus.DRAFT,))
    errors = {}
    if verified_on is None or verified_on > timezone.localdate():
        errors["verified_on"] = [_("核实日期不能为空或晚于今天")]
    if not (verification_note or "").strip():
        errors["verification_note"] = [_("请填写入户核实情况")]
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    file.status, file.verified_on, file.verified_by = FileStatus.OPEN, verified_on, actor
    file.verification_note = verification_note.strip()
    file.opened_on = today
    file.next_review_due = today + REVIEW_EVERY
    file.save(update_fields=["status", "verified_on", "verified_by", "verification_note", "opened_on",
                             "next_review_due", "updated_at"])
    audit(actor=actor, verb="hardship_file.open", obj=file, node_path=file.node_path,
          old={"status": FileStatus.DRAFT}, new={"status": FileStatus.OPEN, "verified_on": verified_on,
                                                 "level": file.level})
    return file


@transaction.atomic
def hardship_file_close(*, actor, file: HardshipFile, reason: str, note: str = "", on: dt.date | None = None
                        ) -> HardshipFile:
    """解困脱困 / 销档: the file and its household leave the live register in one transaction."""
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, file.node_path)
    file = _locked(file)
    if reason not in CloseReason.values:
        raise ValidationError({"reason": [_("请选择销档原因")]})
    if reason == CloseReason.OTHER and not (note or "").strip():
        raise ValidationError({"note": [_("原因为“其他”时请填写说明")]})
    withdrawn = _settle_applications_before_close(actor, file)
    old_status = file.status
    file.status, file.closed_on = FileStatus.CLOSED, on or timezone.localdate()
    file.close_reason, file.close_note = reason, (note or "").strip()[:255]
    file.next_review_due = None
    file.save(update_fields=["status", "closed_on", "close_reason", "close_note", "next_review_due", "updated_at"])
    FileMember.objects.filter(file=file).update(is_live=False)
    audit(actor=actor, verb="hardship_file.close", obj=file, node_path=file.node_path,
          old={"status": old_status}, new={"status": FileStatus.CLOSED, "reason": reason, "note": file.close_note,
                                           "withdrawn_applications": withdrawn})
    return file


def _settle_applications_before_close(actor, file: HardshipFile) -> list[int]:
    """Called with the file row locked (lock order: file, then applications). Refuses while money is in
    flight; withdraws the applications that hold nothing yet. Returns the ids withdrawn."""
    from ..models import AidApplication, ApplicationStatus, Payout, PayoutStatus
    from .aid import aid_application_withdraw

    apps = list(AidApplication.objects.select_for_update(of=("self",)).select_related("programme")
                .filter(file=file).order_by("id"))
    in_flight = {ApplicationStatus.APPROVED, ApplicationStatus.NOTICE, ApplicationStatus.NOTICE_ENDED}
    unpaid = set(Payout.objects.filter(application__file=file).exclude(status=PayoutStatus.PAID)
                 .values_list("application_id", flat=True))
    blocking = [a for a in apps if a.status in in_flight or a.pk in unpaid]
    if blocking:
        named = "；".join(f"{a.programme.name}（{a.get_status_display()}）" for a in blocking)
        raise ValidationError({"reason": [
            (_("该档案还有未发放完毕的帮扶申请：%(named)s。请待发放完成或处理后再销档") % {"named": named})]})
    withdrawn = []
    for a in apps:
        if a.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
            aid_application_withdraw(actor=actor, application=a)
            withdrawn.append(a.pk)
    return withdrawn


@transaction.atomic
def file_review_record(*, actor, file: HardshipFile, year: int, outcome: str, reviewed_on: dt.date | None = None,
                       new_level: str = "", monthly_income_fen: int | None = None, note: str = "",
                       close_reason: str = "") -> FileReview:
    """The yearly review (once per file per year): keep, change the level (with a reason), or close."""
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, file.node_path)
    file = _locked(file, statuses=(FileStatus.OPEN,))
    reviewed_on = reviewed_on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = [_("请选择复核结论")]
    if reviewed_on > timezone.localdate():
        errors["reviewed_on"] = [_("复核日期不能晚于今天")]
    if outcome == ReviewOutcome.CHANGE_LEVEL:
        if new_level not in HardshipLevel.values or new_level == file.level:
            errors["new_level"] = [_("请选择与当前不同的困难等级")]
        if not (note or "").strip():
            errors["note"] = [_("调整等级须填写理由")]
    if outcome == ReviewOutcome.CLOSE and close_reason not in CloseReason.values:
        errors["close_reason"] = [_("请选择销档原因")]
    income = None
    if monthly_income_fen not in (None, ""):
        income = _clean_money(monthly_income_fen, "monthly_income_fen", _("家庭月收入"), errors)
    if errors:
        raise ValidationError(errors)
    old_level = file.level
    try:
        with transaction.atomic():
            review = FileReview.objects.create(
                file=file, year=year, reviewed_on=reviewed_on, reviewed_by=actor, outcome=outcome,
                old_level=old_level, new_level=new_level if outcome == ReviewOutcome.CHANGE_LEVEL else old_level,
                monthly_income_fen=income, note=(note or "").strip())
    except IntegrityError:
        raise ValidationError({"year": [_("该档案%(year)s年度已复核") % {"year": year}]}) from None
    if income is not None:
        file.monthly_income_fen = income
    if outcome == ReviewOutcome.CHANGE_LEVEL:
        file.level, file.level_reason = new_level, (note or "").strip()[:255]
    file.next_review_due = reviewed_on + REVIEW_EVERY
    file.save(update_fields=["level", "level_reason", "monthly_income_fen", "next_review_due", "updated_at"])
    audit(actor=actor, verb="hardship_file.review", obj=file, node_path=file.node_path,
          old={"level": old_level}, new={"year": year, "outcome": outcome, "level": file.level, "note": review.note})
    if outcome == ReviewOutcome.CLOSE:
        hardship_file_close(actor=actor, file=file, reason=close_reason, note=note, on=reviewed_on)
    return review


# --- help requests (the worker's "ask for help") ------------------------------------------------------------

@transaction.atomic
def help_request_create(*, person: Person, user, situation: str, causes: list[str], household_size: int,
                        monthly_income_fen: int) -> HelpRequest:
    """From the portal: the worker's own request, queued at their union. One pending request per person."""
    membership = (Membership.objects.select_related("union")
                  .filter(person=person, status=MembershipStatus.ACTIVE).first())
    if membership is None:
        raise ValidationError({"person": [_("您还不是在会会员，暂不能申请")]})
    errors: dict[str, list[str]] = {}
    situation = (situation or "").strip()
    if not 10 <= len(situation) <= 2000:
        errors["situation"] = [_("请用10到2000字说明家庭困难情况")]
    try:
        size = int(household_size)
        if not 1 <= size <= MAX_HOUSEHOLD:
            raise ValueError
    except (TypeError, ValueError):
        size = 0
        errors["household_size"] = [_("家庭人口应为1到%(MAX_HOUSEHOLD)s人") % {"MAX_HOUSEHOLD": MAX_HOUSEHOLD}]
    income = _clean_money(monthly_income_fen, "monthly_income_fen", _("家庭月收入"), errors)
    if errors:
        raise ValidationError(errors)
    causes = _clean_causes(causes)
    try:
        with transaction.atomic():
            hr = HelpRequest.objects.create(person=person, node=membership.union, node_path=membership.union.path,
                                            situation=situation, causes=causes, household_size=size,
                                            monthly_income_fen=income)
    except IntegrityError:
        raise ValidationError({"situation": [(_("您已有一份待核实的求助申请"))]}) from None
    audit(actor=user, verb="help_request.create", obj=hr, node_path=membership.union.path,
          new={"causes": causes, "household_size": size})
    return hr


@transaction.atomic
def help_request_decline(*, actor, request: HelpRequest, reason: str) -> HelpRequest:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, request.node_path)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请填写不予建档的原因")]})
    updated = HelpRequest.objects.filter(pk=request.pk, status=HelpRequestStatus.NEW).update(
        status=HelpRequestStatus.DECLINED, decline_reason=reason.strip()[:255], handled_by=actor,
        handled_at=timezone.now())
    if not updated:
        raise ValidationError({"reason": [_("该求助申请已处理")]})
    request.refresh_from_db()
    audit(actor=actor, verb="help_request.decline", obj=request, node_path=request.node_path,
          new={"status": request.status, "reason": request.decline_reason})
    return request
