from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from huigong.core.disbursement.models import AbstractBatch, AbstractPayment, BatchState, State
from huigong.orgs.models import UnionNode

from .aid import AidApplication, AidProgramme
from .files import HardshipFile

BatchStatus = BatchState  # the kernel's batch states (draft → sent → done)


class PayoutBatch(AbstractBatch):
    """A disbursement run (发放批次) by a finance officer, e.g. one ceremony's payments."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="payout_batches",
                             verbose_name=_("发放单位"))
    node_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractBatch.Meta):
        pass


PayoutStatus = State  # the kernel's payment states, with the aid labels (待发放, 银行处理中, 已到账, 发放失败)


class Payout(AbstractPayment):
    """The one payment an approved application gets. `idempotency_key` ("aid-<application id>") is
    UNIQUE and so is `application`: however many times a batch is built, retried or marked, there is
    one row, and it turns PAID by one conditional UPDATE. A failed payout is retried on the same row
    (a new attempt), never by a second payout."""

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="payouts")
    application = models.OneToOneField(AidApplication, on_delete=models.PROTECT, related_name="payout")
    bank_account = EncryptedCharField(_("银行账号"), max_length=32)
    status = models.CharField(_("状态"), max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=1)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("发放记录")
        verbose_name_plural = _("发放记录")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(condition=~Q(status="paid") | ~Q(bank_reference=""),
                                   name="payout_paid_has_reference"),
        ]


class PayoutAttempt(models.Model):
    """Each try at the bank, kept for the record (the payout row holds the latest state)."""

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=PayoutStatus.choices)
    bank_reference = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["payout", "number", "status"], name="payout_attempt_unique")]


class LedgerEntry(models.Model):
    """台账: one row per yuan movement to a file, written in the same transaction that marks the
    payout paid (UNIQUE payout: a payout reaches the ledger once)."""

    file = models.ForeignKey(HardshipFile, on_delete=models.PROTECT, related_name="ledger")
    programme = models.ForeignKey(AidProgramme, on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(AidApplication, on_delete=models.PROTECT, related_name="+")
    payout = models.OneToOneField(Payout, on_delete=models.PROTECT, related_name="ledger_entry")
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+")
    node_path = models.CharField(max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField()
    amount_fen = models.BigIntegerField()
    paid_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("台账")
        verbose_name_plural = _("台账")
        indexes = [models.Index(fields=["year", "node_path"], name="ledger_year_path_idx")]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="ledger_amount_positive")]
