"""Who holds a capability at a union, for the kernel's approval chains (core.approvals.register_approvers)."""

from __future__ import annotations

from .models import ROLE_CAPS, StaffProfile


def approver_accounts(node_ids, capability: str):
    """The active staff accounts holding `capability` at each node (at that very node), by name."""
    from huigong.core.approvals.services import Approver

    roles = [r for r, caps in ROLE_CAPS.items() if capability in caps]
    out: dict[int, list] = {n: [] for n in node_ids}
    rows = (StaffProfile.objects.filter(node_id__in=list(node_ids), role__in=roles, user__is_active=True)
            .values_list("node_id", "user_id", "display_name", "user__username").order_by("node_id", "user_id"))
    for node_id, user_id, name, username in rows:
        out[node_id].append(Approver(user_id, name or username))
    return out
