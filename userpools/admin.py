"""The admin console: user pools, app clients, domains, resource servers, operators and the audit log.

The console is a third face of the services (after the wire API and the REST API):
nothing here saves a pool, a client or a domain itself. Each form builds a
Cognito-shaped request and the ModelAdmin calls the service, acting as
``operator:<username>``, so the console obeys the same rules, writes the same audit
events and cannot leave a half-saved object:

* ``ServiceForm.clean`` runs the service call in a savepoint that is always rolled
  back (a dry run), so every error the service would raise is shown on the form with
  the operator's input kept, and nothing is written;
* ``save_model`` then makes the real call (inside the admin's own transaction);
* should the real call still fail (a concurrent change between the two), the admin's
  transaction rolls back and the operator gets an error message instead of a 500.

Cognito's update operations reset every omitted setting to its default, so change
forms start from the object's current settings
(:func:`userpools.services.updates.user_pool_update_request`) and overlay the form.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings as django_settings
from django.contrib import admin, messages
from django.contrib.admin import AdminSite
from django.contrib.admin.utils import quote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from userpools import shapes
from userpools.api.serializers import enum_values
from userpools.services.updates import (
    compose_patches,
    merge_patch,
    user_pool_client_update_request_patched,
    user_pool_update_request_patched,
    without_nulls,
)
from userpools.spec import request_members
from userpools.context import SYSTEM, ServiceContext
from userpools.errors import ServiceError
from userpools.models import AppClient, AuditEvent, ClientSecret, ResourceServer, User, UserPool, UserPoolDomain
from userpools.services import clients as client_services
from userpools.services import domains as domain_services
from userpools.services import pools as pool_services
from userpools.services import resource_servers as resource_server_services
from userpools.services.audit import audit_record


def operator_context(request) -> ServiceContext:
    """Who acts when an operator uses the console."""
    return ServiceContext(
        actor=f"operator:{request.user.get_username()}",
        source_ip=request.META.get("REMOTE_ADDR"),
        user_agent=request.headers.get("User-Agent"),
        request_id=str(uuid.uuid4()),
    )


def pretty_json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str))


# --- Form plumbing ------------------------------------------------------------------------


class JSONObjectField(forms.JSONField):
    """A JSON object typed into a textarea, shown indented."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8, "cols": 80, "class": "vLargeTextField"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            return json.dumps(value, indent=2, ensure_ascii=False)
        return super().prepare_value(value)

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and not isinstance(value, dict):
            raise ValidationError("Enter a JSON object ({...}).", code="invalid")
        return value


