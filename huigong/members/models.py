from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from huigong.core.crypto import BlindIndexField
from huigong.orgs.models import Enterprise, UnionNode


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class EmploymentForm(models.TextChoices):
    CONTRACT = "contract", _("劳动合同")
    DISPATCH = "dispatch", _("劳务派遣")
    FLEXIBLE = "flexible", _("灵活就业")
    RIDER = "rider", _("网约配送员/外卖骑手")
    COURIER = "courier", _("快递员")
    RIDE_HAILING = "ride_hailing", _("网约车司机")
    TRUCK_DRIVER = "truck_driver", _("货车司机")
    OTHER = "other", _("其他")


NEW_EMPLOYMENT_FORMS = {EmploymentForm.RIDER, EmploymentForm.COURIER, EmploymentForm.RIDE_HAILING,
                        EmploymentForm.TRUCK_DRIVER}


class Education(models.TextChoices):
    PRIMARY = "primary", _("小学及以下")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中/中专")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科")
    POSTGRAD = "postgrad", _("研究生")


class PoliticalStatus(models.TextChoices):
    PARTY_MEMBER = "party_member", _("中共党员")
    PROBATIONARY = "probationary", _("中共预备党员")
    LEAGUE = "league", _("共青团员")
    DEMOCRATIC = "democratic", _("民主党派成员")
    INDEPENDENT = "independent", _("无党派人士")
    MASSES = "masses", _("群众")


class Person(models.Model):
    """A real-name person. ID number, phone and bank account are Fernet-encrypted at rest; the
    *_hash columns are HMAC blind indexes (own key) for exact lookup and uniqueness; *_mask
    columns hold the display form so that lists never decrypt."""

    name = models.CharField(_("姓名"), max_length=50)
    name_pinyin = models.CharField(max_length=120, blank=True)
    name_initials = models.CharField(max_length=20, blank=True)
    id_number = EncryptedCharField(_("身份证号"), max_length=18)
    id_number_hash = BlindIndexField(max_length=64, source="id_number", purpose="id")
    id_number_mask = models.CharField(_("身份证号"), max_length=18)
    # Blind index of the last six characters (huigong.core.crypto.id_tail_index): the tail a list shows
    # ("…041X") finds the member. Recomputed at a key rotation by the hook in apps.py.
    id_tail_hash = models.CharField(max_length=32, blank=True, default="")
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    phone = EncryptedCharField(_("手机号"), max_length=20, blank=True, null=True)
    phone_hash = BlindIndexField(max_length=64, blank=True, source="phone", purpose="phone")
    phone_mask = models.CharField(_("手机号"), max_length=20, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    education = models.CharField(_("学历"), max_length=16, choices=Education.choices, blank=True)
    employment_form = models.CharField(_("用工形式"), max_length=16, choices=EmploymentForm.choices,
                                       default=EmploymentForm.CONTRACT)
    employer = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="employees", verbose_name=_("用人单位"))
    platform = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="platform_workers", verbose_name=_("平台企业"))
    job_title = models.CharField(_("岗位"), max_length=50, blank=True)
    # 一线职工: works on the production or service front line (not management); NULL = not recorded. Events
    # filter their audience by it (huigong/activities).
    front_line = models.BooleanField(_("一线职工"), null=True, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=100, blank=True)
    bank_account = EncryptedCharField(_("银行账号"), max_length=40, blank=True, null=True)
    bank_account_hash = BlindIndexField(max_length=64, blank=True, source="bank_account", purpose="bank")
    bank_account_mask = models.CharField(_("银行账号"), max_length=24, blank=True)
    # Optional columns enterprises' rosters commonly carry.
    political_status = models.CharField(_("政治面貌"), max_length=16, choices=PoliticalStatus.choices,
                                        blank=True)
    employee_no = models.CharField(_("工号"), max_length=32, blank=True)
    address = models.CharField(_("现住址"), max_length=255, blank=True)
    contract_start = models.DateField(_("劳动合同起始日期"), null=True, blank=True)
    contract_end = models.DateField(_("劳动合同终止日期"), null=True, blank=True)
    # The path of the union whose staff recorded the values above (contact, bank, job): what one union
    # collected is shown only inside its own subtree, and a union of another subtree that registers the
    # same ID number records its own values instead of receiving these. "" = recorded by no union.
    record_path = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("职工")
        verbose_name_plural = _("职工")
        # Only the indexes reads use: every index is paid on each write, and a roster import writes
        # a hundred thousand people at a time. Hashes are matched exactly (no LIKE index); pinyin
        # and initials are matched by prefix (pattern ops, whatever the database collation).
        constraints = [models.UniqueConstraint(fields=["id_number_hash"], name="person_id_number_hash_unique")]
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["phone_hash"], name="person_phone_hash_idx"),
            # The id in the prefix indexes too: a search collects its candidates by index alone (an
            # index-only scan), not by a visit to each matching person's row (10,000 rows: 105 → 36 ms).
            models.Index(fields=["name_pinyin"], name="person_pinyin_prefix_idx", opclasses=["varchar_pattern_ops"],
                         include=["id"]),
            models.Index(fields=["name_initials"], name="person_initials_prefix_idx",
                         opclasses=["varchar_pattern_ops"], include=["id"]),
            models.Index(fields=["id_tail_hash"], name="person_id_tail_idx"),
            # Substrings of names: a GIN index over hg_name_grams(name), PostgreSQL only (migration 0010).
        ]

    def __str__(self) -> str:
        return self.name


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", _("在会")
    TRANSFERRED = "transferred", _("转出")
    WITHDRAWN = "withdrawn", _("退会")


