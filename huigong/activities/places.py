"""Event sessions on the kernel's capacity engine (huigong.core.capacity): a session is the pool, a
sub-union's seat share the sub-pool (keyed by the union; the event's own node keys the open places), a
registration (one seat) the entry. The engine owns the statements; this app keeps its tables."""

from huigong.core.capacity.spec import Spec

from .models import EventSession, Registration, SeatShare

SEATS = Spec(
    pool=EventSession, entry=Registration, entry_pool="session", entry_person="person",
    total="total", remaining="remaining", open_field="is_open", open_value=True, waitlist="waitlist",
    offer_seconds="offer_seconds", uses_sub="uses_sub_pools",
    sub=SeatShare, sub_pool="session", sub_key="union", sub_slots="slots", sub_remaining="remaining",
    entry_sub_key="share_union", status="status", created_at="created_at", granted_at="granted_at",
    ended_at="ended_at", end_reason="end_reason", offer_expires_at="offer_expires_at", draw_rank="draw_rank",
    purpose="activities.eventsession", entry_lead="lead",
)
