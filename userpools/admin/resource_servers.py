"""The console's resource servers: an API's identifier and the custom scopes clients request of it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from userpools.admin.base import (
    ServiceForm,
    ServiceModelAdmin,
    operator_context,
)
from userpools.errors import ServiceError
from userpools.models import ResourceServer, UserPool
from userpools.services import resource_servers as resource_server_services


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
            self.initial.update(
                pool=server.pool_id, Identifier=server.identifier, Name=server.name, Scopes=server.scopes
            )

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