class Membership(models.Model):
    """A person's membership of one union. At most one is active per person; a transfer ends
    one and opens another, so the history is the list of a person's memberships."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    # No index of its own: the (union, status) index below serves lookups by union.
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="memberships", db_index=False,
                              verbose_name=_("所在工会"))
    status = models.CharField(_("会籍状态"), max_length=16, choices=MembershipStatus.choices,
                              default=MembershipStatus.ACTIVE)
    joined_on = models.DateField(_("入会日期"))
    ended_on = models.DateField(_("离会日期"), null=True, blank=True)
    card_no = models.CharField(_("会员卡号"), max_length=32, blank=True)
    source = models.CharField(_("来源"), max_length=16, blank=True)  # manual / import / online / transfer
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("会籍")
        verbose_name_plural = _("会籍")
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status="active"),
                                    name="one_active_membership_per_person"),
        ]
        indexes = [
            models.Index(fields=["union", "status"]),
            # Joins and endings on given days (the dashboard compares a running period with the same days
            # of the previous one, and the rollups are monthly): a day's rows, not the whole table.
            models.Index(fields=["joined_on"], name="membership_joined_on_idx"),
            models.Index(fields=["ended_on"], name="membership_ended_on_idx"),
            # The member list: a status's newest joins first, read in order (ORDER BY joined_on DESC, id DESC).
            models.Index(fields=["status", "joined_on", "id"], name="membership_status_joined_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.union_id} {self.status}"


class MembershipTransfer(models.Model):
    """会员关系转接: a record of one move between unions."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="transfers")
    from_membership = models.OneToOneField(Membership, on_delete=models.PROTECT, related_name="transfer_out")
    to_membership = models.OneToOneField(Membership, on_delete=models.PROTECT, related_name="transfer_in")
    reason = models.CharField(_("转接原因"), max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("会员关系转接")
        verbose_name_plural = _("会员关系转接")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    VALIDATING = "validating", _("校验中")
    WRITING = "writing", _("写入中")
    DONE = "done", _("已完成")
    REJECTED = "rejected", _("校验未通过")
    FAILED = "failed", _("失败")


class JobProgress:
    """Progress of a background job over rows (imports, exports): `status`, `total_rows` and
    `processed_rows` fields, and the class's `done_status` and `finished_statuses`."""

    done_status: str
    finished_statuses: tuple[str, ...]

    @property
    def progress_percent(self) -> int:
        if self.status == self.done_status:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in self.finished_statuses


class RosterImport(JobProgress, models.Model):
    """One uploaded roster. All rows load or none do; errors go to a downloadable report."""

    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="roster_imports",
                              verbose_name=_("导入到工会"))
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="roster_imports", verbose_name=_("单位"))
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices,
                              default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    message = models.TextField(_("说明"), blank=True)
    error_report = models.FileField(upload_to="import-errors/%Y/%m/", blank=True)
    # The first errors, so the detail page shows them without opening the report file.
    errors_preview = models.JSONField(default=list, blank=True)
    # Set when the retention job deleted the uploaded file and the error report (and the preview of
    # the errors, which quotes cells): the record of the import stays.
    files_purged_at = models.DateTimeField(_("文件清除时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the worker's last progress write
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("名册导入")
        verbose_name_plural = _("名册导入")

    def __str__(self) -> str:
        return self.original_name

    done_status = ImportStatus.DONE
    finished_statuses = (ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED)


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("可下载")
    FAILED = "failed", _("失败")


class MemberExport(JobProgress, models.Model):
    """A member export too big to write inside the web request: a background task writes the .xlsx
    into an encrypted file that only its requester downloads (from 我的导出), until the retention purge
    deletes it. The filters are the member list's; the search text, which may be an ID number or a
    phone, is kept encrypted."""

    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="member_exports",
                              verbose_name=_("导出范围"))
    node = models.ForeignKey(UnionNode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    q = EncryptedCharField(max_length=200, blank=True, null=True)
    employment_form = models.CharField(max_length=16, blank=True)
    membership_status = models.CharField(max_length=16, blank=True)
    full_pii = models.BooleanField(_("完整个人信息"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已写入"), default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(_("文件名"), max_length=255, blank=True)
    message = models.TextField(_("说明"), blank=True)
    files_purged_at = models.DateTimeField(_("文件清除时间"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("首次下载时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("会员导出")
        verbose_name_plural = _("会员导出")
        indexes = [models.Index(fields=["created_by", "status"], name="memberexport_owner_status_idx")]

    def __str__(self) -> str:
        return self.filename or f"export {self.pk}"

    done_status = ExportStatus.DONE
    finished_statuses = (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def downloadable(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.file) and self.files_purged_at is None


class TransferRequestStatus(models.TextChoices):
    PENDING = "pending", _("待原工会确认")
    ACCEPTED = "accepted", _("原工会已同意")
    REFUSED = "refused", _("原工会不同意")
    EXPIRED = "expired", _("逾期未答复")
    CANCELLED = "cancelled", _("已撤销")


class TransferRequest(models.Model):
    """会员关系转接请求: a union asks the union holding a member's active membership to release it. Nothing
    moves until the releasing union (its staff or anyone above it) accepts; a refusal or the deadline
    ends it. Both sides see it, and every step leaves an audit event against both unions."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="transfer_requests")
    from_membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    from_union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="transfer_requests_out",
                                   verbose_name=_("转出工会"))
    to_union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="transfer_requests_in",
                                 verbose_name=_("转入工会"))
    status = models.CharField(_("状态"), max_length=16, choices=TransferRequestStatus.choices,
                              default=TransferRequestStatus.PENDING)
    reason = models.CharField(_("转接原因"), max_length=255, blank=True)
    # The requester proved that the worker asking is the member (SMS code to the phone on record, or a
    # portal account already linked by proof). When False the releasing union confirms with the member
    # before accepting, and says how.
    identity_confirmed = models.BooleanField(_("本人身份已验证"), default=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    deadline = models.DateTimeField(_("答复期限"))
    reminded_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    decision_note = models.CharField(_("答复说明"), max_length=255, blank=True)
    transfer = models.OneToOneField(MembershipTransfer, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="request")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("会员关系转接请求")
        verbose_name_plural = _("会员关系转接请求")
        constraints = [models.UniqueConstraint(fields=["person"], condition=Q(status="pending"),
                                               name="one_pending_transfer_request_per_person")]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.from_union_id} → {self.to_union_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == TransferRequestStatus.PENDING
