"""The orgs app's KPIs (declared in apps.py, collected into the insights catalogue): registered units and
service sites, by kind. Event sources read this app's tables only."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.kpi import STOCK, Dialect, Dimension, Kpi, choices_of


def _enterprise_kinds() -> dict[str, str]:
    from huigong.orgs.models import EnterpriseKind

    return choices_of(EnterpriseKind)()


def _site_kinds() -> dict[str, str]:
    from huigong.orgs.models import SiteKind

    return choices_of(SiteKind)()


ENTERPRISE_KIND = Dimension("enterprise_kind", _("单位类型"), _enterprise_kinds)
SITE_KIND = Dimension("site_kind", _("阵地类型"), _site_kinds)


def _enterprises(d: Dialect) -> str:
    return (
        f"SELECT e.union_id AS node_id, e.kind AS dim, {d.to_date('e.created_at')} AS day, 1 AS amount "
        f"FROM orgs_enterprise e"
    )


def _sites(d: Dialect) -> str:
    # Counted from registration; a closed site stops counting on the day it closed (closed_on).
    return (
        f"SELECT s.union_id AS node_id, s.kind AS dim, {d.to_date('s.created_at')} AS day, 1 AS amount "
        f"FROM orgs_servicesite s "
        f"UNION ALL "
        f"SELECT s.union_id, s.kind, s.closed_on, -1 FROM orgs_servicesite s WHERE s.closed_on IS NOT NULL"
    )




def kpis() -> list[Kpi]:
    return [
        Kpi(
            "units.enterprises",
            _("建会单位"),
            "count",
            _("期末已在系统中登记的单位与平台企业数（按录入系统的日期），按单位类型分。"),
            STOCK,
            "orgs",
            ("orgs_enterprise",),
            ENTERPRISE_KIND,
            _enterprises,
        ),
        Kpi(
            "sites.count",
            _("服务阵地"),
            "count",
            _("期末开放的服务阵地数（职工之家、爱心妈妈小屋等；自登记之日起计，关闭之日起不再计入），按类型分。"),
            STOCK,
            "orgs",
            ("orgs_servicesite",),
            SITE_KIND,
            _sites,
            headline=True,
        ),
    ]
