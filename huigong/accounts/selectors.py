from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from huigong.core.db import for_update
from huigong.core.scope import ensure_path_in_scope, require, root_path, staff_of

from .models import ApiToken, Cap, StaffProfile


def staff_list_for_actor(actor, *, q: str = "", role: str = "", active: str = "") -> QuerySet[StaffProfile]:
    """Staff accounts of the actor's subtree (needs Cap.STAFF_MANAGE)."""
    require(actor, Cap.STAFF_MANAGE)
    qs = (StaffProfile.objects.filter(node__path__startswith=root_path(actor))
          .select_related("user", "node").order_by("node__path", "user__username"))
    q = q.strip()
    if q:
        qs = qs.filter(Q(user__username__icontains=q) | Q(display_name__icontains=q) | Q(node__name__icontains=q))
    if role:
        qs = qs.filter(role=role)
    if active == "1":
        qs = qs.filter(user__is_active=True)
    elif active == "0":
        qs = qs.filter(user__is_active=False)
    return qs


def staff_get_for_actor(actor, staff_id: int, *, for_write: bool = False) -> StaffProfile:
    require(actor, Cap.STAFF_MANAGE)
    qs = StaffProfile.objects.select_related("user", "node")
    if for_write:
        qs = for_update(qs, of=("self",))
    try:
        staff = qs.get(pk=staff_id)
    except (StaffProfile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, staff.node.path)
    return staff


def api_token_list_for_actor(actor) -> QuerySet[ApiToken]:
    """The actor's own tokens: nobody, not even an admin, lists another user's."""
    staff_of(actor)
    return ApiToken.objects.filter(user=actor).order_by("revoked_at", "-created_at")


def api_token_get_for_actor(actor, token_id: int) -> ApiToken:
    staff_of(actor)
    try:
        return ApiToken.objects.get(pk=token_id, user=actor)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# What a password alone must not unlock: full personal data, exports, approvals, payments, and the
# power to hand out roles that do these.
TOTP_SENSITIVE_CAPS = frozenset({Cap.PII_FULL, Cap.EXPORT, Cap.APPROVE, Cap.MONEY, Cap.STAFF_MANAGE})


def totp_required_for(user) -> bool:
    """Must this signed-in account pass a TOTP code before using the console and the API?

    HUIGONG_REQUIRE_TOTP asks it of every account. HUIGONG_REQUIRE_TOTP_SENSITIVE (on by default in
    production) asks it of superusers and of every staff role holding a capability in
    TOTP_SENSITIVE_CAPS; a viewer-only role and workers of the portal are not asked."""
    if settings.HUIGONG_REQUIRE_TOTP:
        return True
    if not settings.HUIGONG_REQUIRE_TOTP_SENSITIVE or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    try:
        staff = user.staff
    except StaffProfile.DoesNotExist:
        return False
    return bool(staff.caps & TOTP_SENSITIVE_CAPS)
