"""The console's user pools: created and changed through the pool services
(CreateUserPool, UpdateUserPool), with the pool's clients, domains and users listed on its page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from userpools import shapes
from userpools.admin.base import (
    JSONObjectField,
    ServiceForm,
    ServiceModelAdmin,
    admin_link,
    operator_context,
    pretty_json,
)
from userpools.models import UserPool
from userpools.services import domains as domain_services
from userpools.services import pools as pool_services
from userpools.services.updates import (
    compose_patches,
    merge_patch,
    user_pool_update_request_patched,
    without_nulls,
)
from userpools.spec import request_members

_SIGN_IN_ATTRIBUTES = [("email", "email"), ("phone_number", "phone_number")]
_PASSWORD_POLICY = (
    "MinimumLength",
    "RequireUppercase",
    "RequireLowercase",
    "RequireNumbers",
    "RequireSymbols",
    "TemporaryPasswordValidityDays",
)


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
        "id",
        "arn",
        "created_at",
        "updated_at",
        "app_clients",
        "domain_list",
        "pool_users",
        "current_settings",
        "hosted_pages",
    )

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
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((admin_link(c),) for c in rows)))

    @admin.display(description="Domains")
    def domain_list(self, pool):
        rows = pool.domains.all()
        if not rows:
            return "—"
        items = ((admin_link(d, domain_services.domain_fqdn(d)),) for d in rows)
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
