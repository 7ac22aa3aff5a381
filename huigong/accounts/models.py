import hashlib
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huigong.core import contrib
from huigong.orgs.models import UnionNode


class Role(models.TextChoices):
    ADMIN = "admin", _("管理员")
    STAFF = "staff", _("工作人员")
    VIEWER = "viewer", _("查看人员")
    FINANCE = "finance", _("财务")
    LEADER = "leader", _("领导")


class Cap(models.TextChoices):
    """Names of the capabilities the spine and the first apps check (staff.can(Cap.X)). Which roles hold a
    capability is declared by the app that owns it (contributions.capabilities, core/contrib.py); a new
    app declares its own codes there and checks them as plain strings."""

    VIEW = "view", _("查看")
    MEMBER_WRITE = "member_write", _("维护会员")
    PII_FULL = "pii_full", _("查看完整敏感信息")
    IMPORT = "import", _("导入名册")
    EXPORT = "export", _("导出名册")
    ORG_WRITE = "org_write", _("维护组织与单位")
    AUDIT_VIEW = "audit_view", _("查看审计")
    STAFF_MANAGE = "staff_manage", _("管理账号")
    MONEY = "money", _("资金发放")
    ASSIST = "assist", _("帮扶业务")
    APPROVE = "approve", _("审批")
    BENEFIT = "benefit", _("惠工服务")


class _RoleCaps(Mapping):
    """{role: frozenset of capability codes}, gathered from every installed app's declared capabilities
    the first time it is read (after the app registry is ready) and kept; `forget()` re-reads it (a test
    that installs an app)."""

    def __init__(self) -> None:
        self._grants: dict[str, frozenset[str]] | None = None

    def _get(self) -> dict[str, frozenset[str]]:
        if self._grants is None:
            self._grants = contrib.role_caps(Role.values)
        return self._grants

    def forget(self) -> None:
        self._grants = None

    def __getitem__(self, role: str) -> frozenset[str]:
        return self._get()[role]

    def __iter__(self):
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


ROLE_CAPS: Mapping[str, frozenset[str]] = _RoleCaps()


class StaffProfile(models.Model):
    """A staff account acts for exactly one node of the union tree and sees its subtree."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="staff",
                             verbose_name=_("所属工会"))
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return f"{self.display_name or self.user.username} ({self.node.name} · {self.get_role_display()})"

    @property
    def caps(self) -> frozenset[str]:
        return ROLE_CAPS.get(self.role, frozenset())

    def can(self, cap: str) -> bool:
        return cap in self.caps


class ApiToken(models.Model):
    """Bearer token for integrations. Only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "hg_" + secrets.token_urlsafe(32)


class UserSession(models.Model):
    """Which sessions belong to which user, so that cutting an account off can delete every one of them
    at once wherever the session engine keeps them (the database, the cache, or both). Django stores a
    session as an opaque blob keyed by a random key: without this index a user's sessions can only be
    found by decoding every session there is. A row whose session already ended is harmless and is
    pruned at the user's next sign-in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