class LinesField(forms.CharField):
    """A list of strings, one per line."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "cols": 80}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


class _DryRun(Exception):
    """Raised inside the validation savepoint so that it is always rolled back."""


class ServiceForm(forms.ModelForm):
    """A form whose object is created or changed only by a service call.

    Subclasses build the Cognito-shaped request (:meth:`service_request`) and call the
    service (:meth:`perform`). ``error_fields`` maps a member path of the services'
    validation messages (``'policies.passwordPolicy.minimumLength'``) to the form field
    that should show it; other service errors are shown at the top of the form.
    """

    service_context: ServiceContext = SYSTEM  # set per request by ServiceModelAdmin.get_form
    error_fields: Mapping[str, str] = {}
    advanced_field = "advanced"

    class Meta:
        fields: list[str] = []

    def service_request(self) -> dict[str, Any]:
        raise NotImplementedError("ServiceForm subclasses build the Cognito-shaped request")

    def perform(self, ctx: ServiceContext, request: dict[str, Any]):
        """Call the service; return the saved model instance."""
        raise NotImplementedError("ServiceForm subclasses call their service")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.request_data = self.service_request()
        except ServiceError as exc:
            self._add_service_error(exc)
            return cleaned
        if self.errors:  # building the request found a problem (e.g. in the advanced JSON)
            return cleaned
        try:
            with transaction.atomic():
                self.perform(self.service_context, self.request_data)
                raise _DryRun
        except _DryRun:
            pass
        except ServiceError as exc:
            self._add_service_error(exc)
        return cleaned

    def _post_clean(self):
        # The service validates; the model's own clean() (django-oauth-toolkit's, for app
        # clients) judges columns the service derives and must not second-guess it.
        pass

    def _add_service_error(self, exc: ServiceError) -> None:
        field = None
        for path, name in self.error_fields.items():
            if f"'{path}'" in exc.message or f"{path} " in exc.message:
                field = name
                break
        if field is None and self.advanced_field in self.fields:
            advanced = self.cleaned_data.get(self.advanced_field) or {}
            if any(f"'{key[:1].lower()}{key[1:]}" in exc.message for key in advanced):
                field = self.advanced_field
        self.add_error(field, ValidationError(exc.message, code=exc.code.value))

    def save_through_service(self):
        return self.perform(self.service_context, self.request_data)

    def check_advanced_members(self, allowed: tuple[str, ...], *, create_only: tuple[str, ...] = ()) -> dict:
        advanced = self.cleaned_data.get(self.advanced_field) or {}
        unknown = [k for k in advanced if k not in allowed]
        fixed = [k for k in unknown if k in create_only]
        if fixed:
            self.add_error(self.advanced_field, f"Fixed at creation and cannot be changed: {', '.join(fixed)}.")
        others = [k for k in unknown if k not in create_only]
        if others:
            self.add_error(self.advanced_field, f"Not a setting of this request: {', '.join(others)}.")
        return advanced


class ServiceModelAdmin(admin.ModelAdmin):
    """Saves and deletes through services, reporting service errors as messages."""

    save_as = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.service_context = operator_context(request)  # modelform_factory made a fresh class
        return form

    def save_model(self, request, obj, form, change):
        saved = form.save_through_service()
        obj.pk = saved.pk
        obj.refresh_from_db()
        obj._state.adding = False
        self.after_save(request, saved, form, change)

    def after_save(self, request, saved, form, change) -> None:
        pass

    def save_related(self, request, form, formsets, change):
        pass  # no many-to-many fields, no editable inlines

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as exc:  # changed concurrently between the dry run and the save
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))

    def get_actions(self, request):
        # The bulk delete action deletes rows directly; deletion goes one by one through services.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def _admin_link(obj, label: str | None = None) -> str:
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


# --- User pools ---------------------------------------------------------------------------

_SIGN_IN_ATTRIBUTES = [("email", "email"), ("phone_number", "phone_number")]
_PASSWORD_POLICY = (
    "MinimumLength", "RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols",
    "TemporaryPasswordValidityDays",
)  # fmt: skip


class UserPoolForm(ServiceForm):
    PoolName = forms.CharField(label="Pool name", max_length=128)
    UserPoolTier = forms.ChoiceField(label="Tier", choices=UserPool.Tier.choices, initial=UserPool.Tier.ESSENTIALS)
    DeletionProtection = forms.ChoiceField(
        label="Deletion protection",
        choices=UserPool.DeletionProtection.choices,
        initial=UserPool.DeletionProtection.INACTIVE,
    )
    MfaConfiguration = forms.ChoiceField(
        label="MFA",
        choices=UserPool.Mfa.choices,
        initial=UserPool.Mfa.OFF,
        help_text="ON and OPTIONAL need an MFA factor: an SmsConfiguration (advanced settings) "
        "or an MFA configuration.",
    )
    UsernameAttributes = forms.MultipleChoiceField(
        label="Sign in with",
        choices=_SIGN_IN_ATTRIBUTES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Users sign in with their email address and/or phone number instead of a username. "
        "Fixed at creation.",
    )
    AutoVerifiedAttributes = forms.MultipleChoiceField(
        label="Auto-verified attributes",
        choices=_SIGN_IN_ATTRIBUTES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    MinimumLength = forms.IntegerField(label="Minimum length", initial=8)
    RequireUppercase = forms.BooleanField(label="Require uppercase letters", required=False, initial=True)
    RequireLowercase = forms.BooleanField(label="Require lowercase letters", required=False, initial=True)
    RequireNumbers = forms.BooleanField(label="Require numbers", required=False, initial=True)
    RequireSymbols = forms.BooleanField(label="Require symbols", required=False, initial=True)
    TemporaryPasswordValidityDays = forms.IntegerField(label="Temporary passwords valid for (days)", initial=7)
    PkceOptionalForPublicClients = forms.BooleanField(
        label="Public clients may skip PKCE (legacy)",
        required=False,
        help_text="A Cognate setting, not Cognito's. Off: an app client without a secret must send a PKCE "
        "code_challenge with S256 to /oauth2/authorize (Amplify always does). On: such clients may omit "
        "PKCE or use plain, so an intercepted authorization code can be redeemed by whoever holds it.",
    )
    advanced = JSONObjectField(
        label="Advanced settings (Cognito JSON)",
        required=False,
        help_text="Any other members of CreateUserPool/UpdateUserPool, e.g. "
        '{"LambdaConfig": {...}, "EmailConfiguration": {...}, "Schema": [...]}. They are merged into the request '
        "over the fields above (objects member by member); on a change, null returns a setting to its default "
        "and settings left out keep their current values (shown below).",
    )

    error_fields = {
        "poolName": "PoolName",
        "policies.passwordPolicy.minimumLength": "MinimumLength",
        "policies.passwordPolicy.temporaryPasswordValidityDays": "TemporaryPasswordValidityDays",
        "MinimumLength": "MinimumLength",
        "TemporaryPasswordValidityDays": "TemporaryPasswordValidityDays",
    }

    class Meta:
        model = UserPool
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pool = self.instance
        if pool.pk:
            self.fields["UsernameAttributes"].disabled = True
            policy = pool.settings.get("Policies", {}).get("PasswordPolicy", {})
            self.initial.update(
                PoolName=pool.name,
                UserPoolTier=pool.tier,
                DeletionProtection=pool.deletion_protection,
                MfaConfiguration=pool.mfa_configuration,
                UsernameAttributes=pool.settings.get("UsernameAttributes", []),
                AutoVerifiedAttributes=pool.settings.get("AutoVerifiedAttributes", []),
                PkceOptionalForPublicClients=pool.pkce_optional_for_public_clients,
                **{k: policy[k] for k in _PASSWORD_POLICY if k in policy},
            )

    def _form_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "PoolName": data["PoolName"],
            "UserPoolTier": data["UserPoolTier"],
            "DeletionProtection": data["DeletionProtection"],
            "MfaConfiguration": data["MfaConfiguration"],
            "Policies": {"PasswordPolicy": {k: data[k] for k in _PASSWORD_POLICY}},
            "AutoVerifiedAttributes": data["AutoVerifiedAttributes"] or None,
        }

    def service_request(self) -> dict[str, Any]:
        if self.instance.pk:
            advanced = self.check_advanced_members(
                request_members("UpdateUserPoolRequest"),
                create_only=("AliasAttributes", "UsernameAttributes", "UsernameConfiguration", "Schema"),
            )
            return user_pool_update_request_patched(self.instance, compose_patches(self._form_values(), advanced))
        advanced = self.check_advanced_members(request_members("CreateUserPoolRequest"))
        values = self._form_values()
        values["UsernameAttributes"] = self.cleaned_data["UsernameAttributes"] or None
        return without_nulls(merge_patch(values, advanced))

    def perform(self, ctx, request):
        with transaction.atomic():
            if self.instance.pk:
                pool = pool_services.user_pool_update(ctx, request)
            else:
                pool = pool_services.user_pool_create(ctx, request)
            # Cognate's own setting is not part of the Cognito request.
            optional = self.cleaned_data.get("PkceOptionalForPublicClients", False)
            return pool_services.user_pool_set_pkce_optional(ctx, pool_id=pool.pk, optional=optional)


@admin.register(UserPool)
class UserPoolAdmin(ServiceModelAdmin):
    form = UserPoolForm
    list_display = ("id", "name", "tier", "mfa_configuration", "deletion_protection", "created_at", "client_count")
    list_filter = ("tier", "mfa_configuration", "deletion_protection", "created_at")
    search_fields = ("id", "name")
    ordering = ("-created_at", "id")
    date_hierarchy = "created_at"
    change_readonly = (
        "id", "arn", "created_at", "updated_at", "app_clients", "domain_list", "pool_users", "current_settings",
        "hosted_pages",
    )  # fmt: skip

    _add_fieldsets = (
        (None, {"fields": ("PoolName", "UserPoolTier", "DeletionProtection", "MfaConfiguration")}),
        ("Sign-in", {"fields": ("UsernameAttributes", "AutoVerifiedAttributes")}),
        ("Password policy", {"fields": _PASSWORD_POLICY}),
        ("Hosted UI and OAuth 2.0 (Cognate)", {"fields": ("PkceOptionalForPublicClients",)}),
        ("Advanced", {"fields": ("advanced",)}),
    )
    _change_fieldsets = (
        (None, {"fields": ("id", "arn", "PoolName", "UserPoolTier", "DeletionProtection", "MfaConfiguration")}),
        ("Sign-in", {"fields": ("UsernameAttributes", "AutoVerifiedAttributes")}),
        ("Password policy", {"fields": _PASSWORD_POLICY}),
        ("Hosted UI and OAuth 2.0 (Cognate)", {"fields": ("PkceOptionalForPublicClients",)}),
        ("App clients, domains and users", {"fields": ("app_clients", "domain_list", "pool_users", "hosted_pages")}),
        ("Advanced", {"fields": ("advanced", "current_settings")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_client_count=Count("clients", distinct=True))

    def get_fieldsets(self, request, obj=None):
        return self._change_fieldsets if obj else self._add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly if obj else ()

    @admin.display(description="App clients", ordering="_client_count")
    def client_count(self, pool):
        return pool._client_count

    @admin.display(description="ARN")
    def arn(self, pool):
        return pool.arn

    @admin.display(description="App clients")
    def app_clients(self, pool):
        rows = pool.clients.order_by("created", "id")
        if not rows:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((_admin_link(c),) for c in rows)))

    @admin.display(description="Domains")
    def domain_list(self, pool):
        rows = pool.domains.all()
        if not rows:
            return "—"
        items = ((_admin_link(d, domain_services.domain_fqdn(d)),) for d in rows)
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", items))

    @admin.display(description="Users")
    def pool_users(self, pool, limit: int = 20):
        total = pool.users.count()
        if not total:
            return "—"
        rows = pool.users.order_by("date_joined", "id")[:limit]
        items = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((u.username, u.sub, "active" if u.is_active else "disabled") for u in rows),
        )
        more = f"{total - limit} more not shown." if total > limit else ""
        return format_html("<table><tr><th>Username</th><th>sub</th><th>Status</th></tr>{}</table>{}", items, more)

    @admin.display(description="Hosted pages")
    def hosted_pages(self, pool):
        # The preview is hostedui's (userpools does not import it): linked by its admin URL name.
        try:
            url = reverse("admin:hostedui_pool_preview", args=[pool.pk])
        except NoReverseMatch:
            return "—"
        return format_html('<a href="{}">Preview the sign-in and sign-up pages with their styles</a>', url)

    @admin.display(description="Current settings (DescribeUserPool)")
    def current_settings(self, pool):
        d = pool_services.user_pool_describe(pool_id=pool.pk)
        return pretty_json(shapes.user_pool(d.pool, estimated_users=d.estimated_users, domains=d.domains))

    def delete_model(self, request, obj):
        pool_services.user_pool_delete(operator_context(request), pool_id=obj.pk)


# --- App clients -------------------------------------------------------------------------

_UNITS = [(u, u) for u in ("seconds", "minutes", "hours", "days")]
_OAUTH_FLOWS = [(f, f) for f in ("code", "implicit", "client_credentials")]


def _auth_flow_choices() -> list[tuple[str, str]]:
    return [(f, f) for f in enum_values("ExplicitAuthFlowsType")]


class AppClientForm(ServiceForm):
    pool = forms.ModelChoiceField(label="User pool", queryset=UserPool.objects.order_by("name", "id"))
    ClientName = forms.CharField(label="Client name", max_length=128)
    GenerateSecret = forms.BooleanField(
        label="Generate a client secret",
        required=False,
        help_text="A confidential client (a server) gets a secret; browsers and mobile apps must not. "
        "The secret is shown once, after saving.",
    )
    ExplicitAuthFlows = forms.MultipleChoiceField(
        label="Authentication flows",
        choices=_auth_flow_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=client_services.DEFAULT_AUTH_FLOWS,
    )
    CallbackURLs = LinesField(label="Callback URLs", help_text="One per line. HTTPS, or http for localhost.")
    LogoutURLs = LinesField(label="Sign-out URLs", help_text="One per line.")
    AllowedOAuthFlows = forms.MultipleChoiceField(
        label="OAuth grant types", choices=_OAUTH_FLOWS, widget=forms.CheckboxSelectMultiple, required=False
    )
    AllowedOAuthScopes = LinesField(
        label="OAuth scopes",
        help_text="One per line: openid, email, phone, profile, aws.cognito.signin.user.admin, "
        "or a resource server's identifier/scope.",
    )
    AllowedOAuthFlowsUserPoolClient = forms.BooleanField(
        label="Use the OAuth flows above", required=False, help_text="AllowedOAuthFlowsUserPoolClient"
    )
    AccessTokenValidity = forms.IntegerField(label="Access token validity", initial=60)
    AccessTokenUnit = forms.ChoiceField(label="unit", choices=_UNITS, initial="minutes")
    IdTokenValidity = forms.IntegerField(label="ID token validity", initial=60)
    IdTokenUnit = forms.ChoiceField(label="unit", choices=_UNITS, initial="minutes")
    RefreshTokenValidity = forms.IntegerField(label="Refresh token validity", initial=30)
    RefreshTokenUnit = forms.ChoiceField(label="unit", choices=_UNITS, initial="days")
    PreventUserExistenceErrors = forms.ChoiceField(
        label="Prevent user existence errors", choices=[("ENABLED", "ENABLED"), ("LEGACY", "LEGACY")], initial="ENABLED"
    )
    EnableTokenRevocation = forms.BooleanField(label="Enable token revocation", required=False, initial=True)
    advanced = JSONObjectField(
        label="Advanced settings (Cognito JSON)",
        required=False,
        help_text="Any other members of CreateUserPoolClient/UpdateUserPoolClient, e.g. "
        '{"ReadAttributes": [...], "DefaultRedirectURI": "...", "RefreshTokenRotation": {...}}, merged over the '
        "fields above; on a change, null returns a setting to its default.",
    )

    error_fields = {
        "clientName": "ClientName",
        "Callback URL": "CallbackURLs",
        "Logout URL": "LogoutURLs",
        "Invalid scope": "AllowedOAuthScopes",
        "AccessTokenValidity": "AccessTokenValidity",
        "IdTokenValidity": "IdTokenValidity",
        "RefreshTokenValidity": "RefreshTokenValidity",
        "ExplicitAuthFlows": "ExplicitAuthFlows",
    }

    class Meta:
        model = AppClient
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        client = self.instance
        if client.pk:
            self.fields["pool"].disabled = True
            settings = client.settings
            units = settings.get("TokenValidityUnits", {})
            self.initial.update(
                pool=client.pool_id,
                ClientName=client.name,
                **{k: settings[k] for k in (
                    "ExplicitAuthFlows", "CallbackURLs", "LogoutURLs", "AllowedOAuthFlows", "AllowedOAuthScopes",
                    "AllowedOAuthFlowsUserPoolClient", "AccessTokenValidity", "IdTokenValidity",
                    "RefreshTokenValidity", "PreventUserExistenceErrors", "EnableTokenRevocation",
                ) if k in settings},  # fmt: skip
                AccessTokenUnit=units.get("AccessToken", "hours"),
                IdTokenUnit=units.get("IdToken", "hours"),
                RefreshTokenUnit=units.get("RefreshToken", "days"),
            )
            if "ExplicitAuthFlows" not in settings:
                self.initial["ExplicitAuthFlows"] = []

    def _form_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "ClientName": data["ClientName"],
            "ExplicitAuthFlows": data["ExplicitAuthFlows"],
            "CallbackURLs": data["CallbackURLs"] or None,
            "LogoutURLs": data["LogoutURLs"] or None,
            "AllowedOAuthFlows": data["AllowedOAuthFlows"] or None,
            "AllowedOAuthScopes": data["AllowedOAuthScopes"] or None,
            "AllowedOAuthFlowsUserPoolClient": data["AllowedOAuthFlowsUserPoolClient"],
            "AccessTokenValidity": data["AccessTokenValidity"],
            "IdTokenValidity": data["IdTokenValidity"],
            "RefreshTokenValidity": data["RefreshTokenValidity"],
            "TokenValidityUnits": {
                "AccessToken": data["AccessTokenUnit"],
                "IdToken": data["IdTokenUnit"],
                "RefreshToken": data["RefreshTokenUnit"],
            },
            "PreventUserExistenceErrors": data["PreventUserExistenceErrors"],
            "EnableTokenRevocation": data["EnableTokenRevocation"],
        }

    def service_request(self) -> dict[str, Any]:
        if self.instance.pk:
            advanced = self.check_advanced_members(
                request_members("UpdateUserPoolClientRequest"), create_only=("GenerateSecret", "ClientSecret")
            )
            return user_pool_client_update_request_patched(
                self.instance, compose_patches(self._form_values(), advanced)
            )
        advanced = self.check_advanced_members(request_members("CreateUserPoolClientRequest"))
        values = {"UserPoolId": self.cleaned_data["pool"].pk, **self._form_values()}
        if self.cleaned_data["GenerateSecret"]:
            values["GenerateSecret"] = True
        return without_nulls(merge_patch(values, advanced))

    def perform(self, ctx, request):
        if self.instance.pk:
            return client_services.user_pool_client_update(ctx, request)
        return client_services.user_pool_client_create(ctx, request)


if admin.site.is_registered(AppClient):
    # django-oauth-toolkit registers its own admin for the Application model, which is ours.
    admin.site.unregister(AppClient)


class AppClientAdmin(ServiceModelAdmin):
    form = AppClientForm
    view_on_site = False  # django-oauth-toolkit's get_absolute_url points at its own (unrouted) views
    list_display = ("client_id", "name", "pool", "has_secret", "created")
    list_filter = ("pool",)
    search_fields = ("client_id", "name", "pool__id", "pool__name")
    list_select_related = ("pool",)
    ordering = ("-created", "-id")
    change_readonly = ("client_id", "client_type", "secret_list", "created", "updated", "current_settings")

    _add_fieldsets = (
        (None, {"fields": ("pool", "ClientName", "GenerateSecret", "ExplicitAuthFlows")}),
        ("Hosted UI and OAuth 2.0", {"fields": (
            "CallbackURLs", "LogoutURLs", "AllowedOAuthFlowsUserPoolClient", "AllowedOAuthFlows", "AllowedOAuthScopes",
        )}),  # fmt: skip
        ("Tokens", {"fields": (
            ("AccessTokenValidity", "AccessTokenUnit"), ("IdTokenValidity", "IdTokenUnit"),
            ("RefreshTokenValidity", "RefreshTokenUnit"), "EnableTokenRevocation", "PreventUserExistenceErrors",
        )}),  # fmt: skip
        ("Advanced", {"fields": ("advanced",)}),
    )

    def get_queryset(self, request):
        secrets = ClientSecret.objects.filter(client=OuterRef("pk"))
        return super().get_queryset(request).annotate(_has_secret=Exists(secrets))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self._add_fieldsets
        first = (
            None,
            {"fields": ("client_id", "pool", "ClientName", "client_type", "secret_list", "ExplicitAuthFlows")},
        )
        return (
            first,
            *self._add_fieldsets[1:-1],
            ("Advanced", {"fields": ("advanced", "current_settings")}),
            ("Dates", {"fields": ("created", "updated")}),
        )

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly if obj else ()

    @admin.display(description="Secret", boolean=True, ordering="_has_secret")
    def has_secret(self, client):
        return client._has_secret

    @admin.display(description="Client secrets")
    def secret_list(self, client):
        rows = client.secrets.order_by("created_at", "id")
        if not rows:
            return "None (a public client)"
        items = ((s.secret_id, s.created_at.isoformat(timespec="seconds")) for s in rows)
        return format_html("<ul>{}</ul>", format_html_join("", "<li><code>{}</code>, created {}</li>", items))

    @admin.display(description="Current settings (DescribeUserPoolClient, without the secret)")
    def current_settings(self, client):
        described = shapes.user_pool_client(client)
        described.pop("ClientSecret", None)
        return pretty_json(described)

    def after_save(self, request, saved, form, change):
        if not change:
            secret = client_services.client_secret_current(saved)
            if secret:
                self.message_user(
                    request,
                    format_html(
                        "Client secret of {}: <code>{}</code> — copy it now; the console will not show it again.",
                        saved.client_id,
                        secret,
                    ),
                    messages.SUCCESS,
                )

    def delete_model(self, request, obj):
        client_services.user_pool_client_delete(operator_context(request), pool_id=obj.pool_id, client_id=obj.client_id)


admin.site.register(AppClient, AppClientAdmin)


# --- Domains ------------------------------------------------------------------------------


class UserPoolDomainForm(ServiceForm):
    pool = forms.ModelChoiceField(label="User pool", queryset=UserPool.objects.order_by("name", "id"))
    Domain = forms.CharField(
        label="Domain",
        max_length=253,
        help_text="A prefix (served as {prefix}.<COGNATE_DOMAIN_SUFFIX>) or, with a certificate ARN, "
        "a custom fully qualified domain name.",
    )
    CertificateArn = forms.CharField(label="Certificate ARN (custom domains)", required=False, max_length=2048)
    ManagedLoginVersion = forms.TypedChoiceField(
        label="Managed login version", choices=[(1, "1 (classic hosted UI)"), (2, "2")], coerce=int, initial=1
    )

    error_fields = {
        "domain": "Domain",
        "A prefix domain": "Domain",
        "Domain prefix": "Domain",
        "A custom domain": "Domain",
    }

    class Meta:
        model = UserPoolDomain
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        domain = self.instance
        if domain.pk:
            self.fields["pool"].disabled = True
            self.fields["Domain"].disabled = True
            self.initial.update(
                pool=domain.pool_id,
                Domain=domain.domain,
                CertificateArn=(domain.custom_domain_config or {}).get("CertificateArn", ""),
                ManagedLoginVersion=domain.managed_login_version,
            )
            if not domain.is_custom:
                self.fields["CertificateArn"].disabled = True

    def service_request(self) -> dict[str, Any]:
        data = self.cleaned_data
        request: dict[str, Any] = {
            "UserPoolId": data["pool"].pk,
            "Domain": data["Domain"],
            "ManagedLoginVersion": data["ManagedLoginVersion"],
        }
        if data.get("CertificateArn") and not (self.instance.pk and not self.instance.is_custom):
            request["CustomDomainConfig"] = {"CertificateArn": data["CertificateArn"]}
        return request

    def perform(self, ctx, request):
        if self.instance.pk:
            return domain_services.user_pool_domain_update(ctx, request)
        return domain_services.user_pool_domain_create(ctx, request)


@admin.register(UserPoolDomain)
class UserPoolDomainAdmin(ServiceModelAdmin):
    form = UserPoolDomainForm
    list_display = ("domain", "pool", "kind", "fqdn", "status", "managed_login_version", "created_at")
    list_filter = (("custom_domain_config", admin.EmptyFieldListFilter), "managed_login_version", "pool")
    search_fields = ("domain", "pool__id", "pool__name")
    list_select_related = ("pool",)
    ordering = ("domain",)
    fields = ("pool", "Domain", "CertificateArn", "ManagedLoginVersion")
    actions = ("verify_custom_domains",)
    _verification = ("status", "verification_record", "verified_at", "verification_checked_at", "verification_error")

    def get_fields(self, request, obj=None):
        return (*self.fields, "fqdn", *self._verification, "created_at", "updated_at") if obj else self.fields

    def get_readonly_fields(self, request, obj=None):
        return ("fqdn", *self._verification, "created_at", "updated_at") if obj else ()

    @admin.display(description="Kind")
    def kind(self, domain):
        return "custom" if domain.is_custom else "prefix"

    @admin.display(description="Status")
    def status(self, domain):
        return domain.status  # CREATING: a custom domain that does not route until verified

    @admin.display(description="DNS record that verifies it")
    def verification_record(self, domain):
        if not domain.is_custom:
            return "— (a prefix domain needs none)"
        name, value = domain_services.verification_record(domain)
        return format_html('<code>{}. TXT "{}"</code><br>Create it, then use the action '
                           "“Verify the selected custom domains” (or <code>manage.py verify_domains</code>).",
                           name, value)  # fmt: skip

    @admin.action(description="Verify the selected custom domains (DNS TXT record)")
    def verify_custom_domains(self, request, queryset):
        ctx = operator_context(request)
        for domain in queryset.filter(custom_domain_config__isnull=False):
            checked = domain_services.custom_domain_verify(ctx, pool_id=domain.pool_id, name=domain.domain)
            if checked.verified_at is not None:
                self.message_user(request, f"{checked.domain} is verified and routes to {checked.pool_id}.",
                                  messages.SUCCESS)  # fmt: skip
            else:
                self.message_user(request, f"{checked.domain} is not verified: {checked.verification_error}",
                                  messages.WARNING)  # fmt: skip

    @admin.display(description="Host name")
    def fqdn(self, domain):
        return domain_services.domain_fqdn(domain)

    def delete_model(self, request, obj):
        domain_services.user_pool_domain_delete(operator_context(request), pool_id=obj.pool_id, name=obj.domain)


# --- Resource servers ---------------------------------------------------------------------


class ScopesField(forms.CharField):
    """Custom scopes, one per line: the scope name, then its description (a scope name has no spaces)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "cols": 80}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{s['ScopeName']} {s['ScopeDescription']}" for s in value)
        return value

    def to_python(self, value):
        scopes = []
        for line in (super().to_python(value) or "").splitlines():
            if not line.strip():
                continue
            parts = line.split(None, 1)
            if len(parts) < 2:
                raise ValidationError(f"The scope {parts[0]} needs a description after its name.", code="invalid")
            scopes.append({"ScopeName": parts[0], "ScopeDescription": parts[1].strip()})
        return scopes

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


