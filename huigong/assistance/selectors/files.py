"""Reads of hardship files, scoped to the actor's subtree. Lists never decrypt; full ID numbers and
bank accounts only through `file_reveal` (PII capability, one access row per read). Household figures
(income, rigid expenses) and the verification note are shown in full only to roles with full personal data,
with an access row; other roles see an income band (`income_band`) or "***"."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core.audit import log_access
from huigong.core.models import AuditEvent
from huigong.core.scope import OutOfScope, ensure_path_in_scope, path_in_scope, require, root_path
from huigong.orgs.models import UnionNode

from ..models import FileEvidence, FileMember, FileStatus, HardshipFile
from ..services.screening import multiple_hundredths, rule_for_path

REVIEW_WINDOW = dt.timedelta(days=30)
HIDDEN = "***"
FIGURE_FIELDS = ["monthly_income_fen", "rigid_expense_fen", "verification_note"]


def may_see_figures(actor) -> bool:
    """Household incomes in full: roles with full personal data only (every such read is logged)."""
    return require(actor, Cap.VIEW).can(Cap.PII_FULL)


def income_band(node_path: str, *, household_size: int, monthly_income_fen: int | None,
                rules: dict | None = None) -> str:
    """Where the household's per-capita income lies against the rule in force for `node_path`, without
    the figure: below the 低保 line, below the relative line, or above. `rules` caches rules by path."""
    if rules is not None and node_path in rules:
        rule = rules[node_path]
    else:
        rule = rule_for_path(node_path)
        if rules is not None:
            rules[node_path] = rule
    if rule is None or monthly_income_fen is None or not household_size:
        return _("未设排查标准")
    line = rule.dibao_fen * household_size
    if monthly_income_fen < line:
        return _("人均收入低于低保线")
    if monthly_income_fen * 100 < line * multiple_hundredths(rule.relative_multiple):
        return _("人均收入低于相对困难线")
    return _("人均收入高于相对困难线")


def file_figures(actor, file: HardshipFile, *, purpose: str) -> dict:
    """A file's household figures for a page or the API: in full (logged) for roles with full personal
    data; otherwise None for the amounts, an empty note and the income band."""
    ensure_path_in_scope(actor, file.node_path)
    band = income_band(file.node_path, household_size=file.household_size,
                       monthly_income_fen=file.monthly_income_fen)
    if not may_see_figures(actor):
        return {"full": False, "monthly_income_fen": None, "rigid_expense_fen": None, "verification_note": "",
                "band": band}
    log_access(actor=actor, object_type="assistance.hardshipfile", object_id=str(file.pk), fields=FIGURE_FIELDS,
               purpose=purpose, node_path=file.node_path)
    return {"full": True, "monthly_income_fen": file.monthly_income_fen, "rigid_expense_fen": file.rigid_expense_fen,
            "verification_note": file.verification_note or "", "band": band}


def log_figures_listed(actor, *, object_type: str, object_id: str, node_path: str, fields: list[str], n: int,
                       purpose: str) -> None:
    """One access row for a page of rows shown with full incomes (nothing when no row was shown)."""
    if n:
        log_access(actor=actor, object_type=object_type, object_id=object_id, fields=fields, purpose=purpose,
                   node_path=node_path, row_count=n)


def file_list_for_actor(actor, *, status: str = "", level: str = "", cause: str = "",
                        node: UnionNode | None = None, q: str = "") -> QuerySet[HardshipFile]:
    require(actor, Cap.VIEW)
    prefix = root_path(actor)
    if node is not None:
        ensure_path_in_scope(actor, node.path)
        prefix = node.path
    qs = (HardshipFile.objects.filter(node_path__startswith=prefix).select_related("head", "node")
          .defer("situation", "bank_account", "head__id_number", "head__phone", "head__bank_account"))
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if cause:
        qs = qs.filter(causes__cause=cause)
    if q:
        q = q.strip()
        qs = qs.filter(Q(file_no__icontains=q) | Q(head__name__contains=q))
    return qs.order_by("-created_at", "-id")


def file_get_for_actor(actor, pk, *, for_write: bool = False) -> HardshipFile:
    require(actor, Cap.ASSIST if for_write else Cap.VIEW)
    try:
        file = (HardshipFile.objects.select_related("head", "node", "source_visit", "verified_by", "created_by")
                .defer("bank_account", "head__id_number", "head__phone", "head__bank_account").get(pk=int(pk)))
    except (HardshipFile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not path_in_scope(actor, file.node_path):
        raise OutOfScope
    return file


def files_due_for_review(actor, *, within: dt.timedelta = REVIEW_WINDOW) -> QuerySet[HardshipFile]:
    require(actor, Cap.VIEW)
    return (HardshipFile.objects.filter(node_path__startswith=root_path(actor), status=FileStatus.OPEN,
                                        next_review_due__lte=timezone.localdate() + within)
            .select_related("head", "node").defer("situation", "bank_account").order_by("next_review_due", "id"))


def file_members(file: HardshipFile) -> list[FileMember]:
    return list(file.members.defer("id_number", "monthly_income_fen", "health_note").order_by("id"))


def file_reveal(actor, file: HardshipFile, what: str, *, member_id: int | None = None, purpose: str) -> str:
    """One full value: a member's ID number (`id_number`) or the file's bank account (`bank_account`)."""
    require(actor, Cap.PII_FULL)
    ensure_path_in_scope(actor, file.node_path)
    if what == "bank_account":
        value = HardshipFile.objects.only("bank_account").get(pk=file.pk).bank_account or ""
        log_access(actor=actor, object_type="assistance.hardshipfile", object_id=str(file.pk),
                   fields=["bank_account"], purpose=purpose, node_path=file.node_path)
        return value
    if what in ("id_number", "monthly_income_fen", "health_note"):
        try:
            member = FileMember.objects.only(what, "file_id").get(pk=int(member_id), file=file)
        except (FileMember.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
        log_access(actor=actor, object_type="assistance.filemember", object_id=str(member.pk), fields=[what],
                   purpose=purpose, node_path=file.node_path)
        return str(getattr(member, what) or "")
    raise Http404


def situation_read(actor, file: HardshipFile, *, purpose: str) -> str:
    """The household's situation text (health and income details): staff with ASSIST or PII_FULL, logged."""
    staff = require(actor, Cap.VIEW)
    if not (staff.can(Cap.PII_FULL) or staff.can(Cap.ASSIST)):
        raise PermissionDenied
    ensure_path_in_scope(actor, file.node_path)
    text = HardshipFile.objects.only("situation").get(pk=file.pk).situation or ""
    if text:
        log_access(actor=actor, object_type="assistance.hardshipfile", object_id=str(file.pk), fields=["situation"],
                   purpose=purpose, node_path=file.node_path)
    return text


