"""The console's user pool domains: prefix and custom domains, and the DNS check that verifies a
custom domain before it routes (userpools/services/domains.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from userpools.admin.base import (
    ServiceForm,
    ServiceModelAdmin,
    operator_context,
)
from userpools.models import UserPool, UserPoolDomain
from userpools.services import domains as domain_services


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
        return format_html(
            '<code>{}. TXT "{}"</code><br>Create it, then use the action '
            "“Verify the selected custom domains” (or <code>manage.py verify_domains</code>).",
            name,
            value,
        )

    @admin.action(description="Verify the selected custom domains (DNS TXT record)")
    def verify_custom_domains(self, request, queryset):
        ctx = operator_context(request)
        for domain in queryset.filter(custom_domain_config__isnull=False):
            checked = domain_services.custom_domain_verify(ctx, pool_id=domain.pool_id, name=domain.domain)
            if checked.verified_at is not None:
                self.message_user(
                    request, f"{checked.domain} is verified and routes to {checked.pool_id}.", messages.SUCCESS
                )
            else:
                self.message_user(
                    request, f"{checked.domain} is not verified: {checked.verification_error}", messages.WARNING
                )

    @admin.display(description="Host name")
    def fqdn(self, domain):
        return domain_services.domain_fqdn(domain)

    def delete_model(self, request, obj):
        domain_services.user_pool_domain_delete(operator_context(request), pool_id=obj.pool_id, name=obj.domain)
