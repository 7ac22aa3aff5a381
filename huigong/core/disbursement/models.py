"""Abstract models every domain's payment and batch inherit (see services.py for the state machine).

A payment moves PENDING → (SENT) → PAID or FAILED; a FAILED payment is retried, either on the same row
(attempts + 1) or by a new row per attempt, as the domain's Flow says. `idempotency_key` is UNIQUE: it is
what the bank sees in 备注, so a sheet handed over twice pays nobody twice."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    PENDING = "pending", _("待发放")
    SENT = "sent", _("银行处理中")
    PAID = "paid", _("已到账")
    FAILED = "failed", _("发放失败")


OPEN = (State.PENDING, State.SENT)


class BatchState(models.TextChoices):
    DRAFT = "draft", _("待发放")
    SENT = "sent", _("已提交银行")
    DONE = "done", _("已完成")


class AbstractPayment(models.Model):
    """The fields the kernel reads and writes. A domain adds the item paid (its source), the batch, the
    encrypted full account (its own key and length), the attempt number (see Flow.attempt_field) and its
    `status` (values of State; the domain keeps its own labels, e.g. 待银行回执 for a reimbursement)."""

    idempotency_key = models.CharField(max_length=64, unique=True)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    payee_name = models.CharField(_("收款人"), max_length=50)
    bank_name = models.CharField(_("开户行"), max_length=100, blank=True)
    bank_account_mask = models.CharField(_("银行账号"), max_length=24)
    bank_reference = models.CharField(_("银行流水号"), max_length=64, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class AbstractBatch(models.Model):
    title = models.CharField(_("批次名称"), max_length=160)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]  # noqa: RUF012
        verbose_name = _("发放批次")
        verbose_name_plural = _("发放批次")

    def __str__(self) -> str:
        return self.title
