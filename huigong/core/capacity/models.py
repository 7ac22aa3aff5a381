"""The capacity engine's shapes: a pool of places (optionally split into sub-pools, one per unit: a
union, an enterprise…), the entries people hold in it, and the draws that decided a lottery.

A domain either uses the concrete `Pool` / `SubPool` / `Entry` below, or keeps its own tables (a
benefit programme is its own pool, a claim its own entry) and describes their columns to the engine
with a `spec.Spec`; the abstract classes give a new domain the columns the engine expects, with the
CHECK constraints that back the counters up. Either way the engine's statements are the same.

Counters are the database's: `remaining` moves only by conditional UPDATEs (`WHERE remaining > 0`),
and CHECK (0 <= remaining <= total) refuses anything that would oversell even if a statement were
wrong."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Allocation(models.TextChoices):
    FIRST_COME = "first_come", _("先到先得")
    LOTTERY = "lottery", _("抽签")
    RANKED = "ranked", _("志愿排序")


class EntryStatus(models.TextChoices):
    """An entry's life. Live (holding or waiting for a place): entered, waiting, offered, granted.
    Ended: the rest. Only `offered` and `granted` hold a place."""

    ENTERED = "entered", _("已报名待抽签")
    WAITING = "waiting", _("候补中")
    OFFERED = "offered", _("待确认")
    GRANTED = "granted", _("已获得")
    CANCELLED = "cancelled", _("已取消")
    DECLINED = "declined", _("已放弃")
    EXPIRED = "expired", _("逾期未确认")
    NO_SHOW = "no_show", _("未到场")
    LOST = "lost", _("未中签")


LIVE = (EntryStatus.ENTERED, EntryStatus.WAITING, EntryStatus.OFFERED, EntryStatus.GRANTED)
HOLDING = (EntryStatus.OFFERED, EntryStatus.GRANTED)


class PoolFields(models.Model):
    """A set of places. total NULL = no limit (remaining NULL too)."""

    total = models.PositiveIntegerField(_("总名额"), null=True, blank=True)
    remaining = models.IntegerField(_("剩余名额"), null=True, blank=True)
    is_open = models.BooleanField(_("开放中"), default=False)
    allocation = models.CharField(_("分配方式"), max_length=12, choices=Allocation.choices,
                                  default=Allocation.FIRST_COME)
    waitlist = models.BooleanField(_("满额后可候补"), default=False)
    # NULL: a freed place goes straight to the next in line; else it is offered for this long.
    offer_seconds = models.PositiveIntegerField(_("确认时限（秒）"), null=True, blank=True)
    uses_sub_pools = models.BooleanField(default=False, editable=False)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(condition=Q(remaining__gte=0) | Q(remaining__isnull=True),
                                   name="%(app_label)s_%(class)s_remaining_not_negative"),
            models.CheckConstraint(condition=Q(remaining__isnull=True, total__isnull=True) |
                                   Q(remaining__lte=models.F("total")),
                                   name="%(app_label)s_%(class)s_remaining_within_total"),
        ]


class Pool(PoolFields):
    """The engine's own pool, for a domain that keeps no pool table of its own. `purpose` names the
    owner (an app label and its object, e.g. "activities.session:12") and picks its hooks."""

    purpose = models.CharField(_("用途"), max_length=80, db_index=True)
    title = models.CharField(_("名称"), max_length=120, blank=True)
    node_path = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(PoolFields.Meta):
        verbose_name = _("名额池")
        verbose_name_plural = _("名额池")

    def __str__(self) -> str:
        return self.title or self.purpose


class SubPool(models.Model):
    """Places of a pool kept for one unit (its `key`: a union's or an enterprise's id). When a pool has
    any, an entry takes a place from its unit's sub-pool and from the pool."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="sub_pools")
    key = models.BigIntegerField(_("单位"))
    slots = models.PositiveIntegerField(_("名额"))
    remaining = models.IntegerField(_("剩余"))

    class Meta:
        verbose_name = _("单位名额")
        verbose_name_plural = _("单位名额")
        constraints = [
            models.UniqueConstraint(fields=["pool", "key"], name="capacity_one_sub_pool_per_key"),
            models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("slots")),
                                   name="capacity_sub_pool_remaining_in_range"),
        ]


class Entry(models.Model):
    """One person's place, or wait for one, in a pool."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="+")
    sub_key = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=EntryStatus.choices)
    created_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    granted_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("确认截止"), null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=255, blank=True)
    # The entry's place in a draw's order (lottery or ranked): the waitlist follows it.
    draw_rank = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("名额记录")
        verbose_name_plural = _("名额记录")
        constraints = [
            models.UniqueConstraint(fields=["pool", "person"], condition=Q(status__in=[s.value for s in LIVE]),
                                    name="capacity_one_live_entry_per_person"),
        ]
        indexes = [models.Index(fields=["pool", "status", "created_at"]),
                   models.Index(fields=["status", "offer_expires_at"])]


class Draw(models.Model):
    """A published draw: the seed, the hash of the entrant list it ran over (and the list itself, in
    canonical order), the places, and the order it produced. `services.draw_verify` re-runs it."""

    purpose = models.CharField(max_length=80, db_index=True)  # whose pool(s): "<app>.<model>:<ids>"
    kind = models.CharField(max_length=12, choices=Allocation.choices)
    seed = models.CharField(_("随机种子"), max_length=128)
    entrants_hash = models.CharField(_("报名名单摘要"), max_length=64)
    entrants = models.JSONField(default=list)  # canonical entrant list: [[entry or person id, …], …]
    places = models.JSONField(default=dict)    # the capacity the draw allotted from
    result = models.JSONField(default=list)    # the order (and, ranked, what each got)
    drawn_at = models.DateTimeField(auto_now_add=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-drawn_at"]
        verbose_name = _("抽签记录")
        verbose_name_plural = _("抽签记录")


class Ballot(models.Model):
    """Ranked choice across alternatives: one person's preferences over several pools of a `group`
    (e.g. the sessions of one event), first choice first."""

    group = models.CharField(max_length=80)
    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="+")
    choices = models.JSONField(default=list)  # pool ids, most wanted first
    # Places the person asks for together (themself and companions): all in one pool, or none.
    size = models.PositiveSmallIntegerField(default=1)
    extra = models.JSONField(default=dict, blank=True)  # the domain's own data for the entries it writes
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("志愿")
        verbose_name_plural = _("志愿")
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="capacity_one_ballot_per_group")]
