"""Writes of the honours app, one module per subdomain; re-exported here for callers and the periodic job."""

from .campaigns import (  # noqa: F401
    campaign_create,
    list_chain,
    list_decide,
    list_open,
    list_submit,
    meter_of,
    nominee_add,
    nominee_remove,
    nominee_set_attributes,
    quota_set,
    rule_set,
)
from .entitlements import entitlement_deliver, entitlements_remind_due, entitlements_schedule_year  # noqa: F401
from .innovation import (  # noqa: F401
    evidence_add,
    gain_add,
    gain_verify,
    innovation_resubmit,
    innovation_review,
    innovation_submit,
    round_award,
    round_create,
    score_record,
)
from .payments import allowance_batch_create, prize_batch_create  # noqa: F401
from .register import (  # noqa: F401
    honour_create,
    honour_mark_deceased,
    honours_import,
    reconciliation_close,
    reconciliation_line_confirm,
    reconciliation_start,
)
from .revocation import revocation_decide, revocation_propose  # noqa: F401
from .vetting import (  # noqa: F401
    campaign_award,
    notice_end,
    notice_publish,
    objection_record,
    objection_resolve,
    opinion_record,
)
