"""The portal's KPIs (declared in apps.py, collected into the insights catalogue): online join
applications. Event sources read this app's tables only."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.kpi import FLOW, Dialect, Kpi
from huigong.members.kpis import EMPLOYMENT_FORM


def kpis() -> list[Kpi]:
    def join_apps(d: Dialect) -> str:
        return (
            f"SELECT j.routed_to_id AS node_id, j.employment_form AS dim, {d.to_date('j.submitted_at')} AS day, "
            "1 AS amount FROM portal_joinapplication j"
        )

    def join_accepted(d: Dialect) -> str:
        return (
            f"SELECT j.routed_to_id AS node_id, j.employment_form AS dim, {d.to_date('j.decided_at')} AS day, "
            "1 AS amount FROM portal_joinapplication j WHERE j.status = 'accepted' AND j.decided_at IS NOT NULL"
        )

    req = ("portal",)
    return [
        Kpi(
            "join.applications",
            _("网上入会申请"),
            "count",
            _("期内通过职工端提交的入会申请数（按分配到的工会），按用工形式分。"),
            FLOW,
            "join",
            ("portal_joinapplication",),
            EMPLOYMENT_FORM,
            join_apps,
            requires=req,
            headline=True,
        ),
        Kpi(
            "join.accepted",
            _("网上入会通过"),
            "person",
            _("期内审核通过、已入会的网上申请数，按用工形式分。"),
            FLOW,
            "join",
            ("portal_joinapplication",),
            EMPLOYMENT_FORM,
            join_accepted,
            requires=req,
        ),
    ]