class ResourceServerForm(ServiceForm):
    pool = forms.ModelChoiceField(label="User pool", queryset=UserPool.objects.order_by("name", "id"))
    Identifier = forms.CharField(
        label="Identifier",
        max_length=256,
        help_text="Unique in the pool, fixed once created; often the API's URL (https://api.example.com). "
        "Clients request its scopes as identifier/scope.",
    )
    Name = forms.CharField(label="Name", max_length=256)
    Scopes = ScopesField(label="Custom scopes", help_text="One per line: the scope name, a space, its description.")

    error_fields = {"identifier": "Identifier", "already exists": "Identifier", "name": "Name"}

    class Meta:
        model = ResourceServer
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        server = self.instance
        if server.pk:
            self.fields["pool"].disabled = True
            self.fields["Identifier"].disabled = True
            self.initial.update(pool=server.pool_id, Identifier=server.identifier, Name=server.name,
                                Scopes=server.scopes)  # fmt: skip

    def _add_service_error(self, exc: ServiceError) -> None:
        if "'scopes." in exc.message or "scope name" in exc.message:  # a scope's name or description
            self.add_error("Scopes", ValidationError(exc.message, code=exc.code.value))
        else:
            super()._add_service_error(exc)

    def service_request(self) -> dict[str, Any]:
        data = self.cleaned_data
        request: dict[str, Any] = {
            "UserPoolId": data["pool"].pk,
            "Identifier": data["Identifier"],
            "Name": data["Name"],
        }
        if data["Scopes"]:
            request["Scopes"] = data["Scopes"]
        return request

    def perform(self, ctx, request):
        if self.instance.pk:
            return resource_server_services.resource_server_update(ctx, request)
        return resource_server_services.resource_server_create(ctx, request)


