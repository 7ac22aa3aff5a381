"""The events app's KPIs (declared in apps.py, collected into the insights catalogue): events held,
registrations, turnout (attended / no-show) and the attendance rate, participants, contest participation.
Every source is SQL over this app's own tables; node_id is the member's union (the event's node for events
held), so the dashboard drills down to each unit."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.kpi import FLOW, RATIO, Dialect, Dimension, Kpi, choices_of

TURNOUT = {"attended": _("已签到"), "no_show": _("未到场")}


def _kinds():
    from .models import EventKind

    return choices_of(EventKind)()


def kpis() -> list[Kpi]:
    kind = Dimension("kind", _("活动类型"), _kinds)
    turnout = Dimension("turnout", _("到场情况"), lambda: {k: str(v) for k, v in TURNOUT.items()})

    def held(d: Dialect) -> str:
        # An event counts once, on its first session's day, once published (or later closed).
        return (f"SELECT e.node_id, e.kind AS dim, {d.to_date('MIN(s.starts_at)')} AS day, 1 AS amount "
                "FROM activities_event e JOIN activities_eventsession s ON s.event_id = e.id "
                "WHERE e.status IN ('published', 'closed') GROUP BY e.id, e.node_id, e.kind")

    def registrations(d: Dialect) -> str:
        return (f"SELECT r.union_id AS node_id, e.kind AS dim, {d.to_date('r.created_at')} AS day, 1 AS amount "
                "FROM activities_registration r JOIN activities_eventsession s ON s.id = r.session_id "
                "JOIN activities_event e ON e.id = s.event_id")

    def turnout_src(d: Dialect) -> str:
        return (f"SELECT r.union_id AS node_id, CASE WHEN r.checked_in_at IS NOT NULL THEN 'attended' ELSE 'no_show' END "
                f"AS dim, {d.to_date('s.starts_at')} AS day, 1 AS amount "
                "FROM activities_registration r JOIN activities_eventsession s ON s.id = r.session_id "
                "WHERE r.checked_in_at IS NOT NULL OR r.status = 'no_show'")

    def no_shows(d: Dialect) -> str:
        return (f"SELECT r.union_id AS node_id, '' AS dim, {d.to_date('s.starts_at')} AS day, 1 AS amount "
                "FROM activities_registration r JOIN activities_eventsession s ON s.id = r.session_id "
                "WHERE r.status = 'no_show' AND r.checked_in_at IS NULL")

    def participants(d: Dialect) -> str:
        return (f"SELECT r.union_id AS node_id, e.kind AS dim, {d.to_date('r.checked_in_at')} AS day, 1 AS amount "
                "FROM activities_registration r JOIN activities_eventsession s ON s.id = r.session_id "
                "JOIN activities_event e ON e.id = s.event_id WHERE r.checked_in_at IS NOT NULL")

    def contest(d: Dialect) -> str:
        return (f"SELECT a.union_id AS node_id, '' AS dim, {d.to_date('a.finished_at')} AS day, 1 AS amount "
                "FROM activities_attempt a WHERE a.finished_at IS NOT NULL")

    req = ("activities",)
    reg_tables = ("activities_registration", "activities_eventsession")
    return [
        Kpi("activities.events_held", _("举办活动"), "count", _("期内举办（已发布）的活动场数，按首场日期计，按活动类型分。"),
            FLOW, "activities", ("activities_event", "activities_eventsession"), kind, held, requires=req,
            headline=True),
        Kpi("activities.registrations", _("活动报名"), "visit", _("期内的活动报名人次（含随行人员、候补与已取消），按活动类型分。"),
            FLOW, "activities", (*reg_tables, "activities_event"), kind, registrations, requires=req),
        Kpi("activities.turnout", _("到场情况"), "visit", _("期内已举办场次的签到人次与未到场人次。"),
            FLOW, "activities", reg_tables, turnout, turnout_src, requires=req),
        Kpi("activities.attendance_rate", _("活动到场率"), "percent", _("已签到人次占（已签到 + 未到场）人次的比例。"),
            RATIO, "activities", ratio_of=("activities.turnout", frozenset({"attended"}), "activities.turnout", None),
            requires=req),
        Kpi("activities.no_shows", _("报名未到场"), "visit", _("期内已举办场次中报名获得名额却未签到的人次。"),
            FLOW, "activities", reg_tables, None, no_shows, requires=req),
        Kpi("activities.participants", _("活动参与"), "visit", _("期内签到参加活动的人次，按活动类型分；下钻可看各单位。"),
            FLOW, "activities", (*reg_tables, "activities_event"), kind, participants, requires=req, headline=True),
        Kpi("activities.contest_attempts", _("知识竞赛参与"), "visit", _("期内完成知识竞赛答题的人次。"),
            FLOW, "activities", ("activities_attempt",), None, contest, requires=req),
    ]
