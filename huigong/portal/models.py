"""The workers' portal (惠工e家): worker accounts, one-time SMS codes, messages, PIPL consents and
online join applications. Workers are Django users with NO StaffProfile; their phone is encrypted at
rest with a blind index, as members' personal data is."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from huigong.core.crypto import BlindIndexField
from huigong.members.models import EmploymentForm, Person
from huigong.orgs.models import Enterprise, UnionNode


class WorkerAccount(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worker_account")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="worker_accounts", verbose_name=_("职工"))
    phone = EncryptedCharField(_("手机号"), max_length=20)
    phone_hash = BlindIndexField(max_length=64, unique=True, source="phone", purpose="phone")
    phone_mask = models.CharField(_("手机号"), max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("职工账号")
        verbose_name_plural = _("职工账号")

    def __str__(self) -> str:
        return self.phone_mask


class SmsPurpose(models.TextChoices):
    SIGNUP = "signup", _("注册")
    LOGIN = "login", _("登录")
    RESET = "reset", _("找回密码")
    LINK = "link", _("绑定会员身份")


class SmsCode(models.Model):
    """A one-time code: only an HMAC of it is kept; it dies after a few wrong tries or 5 minutes."""

    phone_hash = BlindIndexField(max_length=64, source=None, purpose="phone")  # ephemeral: codes live 5 minutes
    purpose = models.CharField(max_length=16, choices=SmsPurpose.choices)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone_hash", "purpose", "created_at"]),
                   models.Index(fields=["ip", "created_at"])]


class Message(models.Model):
    """A note to one worker (claim granted, application approved…). Sent to a Person (other apps) or,
    before they are a member, to the account itself."""

    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="portal_messages")
    account = models.ForeignKey(WorkerAccount, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="messages")
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        constraints = [models.CheckConstraint(condition=Q(person__isnull=False) | Q(account__isnull=False),
                                              name="portal_message_has_recipient")]
        indexes = [models.Index(fields=["person", "read_at"]), models.Index(fields=["account", "read_at"])]

    def __str__(self) -> str:
        return self.title


class ConsentPurpose(models.TextChoices):
    ID_NUMBER = "id_number", _("身份证号")
    HEALTH = "health", _("健康信息")
    INCOME = "income", _("收入信息")
    BANK_ACCOUNT = "bank_account", _("银行账户")
    # Accepted at sign-up (recorded with their version); shown as documents, not withdrawable one by one.
    TERMS = "terms", _("用户服务协议")
    PRIVACY = "privacy", _("个人信息保护政策")


SIGNUP_PURPOSES = (ConsentPurpose.TERMS, ConsentPurpose.PRIVACY)


class ConsentText(models.Model):
    """The wording a worker agrees to (PIPL art. 29 separate consent), versioned per purpose."""

    purpose = models.CharField(_("用途"), max_length=32, choices=ConsentPurpose.choices)
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("标题"), max_length=120)
    text = models.TextField(_("说明"))
    withdraw_effect = models.TextField(_("撤回后的影响"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["purpose", "-version"]
        verbose_name = _("授权说明")
        verbose_name_plural = _("授权说明")
        constraints = [models.UniqueConstraint(fields=["purpose", "version"], name="consent_text_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Consent(models.Model):
    account = models.ForeignKey(WorkerAccount, on_delete=models.CASCADE, related_name="consents")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="consents")
    purpose = models.CharField(_("用途"), max_length=32, choices=ConsentPurpose.choices)
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="consents")
    given_at = models.DateTimeField(_("同意时间"))
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    # Ended because the worker agreed to a newer text (not withdrawn by them).
    superseded = models.BooleanField(_("已被新版本替代"), default=False)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("个人信息授权")
        verbose_name_plural = _("个人信息授权")
        constraints = [models.UniqueConstraint(fields=["account", "purpose"], condition=Q(withdrawn_at__isnull=True),
                                               name="one_live_consent_per_purpose")]


class JoinStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    TRANSFER_OFFERED = "transfer_offered", _("待转接")
    # Accepted by the receiving union; the union holding the membership has not answered yet.
    TRANSFER_REQUESTED = "transfer_requested", _("待原工会确认")
    ACCEPTED = "accepted", _("已入会")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


# Waiting for the receiving union's decision.
PENDING_JOIN_STATUSES = (JoinStatus.SUBMITTED, JoinStatus.TRANSFER_OFFERED)
# Not finished: pending, or waiting for the releasing union (one open application per ID and per account).
OPEN_JOIN_STATUSES = (*PENDING_JOIN_STATUSES, JoinStatus.TRANSFER_REQUESTED)


class RouteRule(models.TextChoices):
    EMPLOYER = "employer", _("用人单位工会")
    PLATFORM = "platform", _("平台企业工会")
    AREA_JOINT = "area_joint", _("区域联合工会")
    AREA_DISTRICT = "area_district", _("区/县总工会")


class JoinApplication(models.Model):
    """网上入会: one worker's application, routed by rule to the union that decides it."""

    account = models.ForeignKey(WorkerAccount, on_delete=models.PROTECT, related_name="join_applications")
    name = models.CharField(_("姓名"), max_length=50)
    # Cleared (NULL) by the retention job some time after a rejection or withdrawal.
    id_number = EncryptedCharField(_("身份证号"), max_length=18, null=True, blank=True)
    id_number_hash = BlindIndexField(max_length=64, source="id_number", purpose="id")
    id_number_mask = models.CharField(_("身份证号"), max_length=18)
    phone_mask = models.CharField(_("手机号"), max_length=20)
    employment_form = models.CharField(_("用工形式"), max_length=16, choices=EmploymentForm.choices)
    employer = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("用人单位"))
    platform = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("平台企业"))
    area = models.ForeignKey(UnionNode, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("工作区域"))
    job_title = models.CharField(_("岗位"), max_length=50, blank=True)
    routed_to = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="join_applications",
                                  verbose_name=_("受理工会"))
    route_rule = models.CharField(_("分配规则"), max_length=16, choices=RouteRule.choices)
    status = models.CharField(_("状态"), max_length=20, choices=JoinStatus.choices, default=JoinStatus.SUBMITTED)
    # Set when the applicant already holds an active membership elsewhere: acceptance transfers it.
    transfer_from = models.ForeignKey("members.Membership", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("原会籍"))
    reason = models.CharField(_("审核意见"), max_length=255, blank=True)
    # The ID number belongs to a person on file whose phone is not this account's: the union checks the
    # ID card in person before accepting (and only then links the account to that person).
    needs_verification = models.BooleanField(_("身份待核实"), default=False)
    verification_note = models.CharField(_("核实方式/说明"), max_length=255, blank=True)
    membership = models.ForeignKey("members.Membership", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("会籍"))
    # The ID number is an active member of another union: acceptance asked that union to release them.
    transfer_request = models.ForeignKey("members.TransferRequest", null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+", verbose_name=_("转接请求"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("入会申请")
        verbose_name_plural = _("入会申请")
        constraints = [
            # One pending application per ID number: a second one is refused by the database too.
            models.UniqueConstraint(fields=["id_number_hash"],
                                    condition=Q(status__in=["submitted", "transfer_offered",
                                                            "transfer_requested"]),
                                    name="one_pending_join_per_id"),
            # One pending application per account (a second ID number waits for the first decision).
            models.UniqueConstraint(fields=["account"],
                                    condition=Q(status__in=["submitted", "transfer_offered", "transfer_requested"]),
                                    name="one_pending_join_per_account"),
        ]
        indexes = [models.Index(fields=["routed_to", "status"])]

    def __str__(self) -> str:
        return f"{self.name} → {self.routed_to_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_JOIN_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_JOIN_STATUSES


class IdentityCheck(models.Model):
    """An ID number an account entered on a given day: an account may try only a few different ones a day
    (typos, not a list), so the join pages cannot be used to probe whose records exist."""

    account = models.ForeignKey(WorkerAccount, on_delete=models.CASCADE, related_name="+")
    id_number_hash = BlindIndexField(max_length=64, source=None, purpose="id")  # ephemeral: one day's limit
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day", "id_number_hash"],
                                               name="one_identity_check_per_id_day")]