@admin.register(ResourceServer)
class ResourceServerAdmin(ServiceModelAdmin):
    form = ResourceServerForm
    list_display = ("identifier", "name", "pool", "scope_count", "updated_at")
    list_filter = ("pool",)
    search_fields = ("identifier", "name", "pool__id", "pool__name")
    list_select_related = ("pool",)
    ordering = ("pool", "identifier")
    fields = ("pool", "Identifier", "Name", "Scopes")

    def get_fields(self, request, obj=None):
        return (*self.fields, "scope_list", "created_at", "updated_at") if obj else self.fields

    def get_readonly_fields(self, request, obj=None):
        return ("scope_list", "created_at", "updated_at") if obj else ()

    @admin.display(description="Scopes")
    def scope_count(self, server) -> int:
        return len(server.scopes)

    @admin.display(description="Scopes as clients request them")
    def scope_list(self, server):
        names = server.scope_names()
        if not names:
            return "None"
        return format_html("<ul>{}</ul>", format_html_join("", "<li><code>{}</code></li>", ((n,) for n in names)))

    def delete_model(self, request, obj):
        resource_server_services.resource_server_delete(
            operator_context(request), pool_id=obj.pool_id, identifier=obj.identifier
        )


# --- Audit log ----------------------------------------------------------------------------


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


