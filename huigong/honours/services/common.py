"""What every honours service shares: the capability codes, scope helpers, the worker's notification."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from huigong.core.notify.services import notify
from huigong.core.scope import OutOfScope, root_path, staff_of

HONOUR = "honour"  # keep the register, run campaigns, entitlements, innovation intake
DECIDE = "honour_decide"  # decide nomination lists and revocations, award
MONEY = "money"
VIEW = "view"
PII_FULL = "pii_full"

STEP = 4


def ancestor_paths(path: str) -> list[str]:
    return [path[:i] for i in range(STEP, len(path), STEP)]


def visible_from(actor, node_path: str) -> bool:
    """An object set at or above the actor's node (a city campaign seen by a district), or inside it."""
    root = root_path(actor)
    return node_path.startswith(root) or root.startswith(node_path)


def ensure_owned(actor, node_path: str) -> None:
    """The object is inside the actor's subtree (writes); seen from below is a 403, outside a 404."""
    root = root_path(actor)
    if node_path.startswith(root):
        return
    if root.startswith(node_path):
        raise PermissionDenied(_("该事项由上级工会办理"))
    raise OutOfScope


def tell(person, *, event: str, key: str, title: str, body: str = "", link: str = "", node_path: str = "") -> None:
    """The worker hears of a decision through the outbox, in the decision's transaction."""
    if person is None:
        return
    notify(event=event, key=key, person=person, title=title, body=body, link=link, node_path=node_path)


def staff_node(actor):
    return staff_of(actor).node


def clean_text(value, limit: int) -> str:
    return (value or "").strip()[:limit]
