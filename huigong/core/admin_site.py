"""The Django admin, audited like the services: every add, change and delete made through it leaves an
audit event (actor, verb, object, old/new values) in the same transaction as the write.

The site wraps every ModelAdmin registered on it (Django's own auth admin, django-otp's, axes', ours) in
AuditedAdminMixin, so a newly registered model is audited without anyone remembering to; and it runs each
admin view in one transaction, so a write and its event commit together or not at all."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from .audit import _jsonable, audit

_STASH = "_hg_admin_before"
MASKED = "***"
# Values never written to the audit trail, only that they changed (password hashes, OTP keys).
SECRET_MARKERS = ("password", "secret", "key", "token")


def _secret(name: str) -> bool:
    return any(m in name.lower() for m in SECRET_MARKERS)


def admin_snapshot(obj) -> dict:
    out = {}
    for f in obj._meta.concrete_fields:
        out[f.name] = _jsonable(getattr(obj, f.attname))
    if obj.pk is not None:
        for f in obj._meta.many_to_many:
            out[f.name] = sorted(getattr(obj, f.name).values_list("pk", flat=True))
    return out


def _masked(values: dict) -> dict:
    return {k: (MASKED if _secret(k) and v not in (None, "") else v) for k, v in values.items()}


def _node_path(obj) -> str:
    node = getattr(obj, "node", None)
    if node is None:
        staff = getattr(obj, "staff", None) if obj._meta.label_lower == "auth.user" else None
        node = getattr(staff, "node", None)
    return getattr(node, "path", "") or ""


def _key(obj) -> tuple:
    return obj._meta.label_lower, str(obj.pk)


class AuditedAdminMixin:
    def _stash(self, request, obj) -> None:
        if obj is not None and obj.pk is not None:
            stash = request.__dict__.setdefault(_STASH, {})
            stash.setdefault(_key(obj), admin_snapshot(obj))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        self._stash(request, obj)  # before any form touches it: the values as stored
        return obj

    def save_model(self, request, obj, form, change):
        if change and obj.pk is not None:  # list_editable changes come without get_object
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            self._stash(request, stored)
        super().save_model(request, obj, form, change)

    def _audit(self, request, verb: str, obj, old: dict | None, new: dict | None, message="") -> None:
        extra = {"message": str(message)} if message else {}
        audit(actor=request.user, verb=verb, obj=obj, node_path=_node_path(obj),
              old=_masked(old) if old else None, new={**_masked(new or {}), **extra} or None)

    def log_addition(self, request, obj, message):
        self._audit(request, "admin.add", obj, None, admin_snapshot(obj))
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        before = request.__dict__.get(_STASH, {}).pop(_key(obj), None) or {}
        after = admin_snapshot(obj)
        changed = [k for k in after if before.get(k) != after[k]]
        self._audit(request, "admin.change", obj, {k: before.get(k) for k in changed},
                    {k: after[k] for k in changed}, message)
        return super().log_change(request, obj, message)

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit(request, "admin.delete", obj, admin_snapshot(obj), None)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, "admin.delete", obj, admin_snapshot(obj), None)
            super().delete_queryset(request, queryset)


class AuditedAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(admin_class.__name__, (AuditedAdminMixin, admin_class),
                               {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__})
        return super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        # One transaction per admin request: a write and its audit event commit together.
        return super().admin_view(transaction.atomic(view), cacheable)
