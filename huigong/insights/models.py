from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huigong.orgs.models import UnionNode


class RollupRow(models.Model):
    """What a rollup row and a cut row share: one KPI's sum for one node's OWN rows (not its subtree) or,
    for the top levels, its whole subtree, and one dimension value (a KPI without a dimension has one
    row, dim ''; one with a dimension a row per value and no total row)."""

    node = models.ForeignKey(UnionNode, on_delete=models.CASCADE, related_name="+", db_index=False)
    kpi = models.CharField(max_length=48)
    dim = models.CharField(max_length=32, blank=True, default="")
    value = models.BigIntegerField()
    # False: the node's own rows. True: its whole subtree, kept only for the nodes at the top of the tree
    # (depth <= rollups.tree_depth()), so that a national, city or district figure reads a handful of rows.
    subtree = models.BooleanField(default=False)

    class Meta:
        abstract = True


class KpiRollup(RollupRow):
    """A KPI's value for a node (see RollupRow) and one month. A subtree figure is the SUM over the nodes
    whose path starts with the subtree's (or, for the top levels, the node's subtree row). Flow KPIs
    hold the month's sum; stock KPIs hold the value as of the month's last day."""

    month = models.DateField()

    class Meta:
        verbose_name = _("指标汇总")
        verbose_name_plural = _("指标汇总")
        # Pages read by node: the ids of the subtree's nodes, then each one's KPI rows by month; the key
        # leads with the node so that every condition of those reads is an index condition, and has the
        # month before the dimension value, which reads never restrict: a stock's rows at one month-end
        # are then next to each other instead of one per value among all 72 months' rows. The refresh
        # reads one KPI's rows nationwide: by the KPI alone. (With a second index leading with the KPI,
        # a stale or unlucky statistics sample made the planner read a KPI's rows nationwide for one
        # district's dashboard: 40 ms instead of 4.)
        constraints = [
            models.UniqueConstraint(fields=["node", "kpi", "month", "dim", "subtree"], name="kpirollup_node_month_key")
        ]
        indexes = [models.Index(fields=["kpi"], name="kpirollup_kpi_idx")]


class KpiCutRollup(RollupRow):
    """A KPI's sum of events for a node (see RollupRow) from the first day of a month to a cut day in it
    (the day counted). Kept only for the cut days a running period is compared at today
    (rollups.cut_days): the previous month, and the same month a quarter and a year back, each cut at
    today's day of the month. A stock's value as of the cut is its month-end rollup of the month before
    plus this row; a flow's sum to the cut is its whole-month rollups plus this row. Rebuilt with the
    KPI's rollup, and when the day changes."""

    cut = models.DateField()

    class Meta:
        verbose_name = _("指标截日汇总")
        verbose_name_plural = _("指标截日汇总")
        constraints = [
            models.UniqueConstraint(fields=["node", "kpi", "cut", "dim", "subtree"], name="kpicutrollup_node_cut_key")
        ]
        indexes = [models.Index(fields=["kpi"], name="kpicutrollup_kpi_idx")]


class RollupState(models.Model):
    """When each KPI's rollup rows were last rebuilt: what the pages call "data as of"."""

    kpi = models.CharField(max_length=48, primary_key=True)
    refreshed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    rows = models.PositiveIntegerField(default=0)
    first_month = models.DateField()
    last_month = models.DateField()
    # The newest audit event id when the refresh started: every write leaves one, so a newer one
    # means the base tables may have changed since (see rollups_refresh_if_changed).
    audit_mark = models.BigIntegerField(default=0)
    # How many of the KPI's relevant audit events (id <= audit_mark) inside the look-back window were
    # visible when the refresh started: more of them later means a transaction that took its ids
    # earlier committed after the refresh read the tables (see rollups._audit_state).
    audit_recent = models.BigIntegerField(default=0)
    # The local day whose cut rows (KpiCutRollup) the refresh wrote: they answer comparisons cut at
    # rollups.cut_days(cut_day). None before the first refresh that wrote any.
    cut_day = models.DateField(null=True, blank=True)
    # HUIGONG_INSIGHTS_TREE_DEPTH when the refresh ran: the rows hold subtree rows down to this depth
    # (0 before this was recorded: the KPI is rebuilt before its rows are read again).
    tree_depth = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("指标汇总状态")
        verbose_name_plural = _("指标汇总状态")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Report(models.Model):
    """A monthly, quarterly or yearly PDF report of one node's subtree, generated in the background."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("工会"))
    period_key = models.CharField(_("期间"), max_length=32)
    period_label = models.CharField(_("期间"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    message = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("分析报告")
        verbose_name_plural = _("分析报告")

    def __str__(self) -> str:
        return f"{self.node.name} {self.period_label}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)
