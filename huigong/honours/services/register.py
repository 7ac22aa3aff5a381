"""The register: titles granted by hand or imported from historical lists, status changes with history,
the half-yearly reconciliation (still employed, still a member, alive)."""

from __future__ import annotations

import io
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import banksheet
from huigong.core.audit import audit
from huigong.core.crypto import blind_index
from huigong.core import idnumber
from huigong.core.scope import ensure_path_in_scope, require
from huigong.members.models import Membership, MembershipStatus, Person
from huigong.orgs.models import UnionNode

from ..models import (
    COLLECTIVE_TITLES,
    HolderKind,
    Honour,
    HonourEvent,
    HonourStatus,
    Reconciliation,
    ReconciliationLine,
    Source,
    TitleLevel,
    TitleType,
)
from .common import HONOUR
from .entitlements import entitlements_stop


def _validate(*, title_type, level, year, granting_body, holder_kind, person, holder_name) -> dict:
    errors: dict[str, list[str]] = {}
    if title_type not in TitleType.values:
        errors["title_type"] = [_("称号无效")]
    if level not in TitleLevel.values:
        errors["level"] = [_("级别无效")]
    if not isinstance(year, int) or not 1950 <= year <= timezone.localdate().year:
        errors["year"] = [_("年度应在 1950 年到今年之间")]
    if not (granting_body or "").strip():
        errors["granting_body"] = [_("请填写授予机关")]
    if holder_kind not in HolderKind.values:
        errors["holder_kind"] = [_("获得者类型无效")]
    elif holder_kind == HolderKind.PERSON and person is None:
        errors["person"] = [_("个人荣誉须关联实名会员")]
    elif holder_kind != HolderKind.PERSON:
        if not (holder_name or "").strip():
            errors["holder_name"] = [_("请填写单位或集体名称")]
        if title_type in TitleType.values and title_type not in COLLECTIVE_TITLES:
            errors["title_type"] = [_("称号：单位或集体只能获得五一劳动奖状、工人先锋号、创新工作室等集体荣誉")]
    return errors


def person_union(person: Person) -> UnionNode | None:
    m = (Membership.objects.filter(person=person, status=MembershipStatus.ACTIVE).select_related("union")
         .order_by("-joined_on").first())
    return m.union if m else None


@transaction.atomic
def honour_create(*, actor, union: UnionNode, title_type: str, level: str, year: int, granting_body: str,
                  certificate_no: str = "", holder_kind: str = HolderKind.PERSON, person: Person | None = None,
                  enterprise=None, holder_name: str = "", source: str = Source.MANUAL, nominee=None) -> Honour:
    require(actor, HONOUR)
    ensure_path_in_scope(actor, union.path)
    if enterprise is not None:  # a unit's or a collective's title sits with the unit's own union
        ensure_path_in_scope(actor, enterprise.union.path)
    errors = _validate(title_type=title_type, level=level, year=year, granting_body=granting_body,
                       holder_kind=holder_kind, person=person, holder_name=holder_name)
    if errors:
        raise ValidationError(errors)
    name = person.name if person is not None else holder_name.strip()
    try:
        with transaction.atomic():
            h = Honour.objects.create(
                holder_kind=holder_kind, person=person, enterprise=enterprise, holder_name=name[:120], union=union,
                node_path=union.path, title_type=title_type, level=level, year=year,
                granting_body=granting_body.strip()[:120], certificate_no=(certificate_no or "").strip()[:40],
                source=source, nominee=nominee, created_by=actor if getattr(actor, "pk", None) else None,
                status_changed_at=timezone.now())
    except IntegrityError:
        raise ValidationError({"certificate_no": [_("该授予机关的证书编号已登记，或此人已登记同年度同级同一称号")]}) from None
    HonourEvent.objects.create(honour=h, from_status="", to_status=HonourStatus.ACTIVE,
                               reason=str(Source(source).label), actor=h.created_by)
    audit(actor=actor, verb="honour.create", obj=h, node_path=union.path,
          new={"title_type": title_type, "level": level, "year": year, "granting_body": h.granting_body,
               "certificate_no": h.certificate_no, "source": source})
    if h.is_model_worker and person is not None:
        from .entitlements import entitlements_schedule

        entitlements_schedule(honour=h, year=timezone.localdate().year)
    return h


@transaction.atomic
def honour_mark_deceased(*, actor, honour: Honour, reason: str) -> Honour:
    """去世: the title stays in the register as history; every entitlement not yet delivered stops."""
    require(actor, HONOUR)
    ensure_path_in_scope(actor, honour.node_path)
    h = Honour.objects.select_for_update().get(pk=honour.pk)
    if h.status != HonourStatus.ACTIVE:
        raise ValidationError(_("该荣誉当前状态为“%(s)s”") % {"s": h.get_status_display()})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写原因（如去世日期与信息来源）")]})
    h.status, h.status_changed_at = HonourStatus.DECEASED, timezone.now()
    h.save(update_fields=["status", "status_changed_at"])
    HonourEvent.objects.create(honour=h, from_status=HonourStatus.ACTIVE, to_status=HonourStatus.DECEASED,
                               reason=reason[:255], actor=actor)
    stopped = entitlements_stop(honours=[h], reason=_("获得者已故"))
    audit(actor=actor, verb="honour.deceased", obj=h, node_path=h.node_path, old={"status": HonourStatus.ACTIVE},
          new={"status": HonourStatus.DECEASED, "reason": reason, "entitlements_stopped": stopped})
    return h