class LinkMethod(models.TextChoices):
    SMS = "sms", _("短信验证登记手机号")
    UNION = "union", _("由所在工会确认")
    ACCOUNT_PHONE = "account_phone", _("账号手机号与档案一致")


class LinkStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已绑定")
    REFUSED = "refused", _("未通过")
    EXPIRED = "expired", _("已过期")


class AccountLink(models.Model):
    """我已是会员: a worker asks to link their portal account to an existing member record, proving that they
    are that person by an SMS code sent to the phone on the record, or by the union holding the record
    confirming it. `person` is empty when name and ID number matched no member: the request then never
    succeeds, but the worker is told the same as for a match (the page is no oracle)."""

    account = models.ForeignKey(WorkerAccount, on_delete=models.CASCADE, related_name="links")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The union that held the active membership when asked (the one that confirms a UNION request).
    union = models.ForeignKey(UnionNode, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("确认工会"))
    method = models.CharField(_("验证方式"), max_length=16, choices=LinkMethod.choices)
    status = models.CharField(_("状态"), max_length=16, choices=LinkStatus.choices, default=LinkStatus.PENDING)
    name = models.CharField(_("姓名"), max_length=50)
    id_number_mask = models.CharField(_("身份证号"), max_length=18)
    phone_mask = models.CharField(_("手机号"), max_length=20)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    note = models.CharField(_("核实方式/说明"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("会员身份绑定")
        verbose_name_plural = _("会员身份绑定")
        indexes = [models.Index(fields=["union", "status"]), models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.account_id} → {self.person_id} ({self.method}, {self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == LinkStatus.PENDING
