"""The console's operators (users in no pool: who signs in to the console and owns access
keys) and their authenticators for the console's second factor (django-otp's TOTPDevice).

Pool users are managed through the pools' APIs and the directory pages
(userpools/admin/directory.py); the console's login itself is userpools/admin_login.py.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from userpools.admin.base import operator_context
from userpools.models import User
from userpools.services.audit import audit_record


def _operator_exists(username: str, *, exclude_pk=None) -> bool:
    qs = User.objects.filter(pool__isnull=True, username_key__iexact=username)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


class OperatorCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "is_staff", "is_superuser")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_staff"].initial = True

    def clean_username(self):
        # Usernames are unique among operators only (pool users have their own namespaces).
        username = self.cleaned_data.get("username")
        if username and _operator_exists(username):
            raise ValidationError("An operator with that username already exists.", code="unique")
        return username


class OperatorChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username and _operator_exists(username, exclude_pk=self.instance.pk):
            raise ValidationError("An operator with that username already exists.", code="unique")
        return username


@admin.register(User)
class OperatorAdmin(UserAdmin):
    """Operators of the console and owners of access keys: users in no pool.

    Pool users are managed through the pools' APIs; a pool's page lists its users.
    """

    form = OperatorChangeForm
    add_form = OperatorCreationForm
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        ("Permissions", {"fields": ("is_staff", "is_superuser")}),
    )
    list_display = ("username", "email", "is_staff", "is_superuser", "is_active", "last_login")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pool__isnull=True)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Select operator to change", **(extra_context or {})})

    def save_model(self, request, obj, form, change):
        obj.pool = None
        # The operator backend signs in by username_key; keep it in step with a renamed username.
        obj.username_key = obj.username
        super().save_model(request, obj, form, change)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class OperatorTOTPDeviceAdmin(TOTPDeviceAdmin):
    """Operators' authenticators for the console (django-otp's page, with its QR code).

    Pool users' authenticators are SoftwareTokens, shown on each pool user's page; here
    only operators are listed and can be chosen, and every change is audited.
    """

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__pool__isnull=True)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(pool__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            operator_context(request),
            "operator.totp_device_change" if change else "operator.totp_device_create",
            target=obj.user.get_username(),
            device=obj.name,
            confirmed=obj.confirmed,
        )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        audit_record(
            operator_context(request), "operator.totp_device_delete", target=obj.user.get_username(), device=obj.name
        )

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            self.delete_model(request, device)
