"""The members app's KPIs (declared in apps.py, collected into the insights catalogue): memberships over
time, by employment form. Event sources read this app's tables only."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.kpi import FLOW, RATIO, STOCK, Dialect, Dimension, Kpi, choices_of


def _employment_forms() -> dict[str, str]:
    from huigong.members.models import EmploymentForm

    return choices_of(EmploymentForm)()


EMPLOYMENT_FORM = Dimension("employment_form", _("用工形式"), _employment_forms)


def _new_forms() -> frozenset[str]:
    return frozenset({"rider", "courier", "ride_hailing", "truck_driver"})


# --- Event sources ------------------------------------------------------------------------------------

_MEMBERSHIP = "members_membership m JOIN members_person p ON p.id = m.person_id"


def _members_active(d: Dialect) -> str:
    # A membership counts from joined_on; it stops counting on ended_on (transfer out or withdrawal),
    # so "active as of D" = joined_on <= D and not ended_on <= D.
    return (
        f"SELECT m.union_id AS node_id, p.employment_form AS dim, m.joined_on AS day, 1 AS amount FROM {_MEMBERSHIP} "
        f"UNION ALL "
        f"SELECT m.union_id, p.employment_form, m.ended_on, -1 FROM {_MEMBERSHIP} WHERE m.ended_on IS NOT NULL"
    )


def _members_new(d: Dialect) -> str:
    # Joining the union, not moving inside it: a transfer opens a membership too, with source 'transfer'.
    return (
        f"SELECT m.union_id AS node_id, p.employment_form AS dim, m.joined_on AS day, 1 AS amount "
        f"FROM {_MEMBERSHIP} WHERE m.source <> 'transfer'"
    )


def _members_transfers_in(d: Dialect) -> str:
    return (
        f"SELECT m.union_id AS node_id, p.employment_form AS dim, m.joined_on AS day, 1 AS amount "
        f"FROM {_MEMBERSHIP} WHERE m.source = 'transfer'"
    )


def _members_left(d: Dialect) -> str:
    return (
        f"SELECT m.union_id AS node_id, p.employment_form AS dim, m.ended_on AS day, 1 AS amount "
        f"FROM {_MEMBERSHIP} WHERE m.status = 'withdrawn' AND m.ended_on IS NOT NULL"
    )



def kpis() -> list[Kpi]:
    return [
        Kpi(
            "members.active",
            _("在会会员"),
            "person",
            _("期末在会会员人数（入会日期不晚于期末、且期末前未转出或退会的会籍），按用工形式分。"),
            STOCK,
            "members",
            ("members_membership", "members_person"),
            EMPLOYMENT_FORM,
            _members_active,
            headline=True,
        ),
        Kpi(
            "members.new",
            _("新入会会员"),
            "person",
            _("期内入会的会员人数（入会日期在期内；会员关系转接转入的不计），按用工形式分。"),
            FLOW,
            "members",
            ("members_membership", "members_person"),
            EMPLOYMENT_FORM,
            _members_new,
            headline=True,
        ),
        Kpi(
            "members.left",
            _("退会会员"),
            "person",
            _("期内退会的会员人数（离会日期在期内、状态为退会）。"),
            FLOW,
            "members",
            ("members_membership", "members_person"),
            EMPLOYMENT_FORM,
            _members_left,
        ),
        Kpi(
            "members.transfers_in",
            _("转入会员"),
            "person",
            _("期内经会员关系转接转入的会员人数（按转入工会计）。"),
            FLOW,
            "members",
            ("members_membership", "members_person"),
            EMPLOYMENT_FORM,
            _members_transfers_in,
        ),
        Kpi(
            "members.new_form_share",
            _("新就业形态会员占比"),
            "percent",
            _("期末在会会员中网约配送员、快递员、网约车司机、货车司机所占百分比。"),
            RATIO,
            "members",
            ("members_membership", "members_person"),
            ratio_of=("members.active", _new_forms(), "members.active", None),
            headline=True,
        ),
    ]
