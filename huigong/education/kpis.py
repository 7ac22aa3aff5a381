"""Education's KPIs (declared in apps.py, collected into the insights catalogue): applications,
enrolments (80 enrolled this year), graduations (84 graduated) and subsidies paid, by degree level.
SQL over this app's own tables only."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.kpi import FLOW, Dialect, Dimension, Kpi, choices_of


def _levels() -> dict[str, str]:
    from .models import DegreeLevel

    return choices_of(DegreeLevel)()


def kpis() -> list[Kpi]:
    level = Dimension("level", _("学历层次"), _levels)

    def applied(d: Dialect) -> str:
        return (f"SELECT a.union_id AS node_id, a.level AS dim, {d.to_date('a.submitted_at')} AS day, 1 AS amount "
                "FROM education_application a WHERE a.submitted_at IS NOT NULL AND a.carried_from_id IS NULL")

    def enrolled(d: Dialect) -> str:
        return ("SELECT a.union_id AS node_id, a.level AS dim, e.enrolled_on AS day, 1 AS amount "
                "FROM education_enrolment e JOIN education_application a ON a.id = e.application_id")

    def graduated(d: Dialect) -> str:
        return ("SELECT a.union_id AS node_id, a.level AS dim, e.graduated_on AS day, 1 AS amount "
                "FROM education_enrolment e JOIN education_application a ON a.id = e.application_id "
                "WHERE e.status = 'graduated' AND e.graduated_on IS NOT NULL")

    def paid(d: Dialect) -> str:
        return (f"SELECT a.union_id AS node_id, a.level AS dim, {d.to_date('p.settled_at')} AS day, "
                "p.amount_fen AS amount FROM education_subsidypayment p "
                "JOIN education_tranche t ON t.id = p.tranche_id JOIN education_application a ON a.id = t.application_id "
                "WHERE p.status = 'paid' AND p.settled_at IS NOT NULL")

    req = ("education",)
    return [
        Kpi("education.applied", _("求学圆梦申报"), "person", _("期内提交求学圆梦申请的职工人数（结转上一轮的不重复计），按学历层次分。"),
            FLOW, "education", ("education_application",), level, applied, requires=req),
        Kpi("education.enrolled", _("求学圆梦入学"), "person", _("期内确认入学的资助学员人数，按学历层次分。"),
            FLOW, "education", ("education_enrolment", "education_application"), level, enrolled, requires=req,
            headline=True),
        Kpi("education.graduated", _("求学圆梦毕业"), "person", _("期内凭毕业证书或学信网报告登记毕业的资助学员人数，按学历层次分。"),
            FLOW, "education", ("education_enrolment", "education_application"), level, graduated, requires=req),
        Kpi("education.paid_fen", _("求学圆梦补贴发放"), "fen", _("期内到账的求学圆梦补贴金额（按到账时间），按学历层次分。"),
            FLOW, "education", ("education_subsidypayment", "education_tranche", "education_application"), level, paid,
            requires=req),
    ]
