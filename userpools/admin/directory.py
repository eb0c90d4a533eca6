"""The console's user directory: pool users and groups.

As elsewhere in the console, every change goes through the services (the same
functions AdminCreateUser, AdminUpdateUserAttributes, AdminDisableUser ... call), so
schema, alias and password rules apply here too, and every change is audited. Each form's
``clean`` runs its service calls through :func:`userpools.admin.base.dry_run` and shows
the service's error on the form.

A pool user's page also shows their sign-in factors -- enabled MFA factors, their TOTP
authenticator (never its secret), remembered devices and passkeys -- and removes them
through the same services: actions on the user list remove the authenticator or
disable every factor; the device and passkey pages (userpools/admin/factors.py, linked
from the user's page) forget a device or delete a passkey through their services. It
lists the identity-provider identities linked to the user (AdminLinkProviderForUser), read
only.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from userpools.admin.base import (
    JSONObjectField,
    admin_link,
    dry_run,
    operator_context,
    pretty_json,
    service_validation_error,
)
from userpools.errors import ServiceError
from userpools.models import (
    PoolUser,
    SoftwareToken,
    User,
    UserGroup,
    UserPool,
)
from userpools.services import directory, groups, mfa
from userpools.services import users as user_rules
from userpools.services.tokens import user_global_sign_out


class DirectoryForm(forms.ModelForm):
    """A directory form: its service calls are dry-run in ``clean``; an error is shown atop the form."""

    def show_service_error(self, error: ServiceError | None) -> None:
        if error is not None:
            self.add_error(None, service_validation_error(error))


class PoolUserAddForm(DirectoryForm):
    pool_choice = forms.ModelChoiceField(queryset=UserPool.objects.all(), label="User pool")
    new_username = forms.CharField(max_length=128, label="Username")
    email = forms.EmailField(required=False)
    email_verified = forms.BooleanField(required=False)
    phone_number = forms.CharField(required=False, help_text="E.164, e.g. +15555550100")
    temporary_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="Leave empty to generate one that meets the pool's policy.",
    )
    send_invitation = forms.BooleanField(required=False, initial=True)
    other_attributes = JSONObjectField(
        required=False, label="Other attributes", help_text='{"given_name": "Ada", "custom:team": "red"}'
    )

    class Meta:
        model = PoolUser
        fields: list[str] = []

    def service_call(self, ctx):
        data = self.cleaned_data
        attributes = [{"Name": k, "Value": str(v)} for k, v in (data.get("other_attributes") or {}).items()]
        for name in ("email", "phone_number"):
            if data.get(name):
                attributes.append({"Name": name, "Value": data[name]})
        if data.get("email_verified"):
            attributes.append({"Name": "email_verified", "Value": "true"})
        mediums = [m for m, field in (("EMAIL", "email"), ("SMS", "phone_number")) if data.get(field)]
        return lambda: directory.user_admin_create(
            ctx,
            pool_id=data["pool_choice"].id,
            username=data["new_username"],
            attributes=attributes,
            temporary_password=data.get("temporary_password") or None,
            message_action=None if data.get("send_invitation") and mediums else "SUPPRESS",
            delivery_mediums=mediums or None,
        )

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.show_service_error(dry_run(self.service_call(self.ctx)))
        return cleaned


class PoolUserChangeForm(DirectoryForm):
    attributes_json = JSONObjectField(
        required=False,
        label="Attributes",
        help_text="Changed or added attributes are validated against the pool's schema; "
        "set a value to null to delete the attribute.",
    )

    class Meta:
        model = PoolUser
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attributes_json"].initial = dict(self.instance.attributes)

    def service_calls(self, ctx):
        user = self.instance
        wanted = self.cleaned_data.get("attributes_json") or {}
        changed = [
            {"Name": k, "Value": str(v)}
            for k, v in wanted.items()
            if v is not None and user.attributes.get(k) != str(v)
        ]
        removed = [k for k, v in wanted.items() if v is None and k in user.attributes]
        removed += [k for k in user.attributes if k not in wanted and not k.startswith("cognate:")]
        calls = []
        if changed:
            calls.append(
                lambda: directory.user_admin_update_attributes(
                    ctx, pool_id=user.pool_id, username=user.username, attributes=changed
                )
            )
        if removed:
            calls.append(
                lambda: directory.user_admin_delete_attributes(
                    ctx, pool_id=user.pool_id, username=user.username, names=removed
                )
            )
        return calls

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            calls = self.service_calls(self.ctx)
            self.show_service_error(dry_run(lambda: [call() for call in calls]))
        return cleaned


class GroupFilter(admin.SimpleListFilter):
    title = "group"
    parameter_name = "group"

    def lookups(self, request, model_admin):
        return [(g.pk, f"{g.name} ({g.pool_id})") for g in UserGroup.objects.order_by("pool_id", "name")[:200]]

    def queryset(self, request, queryset):
        return queryset.filter(memberships__group_id=self.value()) if self.value() else queryset


@admin.register(PoolUser)
class PoolUserAdmin(admin.ModelAdmin):
    list_display = (
        "username",
        "pool",
        "status",
        "is_active",
        "email",
        "phone_number",
        "mfa_display",
        "sub",
        "date_joined",
    )
    list_filter = ("status", "is_active", "pool", GroupFilter)
    search_fields = ("username", "email", "phone_number")
    list_select_related = ("pool",)
    actions = [
        "disable_users",
        "enable_users",
        "confirm_users",
        "reset_passwords",
        "resend_invitations",
        "sign_out_everywhere",
        "remove_software_tokens",
        "disable_mfa",
    ]
    readonly_fields = (
        "username",
        "pool",
        "sub",
        "status",
        "is_active",
        "date_joined",
        "updated_at",
        "groups_display",
        "attributes_display",
        "linked_identities_display",
    )
    mfa_fields = ("mfa_factors_display", "software_token_display", "devices_display", "passkeys_display")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pool__isnull=False)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        try:
            return queryset.filter(sub=uuid.UUID(term)), False
        except ValueError:
            pass
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        return queryset, duplicates

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "pool_choice",
                "new_username",
                "email",
                "email_verified",
                "phone_number",
                "temporary_password",
                "send_invitation",
                "other_attributes",
            ]
        return [*self.readonly_fields, *self.mfa_fields, "attributes_json"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        return [
            (None, {"fields": [*self.readonly_fields, "attributes_json"]}),
            (
                "Sign-in factors",
                {
                    "fields": list(self.mfa_fields),
                    "description": "To remove the authenticator or disable every factor, select the "
                    "user in the list and choose the action.",
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, *self.mfa_fields) if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = PoolUserChangeForm if obj is not None else PoolUserAddForm
        kwargs["form"] = base
        form = super().get_form(request, obj, change=change, **kwargs)
        form.ctx = operator_context(request)
        return form

    @admin.display(description="Groups")
    def groups_display(self, obj: User) -> str:
        return ", ".join(obj.pool_groups.order_by("name").values_list("name", flat=True)) or "—"

    @admin.display(description="Attributes (with sub)")
    def attributes_display(self, obj: User):
        return pretty_json({a["Name"]: a["Value"] for a in user_rules.attributes_list(obj)})

    @admin.display(description="Linked identities")
    def linked_identities_display(self, obj: User):
        # AdminLinkProviderForUser's links (userpools/services/provider_links.py), read only.
        links = obj.provider_links.select_related("provider").order_by("created_at", "pk")
        items = [
            (admin_link(link.provider, link.provider.name), link.attribute_name, link.attribute_value) for link in links
        ]
        if not items:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {} = {}</li>", items))

    @admin.display(description="MFA")
    def mfa_display(self, obj: User) -> str:
        enabled, chosen = mfa.mfa_setting_list(obj)
        return ", ".join(f"{f} (preferred)" if f == chosen else f for f in enabled) or "—"

    @admin.display(description="MFA factors")
    def mfa_factors_display(self, obj: User):
        enabled, chosen = mfa.mfa_setting_list(obj)
        usable = mfa.sign_in_factors(obj, obj.pool)
        return format_html(
            "Enabled: {}<br>Preferred: {}<br>Used at sign-in now: {} (pool MFA {}; it offers {})",
            ", ".join(enabled) or "none",
            chosen or "none",
            ", ".join(usable) or "none",
            obj.pool.mfa_configuration,
            ", ".join(mfa.pool_factors(obj.pool)) or "no factor",
        )

    @admin.display(description="Software token (TOTP)")
    def software_token_display(self, obj: User) -> str:
        # The secrets are not even loaded (and so not decrypted): an empty column stays empty.
        has_pending = ExpressionWrapper(~Q(pending_secret=""), output_field=BooleanField())
        token = (
            SoftwareToken.objects.filter(user=obj)
            .annotate(pending=has_pending)
            .values("name", "confirmed", "pending", "created_at")
            .first()
        )
        if token is None:
            return "none"
        state = "verified" if token["confirmed"] else "not verified"
        pending = "; a new one is associated, awaiting VerifySoftwareToken" if token["pending"] else ""
        return f"“{token['name'] or 'TOTP'}”, {state}, since {token['created_at']:%Y-%m-%d %H:%M} UTC{pending}"

    @admin.display(description="Devices")
    def devices_display(self, obj: User):
        counts = obj.devices.aggregate(n=Count("id"), remembered=Count("id", filter=Q(remembered=True)))
        url = reverse("admin:userpools_userdevice_changelist") + "?" + urlencode({"user": obj.pk})
        return format_html(
            '{} device(s), {} remembered — <a href="{}">list, forget</a>', counts["n"], counts["remembered"], url
        )

    @admin.display(description="Passkeys")
    def passkeys_display(self, obj: User):
        url = reverse("admin:userpools_webauthncredential_changelist") + "?" + urlencode({"user": obj.pk})
        return format_html('{} passkey(s) — <a href="{}">list, delete</a>', obj.webauthn_credentials.count(), url)

    def save_model(self, request, obj, form, change):
        ctx = form.ctx
        try:
            with transaction.atomic():
                if change:
                    for call in form.service_calls(ctx):
                        call()
                else:
                    created = form.service_call(ctx)()
                    obj.pk = created.pk
        except ServiceError as exc:
            messages.error(request, f"{exc.code.value}: {exc.message}")

    def save_related(self, request, form, formsets, change):
        pass

    def log_addition(self, request, obj, message):
        if obj.pk:
            super().log_addition(request, obj, message)

    def delete_model(self, request, obj):
        try:
            directory.user_admin_delete(operator_context(request), pool_id=obj.pool_id, username=obj.username)
        except ServiceError as exc:
            messages.error(request, f"{exc.code.value}: {exc.message}")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _each(self, request: HttpRequest, queryset, verb: str, call) -> None:
        ctx = operator_context(request)
        done = 0
        for user in queryset:
            try:
                call(ctx, user)
                done += 1
            except ServiceError as exc:
                messages.error(request, f"{user.username}: {exc.code.value}: {exc.message}")
        if done:
            messages.success(request, f"{verb} {done} user(s).")

    @admin.action(description="Disable selected users")
    def disable_users(self, request, queryset):
        self._each(
            request,
            queryset,
            "Disabled",
            lambda ctx, u: directory.user_admin_set_enabled(ctx, pool_id=u.pool_id, username=u.username, enabled=False),
        )

    @admin.action(description="Enable selected users")
    def enable_users(self, request, queryset):
        self._each(
            request,
            queryset,
            "Enabled",
            lambda ctx, u: directory.user_admin_set_enabled(ctx, pool_id=u.pool_id, username=u.username, enabled=True),
        )

    @admin.action(description="Confirm sign-up of selected users")
    def confirm_users(self, request, queryset):
        self._each(
            request,
            queryset,
            "Confirmed",
            lambda ctx, u: directory.user_admin_confirm_sign_up(ctx, pool_id=u.pool_id, username=u.username),
        )

    @admin.action(description="Reset passwords (send a reset code)")
    def reset_passwords(self, request, queryset):
        self._each(
            request,
            queryset,
            "Reset the password of",
            lambda ctx, u: directory.user_admin_reset_password(ctx, pool_id=u.pool_id, username=u.username),
        )

    @admin.action(description="Resend invitations (new temporary password)")
    def resend_invitations(self, request, queryset):
        def resend(ctx, user):
            mediums = [m for m, name in (("EMAIL", "email"), ("SMS", "phone_number")) if user.attributes.get(name)]
            directory.user_admin_create(
                ctx,
                pool_id=user.pool_id,
                username=user.username,
                message_action="RESEND",
                delivery_mediums=mediums or None,
            )

        self._each(request, queryset, "Re-invited", resend)

    @admin.action(description="Sign out everywhere (revoke all tokens)")
    def sign_out_everywhere(self, request, queryset):
        self._each(request, queryset, "Signed out", lambda ctx, u: user_global_sign_out(ctx, user=u))

    @admin.action(description="Remove software token (TOTP)")
    def remove_software_tokens(self, request, queryset):
        with_token = queryset.filter(Exists(SoftwareToken.objects.filter(user=OuterRef("pk"))))
        skipped = queryset.count() - with_token.count()
        if skipped:
            messages.warning(request, f"{skipped} user(s) had no software token.")
        self._each(request, with_token, "Removed the software token of", mfa.totp_delete)

    @admin.action(description="Disable MFA (all factors)")
    def disable_mfa(self, request, queryset):
        # SetUserMFAPreference with every factor off; with the pool's MFA ON the user is still
        # challenged (SMS or e-mail, else MFA_SETUP), as in Cognito.
        every_factor_off = {name: {"Enabled": False, "PreferredMfa": False} for name in mfa.SETTING_NAMES.values()}
        self._each(request, queryset, "Disabled MFA of", lambda ctx, u: mfa.preference_set(ctx, u, every_factor_off))


class GroupForm(DirectoryForm):
    class Meta:
        model = UserGroup
        fields = ["pool", "name", "description", "precedence", "role_arn"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["pool"].disabled = True
            self.fields["name"].disabled = True

    def service_call(self, ctx):
        data = self.cleaned_data
        if self.instance.pk:
            return lambda: groups.group_update(
                ctx,
                pool_id=self.instance.pool_id,
                name=self.instance.name,
                description=data.get("description") or "",
                role_arn=data.get("role_arn") or "",
                precedence=data.get("precedence"),
            )
        return lambda: groups.group_create(
            ctx,
            pool_id=data["pool"].id,
            name=data["name"],
            description=data.get("description") or None,
            role_arn=data.get("role_arn") or None,
            precedence=data.get("precedence"),
        )

    def _post_clean(self):
        pass  # the service validates (and owns uniqueness)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.show_service_error(dry_run(self.service_call(self.ctx)))
        return cleaned


@admin.register(UserGroup)
class UserGroupAdmin(admin.ModelAdmin):
    form = GroupForm
    list_display = ("name", "pool", "precedence", "role_arn", "member_count", "created_at")
    list_filter = ("pool",)
    search_fields = ("name", "description", "pool__id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_members=Count("memberships"))

    @admin.display(description="Members", ordering="n_members")
    def member_count(self, obj) -> int:
        return obj.n_members

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.ctx = operator_context(request)
        return form

    def save_model(self, request, obj, form, change):
        try:
            with transaction.atomic():
                saved = form.service_call(form.ctx)()
                obj.pk = saved.pk
        except ServiceError as exc:
            messages.error(request, f"{exc.code.value}: {exc.message}")

    def delete_model(self, request, obj):
        groups.group_delete(operator_context(request), pool_id=obj.pool_id, name=obj.name)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
