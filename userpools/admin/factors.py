"""A pool user's remembered devices and passkeys in the console: listed read only (linked from
the user's page, userpools/admin/directory.py), removed only through their services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from userpools.admin.base import operator_context
from userpools.errors import ServiceError
from userpools.models import (
    UserDevice,
    WebAuthnCredential,
)
from userpools.services import devices, passkeys


class _SignInFactorAdmin(admin.ModelAdmin):
    """A pool user's devices or passkeys: listed, never edited here; deleting one (the
    page's Delete button or the list's bulk action) calls the service in :meth:`remove`."""

    list_select_related = ("user", "pool")
    list_filter = ("pool",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def remove(self, ctx, obj) -> None:
        raise NotImplementedError("each subclass deletes through its own service")

    @admin.display(description="User", ordering="user__username")
    def user_link(self, obj):  # the pool user's page (Django's own link would go to the operators' page)
        url = reverse("admin:userpools_pooluser_change", args=[obj.user_id])
        return format_html('<a href="{}">{}</a>', url, obj.user.username)

    def delete_model(self, request, obj):
        try:
            with transaction.atomic():
                self.remove(operator_context(request), obj)
        except ServiceError as exc:
            messages.error(request, f"{exc.code.value}: {exc.message}")

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("user"):
            self.delete_model(request, obj)


@admin.register(UserDevice)
class UserDeviceAdmin(_SignInFactorAdmin):
    """Devices users signed in from (the pool's DeviceConfiguration); the SRP verifier is never shown."""

    list_display = (
        "device_key",
        "name",
        "user_link",
        "pool",
        "remembered",
        "confirmed",
        "last_authenticated_at",
        "last_ip",
    )
    list_filter = ("pool", "remembered", "confirmed")
    search_fields = ("device_key", "name", "user__username", "last_ip")
    fields = (
        "device_key",
        "name",
        "user_link",
        "pool",
        "confirmed",
        "remembered",
        "created_at",
        "last_authenticated_at",
        "last_ip",
        "attributes",
    )
    readonly_fields = fields

    def remove(self, ctx, obj):
        devices.device_forget(ctx, user=obj.user, device_key=obj.device_key, confirmed_only=False)


@admin.register(WebAuthnCredential)
class WebAuthnCredentialAdmin(_SignInFactorAdmin):
    """Users' passkeys; only their public parts, and no key material, are shown."""

    list_display = (
        "friendly_name",
        "user_link",
        "pool",
        "relying_party_id",
        "authenticator_attachment",
        "created_at",
        "last_used_at",
    )
    search_fields = ("friendly_name", "credential_id", "user__username", "relying_party_id")
    fields = (
        "friendly_name",
        "credential_id",
        "user_link",
        "pool",
        "relying_party_id",
        "authenticator_attachment",
        "transports",
        "aaguid",
        "sign_count",
        "created_at",
        "last_used_at",
    )
    readonly_fields = fields

    def remove(self, ctx, obj):
        passkeys.credential_delete(ctx, obj.user, obj.credential_id)
