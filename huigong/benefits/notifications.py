"""Benefits' notification events (collected by core.notify). The claim rush's one-statement grant on
PostgreSQL (services._CLAIM_SQL) writes its portal message in the same statement instead: the worker is on
the page that tells her, and the claim's speed is the point; every other benefits decision goes through
the outbox (services._notify)."""

from django.utils.translation import gettext_lazy as _

from huigong.core.notify.channels import register_event
from huigong.core.notify.models import Channel

register_event("claim.decided", _("惠工服务名额"), defaults=(Channel.PORTAL,))
register_event("reimbursement.decided", _("先办后补审批结果"))
register_event("reimbursement.paid", _("补贴发放结果"))
