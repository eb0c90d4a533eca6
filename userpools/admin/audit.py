"""The audit log in the console: read only, never added to, changed or deleted."""

from __future__ import annotations

from django.contrib import admin

from userpools.admin.base import (
    pretty_json,
)
from userpools.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "pool_id", "target", "source_ip")
    list_filter = ("action", "pool_id", "at")
    search_fields = ("actor", "action", "pool_id", "target", "request_id")
    date_hierarchy = "at"
    fields = ("at", "actor", "action", "pool_id", "target", "source_ip", "request_id", "event_details")
    readonly_fields = fields

    @admin.display(description="Details")
    def event_details(self, event):
        return pretty_json(event.details)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
