"""Writes on staff accounts, their sign-in factors and API tokens. Every one is scoped to the actor's
subtree and leaves an audit event in its own transaction. Passwords and token secrets are never
written to the audit trail."""

from __future__ import annotations

import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from huigong.core.audit import audit
from huigong.core.scope import ensure_path_in_scope, require, staff_of
from huigong.orgs.models import UnionNode

from .models import ApiToken, Cap, Role, StaffProfile, UserSession

User = get_user_model()

TOTP_DEVICE_NAME = "default"


def _staff_snapshot(staff: StaffProfile) -> dict:
    return {"username": staff.user.username, "display_name": staff.display_name, "role": staff.role,
            "node": staff.node_id, "node_name": staff.node.name, "is_active": staff.user.is_active}


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": [_("角色无效")]})


def _check_password(password: str, user=None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as e:
        raise ValidationError({"password": [_("密码不符合要求：%(m)s") % {"m": m} for m in e.messages]}) \
            from None


def generate_password() -> str:
    # Readable for reading out over the phone, long enough to pass the validators.
    return "Hg-" + secrets.token_urlsafe(12)


def _ensure_manageable(actor, staff: StaffProfile) -> StaffProfile:
    manager = require(actor, Cap.STAFF_MANAGE)
    ensure_path_in_scope(actor, staff.node.path)
    # A peer admin at the same node is not theirs to reset or demote (account takeover); that is
    # for an admin above.
    if staff.node_id == manager.node_id and staff.role == "admin" and staff.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("同级管理员账号须由上级管理员管理"))
    return manager


# --- sessions -------------------------------------------------------------------------------------

