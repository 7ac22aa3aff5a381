"""The assistance app's KPIs (declared in apps.py, collected into the insights catalogue): hardship files,
aid paid, applications, sweeps and budgets. Event sources read this app's tables only."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.kpi import FLOW, RATIO, STOCK, Dialect, Dimension, Kpi, choices_of


def _choices(import_path: str, name: str):
    def get() -> dict[str, str]:
        import importlib

        return choices_of(getattr(importlib.import_module(import_path), name))()

    return get


def kpis() -> list[Kpi]:
    level = Dimension("level", _("困难等级"), _choices("huigong.assistance.models", "HardshipLevel"))
    cause = Dimension("cause", _("致困原因"), _choices("huigong.assistance.models", "HardshipCause"))
    close_reason = Dimension(
        "close_reason", _("销档原因"), _choices("huigong.assistance.models", "CloseReason")
    )
    aid_kind = Dimension(
        "programme", _("救助类别"), _choices("huigong.assistance.models", "AidProgrammeKind")
    )
    budget_year = Dimension("budget_year", _("项目年度"), dict)  # the year itself is its label

    def open_files(d: Dialect) -> str:
        # A file counts from the day it was opened (after verification) until the day it was closed.
        return (
            "SELECT f.node_id, f.level AS dim, f.opened_on AS day, 1 AS amount FROM assistance_hardshipfile f "
            "WHERE f.opened_on IS NOT NULL UNION ALL "
            "SELECT f.node_id, f.level, f.closed_on, -1 FROM assistance_hardshipfile f "
            "WHERE f.opened_on IS NOT NULL AND f.closed_on IS NOT NULL"
        )

    def open_causes(d: Dialect) -> str:
        return (
            "SELECT f.node_id, c.cause AS dim, f.opened_on AS day, 1 AS amount FROM assistance_hardshipfile f "
            "JOIN assistance_filecause c ON c.file_id = f.id WHERE f.opened_on IS NOT NULL UNION ALL "
            "SELECT f.node_id, c.cause, f.closed_on, -1 FROM assistance_hardshipfile f "
            "JOIN assistance_filecause c ON c.file_id = f.id "
            "WHERE f.opened_on IS NOT NULL AND f.closed_on IS NOT NULL"
        )

    def files_opened(d: Dialect) -> str:
        return (
            "SELECT f.node_id, f.level AS dim, f.opened_on AS day, 1 AS amount FROM assistance_hardshipfile f "
            "WHERE f.opened_on IS NOT NULL"
        )

    def files_closed(d: Dialect) -> str:
        return (
            "SELECT f.node_id, f.close_reason AS dim, f.closed_on AS day, 1 AS amount "
            "FROM assistance_hardshipfile f WHERE f.opened_on IS NOT NULL AND f.closed_on IS NOT NULL"
        )

    # The ledger (台账) has one row per payout that reached the bank account, dated the day it was paid.
    _paid = "FROM assistance_ledgerentry l JOIN assistance_aidprogramme g ON g.id = l.programme_id"

    def paid_fen(d: Dialect) -> str:
        return f"SELECT l.node_id, g.kind AS dim, l.paid_on AS day, l.amount_fen AS amount {_paid}"

    def helped(d: Dialect) -> str:
        return f"SELECT l.node_id, g.kind AS dim, l.paid_on AS day, 1 AS amount {_paid}"

    def budget_fen(d: Dialect) -> str:
        # A programme's budget is for its year: dated 1 January of that year.
        return (
            "SELECT b.node_id, g.kind AS dim, " + d.year_start("g.year") + " AS day, b.total_fen AS amount "
            "FROM assistance_programmebudget b JOIN assistance_aidprogramme g ON g.id = b.programme_id"
        )

    def applications(d: Dialect) -> str:
        return (
            f"SELECT a.node_id, g.kind AS dim, {d.to_date('a.submitted_at')} AS day, 1 AS amount "
            "FROM assistance_aidapplication a JOIN assistance_aidprogramme g ON g.id = a.programme_id "
            "WHERE a.submitted_at IS NOT NULL"
        )

    def sweep_visits(d: Dialect) -> str:
        return "SELECT v.node_id, '' AS dim, v.visited_on AS day, 1 AS amount FROM assistance_sweepvisit v"

    def budget_paid(d: Dialect) -> str:
        # A payout is charged to the budget its application drew on: counted where that budget is held,
        # by the programme's year (the ledger's year), dated the day it was paid.
        return (
            "SELECT b.node_id, CAST(l.year AS TEXT) AS dim, l.paid_on AS day, l.amount_fen AS amount "
            "FROM assistance_ledgerentry l JOIN assistance_aidapplication a ON a.id = l.application_id "
            "JOIN assistance_programmebudget b ON b.id = a.budget_id"
        )

    def budget_used(node, period, source, reader):
        """Of the budgets held by the subtree's nodes for programmes of the period's last year, the
        share paid out by the period's end (review #12). A payout is charged to the budget of the
        nearest ancestor-or-self of the file's union that has one: money paid in the subtree from a
        budget held above it counts in assist.paid_fen, not here (it is not the subtree's budget), and
        money paid from the subtree's budgets is counted by where the budget is held. Both parts are
        stored KPIs (assist.budget_fen, assist.budget_paid_fen), read from the rollups."""
        import datetime as dt

        year_first = period.last.replace(month=1)
        year = reader.period("year", year_first, year_first.replace(month=12))
        budget = reader.sums("assist.budget_fen", node, year, source=source).get("all", 0)
        if not budget:
            return None
        # A year's programme pays from the year before at the earliest (送温暖 before the Spring Festival).
        span = reader.period("range", dt.date(year_first.year - 1, 1, 1), period.last)
        paid = reader.sums("assist.budget_paid_fen", node, span, group="dim", source=source)
        return round(paid.get(str(year_first.year), 0) * 100 / budget, 1)

    a_src = ("assistance_hardshipfile",)
    req = ("assistance",)
    return [
        Kpi(
            "assist.open_files",
            _("在档困难职工户"),
            "household",
            _("期末在档的困难职工档案户数（已核实建档、期末前未销档），按困难等级分。"),
            STOCK,
            "assist",
            a_src,
            level,
            open_files,
            requires=req,
            headline=True,
        ),
        Kpi(
            "assist.open_causes",
            _("在档户致困原因"),
            "household_visit",
            _("期末在档户的致困原因分布（一户多个原因时每个原因各计一次，单位为户次）。"),
            STOCK,
            "assist",
            (*a_src, "assistance_filecause"),
            cause,
            open_causes,
            requires=req,
        ),
        Kpi(
            "assist.files_opened",
            _("新建档户"),
            "household",
            _("期内核实建档的困难职工户数，按困难等级分。"),
            FLOW,
            "assist",
            a_src,
            level,
            files_opened,
            requires=req,
        ),
        Kpi(
            "assist.files_closed",
            _("脱困销档户"),
            "household",
            _("期内销档的户数（解困脱困等），按销档原因分。"),
            FLOW,
            "assist",
            a_src,
            close_reason,
            files_closed,
            requires=req,
        ),
        Kpi(
            "assist.sweep_visits",
            _("摸底走访户次"),
            "household_visit",
            _("期内摸底排查走访登记的次数（同一户走访多次计多次）。"),
            FLOW,
            "assist",
            ("assistance_sweepvisit",),
            None,
            sweep_visits,
            requires=req,
        ),
        Kpi(
            "assist.sweep_coverage",
            _("摸底覆盖率"),
            "percent",
            _("期内摸底走访户次与期末在会会员人数之比（百分比；同一户多次走访各计一次，可超过 100%）。"),
            RATIO,
            "assist",
            ("assistance_sweepvisit", "members_membership"),
            ratio_of=("assist.sweep_visits", None, "members.active", None),
            requires=req,
        ),
        Kpi(
            "assist.applications",
            _("救助申请"),
            "count",
            _("期内提交审批的救助申请数，按救助类别分。"),
            FLOW,
            "assist",
            ("assistance_aidapplication",),
            aid_kind,
            applications,
            requires=req,
        ),
        Kpi(
            "assist.households_helped",
            _("受助户次"),
            "household_visit",
            _("期内救助金到账的笔数（每笔对应一户一次救助，同一户受多个项目救助计多次），按救助类别分。"),
            FLOW,
            "assist",
            ("assistance_ledgerentry",),
            aid_kind,
            helped,
            requires=req,
        ),
        Kpi(
            "assist.paid_fen",
            _("救助金发放"),
            "fen",
            _("期内到账的救助金额（按到账时间），按救助类别分。"),
            FLOW,
            "assist",
            ("assistance_ledgerentry", "assistance_aidprogramme"),
            aid_kind,
            paid_fen,
            requires=req,
            headline=True,
        ),
        Kpi(
            "assist.budget_fen",
            _("救助年度预算"),
            "fen",
            _("救助项目的年度预算（计入该年度 1 月），按救助类别分。"),
            FLOW,
            "assist",
            ("assistance_programmebudget",),
            aid_kind,
            budget_fen,
            requires=req,
        ),
        Kpi(
            "assist.budget_paid_fen",
            _("预算已发放"),
            "fen",
            _("期内从本级及下级工会持有的救助项目预算中到账发放的金额（按预算所在工会、到账时间计），按项目年度分。"),
            FLOW,
            "assist",
            ("assistance_ledgerentry", "assistance_aidapplication", "assistance_programmebudget"),
            budget_year,
            budget_paid,
            requires=req,
        ),
        Kpi(
            "assist.budget_used",
            _("预算执行率"),
            "percent",
            _(
                "本级及下级工会持有的、期末所在年度救助项目预算中，截至期末已到账发放的百分比（按预算所在工会计；"
                "上级工会预算发放给本范围档案的救助金计入“救助金发放”，不计入本比率）。"
            ),
            RATIO,
            "assist",
            ("assistance_ledgerentry", "assistance_aidapplication", "assistance_programmebudget"),
            compute=budget_used,
            requires=req,
            extra={"bases": ["assist.budget_paid_fen", "assist.budget_fen"]},
        ),
    ]
