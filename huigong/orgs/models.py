from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class NodeLevel(models.TextChoices):
    NATIONAL = "national", _("全国总工会")
    PROVINCE = "province", _("省总工会")
    CITY = "city", _("市总工会")
    DISTRICT = "district", _("区/县总工会")
    TOWNSHIP = "township", _("乡镇/街道工会")
    INDUSTRY = "industry", _("产业工会")
    JOINT = "joint", _("联合工会")
    GRASSROOTS = "grassroots", _("基层工会")
    GROUP = "group", _("工会小组")


# Levels that may hold memberships directly.
MEMBERSHIP_LEVELS = {NodeLevel.GRASSROOTS, NodeLevel.JOINT, NodeLevel.INDUSTRY, NodeLevel.TOWNSHIP}


class UnionNode(MP_Node):
    """A node of the union tree. Materialised path: a node's subtree is every path starting with
    its own, which is how every query in the product is scoped."""

    steplen = 4
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    node_order_by = None

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    level = models.CharField(_("层级"), max_length=16, choices=NodeLevel.choices)
    region_code = models.CharField(_("行政区划代码"), max_length=6, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("工会组织")
        verbose_name_plural = _("工会组织")

    def __str__(self) -> str:
        return self.name

    @property
    def can_hold_members(self) -> bool:
        return self.level in MEMBERSHIP_LEVELS


class EnterpriseKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    PLATFORM = "platform", _("平台企业")
    INSTITUTION = "institution", _("机关事业单位")
    SOCIAL = "social", _("社会组织")


class EnterpriseSize(models.TextChoices):
    MICRO = "micro", _("微型")
    SMALL = "small", _("小型")
    MEDIUM = "medium", _("中型")
    LARGE = "large", _("大型")


class Enterprise(models.Model):
    name = models.CharField(_("单位名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=EnterpriseKind.choices,
                            default=EnterpriseKind.ENTERPRISE)
    industry = models.CharField(_("行业"), max_length=64, blank=True)
    size = models.CharField(_("规模"), max_length=8, choices=EnterpriseSize.choices, blank=True)
    employee_count = models.PositiveIntegerField(_("职工人数"), default=0)
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="enterprises",
                              verbose_name=_("覆盖工会"))
    region_code = models.CharField(_("行政区划代码"), max_length=6, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self) -> str:
        return self.name


class SiteKind(models.TextChoices):
    WORKERS_HOME = "workers_home", _("职工之家")
    MOTHERS_ROOM = "mothers_room", _("爱心妈妈小屋")
    OUTDOOR_STATION = "outdoor_station", _("户外劳动者服务站")
    OTHER = "other", _("其他服务阵地")


class ServiceSite(models.Model):
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=20, choices=SiteKind.choices)
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="sites",
                              verbose_name=_("所属工会"))
    address = models.CharField(_("地址"), max_length=255)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    opening_hours = models.CharField(_("开放时间"), max_length=120, blank=True)
    services = models.CharField(_("服务内容"), max_length=255, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    is_active = models.BooleanField(_("开放中"), default=True)
    # Set when a site stops being open (site_update), cleared when it reopens: the KPI counts a site from
    # its registration to this day, so a closed site still counts in the periods it was open.
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("服务阵地")
        verbose_name_plural = _("服务阵地")
        constraints = [
            models.CheckConstraint(condition=models.Q(latitude__gte=-90, latitude__lte=90) |
                                   models.Q(latitude__isnull=True), name="site_latitude_range"),
            models.CheckConstraint(condition=models.Q(longitude__gte=-180, longitude__lte=180) |
                                   models.Q(longitude__isnull=True), name="site_longitude_range"),
        ]

    def __str__(self) -> str:
        return self.name
