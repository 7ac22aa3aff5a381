"""Who may see what. Every read and write goes through these: a staff user acts for one node and
sees its subtree (materialised-path prefix) and nothing else."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _


class OutOfScope(Http404, PermissionDenied):
    """An object outside the actor's subtree. Pages and the API answer it exactly like an id that does
    not exist (404, same body), so ids cannot be probed for existence across subtrees; it is still a
    PermissionDenied for code that asks "was this refused?". Role refusals stay PermissionDenied (403)."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _("不在您的管辖范围内"))


def staff_of(user):
    """The StaffProfile of an authenticated, active staff user, or PermissionDenied."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied(_("请先登录"))
    try:
        return user.staff
    except Exception:  # RelatedObjectDoesNotExist
        raise PermissionDenied(_("该账号不是工会工作人员账号")) from None


def require(user, cap: str):
    staff = staff_of(user)
    if not staff.can(cap):
        raise PermissionDenied(_("当前角色无此权限"))
    return staff


def root_path(user) -> str:
    return staff_of(user).node.path


def path_in_scope(user, path: str) -> bool:
    return path.startswith(root_path(user))


def ensure_path_in_scope(user, path: str) -> None:
    if not path_in_scope(user, path):
        raise OutOfScope
