"""Exports with side effects (audit / access rows): the bank's bulk-transfer sheet (批量代发) of a batch,
and the ledger (台账) as .xlsx and PDF for the auditors.

Full bank account numbers need MONEY + PII_FULL; full names of household heads in the ledger need
PII_FULL + EXPORT. Every unmasked export writes an access row; every export an audit row."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core import banksheet
from huigong.core.audit import audit, log_access
from huigong.core.banksheet import XLSX
from huigong.core.crypto import mask_name
from huigong.core.disbursement import services as disbursement
from huigong.core.money import fen_to_yuan, format_yuan
from huigong.core.scope import ensure_path_in_scope, require
from huigong.core.xlsxsafe import neutralise
from huigong.orgs.models import UnionNode

from ..models import FileCause, HardshipCause, PayoutBatch
from ..selectors.money import ledger_entries, ledger_summary, payouts_of
from .payouts import AID

LEDGER_HEADERS = ["档案编号", "户主", "困难等级", "致困原因", "项目", "金额（元）", "发放日期", "银行流水号"]


@dataclass
class Export:
    content: bytes
    filename: str
    content_type: str
    full: bool


def batch_bank_sheet(*, actor, batch: PayoutBatch, full: bool = False, with_results: bool = False,
                     attempt: int | None = None, preview: bool = False) -> Export:
    """The batch in a bank's 批量代发 layout (the kernel's sheet, core/disbursement): 备注 is the payout's
    key and attempt, "aid-12#1". A new sheet holds the PENDING payouts, re-checks their applications and
    marks them SENT (handed to the bank once); `attempt=n` re-downloads what is still SENT on attempt n
    (audited apart); a `preview` is masked and changes nothing."""
    out = disbursement.batch_bank_sheet(AID, actor=actor, batch=batch, full=full, with_results=with_results,
                                        attempt=attempt, preview=preview)
    return Export(out.content, out.filename, XLSX, out.full)


def sheet_key(p) -> str:
    """备注 of a bank sheet row: the payout's idempotency key and its attempt."""
    return AID.sheet_key(p)


def _cause_labels(file_ids) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for fid, cause in FileCause.objects.filter(file_id__in=file_ids).values_list("file_id", "cause"):
        out.setdefault(fid, []).append(str(HardshipCause(cause).label))
    return {k: str(_("、")).join(v) for k, v in out.items()}


def ledger_rows(actor, *, node: UnionNode, year: int | None, full: bool) -> list[dict]:
    entries = list(ledger_entries(actor, node_path=node.path, year=year))
    causes = _cause_labels({e.file_id for e in entries})
    return [{
        "file_no": e.file.file_no,
        "head": e.file.head.name if full else mask_name(e.file.head.name),
        "level": e.file.get_level_display(),
        "causes": causes.get(e.file_id, ""),
        "programme": e.programme.name,
        "amount_fen": e.amount_fen,
        "amount": format_yuan(e.amount_fen),
        "paid_on": e.paid_on,
        "reference": e.payout.bank_reference,
        "node": e.node.name,
    } for e in entries]


def _ledger_access(actor, node, year, full, n, fmt):
    audit(actor=actor, verb="aid_ledger.export", object_type="orgs.unionnode", object_id=str(node.pk),
          object_repr=node.name, node_path=node.path, new={"year": year, "rows": n, "full": full, "format": fmt})
    if full:
        log_access(actor=actor, object_type="assistance.ledger", object_id=f"{node.pk}:{year or 'all'}",
                   fields=["head_name"], purpose=_("台账导出"), node_path=node.path, row_count=n)


def _ledger_full(actor, full: bool) -> bool:
    staff = require(actor, Cap.EXPORT)
    return bool(full and staff.can(Cap.PII_FULL))


@transaction.atomic
def ledger_export_xlsx(*, actor, node: UnionNode, year: int | None, full: bool = False) -> Export:
    full = _ledger_full(actor, full)
    ensure_path_in_scope(actor, node.path)
    rows = ledger_rows(actor, node=node, year=year, full=full)
    summary = ledger_summary(actor, node_path=node.path, year=year)
    out, wb = banksheet.workbook()
    ws = wb.add_worksheet("台账")
    head = wb.add_format({"bold": True, "bg_color": "#F2F4F7", "border": 1})
    title = wb.add_format({"bold": True, "font_size": 14})
    money = wb.add_format({"num_format": "#,##0.00"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_string(0, 0, _("%(node)s %(year)s 困难职工帮扶资金发放台账") % {"node": node.name,
                                                                          "year": year or _("全部年度")}, title)
    ws.write_row(2, 0, LEDGER_HEADERS, head)
    for i, w in enumerate([16, 10, 10, 18, 16, 12, 12, 22]):
        ws.set_column(i, i, w)
    r = 3
    for row in rows:
        ws.write_string(r, 0, row["file_no"])
        ws.write_string(r, 1, neutralise(row["head"]))
        ws.write_string(r, 2, row["level"])
        ws.write_string(r, 3, row["causes"])
        ws.write_string(r, 4, neutralise(row["programme"]))
        ws.write_number(r, 5, float(fen_to_yuan(row["amount_fen"])), money)
        ws.write_datetime(r, 6, row["paid_on"], date_fmt)
        ws.write_string(r, 7, neutralise(row["reference"]))
        r += 1
    ws.write_string(r + 1, 0, _("合计"))
    ws.write_string(r + 1, 1, _("%(n)d 户") % {"n": summary["households"]})
    ws.write_number(r + 1, 5, float(fen_to_yuan(summary["ledger_total"])), money)
    s2 = wb.add_worksheet("汇总")
    s2.write_row(0, 0, ["年度", "项目", "工会", "户数", "笔数", "金额（元）"], head)
    for i, row in enumerate(summary["rows"], start=1):
        s2.write_row(i, 0, [row["programme__year"], row["programme__name"], row["node__name"], row["households"],
                            row["n"]])
        s2.write_number(i, 5, float(fen_to_yuan(row["total"] or 0)), money)
    wb.close()
    _ledger_access(actor, node, year, full, len(rows), "xlsx")
    return Export(out.getvalue(), f"台账-{node.name}-{year or 'all'}.xlsx", XLSX, full)


@transaction.atomic
def ledger_export_pdf(*, actor, node: UnionNode, year: int | None, full: bool = False) -> Export:
    from huigong.core.pdf import render_pdf

    full = _ledger_full(actor, full)
    ensure_path_in_scope(actor, node.path)
    rows = ledger_rows(actor, node=node, year=year, full=full)
    summary = ledger_summary(actor, node_path=node.path, year=year)
    pdf = render_pdf("assistance/pdf/ledger.html", {
        "node": node, "year": year, "rows": rows, "summary": summary,
        "total": format_yuan(summary["ledger_total"]), "generated": timezone.localtime()})
    _ledger_access(actor, node, year, full, len(rows), "pdf")
    return Export(pdf, f"台账-{node.name}-{year or 'all'}.pdf", "application/pdf", full)


def notice_pdf(notice, rows) -> bytes:
    from huigong.core.pdf import render_pdf

    for r in rows:
        r.amount_yuan = format_yuan(r.amount_fen)
    return render_pdf("assistance/pdf/notice.html", {
        "notice": notice, "rows": rows, "total": format_yuan(sum(r.amount_fen for r in rows))})


__all__ = ["batch_bank_sheet", "ledger_export_pdf", "ledger_export_xlsx", "notice_pdf", "payouts_of", "sheet_key"]
