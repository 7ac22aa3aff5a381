"""Members of a subtree to .xlsx. XlsxWriter in constant_memory mode writes each row to disk as
it goes and the queryset is read in chunks, so memory stays flat whatever the subtree's size.
The columns are the import template's, so an export (with full values) can be edited and
imported back."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import xlsxwriter
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core.audit import audit, log_access
from huigong.core.crypto import mask_query
from huigong.core.scope import require, root_path, staff_of
from huigong.core.xlsxsafe import neutralise
from huigong.members.models import Education, EmploymentForm, Gender, MembershipStatus, PoliticalStatus
from huigong.members.selectors import UNION_RECORDED_COLUMNS, member_list_for_actor
from huigong.orgs.models import UnionNode

from .columns import COLUMNS

CHUNK = 2000


@dataclass
class ExportFile:
    file: IO[bytes]  # rewound; a temporary file removed when closed
    filename: str
    row_count: int
    full_pii: bool


def _labels(enum) -> dict[str, str]:
    return {value: str(label) for value, label in zip(enum.values, enum.labels)}


def members_export_xlsx(*, actor, node: UnionNode | None = None, q: str = "", employment_form: str = "",
                        full_pii: bool = False, enterprise_id: int | None = None,
                        status: str = MembershipStatus.ACTIVE,
                        on_progress: Callable[[int], None] | None = None, job=None) -> ExportFile:
    """Members in the actor's subtree (or node's, inside it) with the member list's filters.
    Masked ID/phone/bank values unless full_pii, which needs the PII capability and leaves one
    access-log row for the whole file. `on_progress(rows written)` is called every CHUNK rows;
    `job`, the MemberExport a background task writes, is named in the audit event."""
    require(actor, Cap.EXPORT)
    if full_pii:
        require(actor, Cap.PII_FULL)
    scope_node = node or staff_of(actor).node
    qs = member_list_for_actor(actor, q=q, node=node, employment_form=employment_form, enterprise_id=enterprise_id,
                               status=status)
    pii = ("person__id_number", "person__phone", "person__bank_account") if full_pii else \
        ("person__id_number_mask", "person__phone_mask", "person__bank_account_mask")
    fields = ("union__name", "person__name", pii[0], "person__gender", "person__birth_date", "person__ethnicity",
              pii[1], "person__education", "person__political_status", "person__employment_form",
              "person__employer__name", "person__employer__uscc", "person__platform__name", "person__job_title",
              "person__front_line", "person__employee_no", "joined_on", "person__contract_start", "person__contract_end",
              "person__address", "person__bank_name", pii[2], "status", "card_no")
    # A former member's row may carry a record another subtree's union has since recorded: its
    # contact, bank and job columns are left empty unless recorded inside the actor's subtree.
    own = Q(person__record_path__startswith=root_path(actor))
    recorded = {}
    for i, f in enumerate(fields):
        parts = f.split("__")
        if parts[0] == "person" and parts[1] in UNION_RECORDED_COLUMNS:
            recorded[f"recorded_{i}"] = Case(When(own, then=F(f)), default=Value(None))
    qs = qs.annotate(**recorded)
    fields = tuple(f"recorded_{i}" if f"recorded_{i}" in recorded else f for i, f in enumerate(fields))
    # Chinese labels whatever the page language, so that the file imports back.
    with translation.override("zh-hans"):
        maps = {3: _labels(Gender), 7: _labels(Education), 8: _labels(PoliticalStatus),
                9: _labels(EmploymentForm), 14: {True: "是", False: "否"}, 22: _labels(MembershipStatus)}
    # The masked ID keeps region and last four; with the birth date beside it the whole number
    # could be rebuilt, so a masked export leaves the birth date out.
    dates = {4, 16, 17, 18} if full_pii else {16, 17, 18}
    skip_cols = frozenset() if full_pii else frozenset({4})
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "tmpdir": tempfile.gettempdir()})
    ws = wb.add_worksheet("会员名册")
    head = wb.add_format({"bold": True, "bg_color": "#F2F4F7", "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    headers = ["所在工会", *(c.label for c in COLUMNS), "会籍状态", "会员卡号"]
    widths = [18, *(c.width for c in COLUMNS), 8, 18]
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    ws.write_row(0, 0, headers, head)
    n = 0
    write_string, write_datetime = ws.write_string, ws.write_datetime
    for values in qs.values_list(*fields).iterator(chunk_size=CHUNK):
        n += 1
        if on_progress is not None and n % CHUNK == 0:
            on_progress(n)
        for col, v in enumerate(values):
            if v is None or v == "" or col in skip_cols:
                continue
            if col in dates:
                write_datetime(n, col, v, date_fmt)
                continue
            m = maps.get(col)
            write_string(n, col, neutralise(m.get(v, v) if m else v))
    wb.close()
    out.seek(0)
    with transaction.atomic():
        audit(actor=actor, verb="members.export", object_type="orgs.unionnode", object_id=str(scope_node.pk),
              object_repr=scope_node.name, node_path=scope_node.path,
              new={"rows": n, "full_pii": full_pii, "q": mask_query(q), "employment_form": employment_form,
                   **({"enterprise": enterprise_id} if enterprise_id else {}),
                   **({"status": status} if status != MembershipStatus.ACTIVE else {}),
                   **({"job": job.pk} if job is not None else {})})
        if full_pii:
            log_access(actor=actor, object_type="members.person", object_id=f"export:{scope_node.pk}",
                       fields=["id_number", "phone", "bank_account"], purpose=_("名册导出"),
                       node_path=scope_node.path, row_count=n)
    return ExportFile(file=out, filename=export_filename(scope_node), row_count=n, full_pii=full_pii)


def export_filename(scope_node: UnionNode) -> str:
    """会员名册-<union>-<YYYYmmdd-HHMM>.xlsx, in local time."""
    return f"会员名册-{scope_node.name}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.xlsx"
