"""Benefit quotas on the kernel's capacity engine (huigong.core.capacity): a programme is the pool, a
per-enterprise sub-quota the sub-pool (keyed by the enterprise), a claim the entry. The engine owns the
statements (taking a place, the waitlist, promotion, giving a place back); this app keeps its own
tables, so that a claim stays one row (the rush writes nothing twice) and the pages, KPIs and scoping
read what they always read."""

from huigong.core.capacity.spec import Spec

from .models import BenefitClaim, BenefitProgramme, ClaimStatus, ProgrammeQuota

CLAIMS = Spec(
    pool=BenefitProgramme, entry=BenefitClaim, entry_pool="programme", entry_person="person",
    total="quota_total", remaining="remaining", open_field="status", open_value="open", waitlist="waitlist",
    offer_seconds=None, uses_sub="uses_sub_quotas",
    sub=ProgrammeQuota, sub_pool="programme", sub_key="enterprise", sub_slots="slots", sub_remaining="remaining",
    entry_sub_key="enterprise", status="status", created_at="created_at", granted_at="granted_at",
    ended_at="cancelled_at", end_reason="cancel_reason", offer_expires_at=None, draw_rank=None,
    statuses={"waiting": ClaimStatus.WAITLISTED.value}, purpose="benefits.benefitprogramme",
)
