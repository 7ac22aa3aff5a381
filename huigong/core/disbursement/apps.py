from django.apps import AppConfig


class DisbursementConfig(AppConfig):
    """The kernel's disbursement service (发放): one state machine, one bank sheet writer, one result-sheet
    reader and one retry/failure/reconciliation path for every payment the product makes. It owns no
    table: each domain's batch and payment models inherit its abstract models, and the domain registers
    a Flow (models, hooks for scope, segregation and its own ledger) in its AppConfig.ready()."""

    name = "huigong.core.disbursement"
    label = "disbursement"
    verbose_name = "发放"