# --- bulk import of historical lists ------------------------------------------------------------------

IMPORT_COLUMNS = {"name": "姓名", "id_number": "身份证号", "title": "称号", "level": "级别", "year": "年度",
                  "granting_body": "授予机关", "certificate_no": "证书编号"}
MAX_IMPORT_ROWS = 5000


def _lookup(labels: dict[str, str], text: str) -> str | None:
    text = (text or "").strip()
    for value, label in labels.items():
        if text in (label, value):
            return value
    # "全国劳动模范" / "省部级五一劳动奖章": a level prefix written into the title
    return None


def _parse_title(text: str) -> tuple[str | None, str | None]:
    text = (text or "").strip()
    titles = {str(lbl): v for v, lbl in TitleType.choices}
    for label, value in sorted(titles.items(), key=lambda kv: -len(kv[0])):
        if text.endswith(label):
            rest = text[: -len(label)]
            level = {"全国": TitleLevel.NATIONAL, "省": TitleLevel.PROVINCE, "省部级": TitleLevel.PROVINCE,
                     "市": TitleLevel.CITY, "市级": TitleLevel.CITY}.get(rest)
            return value, level
    return None, None


def import_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    from python_calamine import CalamineWorkbook

    banksheet.check_zip(data)
    banksheet.check_extent(data)
    try:
        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    except Exception:  # noqa: BLE001 - calamine raises several kinds
        raise ValidationError({"upload": [_("无法读取该 Excel 文件")]}) from None
    if not rows:
        raise ValidationError({"upload": [_("表中没有数据")]})
    header = [banksheet.cell(c) for c in rows[0]]
    col = {}
    for key, label in IMPORT_COLUMNS.items():
        if label not in header:
            raise ValidationError({"upload": [_("缺少“%(c)s”列") % {"c": label}]})
        col[key] = header.index(label)
    out = []
    for i, r in enumerate(rows[1:], start=2):
        r = list(r) + [""] * (len(header) - len(r))
        values = {k: banksheet.cell(r[at]) for k, at in col.items()}
        if not any(values.values()):
            continue
        out.append((i, values))
    if len(out) > MAX_IMPORT_ROWS:
        raise ValidationError({"upload": [_("一次最多导入 %(n)d 行") % {"n": MAX_IMPORT_ROWS}]})
    return out


@transaction.atomic
def honours_import(*, actor, union: UnionNode, data: bytes) -> dict[str, int]:
    """历史名单导入: every row is checked first (ID number, a member of the actor's subtree, title, level,
    year, granting body, certificate number not yet registered); any problem, named by its row, imports
    nothing. Rows already in the register (same person, title, level, year) are skipped."""
    require(actor, HONOUR)
    ensure_path_in_scope(actor, union.path)
    rows = import_rows(data)
    if not rows:
        raise ValidationError({"upload": [_("表中没有数据")]})
    errors, ready, seen_certs = [], [], set()
    for i, v in rows:
        where = _("第 %(n)d 行") % {"n": i}
        number = idnumber.normalize(re.sub(r"\s", "", v["id_number"]))
        if not idnumber.is_valid(number):
            errors.append(_("%(w)s：身份证号无效") % {"w": where})
            continue
        person = Person.objects.filter(id_number_hash=blind_index(number, "id")).first()
        m = (Membership.objects.filter(person=person, status=MembershipStatus.ACTIVE,
                                       union__path__startswith=union.path).select_related("union").first()
             if person else None)
        if m is None:
            errors.append(_("%(w)s：%(name)s 不是本工会范围内的在会会员，请先登记会员") % {"w": where, "name": v["name"] or "—"})
            continue
        if v["name"] and v["name"] != person.name:
            errors.append(_("%(w)s：姓名与身份证号登记的姓名不符") % {"w": where})
            continue
        title, level = _parse_title(v["title"])
        level = _lookup({k: str(lbl) for k, lbl in TitleLevel.choices}, v["level"]) or level
        if title is None:
            errors.append(_("%(w)s：称号“%(t)s”无效") % {"w": where, "t": v["title"] or "—"})
            continue
        if level is None:
            errors.append(_("%(w)s：级别“%(t)s”无效") % {"w": where, "t": v["level"] or "—"})
            continue
        try:
            year = int(float(v["year"]))
        except ValueError:
            year = 0
        if not 1950 <= year <= timezone.localdate().year:
            errors.append(_("%(w)s：年度“%(t)s”无效") % {"w": where, "t": v["year"] or "—"})
            continue
        if not v["granting_body"]:
            errors.append(_("%(w)s：请填写授予机关") % {"w": where})
            continue
        cert = v["certificate_no"]
        if cert and ((v["granting_body"], cert) in seen_certs or Honour.objects.filter(
                granting_body=v["granting_body"], certificate_no=cert).exists()):
            errors.append(_("%(w)s：证书编号 %(c)s 已登记") % {"w": where, "c": cert})
            continue
        seen_certs.add((v["granting_body"], cert))
        ready.append((person, m.union, title, level, year, v["granting_body"], cert))
    if errors:
        raise ValidationError(errors)
    created = skipped = 0
    for person, node, title, level, year, body, cert in ready:
        if Honour.objects.filter(person=person, title_type=title, level=level, year=year).exists():
            skipped += 1
            continue
        honour_create(actor=actor, union=node, title_type=title, level=level, year=year, granting_body=body,
                      certificate_no=cert, person=person, source=Source.IMPORT)
        created += 1
    audit(actor=actor, verb="honour.import", obj=union, node_path=union.path,
          new={"rows": len(rows), "created": created, "skipped": skipped})
    return {"rows": len(rows), "created": created, "skipped": skipped}