def _session_store(session_key: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def session_index_add(*, user, session_key: str) -> None:
    """Remember that `session_key` is `user`'s (called at every sign-in), and forget the user's earlier
    sessions that have ended meanwhile."""
    if not session_key or not getattr(user, "pk", None):
        return
    store = _session_store()
    stale = [k for k in UserSession.objects.filter(user=user).values_list("session_key", flat=True)
             if k != session_key and not store.exists(k)]
    if stale:
        UserSession.objects.filter(session_key__in=stale).delete()
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def sessions_end(*, user) -> int:
    """Delete every session of `user` from the session engine (database rows and cached copies alike),
    so that each of their browsers is signed out at its next request. Returns how many were indexed."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        _session_store(key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


@transaction.atomic
def staff_create(*, actor, node: UnionNode, username: str, role: str, display_name: str = "",
                 password: str = "") -> tuple[StaffProfile, str]:
    """A new staff account acting for `node` (inside the actor's subtree). Returns the profile and
    the initial password (generated when none is given), which the caller shows once."""
    require(actor, Cap.STAFF_MANAGE)
    # Subtree = the actor's node and below, so a node above the actor's own is refused here too.
    ensure_path_in_scope(actor, node.path)
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = [_("用户名不能为空")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("用户名已存在")]
    if role not in Role.values:
        errors["role"] = [_("角色无效")]
    if errors:
        raise ValidationError(errors)
    password = password or generate_password()
    _check_password(password, User(username=username))
    user = User.objects.create_user(username=username, password=password)
    staff = StaffProfile.objects.create(user=user, node=node, role=role, display_name=display_name.strip())
    audit(actor=actor, verb="staff.create", obj=staff, object_repr=username, node_path=node.path,
          new=_staff_snapshot(staff))
    return staff, password


@transaction.atomic
def staff_update_role(*, actor, staff: StaffProfile, role: str, node: UnionNode | None = None,
                      display_name: str | None = None) -> StaffProfile:
    """Change a staff account's role (and optionally its node and name) within the actor's subtree."""
    manager = _ensure_manageable(actor, staff)
    _check_role(role)
    if staff.pk == manager.pk and (role != staff.role or (node is not None and node.pk != staff.node_id)):
        # Nobody edits their own access: it would let an admin lock the subtree out or hide a change.
        raise PermissionDenied(_("不能修改自己的角色或所属工会"))
    if node is not None:
        ensure_path_in_scope(actor, node.path)
    before = _staff_snapshot(staff)
    staff.role = role
    if node is not None:
        staff.node = node
    if display_name is not None:
        staff.display_name = display_name.strip()
    staff.save(update_fields=["role", "node", "display_name"])
    after = _staff_snapshot(staff)
    changed = [k for k in after if before[k] != after[k]]
    if changed:
        audit(actor=actor, verb="staff.update", obj=staff, object_repr=staff.user.username,
              node_path=staff.node.path, old={k: before[k] for k in changed}, new={k: after[k] for k in changed})
    return staff


@transaction.atomic
def staff_deactivate(*, actor, staff: StaffProfile) -> StaffProfile:
    """Disable sign-in and revoke the account's API tokens; the account and its history stay."""
    manager = _ensure_manageable(actor, staff)
    if staff.pk == manager.pk:
        raise PermissionDenied(_("不能停用自己的账号"))
    user = staff.user
    if not user.is_active:
        return staff
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    ended = sessions_end(user=user)
    audit(actor=actor, verb="staff.deactivate", obj=staff, object_repr=user.username, node_path=staff.node.path,
          old={"is_active": True}, new={"is_active": False, "tokens_revoked": revoked, "sessions_ended": ended})
    return staff


@transaction.atomic
def staff_activate(*, actor, staff: StaffProfile) -> StaffProfile:
    _ensure_manageable(actor, staff)
    user = staff.user
    if user.is_active:
        return staff
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit(actor=actor, verb="staff.activate", obj=staff, object_repr=user.username, node_path=staff.node.path,
          old={"is_active": False}, new={"is_active": True})
    return staff


@transaction.atomic
def staff_reset_password(*, actor, staff: StaffProfile, password: str = "") -> str:
    """Set a new password (generated when none is given) and return it for showing once. Also
    removes the account's authenticator, since a reset usually means a lost phone too, and ends the
    account's sessions and revokes its API tokens: a reset is also how a suspected break-in is cut off,
    and whoever held the old password may have signed in or made a token with it."""
    manager = _ensure_manageable(actor, staff)
    if staff.pk == manager.pk:
        raise PermissionDenied(_("请在个人设置中修改自己的密码"))
    password = password or generate_password()
    _check_password(password, staff.user)
    staff.user.set_password(password)
    staff.user.save(update_fields=["password"])
    removed, _detail = TOTPDevice.objects.filter(user=staff.user).delete()
    revoked = ApiToken.objects.filter(user=staff.user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    ended = sessions_end(user=staff.user)
    audit(actor=actor, verb="staff.reset_password", obj=staff, object_repr=staff.user.username,
          node_path=staff.node.path,
          new={"totp_devices_removed": removed, "tokens_revoked": revoked, "sessions_ended": ended})
    return password


@transaction.atomic
def password_change(*, actor, old_password: str, new_password: str) -> None:
    """A user changes their own password."""
    if not actor.check_password(old_password):
        raise ValidationError({"old_password": [_("当前密码不正确")]})
    _check_password(new_password, actor)
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    staff = getattr(actor, "staff", None)
    audit(actor=actor, verb="account.password_change", object_type="auth.user", object_id=str(actor.pk),
          object_repr=actor.username, node_path=staff.node.path if staff else "")


def login_record(*, actor) -> None:
    """Successful sign-in, for the audit trail (failures are counted by django-axes)."""
    staff = getattr(actor, "staff", None) if hasattr(actor, "staff") else None
    audit(actor=actor, verb="account.login", object_type="auth.user", object_id=str(actor.pk),
          object_repr=actor.username, node_path=staff.node.path if staff else "")


# --- TOTP -----------------------------------------------------------------------------------------

def totp_confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


@transaction.atomic
def totp_enrol_start(*, actor) -> TOTPDevice:
    """The unconfirmed device being enrolled (created once, reused on reload so the QR code the user
    already scanned stays valid)."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_enrol_confirm(*, actor, device: TOTPDevice, token: str) -> TOTPDevice:
    """Confirm a device with its first code; the device only counts once it has produced one."""
    if device.user_id != actor.pk or device.confirmed:
        raise PermissionDenied(_("设备不存在或已确认"))
    if not device.verify_token(token):
        raise ValidationError({"token": [_("验证码不正确或已过期")]})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One authenticator per account: enrolling a new one retires any other.
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    staff = getattr(actor, "staff", None) if hasattr(actor, "staff") else None
    audit(actor=actor, verb="account.totp_enrol", object_type="auth.user", object_id=str(actor.pk),
          object_repr=actor.username, node_path=staff.node.path if staff else "")
    return device


def totp_verify(*, actor, token: str) -> TOTPDevice | None:
    """The confirmed device that accepts `token` (django-otp throttles repeated failures and refuses
    a code that was already used), or None."""
    device = totp_confirmed_device(actor)
    if device is None or not device.verify_token(token):
        return None
    return device


# --- API tokens -----------------------------------------------------------------------------------

@transaction.atomic
def api_token_create(*, actor, name: str) -> tuple[ApiToken, str]:
    """A named bearer token for the actor. The raw key is returned once; only its hash is stored."""
    staff = staff_of(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("令牌名称不能为空")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("令牌名称过长")]})
    raw = ApiToken.new_key()
    token = ApiToken.objects.create(user=actor, name=name, prefix=raw[:12], key_hash=ApiToken.hash_key(raw))
    audit(actor=actor, verb="api_token.create", obj=token, node_path=staff.node.path,
          new={"name": name, "prefix": token.prefix})
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    staff = staff_of(actor)
    if token.user_id != actor.pk:
        raise PermissionDenied(_("只能吊销自己的令牌"))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(actor=actor, verb="api_token.revoke", obj=token, node_path=staff.node.path,
              new={"name": token.name, "prefix": token.prefix})
    return token
