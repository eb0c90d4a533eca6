"""Deliveries in the console, read only: what was sent, what failed and why (never a pending code)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from userpools.models import (
    Delivery,
)
from userpools.services.delivery import mask


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "pool", "medium", "purpose", "masked_destination", "state", "attempts", "error")
    list_filter = ("state", "medium", "purpose", "pool")
    search_fields = ("destination", "user__username")
    exclude = ("body",)  # carries a code while pending; never shown
    readonly_fields = (
        "pool",
        "user",
        "medium",
        "destination",
        "purpose",
        "subject",
        "html",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Destination")
    def masked_destination(self, obj: Delivery) -> str:
        return mask(obj.medium, obj.destination)

    @admin.display(description="Last error")
    def error(self, obj: Delivery):
        return format_html("<span title='{}'>{}</span>", obj.last_error, obj.last_error[:60]) if obj.last_error else "—"
