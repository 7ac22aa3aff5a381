from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeStatus(models.TextChoices):
    PUBLISHED = "published", _("公示中")
    ENDED = "ended", _("公示期满")
    WITHDRAWN = "withdrawn", _("已撤回")


class NoticeBase(models.Model):
    """公示: items published for a period with masked names and no ID numbers. A domain subclasses it
    (with a CHECK ends_on > starts_on), and subclasses NoticeEntryBase and NoticeObjectionBase with a
    foreign key `notice` to it (related names "entries" and "objections") and one to its item."""

    node = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("公示单位"))
    node_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(_("标题"), max_length=160)
    body = models.TextField(_("公示说明"), blank=True)
    contact = models.CharField(_("监督电话/联系人"), max_length=120, blank=True)
    starts_on = models.DateField(_("公示开始"))
    ends_on = models.DateField(_("公示截止"))
    status = models.CharField(_("状态"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PUBLISHED)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return self.title


class NoticeEntryBase(models.Model):
    """One published row, frozen at publication: the masked name (张*三), a unit, the amount."""

    masked_name = models.CharField(max_length=50)
    unit_label = models.CharField(max_length=120, blank=True)
    amount_fen = models.BigIntegerField()

    class Meta:
        abstract = True


class NoticeObjectionBase(models.Model):
    """异议 received during the notice period, and how it was resolved."""

    received_on = models.DateField(_("收到日期"))
    channel = models.CharField(_("渠道"), max_length=32, blank=True)  # 电话, 来信, 现场
    content = models.TextField(_("异议内容"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    resolution = models.TextField(_("处理结果"), blank=True)
    upheld = models.BooleanField(_("异议成立"), null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