def evidence_get_for_actor(actor, file: HardshipFile, pk, *, purpose: str) -> FileEvidence:
    """An evidence attachment for download: staff who may see the file's personal data; logged."""
    staff = require(actor, Cap.VIEW)
    if not (staff.can(Cap.PII_FULL) or staff.can(Cap.ASSIST)):
        raise PermissionDenied(_("当前角色无此权限"))
    ensure_path_in_scope(actor, file.node_path)
    try:
        ev = FileEvidence.objects.get(pk=int(pk), file=file)
    except (FileEvidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    log_access(actor=actor, object_type="assistance.fileevidence", object_id=str(ev.pk), fields=["upload"],
               purpose=purpose, node_path=file.node_path)
    return ev


def file_history(file: HardshipFile) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="assistance.hardshipfile", object_id=str(file.pk))
                .order_by("at", "id"))


def file_counts(actor) -> dict:
    """Numbers for the overview page, one grouped query."""
    rows = (HardshipFile.objects.filter(node_path__startswith=root_path(actor)).values("status", "level")
            .annotate(n=Count("id")).order_by())
    out = {"draft": 0, "open": 0, "closed": 0, "by_level": {}}
    for r in rows:
        out[r["status"]] = out.get(r["status"], 0) + r["n"]
        if r["status"] == FileStatus.OPEN:
            out["by_level"][r["level"]] = out["by_level"].get(r["level"], 0) + r["n"]
    return out
