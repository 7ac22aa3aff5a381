"""Events (职工活动): an event owned by a union node, its sessions (each a pool of places on the kernel's
capacity engine), seat shares per sub-union (the engine's sub-pools) with a release date, invitations,
and registrations (the engine's entries).

A registration is one seat: the worker's own (`seq` 0) or a companion's (`seq` 1.., `lead` the worker's
own seat), so companions count against capacity through the same engine statements as everyone else,
each with its own ticket. Places move only through `huigong.core.capacity` (conditional UPDATEs;
CHECK 0 <= remaining <= total on sessions and shares; a partial UNIQUE on live seats per person)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huigong.core.approvals.models import ApprovalStepBase
from huigong.core.capacity.models import LIVE, Allocation, EntryStatus, PoolFields
from huigong.members.models import Membership, Person
from huigong.orgs.models import ServiceSite, UnionNode


class EventKind(models.TextChoices):
    LECTURE = "lecture", _("讲座")
    CRAFTSMEN = "craftsmen", _("工匠进企业")
    PERFORMANCE = "performance", _("文艺演出")
    MIXER = "mixer", _("联谊交友")
    CONTEST = "contest", _("知识竞赛")
    TRAINING = "training", _("培训")
    VOLUNTEER = "volunteer", _("志愿服务")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CANCELLED = "cancelled", _("已取消")
    CLOSED = "closed", _("已结束")


class Event(models.Model):
    """An event owned by `node`. Its audience: active members held in the node's subtree (and, with
    `include_ancestors`, those held directly by the node's ancestors), narrowed by the filters below;
    `invitation_only` events (compulsory ones) admit the invited only."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="events", verbose_name=_("主办工会"))
    kind = models.CharField(_("活动类型"), max_length=12, choices=EventKind.choices)
    title = models.CharField(_("活动名称"), max_length=120)
    description = models.TextField(_("活动介绍"), blank=True)
    site = models.ForeignKey(ServiceSite, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("服务阵地"))
    address = models.CharField(_("活动地址"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=EventStatus.choices, default=EventStatus.DRAFT)
    registration_opens_at = models.DateTimeField(_("报名开始"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("报名截止"), null=True, blank=True)
    # Allocation for all sessions (ranked choice is across the event's sessions).
    allocation = models.CharField(_("分配方式"), max_length=12, choices=Allocation.choices,
                                  default=Allocation.FIRST_COME)
    requires_approval = models.BooleanField(_("需所在工会审核"), default=False)
    max_companions = models.PositiveSmallIntegerField(_("每人可带随行人数"), default=0)
    # Audience.
    include_ancestors = models.BooleanField(_("上级工会直属会员可报名"), default=False)
    invitation_only = models.BooleanField(_("仅限受邀人员（必参活动）"), default=False)
    genders = models.JSONField(_("性别"), default=list, blank=True)
    employment_forms = models.JSONField(_("用工形式"), default=list, blank=True)
    new_form_only = models.BooleanField(_("仅限新就业形态劳动者"), default=False)
    # Model workers: the honours app's person facet "model_worker" (huigong.core.facets), never an import.
    model_workers_only = models.BooleanField(_("仅限劳动模范/先进工作者"), default=False)
    front_line_only = models.BooleanField(_("仅限一线职工"), default=False)
    age_min = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("最高年龄"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return self.title

    @property
    def venue(self) -> str:
        if self.site_id:
            return f"{self.site.name}（{self.site.address}）"
        return self.address


class EventSession(PoolFields):
    """A session (a day, a half-day, a time slot) of an event: a pool of places. `total` NULL = no limit.
    The engine's `is_open` says whether it takes registrations now (the event published and its window open)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("场次"), max_length=120)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    venue_note = models.CharField(_("场地说明"), max_length=255, blank=True)

    class Meta(PoolFields.Meta):
        ordering = ["starts_at", "id"]
        verbose_name = _("活动场次")
        verbose_name_plural = _("活动场次")
        constraints = [
            *PoolFields.Meta.constraints,
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activities_session_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.event.title} · {self.title}"

    @property
    def taken(self) -> int:
        if self.total is None or self.remaining is None:
            return 0
        return self.total - self.remaining


class SeatShare(models.Model):
    """Places of a session kept for one sub-union (the engine's sub-pool, keyed by the union). The share
    keyed by the event's own node holds the open places (everything not kept for a sub-union). After
    `release_at` the unused places of a sub-union's share go to the open share."""

    session = models.ForeignKey(EventSession, on_delete=models.CASCADE, related_name="shares")
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    slots = models.PositiveIntegerField(_("名额"))
    remaining = models.IntegerField(_("剩余"))
    release_at = models.DateTimeField(_("未用名额释放时间"), null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("单位名额")
        verbose_name_plural = _("单位名额")
        constraints = [
            models.UniqueConstraint(fields=["session", "union"], name="activities_one_share_per_union"),
            models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("slots")),
                                   name="activities_share_remaining_in_range"),
        ]


class Approval(models.TextChoices):
    NONE = "", _("无需审核")
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")


class Source(models.TextChoices):
    PORTAL = "portal", _("本人报名")
    STAFF = "staff", _("工会代报")
    IMPORT = "import", _("名单导入")


RegistrationStatus = EntryStatus  # the engine's statuses, unchanged: entered, waiting, offered, granted, …


class Registration(models.Model):
    """One seat at a session (the capacity engine's entry). `status` is the engine's; `approval` the
    worker's own union's decision when the event requires one (a pending seat holds its place; a
    rejected one is cancelled). `ticket` is what the gate signs; `checked_in_at` is set once, by the
    gate, on the first admission."""

    session = models.ForeignKey(EventSession, on_delete=models.PROTECT, related_name="registrations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="event_registrations")
    seq = models.PositiveSmallIntegerField(default=0)  # 0: the worker's own seat; 1..: companions
    lead = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="companion_seats")
    companion_name = models.CharField(_("随行人员"), max_length=50, blank=True)
    membership = models.ForeignKey(Membership, null=True, on_delete=models.PROTECT, related_name="+")
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在工会"))
    share_union = models.ForeignKey(UnionNode, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("名额单位"))
    status = models.CharField(_("状态"), max_length=10, choices=EntryStatus.choices)
    approval = models.CharField(_("审核"), max_length=10, choices=Approval.choices, default="", blank=True)
    source = models.CharField(_("报名方式"), max_length=8, choices=Source.choices, default=Source.PORTAL)
    ticket = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    created_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    granted_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("确认截止"), null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(_("原因"), max_length=255, blank=True)
    draw_rank = models.PositiveIntegerField(null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("报名记录")
        verbose_name_plural = _("报名记录")
        constraints = [
            models.UniqueConstraint(fields=["session", "person", "seq"], condition=Q(status__in=[s.value for s in LIVE]),
                                    name="activities_one_live_seat_per_person"),
        ]
        indexes = [models.Index(fields=["session", "status", "created_at"]),
                   models.Index(fields=["status", "offer_expires_at"]),
                   models.Index(fields=["person", "status"])]

    def __str__(self) -> str:
        return f"{self.session.event.title} · {self.session.title}"

    def get_portal_url(self) -> str:
        from django.urls import reverse

        return reverse("activities_portal:registration", args=[self.lead_id or self.pk])

    @property
    def holds_place(self) -> bool:
        return self.status in (EntryStatus.GRANTED, EntryStatus.OFFERED)


class Invitation(models.Model):
    """A worker invited to an event (compulsory events admit the invited only)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("活动邀请")
        verbose_name_plural = _("活动邀请")
        constraints = [models.UniqueConstraint(fields=["event", "person"], name="activities_one_invitation")]


class RegistrationApproval(ApprovalStepBase):
    """The worker's own union's decision on a registration (the kernel's approval step: core/approvals)."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="approval_steps")

    class Meta:
        ordering = ["round", "seq"]
        verbose_name = _("报名审核")
        verbose_name_plural = _("报名审核")
        constraints = [models.UniqueConstraint(fields=["registration", "round", "seq"],
                                               name="activities_approval_step_unique")]


from .models_contest import *  # noqa: E402,F401,F403  (contests: question banks, rounds, attempts)
from .models_checkin import *  # noqa: E402,F401,F403  (check-in: gates, scans, attendance)
