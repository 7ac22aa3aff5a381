"""What a domain tells the disbursement service about its payments: a Flow subclass, registered in the
domain's AppConfig.ready() with `register(flow)`. The kernel imports no domain: everything it needs to
know about the item being paid (scope, segregation of duties, the ledger and budget, the payee's current
bank details) it asks the flow.

Two retry shapes exist and both are honest bank practice:
- `retry_new_row = False` (aid payouts): one row per item; a retry reopens it (attempts + 1) and the
  sheet's 备注 carries "key#attempt", so a stale result sheet of an earlier attempt is recognised.
- `retry_new_row = True` (reimbursements): one row per attempt, each with its own idempotency key;
  a partial UNIQUE on the item keeps at most one attempt live.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

_FLOWS: dict[str, Flow] = {}


class Flow(ABC):
    """The hooks marked abstract are the domain's to give; a flow missing one cannot be instantiated."""

    key = ""  # registry name
    payment_model: type[Model]
    batch_model: type[Model]
    payment_verb = ""  # audit verbs: f"{payment_verb}.paid", f"{batch_verb}.export" …
    batch_verb = ""
    access_object_type = ""  # access-log type for sheets with full account numbers
    source_field = ""  # the payment's FK to the item paid
    attempt_field = "attempt"
    select_related: tuple[str, ...] = ()

    retry_new_row = False
    export_sends = False  # a new sheet moves its rows PENDING → SENT (handed to the bank once)
    sheet_key_has_attempt = False  # 备注 is "key#attempt"
    paid_again_needs_same_reference = False  # a repeated receipt must carry the same 流水号
    batch_has_status = False  # the batch model has status/sent_at/done_at (BatchState)

    # --- who may act ------------------------------------------------------------------------------
    @abstractmethod
    def check_actor(self, actor, node_path: str) -> None:
        """Payment rights over node_path (PermissionDenied / OutOfScope otherwise)."""

    @abstractmethod
    def check_batch(self, actor, batch) -> str:
        """Payment rights over the batch; returns the node path its audit events carry."""

    @abstractmethod
    def check_full(self, actor) -> None:
        """Full account numbers in a sheet."""

    @abstractmethod
    def ensure_not_approver(self, actor, payments) -> None:
        """Nobody pays what they approved."""

    @abstractmethod
    def payment_path(self, payment) -> str:
        """The node path of the item a payment pays (scope and audit)."""

    def batch_payments(self, actor, batch) -> QuerySet:
        """The batch's payments this actor may export and settle."""
        return self.payment_model.objects.filter(batch_id=batch.pk)

    # --- the item paid, its ledger and budget -----------------------------------------------------------
    def settled_fields(self, actor, now, status: str) -> dict:
        return {}

    def on_paid(self, actor, payment, *, paid_on=None) -> None:
        """The domain's side of a payment that just turned PAID, in the same transaction: its ledger entry,
        budget, the item's status, a notification. Raising ValidationError rolls the payment back."""

    def on_failed(self, actor, payment) -> None:
        pass

    def on_retried(self, actor, old, new) -> None:
        pass

    def record_attempt(self, payment, status: str, actor, *, reference: str = "", reason: str = "") -> None:
        """A per-attempt log row, for flows that keep one beside the payment."""

    @abstractmethod
    def current_payee(self, payment) -> dict:
        """The payee's bank details as they are now (payee_name, bank_name, bank_account, bank_account_mask),
        for a retry; ValidationError naming the missing account."""

    def check_retry_batch(self, actor, payment, batch) -> None:
        pass

    def check_sendable(self, payments) -> None:
        """Re-checks (under lock) that the items of a new sheet may still be paid."""

    @abstractmethod
    def sheet_purpose(self, payment) -> str:
        """The sheet's 用途 column for a payment."""

    @abstractmethod
    def ledger_total(self, payments: QuerySet) -> int:
        """What the domain's ledger holds for these payments (reconciliation: must equal the paid ones)."""

    # --- derived ----------------------------------------------------------------------------------
    def attempt(self, payment) -> int:
        return getattr(payment, self.attempt_field)

    def sheet_key(self, payment) -> str:
        if self.sheet_key_has_attempt:
            return f"{payment.idempotency_key}#{self.attempt(payment)}"
        return payment.idempotency_key

    def new_payment_key(self, source_id: int, attempt: int) -> str:
        """The idempotency key of a retry's new row (flows with retry_new_row only): unique per flow,
        item and attempt."""
        return f"hg-{self.key}-{source_id}-{attempt}"


def register(flow: Flow) -> Flow:
    if flow.key in _FLOWS and type(_FLOWS[flow.key]) is not type(flow):
        raise ValueError(f"disbursement flow {flow.key!r} registered twice")
    _FLOWS[flow.key] = flow
    return flow


def flows() -> dict[str, Flow]:
    return dict(_FLOWS)


def get(key: str) -> Flow:
    try:
        return _FLOWS[key]
    except KeyError:
        raise ValidationError(f"unknown disbursement flow {key!r}") from None