# --- Operators ----------------------------------------------------------------------------


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


# --- Operators' second factor ------------------------------------------------------------


def admin_requires_otp() -> bool:
    """Whether the console asks operators for a TOTP code (``COGNATE_ADMIN_REQUIRE_OTP``),
    read per request so that a settings override takes effect at once."""
    return bool(getattr(django_settings, "COGNATE_ADMIN_REQUIRE_OTP", False))


class OperatorOTPAuthenticationForm(OTPAdminAuthenticationForm):
    """django-otp's admin login form with two conveniences: an operator with one
    authenticator is not asked to pick it (django-otp asks, so that a code is never tried
    against every device, which only matters with several), and an operator with none is
    told how to enrol instead of being shown an empty device list."""

    def clean_otp(self, user):
        if user is not None and not user_has_device(user):
            raise ValidationError(
                "No authenticator is enrolled for this operator: run "
                "`manage.py operator_totp <username>` (see README, Operators and MFA).",
                code="otp_not_enrolled",
            )
        super().clean_otp(user)

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None and not self.cleaned_data.get("otp_device"):
            # Inside clean_otp's transaction: lock the device as django-otp does for the chosen one.
            devices = list(devices_for_user(user, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


class CognateAdminSite(OTPAdminSite):
    """The console's site. With ``COGNATE_ADMIN_REQUIRE_OTP`` on it is django-otp's
    OTPAdminSite: only an operator verified by one of their authenticators in this session
    (a TOTPDevice, see ``manage.py operator_totp``) gets in, and the login page asks for
    the code. Off, it behaves as Django's plain AdminSite.

    ``admin.site`` keeps its instance (and name, so ``admin:`` URLs and every registration
    stay as they are); only its class changes, below.
    """

    @property
    def login_form(self):
        return OperatorOTPAuthenticationForm if admin_requires_otp() else None

    @property
    def login_template(self):
        return OTPAdminSite.login_template if admin_requires_otp() else None

    def has_permission(self, request) -> bool:
        if admin_requires_otp():
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)


admin.site.__class__ = CognateAdminSite


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
        audit_record(operator_context(request), "operator.totp_device_change" if change else "operator.totp_device_create",
                     target=obj.user.get_username(), device=obj.name, confirmed=obj.confirmed)  # fmt: skip

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        audit_record(operator_context(request), "operator.totp_device_delete", target=obj.user.get_username(),
                     device=obj.name)  # fmt: skip

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            self.delete_model(request, device)


# The user directory's pages (pool users, groups, deliveries) live in their own module.
from userpools import admin_directory  # noqa: E402,F401
