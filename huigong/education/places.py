"""A round's places on the kernel's capacity engine (huigong.core.capacity): the programme is the pool
(its `total` is the number of funded places), a sub-union's quota the sub-pool (keyed by the union's id),
an application the entry. Its `place` column holds the engine's status; the domain's workflow stays in
`status`. The draw (`capacity.draw`) orders the entrants by HMAC-SHA256(seed, application id) and
hands out places, the unit's first; the seed and the entrant list's hash are published."""

from huigong.core.capacity.spec import Spec

from .models import Application, Programme, ProgrammeQuota

PLACES = Spec(
    pool=Programme, entry=Application, entry_pool="programme", entry_person="person",
    total="total", remaining="remaining", open_field="is_open", open_value=True, waitlist="waitlist",
    offer_seconds=None, uses_sub="uses_sub_pools",
    sub=ProgrammeQuota, sub_pool="programme", sub_key="key", sub_slots="slots", sub_remaining="remaining",
    entry_sub_key="sub_key", status="place", created_at="created_at", granted_at="granted_at",
    ended_at="ended_at", end_reason="end_reason", offer_expires_at=None, draw_rank="draw_rank",
    purpose="education.programme",
    # The draw writes the application's own outcome in the same statement as its place.
    draw_sets=(("status", {"granted": "won", "waiting": "lost", "lost": "lost"}),),
)
