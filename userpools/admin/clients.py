"""The console's app clients (CreateUserPoolClient, UpdateUserPoolClient); a new client's secret is
shown once, after saving. django-oauth-toolkit's own admin of the same model is replaced."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.utils.html import format_html, format_html_join
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from userpools import shapes
from userpools.admin.base import (
    JSONObjectField,
    LinesField,
    ServiceForm,
    ServiceModelAdmin,
    operator_context,
    pretty_json,
)
from userpools.choices import enum_choices
from userpools.models import AppClient, ClientSecret, UserPool
from userpools.services import clients as client_services
from userpools.services.updates import (
    compose_patches,
    merge_patch,
    user_pool_client_update_request_patched,
    without_nulls,
)
from userpools.spec import request_members

_UNITS = [(u, u) for u in ("seconds", "minutes", "hours", "days")]
_OAUTH_FLOWS = [(f, f) for f in ("code", "implicit", "client_credentials")]


def _auth_flow_choices() -> list[tuple[str, str]]:
    return enum_choices("ExplicitAuthFlowsType")


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
                **{
                    k: settings[k]
                    for k in (
                        "ExplicitAuthFlows",
                        "CallbackURLs",
                        "LogoutURLs",
                        "AllowedOAuthFlows",
                        "AllowedOAuthScopes",
                        "AllowedOAuthFlowsUserPoolClient",
                        "AccessTokenValidity",
                        "IdTokenValidity",
                        "RefreshTokenValidity",
                        "PreventUserExistenceErrors",
                        "EnableTokenRevocation",
                    )
                    if k in settings
                },
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
# And for its token models: nothing writes AccessToken, RefreshToken or IDToken (tokens are
# the pool's, hostedui/services/validator.py), and Grant holds only hashed authorization
# codes for five minutes: none of them is for an operator. The tables stay: DOT's
# migrations create them, and its token models cannot be swapped out of an existing schema.
for _model in (AccessToken, Grant, IDToken, RefreshToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


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
        (
            "Hosted UI and OAuth 2.0",
            {
                "fields": (
                    "CallbackURLs",
                    "LogoutURLs",
                    "AllowedOAuthFlowsUserPoolClient",
                    "AllowedOAuthFlows",
                    "AllowedOAuthScopes",
                )
            },
        ),
        (
            "Tokens",
            {
                "fields": (
                    ("AccessTokenValidity", "AccessTokenUnit"),
                    ("IdTokenValidity", "IdTokenUnit"),
                    ("RefreshTokenValidity", "RefreshTokenUnit"),
                    "EnableTokenRevocation",
                    "PreventUserExistenceErrors",
                )
            },
        ),
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