# --- half-yearly reconciliation ------------------------------------------------------------------------


def period_of(day) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


@transaction.atomic
def reconciliation_start(*, actor, node: UnionNode, period: str) -> Reconciliation:
    """One line per active personal title held in the subtree, pre-filled from the member records."""
    require(actor, HONOUR)
    ensure_path_in_scope(actor, node.path)
    if not re.fullmatch(r"20\d\dH[12]", period or ""):
        raise ValidationError({"period": [_("期间格式应为 2026H1 或 2026H2")]})
    if Reconciliation.objects.filter(node=node, period=period).exists():
        raise ValidationError({"period": [_("本期核对已建立")]})
    rec = Reconciliation.objects.create(node=node, node_path=node.path, period=period, created_by=actor)
    honours = list(Honour.objects.filter(node_path__startswith=node.path, status=HonourStatus.ACTIVE,
                                         holder_kind=HolderKind.PERSON).select_related("person"))
    active = set(Membership.objects.filter(person_id__in=[h.person_id for h in honours],
                                           status=MembershipStatus.ACTIVE).values_list("person_id", flat=True))
    ReconciliationLine.objects.bulk_create([
        ReconciliationLine(reconciliation=rec, honour=h, is_member=h.person_id in active,
                           is_employed=h.person_id in active and bool(h.person.employer_id or h.person.platform_id))
        for h in honours])
    audit(actor=actor, verb="honour.reconciliation_start", obj=rec, object_repr=period, node_path=node.path,
          new={"period": period, "lines": len(honours)})
    return rec


@transaction.atomic
def reconciliation_line_confirm(*, actor, line: ReconciliationLine, is_employed: bool, alive: bool,
                                note: str = "") -> ReconciliationLine:
    """A line checked by staff; a holder found deceased leaves the active register at once."""
    require(actor, HONOUR)
    rec = line.reconciliation
    ensure_path_in_scope(actor, rec.node_path)
    line = ReconciliationLine.objects.select_for_update().get(pk=line.pk)
    if rec.closed_at is not None:
        raise ValidationError(_("本期核对已结束"))
    if not alive and not (note or "").strip():
        raise ValidationError({"note": [_("标记为已故时请在备注中写明日期与信息来源")]})
    line.is_employed, line.alive, line.confirmed, line.note = bool(is_employed), bool(alive), True, (note or "")[:255]
    line.save(update_fields=["is_employed", "alive", "confirmed", "note"])
    if not alive and line.honour.status == HonourStatus.ACTIVE:
        honour_mark_deceased(actor=actor, honour=line.honour, reason=line.note)
    audit(actor=actor, verb="honour.reconciliation_line", obj=rec, object_repr=rec.period, node_path=rec.node_path,
          new={"honour": line.honour_id, "is_employed": line.is_employed, "alive": line.alive})
    return line


@transaction.atomic
def reconciliation_close(*, actor, reconciliation: Reconciliation) -> Reconciliation:
    require(actor, HONOUR)
    ensure_path_in_scope(actor, reconciliation.node_path)
    rec = Reconciliation.objects.select_for_update().get(pk=reconciliation.pk)
    open_lines = rec.lines.filter(confirmed=False).count()
    if open_lines:
        raise ValidationError(_("还有 %(n)d 人未核实") % {"n": open_lines})
    rec.closed_at = timezone.now()
    rec.save(update_fields=["closed_at"])
    audit(actor=actor, verb="honour.reconciliation_close", obj=rec, object_repr=rec.period, node_path=rec.node_path)
    return rec
