from django.contrib import admin

from .models import AccessLog, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "verb", "object_type", "object_repr")
    list_filter = ("verb", "object_type")
    search_fields = ("object_repr", "actor_label")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "object_type", "object_id", "fields", "purpose")
