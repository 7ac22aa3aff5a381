"""Reports: the funnel applied → eligible → approved → drawn → enrolled → graduated → paid, per union,
institution or major, in one grouped query each; money committed vs paid; a cohort's roster as .xlsx for
the institution (masked ID numbers: the institution has its own register)."""

from __future__ import annotations

import io

import xlsxwriter
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from .models import ApplicationStatus, Enrolment, EnrolmentStatus, Tranche, TrancheStatus

S = ApplicationStatus
ELIGIBLE = [s.value for s in S if s not in (S.SUBMITTED, S.INELIGIBLE, S.WITHDRAWN)]
APPROVED = [S.APPROVED, S.WON, S.LOST, S.NOTICE, S.CONFIRMED]
DRAWN = [S.WON, S.NOTICE, S.CONFIRMED]
DIMENSIONS = {"union": ("union__name", _("工会")), "institution": ("major__institution__name", _("院校")),
              "major": ("major__name", _("专业"))}


def funnel(applications, by: str = "union") -> list[dict]:
    """One row per value of `by`, in a fixed number of queries (three grouped statements)."""
    key = DIMENSIONS.get(by, DIMENSIONS["union"])[0]
    rows = {}
    for r in (applications.exclude(status=S.WITHDRAWN).values(key).annotate(
            applied=Count("id"), eligible=Count("id", filter=Q(status__in=ELIGIBLE)),
            approved=Count("id", filter=Q(status__in=APPROVED)), drawn=Count("id", filter=Q(status__in=DRAWN)))
            .order_by(key)):
        rows[r[key]] = {"label": r[key], "applied": r["applied"], "eligible": r["eligible"], "approved": r["approved"],
                        "drawn": r["drawn"], "enrolled": 0, "graduated": 0, "paid_fen": 0, "committed_fen": 0}
    ekey = "application__" + key
    for r in (Enrolment.objects.filter(application__in=applications).values(ekey)
              .annotate(n=Count("id"), g=Count("id", filter=Q(status=EnrolmentStatus.GRADUATED)))):
        if r[ekey] in rows:
            rows[r[ekey]]["enrolled"], rows[r[ekey]]["graduated"] = r["n"], r["g"]
    for r in (Tranche.objects.filter(application__in=applications).values(ekey).annotate(
            paid=Sum("amount_fen", filter=Q(status=TrancheStatus.PAID)),
            committed=Sum("amount_fen", filter=~Q(status=TrancheStatus.STOPPED)))):
        if r[ekey] in rows:
            rows[r[ekey]]["paid_fen"], rows[r[ekey]]["committed_fen"] = r["paid"] or 0, r["committed"] or 0
    return list(rows.values())


def roster_xlsx(enrolments) -> bytes:
    """A cohort's roster for the institution: name, masked ID, union, major, status, terms, graduation."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    ws = wb.add_worksheet(_("学员名册"))
    head = [_("姓名"), _("身份证号"), _("所在工会"), _("院校"), _("专业"), _("层次"), _("学号"), _("入学日期"),
            _("学籍状态"), _("已合格学期"), _("毕业日期"), _("毕业凭证")]
    bold = wb.add_format({"bold": True})
    for c, h in enumerate(head):
        ws.write(0, c, h, bold)
    r = 0
    for r, e in enumerate(enrolments.select_related("person", "major__institution", "application__union")
                          .order_by("major__institution__name", "major__name", "id"), 1):
        ws.write_row(r, 0, [e.person.name, e.person.id_number_mask, e.application.union.name,
                            e.major.institution.name, e.major.name, e.major.get_level_display(), e.student_no,
                            e.enrolled_on.isoformat(), e.get_status_display(), e.terms_passed,
                            e.graduated_on.isoformat() if e.graduated_on else "", e.graduation_proof])
    ws.set_column(0, len(head) - 1, 14)
    wb.close()
    return out.getvalue()
